"""The entity scheme as data (data/labels.toml), read once.

``[entity]`` maps each backend's labels onto the four types PER/LOC/ORG/MISC,
``[other]`` onto DATE/NUM (kept apart, never mixed into the four); a label in
neither is dropped. ``[spans.LANG]`` holds the span conventions that
:mod:`pipeline.stages.mentions` applies to every backend.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from pipeline.document import ENTITY_TYPES, OTHER_SPAN_TYPES
from pipeline.errors import ConfigError

LABELS_FILE = Path(__file__).parent.parent / "data" / "labels.toml"


@lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    data = tomllib.loads(LABELS_FILE.read_text(encoding="utf-8"))
    for section, allowed in (("entity", ENTITY_TYPES), ("other", OTHER_SPAN_TYPES)):
        bad = {k: v for k, v in data[section].items() if v not in allowed}
        if bad:
            raise ConfigError(f"{LABELS_FILE.name} [{section}]: {bad} not in {allowed}")
    both = set(data["entity"]) & set(data["other"])
    if both:
        raise ConfigError(f"{LABELS_FILE.name}: {sorted(both)} in both [entity] and [other]")
    return data


@lru_cache(maxsize=1)
def label_table() -> dict[str, str]:
    data = _data()
    return {**data["other"], **data["entity"]}


def map_label(label: str) -> str | None:
    """Map a backend's label onto PER/LOC/ORG/MISC (or DATE/NUM); None drops it."""
    return label_table().get(label.upper())


@dataclass(frozen=True)
class SpanRules:
    titles: frozenset[str]
    portfolios: frozenset[str]


@lru_cache(maxsize=8)
def span_rules(lang: str) -> SpanRules:
    """Title and portfolio words of a language (empty for a language not in the table)."""
    spec = _data().get("spans", {}).get(lang, {})
    return SpanRules(frozenset(w.casefold() for w in spec.get("titles", [])),
                     frozenset(w.casefold() for w in spec.get("portfolios", [])))
