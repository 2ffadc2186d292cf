"""``python -m pipeline view TEI_PATH... -o DIR``: the static HTML reading view."""

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
from pipeline.run.parallel import CHUNK


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="TEI_PATH",
                        help="TEI files, folders holding them (or their tei/ folder), a "
                        "teiCorpus file (its articles) or a quoted glob")
    add_output_option(parser, Path("output"),
                      "folder for index.html, entities.html, articles/, static/")
    parser.add_argument("--title", help="corpus title on the pages (default: the TEI corpus "
                        "title)")
    add_jobs_option(parser, CHUNK)


def handle(args: argparse.Namespace) -> int:
    from pipeline.run.faults import terminate_as_interrupt
    from pipeline.view import Memo, expand_paths, scan_documents, write_items

    jobs = jobs_of(args)
    # Into a run's output folder: the memo its runs keep the view up to date with.
    cache = args.output / ".cache"
    memo = Memo.load(cache / "view.json", args.output) if cache.is_dir() else None
    try:
        paths = expand_paths(args.paths)
    except FileNotFoundError as exc:
        raise UsageError(str(exc)) from exc
    if not paths:
        raise UsageError(f"no TEI files found in {', '.join(args.paths)}")
    with terminate_as_interrupt():  # SIGTERM stops the workers and ends with 143
        docs, failed = scan_documents(paths, jobs, memo)
    for path, why in failed:
        print(f"error: {path}: {why}", file=sys.stderr)
    if not docs:  # writing now would empty an existing view
        print(f"error: no article could be read; {args.output} was left as it was",
              file=sys.stderr)
        return EXIT_FAILED
    try:
        with terminate_as_interrupt():
            result = write_items(docs, args.output, corpus_title=args.title, failed=failed,
                                 jobs=jobs, memo=memo)
            if memo is not None:
                memo.save()
    except OSError as exc:
        raise UsageError(str(exc)) from exc
    if not args.quiet:
        print(f"view: {len(result.articles)} article(s) -> {result.index}", file=sys.stderr)
    return EXIT_FAILED if result.failed else EXIT_OK


COMMAND = Command(
    name="view",
    help="write the static HTML reading view of TEI files",
    description="Write a static HTML view (index, one page per article, entity index) of TEI "
    "files; the pages open from the file system with no network. Exit status: 0 done, 1 some "
    "file could not be read (the others are written; when none can be read nothing is "
    "touched), 2 usage error (a missing path or no TEI file: nothing is touched).",
    add_arguments=add_arguments,
    handle=handle,
)
