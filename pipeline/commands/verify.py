"""``python -m pipeline verify BAG``: a bag's fixity, then its TEI."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.commands.base import EXIT_FAILED, EXIT_OK, Command


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("bag", type=Path, metavar="BAG", help="a bag made by `archive`")
    parser.add_argument("--fast", action="store_true",
                        help="check only the Payload-Oxum (file count and bytes), not every "
                        "checksum")
    parser.add_argument("--no-tei", action="store_true",
                        help="check the fixity only, not the TEI schema and links")


def handle(args: argparse.Namespace) -> int:
    from pipeline.archive import verify

    result = verify(args.bag, fast=args.fast, validate_tei=not args.no_tei)
    for line in result.lines():
        print(line)
    if not args.quiet:
        mode = "Payload-Oxum" if result.fast else "every checksum"
        state = "whole" if result.whole else "NOT whole"
        tei = (f"; TEI: {result.tei_checked} file(s), {len(result.tei_problems)} problem(s)"
               if result.whole and not args.no_tei else "")
        print(f"verify: {result.bag}: {result.files} payload file(s), {state} ({mode}){tei}",
              file=sys.stderr)
    return EXIT_OK if result.ok else EXIT_FAILED


COMMAND = Command(
    name="verify",
    help="check a bag's fixity (every checksum, or --fast), then its TEI",
    description="Check a bag made by `archive` with bagit: every checksum of its manifests "
    "(or only the Payload-Oxum with --fast), naming each missing, added or altered file; "
    "then validate its TEI as `validate` does. Exit status: 0 whole and valid, 1 a file "
    "missing, added or altered or a TEI problem (each named), 2 not a bag.",
    add_arguments=add_arguments,
    handle=handle,
)
