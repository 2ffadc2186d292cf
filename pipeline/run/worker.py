"""The work on one chunk of documents, in whatever process an executor runs it.

A worker gets :class:`Task`s (where each document's bytes are: a file, a WARC record or a
JSON line, read by :func:`pipeline.ingest.units.load`) and the run's :class:`Job`; it builds
the documents and runs the stage table over them (pipeline/stages/table.py), and returns each
document's result, its TEI bytes and the raw bytes to keep beside it. It writes nothing: the
driver writes the files. A document's fault is reported in its result, never raised.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pipeline.document import Document, Note
from pipeline.errors import ConfigError
from pipeline.ingest import jsonl, units
from pipeline.ingest.files import id_note
from pipeline.run.context import ChunkContext, ProcessEngines, process_engines
from pipeline.run.plan import WorkItem
from pipeline.run.report import DocResult
from pipeline.run.settings import Settings
from pipeline.stages.table import TABLE, Stage
from pipeline.tei.validate import FileCheck, check_file

#: Called after each stage with its name and the chunk's size (progress bars).
OnStage = Callable[[str, int], None]


@dataclass(frozen=True)
class Task:
    """One document for a worker: which bytes make it, and how to read them."""

    id: str
    unit: units.Unit
    options: units.Options
    duplicate_of: str | None = None
    rel: str = ""  # the path the TEI records (relative to the input root)


@dataclass(frozen=True)
class Job:
    """What every worker of a run needs besides its tasks."""

    settings: Settings
    engines: dict[str, str]  # engine key -> fingerprint, as the driver resolved them


@dataclass
class ChunkResult:
    """What a worker returns for one chunk."""

    results: list[DocResult]
    tei: dict[str, bytes] = field(default_factory=dict)  # document id -> TEI file bytes
    raw: dict[str, tuple[bytes, str]] = field(default_factory=dict)  # id -> (bytes, suffix)
    load_seconds: dict[str, float] = field(default_factory=dict)  # engines it loaded
    #: id -> the article's own checks on its TEI bytes (run with the validate step): the
    #: driver does not parse the file again (pipeline/tei/validate.py, check_file).
    checks: dict[str, FileCheck] = field(default_factory=dict)


def make_task(item: WorkItem, options: units.Options) -> Task:
    assert item.unit is not None
    return Task(item.id, item.unit, options, item.duplicate_of, item.rel)


def process_chunk(tasks: list[Task], job: Job, on_stage: OnStage | None = None,
                  engines: ProcessEngines | None = None) -> ChunkResult:
    """Run every selected stage over one chunk; never raises for a document's fault."""
    ctx = ChunkContext(job.settings, engines or process_engines(), job.engines)
    loads_before = len(ctx.engines.loads)
    results = {t.id: DocResult(t.id, t.unit.label, "ok") for t in tasks}
    with jsonl.lists_kept():  # a JSON list's items: the list parsed once per chunk
        docs = [doc for t in tasks if (doc := _ingest(t, results[t.id], ctx)) is not None]
    for stage in TABLE:
        if stage.selected(ctx):
            docs = _run_stage(stage, docs, ctx, results)
        if on_stage:
            on_stage(stage.name, len(tasks))
    for d in docs:
        r = results[d.id]
        r.notes = [asdict(n) for n in d.notes]
        r.engines = [f"{a.ident} {a.version}" for a in d.apps]
        r.applications = [asdict(a) for a in d.apps]
    raw: dict[str, tuple[bytes, str]] = {}
    for d in docs:
        kept = ctx.loaded[d.id]
        if kept.raw is not None:
            raw[d.id] = (kept.raw, kept.raw_suffix)
    checks = {doc_id: check_file(data, f"{doc_id}.xml") for doc_id, data in ctx.tei.items()
              } if "validate" in job.settings.stages else {}
    return ChunkResult([results[t.id] for t in tasks], ctx.tei, raw,
                       dict(ctx.engines.loads[loads_before:]), checks)


def _ingest(task: Task, result: DocResult, ctx: ChunkContext) -> Document | None:
    """The fresh document: source, notes and raw text (a failure counts as clean's)."""
    t0 = time.perf_counter()
    try:
        loaded = units.load(task.unit, task.options)
    except Exception as exc:  # DocumentError or a bug: reported, never raised
        result.fail("clean", exc)
        result.timings["clean"] = round(time.perf_counter() - t0, 4)
        return None
    source = loaded.source
    result.input_sha256 = source.sha256
    source.path = task.rel or source.path
    source.duplicate_of = task.duplicate_of
    doc = Document(id=task.id, source=source)
    if task.unit.format in ("text", "html"):  # one file, one document: its name gives the id
        doc.notes.extend(n for n in [id_note(Path(task.unit.path), task.id)] if n is not None)
    doc.notes.extend(loaded.notes)
    if task.duplicate_of:
        doc.notes.append(Note("duplicate", f"same bytes as {task.duplicate_of}"))
    if loaded.raw is not None:
        doc.source.raw = "../" + units.raw_path(doc.id, loaded.raw_suffix)
    doc.original.text = loaded.text
    ctx.loaded[doc.id] = loaded
    result.timings["clean"] = round(time.perf_counter() - t0, 4)
    return doc


def _run_stage(stage: Stage, docs: list[Document], ctx: ChunkContext,
               results: dict[str, DocResult]) -> list[Document]:
    """Run one stage over the documents it applies to; the others pass through."""
    chosen = [d for d in docs if stage.applies(d, ctx)]
    if not chosen:
        return docs
    ok = _batched(stage, chosen, ctx, results) if stage.batched else [
        d for d in chosen if _one(stage, d, ctx, results[d.id])]
    kept = {id(d) for d in ok}
    chosen_ids = {id(d) for d in chosen}
    return [d for d in docs if id(d) not in chosen_ids or id(d) in kept]


def _one(stage: Stage, doc: Document, ctx: ChunkContext, result: DocResult) -> bool:
    t0 = time.perf_counter()
    try:
        stage.fn([doc], ctx)
        done = True
    except ConfigError:  # a model that cannot be loaded: the run's fault (exit 2)
        raise
    except Exception as exc:  # any failure is this document's
        result.fail(stage.name, exc)
        done = False
    spent = time.perf_counter() - t0
    result.timings[stage.name] = round(result.timings.get(stage.name, 0.0) + spent, 4)
    return done


def _batched(stage: Stage, docs: list[Document], ctx: ChunkContext,
             results: dict[str, DocResult]) -> list[Document]:
    """The whole batch at once; if it fails, one by one to isolate the culprit.

    A ConfigError (a model that cannot be loaded) is the run's fault, not a document's: it
    stops the run (exit 2).
    """
    t0 = time.perf_counter()
    try:
        stage.fn(docs, ctx)
        ok = docs
    except ConfigError:
        raise
    except Exception:
        ok = []
        for doc in docs:
            try:
                stage.fn([doc], ctx)
                ok.append(doc)
            except Exception as exc:  # any failure is this document's
                results[doc.id].fail(stage.name, exc)
    share = (time.perf_counter() - t0) / len(docs)
    for doc in docs:
        results[doc.id].timings[stage.name] = round(share, 4)
    return ok
