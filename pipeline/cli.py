"""Command line: ``python -m pipeline COMMAND ...`` (also the console script ``newscorpus``).

One :mod:`argparse` parser; each subcommand is a :class:`pipeline.commands.base.Command`
from the table in :mod:`pipeline.commands` (one module per command: see there how to add
one). Every command gets ``--help``, ``-q``/``--quiet`` and ``-v``/``--verbose``; options
and positionals may come in any order (``view -o DIR TEI`` = ``view TEI -o DIR``).

Exit status, for every command: 0 all went well, 1 some document or file failed (the others
were done), 2 usage or configuration error (nothing written).
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import NoReturn

from pipeline import __version__
from pipeline.commands import COMMANDS
from pipeline.commands.base import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    Command,
    add_common_options,
)
from pipeline.commands.run import summary
from pipeline.errors import ConfigError, PipelineError

EXIT_DOC_FAILED = EXIT_FAILED
EXIT_INTERRUPTED = 130  # Ctrl-C; SIGTERM ends with 143
__all__ = ["EXIT_DOC_FAILED", "EXIT_OK", "EXIT_USAGE", "build_parser", "main", "summary"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse exits 2 on usage errors too
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The whole command line, and each command's own parser by name."""
    parser = _Parser(
        prog="python -m pipeline",
        description="Turn scraped French news into an annotated, bilingual (fr/en) TEI corpus, "
        "offline. Exit status: 0 all went well, 1 some document failed, 2 usage error.",
        epilog="`python -m pipeline COMMAND --help` describes each command.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser,
                                metavar="COMMAND")
    parsers: dict[str, argparse.ArgumentParser] = {}
    for command in COMMANDS:
        p = sub.add_parser(command.name, help=command.help, description=command.description)
        command.add_arguments(p)
        if not command.nested:
            add_common_options(p)
        parsers[command.name] = p
    return parser, parsers


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Options and positionals in any order (argparse's intermixed parsing, which it offers
    for a parser without sub-commands: so each command's parser is called directly)."""
    parser, parsers = build_parser()
    commands = {c.name: c for c in COMMANDS}
    if argv and argv[0] in commands and not commands[argv[0]].nested:
        own = parsers[argv[0]]
        # After "--" (file names with a leading dash) intermixing would read them as
        # options again; plain parsing keeps "--" meaning "positionals from here".
        rest = argv[1:]
        args = own.parse_args(rest) if "--" in rest else own.parse_intermixed_args(rest)
        args.command = argv[0]
        return args
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Parse, dispatch, and turn the pipeline's errors into the exit status."""
    try:
        args = parse_args(sys.argv[1:] if argv is None else list(argv))
    except SystemExit as exc:  # --help, --version (0) or a usage error (2)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    command: Command = {c.name: c for c in COMMANDS}[args.command]
    verbose = bool(getattr(args, "verbose", False))
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    from pipeline.run.faults import INTERRUPTED, Interrupted, RunFault

    try:
        return command.handle(args)
    except KeyboardInterrupt:  # Ctrl-C: one line, no traceback
        print(f"\n{INTERRUPTED}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Interrupted as exc:  # SIGTERM during a run
        print(INTERRUPTED, file=sys.stderr)
        return exc.status
    except (ConfigError, RunFault) as exc:  # RunFault: the run's environment, not a document
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except PipelineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
