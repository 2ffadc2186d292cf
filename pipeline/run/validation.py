"""The validate step: tei_all and cross-file checks over what the run leaves.

Articles validated before and unchanged since are not schema-checked again (their ids are
still compared); nothing is validated again when no output changed. An executor that ran
the schema check on its workers (Dask: :func:`check_schema` over batches of the TEI bytes it
brought back) hands in a :class:`SchemaCheck` per article: the driver then skips jing for
the files whose bytes match and keeps only the link and cross-file checks, which need the
whole corpus. The workers of every executor also hand in each new article's own checks
(well-formed, links, its ids: :class:`~pipeline.tei.validate.FileCheck`), so the driver
parses no file it was handed the checks of: its serial share of validation is the
cross-file id comparison and the corpus root.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from pipeline.run.atomic import atomic_write_bytes
from pipeline.run.manifest import Manifest
from pipeline.run.report import DocResult
from pipeline.tei.validate import FileCheck, Problem, norm_path


@dataclass(frozen=True)
class SchemaCheck:
    """The tei_all check of one article's TEI bytes, made elsewhere (a worker)."""

    sha256: str
    problems: tuple[Problem, ...] = ()


def check_schema(batch: list[tuple[str, bytes]],
                 checks: Mapping[str, FileCheck] | None = None) -> dict[str, SchemaCheck]:
    """Schema-check TEI files given as (id, bytes), in one jing call where jing is installed.

    Runs on a worker: the files are laid out in a private temporary folder, so no shared
    filesystem is needed. Only schema problems come back (the driver checks links and ids
    across the corpus itself), with the line numbers of the file the driver writes.
    ``checks``: id -> the article's own checks made with its bytes (the chunk's
    :class:`FileCheck`); such a file is not parsed again here, only given to jing (a
    quarter of the time of a batch of 200 articles went to parsing them once more).
    """
    from pipeline.tei.validate import validate

    shas = {doc_id: hashlib.sha256(data).hexdigest() for doc_id, data in batch}
    with tempfile.TemporaryDirectory(prefix="newscorpus-schema-") as tmp:
        paths = {}
        made: dict[str, FileCheck] = {}
        for doc_id, data in batch:
            path = Path(tmp) / f"{doc_id}.xml"
            path.write_bytes(data)
            paths[str(path)] = doc_id
            check = (checks or {}).get(doc_id)
            if check is not None and check.sha256 == shas[doc_id]:  # made on these bytes
                made[norm_path(path)] = check
        found: dict[str, list[Problem]] = {doc_id: [] for doc_id, _ in batch}
        for problem in validate(list(paths), checked=made):
            if problem.kind == "schema" and problem.path in paths:
                found[paths[problem.path]].append(problem)
    return {doc_id: SchemaCheck(shas[doc_id], tuple(found[doc_id])) for doc_id in found}


def validate_outputs(ordered: list[DocResult], good: list[Path], corpus_path: Path,
                     manifest: Manifest, changed: bool,
                     remote: Mapping[str, SchemaCheck] | None = None,
                     file_checks: Mapping[str, FileCheck] | None = None,
                     ) -> tuple[dict[str, Any], float | None]:
    """The validation record (kept in the manifest) and the seconds spent (None: reused)."""
    validation: dict[str, Any] = manifest.get("validation", {})
    state = hashlib.sha256("".join(sorted(
        (r.output_sha256 or "") for r in ordered)).encode()).hexdigest()
    if not changed and validation.get("state") == state:
        return validation, None
    from pipeline.tei.validate import validate

    t0 = time.perf_counter()
    shas = {r.output: r.output_sha256 for r in ordered if r.output}
    # By file name: the folder moved or spelled otherwise is the same folder.
    before: dict[str, str] = manifest.get("valid_files", {})
    known = [p for p in good if before.get(p.name) == shas.get(str(p))]
    elsewhere = _checked_elsewhere(ordered, remote or {})
    known_set = set(known)  # a list here made a rerun quadratic: 1 h at 100,000 articles
    fresh = [p for p in good if p not in known_set]
    ids_path = manifest.path.parent / IDS_FILE
    handed = {**known_ids(ids_path, known, shas), **_handed_in(ordered, file_checks or {})}
    ids: dict[str, tuple[str, ...]] = {}
    problems = validate(fresh + ([corpus_path] if corpus_path.exists() else []),
                        known_valid=known + [p for p in fresh if str(p) in elsewhere],
                        checked=handed, ids=ids)
    problems += [problem for p in fresh for problem in elsewhere.get(str(p), ())]
    seconds = round(time.perf_counter() - t0, 4)
    bad = {p.path for p in problems}
    valid = {p: sha for p in good if str(p) not in bad and (sha := shas.get(str(p)))}
    _save_ids(ids_path, {p.name: (sha, ids[norm_path(p)]) for p, sha in valid.items()
                         if norm_path(p) in ids})
    manifest.set("valid_files", {p.name: sha for p, sha in valid.items()})
    validation = {"state": state, "files": len(good) + 1, "schema_checked": len(fresh) + 1,
                  "schema_checked_by_workers": len([p for p in fresh if str(p) in elsewhere]),
                  "problems": [asdict(p) for p in problems]}
    return validation, seconds


#: Beside the manifest: the ids of each valid article, by its file name in ``tei/``, with
#: its sha256. A run (and ``remove``) compares every article's ids across the corpus;
#: without this record it parsed every unchanged article again for them (≈ 1 ms each:
#: 100 s at 100,000 articles).
IDS_FILE = "ids.json"


def known_ids(path: Path, known: list[Path], shas: Mapping[str, str | None],
              ) -> dict[str, FileCheck]:
    """Normalised path -> the recorded checks of a valid article (its ids, no problems),
    for those of ``known`` whose present sha256 (``shas``, by path) the record holds."""
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    found: dict[str, FileCheck] = {}
    for p in known:
        entry = data.get(p.name)
        if (isinstance(entry, list) and len(entry) == 2 and entry[0] == shas.get(str(p))
                and isinstance(entry[0], str) and isinstance(entry[1], str)):
            found[norm_path(p)] = FileCheck(entry[0], tuple(entry[1].split()))
    return found


def _save_ids(path: Path, valid: Mapping[str, tuple[str, tuple[str, ...]]]) -> None:
    """Record the ids of the valid articles (ids are NCNames: joined by spaces)."""
    data = {p: [sha, " ".join(ids)] for p, (sha, ids) in sorted(valid.items())}
    atomic_write_bytes(path, json.dumps(data, separators=(",", ":")).encode())


def _checked_elsewhere(ordered: list[DocResult],
                       remote: Mapping[str, SchemaCheck]) -> dict[str, list[Problem]]:
    """Output path -> schema problems, for articles whose written bytes were checked."""
    checked: dict[str, list[Problem]] = {}
    for r in ordered:
        check = remote.get(r.id)
        if r.output and check is not None and check.sha256 == r.output_sha256:
            checked[r.output] = [replace(p, path=r.output) for p in check.problems]
    return checked


def _handed_in(ordered: list[DocResult],
               file_checks: Mapping[str, FileCheck]) -> dict[str, FileCheck]:
    """Normalised output path -> the article's own checks, where made on the written bytes."""
    handed: dict[str, FileCheck] = {}
    for r in ordered:
        check = file_checks.get(r.id)
        if r.output and check is not None and check.sha256 == r.output_sha256:
            handed[norm_path(r.output)] = check
    return handed
