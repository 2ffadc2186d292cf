"""One output folder, one story: accumulation, pruning, refreshed views.

``corpus.xml``, ``report.json`` and the reading view always describe exactly the TEI
files of ``tei/`` after a run. Runs into one folder accumulate: the articles of earlier
runs stay (status ``kept``) unless their input file is gone and the run has ``--prune``
(:func:`reconcile`); a reading view or exports made before are rewritten
(:func:`refresh_derived`). Where each input is on this machine is kept in the run's
manifest only (:func:`source_records`); the TEI records paths relative to the input root
(:func:`pipeline.ingest.files.relative_paths`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.ingest.files import file_sha256, located
from pipeline.ingest.units import remove_raw
from pipeline.run.atomic import atomic_write_bytes
from pipeline.run.report import DocResult

log = logging.getLogger(__name__)


def source_records(units: list[Any]) -> dict[str, dict[str, str]]:
    """Document id -> where its input file is on this machine and the file's sha256.

    Kept in the run's manifest (never in the TEI): pruning checks that the file is still
    there, and the archive finds the original to pack. A WARC or JSON lines file is hashed
    once for all its documents.
    """
    hashes: dict[str, str] = {}
    found: dict[str, dict[str, str]] = {}
    for unit in units:
        if unit.path not in hashes:
            try:
                hashes[unit.path] = unit.sha256 if unit.format in ("text", "html") \
                    else file_sha256(Path(unit.path))
            except OSError:
                hashes[unit.path] = ""
        found[unit.id] = {"source": str(located(Path(unit.path))),
                          "source_sha256": hashes[unit.path]}
    return found


# ---------------------------------------------------------------- accumulation and pruning


@dataclass
class FolderState:
    """Articles of ``tei/`` that this run's inputs do not name, and what became of them."""

    kept: list[DocResult] = field(default_factory=list)  # from earlier runs, still listed
    removed: list[dict[str, str]] = field(default_factory=list)  # pruned: id, file, reason
    gone: list[dict[str, str]] = field(default_factory=list)  # input gone, kept: no --prune


def article_files(tei_dir: Path) -> list[Path]:
    """The article files of ``tei/`` (temporary files of a write in progress left out)."""
    return sorted(p for p in tei_dir.glob("art-*.xml") if p.is_file() and not p.is_symlink())


def reconcile(tei_dir: Path, manifest: dict[str, Any], current: set[str],
              prune: bool) -> FolderState:
    """Runs accumulate: earlier articles stay unless their input is gone and ``prune``.

    ``manifest`` is the run's documents manifest (entries of pruned articles are deleted
    from it); ``current`` the ids of this run's inputs. An article whose manifest entry
    says nothing of its input (an older manifest, or none) is kept: that its input is
    gone cannot be known.
    """
    state = FolderState()
    for path in article_files(tei_dir):
        doc_id = path.stem
        if doc_id in current:
            continue
        entry: dict[str, Any] = manifest.get(doc_id, {})
        source = str(entry.get("source") or "")
        shown = str(entry.get("file") or source or path.name)
        if source and not os.path.lexists(source):
            line = {"id": doc_id, "file": shown, "reason": f"its input {shown} is gone"}
            if prune:
                path.unlink()
                remove_raw(tei_dir.parent, doc_id)  # its raw HTML/WARC copy goes with it
                manifest.pop(doc_id, None)
                state.removed.append(line)
                continue
            state.gone.append(line)
        state.kept.append(_kept(doc_id, path, entry, shown))
    return state


def _kept(doc_id: str, path: Path, entry: dict[str, Any], shown: str) -> DocResult:
    return DocResult(doc_id, shown, "kept", output=str(path),
                     output_sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
                     input_sha256=str(entry.get("input", "")),
                     notes=list(entry.get("notes", [])),
                     engines=list(entry.get("engines", [])),
                     applications=list(entry.get("applications", [])))


# ---------------------------------------------------------------- derived views


def refresh_derived(out: Path, tei_files: list[Path],
                    shas: Mapping[str, str] | None = None) -> list[str]:
    """Rewrite the reading view and the exports that exist, from ``tei_files``
    (``shas``: their sha256 by path, where the caller knows them; else they are read).

    A view or exports made before would otherwise lag behind the corpus. Exports of
    articles no longer in it are removed. Returns what was refreshed; a view or export
    that fails is logged, never the run's fault.
    """
    done: list[str] = []
    if (out / "index.html").is_file():
        from pipeline.view import build_view

        try:
            build_view(tei_files, out, memo=out / ".cache" / "view.json", shas=shas)
            done.append("view")
        except Exception as exc:  # a derived product must not fail the archive's run
            log.warning("the reading view could not be refreshed: %s", exc)
    exports = out / "exports"
    if exports.is_dir() and not exports.is_symlink():
        try:
            if _refresh_exports(exports, tei_files, out / ".cache" / "exports.json",
                                shas or {}):
                done.append("exports")
        except Exception as exc:
            log.warning("the exports could not be refreshed: %s", exc)
    return done


def _refresh_exports(folder: Path, tei_files: list[Path], state_path: Path,
                     known_shas: Mapping[str, str]) -> bool:
    """Bring the exports that exist up to date: only the articles whose TEI bytes changed
    since the last refresh are exported again (a corpus of 100,000 articles would take
    ≈ 1.3 h of two cores to export whole, at 46.5 s per 1,000); the files of articles no
    longer in the corpus and any file the exports did not make are removed.
    ``state_path`` keeps, per TEI file, its sha256 and the files made for it; without it
    (exports made by hand, other code, other formats) every article is exported, as the
    first time."""
    from pipeline.export import FORMATS, LANGS, export
    from pipeline.run.plan import code_fingerprint, sha256_file  # plan imports this module

    made = {(fmt, lang) for fmt in FORMATS for lang in LANGS
            if (folder / fmt / lang).is_dir() and not (folder / fmt / lang).is_symlink()}
    if not made:
        return False
    key = {"code": code_fingerprint(), "made": sorted(f"{f}/{lang}" for f, lang in made)}
    state = _load_state(state_path)
    shas = {p.name: known_shas.get(str(p)) or sha256_file(p) or "" for p in tei_files}
    fresh = any(state.get(k) != v for k, v in key.items())
    known: dict[str, dict[str, Any]] = {} if fresh else state.get("files", {})
    files = {name: entry for name, entry in known.items() if name in shas}
    todo = [p for p in tei_files if files.get(p.name, {}).get("sha256") != shas[p.name]]
    configs: set[str] = set() if fresh else set(state.get("configs", []))
    for p in todo:
        files[p.name] = {"sha256": shas[p.name], "written": []}
    for fmt in sorted({f for f, _ in made}):
        langs = [lang for lang in LANGS if (fmt, lang) in made]
        result = export(todo, fmt, "both" if len(langs) == 2 else langs[0], folder)
        configs.update(p.relative_to(folder).as_posix() for p in result.configs)
        for tei, paths in result.by_file.items():
            files[Path(tei).name]["written"] += [p.relative_to(folder).as_posix()
                                                 for p in paths]
        for where, _ in result.failed:  # tried again next time
            name = Path(where).name if where.endswith(".xml") else f"{where}.xml"
            if name in files:
                files[name]["sha256"] = ""
    keep = {folder / rel for rel in configs} | {
        folder / rel for entry in files.values() for rel in entry["written"]}
    for fmt, lang in sorted(made):
        for old in (folder / fmt / lang).iterdir():
            if old.is_file() and not old.is_symlink() and old not in keep:
                old.unlink()
    atomic_write_bytes(state_path, json.dumps({**key, "configs": sorted(configs),
                                               "files": dict(sorted(files.items()))},
                                              separators=(",", ":")).encode())
    return True


def _load_state(path: Path) -> dict[str, Any]:
    """The last refresh's record; an unreadable one counts as none (all is exported)."""
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
        return {}
    data["files"] = {name: entry for name, entry in data["files"].items()
                     if isinstance(entry, dict) and isinstance(entry.get("sha256"), str)
                     and isinstance(entry.get("written"), list)
                     and all(isinstance(w, str) for w in entry["written"])}
    return data
