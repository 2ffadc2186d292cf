"""A run, from inputs to archive: plan, execute, write, corpus, validate, report.

Documents stream through the stages of pipeline/stages/table.py in chunks (so memory stays
bounded and every engine sees batches), run by an executor (pipeline/run/execute.py: in
this process, or in worker processes). Workers get each document's input bytes and return
its TEI bytes and result; this driver writes every file, so a document that fails is
reported and the others go on. Outputs that are up to date (same input bytes, same code,
rules and engines) are skipped without loading any model (pipeline/run/plan.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pipeline.errors import ConfigError
from pipeline.ingest.files import scan
from pipeline.ingest.units import RAW_DIR, raw_path, remove_raw
from pipeline.run.atomic import (
    OutputBusy,
    atomic_write_bytes,
    output_lock,
    safe_output_dir,
    signals_deferred,
    sweep_temp_files,
)
from pipeline.run.context import process_engines, run_info_for
from pipeline.run.corpus import corpus_changed, good_outputs, remove_corpus, write_corpus
from pipeline.run.execute import Executor, choose_executor
from pipeline.run.faults import (
    RunFault,
    Streak,
    environment_fault,
    keep_earlier,
    terminate_as_interrupt,
)
from pipeline.run.folder import reconcile, refresh_derived
from pipeline.run.manifest import Manifest
from pipeline.run.parallel import cores
from pipeline.run.plan import Plan, config_fingerprint, ingest_options, make_plan, sha256_file
from pipeline.run.progress import stage_progress
from pipeline.run.report import DocResult, RunReport, write_report
from pipeline.run.settings import Settings
from pipeline.run.validation import SchemaCheck, validate_outputs
from pipeline.run.worker import ChunkResult, Job, Task, make_task
from pipeline.stages.table import OPTIONAL, TABLE, USER_STAGES
from pipeline.tei.validate import FileCheck

__all__ = ["OPTIONAL", "STAGES", "DocResult", "RunReport", "Settings", "decide_jobs", "run"]
#: The stages a user selects, in order (the command line's --stages).
STAGES = USER_STAGES


def decide_jobs(settings: Settings, n_todo: int) -> int:
    """Two workers pay off only when there is enough work to hide a second model load."""
    if settings.jobs > 0:
        return settings.jobs
    return max(1, min(cores(), 2)) if n_todo >= 4 * settings.chunk_size else 1


def run(settings: Settings, executor: Executor | None = None) -> RunReport:
    """Process the inputs into settings.output; see the module docstring.

    ``executor``: where the work runs (default: :func:`choose_executor` from settings.jobs
    and the amount of work). The output folder is locked for the run (a second run into
    it is refused, exit 2), and temporary files a killed run left there are removed first.
    """
    for stage in settings.stages:
        if stage not in USER_STAGES:
            raise ConfigError(f"unknown stage {stage!r}; stages are {', '.join(USER_STAGES)}")
    found = scan(settings.inputs, settings.follow_symlinks)
    if not found.paths:  # said before the output folder is made: nothing is created
        skipped = "; ".join(f"{p}: {why}" for p, why in found.skipped[:5])
        raise ConfigError(f"no input files found in {', '.join(settings.inputs)}"
                          + (f" (skipped {skipped})" if skipped else ""))
    ingest_options(settings).check()  # a bad sidecar table or --json-fields: before any write
    out = safe_output_dir(settings.output)
    notes: list[str] = []
    try:
        with output_lock(out, notes) as locked, terminate_as_interrupt():
            if locked:
                sweep_temp_files(out)
                if settings.cache_dir is not None:
                    sweep_temp_files(settings.cache_dir)
            try:
                return _run(settings, executor, notes)
            except BaseException:  # a run fault or a signal: no temporary file stays
                if locked:
                    sweep_temp_files(out)
                raise
    except OutputBusy as exc:
        raise ConfigError(str(exc)) from exc
    except OSError as exc:  # writing the manifest, the corpus, the report...
        fault = environment_fault(exc, "run") if exc.errno is not None else None
        if fault is None:
            raise
        raise fault from exc


def chunk_sizes(total: int, size: int, workers: int) -> Iterator[int]:
    """Chunks of ``size`` documents, smaller towards the end of the run.

    Each chunk holds at most a share (1 / 2 workers) of what is left, and no fewer than
    :data:`SMALLEST_CHUNK`: the last chunks, where one worker may finish while the other
    still works, are short, so no core waits long at the end (guided scheduling). On one
    worker the chunks stay whole. Which documents share a chunk never changes the output.
    """
    left = total
    while left > 0:
        n = size if workers <= 1 else max(min(size, -(-left // (2 * workers))),
                                          min(SMALLEST_CHUNK, size))
        n = min(n, left)
        yield n
        left -= n


#: The smallest chunk of the run's end (a chunk's fixed cost is a few milliseconds).
SMALLEST_CHUNK = 4


def _chunks(plan: Plan, size: int, workers: int) -> Iterator[list[Task]]:
    start = 0
    for n in chunk_sizes(len(plan.todo), size, workers):
        yield [make_task(item, plan.options) for item in plan.todo[start : start + n]]
        start += n


def _run(settings: Settings, executor: Executor | None, notes: list[str]) -> RunReport:
    started = time.perf_counter()
    out = safe_output_dir(settings.output)
    tei_dir = safe_output_dir(out / "tei")
    specs = process_engines().resolve(settings)
    config = config_fingerprint(settings, specs.fingerprints())
    manifest = Manifest(settings.cache_root / "manifest.json", notes)
    if specs.has("mt"):
        notes.extend(_check_cache(settings.cache_root / "mt.sqlite"))
    plan = make_plan(settings, tei_dir, manifest, config, notes)
    manifest.mark_pending([item.id for item in plan.todo])
    results: dict[str, DocResult] = dict(plan.skipped)
    stage_seconds: dict[str, float] = {}
    job = Job(settings, specs.fingerprints())
    executor = executor or choose_executor(decide_jobs(settings, len(plan.todo)), settings)
    file_checks: dict[str, FileCheck] = {}
    load_seconds = _execute(executor, job, plan, manifest, config, results, stage_seconds,
                            file_checks)
    notes.extend(process_engines().cache_notes())
    ordered = [results[u.id] for u in plan.units]
    _remove_stale(ordered, out, tei_dir)
    # Runs accumulate: the articles of earlier runs stay (--prune drops those whose input
    # is gone), and the corpus, report and views describe every file of tei/.
    folder = reconcile(tei_dir, manifest.documents, {r.id for r in ordered}, settings.prune)
    ordered += folder.kept
    validation, refreshed = _archive(settings, plan, ordered, out, manifest, stage_seconds,
                                     executor.schema_checks(), file_checks)
    corpus_path = out / "corpus.xml"
    report = RunReport(
        documents=ordered,
        engines=specs.in_order(),
        engine_notes=specs.notes(),
        load_seconds=load_seconds,
        stage_seconds=stage_seconds,
        validation=validation,
        corpus=str(corpus_path) if corpus_path.exists() else None,
        wall_seconds=round(time.perf_counter() - started, 3),
        skipped_inputs=plan.skipped_inputs,
        inputs=plan.inputs,
        removed=folder.removed, gone=folder.gone, refreshed=refreshed, notes=notes,
    )
    write_report(report, out)
    return report


def _execute(executor: Executor, job: Job, plan: Plan, manifest: Manifest, config: str,
             results: dict[str, DocResult], stage_seconds: dict[str, float],
             file_checks: dict[str, FileCheck]) -> dict[str, float]:
    """Run the plan's work through an executor; write each chunk's files as it comes back."""
    settings = job.settings
    load_seconds: dict[str, float] = {}
    progress = stage_progress([s.name for s in TABLE], len(plan.todo),
                              quiet=settings.verbosity < 0)
    streak = Streak()  # many documents in a row failing alike: the run's fault
    chunks = executor.map_chunks(_chunks(plan, settings.chunk_size, executor.jobs), job,
                                 progress.update)
    try:
        for chunk in chunks:
            _absorb(chunk, plan, manifest, config, results, stage_seconds, streak)
            file_checks.update(chunk.checks)
            for name, secs in chunk.load_seconds.items():
                load_seconds[name] = max(load_seconds.get(name, 0.0), secs)
    except BaseException:  # a run fault, Ctrl-C, SIGTERM: what is finished is recorded
        manifest.save()
        raise
    finally:
        close = getattr(chunks, "close", None)  # a generator: stops its workers at once
        if close is not None:
            close()
        progress.close()
    if 2 <= len(plan.todo) == streak.count:  # a small run whose every document failed alike
        raise streak.fault()
    return load_seconds


def _absorb(chunk: ChunkResult, plan: Plan, manifest: Manifest, config: str,
            results: dict[str, DocResult], stage_seconds: dict[str, float],
            streak: Streak) -> None:
    """Write the chunk's files (atomic), record its results, save the manifest.

    A document failing with an internal error keeps its earlier output; a streak of them
    stops the run once the manifest is saved (nothing removed).
    """
    fault: RunFault | None = None
    for r in chunk.results:
        # Ctrl-C or SIGTERM waits until the file written is recorded: a stopped run's
        # rerun then skips it (a signal between the two used to cost that document).
        with signals_deferred():
            data = chunk.tei.get(r.id)
            if r.status == "ok" and data is not None:
                _write_output(r, plan.tei_dir / f"{r.id}.xml", data, chunk.raw.get(r.id))
            fault = fault or streak.add(r.status, r.error)
            keep_earlier(r, manifest.previous.get(r.id, {}), plan.tei_dir)
            results[r.id] = r
            for k, v in r.timings.items():
                stage_seconds[k] = round(stage_seconds.get(k, 0.0) + v, 4)
            manifest.record(r, config, plan.states[r.id], plan.sources.get(r.id))
    if fault is not None:
        manifest.save()  # what this run finished is recorded before it stops
        raise fault
    manifest.save_if_due()


def _write_output(result: DocResult, path: Path, data: bytes,
                  raw: tuple[bytes, str] | None) -> None:
    """The raw page or record beside the TEI (written first), then the TEI file."""
    t0 = time.perf_counter()
    try:
        if raw is not None:
            base = path.parent.parent
            safe_output_dir(base / RAW_DIR)
            atomic_write_bytes(base / raw_path(result.id, raw[1]), raw[0])
        atomic_write_bytes(path, data)
    except OSError as exc:  # disk full, read-only...: raised as the run's fault by fail()
        result.fail("tei", exc)
        return
    finally:
        result.timings["tei"] = round(result.timings.get("tei", 0.0)
                                      + time.perf_counter() - t0, 4)
    result.output = str(path)
    result.output_sha256 = sha256_file(path)


def _remove_stale(ordered: list[DocResult], out: Path, tei_dir: Path) -> None:
    """A document that fails now by its own content leaves no output of an earlier run
    behind (one failing by the pipeline's fault keeps it: its ``output`` is set)."""
    for r in ordered:
        stale = tei_dir / f"{r.id}.xml"
        if r.status == "failed" and not r.output and stale.is_file() \
                and not stale.is_symlink():
            stale.unlink()
            remove_raw(out, r.id)
            if r.error:
                r.error["message"] += f" (its earlier output tei/{stale.name} was removed)"


def _check_cache(path: Path) -> list[str]:
    """Open the translation cache once before any work: a damaged one is set aside here,
    in the main process, before workers share it."""
    from pipeline.stages.translate import TranslationCache

    cache = TranslationCache(path)
    cache.close()
    process_engines().forget_cache(path, cache)
    return cache.notes


def _archive(settings: Settings, plan: Plan, ordered: list[DocResult], out: Path,
             manifest: Manifest, stage_seconds: dict[str, float],
             remote: Mapping[str, SchemaCheck], file_checks: Mapping[str, FileCheck],
             ) -> tuple[dict[str, Any], list[str]]:
    """The corpus root, validation and the derived views, when selected and changed."""
    good = good_outputs(ordered)
    corpus_path = out / "corpus.xml"
    changed = corpus_changed(manifest, corpus_path, good, bool(plan.todo))
    if "corpus" in settings.stages and good and changed:
        stage_seconds["corpus"] = write_corpus(ordered, good, corpus_path,
                                               run_info_for(settings.environment), manifest)
    elif "corpus" in settings.stages and not good and corpus_path.is_file():
        remove_corpus(corpus_path, manifest)
    validation: dict[str, Any] = manifest.get("validation", {})
    if "validate" in settings.stages and good:
        validation, seconds = validate_outputs(ordered, good, corpus_path, manifest, changed,
                                               remote, file_checks)
        if seconds is not None:
            stage_seconds["validate"] = seconds
        manifest.set("validation", validation)
    manifest.save()
    shas = {r.output: r.output_sha256 for r in ordered if r.output and r.output_sha256}
    return validation, refresh_derived(out, good, shas) if changed else []
