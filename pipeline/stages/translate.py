"""Translate stage: one English sentence for every sentence of the original.

Sentences of all documents in a batch go to the engine together (batching across
documents is the biggest speed lever); a persistent cache keyed by the engine's
fingerprint and the sentence text makes reruns and repeated sentences free.
Sentences that are not in the source language, or hold nothing to translate, are
carried over as they are, with the reason recorded on the sentence.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from pathlib import Path

from pipeline.document import PARA_SEP, Document, Note, Paragraph, Sentence, Side
from pipeline.engines.base import Translator
from pipeline.stages.langid import detect_language

TARGET = "en"
#: Sentences shorter than this (in words) are trusted to be in the article's language:
#: language guesses on a few words are unreliable.
MIN_WORDS_FOR_LANGID = 6


class TranslationCache:
    """sqlite cache: (engine fingerprint, source text) -> translation."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        if path is None:
            self.db = sqlite3.connect(":memory:", check_same_thread=False)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(str(path), timeout=60, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS mt (key TEXT PRIMARY KEY, target TEXT)")
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(fingerprint: str, text: str) -> str:
        return hashlib.sha256(f"{fingerprint}\x00{text}".encode()).hexdigest()

    def get_many(self, fingerprint: str, texts: list[str]) -> dict[str, str]:
        keys = {self.key(fingerprint, t): t for t in texts}
        found: dict[str, str] = {}
        items = list(keys)
        with self._lock:
            for i in range(0, len(items), 500):
                chunk = items[i : i + 500]
                marks = ",".join("?" * len(chunk))
                for k, v in self.db.execute(f"SELECT key, target FROM mt WHERE key IN ({marks})",
                                            chunk):
                    found[keys[k]] = v
        return found

    def put_many(self, fingerprint: str, pairs: dict[str, str]) -> None:
        with self._lock, self.db:
            self.db.executemany(
                "INSERT OR REPLACE INTO mt VALUES (?, ?)",
                [(self.key(fingerprint, s), t) for s, t in pairs.items()],
            )

    def close(self) -> None:
        self.db.close()


def carry_reason(sentence: Sentence, source_lang: str) -> str | None:
    """Why a sentence should not go to the engine, or None when it should."""
    if not any(ch.isalpha() for ch in sentence.text):
        return "no words to translate"
    if len(sentence.text.split()) >= MIN_WORDS_FOR_LANGID:
        lang, confidence = detect_language(sentence.text)
        if lang != source_lang and confidence >= 0.8:
            sentence.lang = lang
            return f"not {source_lang} (detected {lang}, confidence {confidence:.2f})"
    return None


def translate(docs: list[Document], translator: Translator, cache: TranslationCache) -> None:
    """Build each document's translation side, sentence-aligned with its original."""
    wanted: list[str] = []
    plans: list[tuple[Document, list[tuple[Sentence, str | None]]]] = []
    for doc in docs:
        plan = []
        for sent in doc.original.sentences():
            reason = carry_reason(sent, doc.original.lang)
            plan.append((sent, reason))
            if reason is None:
                wanted.append(sent.text)
        plans.append((doc, plan))
    unique = list(dict.fromkeys(wanted))
    done = cache.get_many(translator.fingerprint(), unique)
    cache.hits += len(done)
    todo = [t for t in unique if t not in done]
    cache.misses += len(todo)
    if todo:
        # Longest first keeps batches of similar lengths together (less padding for neural MT).
        todo.sort(key=len, reverse=True)
        new = dict(zip(todo, translator.translate(todo), strict=True))
        split = {todo[i] for i in getattr(translator, "last_split", [])}
        cache.put_many(translator.fingerprint(), new)
        done.update(new)
    else:
        split = set()
    for doc, plan in plans:
        _build_side(doc, plan, done)
        cut = sum(1 for sent, reason in plan if reason is None and sent.text in split)
        if cut:
            doc.notes.append(Note("mt-length", f"{cut} sentence(s) over the MT model's input "
                                  "limit were translated in parts"))
        for app in translator.applications():
            doc.add_app(app)


def _build_side(doc: Document, plan: list[tuple[Sentence, str | None]],
                done: dict[str, str]) -> None:
    by_id = {s.id: (s, reason) for s, reason in plan}
    side = Side(TARGET)
    parts: list[str] = []
    pos = 0
    carried = 0
    for para in doc.original.paragraphs:
        if parts:
            pos += len(PARA_SEP)
        start = pos
        new_para = Paragraph(id=_target_id(para.id, doc.original.lang), start=start, end=start,
                             kind=para.kind)
        for sent in para.sentences:
            source, reason = by_id[sent.id]
            text = source.text if reason else " ".join(done[source.text].split())
            if not text:
                text, reason = source.text, "the engine returned an empty translation"
            if reason:
                carried += 1
            if new_para.sentences:
                pos += 1  # one space between sentences
            new_para.sentences.append(Sentence(
                id=_target_id(sent.id, doc.original.lang), start=pos, end=pos + len(text),
                text=text, corresp=sent.id, lang=source.lang if reason else None,
                untranslated=reason,
            ))
            pos += len(text)
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


def _target_id(source_id: str, source_lang: str) -> str:
    return source_id.replace(f".{source_lang}.", f".{TARGET}.", 1)
