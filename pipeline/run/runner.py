"""Ordering, caching, progress, errors and parallelism of a run.

Documents stream through the stages in chunks (so memory stays bounded and every
engine sees batches); each chunk runs clean -> analyse -> translate -> analyse the
translation -> link -> TEI. A document that fails is reported and dropped from its
chunk; the others go on. Outputs that are up to date (same input bytes, same code,
rules and engines) are skipped without loading any model.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline import __version__
from pipeline.document import Application, Document, Note
from pipeline.engines.registry import EngineSpec, choose_annotator, choose_translator
from pipeline.errors import ConfigError, PipelineError
from pipeline.run.atomic import (
    OutputBusy,
    atomic_write_bytes,
    output_lock,
    safe_output_dir,
    sweep_temp_files,
)
from pipeline.run.progress import stage_progress
from pipeline.stages.limits import bounded

#: Processing stages in order; tei, corpus and validate make the archive.
STAGES = ("clean", "analyse", "translate", "link", "tei", "corpus", "validate")
OPTIONAL = ("analyse", "translate", "link", "validate")
PACKAGE_DIR = Path(__file__).parent.parent


@dataclass
class Settings:
    inputs: list[str]
    output: Path
    stages: tuple[str, ...] = STAGES
    mt: str = "auto"
    ner: str = "auto"
    fr_model: str | None = None
    en_model: str | None = None
    force: bool = False
    jobs: int = 0  # 0: decide from the amount of work
    chunk_size: int = 32
    verbosity: int = 0  # -1 quiet, 0 normal, 1 verbose
    cache_dir: Path | None = None  # default: OUTPUT/.cache
    follow_symlinks: bool = False  # read links in input folders that point outside them
    json_fields: str = ""  # --json-fields text=body,url=link
    metadata: Path | None = None  # --metadata FILE.csv (default: metadata.csv in an input folder)
    prune: bool = False  # drop articles of earlier runs whose input file is gone


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


# ---------------------------------------------------------------- engines (one per process)

_ENGINES: dict[str, Any] = {}
_LOAD_TIMES: dict[str, float] = {}
#: Threads an MT engine may use in this process (None: its own default). Worker processes
#: get 1: with one worker per core, engine threads on top only compete for the cores.
_MT_THREADS: int | None = None


def _init_worker(mt_threads: int) -> None:
    global _MT_THREADS
    _MT_THREADS = mt_threads


def _engine(spec: EngineSpec, key: str) -> Any:
    """Load an engine the first time a stage needs it, once per process."""
    if key not in _ENGINES:
        t0 = time.perf_counter()
        _ENGINES[key] = spec.factory()
        if key == "mt" and _MT_THREADS is not None and hasattr(_ENGINES[key], "workers"):
            _ENGINES[key].workers = _MT_THREADS
        _LOAD_TIMES[key] = round(time.perf_counter() - t0, 3)
    return _ENGINES[key]


def resolve_engines(settings: Settings) -> dict[str, EngineSpec]:
    """Pick engines for the selected stages (ConfigError, exit 2, when one is missing)."""
    specs: dict[str, EngineSpec] = {}
    if "analyse" in settings.stages:
        specs["nlp-fr"] = choose_annotator(settings.ner, "fr", settings.fr_model)
    if "translate" in settings.stages:
        specs["mt"] = choose_translator(settings.mt)
        if "analyse" in settings.stages:
            specs["nlp-en"] = choose_annotator(settings.ner, "en", settings.en_model)
    elif "analyse" in settings.stages:
        # English originals are analysed too; without the model they are kept as text.
        try:
            specs["nlp-en"] = choose_annotator(settings.ner, "en", settings.en_model)
        except ConfigError:
            pass
    return specs


_SPECS: dict[tuple[Any, ...], dict[str, EngineSpec]] = {}


def _resolved(settings: Settings) -> dict[str, EngineSpec]:
    """resolve_engines once per process (it runs dpkg-query and hashes model files)."""
    key = (tuple(settings.stages), settings.mt, settings.ner, settings.fr_model,
           settings.en_model)
    if key not in _SPECS:
        _SPECS[key] = resolve_engines(settings)
    return _SPECS[key]


#: Languages an original can be analysed in, with the engine key that analyses it.
ANALYSED_LANGS = {"fr": "nlp-fr", "en": "nlp-en"}


# ---------------------------------------------------------------- fingerprints and cache


def code_fingerprint() -> str:
    """Hash of the package's code and data: a change of rules or code makes outputs stale."""
    h = hashlib.sha256(__version__.encode())
    for f in sorted(PACKAGE_DIR.rglob("*")):
        if f.is_file() and f.suffix in (".py", ".toml") and "__pycache__" not in f.parts:
            h.update(f.relative_to(PACKAGE_DIR).as_posix().encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def config_fingerprint(settings: Settings, specs: dict[str, EngineSpec]) -> str:
    data = {
        "code": code_fingerprint(),
        "stages": list(settings.stages),
        "engines": {k: v.fingerprint for k, v in sorted(specs.items())},
        "epoch": os.environ.get("SOURCE_DATE_EPOCH", ""),
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def _sha256_file(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


# ---------------------------------------------------------------- per-chunk work


@dataclass
class WorkItem:
    path: str
    id: str
    out: str
    duplicate_of: str | None = None
    unit: Any = None  # pipeline.ingest.units.Unit: which document of the file, its format
    rel: str = ""  # the path the TEI records: relative to the input root (run/folder.py)


def _stage(name: str, docs: list[Document], results: dict[str, DocResult],
           fn: Callable[[list[Document]], None]) -> list[Document]:
    """Run a batched stage; if the batch fails, retry one by one to isolate the culprit."""
    if not docs:
        return docs
    t0 = time.perf_counter()
    try:
        fn(docs)
        ok = docs
    except Exception:
        ok = []
        for doc in docs:
            try:
                fn([doc])
                ok.append(doc)
            except Exception as exc:  # any failure is this document's
                _fail(results[doc.id], name, exc)
    share = (time.perf_counter() - t0) / len(docs)
    for doc in docs:
        results[doc.id].timings[name] = round(share, 4)
    return ok


def _fail(result: DocResult, stage: str, exc: BaseException) -> None:
    code = exc.code if isinstance(exc, PipelineError) else "internal"
    message = str(exc) if isinstance(exc, PipelineError) else f"{type(exc).__name__}: {exc}"
    result.status = "failed"
    result.error = {"stage": stage, "code": code, "message": message}


def process_chunk(items: list[WorkItem], settings: Settings,
                  on_stage: Callable[[str, int], None] | None = None) -> list[DocResult]:
    """Run every stage over one chunk of documents; never raises for a document's fault."""
    from pipeline.ingest import units as ingest
    from pipeline.ingest.files import id_note
    from pipeline.stages import analyse, clean, link, translate
    from pipeline.tei import codec as tei

    specs = _resolved(settings)
    results = {it.id: DocResult(it.id, it.unit.label, "ok") for it in items}
    docs: list[Document] = []
    raws: dict[str, tuple[bytes, str]] = {}
    options = ingest_options(settings)
    rules = _engine(EngineSpec("clean", "rules", "", clean.load_rules), "rules")
    t0 = time.perf_counter()
    for it in items:
        res = results[it.id]
        try:
            loaded = ingest.load(it.unit, options)
            source = loaded.source
            res.input_sha256 = source.sha256
            source.path = it.rel or source.path
            source.duplicate_of = it.duplicate_of
            doc = Document(id=it.id, source=source)
            if it.unit.format == "text":
                doc.notes.extend(n for n in [id_note(Path(it.path), it.id)] if n is not None)
            doc.notes.extend(loaded.notes)
            if it.duplicate_of:
                doc.notes.append(Note("duplicate", f"same bytes as {it.duplicate_of}"))
            clean.clean(doc, loaded.text, ingest.cleaning_rules(rules, loaded))
            ingest.apply_known(doc, loaded)
            doc.removed[:0] = loaded.removed
            if loaded.raw is not None:
                raws[doc.id] = (loaded.raw, loaded.raw_suffix)
                doc.source.raw = "../" + ingest.raw_path(doc.id, loaded.raw_suffix)
            for para in doc.original.paragraphs:
                if not para.id.startswith(doc.id):
                    para.id = f"{doc.id}.{doc.original.lang}.{para.id}"
            _language_notes(doc, settings, specs)
            docs.append(doc)
        except Exception as exc:  # DocumentError or a bug: reported, never raised
            _fail(res, "clean", exc)
        res.timings["clean"] = round(time.perf_counter() - t0, 4)
        t0 = time.perf_counter()
    if on_stage:
        on_stage("clean", len(items))

    def run(name: str, selected: bool, fn: Callable[[list[Document]], None],
            subset: Callable[[Document], bool] = lambda d: True) -> None:
        nonlocal docs
        if selected:
            chosen = [d for d in docs if subset(d)]
            kept = set(id(d) for d in _stage(name, chosen, results, fn))
            docs = [d for d in docs if not subset(d) or id(d) in kept]
        if on_stage:
            on_stage(name, len(items))

    want = set(settings.stages)
    source_is_fr = lambda d: d.original.lang == "fr"  # noqa: E731 - only French is translated

    def analyse_originals(ds: list[Document]) -> None:
        for lang, key in ANALYSED_LANGS.items():  # each language with its own model
            group = [d for d in ds if d.original.lang == lang]
            if group:
                analyse.analyse_original(group, bounded(_engine(specs[key], key)))

    run("analyse", "analyse" in want and "nlp-fr" in specs, analyse_originals,
        lambda d: ANALYSED_LANGS.get(d.original.lang) in specs)
    run("translate", "translate" in want,
        lambda ds: translate.translate(ds, _engine(specs["mt"], "mt"), _cache(settings)),
        source_is_fr)
    run("analyse-en", "translate" in want and "nlp-en" in specs,
        lambda ds: analyse.analyse_translation(ds, bounded(_engine(specs["nlp-en"], "nlp-en"))),
        lambda d: d.translation is not None)
    def link_all(ds: list[Document]) -> None:
        for d in ds:
            link.link(d)

    run("link", "link" in want, link_all)
    run_info = run_info_for()
    by_id = {it.id: it for it in items}

    def write(ds: list[Document]) -> None:
        for d in ds:
            out = Path(by_id[d.id].out)
            if d.id in raws:  # the raw page or record beside the TEI, written first
                raw, suffix = raws[d.id]
                safe_output_dir(out.parent.parent / ingest.RAW_DIR)
                atomic_write_bytes(out.parent.parent / ingest.raw_path(d.id, suffix), raw)
            tei.write_tei(d, out, run=run_info)
            results[d.id].output = str(out)
            results[d.id].output_sha256 = _sha256_file(out)

    run("tei", True, write)
    for d in docs:
        r = results[d.id]
        r.notes = [asdict(n) for n in d.notes]
        r.engines = [f"{a.ident} {a.version}" for a in d.apps]
        r.applications = [asdict(a) for a in d.apps]
    return [results[it.id] for it in items]


def ingest_options(settings: Settings) -> Any:
    """How inputs are read: JSON field names and the sidecar metadata tables."""
    from pipeline.ingest import sidecar
    from pipeline.ingest.units import Options

    tables = sidecar.tables_for(settings.inputs, settings.metadata)
    return Options(settings.json_fields, tuple(str(t) for t in tables))


def _language_notes(doc: Document, settings: Settings, specs: dict[str, EngineSpec]) -> None:
    """Say what a non-French original gets: no translation; analysis only with a model."""
    lang = doc.original.lang
    if lang == "fr":
        return
    if "translate" in settings.stages:
        doc.notes.append(Note("not-translated", f"the article is in {lang}, not French: "
                                                "kept as it is, not translated"))
    if "analyse" in settings.stages and ANALYSED_LANGS.get(lang) not in specs:
        doc.notes.append(Note("not-analysed", f"no analysis model for {lang}: kept as text "
                                              "only (no sentences, tokens or entities)"))


def run_info_for() -> Any:
    """The run's date: SOURCE_DATE_EPOCH when set (byte-identical outputs), else today.

    Today is cut to the day so that reruns on one day still give identical files.
    """
    from pipeline.tei import codec as tei

    def today() -> datetime:
        return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)

    return tei.RunInfo.from_environment(command="pipeline run", version=__version__,
                                        clock=today)


_CACHES: dict[str, Any] = {}


def _cache(settings: Settings) -> Any:
    from pipeline.stages.translate import TranslationCache

    path = (settings.cache_dir or settings.output / ".cache") / "mt.sqlite"
    key = str(path)
    if key not in _CACHES:
        _CACHES[key] = TranslationCache(path)
    return _CACHES[key]


def _worker_chunk(items: list[WorkItem], settings: Settings) -> tuple[list[DocResult],
                                                                         dict[str, float]]:
    results = process_chunk(items, settings)
    return results, dict(_LOAD_TIMES)


# ---------------------------------------------------------------- the run


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

    @property
    def failed(self) -> list[DocResult]:
        return [d for d in self.documents if d.status == "failed"]

    def exit_status(self) -> int:
        return 1 if self.failed or self.validation.get("problems") else 0


def _chunks(items: list[WorkItem], size: int) -> Iterator[list[WorkItem]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def decide_jobs(settings: Settings, n_todo: int) -> int:
    """Two workers pay off only when there is enough work to hide a second model load."""
    if settings.jobs > 0:
        return settings.jobs
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cores or 1, 2)) if n_todo >= 4 * settings.chunk_size else 1


def run(settings: Settings) -> RunReport:
    """Process the inputs into settings.output; see the module docstring.

    The output folder is locked for the run (a second run into it is refused, exit 2),
    and temporary files a killed run left there are removed first.
    """
    from pipeline.ingest.files import scan

    for stage in settings.stages:
        if stage not in STAGES:
            raise ConfigError(f"unknown stage {stage!r}; stages are {', '.join(STAGES)}")
    found = scan(settings.inputs, settings.follow_symlinks)
    if not found.paths:  # said before the output folder is made: nothing is created
        skipped = "; ".join(f"{p}: {why}" for p, why in found.skipped[:5])
        raise ConfigError(f"no input files found in {', '.join(settings.inputs)}"
                          + (f" (skipped {skipped})" if skipped else ""))
    out = safe_output_dir(settings.output)
    try:
        with output_lock(out) as locked:
            if locked:
                sweep_temp_files(out)
                if settings.cache_dir is not None:
                    sweep_temp_files(settings.cache_dir)
            return _run(settings)
    except OutputBusy as exc:
        raise ConfigError(str(exc)) from exc


def _run(settings: Settings) -> RunReport:
    from pipeline.ingest.files import relative_paths, relative_to_root, scan
    from pipeline.ingest.units import describe_inputs, plan, remove_raw
    from pipeline.run.folder import reconcile, refresh_derived, source_records
    from pipeline.tei import codec as tei

    started = time.perf_counter()
    for stage in settings.stages:
        if stage not in STAGES:
            raise ConfigError(f"unknown stage {stage!r}; stages are {', '.join(STAGES)}")
    out = safe_output_dir(settings.output)
    tei_dir = safe_output_dir(out / "tei")
    inputs = scan(settings.inputs, settings.follow_symlinks)
    paths = inputs.paths
    if not paths:
        raise ConfigError("no input files found")
    specs = resolve_engines(settings)
    config_fp = config_fingerprint(settings, specs)
    manifest_path = (settings.cache_dir or out / ".cache") / "manifest.json"
    manifest = _load_json(manifest_path)
    docs_manifest: dict[str, Any] = manifest.get("documents", {})
    options = ingest_options(settings)
    rels = relative_paths(paths)  # spelling-independent: labels, cache keys
    units, formats_in = plan(paths, options)  # one per file, WARC record or JSON record
    units = [replace(u, label=rels[Path(u.path)] + u.label[len(u.path):]) for u in units]
    for summary in formats_in:
        summary.file = rels.get(Path(summary.file), summary.file)
    sources = source_records(units)

    seen_hashes: dict[str, str] = {}
    states: dict[str, str] = {}
    todo: list[WorkItem] = []
    results: dict[str, DocResult] = {}
    for unit in units:
        doc_id = unit.id
        out_path = tei_dir / f"{doc_id}.xml"
        if out_path.parent != tei_dir or not doc_id.startswith("art-"):  # ids are slugs
            raise ConfigError(f"internal: id {doc_id!r} would leave {tei_dir}")
        digest = unit.sha256  # streamed: bounded memory whatever the file's size
        state = states[doc_id] = unit.state(options)
        dup = seen_hashes.setdefault(digest, doc_id) if digest and not unit.error else None
        item = WorkItem(unit.path, doc_id, str(out_path), dup if dup != doc_id else None, unit,
                        rels[Path(unit.path)])
        entry = docs_manifest.get(doc_id, {})
        up_to_date = (
            not settings.force
            and entry.get("input") == state
            and entry.get("config") == config_fp
            and entry.get("file") == unit.label
            and entry.get("status") == "ok"
            and _sha256_file(out_path) == entry.get("output")
        )
        if up_to_date:
            results[doc_id] = DocResult(doc_id, unit.label, "skipped", output=str(out_path),
                                        output_sha256=entry["output"], input_sha256=digest,
                                        notes=entry.get("notes", []),
                                        engines=entry.get("engines", []),
                                        applications=entry.get("applications", []))
        else:
            todo.append(item)

    stage_seconds: dict[str, float] = {}
    load_seconds: dict[str, float] = {}
    quiet = settings.verbosity < 0
    progress_stages = ("clean", "analyse", "translate", "analyse-en", "link", "tei")
    progress = stage_progress(progress_stages, len(todo), quiet=quiet)

    def on_stage(name: str, n: int) -> None:
        progress.update(name, n)

    def absorb(chunk_results: list[DocResult]) -> None:
        for r in chunk_results:
            results[r.id] = r
            for k, v in r.timings.items():
                stage_seconds[k] = round(stage_seconds.get(k, 0.0) + v, 4)
            docs_manifest[r.id] = {
                "file": r.file, **sources.get(r.id, {}), "input": states[r.id],
                "config": config_fp, "status": r.status,
                "output": r.output_sha256, "notes": r.notes, "engines": r.engines,
                "applications": r.applications,
            }
        manifest["documents"] = docs_manifest
        _save_json(manifest_path, manifest)

    jobs = decide_jobs(settings, len(todo))
    if jobs == 1:
        loaded_before = set(_LOAD_TIMES)  # engines an earlier run in this process loaded
        for chunk in _chunks(todo, settings.chunk_size):
            absorb(process_chunk(chunk, settings, on_stage))
        load_seconds.update({k: v for k, v in _LOAD_TIMES.items() if k not in loaded_before})
    else:
        with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker,
                                 initargs=(1,)) as pool:
            futures = [pool.submit(_worker_chunk, c, settings)
                       for c in _chunks(todo, settings.chunk_size)]
            for fut in futures:
                chunk_results, loads = fut.result()
                absorb(chunk_results)
                for name, secs in loads.items():
                    load_seconds[name] = max(load_seconds.get(name, 0.0), secs)
                for name in progress_stages:
                    progress.update(name, len(chunk_results))
    progress.close()

    ordered = [results[u.id] for u in units]
    for r in ordered:  # a document that fails now leaves no output of an earlier run behind
        stale = tei_dir / f"{r.id}.xml"
        if r.status == "failed" and stale.is_file() and not stale.is_symlink():
            stale.unlink()
            remove_raw(out, r.id)
            if r.error:
                r.error["message"] += f" (its earlier output tei/{stale.name} was removed)"
    # Runs accumulate: the articles of earlier runs stay (--prune drops those whose input
    # is gone), and the corpus, report and views describe every file of tei/.
    folder = reconcile(tei_dir, docs_manifest, {r.id for r in ordered}, settings.prune)
    ordered += folder.kept
    good = sorted((Path(r.output) for r in ordered if r.status in ("ok", "skipped", "kept")
                   and r.output), key=lambda p: p.name)
    corpus_path = out / "corpus.xml"
    changed = bool(todo) or not corpus_path.exists() or manifest.get("corpus_inputs") != [
        p.name for p in good]
    run_info = run_info_for()
    if "corpus" in settings.stages and good and changed:
        t0 = time.perf_counter()
        # In the corpus's order (the files' names), not the run's: the same tei/ gives the
        # same corpus whichever batch came last.
        listed = sorted((r for r in ordered if r.status in ("ok", "skipped", "kept")
                         and r.output), key=lambda r: Path(r.output or "").name)
        apps = [Application(**a) for r in listed for a in r.applications]
        tei.write_corpus(good, corpus_path, run=run_info, apps=apps)
        stage_seconds["corpus"] = round(time.perf_counter() - t0, 4)
        manifest["corpus_inputs"] = [p.name for p in good]
    elif "corpus" in settings.stages and not good and corpus_path.is_file():
        corpus_path.unlink()  # every article was pruned: no corpus lists them
        manifest.pop("corpus_inputs", None)
    validation: dict[str, Any] = manifest.get("validation", {})
    if "validate" in settings.stages and good:
        state = hashlib.sha256("".join(sorted(
            (r.output_sha256 or "") for r in ordered)).encode()).hexdigest()
        if changed or validation.get("state") != state:
            from pipeline.tei.validate import validate

            t0 = time.perf_counter()
            # Articles validated before and unchanged since are not schema-checked again.
            shas = {r.output: r.output_sha256 for r in ordered if r.output}
            before: dict[str, str] = manifest.get("valid_files", {})
            known = [p for p in good if before.get(str(p)) == shas.get(str(p))]
            fresh = [p for p in good if p not in known]
            problems = validate(fresh + ([corpus_path] if corpus_path.exists() else []),
                                known_valid=known)
            stage_seconds["validate"] = round(time.perf_counter() - t0, 4)
            bad = {p.path for p in problems}
            manifest["valid_files"] = {str(p): shas[str(p)] for p in good
                                       if str(p) not in bad and shas.get(str(p))}
            validation = {"state": state, "files": len(good) + 1,
                          "schema_checked": len(fresh) + 1,
                          "problems": [asdict(p) for p in problems]}
        manifest["validation"] = validation
    _save_json(manifest_path, manifest)
    refreshed = refresh_derived(out, good) if changed else []
    report = RunReport(
        documents=ordered,
        engines={k: v.fingerprint for k, v in specs.items()},
        load_seconds=load_seconds,
        stage_seconds=stage_seconds,
        validation=validation,
        corpus=str(corpus_path) if corpus_path.exists() else None,
        wall_seconds=round(time.perf_counter() - started, 3),
        skipped_inputs=[{"path": relative_to_root(p, paths), "reason": why}
                        for p, why in inputs.skipped],
        inputs=describe_inputs(formats_in),
        removed=folder.removed, gone=folder.gone, refreshed=refreshed,
    )
    atomic_write_bytes(out / "report.json", json.dumps(_report_dict(report, out), indent=2,
                                                       ensure_ascii=False).encode() + b"\n")
    return report


def _report_dict(report: RunReport, out: Path | None = None) -> dict[str, Any]:
    """The report as JSON data; with ``out``, output paths relative to the output folder."""
    counts = {s: sum(1 for d in report.documents if d.status == s)
              for s in ("ok", "failed", "skipped", "kept")}

    def rel(path: str | None) -> str | None:
        return os.path.relpath(path, out) if path and out is not None else path

    documents = [{**asdict(d), "output": rel(d.output)} for d in report.documents]
    return {
        "pipeline": {"name": "pipeline", "version": __version__},
        "summary": {"documents": len(report.documents), **counts,
                    "removed": len(report.removed), "wall_seconds": report.wall_seconds},
        "engines": report.engines,
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
    }


def _load_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _save_json(path: Path, data: dict[str, Any]) -> None:
    safe_output_dir(path.parent)
    # Key order is kept (no sort_keys): what a skipped document brings back from the
    # manifest (its applications' extra fields...) must be what a fresh run makes.
    atomic_write_bytes(path, json.dumps(data, indent=1).encode())
