"""Translate stage: one English sentence for every sentence of the original.

Sentences of all documents in a batch go to the engine together (batching across
documents is the biggest speed lever); a persistent cache keyed by the engine's
fingerprint and the sentence text makes reruns and repeated sentences free.
Sentences that are not in the source language, or hold nothing to translate, are
carried over as they are, with the reason recorded on the sentence.

Names are translated as units and projected onto the English (stages/entities.py): the
English sentence comes with a mention, of the same entity by construction, for each
French name. Words the engine did not know are translated through another pivot or kept
in French and marked foreign, never left in the pivot language (stages/unknown.py); each
document's note says how many.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from pipeline.document import (
    FOREIGN,
    PARA_SEP,
    Document,
    Mention,
    Note,
    Paragraph,
    Sentence,
    Side,
)
from pipeline.engines.base import Translator
from pipeline.run.atomic import set_aside
from pipeline.stages import entities, unknown
from pipeline.stages.langid import detect_language

log = logging.getLogger(__name__)
_T = TypeVar("_T")

TARGET = "en"
#: Sentences shorter than this (in words) are trusted to be in the article's language:
#: language guesses on a few words are unreliable.
MIN_WORDS_FOR_LANGID = 6
#: Report codes (pipeline/errors.py).
UNTRANSLATED_WORDS = "untranslated-words"
OTHER_PIVOT = "mt-other-pivot"


class TranslationCache:
    """sqlite cache: (engine fingerprint, source text) -> translation.

    Disposable: a file that is not a database, or whose pages are damaged, is set aside
    (``mt.sqlite.unreadable-<time>``, with a note in :attr:`notes`) and rebuilt, and the
    read or write is tried again once. Errors that are the machine's (disk full,
    read-only, locked) are raised: the runner makes them a run fault.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self.notes: list[str] = []
        self._ino = 0
        self.hits = 0
        self.misses = 0
        if path is None:
            self.db = sqlite3.connect(":memory:", check_same_thread=False)
            self._schema()
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._connect()
            self.db.execute("SELECT key, target FROM mt LIMIT 1").fetchall()
        except sqlite3.DatabaseError as exc:
            self._reset(exc)

    @property
    def inode(self) -> int:
        """The file's inode when opened (0 in memory): tells a set-aside file from its
        replacement."""
        return self._ino

    def _connect(self) -> None:
        assert self.path is not None
        self.db = sqlite3.connect(str(self.path), timeout=60, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self._schema()
        self._ino = os.stat(self.path).st_ino

    def _schema(self) -> None:
        self.db.execute("CREATE TABLE IF NOT EXISTS mt (key TEXT PRIMARY KEY, target TEXT)")

    def _reset(self, exc: sqlite3.DatabaseError) -> None:
        """Set a damaged file aside (unless another process already did) and start anew."""
        if self.path is None or not _damaged(exc):
            raise exc
        with contextlib.suppress(sqlite3.Error, AttributeError):
            self.db.close()
        try:
            same = os.stat(self.path).st_ino == self._ino or not self._ino
        except FileNotFoundError:
            same = False
        if same:
            _, note = set_aside(self.path, f"{type(exc).__name__}: {exc}")
            note += "; translations are computed again"
            self.notes.append(note)
            log.warning(note)
        self._connect()

    def _retry(self, action: Callable[[], _T]) -> _T:
        try:
            return action()
        except sqlite3.DatabaseError as exc:
            self._reset(exc)
            return action()

    @staticmethod
    def key(fingerprint: str, text: str) -> str:
        return hashlib.sha256(f"{fingerprint}\x00{text}".encode()).hexdigest()

    def get_many(self, fingerprint: str, texts: list[str]) -> dict[str, str]:
        keys = {self.key(fingerprint, t): t for t in texts}
        items = list(keys)

        def read() -> dict[str, str]:
            found: dict[str, str] = {}
            for i in range(0, len(items), 500):
                chunk = items[i : i + 500]
                marks = ",".join("?" * len(chunk))
                for k, v in self.db.execute(
                        f"SELECT key, target FROM mt WHERE key IN ({marks})", chunk):
                    found[keys[k]] = v
            return found

        with self._lock:
            return self._retry(read)

    def put_many(self, fingerprint: str, pairs: dict[str, str]) -> None:
        rows = [(self.key(fingerprint, s), t) for s, t in pairs.items()]

        def write() -> None:
            with self.db:
                self.db.executemany("INSERT OR REPLACE INTO mt VALUES (?, ?)", rows)

        with self._lock:
            self._retry(write)

    def close(self) -> None:
        self.db.close()


def _damaged(exc: sqlite3.DatabaseError) -> bool:
    """Whether the file itself is bad (set it aside), not the disk or a lock (raise)."""
    text = str(exc).lower()
    return any(w in text for w in ("not a database", "malformed", "corrupt", "no such table",
                                   "file is encrypted"))


def carry_reason(sentence: Sentence, source_lang: str) -> str | None:
    """Why a sentence should not go to the engine, or None when it should."""
    if not any(ch.isalpha() for ch in sentence.text):
        return "no words to translate"
    if sentence.lang and sentence.lang != source_lang:  # marked by cleaning (a quote)
        return f"not {source_lang} ({sentence.lang}, a quotation)"
    if len(sentence.text.split()) >= MIN_WORDS_FOR_LANGID:
        lang, confidence = detect_language(sentence.text)
        if lang != source_lang and confidence >= 0.8:
            sentence.lang = lang
            return f"not {source_lang} (detected {lang}, confidence {confidence:.2f})"
    return None


@dataclass
class _Job:
    """One sentence to translate: what the engine gets, and the names it protects."""

    sent: Sentence
    protected: entities.Protected
    result: unknown.Outcome | None = None


@dataclass
class _Chunk:
    """A chunk's sentences, their jobs, and the English forms of their names."""

    plans: list[tuple[Document, list[tuple[Sentence, str | None]]]] = field(default_factory=list)
    jobs: dict[str, _Job] = field(default_factory=dict)  # sentence id -> job
    forms: dict[str, entities.Form] = field(default_factory=dict)  # French name -> form
    alone: list[str] = field(default_factory=list)  # names the engine translates alone
    #: name -> (what the engine gets for it, its shielded name parts)
    shielded: dict[str, tuple[str, dict[str, str]]] = field(default_factory=dict)
    split: set[str] = field(default_factory=set)  # texts the engine cut in parts


def translate(docs: list[Document], translator: Translator, cache: TranslationCache, *,
              names: bool = True) -> None:
    """Build each document's translation side, sentence-aligned with its original, with
    each name translated as a unit and projected onto the English (stages/entities.py),
    and no word the engine did not know left unmarked (stages/unknown.py).

    ``names=False`` gives the engine's plain output (what the stage did before names were
    handled; tools/eval_names.py measures both)."""
    protects = names and translator.protects_names
    chunk = _plan(docs, protects, names)
    texts = [j.protected.text for j in chunk.jobs.values()] + \
        [chunk.shielded[name][0] for name in chunk.alone]
    done = _cached(translator, cache, texts, chunk)
    if names:
        _resolve(chunk, translator, cache, done, protects)
    else:
        for job in chunk.jobs.values():
            plain = " ".join(done[job.protected.text].replace(entities.UNKNOWN, "").split())
            job.result = unknown.Outcome(plain, [], [])
    for doc, plan in chunk.plans:
        _build_side(doc, plan, chunk.jobs)
        cut = sum(1 for sent, reason in plan if reason is None and
                  chunk.jobs[sent.id].protected.text in chunk.split)
        if cut:
            doc.notes.append(Note("mt-length", f"{cut} sentence(s) over the MT model's input "
                                  "limit were translated in parts"))
        _count_words(doc, [chunk.jobs[s.id] for s, reason in plan if reason is None])
        for app in translator.applications():
            doc.add_app(app)


def _resolve(chunk: _Chunk, translator: Translator, cache: TranslationCache,
             done: dict[str, str], protects: bool) -> None:
    """Names put back and projected, unknown words resolved: each job gets its result."""
    unchanged = _unchanged_at_first_step(chunk.alone, translator, cache)
    for name in chunk.alone:
        sent, kept = chunk.shielded[name]
        chunk.forms[name] = entities.Form(name, "kept") if name in unchanged else \
            entities.from_engine(name, entities.unshield(done[sent], kept))
    items = [_project(job, done[job.protected.text], chunk.forms, protects)
             for job in chunk.jobs.values()]
    first_step = translator.first_step_engine()
    fallbacks = translator.fallbacks()
    outcomes = unknown.resolve(
        items,
        _word_engine(first_step, f"{translator.fingerprint()}|first-step", cache)
        if first_step else None,
        [_word_engine(f.translate_marked, f"{f.fingerprint()}|marked", cache)
         for f in fallbacks],
    )
    for job, outcome in zip(chunk.jobs.values(), outcomes, strict=True):
        job.result = outcome


def _unchanged_at_first_step(names: list[str], translator: Translator,
                             cache: TranslationCache) -> set[str]:
    """Capitalised names the first step of a pivot chain writes unchanged: a name its
    French dictionary does not know (« Goma ») or knows as the same in the pivot language
    (« Washington »). The English is then the name as written: whatever the second step
    makes of it is a pivot-language reading (Spanish « goma » -> "rubber")."""
    first_step = translator.first_step_engine()
    todo = [n for n in names if n[:1].isupper()]
    if first_step is None or not todo:
        return set()
    engine = _word_engine(first_step, f"{translator.fingerprint()}|first-step", cache)
    out = engine(todo)
    return {n for n, o in zip(todo, out, strict=True)
            if " ".join(o.replace(entities.UNKNOWN, "").split()) == " ".join(n.split())}


def _plan(docs: list[Document], protects: bool, names: bool) -> _Chunk:
    """Which sentences go to the engine, as what, and which names it translates alone."""
    chunk = _Chunk()
    for doc in docs:
        plan = []
        for sent in doc.original.sentences():
            reason = carry_reason(sent, doc.original.lang)
            plan.append((sent, reason))
            if reason is not None:
                continue
            protected = entities.protect(sent) if protects else entities.Protected(sent.text)
            chunk.jobs[sent.id] = _Job(sent, protected)
            for m in entities.names(sent) if names else []:
                if m.text not in chunk.forms:
                    form = entities.decide(m)
                    if form is not None:
                        chunk.forms[m.text] = form
                    elif m.text not in chunk.alone:
                        chunk.alone.append(m.text)
                        alone = entities.with_article(sent, m)
                        chunk.shielded[m.text] = entities.shield(alone) if protects \
                            else (alone, {})
        chunk.plans.append((doc, plan))
    return chunk


def _cached(translator: Translator, cache: TranslationCache, texts: list[str],
            chunk: _Chunk) -> dict[str, str]:
    """The engine's output for each text (marked, when it marks unknown words), through
    the cache; each distinct text goes to the engine once."""
    unique = list(dict.fromkeys(texts))
    fingerprint = translator.fingerprint()
    done = cache.get_many(fingerprint, unique)
    cache.hits += len(done)
    todo = [t for t in unique if t not in done]
    cache.misses += len(todo)
    if todo:
        # Longest first keeps batches of similar lengths together (less padding for neural MT).
        todo.sort(key=len, reverse=True)
        new = dict(zip(todo, translator.translate_marked(todo), strict=True))
        chunk.split = {todo[i] for i in translator.last_split}
        cache.put_many(fingerprint, new)
        done.update(new)
    return done


def _word_engine(fn: Callable[[list[str]], list[str]], fingerprint: str,
                 cache: TranslationCache) -> Callable[[list[str]], list[str]]:
    """An engine call for single words, through the cache under its own fingerprint."""
    def call(words: list[str]) -> list[str]:
        done = cache.get_many(fingerprint, words)
        todo = [w for w in dict.fromkeys(words) if w not in done]
        if todo:
            new = dict(zip(todo, fn(todo), strict=True))
            cache.put_many(fingerprint, new)
            done.update(new)
        return [done[w] for w in words]
    return call


def _project(job: _Job, output: str, forms: dict[str, entities.Form],
             protects: bool) -> unknown.Item:
    """Names put back (or searched for) in one sentence's English output."""
    text = " ".join(output.split())
    sent = job.sent
    if protects:
        projected = entities.substitute(text, job.protected, forms)
        missing = projected.lost
    else:
        projected = entities.Projected(text)
        missing = entities.names(sent)
    if missing:
        taken = [(a, b) for a, b, _, _ in projected.spans]
        projected.spans += entities.search(projected.text, missing, forms, taken)
    spans = [(m.start - sent.start, m.end - sent.start) for m in entities.names(sent)]
    return unknown.Item(sent.text, spans, projected)


def _count_words(doc: Document, jobs: list[_Job]) -> None:
    """Per document: words left in French (marked foreign), words another pivot gave."""
    foreign = [w for j in jobs if j.result for w in j.result.foreign_words()]
    other = sum(j.result.by_fallback for j in jobs if j.result)
    if foreign:
        shown = ", ".join(dict.fromkeys(foreign))
        doc.notes.append(Note(UNTRANSLATED_WORDS, f"{len(foreign)} word(s) the MT did not "
                              f"know were kept in the source language, marked as foreign: "
                              f"{shown}"))
    if other:
        doc.notes.append(Note(OTHER_PIVOT, f"{other} word(s) the first pivot did not know "
                              "were translated through another pivot"))


def _build_side(doc: Document, plan: list[tuple[Sentence, str | None]],
                jobs: dict[str, _Job]) -> None:
    reasons = {s.id: reason for s, reason in plan}
    side = Side(TARGET)
    parts: list[str] = []
    pos = 0
    carried = 0
    for para in doc.original.paragraphs:
        if parts:
            pos += len(PARA_SEP)
        new_para = Paragraph(id=_target_id(para.id, doc.original.lang), start=pos, end=pos,
                             kind=para.kind)
        for sent in para.sentences:
            if new_para.sentences:
                pos += 1  # one space between sentences
            target = _target_sentence(sent, reasons[sent.id], jobs.get(sent.id), pos,
                                      doc.original.lang)
            carried += target.untranslated is not None
            new_para.sentences.append(target)
            pos = target.end
        new_para.end = pos
        parts.append(" ".join(s.text for s in new_para.sentences))
        side.paragraphs.append(new_para)
    side.text = PARA_SEP.join(parts)
    doc.translation = side
    heads = [p for p in side.paragraphs if p.kind == "head"]
    if heads:
        doc.meta.title_en = side.text[heads[0].start : heads[0].end]
    if carried:
        doc.notes.append(Note("untranslated", f"{carried} sentence(s) carried over untranslated"))


def _target_sentence(sent: Sentence, reason: str | None, job: _Job | None, pos: int,
                     source_lang: str) -> Sentence:
    """The English sentence at ``pos``: the engine's, with its projected names and
    foreign words as mentions; or the source carried over, with the reason."""
    outcome = job.result if job and reason is None else None
    text = outcome.text if outcome else ""
    if reason is None and not text:
        reason = "the engine returned an empty translation"
    if reason is not None or outcome is None:
        return Sentence(id=_target_id(sent.id, source_lang), start=pos,
                        end=pos + len(sent.text), text=sent.text, corresp=sent.id,
                        lang=sent.lang, untranslated=reason)
    mentions = entities.projected_mentions(outcome.spans, pos)
    mentions += [Mention(pos + a, pos + b, FOREIGN, text[a:b], source_lang)
                 for a, b in outcome.foreign]
    mentions.sort(key=lambda m: (m.start, m.end))
    return Sentence(id=_target_id(sent.id, source_lang), start=pos, end=pos + len(text),
                    text=text, mentions=mentions, corresp=sent.id)


def _target_id(source_id: str, source_lang: str) -> str:
    return source_id.replace(f".{source_lang}.", f".{TARGET}.", 1)
