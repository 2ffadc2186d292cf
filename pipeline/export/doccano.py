"""doccano sequence labelling JSONL.

Per document: ``doccano/<lang>/<doc-id>.jsonl``, one line
``{"text": ..., "label": [[start, end, "PER"], ...], "doc_id": ..., "lang": ..., ...}``
(offsets in characters of ``text``, end exclusive; the keys besides ``text`` and ``label``
become the example's metadata in doccano). Per folder: ``labels.json``, the label set to
load under Labels > Import.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipeline.export.common import COLOURS, LABELS, SideView, write_text

NAME = "doccano"
FLAT = False  # every mention, nested ones too
EXT = ".jsonl"
LABELS_FILE = "labels.json"
_SHORTCUTS = {"PER": "p", "LOC": "l", "ORG": "o", "MISC": "m"}


def to_record(view: SideView) -> dict[str, Any]:
    return {
        "text": view.text,
        "label": [[m.start, m.end, m.label] for m in view.entities],
        "doc_id": view.doc_id,
        "lang": view.lang,
        "title": view.title,
        "ner_model": view.ner_model,
    }


def write(view: SideView, folder: Path) -> list[Path]:
    line = json.dumps(to_record(view), ensure_ascii=False, separators=(",", ":"))
    return [write_text(folder / f"{view.doc_id}{EXT}", line + "\n")]


def write_config(folder: Path, lang: str) -> list[Path]:
    labels = [{"text": label, "suffix_key": _SHORTCUTS.get(label),
               "background_color": COLOURS[label], "text_color": "#000000"}
              for label in LABELS]
    return [write_text(folder / LABELS_FILE,
                       json.dumps(labels, ensure_ascii=False, indent=2) + "\n")]
