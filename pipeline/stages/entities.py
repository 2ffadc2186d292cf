"""Names through machine translation: one English form per French mention, protected
from the engine, put back in place, and projected as an English mention.

Why: a rule-based pivot chain translates names word by word (« État islamique » ->
"Been Islamic", « al-Soudani » -> "to the-Soudani"), and the English NER and the
cross-lingual records inherit the damage. So the translate stage decides each name's
English form itself, in this order:

1. ``alias``: the alias table (data/aliases.toml; common world-news names): the English
   form spelled like the French one once transliterated (« Daech » -> "Daesh"), else an
   acronym for an acronym (« EI » -> "IS"), else the group's first English form;
2. ``kept``: a person's name, or a multi-word name written all in capitals (« Kataib
   Hezbollah », « La Tribune Dimanche »), stays as written: transliteration conventions
   (« al- », « Abou », « ben ») are left alone;
3. ``translated``: otherwise the mention alone goes through the engine (« Parlement
   irakien » -> "Iraqi Parliament"); kept as written when the engine did not know one
   of its words.

With an engine that passes unknown words through unchanged (Apertium), each mention of
a sentence is replaced by a placeholder word before translation (an unknown capitalised
word, which both steps of the pivot chain copy and move with the sentence's reordering),
and the English form is put back in its place: the span of the English mention is then
known by construction (:func:`substitute`). Elided and contracted articles stay outside
the mention and are translated with the sentence (« d'al-Asad » -> "of al-Asad",
« aux États-Unis » -> "to the United States"); "the" before a country or a person is
dropped unless the table says the English name takes it (« l'Irak » -> "Iraq").
With an engine that may rewrite placeholders (neural MT), the sentence is translated as
it is and the English form searched for in the output (:func:`search`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from pipeline.document import ENTITY_TYPES, PROJECTION, Mention, Sentence
from pipeline.stages.link import alias_groups, alias_index, normalise, transliterate

#: Lower-case words that do not stop a name from counting as "written in capitals".
_PARTICLES = frozenset("al el ben bin ibn abou abu bou de du des d la le l van von der "
                       "et of and".split())
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_ARTICLE_BEFORE = re.compile(r"(?:^|(?<=\s))[Tt]he $")
#: Arabic-style name parts, which Apertium splits and translates (« al-Asad » -> "to
#: the-Roast"): kept as written wherever they are.
_PARTICLE_NAME = re.compile(r"(?<![\w-])(?:[Aa]l|[Ee]l|[Aa]d|[Aa]sh)-[^\W\d_][\w'’-]*")
#: A hyphenated compound whose parts are capitalised, joined directly or by short
#: lower-case links (« Port-au-Prince », « Aix-en-Provence », « Saint-Denis »,
#: « Boulogne-sur-Mer »): a place or a person, never a common word, which Apertium
#: translates piece by piece ("Port Prince", "Aix-in-Provence"). Kept as written unless
#: the alias table names it (« États-Unis », « Proche-Orient »).
_COMPOUND = re.compile(r"(?<![\w-])[A-ZÀ-ÖØ-Þ][^\W\d_]*"
                       r"(?:-(?:(?:[a-zà-ÿ]{1,3}|sous|lès)-)*[A-ZÀ-ÖØ-Þ][^\W\d_]*)+(?![\w-])")
_ARTICLE_FR = re.compile(r"(?:^|(?<=[\s(«\"]))([Ll]es|[Ll][ae]|[Ll]['’])\s*$")
#: The rest of a hyphenated word a mention stops inside (« Lai Ching » of « Lai
#: Ching-te »): part of the name, kept as written.
_HYPHEN_TAIL = re.compile(r"-[^\W\d_]+(?:-[^\W\d_]+)*")
#: « Al » or « El » written as a word just before a name is part of it.
_LEADING_ARTICLE = re.compile(r"(?:^|(?<=\s))(?:Al|El) $")
#: So is a French article written with a capital inside a sentence (« selon Le Monde »,
#: « à La Défense », « vers Le Havre »): the model's mention often leaves it out
#: (« Monde », « Défense »), and alone the rest is a common word ("World", "Defence").
#: After a colon, a quotation mark or at the start, the capital says nothing.
_CAPITAL_ARTICLE = re.compile(r"(?<=[\w,] )(?:Le|La|Les) ")
#: The engine's word for "unknown" in marked output (apertium.UNKNOWN).
UNKNOWN = "\ue01e"


@dataclass(frozen=True)
class Form:
    """The English form chosen for a French mention, and how."""

    text: str
    how: str  # alias | kept | translated
    article: bool = False  # the English name takes "the"


def alias_form(text: str) -> Form | None:
    """The alias table's English form for a French name, or None."""
    hit = alias_index().get(normalise(text))
    if hit is None:
        return None
    group = alias_groups()[hit[0]]
    forms: list[str] = list(group.get("en", []))
    if not forms:
        return None
    article = bool(group.get("article", False))
    key = transliterate(normalise(text))
    for form in forms:
        if transliterate(normalise(form)) == key:
            return Form(form, "alias", article)
    if text.isupper() and len(text) > 1:
        for form in forms:
            if form.replace(".", "").isupper():
                return Form(form, "alias", article)
    return Form(forms[0], "alias", article)


def kept_as_written(m: Mention) -> bool:
    """People's names, capitalised hyphenated compounds, and names written all in
    capitals of more than one word."""
    if m.label == "PER" or _COMPOUND.fullmatch(m.text):
        return True
    words = [w for w in _WORD.findall(m.text) if w.casefold() not in _PARTICLES]
    return len(_WORD.findall(m.text)) > 1 and all(w[:1].isupper() for w in words)


def decide(m: Mention) -> Form | None:
    """The English form of a mention, or None when the engine must translate it alone."""
    found = alias_form(m.text)
    if found is not None:
        return found
    if kept_as_written(m):
        return Form(m.text, "kept")
    return None


def from_engine(source: str, marked: str) -> Form:
    """A mention translated alone: the engine's output, unless it did not know a word."""
    if not marked or UNKNOWN in marked:
        return Form(source, "kept")
    text = re.sub(r"^(?:[Tt]he|[Aa]n?) ", "", " ".join(marked.split()))
    if source[:1].isupper() and text[:1].islower():
        text = text[:1].upper() + text[1:]
    return Form(text or source, "translated")


def with_article(sentence: Sentence, m: Mention) -> str:
    """A name to translate alone, with the article the sentence puts before it: alone,
    « base d'al-Asad » reads as a verb ("It bases..."), « la base d'al-Asad » as a noun."""
    before = sentence.text[: m.start - sentence.start]
    hit = _ARTICLE_FR.search(before)
    if hit is None:
        return m.text
    article = hit.group(1)
    return article + m.text if article[-1] in "'’" else f"{article} {m.text}"


def names(sentence: Sentence) -> list[Mention]:
    """The sentence's entity mentions that do not overlap an earlier, longer one."""
    out: list[Mention] = []
    for m in sorted(sentence.mentions, key=lambda m: (m.start, -m.end)):
        if m.label in ENTITY_TYPES and m.end > m.start and \
                not any(o.start < m.end and m.start < o.end for o in out):
            out.append(m)
    return out


@dataclass
class Protected:
    """A sentence with its names replaced by placeholder words."""

    text: str  # what the engine gets
    slots: list[tuple[str, Mention]] = field(default_factory=list)  # placeholder, mention
    kept: dict[str, str] = field(default_factory=dict)  # placeholder -> name part, no mention
    prefix: dict[str, str] = field(default_factory=dict)  # placeholder -> « Al » before it
    suffix: dict[str, str] = field(default_factory=dict)  # placeholder -> « -te » after it
    #: placeholder -> the whole name with its capitalised article (« Le Monde »)
    whole: dict[str, str] = field(default_factory=dict)
    #: placeholders followed in the source by a lower-case word (see :func:`_recase`)
    lower_after: set[str] = field(default_factory=set)


def _placeholder(n: int, taken: str) -> str:
    letters = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        letters = chr(97 + r) + letters
    for prefix in ("Zq", "Xv", "Qz"):
        word = f"{prefix}{letters}x"
        if word not in taken:
            return word
    return f"Zq{letters}xq"


def protect(sentence: Sentence) -> Protected:
    """Replace each name of the sentence by a placeholder the engine passes through; so
    too each Arabic-style name part outside them (« al-Asad » when no mention holds it:
    Apertium reads « al » as Spanish "to the"). An « Al » or « El » just before a name
    goes with it (« Al Hachd al-Chaabi »), and so does the rest of a hyphenated word the
    mention stops inside (« Lai Ching » + « -te »)."""
    text, base = sentence.text, sentence.start
    out: list[str] = []
    result = Protected("")
    pos = 0
    n = 0
    for m in names(sentence):
        a, b = m.start - base, m.end - base
        if a < pos or b > len(text):
            continue
        start, capital = _lead(text, pos, a)
        n = _shield_into(text[pos:start], out, result.kept, n, text)
        word = _placeholder(n, text)
        n += 1
        out.append(word)
        result.slots.append((word, m))
        if start < a and not capital:
            result.prefix[word] = text[start:a]
        tail = _HYPHEN_TAIL.match(text, b)
        if tail:
            result.suffix[word] = tail.group()
            b = tail.end()
        if capital:
            result.whole[word] = text[start:b]
        if text[b:].lstrip(" '’-")[:1].islower():
            result.lower_after.add(word)
        pos = b
    _shield_into(text[pos:], out, result.kept, n, text)
    result.text = "".join(out)
    return result


def _lead(text: str, pos: int, a: int) -> tuple[int, bool]:
    """Where a name starting at ``a`` really starts (an « Al » or a capitalised article
    before it goes with it), and whether it was a capitalised article."""
    lead = _LEADING_ARTICLE.search(text[pos:a])
    if lead:
        return pos + lead.start(), False
    capital = _CAPITAL_ARTICLE.search(text, max(pos, a - 4), a)
    if capital and capital.end() == a and capital.start() >= pos:
        return capital.start(), True
    return a, False


def shield(text: str) -> tuple[str, dict[str, str]]:
    """A text with its Arabic-style name parts replaced by placeholders (for a name the
    engine translates alone: « base d'al-Asad »), and placeholder -> part."""
    out: list[str] = []
    kept: dict[str, str] = {}
    _shield_into(text, out, kept, 0, text)
    return "".join(out), kept


def _literal(text: str) -> Callable[[re.Match[str]], str]:
    """A replacement that is ``text`` as it is (no backslash escapes)."""
    return lambda _match: text


def unshield(marked: str, kept: dict[str, str]) -> str:
    """The engine's output with each placeholder of :func:`shield` back as written."""
    for word, part in kept.items():
        marked = re.sub(rf"{UNKNOWN}?\b{word}\b", _literal(part), marked)
    return marked


def _shielded_parts(piece: str) -> list[re.Match[str]]:
    """Arabic-style name parts and capitalised compounds the alias table does not name,
    left to right, not overlapping."""
    hits = list(_PARTICLE_NAME.finditer(piece))
    hits += [h for h in _COMPOUND.finditer(piece)
             if normalise(h.group()) not in alias_index()
             and not any(o.start() < h.end() and h.start() < o.end() for o in hits)]
    return sorted(hits, key=lambda h: h.start())


def _shield_into(piece: str, out: list[str], kept: dict[str, str], n: int, taken: str) -> int:
    """Append ``piece`` to ``out`` with its name parts as placeholders; the next number."""
    pos = 0
    for hit in _shielded_parts(piece):
        word = _placeholder(n, taken)
        n += 1
        out += [piece[pos : hit.start()], word]
        kept[word] = hit.group()
        pos = hit.end()
    out.append(piece[pos:])
    return n


def _recase(marked: str, protected: Protected) -> str:
    """Apertium capitalises the first word it knows in a sentence: after a placeholder
    that opens the sentence, « Zqax et ... » comes back "Zqax And ...". The word is
    lowered again when the source had a lower-case word after the name."""
    for word in protected.lower_after:
        hit = re.match(rf"^\W*{UNKNOWN}?{word}\s+({UNKNOWN}?)([A-Z])(?=[a-z])", marked)
        if hit:
            at = hit.start(2)
            marked = marked[:at] + marked[at].lower() + marked[at + 1 :]
    return marked


@dataclass
class Projected:
    """An English sentence with its projected names: (start, end, form, French mention)."""

    text: str
    spans: list[tuple[int, int, Form, Mention]] = field(default_factory=list)
    lost: list[Mention] = field(default_factory=list)  # placeholders the engine lost


def substitute(marked: str, protected: Protected, forms: dict[str, Form]) -> Projected:
    """Put each name's English form back where its placeholder came out of the engine.

    ``marked`` keeps the engine's :data:`UNKNOWN` marks before other words (they are
    resolved later); a placeholder's own mark goes. A placeholder that did not come
    back exactly once is lost (the caller searches for the name instead).
    """
    marked = unshield(marked, protected.kept)
    marked = _recase(re.sub(UNKNOWN + r"(?!\w)", "", marked), protected)
    counts = {w: len(re.findall(rf"\b{w}\b", marked)) for w, _ in protected.slots}
    by_word = {w: m for w, m in protected.slots if counts[w] == 1}
    result = Projected("")
    result.lost = [m for w, m in protected.slots if counts[w] != 1]
    if not by_word:
        result.text = marked
        return result
    pattern = re.compile(UNKNOWN + r"?\b(" + "|".join(map(re.escape, by_word)) + r")\b")
    parts: list[str] = []
    pos = 0
    for hit in pattern.finditer(marked):
        m = by_word[hit.group(1)]
        form = _form_of(hit.group(1), m, protected, forms)
        before = marked[pos : hit.start()]
        if _drops_article(m, form):
            before = _ARTICLE_BEFORE.sub("", before)
        parts.append(before)
        start = sum(len(p) for p in parts)
        shown = form.text
        parts.append(shown)
        result.spans.append((start, start + len(shown), form, m))
        pos = hit.end()
    parts.append(marked[pos:])
    result.text = "".join(parts)
    return result


def _form_of(word: str, m: Mention, protected: Protected, forms: dict[str, Form]) -> Form:
    """The English form shown for a placeholder: the mention's, with the « Al » before it
    and the hyphenated tail after it; a name with a capitalised article, whole."""
    whole = protected.whole.get(word)
    if whole is not None:
        return alias_form(whole) or Form(whole, "kept")
    form = forms[m.text]
    text = protected.prefix.get(word, "") + form.text + protected.suffix.get(word, "")
    return Form(text, form.how, form.article)


def _drops_article(m: Mention, form: Form) -> bool:
    """English puts no "the" before a person, or a place whose name does not take it."""
    if form.article:
        return False
    if m.label == "PER":
        return True
    return m.label == "LOC" and (form.how == "alias" or len(form.text.split()) == 1)


def search(text: str, mentions: list[Mention], forms: dict[str, Form],
           taken: list[tuple[int, int]] | None = None) -> list[tuple[int, int, Form, Mention]]:
    """Find each mention's English form (else its French form) in a translation, left to
    right, one occurrence per mention, never overlapping another projected span."""
    used = list(taken or [])
    found: list[tuple[int, int, Form, Mention]] = []
    for m in mentions:
        form = forms.get(m.text) or Form(m.text, "kept")
        for candidate in dict.fromkeys([form.text, m.text]):
            hit = _free_match(text, candidate, used)
            if hit is not None:
                used.append(hit)
                found.append((hit[0], hit[1], Form(candidate, form.how, form.article), m))
                break
    return found


def _free_match(text: str, needle: str, used: list[tuple[int, int]]) -> tuple[int, int] | None:
    if not needle.strip():
        return None
    for hit in re.finditer(rf"(?<!\w){re.escape(needle)}(?!\w)", text):
        a, b = hit.span()
        if not any(u < b and a < v for u, v in used):
            return a, b
    return None


def projected_mentions(spans: list[tuple[int, int, Form, Mention]], offset: int) -> list[Mention]:
    """English mentions for projected spans (offsets moved by ``offset``)."""
    return [Mention(offset + a, offset + b, m.label, form.text, "", method=PROJECTION, origin=m)
            for a, b, form, m in sorted(spans, key=lambda s: s[0])]
