"""brat standoff: ``<doc-id>.txt`` + ``<doc-id>.ann`` per document, ``annotation.conf`` and
``visual.conf`` per folder (``brat/<lang>/``; brat looks for the configuration in the
document's folder first).

The ``.txt`` is the side's text exactly, UTF-8, no newline added or translated; offsets in
the ``.ann`` count characters (code points) of that text, 0-based, end exclusive:
``T1<TAB>PER 0 15<TAB>Emmanuel Macron``. A mention that crosses a line break (brat does not
allow one) is written as a discontinuous annotation, one fragment per line, its text the
fragments joined by a space, as the standoff format says.
"""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.export.common import COLOURS, LABELS, ExportError, SideView, write_text

NAME = "brat"
FLAT = False  # every mention, nested ones too
EXT = ".ann"
_LINE_BREAK = re.compile(r"[\n\r\u0085\u2028\u2029\v\f\x1c-\x1e]+")


def fragments(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The parts of [start, end) between line breaks (stripped of none of their text)."""
    parts, pos = [], start
    for brk in _LINE_BREAK.finditer(text, start, end):
        if brk.start() > pos:
            parts.append((pos, brk.start()))
        pos = brk.end()
    if end > pos:
        parts.append((pos, end))
    return parts


def to_ann(view: SideView) -> str:
    if "\r" in view.text:  # brat reads the .txt with universal newlines: offsets would shift
        raise ExportError(f"{view.doc_id} ({view.lang}): carriage return in the text")
    lines = []
    for n, m in enumerate(view.entities, 1):
        parts = fragments(view.text, m.start, m.end)
        spans = ";".join(f"{s} {e}" for s, e in parts)
        shown = " ".join(view.text[s:e] for s, e in parts)
        lines.append(f"T{n}\t{m.label} {spans}\t{shown}\n")
    return "".join(lines)


def write(view: SideView, folder: Path) -> list[Path]:
    return [write_text(folder / f"{view.doc_id}.txt", view.text),
            write_text(folder / f"{view.doc_id}{EXT}", to_ann(view))]


ANNOTATION_CONF = "\n".join([
    "# Entity types exported by newscorpus (python -m pipeline export --format brat).",
    "[entities]", *LABELS, "", "[relations]", "", "[events]", "", "[attributes]", ""])

VISUAL_CONF = "\n".join([
    "[labels]", *(f"{label} | {label}" for label in LABELS), "",
    "[drawing]", *(f"{label}\tbgColor:{COLOURS[label]}" for label in LABELS), ""])


def write_config(folder: Path, lang: str) -> list[Path]:
    return [write_text(folder / "annotation.conf", ANNOTATION_CONF),
            write_text(folder / "visual.conf", VISUAL_CONF)]
