"""``python -m pipeline export [--format F] [--lang L] TEI_PATH... -o DIR``: annotation tools."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.commands.base import (
    EXIT_FAILED,
    EXIT_OK,
    Command,
    UsageError,
    add_jobs_option,
    add_output_option,
    jobs_of,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from pipeline.export import ALL, DEFAULT_OUT, FORMATS
    from pipeline.run.parallel import CHUNK

    parser.add_argument("paths", nargs="+", metavar="TEI_PATH",
                        help="TEI article files, or folders of them (e.g. output/tei)")
    parser.add_argument("--format", choices=[*FORMATS, ALL], default=ALL,
                        help="annotation format, or all (default)")
    parser.add_argument("--lang", choices=["fr", "en", "both"], default="both",
                        help="which side: the French original, the English translation or "
                        "both (default)")
    add_jobs_option(parser, CHUNK)
    add_output_option(parser, DEFAULT_OUT, "output folder, one sub-folder per format")


def handle(args: argparse.Namespace) -> int:
    from pipeline.export import export, summary, tei_files
    from pipeline.run.faults import terminate_as_interrupt

    try:  # a wrong path or an empty folder: say so before anything is written
        if not tei_files(args.paths):
            raise UsageError(f"no TEI file found in {', '.join(args.paths)}")
    except FileNotFoundError as exc:
        raise UsageError(str(exc)) from exc
    jobs = jobs_of(args)
    with terminate_as_interrupt():  # SIGTERM stops the workers and ends with 143
        result = export(args.paths, args.format, args.lang, args.output, jobs)
    for where, message in result.failed:
        print(f"FAILED {where}: {message}", file=sys.stderr)
    if not args.quiet:
        print(summary(result, Path(args.output)), file=sys.stderr)
    return EXIT_OK if result.ok else EXIT_FAILED


COMMAND = Command(
    name="export",
    help="export TEI articles to annotation-tool formats",
    description="Export TEI articles for annotation tools (INCEpTION/WebAnno XMI, CoNLL-2002, "
    "brat, doccano, Label Studio, CoNLL-U), read back from the TEI files. Exit status: 0 all "
    "written, 1 some document failed (the others are written), 2 usage error (a missing "
    "path or no TEI file: nothing is written).",
    add_arguments=add_arguments,
    handle=handle,
)
