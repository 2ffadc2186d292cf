"""Link stage: one record per real-world entity of a document, in both languages.

French mentions are grouped into records first, by the alias table
(data/aliases.toml), identical normalised forms, a person's surname standing for the
full name, and near-identical spellings. Each English mention is then tied to a
record on evidence, strongest first:

* ``alias``    both forms are in one alias group (« Irak » / "Iraq", « EI » / "ISIS");
* ``identity`` the same normalised form (« Lloyd Austin » / "Lloyd Austin");
* ``surname``  a person's last name alone ("Soleimani" / « Qassem Soleimani »);
* ``fuzzy``    near-identical spellings once transliterated (« Hachd » / "Hashd");
* ``projection`` (first of all) the English mention was projected from a French one by
  the translate stage (stages/entities.py): it joins that mention's record;
* ``overlap``  at least half of the English mention's content words match the words
  of a record of the same type in the French source sentence (the translation of
  that sentence), cognates included (« Département d'État » / "Department of State").

The first four are searched in the aligned French sentence, then in the whole
document; ``overlap`` only in the aligned sentence. A mention with no evidence starts
an English-only record: no record is tied on position alone. Records keep their
forms per language and the methods that tied the languages together.

Work is linear in the document's size: searches over the whole document go through an
index of the records (alias group, normalised forms, surnames, and for near-identical
spellings a block of forms with the same number of words and first letter, at most
:data:`FUZZY_CANDIDATES` of them); only the aligned sentence's few records are scanned.

One entity, one type: each record takes the alias table's type, else the type most
of its original-language mentions carry, and every mention of it takes that label
(the backend's own label stays in ``Mention.source_label``).
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache
from pathlib import Path
from typing import Any

from pipeline.document import (
    ENTITY_TYPES,
    PROJECTION,
    Application,
    Document,
    EntityRecord,
    Mention,
    Sentence,
)

ALIASES_FILE = Path(__file__).parent.parent / "data" / "aliases.toml"
_ARTICLES = re.compile(r"^(?:l['’]|le |la |les |the |d['’]|de |du |des )", re.IGNORECASE)
FUZZY = 0.85  # SequenceMatcher ratio above which two transliterated forms are one name
WORD_FUZZY = 0.8  # ... above which two words are one word (cognates: departement/department)
OVERLAP = 0.5  # share of an English mention's content words that must match a record's
#: Function words of both languages, and name particles shared by many names
#: (« al- », "bin"), which are no evidence that two mentions name the same thing.
_STOP = frozenset("""
a au aux avec d de des du en et l la le les par pour sur un une
an and at by for from in of on or the to with
al el bin ben ibn
""".split())
#: French -> English spelling of the same sounds in transliterated names.
_TRANSLIT = (("ch", "sh"), ("ou", "u"), ("gh", "g"), ("q", "k"), ("dj", "j"), ("ph", "f"))
#: Strength of each method, strongest first.
METHODS = ("alias", "identity", "surname", "fuzzy", "overlap")
STRONG = METHODS.index("overlap")  # ranks below this are strong evidence
#: A record's methods, as its TEI note lists them: ``projection`` (an English mention
#: projected from a French one by the translate stage) before the evidence methods.
RECORD_METHODS = (PROJECTION, *METHODS)
#: Most forms one mention is compared with for near-identical spellings, whatever the
#: document's size (the comparisons are what made long documents quadratic).
FUZZY_CANDIDATES = 64


def normalise(form: str) -> str:
    """Case, accents, leading articles and punctuation don't distinguish entities."""
    text = unicodedata.normalize("NFKD", form)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold().strip()
    text = _ARTICLES.sub("", text)
    return re.sub(r"[^\w]+", " ", text).strip()


def transliterate(key: str) -> str:
    """A normalised form spelled the same way whatever the language (« bagdad » = "baghdad")."""
    for a, b in _TRANSLIT:
        key = key.replace(a, b)
    return re.sub(r"(\w)\1", r"\1", key)  # doubled letters: Hussein / Husein


@lru_cache(maxsize=1)
def alias_groups() -> list[dict[str, Any]]:
    """The alias table: groups of forms of one entity, per language, with a type."""
    data = tomllib.loads(ALIASES_FILE.read_text(encoding="utf-8"))
    groups: list[dict[str, Any]] = data["entity"]
    for n, group in enumerate(groups):
        if group.get("type") not in ENTITY_TYPES:
            raise ValueError(f"{ALIASES_FILE.name}: entity {n + 1} has type "
                             f"{group.get('type')!r}, not one of {ENTITY_TYPES}")
    return groups


@lru_cache(maxsize=1)
def alias_index() -> dict[str, tuple[int, str]]:
    """Normalised form -> (alias group number, type)."""
    index: dict[str, tuple[int, str]] = {}
    for n, group in enumerate(alias_groups()):
        for forms in group.values():
            if isinstance(forms, list):  # "type" and "article" are not forms
                for form in forms:
                    index.setdefault(normalise(form), (n, group["type"]))
    return index


def _words(key: str) -> list[str]:
    return [w for w in key.split() if w not in _STOP]


@dataclass(eq=False)
class _Rec:
    type: str
    keys: set[str] = field(default_factory=set)
    group: int | None = None
    forms: dict[str, list[str]] = field(default_factory=dict)
    mentions: list[tuple[str, Mention]] = field(default_factory=list)
    methods: set[str] = field(default_factory=set)

    def add(self, lang: str, m: Mention) -> None:
        forms = self.forms.setdefault(lang, [])
        if m.text not in forms:
            forms.append(m.text)
        self.keys.add(normalise(m.text))
        self.mentions.append((lang, m))

    def words(self) -> set[str]:
        """Content words of every form, with the English forms of its alias group."""
        keys = set(self.keys)
        if self.group is not None:
            keys.update(normalise(f) for f in alias_groups()[self.group].get("en", []))
        return {transliterate(w) for k in keys for w in _words(k)}


class _Index:
    """The records of a document, findable by each kind of strong evidence."""

    def __init__(self) -> None:
        self.recs: list[_Rec] = []
        self.order: dict[int, int] = {}  # id(rec) -> creation rank (ties go to the first)
        self.by_group: dict[int, list[_Rec]] = {}
        self.by_key: dict[str, list[_Rec]] = {}
        self.by_last: dict[str, list[_Rec]] = {}  # last word of a multi-word form
        self.by_shape: dict[tuple[int, str], list[tuple[_Rec, str]]] = {}

    def new(self, m: Mention) -> _Rec:
        rec = _new(self.recs, m)
        self.order[id(rec)] = len(self.recs) - 1
        if rec.group is not None:
            self.by_group.setdefault(rec.group, []).append(rec)
        return rec

    def add(self, rec: _Rec, lang: str, m: Mention) -> None:
        key = normalise(m.text)
        if key and key not in rec.keys:
            self.by_key.setdefault(key, []).append(rec)
            words = key.split()
            if len(words) > 1:
                self.by_last.setdefault(words[-1], []).append(rec)
            tkey = transliterate(key)
            self.by_shape.setdefault((len(words), tkey[:1]), []).append((rec, tkey))
        rec.add(lang, m)

    def first(self, recs: list[_Rec]) -> _Rec | None:
        return min(recs, key=lambda r: self.order[id(r)]) if recs else None

    def best(self, m: Mention, *, cross: bool) -> tuple[_Rec | None, int]:
        """What :func:`_best` finds over every record (overlap aside), through the index."""
        key = normalise(m.text)
        if not key:
            return None, len(METHODS)
        alias = alias_index().get(key)
        found = self.first(self.by_group.get(alias[0], [])) if alias else None
        if found:
            return found, 0
        found = self.first(self.by_key.get(key, []))
        if found:
            return found, 1
        words = key.split()
        surname = [r for r in self.by_last.get(key, []) if r.type == "PER"] \
            if len(words) == 1 and len(key) > 2 and (m.label == "PER" or cross) else []
        if m.label == "PER" and len(words) > 1 and len(words[-1]) > 2:
            surname += [r for r in self.by_key.get(words[-1], []) if r.type == "PER"]
        found = self.first(surname)
        if found:
            return found, 2
        return self._fuzzy(m, key, cross)

    def _fuzzy(self, m: Mention, key: str, cross: bool) -> tuple[_Rec | None, int]:
        tkey = transliterate(key)
        scores: dict[int, float] = {}
        shape = self.by_shape.get((len(key.split()), tkey[:1]), [])
        for rec, other in shape[:FUZZY_CANDIDATES]:
            if rec.type == m.label or cross:
                matcher = SequenceMatcher(None, tkey, other)
                # Upper bounds first (lengths, then letters): the same answer, less work.
                if matcher.real_quick_ratio() >= FUZZY and matcher.quick_ratio() >= FUZZY:
                    ratio = matcher.ratio()
                    scores[id(rec)] = max(scores.get(id(rec), 0.0), ratio)
        best: tuple[float, int] = (0.0, 0)
        found: _Rec | None = None
        for rec, _ in shape[:FUZZY_CANDIDATES]:
            score = scores.get(id(rec), 0.0)
            if score >= FUZZY and (rec.type == m.label or score >= 0.95):
                rank = (score, -self.order[id(rec)])
                if found is None or rank > best:
                    best, found = rank, rec
        return (found, 3) if found else (None, len(METHODS))


def link(doc: Document) -> None:
    """Fill doc.records and set Mention.ref (and the record's type) on every name mention."""
    index = _Index()
    recs = index.recs
    src_lang = doc.original.lang
    for m in _names(doc.original.sentences()):
        record = index.best(m, cross=False)[0] or index.new(m)
        index.add(record, src_lang, m)
    if doc.translation:
        tgt_lang = doc.translation.lang
        owner = {id(m): r for r in recs for _, m in r.mentions}
        by_id = {s.id: s for s in doc.original.sentences()}
        for sent in doc.translation.sentences():
            src = by_id.get(sent.corresp or "")
            aligned = list(dict.fromkeys(owner[id(m)] for m in _names([src] if src else [])
                                         if id(m) in owner))
            for m in _names([sent]):
                origin = owner.get(id(m.origin)) if m.method == PROJECTION and m.origin else None
                if origin is not None:  # projected from a French mention: by construction
                    origin.methods.add(PROJECTION)
                    index.add(origin, tgt_lang, m)
                    continue
                # Strong evidence in the aligned sentence, then in the whole document;
                # word overlap only within the aligned sentence.
                rec, rank = _best(aligned, m, cross=True, overlap=True)
                if rec is None or rank == STRONG:
                    rec2, rank2 = index.best(m, cross=True)
                    if rec2 is not None:
                        rec, rank = rec2, rank2
                if rec is None:
                    rec = index.new(m)
                elif src_lang in rec.forms:
                    rec.methods.add(METHODS[rank])
                index.add(rec, tgt_lang, m)
    doc.records = []
    for n, rec in enumerate(recs, 1):
        rid = f"{doc.id}.ent{n}"
        rec.type = _record_type(rec, src_lang)
        method = "+".join(m for m in RECORD_METHODS if m in rec.methods) if len(rec.forms) > 1 \
            else "monolingual"
        doc.records.append(EntityRecord(rid, rec.type, rec.forms, method))
        for _, m in rec.mentions:
            m.ref = rid
            m.label = rec.type
    doc.add_app(Application("pipeline-link", "3", "link",
                            "cross-lingual entity records: projection from the translate "
                            "stage, alias table, identity, surname, transliteration, word "
                            "overlap within aligned sentences"))


def _names(sentences: list[Sentence]) -> list[Mention]:
    return [m for s in sentences for m in s.mentions if m.label in ENTITY_TYPES]


def _new(recs: list[_Rec], m: Mention) -> _Rec:
    alias = alias_index().get(normalise(m.text))
    rec = _Rec(type=alias[1] if alias else m.label, group=alias[0] if alias else None)
    recs.append(rec)
    return rec


def _record_type(rec: _Rec, src_lang: str) -> str:
    if rec.group is not None:
        return str(alias_groups()[rec.group]["type"])
    labels = [m.label for lang, m in rec.mentions if lang == src_lang] or \
        [m.label for _, m in rec.mentions]
    counts = Counter(labels)
    # Most frequent; a tie goes to the label seen first.
    return max(labels, key=lambda lab: (counts[lab], -labels.index(lab)))


def _evidence(rec: _Rec, m: Mention, *, cross: bool, overlap: bool) -> tuple[int, float]:
    """(rank of the strongest method that ties m to rec, or len(METHODS); a score)."""
    key = normalise(m.text)
    if not key:
        return len(METHODS), 0.0
    alias = alias_index().get(key)
    if alias and rec.group == alias[0]:
        return 0, 1.0
    if key in rec.keys:
        return 1, 1.0
    if _surname(rec, m, key, cross):
        return 2, 1.0
    if rec.type == m.label or cross:
        best = _fuzzy(rec, key)
        if best >= FUZZY and (rec.type == m.label or best >= 0.95):
            return 3, best
    if overlap and rec.type == m.label:
        share = _overlap(rec, key)
        if share >= OVERLAP:
            return 4, share
    return len(METHODS), 0.0


def _surname(rec: _Rec, m: Mention, key: str, cross: bool) -> bool:
    """A person's last name standing for the full name, either way round."""
    words = key.split()
    if rec.type == "PER" and len(words) == 1 and len(key) > 2 and (m.label == "PER" or cross):
        for k in rec.keys:
            parts = k.split()
            if len(parts) > 1 and parts[-1] == key:
                return True
    if m.label == "PER" and rec.type == "PER":
        for k in rec.keys:  # the record holds the surname alone, the mention the full name
            if len(k.split()) == 1 and len(words) > 1 and words[-1] == k and len(k) > 2:
                return True
    return False


def _fuzzy(rec: _Rec, key: str) -> float:
    """The best spelling similarity to a form of the record with as many words."""
    tkey, n = transliterate(key), len(key.split())
    # Same number of words: « Bloomberg TV » is not « Bloomberg ».
    return max((SequenceMatcher(None, tkey, transliterate(k)).ratio() for k in rec.keys
                if len(k.split()) == n), default=0.0)


def _overlap(rec: _Rec, key: str) -> float:
    """The share of the mention's content words that match the record's (cognates too)."""
    mine = [transliterate(w) for w in _words(key)]
    theirs = rec.words()
    if not mine or not theirs:
        return 0.0
    hits = sum(1 for w in mine if w in theirs or (len(w) > 3 and any(
        len(t) > 3 and SequenceMatcher(None, w, t).ratio() >= WORD_FUZZY for t in theirs)))
    return hits / len(mine)


def _best(recs: list[_Rec], m: Mention, *, cross: bool,
          overlap: bool = False) -> tuple[_Rec | None, int]:
    """The record with the strongest evidence for m (first one on a tie), and its rank."""
    best: tuple[int, float] = (len(METHODS), 0.0)
    found: _Rec | None = None
    for rec in recs:
        rank, score = _evidence(rec, m, cross=cross, overlap=overlap)
        if rank < best[0] or (rank == best[0] and score > best[1]):
            best, found = (rank, score), rec
    return found, best[0]
