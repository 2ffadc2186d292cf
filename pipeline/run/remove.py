"""Removing articles from an output folder by request, keeping its one story.

``python -m pipeline remove OUTPUT ID...`` is what ``run --prune`` does for an input that
is gone, for articles named by id whatever their input (a takedown request, an article
that should not have been scraped): the TEI file and raw copy go, the run's manifest
forgets them, ``corpus.xml`` is rewritten for the articles left (and validated: its
shell with the links across files; the articles themselves did not change), ``report.json``
drops them and lists each in ``removed``, and the reading view and exports made before
are refreshed. Nothing needs the engines, and no document is recomputed.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from pipeline.document import Application
from pipeline.errors import ConfigError
from pipeline.ingest.units import remove_raw
from pipeline.run.atomic import OutputBusy, atomic_write_bytes, output_lock
from pipeline.run.folder import article_files, refresh_derived
from pipeline.run.manifest import dumps
from pipeline.run.report import report_json

REASON = "removed on request (remove command)"
WRITTEN = ("ok", "skipped", "kept")


def _load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _save(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, text.encode())


def remove(output: Path, ids: list[str]) -> list[dict[str, str]]:
    """Remove the articles ``ids`` from ``output`` (see the module docstring).

    Raises ConfigError, before anything is touched, when an id names no article of the
    folder or another run holds it. Returns the report's ``removed`` lines.
    """
    output = Path(output)
    tei_dir = output / "tei"
    try:
        with output_lock(output):
            present = {p.stem for p in article_files(tei_dir)} if tei_dir.is_dir() else set()
            unknown = sorted(set(ids) - present)
            if unknown:
                raise ConfigError(f"no such article in {tei_dir}: {', '.join(unknown)}")
            return _remove(output, list(dict.fromkeys(ids)))
    except OutputBusy as exc:
        raise ConfigError(str(exc)) from exc


def _remove(output: Path, ids: list[str]) -> list[dict[str, str]]:
    manifest_path = output / ".cache" / "manifest.json"
    manifest = _load(manifest_path)
    entries: dict[str, Any] = manifest.setdefault("documents", {})
    lines = []
    for doc_id in ids:
        entry = entries.pop(doc_id, {})
        lines.append({"id": doc_id, "file": str(entry.get("file", "")), "reason": REASON})
        (output / "tei" / f"{doc_id}.xml").unlink()
        remove_raw(output, doc_id)
    good = article_files(output / "tei")
    validation = _rewrite_corpus(output, good, entries, manifest)
    _save(manifest_path, dumps(manifest))  # as the runner writes it
    refreshed = refresh_derived(output, good)
    _rewrite_report(output, set(ids), lines, validation, refreshed)
    return lines


def _rewrite_corpus(output: Path, good: list[Path], entries: dict[str, Any],
                    manifest: dict[str, Any]) -> dict[str, Any]:
    """The corpus of the articles left, and its validation (the report's entry)."""
    from pipeline.run.context import run_info_for
    from pipeline.run.plan import sha256_file
    from pipeline.run.settings import RunEnvironment
    from pipeline.run.validation import IDS_FILE, known_ids
    from pipeline.tei import codec as tei
    from pipeline.tei.validate import validate

    corpus = output / "corpus.xml"
    if not good:
        corpus.unlink(missing_ok=True)
        manifest.pop("corpus_inputs", None)
        manifest.pop("validation", None)
        return {}
    apps = [Application(**a) for p in good for a in entries.get(p.stem, {}).get(
        "applications", [])]
    tei.write_corpus(good, corpus, run=run_info_for(RunEnvironment.from_os()), apps=apps)
    manifest["corpus_inputs"] = [p.name for p in good]
    shas = {str(p): sha256_file(p) for p in good}
    problems = validate([corpus], known_valid=good,  # the ids a run recorded: none parsed
                        checked=known_ids(output / ".cache" / IDS_FILE, good, shas))
    validation = {"files": len(good) + 1, "schema_checked": 1,
                  "problems": [asdict(p) for p in problems]}
    manifest.pop("validation", None)  # the next run checks the state again
    return validation


def _rewrite_report(output: Path, ids: set[str], lines: list[dict[str, str]],
                    validation: dict[str, Any], refreshed: list[str]) -> None:
    path = output / "report.json"
    report = _load(path)
    docs = [d for d in report.get("documents", []) if d.get("id") not in ids]
    report["documents"] = docs
    summary = report.setdefault("summary", {})
    summary["documents"] = len(docs)
    for status in ("ok", "failed", "skipped", "kept"):
        summary[status] = sum(1 for d in docs if d.get("status") == status)
    report["removed"] = [*report.get("removed", []), *lines]
    summary["removed"] = len(report["removed"])
    report["validation"] = validation
    report["corpus"] = "corpus.xml" if validation else None
    report["refreshed"] = refreshed
    _save(path, report_json(report))
