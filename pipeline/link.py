"""Link stage: one record per real-world entity of a document, in both languages.

Mentions are grouped into records by, in order: the alias table (data/aliases.toml),
identical normalised forms, a person's surname standing for the full name, and,
across languages, the sentence alignment (an English mention of the same type in the
translation of the sentence that holds the French mention). Each record keeps its
forms per language and the method that tied the languages together.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache
from pathlib import Path

from pipeline.document import ENTITY_TYPES, Application, Document, EntityRecord, Mention

ALIASES_FILE = Path(__file__).parent / "data" / "aliases.toml"
_ARTICLES = re.compile(r"^(?:l['’]|le |la |les |the |d['’]|de |du |des )", re.IGNORECASE)
FUZZY = 0.85  # SequenceMatcher ratio above which two normalised forms are one name


def normalise(form: str) -> str:
    """Case, accents, leading articles and punctuation don't distinguish entities."""
    text = unicodedata.normalize("NFKD", form)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold().strip()
    text = _ARTICLES.sub("", text)
    return re.sub(r"[^\w]+", " ", text).strip()


@lru_cache(maxsize=1)
def alias_index() -> dict[str, tuple[int, str]]:
    """Normalised form -> (alias group number, type)."""
    data = tomllib.loads(ALIASES_FILE.read_text(encoding="utf-8"))
    index: dict[str, tuple[int, str]] = {}
    for n, group in enumerate(data["entity"]):
        for form in group.get("fr", []) + group.get("en", []):
            index.setdefault(normalise(form), (n, group["type"]))
    return index


@dataclass(eq=False)
class _Rec:
    type: str
    keys: set[str] = field(default_factory=set)
    group: int | None = None
    forms: dict[str, list[str]] = field(default_factory=dict)
    mentions: list[Mention] = field(default_factory=list)
    methods: set[str] = field(default_factory=set)

    def add(self, lang: str, m: Mention) -> None:
        forms = self.forms.setdefault(lang, [])
        if m.text not in forms:
            forms.append(m.text)
        self.keys.add(normalise(m.text))
        self.mentions.append(m)


def link(doc: Document) -> None:
    """Fill doc.records and set Mention.ref on every PER/LOC/ORG/MISC mention."""
    recs: list[_Rec] = []
    for m in _mentions(doc, doc.original.lang):
        rec = _find_same_language(recs, m) or _new(recs, m)
        rec.add(doc.original.lang, m)
    if doc.translation:
        source_recs = {id(m): r for r in recs for m in r.mentions}
        by_sentence = {s.id: s for s in doc.original.sentences()}
        for sent in doc.translation.sentences():
            src = by_sentence.get(sent.corresp or "")
            candidates = [source_recs[id(m)] for m in (src.mentions if src else [])
                          if id(m) in source_recs]
            taken: set[int] = set()
            for m in sent.mentions:
                if m.label not in ENTITY_TYPES:
                    continue
                rec, method = _match_across(recs, candidates, taken, m)
                if rec is None:
                    rec, method = _new(recs, m), ""
                taken.add(id(rec))
                if method:
                    rec.methods.add(method)
                rec.add(doc.translation.lang, m)
    doc.records = []
    for n, rec in enumerate(recs, 1):
        rid = f"{doc.id}.ent{n}"
        langs = len(rec.forms)
        method = "+".join(sorted(rec.methods)) if langs > 1 else "monolingual"
        doc.records.append(EntityRecord(rid, rec.type, rec.forms, method))
        for m in rec.mentions:
            m.ref = rid
    doc.add_app(Application("pipeline-link", "1", "link",
                            "cross-lingual entity records: alias table, identity, surname, "
                            "sentence alignment"))


def _mentions(doc: Document, lang: str) -> list[Mention]:
    side = doc.original if lang == doc.original.lang else doc.translation
    return [m for s in side.sentences() for m in s.mentions if m.label in ENTITY_TYPES] \
        if side else []


def _new(recs: list[_Rec], m: Mention) -> _Rec:
    alias = alias_index().get(normalise(m.text))
    rec = _Rec(type=alias[1] if alias else m.label, group=alias[0] if alias else None)
    recs.append(rec)
    return rec


def _same(rec: _Rec, m: Mention) -> str:
    """How a mention matches a record ("" when it does not)."""
    key = normalise(m.text)
    alias = alias_index().get(key)
    if alias and rec.group == alias[0]:
        return "alias"
    if key in rec.keys:
        return "identity"
    if rec.type == "PER" and m.label == "PER" and key:
        words = key.split()
        for k in rec.keys:
            longer, shorter = (k.split(), words) if len(k) >= len(key) else (words, k.split())
            if len(shorter) == 1 and shorter[0] == longer[-1] and len(shorter[0]) > 2:
                return "surname"
    if rec.type == m.label and any(SequenceMatcher(None, key, k).ratio() >= FUZZY
                                   for k in rec.keys):
        return "fuzzy"
    return ""


def _find_same_language(recs: list[_Rec], m: Mention) -> _Rec | None:
    for rec in recs:
        if _same(rec, m):
            return rec
    return None


def _match_across(recs: list[_Rec], candidates: list[_Rec], taken: set[int],
                  m: Mention) -> tuple[_Rec | None, str]:
    for rec in candidates:
        how = _same(rec, m)
        if how:
            return rec, how
    free = [r for r in dict.fromkeys(candidates) if id(r) not in taken and r.type == m.label
            and not _resolves_elsewhere(recs, r, m)]
    if len(free) == 1:
        return free[0], "alignment"
    for rec in recs:
        how = _same(rec, m)
        if how:
            return rec, how
    return None, ""


def _resolves_elsewhere(recs: list[_Rec], candidate: _Rec, m: Mention) -> bool:
    """True when the mention clearly names another record than the aligned candidate."""
    return any(r is not candidate and _same(r, m) for r in recs)
