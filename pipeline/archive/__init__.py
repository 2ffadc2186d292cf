"""The archive: a BagIt package of an output folder, and its verification.

``python -m pipeline archive OUTPUT -o BAG`` packs the corpus, the original inputs, the
report, the exports and the reading view into a BagIt 1.0 bag (RFC 8493) made with the
Library of Congress' ``bagit`` library (:mod:`pipeline.archive.bag`; what ``data/`` holds:
:mod:`pipeline.archive.payload`). ``python -m pipeline verify BAG`` checks its fixity and
then its TEI (:mod:`pipeline.archive.verify`). The command-line glue is in
:mod:`pipeline.commands.archive` and :mod:`pipeline.commands.verify`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path

from pipeline.archive.bag import BagResult, build_bag
from pipeline.archive.payload import ArchiveError
from pipeline.archive.verify import VerifyResult, read_tei_from_bag, verify

__all__ = ["ArchiveError", "BagResult", "VerifyResult", "bag_tags", "build_bag",
           "read_tei_from_bag", "verify"]


def bag_tags(config: Path | None, options: Mapping[str, str | None]) -> dict[str, str]:
    """bag-info tags: the ``[bag-info]`` table of a TOML ``config``, then ``options`` (which
    win; None or empty values are left out)."""
    tags: dict[str, str] = {}
    if config is not None:
        try:
            data = tomllib.loads(Path(config).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ArchiveError(f"{config}: {exc}") from exc
        table = data.get("bag-info", {})
        if not isinstance(table, dict):
            raise ArchiveError(f"{config}: [bag-info] must be a table of tags")
        tags.update({str(k): str(v) for k, v in table.items()})
    tags.update({k: v for k, v in options.items() if v})
    return tags
