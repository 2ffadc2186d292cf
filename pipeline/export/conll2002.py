"""CoNLL-2002 named entities (IOB2), as INCEpTION / WebAnno and DKPro Core read them.

Per document: ``conll2002/<lang>/<doc-id>.conll``. One token a line, ``FORM NER`` separated
by a single space (DKPro Core's reader splits each line on " " and wants exactly two
fields), a blank line after each sentence. A space inside a token (rare: "20 000") is
written as U+00A0 so the line keeps its two fields. A multi-word token (du = de + le) is
one line, its surface form. Tags: ``B-PER``/``I-PER``... and ``O``, for the outermost
mentions (IOB2 cannot nest).
"""

from __future__ import annotations

from pathlib import Path

from pipeline.export.common import SideView, iob_tags, write_text

NAME = "conll2002"
FLAT = True  # nested mentions: the outermost only
EXT = ".conll"
_ASCII_SPACE = str.maketrans({c: "\u00a0" for c in " \t\n\r\f\v"})


def form(text: str) -> str:
    """A token's text as one CoNLL-2002 field."""
    return text.translate(_ASCII_SPACE)


def to_conll(view: SideView) -> str:
    blocks = []
    for sent in view.sentences():
        if not sent.tokens:
            continue
        us, tags = iob_tags(sent, view.text)
        blocks.append("".join(f"{form(u.surface)} {tag}\n"
                              for u, tag in zip(us, tags, strict=True)))
    return "\n".join(blocks)


def write(view: SideView, folder: Path) -> list[Path]:
    return [write_text(folder / f"{view.doc_id}{EXT}", to_conll(view))]


def write_config(folder: Path, lang: str) -> list[Path]:
    return []
