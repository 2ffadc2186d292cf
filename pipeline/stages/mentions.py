"""Backend-independent clean-up of entity mentions, one sentence at a time.

Every backend (spaCy, stanza) hands its raw mentions to :func:`refine`, so spans follow
one convention whatever model found them (data/labels.toml ``[spans]``):

1. gazetteer: names of the alias table (data/aliases.toml) found at token boundaries
   become mentions of the table's type, replacing model mentions they overlap
   (« l'État islamique »: the French model marks only « État », as a place);
2. edges: leading articles, prepositions and conjunctions, and punctuation at either
   end, leave the span (« en Irak » -> "Irak", "the Defence," -> "Defence");
3. titles: a title at the start of a mention goes, the name after it stays as PER
   (« Premier ministre irakien Mustafa Kadhimi » -> "Mustafa Kadhimi"); a title with
   no name after it, or the office part of one (« secrétaire à la Défense »), is no
   entity and is dropped;
4. a mention made only of verbs, adverbs and function words (a capitalised verb
   after a quotation mark: « Empêcher »), or with neither a capital nor a digit
   (« califat »), is dropped: French and English write names with capitals.

DATE and NUM mentions pass through untouched.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pipeline.document import ENTITY_TYPES, Mention, Token
from pipeline.stages.labels import span_rules

#: Parts of speech that can open or close a name only by mistake.
_EDGE_POS = {"DET", "ADP", "CCONJ", "PUNCT", "SCONJ", "PRON"}
#: A mention made only of these is no name (a tagger that does not know a name says
#: PROPN, NOUN, X or even PRON: "Kiev" at the start of a headline).
_NOT_NAME_POS = {"VERB", "AUX", "ADV", "ADP", "DET", "CCONJ", "SCONJ", "PART", "INTJ", "PUNCT"}
#: Articles and prepositions that open a span by mistake even when capitalised.
_ARTICLES = frozenset("le la les l' un une des du de d' au aux en the a an".split())
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u02bc": "'", "\u2018": "'"})


def _is_edge(tok: Token) -> bool:
    """Punctuation, or a function word (a capitalised one only when it is an article:
    « Le Pentagone » loses « Le », "Bloomberg TV" keeps a "TV" that a tagger took for ADP)."""
    if not any(c.isalnum() for c in tok.text):
        return True
    return _pos(tok) in _EDGE_POS and (tok.text[:1].islower()
                                       or tok.text.casefold().translate(_APOSTROPHES)
                                       in _ARTICLES)


def _pos(tok: Token) -> str:
    # A joined analysis ("ADP+DET", as exports write a multi-word token): the first decides.
    return tok.upos.split("+")[0]


@lru_cache(maxsize=8)
def _gazetteer(lang: str) -> tuple[re.Pattern[str] | None, dict[str, tuple[str, str]]]:
    """One regex over the alias table's forms of a language, longest first."""
    from pipeline.stages.link import alias_groups

    forms: dict[str, tuple[str, str]] = {}  # casefolded form -> (form, type)
    for group in alias_groups():
        for form in group.get(lang, []):
            key = form.translate(_APOSTROPHES).casefold()
            forms.setdefault(key, (form.translate(_APOSTROPHES), group["type"]))
    if not forms:
        return None, forms
    alternatives = sorted(forms, key=len, reverse=True)
    # Only where no letter or digit stands just before: a name opens a token, and letting the
    # ~500 alternatives be tried inside every word took 4x the time (3.4 against 0.8 us per
    # character), with matches that the token check threw away anyway.
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(f) for f in alternatives) + ")",
                         re.IGNORECASE)
    return pattern, forms


def _gazetteer_mentions(text: str, start: int, end: int, tokens: list[Token],
                        lang: str) -> list[Mention]:
    pattern, forms = _gazetteer(lang)
    if pattern is None:
        return []
    starts = {t.start for t in tokens}
    ends = {t.end for t in tokens}
    found = []
    for m in pattern.finditer(text[start:end].translate(_APOSTROPHES)):
        a, b = m.start() + start, m.end() + start
        if a not in starts or b not in ends:
            continue
        form, label = forms[m.group().casefold()]
        surface = text[a:b]
        # Case decides between a name and a word: "EI" is not "ei", "Suisse" not « suisse ».
        if (form.isupper() and surface.translate(_APOSTROPHES) != form) or surface[0] != form[0]:
            continue
        found.append(Mention(a, b, label, surface, "gazetteer"))
    return found


#: Lower-case particles inside personal names (« Abu Mahdi al-Muhandis », "Ludwig van Beethoven").
_PARTICLES = frozenset("al el bin ben ibn bint de du des di da van von der den la le".split())


def _name_part(tok: Token) -> bool:
    """A token that can be part of a person's name."""
    return tok.text[:1].isupper() or tok.text in ("-", "'", "’") \
        or tok.text.casefold() in _PARTICLES


def _title_cut(toks: list[Token], before: list[Token], lang: str) -> tuple[int, bool]:
    """How many leading tokens of a mention are a title or office; and whether one was seen.

    ``before`` are the sentence's tokens in front of the mention: an office part
    (« Défense » in « secrétaire à la Défense ») counts as title when a title word stands
    just before it, with only prepositions and articles in between.
    """
    rules = span_rules(lang)
    seen = False
    for tok in reversed(before[-4:]):
        word = tok.text.casefold()
        if word in rules.titles:
            seen = True
            break
        if _pos(tok) not in ("ADP", "DET", "ADJ"):
            break
    i = 0
    while i < len(toks):
        tok, word = toks[i], toks[i].text.casefold()
        if word in rules.titles:
            seen = True
        elif seen and (word in rules.portfolios or _pos(tok) in ("ADJ", "ADP", "DET")
                       or (_pos(tok) == "NOUN" and tok.text[:1].islower())):
            pass  # « irakien », « aux Affaires étrangères » after a title
        else:
            break
        i += 1
    return i, seen


def _tidy(m: Mention, tokens: list[Token], text: str, lang: str) -> Mention | None:
    """One model mention by the span conventions: edges trimmed, a title cut off (the rest
    a person when it is all name parts); None when no name is left."""
    toks = [t for t in tokens if t.start >= m.start and t.end <= m.end]
    while toks and _is_edge(toks[0]):
        toks = toks[1:]
    while toks and _is_edge(toks[-1]):
        toks = toks[:-1]
    if not toks:
        return None
    label = m.label
    before = [t for t in tokens if t.end <= toks[0].start]
    cut, titled = _title_cut(toks, before, lang)
    if titled:
        rest = toks[cut:]
        if not rest:
            return None  # a title or an office, no name
        if cut and _pos(rest[0]) != "PROPN":
            return None  # the title runs into common words: no person here
        if cut:
            toks = rest
            if all(_name_part(t) for t in rest) and (len(rest) >= 2 or label in ("PER", "MISC")):
                label = "PER"
    if all(_pos(t) in _NOT_NAME_POS for t in toks):
        return None
    if not any(c.isupper() or c.isdigit() for t in toks for c in t.text):
        return None  # no capital, no digit: a common word (« califat »), not a name
    a, b = toks[0].start, toks[-1].end
    return Mention(a, b, label, text[a:b], m.source_label, m.ref)


def refine(text: str, tokens: list[Token], mentions: list[Mention], lang: str, *,
           gazetteer: bool = True, conventions: bool = True) -> list[Mention]:
    """Apply the span conventions to one sentence's mentions (offsets in ``text``).

    ``gazetteer`` and ``conventions`` (steps 2-4) can be switched off to measure them.
    """
    if not tokens or not (gazetteer or conventions):
        return mentions
    start, end = tokens[0].start, tokens[-1].end
    others = [m for m in mentions if m.label not in ENTITY_TYPES]
    names = [m for m in mentions if m.label in ENTITY_TYPES]
    fixed = _gazetteer_mentions(text, start, end, tokens, lang) if gazetteer else []
    out = list(fixed)
    for m in names:
        if any(g.start < m.end and m.start < g.end for g in fixed):
            continue  # the alias table knows this name better
        if not conventions:
            out.append(m)
            continue
        tidy = _tidy(m, tokens, text, lang)
        if tidy is not None:
            out.append(tidy)
    # A name found twice (a trimmed model span equal to a gazetteer one) is kept once.
    unique = {(m.start, m.end): m for m in out}
    return sorted([*unique.values(), *others], key=lambda m: (m.start, m.end))
