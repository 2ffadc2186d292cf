"""Words the MT did not know: never a pivot-language word, never an unmarked French one.

Apertium marks the words its last step did not know (``apertium.UNKNOWN``). Such a word
of the English output is either

* a French word of the source passed through unchanged (« contrer », « balistiques »):
  a capitalised one inside the sentence is a name and stays as written; or
* a word of the pivot language (Spanish « próximamente », « chiítas »): the first step
  knew the French word, the second did not know its translation. Its French source is
  found by sending the sentence's French words alone through the first step
  (« prochainement » -> « próximamente »), else by spelling.

Each such French word then goes, alone, through the other installed pivots in order of
preference (ca, then eo); the first that knows it at both steps gives the English word.
Otherwise the French word itself stands in the English text, marked as foreign (TEI
``<foreign xml:lang="fr">``), and is counted per document.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from pipeline.stages.entities import UNKNOWN, Form, Projected

_MARKED = re.compile(UNKNOWN + r"(\w+)")
_WORD = re.compile(r"\w+")
#: Similarity above which a pivot word is taken for the translation of a French word.
SPELLING = 0.6

Engine = Callable[[list[str]], list[str]]


@dataclass
class Item:
    """One translated sentence whose unknown words are to be resolved."""

    source: str  # the French sentence
    names: list[tuple[int, int]]  # spans of its names (offsets in ``source``)
    projected: Projected
    #: French word -> (replacement, foreign?) for each marked word, filled by resolve()
    choice: dict[str, tuple[str, bool]] = field(default_factory=dict)


@dataclass
class Outcome:
    """The English sentence after resolution, with foreign-word spans."""

    text: str
    spans: list[tuple[int, int, Form, object]]
    foreign: list[tuple[int, int]]
    by_fallback: int = 0

    def foreign_words(self) -> list[str]:
        return [self.text[a:b] for a, b in self.foreign]


def source_words(item: Item) -> list[str]:
    """French words of the sentence outside its names, in order, once each."""
    words = [(m.start(), m.group()) for m in _WORD.finditer(item.source)]
    return list(dict.fromkeys(w for a, w in words if not w.isdigit()
                              and not any(s <= a < e for s, e in item.names)))


def classify(item: Item) -> tuple[set[str], set[str], set[str]]:
    """(names, French words, pivot words) among the sentence's marked words."""
    source = {w.casefold() for w in _WORD.findall(item.source)}
    first = _WORD.search(item.source)
    names: set[str] = set()
    french: set[str] = set()
    pivot: set[str] = set()
    for hit in _MARKED.finditer(item.projected.text):
        w = hit.group(1)
        if w.casefold() in source:
            at_start = first is not None and first.group() == w
            (names if w[:1].isupper() and not at_start else french).add(w)
        else:
            pivot.add(w)
    return names, french, pivot


def origin(word: str, candidates: dict[str, str]) -> str | None:
    """The French word (key) whose first-step translation (value) is ``word``."""
    folded = word.casefold()
    for fr, es in candidates.items():
        if folded in (w.casefold() for w in _WORD.findall(es)):
            return fr
    best, score = None, 0.0
    for fr, es in candidates.items():
        for text in (es, fr):
            ratio = SequenceMatcher(None, folded, text.casefold()).ratio()
            if ratio > score:
                best, score = fr, ratio
    return best if score >= SPELLING else None


def resolve(items: list[Item], first_step: Engine | None,
            fallbacks: Iterable[Engine]) -> list[Outcome]:
    """Decide every marked word of every item, with as few engine calls as possible."""
    plans = [classify(item) for item in items]
    origins: dict[int, dict[str, str | None]] = {}
    need = [i for i, (_, _, pivot) in enumerate(plans) if pivot]
    if need and first_step is not None:
        words = list(dict.fromkeys(w for i in need for w in source_words(items[i])))
        table = dict(zip(words, first_step(words), strict=True))
        for i in need:
            cands = {w: table[w] for w in source_words(items[i])}
            origins[i] = {p: origin(p, cands) for p in plans[i][2]}
    wanted: list[str] = []
    for i, (_, french, pivot) in enumerate(plans):
        wanted += sorted(french) + [o for p in sorted(pivot) if (o := origins.get(i, {}).get(p))]
    english = _through_fallbacks(list(dict.fromkeys(wanted)), fallbacks)
    out = []
    for i, (item, (names, french, pivot)) in enumerate(zip(items, plans, strict=True)):
        for w in names:
            item.choice[w] = (w, False)
        for w in french:
            item.choice[w] = (english[w], False) if w in english else (w, True)
        for p in pivot:
            fr = origins.get(i, {}).get(p)
            item.choice[p] = (english[fr], False) if fr and fr in english else (fr or p, True)
        out.append(rebuild(item))
    return out


def _through_fallbacks(words: list[str], fallbacks: Iterable[Engine]) -> dict[str, str]:
    """English for the French words that another pivot knows at both of its steps."""
    found: dict[str, str] = {}
    todo = words
    for engine in fallbacks:
        if not todo:
            break
        for word, marked in zip(todo, engine(todo), strict=True):
            text = " ".join(marked.split())
            if text and UNKNOWN not in text:
                found[word] = text.lower() if word.islower() and text[:1].isupper() \
                    and len(text.split()) == 1 and not text.isupper() else text
        todo = [w for w in todo if w not in found]
    return found


def rebuild(item: Item) -> Outcome:
    """The sentence with each marked word replaced; projected spans moved to match."""
    text = item.projected.text
    parts: list[str] = []
    foreign: list[tuple[int, int]] = []
    shifts: list[tuple[int, int]] = []  # (position in the old text, change of length)
    pos = 0
    used = 0
    for hit in _MARKED.finditer(text):
        word, is_foreign = item.choice.get(hit.group(1), (hit.group(1), True))
        parts.append(text[pos : hit.start()])
        start = sum(len(p) for p in parts)
        parts.append(word)
        if is_foreign:
            foreign.append((start, start + len(word)))
        elif word != hit.group(1):
            used += 1
        shifts.append((hit.start(), len(word) - (hit.end() - hit.start())))
        pos = hit.end()
    parts.append(text[pos:])

    def moved(x: int) -> int:
        return x + sum(d for at, d in shifts if at < x)

    spans = [(moved(a), moved(b), form, m) for a, b, form, m in item.projected.spans]
    return Outcome("".join(parts), spans, foreign, used)
