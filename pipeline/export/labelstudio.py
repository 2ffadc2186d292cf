"""Label Studio tasks with the entities as predictions, and the labelling config.

Per document: ``labelstudio/<lang>/<doc-id>.json``, a JSON list holding one task::

    {"data": {"text": ..., "doc_id": ..., "lang": ..., "title": ...},
     "predictions": [{"model_version": "<NER model>-<version>",
                      "result": [{"id": "e1", "from_name": "label", "to_name": "text",
                                  "type": "labels",
                                  "value": {"start": 0, "end": 15, "text": "...",
                                            "labels": ["PER"]}}]}]}

Per folder: ``config.xml``, the labelling interface (``<Labels name="label" toName="text">``
over ``<Text name="text" value="$text">``). ``start``/``end`` count code points (Python
indices): Label Studio's Text tag stores code-point offsets, not JavaScript UTF-16 indices.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from pipeline.export.common import COLOURS, LABELS, SideView, write_text

NAME = "labelstudio"
FLAT = False  # every mention, nested ones too
EXT = ".json"
CONFIG_FILE = "config.xml"
FROM_NAME, TO_NAME = "label", "text"


def to_task(view: SideView) -> dict[str, Any]:
    result = [
        {"id": f"e{n}", "from_name": FROM_NAME, "to_name": TO_NAME, "type": "labels",
         "value": {"start": m.start, "end": m.end, "text": m.text, "labels": [m.label]}}
        for n, m in enumerate(view.entities, 1)
    ]
    return {
        "data": {"text": view.text, "doc_id": view.doc_id, "lang": view.lang,
                 "title": view.title or view.doc_id},
        "predictions": [{"model_version": view.ner_model, "result": result}],
    }


def write(view: SideView, folder: Path) -> list[Path]:
    body = json.dumps([to_task(view)], ensure_ascii=False, indent=1)
    return [write_text(folder / f"{view.doc_id}{EXT}", body + "\n")]


def config_xml() -> str:
    labels = "\n".join(f"    <Label value={quoteattr(label)} "
                       f"background={quoteattr(COLOURS[label])}/>" for label in LABELS)
    return (
        "<View>\n"
        '  <Header value="$title"/>\n'
        f'  <Labels name="{FROM_NAME}" toName="{TO_NAME}">\n'
        f"{labels}\n"
        "  </Labels>\n"
        f'  <Text name="{TO_NAME}" value="$text"/>\n'
        "</View>\n"
    )


def write_config(folder: Path, lang: str) -> list[Path]:
    return [write_text(folder / CONFIG_FILE, config_xml())]
