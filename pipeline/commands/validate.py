"""``python -m pipeline validate PATH...``: tei_all and the link checks on any TEI files."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from pipeline.commands.base import EXIT_FAILED, EXIT_OK, Command, UsageError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from pipeline.tei.validate import DEFAULT_SCHEMA, ENGINES

    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH",
                        help="TEI files, or folders (every .xml under them)")
    parser.add_argument("--schema", type=Path, default=DEFAULT_SCHEMA,
                        help="RELAX NG schema (default: the shipped tei_all)")
    parser.add_argument("--engine", choices=ENGINES, default="auto",
                        help="schema validator (auto: jing when installed, else lxml)")


def files_to_check(paths: list[Path]) -> list[Path]:
    """The .xml files the arguments stand for; a path that names nothing, or no file at all,
    is a usage error (it would otherwise count as one more file with a problem)."""
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise UsageError(f"no such file or folder: {', '.join(missing)}")
    files: list[Path] = []
    for p in paths:
        files += sorted(p.rglob("*.xml")) if p.is_dir() else [p]
    if not files:
        raise UsageError(f"no .xml files in {', '.join(map(str, paths))}")
    return files


def handle(args: argparse.Namespace) -> int:
    from pipeline.tei.validate import schema_engine, validate

    files = files_to_check(args.paths)
    started = time.perf_counter()
    engine = schema_engine(args.engine)
    problems = validate(files, schema=args.schema, engine=engine)
    for problem in problems:
        print(problem)
    if not args.quiet:
        print(f"{len(files)} file(s) checked with {engine} in "
              f"{time.perf_counter() - started:.1f} s: {len(problems)} problem(s)",
              file=sys.stderr)
    return EXIT_FAILED if problems else EXIT_OK


COMMAND = Command(
    name="validate",
    help="validate TEI files (tei_all + links)",
    description="Validate TEI files against tei_all and check their internal links. A folder "
    "stands for the .xml files under it. Exit status: 0 all valid, 1 some problem (each "
    "printed as PATH:LINE: KIND: MESSAGE), 2 usage error (a path that does not exist, no "
    ".xml file).",
    add_arguments=add_arguments,
    handle=handle,
)
