"""Analyse stage: sentences, tokens, lemmas, UPOS, features and entity mentions.

Works on a batch of documents so the backend sees many texts at once (nlp.pipe).
The original side is split into sentences here; the translation side keeps the
sentences the translate stage made (one per source sentence) and is only analysed.
"""

from __future__ import annotations

from dataclasses import replace

from pipeline.document import FOREIGN, PROJECTION, Document, Mention, Sentence, Side, Token
from pipeline.engines.base import Annotator


def analyse_original(docs: list[Document], annotator: Annotator) -> None:
    """Split every paragraph of each document's original side and analyse it."""
    paras = [(d, p) for d in docs for p in d.original.paragraphs]
    results = annotator.split_and_analyse([d.original.text[p.start : p.end] for d, p in paras])
    for (_doc, para), sentences in zip(paras, results, strict=True):
        para.sentences = []
        for n, sent in enumerate(sentences, 1):
            shifted = _shift(sent, para.start)
            shifted.id = f"{para.id}.s{n}"
            shifted.lang = shifted.lang or para.lang  # a quote cleaning marked
            para.sentences.append(shifted)
    for doc in docs:
        for app in annotator.applications():
            doc.add_app(app)


def analyse_translation(docs: list[Document], annotator: Annotator) -> None:
    """Analyse each translated sentence on its own: the alignment fixes the boundaries.

    Mentions the translate stage already put there (names projected from the original,
    foreign words) stay; the model adds the mentions it finds elsewhere: where both
    cover the same words, the projection wins.
    """
    sents = [s for d in docs if d.translation for s in d.translation.sentences() if s.text]
    results = annotator.analyse_sentences([s.text for s in sents])
    for target, result in zip(sents, results, strict=True):
        moved = _shift(result, target.start)
        target.tokens = moved.tokens
        target.mentions = merge_mentions(target.mentions, moved.mentions)
    for doc in docs:
        if doc.translation:
            for app in annotator.applications():
                doc.add_app(app)


def merge_mentions(kept: list[Mention], found: list[Mention]) -> list[Mention]:
    """``kept`` (projected names, foreign words) plus the model's mentions that overlap
    no projected name and cross no foreign word."""
    names = [m for m in kept if m.method == PROJECTION]
    foreign = [m for m in kept if m.label == FOREIGN]
    out = list(kept)
    for m in found:
        if any(p.start < m.end and m.start < p.end for p in names):
            continue
        if any(f.start < m.end and m.start < f.end and not (m.start <= f.start and f.end <= m.end)
               for f in foreign):
            continue
        out.append(m)
    return sorted(out, key=lambda m: (m.start, m.end))


def _shift(sent: Sentence, offset: int) -> Sentence:
    """Move a sentence's offsets from its text's frame into the whole side's frame."""
    return Sentence(
        id=sent.id,
        start=sent.start + offset,
        end=sent.end + offset,
        text=sent.text,
        tokens=[
            Token(t.start + offset, t.end + offset, t.text, t.lemma, t.upos, t.feats, t.space_after)
            for t in sent.tokens
        ],
        mentions=[replace(m, start=m.start + offset, end=m.end + offset) for m in sent.mentions],
        corresp=sent.corresp,
        lang=sent.lang,
        untranslated=sent.untranslated,
    )


def check_offsets(side: Side) -> list[str]:
    """Every sentence, token and mention must cover exactly its text (used by tests too).

    The syntactic words of a multi-word token (« du » = de + le) share the token's span and
    carry their own forms: the span must be a token of the text, in order, each word a form.
    """
    problems = []
    for sent in side.sentences():
        if side.text[sent.start : sent.end] != sent.text:
            problems.append(f"{sent.id}: sentence offsets do not match its text")
        spans = [(t.start, t.end) for t in sent.tokens]
        for i, tok in enumerate(sent.tokens):
            shared = spans.count((tok.start, tok.end)) > 1
            if not shared and side.text[tok.start : tok.end] != tok.text:
                problems.append(f"{sent.id}: token {tok.text!r} offsets do not match")
            elif shared and not (tok.text and sent.start <= tok.start < tok.end <= sent.end):
                problems.append(f"{sent.id}: word {tok.text!r} of a multi-word token is "
                                "empty or outside its sentence")
            if i and spans[i] != spans[i - 1] and tok.start < spans[i - 1][1]:
                problems.append(f"{sent.id}: token {tok.text!r} overlaps the one before")
        for m in sent.mentions:
            if side.text[m.start : m.end] != m.text:
                problems.append(f"{sent.id}: mention {m.text!r} offsets do not match")
    return problems
