"""The run's memory between runs (OUTPUT/.cache/manifest.json).

Per document: its input file and bytes, the configuration fingerprint, status, output
checksum, notes and engines, so that an up-to-date document is skipped without loading any
model and still reports what made it. Run-level: the corpus's inputs and the validation state.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from pipeline.run.atomic import atomic_write_bytes, safe_output_dir
from pipeline.run.faults import load_manifest
from pipeline.run.report import DocResult


def dumps(data: Any) -> str:
    """The manifest's JSON: compact, in C (see :meth:`Manifest.save`)."""
    return json.dumps(data, separators=(",", ":"))


class Manifest:
    def __init__(self, path: Path, notes: list[str] | None = None) -> None:
        """Disposable: one that cannot be read or has the wrong shape is set aside with a
        note (appended to ``notes``) and the run starts from an empty one."""
        self.path = path
        self.data = load_manifest(path, notes if notes is not None else [])
        self.documents: dict[str, Any] = self.data.get("documents", {})
        self._saved_at = -float("inf")
        self._save_cost = 0.0
        #: The entries as earlier runs left them (this run's results replace them).
        self.previous: dict[str, Any] = dict(self.documents)

    def mark_pending(self, ids: list[str]) -> None:
        """Entries about to be rewritten: a stopped run may leave their TEI file newer than
        their entry, which is then no hand edit (:func:`pipeline.run.faults.hand_edited`)."""
        for doc_id in ids:
            self.documents[doc_id] = {**self.entry(doc_id), "pending": True}
        if ids:
            self.save()

    def entry(self, doc_id: str) -> dict[str, Any]:
        found = self.documents.get(doc_id, {})
        return found if isinstance(found, dict) else {}

    def record(self, result: DocResult, config: str, state: str,
               source: dict[str, str] | None = None) -> None:
        """``state``: the input's cache key (its bytes and what changes how they are read);
        ``source``: where the input file is on this machine and its sha256 (run/folder.py)."""
        self.documents[result.id] = {
            "file": result.file, **(source or {}), "input": state, "config": config,
            "status": result.status, "output": result.output_sha256, "notes": result.notes,
            "engines": result.engines, "applications": result.applications,
        }

    def get(self, key: str, default: Any) -> Any:
        return self.data.get(key, default)

    def set(self, key: str, value: Any) -> None:
        self.data[key] = value

    def save_if_due(self) -> None:
        """Save, unless the last save is recent for what a save costs (at most ~10 % of the
        driver's time): one save per chunk rewrites the whole manifest, which at 100,000
        documents (~150 MB) would cost more than the documents. A run killed in between
        loses only those records: their documents are computed again."""
        if time.monotonic() - self._saved_at >= 10 * self._save_cost:
            self.save()

    def save(self) -> None:
        t0 = time.monotonic()
        self.data["documents"] = self.documents
        safe_output_dir(self.path.parent)
        # Key order is kept (no sort_keys): what a skipped document brings back from the
        # manifest (its applications' extra fields...) must be what a fresh run makes.
        # Compact: an indented dump goes through json's Python encoder, 8x slower (1,000
        # documents: 0.144 s against 0.018 s a save; a run saves at least three times).
        atomic_write_bytes(self.path, dumps(self.data).encode())
        self._saved_at = time.monotonic()
        self._save_cost = self._saved_at - t0

