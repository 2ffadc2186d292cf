"""``python -m pipeline remove OUTPUT ID...``: take articles out of an output folder."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.commands.base import EXIT_OK, Command, UsageError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("output_dir", type=Path, metavar="OUTPUT",
                        help="the output folder of a run (e.g. output)")
    parser.add_argument("ids", nargs="+", metavar="ID",
                        help="article ids (art-...), as in tei/<ID>.xml and report.json")


def handle(args: argparse.Namespace) -> int:
    from pipeline.run.remove import remove

    if not (args.output_dir / "tei").is_dir():
        raise UsageError(f"{args.output_dir}: no tei/ folder (not the output of a run)")
    lines = remove(args.output_dir, args.ids)
    if not args.quiet:
        for line in lines:
            print(f"removed {line['id']}: {line['reason']}", file=sys.stderr)
    return EXIT_OK


COMMAND = Command(
    name="remove",
    help="remove articles from an output folder (corpus, report, view, exports follow)",
    description="Remove articles by id from a run's output folder: their TEI file and raw "
    "copy go, corpus.xml is rewritten (and validated), report.json lists each under "
    "`removed`, and the reading view and exports made before are refreshed. Exit status: "
    "0 done, 2 an id names no article (nothing is touched).",
    add_arguments=add_arguments,
    handle=handle,
)
