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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from pipeline.document import Mention
from pipeline.stages.entities import UNKNOWN, Form, Projected

_MARKED = re.compile(UNKNOWN + r"(\w+)")
_WORD = re.compile(r"\w+")
#: Similarity above which a pivot word is taken for the translation of a French word.
SPELLING = 0.6
#: Shorter French words are not sent to the first step to find a pivot word's source.
MIN_LETTERS = 4

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
    spans: list[tuple[int, int, Form, Mention]]
    foreign: list[tuple[int, int]]
    by_fallback: int = 0

    def foreign_words(self) -> list[str]:
        return [self.text[a:b] for a, b in self.foreign]


def source_words(item: Item) -> list[str]:
    """French words of the sentence outside its names that could give a pivot word the
    second step does not know, in order, once each: short words (articles, prepositions,
    pronouns, auxiliaries) always translate to words it knows, and are left out to keep
    the extra call small."""
    words = [(m.start(), m.group()) for m in _WORD.finditer(item.source)]
    return list(dict.fromkeys(w for a, w in words if len(w) >= MIN_LETTERS and not w.isdigit()
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
    """Decide every marked word of every item, with as few engine calls as possible: the
    first step (sources of pivot words) and the other pivots (French words the chain did
    not know) run at once, then the other pivots on the sources found."""
    plans = [classify(item) for item in items]
    engines = list(fallbacks)
    need = [i for i, (_, _, pivot) in enumerate(plans) if pivot]
    cands = list(dict.fromkeys(w for i in need for w in source_words(items[i])))
    french = list(dict.fromkeys(w for _, words, _ in plans for w in sorted(words)))
    origins: dict[int, dict[str, str | None]] = {}
    with ThreadPoolExecutor(max(1, 1 + len(engines))) as pool:
        steps = pool.submit(first_step, cands) if cands and first_step else None
        english = _other_pivots(french, engines, pool)
        table = dict(zip(cands, steps.result(), strict=True)) if steps else {}
        for i in need:
            found = {w: table[w] for w in source_words(items[i])}
            origins[i] = {p: origin(p, found) for p in plans[i][2]} if found else {}
        extra = list(dict.fromkeys(o for per in origins.values() for o in per.values()
                                   if o and o not in english and o not in french))
        english.update(_other_pivots(extra, engines, pool))
    out = []
    for i, (item, (names, words, pivot)) in enumerate(zip(items, plans, strict=True)):
        for w in names:
            item.choice[w] = (w, False)
        for w in words:
            item.choice[w] = (english[w], False) if w in english else (w, True)
        for p in pivot:
            fr = origins.get(i, {}).get(p)
            item.choice[p] = (english[fr], False) if fr and fr in english else (fr or p, True)
        out.append(rebuild(item))
    return out


def _other_pivots(words: list[str], engines: list[Engine],
                  pool: ThreadPoolExecutor) -> dict[str, str]:
    """English for the French words another pivot knows at both of its steps; the pivots
    run at once, the first in order of preference that knows a word gives it."""
    if not words or not engines:
        return {}
    outputs = [f.result() for f in [pool.submit(engine, words) for engine in engines]]
    found: dict[str, str] = {}
    for out in outputs:
        for word, marked in zip(words, out, strict=True):
            text = " ".join(marked.split())
            if word in found or not text or UNKNOWN in text:
                continue
            found[word] = text.lower() if word.islower() and text[:1].isupper() \
                and len(text.split()) == 1 and not text.isupper() else text
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
