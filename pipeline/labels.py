"""The entity label table (data/labels.toml), read once."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

LABELS_FILE = Path(__file__).parent / "data" / "labels.toml"


@lru_cache(maxsize=1)
def label_table() -> dict[str, str]:
    data = tomllib.loads(LABELS_FILE.read_text(encoding="utf-8"))
    return {**data["other"], **data["entity"]}


def map_label(label: str) -> str | None:
    """Map a backend's label onto PER/LOC/ORG/MISC (or DATE/NUM); None drops it."""
    return label_table().get(label.upper())
