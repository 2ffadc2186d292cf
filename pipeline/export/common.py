"""What every export format shares: one language side of a document as the formats see it.

A :class:`SideView` is built from a :class:`~pipeline.document.Document` that was read
back from its TEI file. It holds the side's text (``Side.text``: the paragraphs joined by
``"\\n\\n"``), its paragraphs and sentences, and the entity mentions the exports carry:
the four types of the common scheme, ``PER LOC ORG MISC``. ``DATE`` and ``NUM`` spans are
kept out of every export (they are not named entities, the IOB formats have no room for
spans that may overlap a name, and a tool's entity layer would mix them with the names).
Mentions may nest in the TEI (an ORG holding a LOC): the span formats (XMI, brat, doccano,
Label Studio) keep them all; the IOB formats (CoNLL-2002, CoNLL-U) keep the outermost ones.

Offsets are Python ``str`` indices (Unicode code points), end exclusive. Each format
converts where its consumer counts otherwise (UIMA XMI counts UTF-16 code units; dkpro-
cassis converts on writing).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pipeline.document import (
    ENTITY_TYPES,
    Document,
    Mention,
    Paragraph,
    Sentence,
    Side,
    Token,
)
from pipeline.run.atomic import atomic_write_bytes

#: Labels the exports carry, in this order (configs, colours, label lists).
LABELS: tuple[str, ...] = ENTITY_TYPES

#: One colour per label, shared by brat, doccano and Label Studio.
COLOURS: dict[str, str] = {
    "PER": "#8dd3c7",
    "LOC": "#ffd92f",
    "ORG": "#80b1d3",
    "MISC": "#fb8072",
}

#: NLP libraries that appear next to the model they ran in a ``ner-<lang>`` layer.
_LIBRARIES = {"spacy", "stanza"}


class ExportError(ValueError):
    """The document cannot be written in this format (the TEI is inconsistent)."""


@dataclass
class SideView:
    doc_id: str
    lang: str
    text: str
    title: str
    paragraphs: list[Paragraph]
    entities: list[Mention] = field(default_factory=list)
    ner_model: str = "unknown"
    source_url: str = ""

    def sentences(self) -> list[Sentence]:
        return [s for p in self.paragraphs for s in p.sentences]

    def flat_entities(self) -> list[Mention]:
        return [m for s in self.sentences() for m in flat_entities(s)]


def entities_of(sentence: Sentence) -> list[Mention]:
    return sorted((m for m in sentence.mentions if m.label in LABELS),
                  key=lambda m: (m.start, m.end, m.label))


def side_view(doc: Document, side: Side) -> SideView:
    """The export view of one side; checks that every mention covers exactly its text."""
    entities = sorted((m for s in side.sentences() for m in entities_of(s)),
                      key=lambda m: (m.start, m.end, m.label))
    for m in entities:
        if not (0 <= m.start < m.end <= len(side.text)) or side.text[m.start:m.end] != m.text:
            raise ExportError(f"{doc.id} ({side.lang}): mention {m.text!r} [{m.start}:{m.end}] "
                              "does not cover its text")
    is_original = side is doc.original
    title = (doc.meta.title if is_original else doc.meta.title_en) or ""
    return SideView(doc_id=doc.id, lang=side.lang, text=side.text, title=title,
                    paragraphs=side.paragraphs, entities=entities,
                    ner_model=ner_model(doc, side.lang), source_url=doc.meta.url or "")


def ner_model(doc: Document, lang: str) -> str:
    """The NER model of a side as ``ident-version`` (the model rather than its library)."""
    apps = [a for a in doc.apps if a.layer == f"ner-{lang}"]
    models = [a for a in apps if a.ident.lower() not in _LIBRARIES] or apps
    if not models:
        return "unknown"
    app = models[-1]
    return f"{app.ident}-{app.version}" if app.version else app.ident


@dataclass
class Unit:
    """One span of text in a sentence: a token, or a multi-word token (du = de + le) whose
    syntactic words share the span (``Token.text`` of each word is its own form)."""

    start: int
    end: int
    surface: str  # the text of the span
    words: list[Token]


def units(sentence: Sentence, text: str) -> list[Unit]:
    out: list[Unit] = []
    for t in sentence.tokens:
        if out and (out[-1].start, out[-1].end) == (t.start, t.end):
            out[-1].words.append(t)
        else:
            out.append(Unit(t.start, t.end, text[t.start:t.end], [t]))
    return out


def flat_entities(sentence: Sentence) -> list[Mention]:
    """The outermost PER/LOC/ORG/MISC mentions: those not inside another (IOB is flat)."""
    kept: list[Mention] = []
    for m in sorted(entities_of(sentence), key=lambda m: (m.start, -m.end, m.label)):
        if kept and m.start < kept[-1].end:
            continue  # nested in (or, in a broken file, crossing) the one kept before
        kept.append(m)
    return kept


def iob_tags(sentence: Sentence, text: str) -> tuple[list[Unit], list[str]]:
    """The sentence's units and their IOB2 tags for its outermost entity mentions.

    Every mention must start on a unit's start and end on a unit's end (the TEI places
    mentions around whole tokens).
    """
    us = units(sentence, text)
    tags = ["O"] * len(us)
    for m in flat_entities(sentence):
        inside = [i for i, u in enumerate(us) if u.start < m.end and u.end > m.start]
        if not inside:
            raise ExportError(f"{sentence.id}: mention {m.text!r} covers no token")
        if us[inside[0]].start != m.start or us[inside[-1]].end != m.end:
            raise ExportError(f"{sentence.id}: mention {m.text!r} does not start and end on "
                              "token boundaries")
        for n, i in enumerate(inside):
            tags[i] = ("B-" if n == 0 else "I-") + m.label
    return us, tags


def write_text(path: Path, text: str) -> Path:
    """Write UTF-8 text exactly (no newline translation), atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, text.encode("utf-8"))
    return path
