"""``python -m pipeline models list | install argos [SOURCE] | install stanza [LANG...]``.

The only command that may use the network (installing); a run never does.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pipeline.commands.base import EXIT_FAILED, EXIT_OK, Command, add_common_options


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="models_command", required=True, metavar="{list,install}")
    p_list = sub.add_parser("list", help="show installed models",
                            description="Show the installed Argos packages, stanza resources "
                            "and spaCy models.")
    p_list.add_argument("--json", action="store_true", help="machine-readable output")
    p_list.add_argument("--packages-dir", type=Path, help="Argos packages folder")
    p_list.add_argument("--stanza-dir", type=Path, help="stanza resources folder")
    add_common_options(p_list)
    p_install = sub.add_parser("install", help="install models (the only networked step)",
                               description="Install a model: install argos [SOURCE] | "
                               "install stanza [LANG...].")
    what = p_install.add_subparsers(dest="what", required=True, metavar="{argos,stanza}")
    p_argos = what.add_parser("argos", help="install an Argos fr->en package",
                              description="Install an Argos fr->en package from a file, a "
                              "package folder, a URL or (no SOURCE) the Argos index. The "
                              "archive is checked before anything is extracted.")
    p_argos.add_argument(
        "source", nargs="?", help=".argosmodel file, package folder or URL (none: Argos index)"
    )
    p_argos.add_argument("-o", "--packages-dir", type=Path, metavar="DIR",
                         help="where to install (default: argos's packages folder, "
                         "$ARGOS_PACKAGES_DIR if set)")
    p_argos.add_argument("--replace", action="store_true", help="overwrite an installed copy")
    p_argos.add_argument("--any-pair", action="store_true", help="accept other language pairs")
    add_common_options(p_argos)
    p_stanza = what.add_parser("stanza", help="download stanza models (GitHub + HuggingFace)",
                               description="Download stanza's resources for the languages "
                               "(online).")
    p_stanza.add_argument("langs", nargs="*", default=["fr", "en"], metavar="LANG",
                          help="default: fr en")
    p_stanza.add_argument("-o", "--stanza-dir", type=Path, metavar="DIR",
                          help="where to install (default: $STANZA_RESOURCES_DIR, else "
                          "~/stanza_resources)")
    p_stanza.add_argument("--mirror", metavar="URL",
                          help="a copy of a stanza resources folder served over HTTP "
                          "(resources_<version>.json, <lang>/<processor>/<package>.pt) instead "
                          "of GitHub and HuggingFace")
    add_common_options(p_stanza)


def handle(args: argparse.Namespace) -> int:
    from pipeline.engines import install
    from pipeline.errors import ModelInstallError

    try:
        if args.models_command == "list" or args.what == "argos":
            for path in install.sweep_leftovers(args.packages_dir):
                print(f"note: removed {path.name}, left by an interrupted install",
                      file=sys.stderr)
        if args.models_command == "list":
            info = install.list_models(args.packages_dir, args.stanza_dir)
            print(json.dumps(info, indent=2) if args.json else install.format_models(info))
            return EXIT_OK
        if args.what == "argos":
            dest = install.install_argos(args.source, args.packages_dir,
                                         pair=None if args.any_pair else ("fr", "en"),
                                         replace=args.replace)
        else:
            dest = install.install_stanza(args.langs, args.stanza_dir, mirror=args.mirror)
    except ModelInstallError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return EXIT_FAILED
    if not args.quiet:
        print(f"installed into {dest}" if args.what == "stanza" else f"installed {dest}")
    return EXIT_OK


COMMAND = Command(
    name="models",
    help="list or install models (the only step that may use the network)",
    description="List installed models, or install an Argos package or stanza resources. "
    "Exit status: 0 done, 1 the install failed (nothing half-installed is left), 2 usage "
    "error.",
    add_arguments=add_arguments,
    handle=handle,
    nested=True,
)
