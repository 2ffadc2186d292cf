"""The subcommands of ``python -m pipeline``, one module each, in the order ``--help`` lists.

To add a command (``archive``, ``verify``...): write ``pipeline/commands/<name>.py`` with

* ``add_arguments(parser)``: its options and positionals (``-q``/``-v`` are added for you;
  use :func:`pipeline.commands.base.add_output_option` for ``-o``);
* ``handle(args) -> int``: does the work, returns 0, 1 or 2; raises
  :class:`pipeline.commands.base.UsageError` (exit 2) before writing anything when the
  input is missing or empty;
* ``COMMAND = Command(name, help, description, add_arguments, handle)``;

and add its ``COMMAND`` to :data:`COMMANDS` below. An option for an existing command
(``--executor``, ``--metadata``...) goes into that command's ``add_arguments``. Keep the
module's imports light (import the work inside ``handle``): ``--help`` should not load
models. The README test (tests/test_readme.py) runs every command the README shows.
"""

from __future__ import annotations

from pipeline.commands import archive, export, models, remove, run, validate, verify, view
from pipeline.commands.base import Command

COMMANDS: tuple[Command, ...] = (
    run.COMMAND,
    validate.COMMAND,
    export.COMMAND,
    view.COMMAND,
    models.COMMAND,
    remove.COMMAND,
    archive.COMMAND,
    verify.COMMAND,
)

__all__ = ["COMMANDS", "Command"]
