"""What a run reports: one result per document, the run's figures, report.json."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from pipeline import __version__
from pipeline.errors import PipelineError
from pipeline.run.atomic import atomic_write_bytes
from pipeline.run.faults import environment_fault


@dataclass
class DocResult:
    id: str
    file: str
    status: str  # ok | failed | skipped
    error: dict[str, str] | None = None
    output: str | None = None
    output_sha256: str | None = None
    input_sha256: str = ""
    notes: list[dict[str, str]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    engines: list[str] = field(default_factory=list)
    applications: list[dict[str, Any]] = field(default_factory=list)

    def fail(self, stage: str, exc: BaseException) -> None:
        """This document failed at ``stage``: the pipeline's own code, else ``internal``.

        A fault of the run's environment (disk full, unusable cache, missing engine) is
        not the document's: it is raised as a :class:`RunFault` instead, and stops the run.
        """
        fault = environment_fault(exc, stage)
        if fault is not None:
            raise fault from exc
        code = exc.code if isinstance(exc, PipelineError) else "internal"
        message = str(exc) if isinstance(exc, PipelineError) else f"{type(exc).__name__}: {exc}"
        self.status = "failed"
        self.error = {"stage": stage, "code": code, "message": message}


DOC_FIELDS = fields(DocResult)


@dataclass
class RunReport:
    documents: list[DocResult]
    engines: dict[str, str]
    load_seconds: dict[str, float]
    stage_seconds: dict[str, float]
    validation: dict[str, Any]
    corpus: str | None
    wall_seconds: float
    applications: list[dict[str, Any]] = field(default_factory=list)
    #: Entries of the input folders that were not read, with the reason.
    skipped_inputs: list[dict[str, str]] = field(default_factory=list)
    inputs: list[dict[str, Any]] = field(default_factory=list)  # format, skipped records
    #: documents pruned (their input is gone), and kept although their input is gone
    removed: list[dict[str, str]] = field(default_factory=list)
    gone: list[dict[str, str]] = field(default_factory=list)
    refreshed: list[str] = field(default_factory=list)  # "view", "exports"
    #: why an engine other than the preferred one was chosen (stanza incomplete -> spaCy)
    engine_notes: dict[str, str] = field(default_factory=dict)
    #: What the run did about its own state: a lock taken over, a cache or manifest set
    #: aside and rebuilt, a hand-edited TEI file kept aside.
    notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[DocResult]:
        return [d for d in self.documents if d.status == "failed"]

    def exit_status(self) -> int:
        return 1 if self.failed or self.validation.get("problems") else 0


def report_dict(report: RunReport, out: Path | None = None) -> dict[str, Any]:
    """The report as JSON data; with ``out``, output paths relative to the output folder."""
    counts = {s: sum(1 for d in report.documents if d.status == s)
              for s in ("ok", "failed", "skipped", "kept")}

    def rel(path: str | None) -> str | None:
        return os.path.relpath(path, out) if path and out is not None else path

    # Shallow: the fields are JSON data already, and asdict's deep copy of 10,000
    # documents' notes and applications took 4.3 s.
    documents = [{**{f.name: getattr(d, f.name) for f in DOC_FIELDS}, "output": rel(d.output)}
                 for d in report.documents]
    return {
        "pipeline": {"name": "pipeline", "version": __version__},
        "summary": {"documents": len(report.documents), **counts,
                    "removed": len(report.removed), "wall_seconds": report.wall_seconds},
        "engines": report.engines,
        "engine_notes": report.engine_notes,
        "model_load_seconds": report.load_seconds,
        "stage_seconds": report.stage_seconds,
        "validation": report.validation,
        "corpus": rel(report.corpus),
        "skipped_inputs": report.skipped_inputs,
        "inputs": report.inputs,
        "documents": documents,
        "removed": report.removed,
        "input_gone": report.gone,
        "refreshed": report.refreshed,
        "run_notes": report.notes,
    }


def write_report(report: RunReport, out: Path) -> None:
    """OUTPUT/report.json (atomic)."""
    atomic_write_bytes(out / "report.json", report_json(report_dict(report, out)).encode())


_DOCUMENTS = "\x00documents\x00"  # where the documents go; no report text holds a NUL


def report_json(data: dict[str, Any]) -> str:
    """report.json's text: indented, except that each document is one line. json's indented
    output goes through its Python encoder (10,000 documents: 3.2 s); a line per document
    is json's C encoder, and still a report to read and to grep."""
    head = json.dumps({**data, "documents": _DOCUMENTS}, indent=2, ensure_ascii=False)
    docs = ",\n".join("    " + json.dumps(d, ensure_ascii=False) for d in data["documents"])
    body = f"[\n{docs}\n  ]" if docs else "[]"
    return head.replace(json.dumps(_DOCUMENTS), body, 1) + "\n"
