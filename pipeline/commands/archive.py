"""``python -m pipeline archive OUTPUT -o BAG``: a BagIt bag of an output folder."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from types import FrameType

from pipeline.commands.base import EXIT_OK, Command, UsageError

#: Options that set a bag-info.txt tag.
TAG_OPTIONS = {
    "source_organization": "Source-Organization",
    "external_description": "External-Description",
    "bag_group_identifier": "Bag-Group-Identifier",
    "internal_sender_identifier": "Internal-Sender-Identifier",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("output_dir", type=Path, metavar="OUTPUT",
                        help="the output folder of a run (e.g. output)")
    parser.add_argument("-o", "--output", type=Path, required=True, metavar="BAG",
                        help="the bag folder to make (refused when it exists and is not "
                        "empty)")
    parser.add_argument("--inputs", type=Path, metavar="DIR",
                        help="the input folder, when it moved since the run")
    parser.add_argument("--config", type=Path, metavar="FILE",
                        help="TOML file with a [bag-info] table of tags (Source-Organization, "
                        "Contact-Email...); the options below win over it")
    for dest, tag in TAG_OPTIONS.items():
        parser.add_argument(f"--{dest.replace('_', '-')}", dest=dest, metavar="TEXT",
                            help=f"bag-info.txt {tag}")


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds: the half-made bag is removed


def handle(args: argparse.Namespace) -> int:
    from pipeline.archive import bag_tags, build_bag

    tags = bag_tags(args.config, {tag: getattr(args, dest) for dest, tag in
                                  TAG_OPTIONS.items()})
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        result = build_bag(args.output_dir, args.output, tags, inputs=args.inputs)
    except OSError as exc:
        raise UsageError(str(exc)) from exc
    finally:
        signal.signal(signal.SIGTERM, previous)
    if not args.quiet:
        if "Source-Organization" not in tags:
            print("note: no Source-Organization given (--source-organization or --config)",
                  file=sys.stderr)
        print(f"archive: {result.articles} article(s), {result.files} file(s), "
              f"{result.bytes:,} bytes -> {result.path} ({result.seconds:.1f} s)",
              file=sys.stderr)
    return EXIT_OK


COMMAND = Command(
    name="archive",
    help="pack an output folder into a BagIt bag (TEI, inputs, report, view, exports)",
    description="Make a BagIt 1.0 bag (RFC 8493, with the Library of Congress' bagit) of a "
    "run's output folder: the TEI files and corpus, the original input files, report.json, "
    "the reading view and exports when present and an inventory, with sha256 and sha512 "
    "manifests. The same output gives the same bag, byte for byte. Exit status: 0 done, 2 "
    "refused (no output, an output that does not tell one story, an input changed since "
    "the run, a target that exists and is not empty): no bag is left.",
    add_arguments=add_arguments,
    handle=handle,
)
