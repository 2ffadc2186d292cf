"""Benchmark: the pipeline against its bare engines, reruns, parallelism, memory, validation.

    python tools/bench.py                    # 100 and 1,000 articles (make bench)
    python tools/bench.py --sizes 100,5000   # other sizes
    python tools/bench.py --quick            # a tiny corpus, for tests (< 1 min)

For each corpus size (articles built by tools/make_corpus.py from the seeds, varied so
caches do not hide the work) it measures, in one run:

1. the bare engines on the pipeline's own inputs (a separate process): spaCy ``nlp.pipe``
   on the French paragraphs, the MT engine on the unique French sentences, spaCy on the
   English sentences; and each installed MT engine (plus argos on a synthetic random model)
   through the translate stage (chunked as the runner does, fresh sqlite cache) against the
   same engine called directly on the same sentences;
2. a cold pipeline run with 1 worker (fresh output and cache): wall time, per-stage time
   (model loading subtracted, reported apart), words/s, peak RSS of the whole process tree;
3. a rerun with nothing changed (should skip all and load no model);
4. a rerun after changing one article (should recompute only that one);
5. a cold run with 2 workers (speed-up against 2.), and the validation time of its files;
6. a cold run on a Dask LocalCluster of 2 workers (``--executor dask -j 2``), side by side
   with the local executor's 1 and 2 workers, and whether its files are byte-identical.

Tables go to stdout and to OUT/results.md, numbers to OUT/results.json (default
output/bench). The machine (CPU, cores, RAM) and load average are recorded: timings are
only comparable on an idle machine.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
#: The package the bench measures: a snapshot copied at the start (see snapshot()), so that
#: edits made while it runs neither mix code versions nor invalidate the rerun's cache.
SRC = Path(os.environ.get("BENCH_SRC") or ROOT)
for p in (ROOT / "tests", ROOT / "tools", SRC):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

import make_corpus  # noqa: E402

EPOCH = "1700000000"
TARGETS = {
    "overhead": 1.10,  # stage time / bare engine time
    "rerun_share": 0.05,  # rerun wall / cold wall
    "speedup": 1.8,  # 1 -> 2 workers, 1,000 articles (issue 19)
    "dask_vs_local": 1.10,  # Dask 2 workers / local 2 workers, wall
    "rss_gb": 3.0,
    "validate_s": 15.0,  # 1,000 TEI files
}


# ---------------------------------------------------------------- machine and processes


def machine() -> dict[str, Any]:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = 0.0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = int(line.split()[1]) / 1024**2
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    versions = {}
    for mod in ("spacy", "ctranslate2", "lxml"):
        try:
            versions[mod] = __import__(mod).__version__
        except Exception:
            versions[mod] = "-"
    apertium = shutil.which("apertium")
    return {
        "cpu": cpu, "cores": cores, "ram_gb": round(ram, 1), "python": platform.python_version(),
        "os": platform.platform(), "apertium": bool(apertium), **versions,
        "loadavg_start": os.getloadavg(),
    }


def run_measured(cmd: list[str], *, env: dict[str, str] | None = None,
                 cwd: Path = ROOT) -> dict[str, Any]:
    """Run a command; wall time and peak RSS of its whole process tree (sampled, psutil)."""
    import psutil

    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    peak = {"sum": 0, "max1": 0, "procs": 0}
    done = threading.Event()

    def sample() -> None:
        try:
            root = psutil.Process(proc.pid)
        except psutil.Error:
            return
        while not done.is_set():
            try:
                procs = [root, *root.children(recursive=True)]
            except psutil.Error:
                break
            rss = []
            for p in procs:
                try:
                    rss.append(p.memory_info().rss)
                except psutil.Error:
                    pass
            if rss:
                peak["sum"] = max(peak["sum"], sum(rss))
                peak["max1"] = max(peak["max1"], max(rss))
                peak["procs"] = max(peak["procs"], len(rss))
            done.wait(1.0)  # 10 Hz over ~50 processes cost ~8 % of a core

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    done.set()
    sampler.join()
    return {
        "rc": proc.returncode, "wall": round(time.perf_counter() - t0, 2),
        "peak_rss_mb": round(peak["sum"] / 2**20), "peak_rss_one_mb": round(peak["max1"] / 2**20),
        "stdout": out[-2000:], "stderr": err[-2000:],
    }


def snapshot(work: Path) -> Path:
    """Copy the pipeline package into work/src; runs import it from there."""
    src = work / "src"
    shutil.rmtree(src, ignore_errors=True)
    shutil.copytree(ROOT / "pipeline", src / "pipeline",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return src


def _env() -> dict[str, str]:
    path = os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "BENCH_SRC": str(SRC),
            "PYTHONPATH": path}


def pipeline_run(corpus: Path, out: Path, jobs: int, extra: list[str] | None = None
                 ) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "pipeline", "run", str(corpus.resolve()),
           "-o", str(out.resolve()), "-q", "--jobs", str(jobs), "--ner", "spacy",
           *(extra or [])]
    res = run_measured(cmd, env=_env(), cwd=SRC)
    try:
        report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        report = {}
    if not report:
        raise SystemExit(f"pipeline run failed (rc {res['rc']}):\n{res['stderr']}")
    summary = report.get("summary", {})
    res.update({
        "summary": summary,
        "load": report.get("model_load_seconds", {}),
        "stages": report.get("stage_seconds", {}),
        "problems": len(report.get("validation", {}).get("problems", []) or []),
    })
    return res


def dask_run(corpus: Path, out: Path, local_out: Path, n: int) -> dict[str, Any]:
    """A cold run on a Dask LocalCluster of 2 workers; same bytes as the local 2-worker run?"""
    shutil.rmtree(out, ignore_errors=True)
    log(f"[{n}] cold run, Dask LocalCluster of 2 workers ...")
    res = pipeline_run(corpus, out, 2, ["--executor", "dask"])
    log(f"[{n}]   {res['wall']} s")
    files = [p.relative_to(local_out) for p in sorted(local_out.glob("tei/*.xml"))]
    res["same_bytes"] = bool(files) and all(
        (out / p).is_file() and (out / p).read_bytes() == (local_out / p).read_bytes()
        for p in [*files, Path("corpus.xml")])
    shutil.rmtree(out, ignore_errors=True)
    return res


def executors_table(r: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """Local 1 and 2 workers and Dask 2 workers side by side, and the targets' rows."""
    c1, c2, d2 = r["cold1"], r.get("cold2"), r.get("dask2")
    rows = [["local, 1 worker", f(c1["wall"], 1), "1.00x", "-", "-"]]
    checks: list[list[Any]] = []
    if c2:
        rows.append(["local, 2 workers", f(c2["wall"], 1), f"{c1['wall'] / c2['wall']:.2f}x",
                     "1.00x", "-"])
    if c2 and d2:
        ratio = d2["wall"] / c2["wall"]
        rows.append(["Dask LocalCluster, 2 workers", f(d2["wall"], 1),
                     f"{c1['wall'] / d2['wall']:.2f}x", f"{ratio:.2f}x",
                     "yes" if d2["same_bytes"] else "NO"])
        checks.append([f"{r['n']}: Dask 2 workers within 10 % of local 2 workers",
                       f"{ratio:.2f}x", ok(ratio <= TARGETS["dask_vs_local"])])
        checks.append([f"{r['n']}: Dask output byte-identical to local", "",
                       ok(d2["same_bytes"])])
    out = ["Executors (cold runs, wall time including start-up, model loading, validation):",
           "", table(["executor", "wall s", "speed-up vs local 1", "vs local 2",
                      "same bytes"], rows), ""]
    return out, checks


# ---------------------------------------------------------------- bare engines (child process)


def _clean_docs(corpus: Path) -> list[Any]:
    """The corpus read and cleaned by the stage table's clean stage, as the runner does."""
    from pipeline.document import Document
    from pipeline.ingest.files import discover, make_ids, read_source
    from pipeline.stages.table import GivenEngines, run_stages

    ctx = GivenEngines()
    paths = discover([str(corpus)])
    ids = make_ids(paths)
    docs = []
    for p in paths:
        source, text = read_source(p)
        doc = Document(id=ids[p], source=source)
        doc.original.text = text
        run_stages([doc], ctx, ("clean",))
        docs.append(doc)
    return docs


def _words(texts: list[str]) -> int:
    return sum(len(t.split()) for t in texts)


def _timed(fn: Any, *args: Any) -> tuple[Any, float]:
    t0 = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t0


def bare(corpus: Path, chunk_size: int, argos: bool) -> dict[str, Any]:
    """Engines called directly on the pipeline's inputs, and the MT stage vs direct MT."""
    from pipeline.document import Sentence
    from pipeline.engines import spacy_nlp
    from pipeline.engines.registry import choose_annotator, choose_translator
    from pipeline.stages import translate
    from pipeline.stages.table import BY_NAME, GivenEngines

    res: dict[str, Any] = {"load": {}}
    docs = [d for d in _clean_docs(corpus) if d.original.lang == "fr"]
    paras = [(d, p) for d in docs for p in d.original.paragraphs]
    texts = [d.original.text[p.start : p.end] for d, p in paras]
    # spaCy, named: with stanza resources on disk "auto" would pick stanza (measured apart).
    ann_fr, res["load"]["nlp-fr"] = _timed(choose_annotator("spacy", "fr").factory)
    sp_docs, t = _timed(lambda: list(ann_fr.nlp.pipe(texts, batch_size=spacy_nlp.BATCH_SIZE)))
    res["analyse"] = {"words": _words(texts), "items": len(texts), "bare_s": t}
    # The pipeline's sentences, from the same spaCy docs (untimed); ids as the stage gives.
    for (_d, para), sd in zip(paras, sp_docs, strict=True):
        para.sentences = []
        spans = [(s.start, s.end) for s in sd.sents]
        merge = getattr(spacy_nlp, "_merge_punct_only", None)
        spans = merge(spans, sd) if merge else spans
        for n, (a, b) in enumerate(spans, 1):
            raw = sd[a:b].text
            text = raw.strip()
            start = sd[a].idx + (len(raw) - len(raw.lstrip())) + para.start
            para.sentences.append(Sentence(id=f"{para.id}.s{n}", start=start,
                                           end=start + len(text), text=text))
    del sp_docs
    res["analyse"]["stage_inproc_s"] = None
    wanted = [s.text for d in docs for s in d.original.sentences()
              if translate.carry_reason(s, "fr") is None]
    unique = sorted(dict.fromkeys(wanted), key=len, reverse=True)
    engines: list[tuple[str, Any, float]] = []
    spec = choose_translator("auto")

    def load_and_warm() -> Any:
        # Start what an engine starts on its first batch (Apertium's long-lived processes,
        # one chain per thread), as the argos model is loaded below: counted as loading.
        engine = spec.factory()
        engine.translate(["Bonjour.", "Merci."])
        return engine

    tr, load = _timed(load_and_warm)
    res["load"]["mt"] = load
    res["mt_engine"] = spec.name
    engines.append((spec.name, tr, load))
    if argos:
        from synthetic_argos import build_package_dir

        from pipeline.engines.argos import ArgosTranslator

        tmp = Path(tempfile.mkdtemp(prefix="bench-argos-"))
        pkg = build_package_dir(tmp / "translate-fr_en-synthetic")
        at = ArgosTranslator(pkg)
        _, load = _timed(lambda: (at._load(), at.translate(["Bonjour."])))
        engines.append(("argos (synthetic)", at, load))
    res["mt"] = []
    for name, engine, load in engines:
        direct_out, direct_s = _timed(engine.translate, unique)
        cache_dir = Path(tempfile.mkdtemp(prefix="bench-mt-"))
        cache = translate.TranslationCache(cache_dir / "mt.sqlite")
        t0 = time.perf_counter()
        ctx = GivenEngines(translator=engine, cache=cache)
        for i in range(0, len(docs), chunk_size):
            BY_NAME["translate"].fn(docs[i : i + chunk_size], ctx)
        stage_s = time.perf_counter() - t0
        cache.close()
        shutil.rmtree(cache_dir, ignore_errors=True)
        res["mt"].append({
            "engine": name, "load_s": load, "sentences": len(wanted), "unique": len(unique),
            "words": _words(wanted), "unique_words": _words(unique),
            "direct_s": direct_s, "stage_s": stage_s,
        })
        if name == spec.name:
            res["translate"] = {"words": _words(wanted), "items": len(unique),
                                "bare_s": direct_s}
            _english(docs, chunk_size, res)
        del direct_out
    res["stanza"] = _stanza(docs, chunk_size)  # last: it replaces the docs' sentences
    return res


def _stanza(docs: list[Any], chunk_size: int) -> dict[str, Any] | None:
    """The stanza backend (analyse stage, in chunks) against stanza.Pipeline called directly
    on the same paragraphs, when stanza's French resources are on disk."""
    from pipeline.engines import stanza_nlp
    from pipeline.stages import analyse

    if not stanza_nlp.is_available("fr"):
        return None
    import stanza

    ann, load = _timed(stanza_nlp.StanzaAnnotator, "fr")
    texts = [d.original.text[p.start : p.end] for d in docs for p in d.original.paragraphs]
    ann.split_and_analyse(texts[:2])  # warm-up, as the other engines get
    _, direct = _timed(lambda: ann.nlp([stanza.Document([], text=t) for t in texts]))
    _, stage = _timed(lambda: [analyse.analyse_original(docs[i : i + chunk_size], ann)
                               for i in range(0, len(docs), chunk_size)])
    return {"load_s": load, "words": _words(texts), "items": len(texts), "direct_s": direct,
            "stage_s": stage, "resources": str(stanza_nlp.resources_dir()),
            "packages": ", ".join(f"{k}={v}" for k, v in sorted(ann.packages.items()))}


def _english(docs: list[Any], chunk_size: int, res: dict[str, Any]) -> None:
    """spaCy English on the translated sentences: nlp.pipe alone, then the stage."""
    from pipeline.engines import spacy_nlp
    from pipeline.engines.registry import choose_annotator
    from pipeline.stages.table import BY_NAME, GivenEngines

    en_texts = [s.text for d in docs if d.translation for s in d.translation.sentences()
                if s.text]
    ann_en, res["load"]["nlp-en"] = _timed(choose_annotator("spacy", "en").factory)
    _, t = _timed(lambda: list(ann_en.nlp.pipe(en_texts, batch_size=spacy_nlp.BATCH_SIZE)))
    res["analyse-en"] = {"words": _words(en_texts), "items": len(en_texts), "bare_s": t}
    ctx = GivenEngines(annotators={"nlp-en": ann_en})
    _, t = _timed(lambda: [BY_NAME["analyse-en"].fn(docs[i : i + chunk_size], ctx)
                           for i in range(0, len(docs), chunk_size)])
    res["analyse-en"]["stage_inproc_s"] = t


def bare_in_child(corpus: Path, chunk_size: int, argos: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "bare.json"
        cmd = [sys.executable, str(Path(__file__).resolve()), "_bare", str(corpus), str(out),
               "--chunk-size", str(chunk_size)] + (["--argos"] if argos else [])
        res = run_measured(cmd, env=_env(), cwd=SRC)
        if res["rc"] != 0:
            raise SystemExit(f"bare engine run failed:\n{res['stderr']}")
        data: dict[str, Any] = json.loads(out.read_text())
        data["peak_rss_mb"] = res["peak_rss_mb"]
        return data


# ---------------------------------------------------------------- one corpus size


def bench_size(n: int, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    corpus = work / f"corpus-{n}"
    paths = make_corpus.build(corpus, n, seed=args.seed, words=args.words)
    res: dict[str, Any] = {"n": n, "corpus": make_corpus.stats(paths)}
    log(f"[{n}] corpus: {res['corpus']}")
    log(f"[{n}] bare engines ...")
    res["bare"] = bare_in_child(corpus, args.chunk_size, args.argos)
    out1 = work / f"out-{n}-j1"
    shutil.rmtree(out1, ignore_errors=True)
    log(f"[{n}] cold run, 1 worker ...")
    res["cold1"] = pipeline_run(corpus, out1, 1)
    log(f"[{n}]   {res['cold1']['wall']} s; rerun, nothing changed ...")
    res["rerun"] = pipeline_run(corpus, out1, 1)
    victim = paths[len(paths) // 2]
    original = victim.read_bytes()
    victim.write_bytes(original.rstrip(b"\n") + " Mise à jour : le bilan a été révisé.\n".encode())
    try:
        log(f"[{n}]   rerun after changing one article ...")
        res["change1"] = pipeline_run(corpus, out1, 1)
    finally:
        victim.write_bytes(original)
    if 2 in args.jobs:
        out2 = work / f"out-{n}-j2"
        shutil.rmtree(out2, ignore_errors=True)
        log(f"[{n}] cold run, 2 workers ...")
        res["cold2"] = pipeline_run(corpus, out2, 2)
        log(f"[{n}]   {res['cold2']['wall']} s")
        if "dask" in args.executors:
            res["dask2"] = dask_run(corpus, work / f"out-{n}-dask2", out2, n)
        if not args.keep:
            shutil.rmtree(out2, ignore_errors=True)
    if not args.keep:
        shutil.rmtree(out1, ignore_errors=True)
    return res


# ---------------------------------------------------------------- tables


def table(headers: list[str], rows: list[list[Any]]) -> str:
    cells = [[str(c) for c in r] for r in [headers, *rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    right = [any(_numeric(r[i]) for r in cells[1:]) for i in range(len(headers))]

    def line(r: list[str]) -> str:
        return "| " + " | ".join(c.rjust(w) if right[i] and _numeric(c) else c.ljust(w)
                                 for i, (c, w) in enumerate(zip(r, widths, strict=True))) + " |"

    sep = "|" + "|".join(("-" * (w + 1) + ":") if right[i] else "-" * (w + 2)
                         for i, w in enumerate(widths)) + "|"
    return "\n".join([line(cells[0]), sep, *[line(r) for r in cells[1:]]])


def _numeric(s: str) -> bool:
    return s.replace(".", "", 1).replace(",", "").replace("x", "").replace("%", "") \
        .replace("-", "", 1).strip().isdigit()


def f(x: float | None, nd: int = 1) -> str:
    return "-" if x is None else f"{x:,.{nd}f}"


def ok(flag: bool | None) -> str:
    return "-" if flag is None else ("yes" if flag else "NO")


def report(results: dict[str, Any]) -> str:
    m = results["machine"]
    out = [f"# Pipeline benchmark ({time.strftime('%Y-%m-%d %H:%M')})", "",
           f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GiB RAM; Python "
           f"{m['python']}, spaCy {m['spacy']}, CTranslate2 {m['ctranslate2']}; load average "
           f"at start {', '.join(f'{x:.2f}' for x in m['loadavg_start'])}, at end "
           f"{', '.join(f'{x:.2f}' for x in m.get('loadavg_end', (0, 0, 0)))}.", ""]
    checks: list[list[Any]] = []
    for r in results["sizes"]:
        n, c, b, c1 = r["n"], r["corpus"], r["bare"], r["cold1"]
        out += [f"## {n} articles", "",
                f"Corpus: {c['articles']} articles, {c['words']:,} words "
                f"(~{c['words_per_article']:.0f} per article), {c['paragraphs']:,} paragraphs, "
                f"{c['distinct_sentences']:.0%} of sentences distinct.", ""]
        load = c1["load"]
        rows = []
        net: dict[str, float] = {}
        for stage, eng in (("clean", None), ("analyse", "nlp-fr"), ("translate", "mt"),
                           ("analyse-en", "nlp-en"), ("link", None), ("tei", None),
                           ("corpus", None), ("validate", None)):
            secs = c1["stages"].get(stage)
            if secs is None:
                continue
            net[stage] = max(0.0, secs - (load.get(eng, 0.0) if eng else 0.0))
            words = b.get(stage, {}).get("words") if stage in b else None
            bare_s = b[stage]["bare_s"] if stage in b else None
            ratio = net[stage] / bare_s if bare_s else None
            rows.append([stage, f(net[stage], 2), f(words / net[stage], 0) if words and net[
                stage] else "-", f(bare_s, 2), f(words / bare_s, 0) if words and bare_s else "-",
                f(ratio, 2) + ("x" if ratio else "")])
            if ratio is not None:
                checks.append([f"{n}: {stage} within 10 % of bare engine", f(ratio, 2) + "x",
                               ok(ratio <= TARGETS["overhead"])])
        out += ["Cold run, 1 worker (stage seconds exclude model loading):", "",
                table(["stage", "pipeline s", "pipeline words/s", "bare engine s",
                       "bare words/s", "pipeline/bare"], rows), ""]
        out += ["Model loading (s), pipeline run and bare-engine process:", "",
                table(["model", "pipeline", "bare"],
                      [[k, f(v, 2), f(b["load"].get(k), 2)] for k, v in load.items()]), ""]
        runs = [["cold, 1 worker", c1]]
        if "cold2" in r:
            runs.append(["cold, 2 workers", r["cold2"]])
        runs += [["rerun, nothing changed", r["rerun"]], ["rerun, one article changed",
                                                          r["change1"]]]
        rows = []
        for label, x in runs:
            s = x["summary"]
            rows.append([label, f(x["wall"], 1), f(x["wall"] / c1["wall"] * 100, 1) + "%",
                         s.get("ok", 0), s.get("skipped", 0), s.get("failed", 0),
                         ", ".join(sorted(x["load"])) or "none", f(x["peak_rss_mb"], 0),
                         f(x["stages"].get("validate"), 2)])
        out += ["Whole runs (wall includes start-up, model loading and validation; peak RSS is "
                "the sum over the process tree):", "",
                table(["run", "wall s", "of cold", "computed", "skipped", "failed",
                       "models loaded", "peak RSS MB", "validate s"], rows), ""]
        rr, ch = r["rerun"], r["change1"]
        checks.append([f"{n}: rerun unchanged < 5 % of cold, no model",
                       f"{rr['wall'] / c1['wall']:.1%}, models: {', '.join(rr['load']) or 'none'}",
                       ok(rr["wall"] / c1["wall"] < TARGETS["rerun_share"] and not rr["load"])])
        checks.append([f"{n}: one change recomputes one article",
                       f"{ch['summary'].get('ok', 0)} computed", ok(ch["summary"].get("ok") == 1)])
        if "cold2" in r:
            sp = c1["wall"] / r["cold2"]["wall"]
            checks.append([f"{n}: speed-up 1 -> 2 workers", f"{sp:.2f}x",
                           ok(sp >= TARGETS["speedup"]) if n >= 1000 else "-"])
        peak = max(x["peak_rss_mb"] for _, x in runs)
        checks.append([f"{n}: peak RSS", f"{peak:,.0f} MB", ok(peak < TARGETS["rss_gb"] * 1024)])
        v = c1["stages"].get("validate")
        if v is not None:
            checks.append([f"{n}: validation of {n} TEI files (+ corpus)", f"{v:.1f} s",
                           ok(v < TARGETS["validate_s"]) if n >= 1000 else "-"])
        text, more = executors_table(r)
        out += text
        checks += more
        rows = []
        for e in b["mt"]:
            ratio = e["stage_s"] / e["direct_s"] if e["direct_s"] else None
            rows.append([e["engine"], e["sentences"], e["unique"], f(e["load_s"], 2),
                         f(e["unique"] / e["stage_s"], 1), f(e["unique_words"] / e["stage_s"], 0),
                         f(e["unique"] / e["direct_s"], 1),
                         f(e["unique_words"] / e["direct_s"], 0), f(ratio, 2) + "x"])
            checks.append([f"{n}: MT {e['engine']} stage within 10 % of direct",
                           f(ratio, 2) + "x", ok(ratio is not None and ratio <= 1.10)])
        ae = b["analyse-en"]
        out += ["MT engines: translate stage (chunks of the runner's size, fresh sqlite cache, "
                "language checks) against the engine called directly on the same unique "
                "sentences, in one process:", "",
                table(["engine", "sentences", "unique", "load s", "stage sent/s",
                       "stage words/s", "direct sent/s", "direct words/s", "stage/direct"],
                      rows), "",
                f"English analysis in one process: stage {ae['stage_inproc_s']:.2f} s vs "
                f"nlp.pipe {ae['bare_s']:.2f} s on {ae['items']:,} sentences "
                f"({ae['stage_inproc_s'] / ae['bare_s']:.2f}x).", ""]
        out += _stanza_table(n, b.get("stanza"), checks)
    long = results.get("long_link")
    if long:
        out += ["## One long document", "",
                f"Link stage on one synthetic document of {long['lines']:,} one-sentence "
                f"paragraphs in both languages naming {long['names']:,} people: "
                f"{long['seconds']:.2f} s, {long['records']:,} records.", ""]
    out += ["## Targets", "", table(["target", "measured", "met"], checks), ""]
    return "\n".join(out)


def _stanza_table(n: int, st: dict[str, Any] | None, checks: list[list[Any]]) -> list[str]:
    """The stanza backend's overhead, when its resources were on disk."""
    if not st:
        return ["stanza: no French resources on disk (STANZA_RESOURCES_DIR); not measured.",
                ""]
    ratio = st["stage_s"] / st["direct_s"] if st["direct_s"] else None
    checks.append([f"{n}: stanza backend within 10 % of stanza.Pipeline", f(ratio, 2) + "x",
                   ok(ratio is not None and ratio <= TARGETS["overhead"])])
    row = [f(st["load_s"], 2), st["items"], f"{st['words']:,}",
           f(st["words"] / st["stage_s"], 0), f(st["words"] / st["direct_s"], 0),
           f(ratio, 2) + "x"]
    return [f"stanza backend (analyse stage in chunks, conversion and span rules) against "
            f"stanza.Pipeline called directly on the same paragraphs, in one process; "
            f"resources {st['resources']} ({st['packages']}). Spans, not quality: with the "
            "tests' tiny models the engine's time is small and fixed costs weigh more.", "",
            table(["load s", "paragraphs", "words", "stage words/s", "direct words/s",
                   "stage/direct"], [row]), ""]


def bench_long_link(lines: int) -> dict[str, Any]:
    """The link stage on one long document (it was quadratic: issue 16)."""
    from pipeline.stages import link

    doc = make_corpus.long_document(lines, max(1, lines // 10))
    t0 = time.perf_counter()
    link.link(doc)
    return {"lines": lines, "names": max(1, lines // 10), "records": len(doc.records),
            "seconds": round(time.perf_counter() - t0, 2)}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_bare"]:
        ap = argparse.ArgumentParser()
        ap.add_argument("cmd")
        ap.add_argument("corpus", type=Path)
        ap.add_argument("out", type=Path)
        ap.add_argument("--chunk-size", type=int, default=32)
        ap.add_argument("--argos", action="store_true")
        a = ap.parse_args(argv)
        a.out.write_text(json.dumps(bare(a.corpus, a.chunk_size, a.argos)))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100,1000", help="comma-separated article counts")
    ap.add_argument("--words", type=int, default=240, help="body words per article (about)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", default="1,2", help="worker counts to compare (1 and/or 2)")
    ap.add_argument("--chunk-size", type=int, default=32, help="the runner's default")
    ap.add_argument("--executors", default="local,dask",
                    help="local and/or dask (a Dask LocalCluster run beside the local 2 workers)")
    ap.add_argument("--no-argos", dest="argos", action="store_false",
                    help="leave out argos on a synthetic model")
    ap.add_argument("--quick", action="store_true",
                    help="one tiny corpus (12 short articles): checks that the bench works")
    ap.add_argument("--work", type=Path, default=None, help="corpora and outputs (default tmp)")
    ap.add_argument("--keep", action="store_true", help="keep the outputs in --work")
    ap.add_argument("-o", "--out", type=Path, default=ROOT / "output" / "bench")
    ap.add_argument("--long-lines", type=int, default=50_000,
                    help="lines of the one long document the link stage is timed on")
    args = ap.parse_args(argv)
    if args.quick:
        args.sizes, args.words, args.jobs, args.long_lines = "12", 60, "1", 5_000
    args.jobs = {int(j) for j in args.jobs.split(",")}
    args.executors = set(args.executors.split(","))
    if "dask" in args.executors and importlib.util.find_spec("distributed") is None:
        log("Dask is not installed (pip install 'newscorpus[dask]'): no Dask run")
        args.executors.discard("dask")
    sizes = [int(s) for s in args.sizes.split(",") if s]
    results: dict[str, Any] = {"machine": machine(), "sizes": [], "args": {
        "sizes": sizes, "words": args.words, "seed": args.seed, "jobs": sorted(args.jobs)}}
    global SRC
    work = (args.work or Path(tempfile.mkdtemp(prefix="bench-"))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    SRC = snapshot(work)
    try:
        for n in sizes:
            results["sizes"].append(bench_size(n, args, work))
    finally:
        if args.work is None and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    results["long_link"] = bench_long_link(args.long_lines)
    results["machine"]["loadavg_end"] = os.getloadavg()
    text = report(results)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.md").write_text(text + "\n", encoding="utf-8")
    for r in results["sizes"]:
        for k in ("cold1", "cold2", "dask2", "rerun", "change1"):
            if k in r:
                r[k].pop("stdout", None)
    (args.out / "results.json").write_text(json.dumps(results, indent=1) + "\n",
                                           encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
