"""What every subcommand shares: its description record, exit statuses and common options.

A subcommand is a :class:`Command`: a name, a one-line help, a description, a function that
adds its options to an :mod:`argparse` parser, and a handler that gets the parsed options
and returns the exit status. The command line (:mod:`pipeline.cli`) builds one parser from
the table in :mod:`pipeline.commands`, so every command gets ``--help``, ``-q``/``-v`` and
options in any order without doing anything for it.

Exit statuses are the same everywhere: 0 all went well, 1 some document or file failed
(the others were done), 2 usage or configuration error, nothing done. A handler signals a
usage error by raising :class:`pipeline.errors.ConfigError` (or :class:`UsageError`, the
same), before it writes anything.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import ConfigError

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(ConfigError):
    """A wrong path, an empty input, a bad value: exit status 2, nothing written."""

    code = "usage"


@dataclass(frozen=True)
class Command:
    """One subcommand of ``python -m pipeline``."""

    name: str
    help: str  # one line, in the top-level --help
    description: str  # the command's own --help
    add_arguments: Callable[[argparse.ArgumentParser], None]
    handle: Callable[[argparse.Namespace], int]
    #: True when the command has its own sub-commands (``models list``): argparse cannot mix
    #: options and positionals freely there, and each leaf adds the common options itself.
    nested: bool = False


def add_common_options(parser: argparse.ArgumentParser) -> None:
    """``-q``/``--quiet`` and ``-v``/``--verbose``, the same for every command."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("-q", "--quiet", action="store_true",
                       help="print only errors (no progress, no summary)")
    group.add_argument("-v", "--verbose", action="store_true",
                       help="say more (log messages, every note)")


def add_output_option(parser: argparse.ArgumentParser, default: Path, what: str) -> None:
    """``-o``/``--output DIR``: where a command writes, the same spelling everywhere."""
    parser.add_argument("-o", "--output", type=Path, default=default, metavar="DIR",
                        help=f"{what} (default: {default})")


def add_jobs_option(parser: argparse.ArgumentParser, chunk: int) -> None:
    """``-j``/``--jobs N`` of the commands that read TEI back (export, view)."""
    parser.add_argument("-j", "--jobs", type=int, default=0,
                        help="processes (default 0: one per core; the result is that of "
                        f"one; {2 * chunk} articles or fewer are done in one)")


def jobs_of(args: argparse.Namespace) -> int:
    """The ``-j`` given, refused when negative (exit 2, before anything is written)."""
    jobs: int = args.jobs
    if jobs < 0:
        raise UsageError("-j/--jobs must be 0 (one per core) or more")
    return jobs


def missing_paths(paths: list[str]) -> list[str]:
    """The arguments that name nothing: neither an existing path nor a glob that matches."""
    import glob

    return [p for p in paths if not Path(p).exists()
            and not (glob.has_magic(p) and glob.glob(p))]
