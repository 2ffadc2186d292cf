"""Bounded analysis: no text the annotator sees is ever too long, no call too big.

spaCy refuses texts over ``nlp.max_length`` (1,000,000 characters) and needs about
1 GB of memory per 100,000 characters it holds at once; a scraped page flattened to one
line can be a single paragraph of a megabyte. :class:`BoundedAnnotator` wraps any
annotator so that

* a text longer than :data:`PIECE_CHARS` is cut into pieces at sentence ends (else at
  spaces, else anywhere), analysed piece by piece, and the results are shifted back to
  the text's offsets: a sentence never spans two pieces;
* one call to the backend never holds more than about :data:`CALL_CHARS` characters,
  so memory stays bounded whatever the documents in a chunk.

Texts under the limits reach the backend unchanged, in the same order: for ordinary
articles the results are exactly those of the bare annotator.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from pipeline.document import Mention, Sentence, Token

PIECE_CHARS = 20_000
CALL_CHARS = 200_000

_SENT_CUT = re.compile(r"[.!?…][»”\"')\]]*\s+")
_SPACE_CUT = re.compile(r"\s+")


def pieces(text: str, limit: int = PIECE_CHARS) -> list[tuple[int, int]]:
    """Cut ``text`` into spans of at most ``limit`` characters, at sentence ends if possible."""
    spans: list[tuple[int, int]] = []
    a, n = 0, len(text)
    while n - a > limit:
        window = text[a : a + limit]
        cut = 0
        for pattern in (_SENT_CUT, _SPACE_CUT):
            ends = [m.end() for m in pattern.finditer(window, limit // 2)]
            if ends:
                cut = ends[-1]
                break
        if cut <= 0:
            cut = limit
        spans.append((a, a + cut))
        a += cut
    spans.append((a, n))
    return spans


def shift(sent: Sentence, offset: int) -> Sentence:
    """The same sentence with every offset moved by ``offset``."""
    return Sentence(
        id=sent.id, start=sent.start + offset, end=sent.end + offset, text=sent.text,
        tokens=[Token(t.start + offset, t.end + offset, t.text, t.lemma, t.upos, t.feats,
                      t.space_after) for t in sent.tokens],
        mentions=[Mention(m.start + offset, m.end + offset, m.label, m.text, m.source_label,
                          m.ref) for m in sent.mentions],
        corresp=sent.corresp, lang=sent.lang, untranslated=sent.untranslated,
    )


def _calls(items: list[str], budget: int) -> Iterator[tuple[int, int]]:
    """Consecutive index ranges of ``items`` holding at most ``budget`` characters each."""
    start, size = 0, 0
    for i, text in enumerate(items):
        if i > start and size + len(text) > budget:
            yield start, i
            start, size = i, 0
        size += len(text)
    if start < len(items):
        yield start, len(items)


class BoundedAnnotator:
    """An annotator (see ``engines.base.Annotator``) that never sees too much at once."""

    def __init__(self, inner: Any, piece_chars: int = PIECE_CHARS,
                 call_chars: int = CALL_CHARS) -> None:
        self.inner = inner
        self.piece_chars = piece_chars
        self.call_chars = call_chars
        self.name = getattr(inner, "name", "annotator")

    def applications(self) -> list[Any]:
        apps: list[Any] = self.inner.applications()
        return apps

    def _pieces(self, texts: list[str]) -> tuple[list[str], list[tuple[int, int]]]:
        flat: list[str] = []
        owner: list[tuple[int, int]] = []  # (text index, offset of the piece)
        for i, text in enumerate(texts):
            for a, b in pieces(text, self.piece_chars):
                flat.append(text[a:b])
                owner.append((i, a))
        return flat, owner

    def split_and_analyse(self, texts: list[str]) -> list[list[Sentence]]:
        flat, owner = self._pieces(texts)
        out: list[list[Sentence]] = [[] for _ in texts]
        for a, b in _calls(flat, self.call_chars):
            results = self.inner.split_and_analyse(flat[a:b])
            for (i, offset), sentences in zip(owner[a:b], results, strict=True):
                out[i].extend(shift(s, offset) if offset else s for s in sentences)
        return out

    def analyse_sentences(self, texts: list[str]) -> list[Sentence]:
        flat, owner = self._pieces(texts)
        parts: list[list[tuple[int, Sentence]]] = [[] for _ in texts]
        for a, b in _calls(flat, self.call_chars):
            results = self.inner.analyse_sentences(flat[a:b])
            for (i, offset), sent in zip(owner[a:b], results, strict=True):
                parts[i].append((offset, sent))
        out: list[Sentence] = []
        for text, sent_parts in zip(texts, parts, strict=True):
            if len(sent_parts) == 1 and sent_parts[0][0] == 0:
                out.append(sent_parts[0][1])
                continue
            moved = [shift(s, offset) for offset, s in sent_parts]
            start = min((s.start for s in moved), default=0)
            end = max((s.end for s in moved), default=0)
            out.append(Sentence(id="", start=start, end=end, text=text[start:end],
                                tokens=[t for s in moved for t in s.tokens],
                                mentions=[m for s in moved for m in s.mentions]))
        return out


def bounded(annotator: Any) -> Any:
    """Wrap an annotator once (a wrapped one is returned as it is)."""
    return annotator if isinstance(annotator, BoundedAnnotator) else BoundedAnnotator(annotator)
