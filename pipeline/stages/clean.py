"""The clean stage: from a raw scraped page to the article text and its metadata.

``clean(doc, text, rules)`` fills ``doc.original`` (text and paragraph spans),
``doc.meta``, ``doc.removed`` and ``doc.notes``, and records itself in
``doc.apps``. It works line by line on the decoded input:

1. line ends are normalised (``\\r\\n`` and ``\\r`` become ``\\n``), each line's
   edge whitespace is stripped and runs of spaces or tabs inside it become one
   space; every other character (quotes, apostrophes, non-breaking spaces) is
   kept as it is;
2. the data rules (``pipeline/data/boilerplate.toml``) cut prefixes
   (the store marker ``date 2024-09``), inline fragments (machine-translation
   tags such as ``[feminine``) and whole lines (site chrome, comment forms,
   teasers, captions, footers...). A teaser label alone on its line also takes
   the headline(s) under it; a comment-section header in the second half of the
   page takes everything below it;
3. structural signals cut what no pattern names: captions (a credit at the
   end, a date at the end, the line next to a bare photo credit), the header
   of a paywall prompt, a name next to an author's biography, link lists (a
   bare list marker on its own line, then a headline), paragraphs printed
   twice, and short lines without sentence punctuation at the edges of the
   text (above the headline, between it and the body, below the last line of
   the body);
4. lines in another language than the article are kept and marked with their
   language (``Paragraph.lang``, then ``xml:lang`` in the TEI): a quoted tweet
   is article text;
5. the headline (the longest title-like line above the first sentence of the
   body) becomes the first paragraph (``kind="head"``) and ``meta.title``; the
   other kept lines become paragraphs (a paragraph hard-wrapped over several
   lines is joined again), joined by ``PARA_SEP``.

Article text is protected: list items (« • », « - », « – », numbered items),
lines of a list (« Titre, Réalisateur ») and subheadings inside the body are
never cut by a structural signal, only by a named rule. When structural signals
cut an unusual share of a document's lines, it gets a ``heavy-cut`` note (in
the report and the TEI) so that a person can look.

Nothing is dropped silently: every cut line or fragment is kept in
``doc.removed`` with its 1-based line number, rule id and reason. Blank lines
are paragraph breaks, not content: runs of them collapse into one break.

Metadata come from the rules' named groups (``date``, ``outlet``, ``section``,
``author``, ``url``) and from the structure (headline, section label above it,
a name between the headline and the body or next to a biography). A date is
only a publication date when a rule reads it from a dateline, a "Publié le"
stamp or the store marker; dates in captions or the body, and dates without a
year, are never used. When the text states no headline, ``meta.title`` stays
empty and a ``no-headline`` note says so.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import itertools
import re
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from pipeline.document import (
    PARA_SEP,
    Application,
    DateValue,
    Document,
    Metadata,
    Note,
    Paragraph,
    Removed,
)
from pipeline.errors import CODES, ConfigError, DocumentError
from pipeline.stages.langid import UNDETERMINED, detect_language, majority_language

DEFAULT_RULES = Path(__file__).resolve().parent.parent / "data" / "boilerplate.toml"

APP_IDENT = "pipeline-clean"
KINDS = ("line", "prefix", "inline")
META_GROUPS = ("date", "outlet", "section", "author", "url")
_OTHER_GROUPS = ("rest",)
_RULE_KEYS = {"id", "kind", "reason", "patterns", "flags", "max_words", "next", "tail",
              "replace", "examples"}

#: Rule ids of the structural signals (not in the rules file).
STRUCTURAL_RULES = {
    "caption-credit": "photo caption: the line ends with a photo credit in parentheses or brackets",
    "caption-date": "photo caption: a short line that ends with the date the photo was taken",
    "caption-text": "photo caption: a short line next to a bare photo credit",
    "prompt-header": "the heading of a subscription or newsletter prompt",
    "byline-name": "a name alone between the headline and the body, or above an author's "
                   "biography: the byline (kept as meta author)",
    "link-list": "a link list: a bare list marker on its own line, then a headline",
    "duplicate-paragraph": "the same paragraph was printed before",
    "section": "section label above the headline (kept as meta section)",
    "edge-short-line": "short line without sentence punctuation at the edge of the text "
                       "(site chrome)",
    "before-headline": "line above the headline without sentence punctuation (site chrome)",
}

_PRECISION_RANK = {"year": 0, "month": 1, "day": 2}

# "has sentence punctuation at its end"
_SENT_END = re.compile(r"[.!?…»”\"]$")
# a declarative sentence end: a full stop, or a closing quote after one
_FULL_STOP = re.compile(r"(?:[.…]|[.!?…]\s*[»”\"])$")
# an ellipsis: "..." ends headlines as often as sentences
_ELLIPSIS = re.compile(r"(?:\.\.\.|…)\s*[»”\"]?$")
# "Name : « quoted words »": a headline that ends with a quotation
_TITLE_QUOTE = re.compile(r"^[^«»\"“”]{2,80}?\s?:\s*[«\"“]")
_CREDIT_TAIL = re.compile(r"[(\[]([^()\[\]]{1,80})[)\]]\s*\.?$")
_NAME_SLASH = re.compile(r"[A-ZÀ-Ý][\w’'.-]+\s+[A-ZÀ-Ý][\w’'.-]+\s*/\s*[A-ZÀ-Ý][\w .’'-]*")
# a caption that ends with the day the photo was taken: "..., le 13 mai 2021."
_CAPTION_DATE = re.compile(
    r",\s+(?:le\s+)?(?:lundi |mardi |mercredi |jeudi |vendredi |samedi |dimanche )?"
    r"(?:1er|\d{1,2})\s+(?:janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre"
    r"|novembre|décembre)\s+\d{4}\.?$", re.IGNORECASE)
# a line that is nothing but a photo credit
_CREDIT_ONLY = re.compile(
    r"^(?:PHOTOS?\b|Photos?\s*:|©|Crédits?\b|CRÉDITS?\b|[(\[][^()\[\]]+[)\]]$)")
_SPACES = re.compile(r"[ \t]+")
# a line that ends like this is not continued by the next one (no soft wrap)
_WRAP_END = re.compile(r"[.!?…:;»”\"]$")
# a person's name: capitalised words, with the usual lower-case particles
_NAME = re.compile(
    r"[A-ZÀ-Ý][\w’'.-]+(?:\s+(?:[A-ZÀ-Ý][\w’'.-]+|de|du|d’|d'|van|von|le|la|ben|al|el)){1,3}"
)
# a list item: a bullet, a dash or a number before the text
_LIST_MARK = re.compile(r"^(?:[•·▪◦●■►*]|[-–—](?=\s)|\d{1,2}[.)](?=\s))\s*\S")
# a live-blog entry: a time, then its text ("21h05 : les premiers résultats")
_LIVE_ENTRY = re.compile(r"^\d{1,2}\s*[h:]\s*\d{2}\s*[:.–-]?\s+\S")
# a sentence end inside a line ("Un sourire un peu jaune. MH"): text, not chrome
_INNER_STOP = re.compile(r"[.!?…]\s+\S")
# a bare list marker alone on its line (link lists of related stories)
_BARE_MARK = re.compile(r"^[•·▪◦●■►*–—-]$")
# a row of a list without a marker: "Titre, Réalisateur", "Titre – Réalisateur"
_ROW = re.compile(r"\S\s*(?:,|\s[–—-]\s|\()\s*\S")
# a subheading in sentence case: "Demande de réparations", "Poulpe et fantasy"
_SUBHEAD = re.compile(r"^[A-ZÀ-Ý][a-zà-ÿ’'-]+(?:\s+[a-zà-ÿ’'-]+)+$")

Cutter = Callable[["_Line", str, str], None]


# --------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str  # line | prefix | inline
    reason: str
    patterns: tuple[re.Pattern[str], ...]
    max_words: int | None = None
    take_next: bool = False
    tail: bool = False
    replace: str = ""
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class Structure:
    edge_short_max_words: int = 8
    section_max_words: int = 4
    headline_min_words: int = 3
    headline_max_words: int = 30
    headline_max_chars: int = 250
    body_min_words: int = 4
    body_sure_words: int = 20
    teaser_next_max_words: int = 30
    foreign_min_words: int = 6
    foreign_min_confidence: float = 0.6
    caption_max_words: int = 90
    caption_text_max_words: int = 30
    caption_date_max_words: int = 40
    credit_max_words: int = 10
    heavy_cut_share: float = 0.3
    heavy_cut_min_lines: int = 4
    credit_words: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Rules:
    """The compiled rules file."""

    version: str
    sha256: str
    path: str
    rules: tuple[Rule, ...]
    structure: Structure = field(default_factory=Structure)

    def of_kind(self, kind: str) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.kind == kind)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.rules)


def load_rules(path: str | Path | None = None) -> Rules:
    """Read and compile a rules file (default: ``pipeline/data/boilerplate.toml``).

    The result is cached per file (and its modification time), so calling it
    once per document costs nothing. A bad file raises :class:`ConfigError`.
    """
    p = Path(path) if path is not None else DEFAULT_RULES
    try:
        st = p.stat()
    except OSError as exc:
        raise ConfigError(f"rules file {p}: {exc.strerror or exc}") from exc
    return _load_rules_cached(str(p), st.st_mtime_ns, st.st_size)


@lru_cache(maxsize=16)
def _load_rules_cached(path: str, _mtime_ns: int, _size: int) -> Rules:
    raw = Path(path).read_bytes()
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"rules file {path}: {exc}") from exc
    return _compile_rules(data, path, hashlib.sha256(raw).hexdigest())


def _compile_rules(data: dict[str, Any], path: str, sha256: str) -> Rules:
    def bad(msg: str) -> ConfigError:
        return ConfigError(f"rules file {path}: {msg}")

    version = data.get("version")
    if not isinstance(version, str) or not version:
        raise bad("'version' (a string) is missing")
    structure = _compile_structure(dict(data.get("structure", {})), bad)
    rules: list[Rule] = []
    seen: set[str] = set()
    for i, r in enumerate(data.get("rule", [])):
        rule = _compile_rule(i, r, bad)
        if rule.id in seen or rule.id in STRUCTURAL_RULES:
            raise bad(f"rule {rule.id!r}: duplicate id")
        seen.add(rule.id)
        rules.append(rule)
    if not rules:
        raise bad("no [[rule]] entries")
    return Rules(version=version, sha256=sha256, path=path, rules=tuple(rules), structure=structure)


def _compile_structure(st: dict[str, Any], bad: Callable[[str], ConfigError]) -> Structure:
    unknown = set(st) - set(Structure.__dataclass_fields__)
    if unknown:
        raise bad(f"unknown [structure] keys: {sorted(unknown)}")
    if "credit_words" in st:
        st["credit_words"] = frozenset(w.lower() for w in st["credit_words"])
    return Structure(**st)


def _compile_rule(i: int, r: dict[str, Any], bad: Callable[[str], ConfigError]) -> Rule:
    rid = r.get("id")
    if not isinstance(rid, str) or not re.fullmatch(r"[a-z][a-z0-9-]*", rid):
        raise bad(f"rule #{i + 1}: 'id' must be a lower-case slug")
    kind = r.get("kind", "line")
    if kind not in KINDS:
        raise bad(f"rule {rid!r}: kind must be one of {KINDS}")
    reason = r.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise bad(f"rule {rid!r}: 'reason' is missing")
    pats = r.get("patterns")
    if not isinstance(pats, list) or not pats:
        raise bad(f"rule {rid!r}: 'patterns' must be a non-empty list")
    extra = set(r) - _RULE_KEYS
    if extra:
        raise bad(f"rule {rid!r}: unknown keys {sorted(extra)}")
    flags = 0
    for ch in r.get("flags", ""):
        if ch != "i":
            raise bad(f"rule {rid!r}: unknown flag {ch!r}")
        flags |= re.IGNORECASE
    return Rule(id=rid, kind=kind, reason=reason.strip(),
                patterns=tuple(_compile_pattern(rid, p, flags, bad) for p in pats),
                max_words=r.get("max_words"), take_next=bool(r.get("next", False)),
                tail=bool(r.get("tail", False)), replace=r.get("replace", ""),
                examples=tuple(r.get("examples", ())))


def _compile_pattern(
    rid: str, pat: str, flags: int, bad: Callable[[str], ConfigError]
) -> re.Pattern[str]:
    try:
        c = re.compile(pat, flags)
    except re.error as exc:
        raise bad(f"rule {rid!r}: bad pattern {pat!r}: {exc}") from exc
    stray = set(c.groupindex) - set(META_GROUPS) - set(_OTHER_GROUPS)
    if stray:
        raise bad(f"rule {rid!r}: unknown named groups {sorted(stray)}")
    return c


# --------------------------------------------------------------------------- dates

_MONTH_RE = (r"(?:janv(?:ier)?|f[ée]vr(?:ier)?|mars|avr(?:il)?|mai|juin|juil(?:let)?|ao[ûu]t"
             r"|sept(?:embre)?|oct(?:obre)?|nov(?:embre)?|d[ée]c(?:embre)?)")
_WEEKDAY_RE = r"(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)"
_TIME_RE = r"(?:\s*(?:à|a|,|-)?\s*\d{1,2}\s*[h:]\s*\d{0,2})?"
# The forms a French news page states a date in; each is parsed by dateparser.
_DATE_FORMS = (
    (re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?", re.I), "day"),
    (re.compile(rf"\b(?:{_WEEKDAY_RE}\s+)?(?:1er|\d{{1,2}})\s+{_MONTH_RE}\.?\s+\d{{4}}"
                rf"{_TIME_RE}", re.I), "day"),
    (re.compile(rf"\b\d{{1,2}}[/.]\d{{1,2}}[/.]\d{{4}}{_TIME_RE}"), "day"),
    (re.compile(r"\b\d{4}-\d{2}\b"), "month"),
    (re.compile(rf"\b{_MONTH_RE}\.?\s+\d{{4}}\b", re.I), "month"),
    (re.compile(r"^\s*\d{4}\s*$"), "year"),
)


@lru_cache(maxsize=1)
def _date_parser() -> Any:
    """dateparser's French parser, built on first use (it loads its language data then)."""
    from dateparser.date import DateDataParser

    return DateDataParser(languages=["fr", "en"], settings={
        "PREFER_DAY_OF_MONTH": "first", "REQUIRE_PARTS": ["year"],
        "RETURN_TIME_AS_PERIOD": False, "DATE_ORDER": "DMY",
    })


def parse_date(text: str) -> DateValue | None:
    """Read a French or ISO date at the precision it really has; None without a year.

    A regular expression first finds a complete date form in ``text`` (so a
    relative "hier" or a day without a year never becomes a date, whatever
    the day it runs); dateparser then reads it (month names and their
    abbreviations, weekdays, "1er", times) and says its precision.
    """
    for pattern, precision in _DATE_FORMS:
        m = pattern.search(text)
        if m is None:
            continue
        data = _date_parser().get_date_data(m.group(0))
        if data.date_obj is None or data.period not in _PRECISION_RANK:
            return None
        d: _dt.datetime = data.date_obj
        if not _agrees(m.group(0), d):
            return None
        value = {"day": d.date().isoformat(), "month": f"{d.year:04d}-{d.month:02d}",
                 "year": f"{d.year:04d}"}[precision]
        return DateValue(value, precision, text.strip())
    return None


def _agrees(stated: str, d: _dt.datetime) -> bool:
    """dateparser fills what is out of range from today ("2024-13"): the year, and the
    month of a numeric date, must be the ones the text states."""
    if str(d.year) not in stated:
        return False
    nums = re.findall(r"\d+", stated)
    if re.fullmatch(r"\d{4}-\d{2}", stated.strip()):
        return int(nums[1]) == d.month
    return True


# --------------------------------------------------------------------------- lines


@dataclass
class _Line:
    no: int  # 1-based
    raw: str
    text: str  # whitespace-normalised, inline cuts applied
    cut: Removed | None = None
    protected: bool = False  # article text that no structural signal may cut
    row: bool = False  # a row of a list without a marker: it may repeat
    lang: str | None = None  # set when the line is in another language than the article

    @property
    def words(self) -> int:
        return len(self.text.split())


@dataclass
class _Meta:
    """Metadata candidates in text order: (field, value, line, evidence)."""

    items: list[tuple[str, str, int, str]] = field(default_factory=list)

    def add(self, m: re.Match[str], line: int) -> None:
        for name, value in m.groupdict().items():
            if name in META_GROUPS and value and value.strip():
                self.items.append((name, value.strip(), line, m.group(0).strip()))

    def first(self, name: str) -> str | None:
        return next((v for f, v, _, _ in self.items if f == name), None)


@dataclass
class _Page:
    """The lines of one input while the stage works on them."""

    lines: list[_Line]
    rules: Rules
    meta: _Meta = field(default_factory=_Meta)
    inline_cuts: list[Removed] = field(default_factory=list)

    @property
    def st(self) -> Structure:
        return self.rules.structure

    def live(self) -> Iterator[_Line]:
        """The non-blank lines nothing has cut yet."""
        return (ln for ln in self.lines if ln.text and ln.cut is None)


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _normalise_ws(line: str) -> str:
    return _SPACES.sub(" ", line.strip())


def _key(text: str) -> str:
    return " ".join(text.casefold().split())


def _cut(ln: _Line, rule: str, reason: str) -> None:
    ln.cut = Removed(line=ln.no, text=ln.raw, rule=rule, reason=reason)


def _unmarked(text: str) -> str:
    """The line without a leading list marker (rules judge the words, not the bullet)."""
    m = _LIST_MARK.match(text)
    return text[m.end() - 1:] if m else text


# --------------------------------------------------------------------------- stage


def clean(doc: Document, text: str, rules: Rules | None = None) -> Document:
    """Clean one scraped article (see the module docstring); returns ``doc``."""
    name = doc.source.filename if doc.source else doc.id
    page = _Page(_read_lines(text, name), rules or load_rules())
    _cut_prefixes_and_inline(page)
    _apply_line_rules(page)
    _protect_lists(page)
    _cut_captions(page)
    _cut_next_to_prompts(page)
    _cut_link_lists(page)
    _cut_duplicates(page)
    article_lang, conf = _mark_languages(page)
    has_section = page.meta.first("section") is not None
    head, edge_section, edge_author = _edges(page, has_section)
    doc.original.lang = article_lang
    _write_text(doc, page, head, name)
    _record(doc, page, head, edge_section, edge_author)
    _notes(doc, page, head, article_lang, conf)
    _add_app(doc, page.rules)
    return doc


def _read_lines(text: str, name: str) -> list[_Line]:
    text = normalise_newlines(text)
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise DocumentError(f"{name}: {CODES['empty']}", code="empty")
    return [_Line(i + 1, raw, _normalise_ws(raw)) for i, raw in enumerate(text.split("\n"))]


def _cut_prefixes_and_inline(page: _Page) -> None:
    """Prefixes (the store marker) and inline fragments (MT tags) inside kept lines."""
    for ln in page.lines:
        if not ln.text:
            continue
        for rule in page.rules.of_kind("prefix"):
            for pat in rule.patterns:
                m = pat.match(ln.text)
                if m and m.end() > 0:
                    page.inline_cuts.append(Removed(ln.no, m.group(0).strip(), rule.id,
                                                    rule.reason))
                    page.meta.add(m, ln.no)
                    ln.text = ln.text[m.end():].lstrip()
                    break
        for rule in page.rules.of_kind("inline"):
            for pat in rule.patterns:
                ln.text = _cut_inline(ln, pat, rule, page.inline_cuts)


def _apply_line_rules(page: _Page) -> None:
    """Whole-line rules, then the teaser headlines they announce and the comment tail."""
    pending_next: list[tuple[int, Rule]] = []
    tails: list[tuple[int, Rule]] = []
    for idx, ln in enumerate(page.lines):
        if not ln.text:
            continue
        words = _unmarked(ln.text)
        for rule in page.rules.of_kind("line"):
            if rule.max_words is not None and len(words.split()) > rule.max_words:
                continue
            m = next((m for p in rule.patterns if (m := p.search(words))), None)
            if m is None:
                continue
            _cut(ln, rule.id, rule.reason)
            page.meta.add(m, ln.no)
            if rule.take_next and not (m.groupdict().get("rest") or "").strip():
                pending_next.append((idx, rule))
            if rule.tail:
                tails.append((idx, rule))
            break
    for idx, rule in pending_next:
        _take_teaser_headlines(page, idx, rule)
    _cut_comment_tail(page, tails)


def _take_teaser_headlines(page: _Page, idx: int, rule: Rule) -> None:
    """A teaser label alone on its line takes the headline(s) below it.

    It takes the following lines while they read as headlines (no sentence
    punctuation at the end), stepping over blank lines and bare list markers.
    """
    label, taken = page.lines[idx].no, False
    for ln in page.lines[idx + 1:]:
        if not ln.text:
            if taken:  # the teasers end at the first blank line after them
                return
            continue
        if _BARE_MARK.match(ln.text):
            if ln.cut is None:
                _cut(ln, rule.id, f"list marker of the teasers announced on line {label}")
            continue
        if (ln.cut is not None or ln.words > page.st.teaser_next_max_words
                or _SENT_END.search(ln.text)):
            return
        _cut(ln, rule.id, f"headline of the teaser announced on line {label}")
        taken = True


def _cut_comment_tail(page: _Page, tails: list[tuple[int, Rule]]) -> None:
    """A comment-section header in the second half of the page: all below goes."""
    nonblank = [i for i, ln in enumerate(page.lines) if ln.text]
    for idx, _rule in tails:
        if nonblank.index(idx) >= len(nonblank) / 2:
            head = page.lines[idx].no
            for ln in page.lines[idx + 1:]:
                if ln.text and ln.cut is None:
                    cut_rule = page.lines[idx].cut
                    assert cut_rule is not None
                    _cut(ln, cut_rule.rule, f"in the comment section that starts on line {head}")
            page.meta.items = [it for it in page.meta.items if it[2] <= head]
            return


def _protect_lists(page: _Page) -> None:
    """List items (a marker before the text) and live-blog entries (a time before it)
    are article text for every structural signal. Rows of a list without markers
    ("Titre, Réalisateur"), three or more in a run (subheadings between them do not
    break it), may repeat: they are no duplicates."""
    run: list[_Line] = []
    for ln in [*page.live(), None]:
        if ln is not None and (_LIST_MARK.match(ln.text) or _LIVE_ENTRY.match(ln.text)):
            ln.protected = True
            continue
        if ln is not None and _is_row_text(ln.text):
            run.append(ln)
            continue
        if ln is not None and ln.words <= 5 and not _SENT_END.search(ln.text):
            continue  # a subheading inside the list
        if len(run) >= 3:
            for r in run:
                r.row = True
        run = []


def _is_row_text(text: str) -> bool:
    return (2 <= len(text.split()) <= 25 and bool(_ROW.search(text))
            and not _SENT_END.search(text))


def _cut_captions(page: _Page) -> None:
    """Photo captions: a credit at the end, a date at the end, text next to a bare credit."""
    st = page.st
    for ln in page.live():
        if ln.protected or ln.words > st.caption_max_words:
            continue
        m = _CREDIT_TAIL.search(ln.text)
        if m and _is_credit(m.group(1), st.credit_words):
            _cut(ln, "caption-credit", f"{STRUCTURAL_RULES['caption-credit']}: "
                                       f"{m.group(0).strip()}")
        elif ln.words <= st.caption_date_max_words and _CAPTION_DATE.search(ln.text) \
                and not _SENT_END.search(ln.text.rstrip(".")) and '"' not in ln.text \
                and "«" not in ln.text:
            _cut(ln, "caption-date", STRUCTURAL_RULES["caption-date"])
    _cut_caption_text(page)


def _is_bare_credit(ln: _Line, st: Structure) -> bool:
    return (ln.cut is not None and ln.cut.rule in ("caption", "caption-credit")
            and ln.words <= st.credit_max_words)


def _cut_caption_text(page: _Page) -> None:
    """A short line right above a bare credit is its caption. A line that is nothing
    but a credit ("PHOTO NAME, AGENCY") and has no caption above it heads the
    photo: the short line right below it is the caption."""
    st, lines = page.st, page.lines
    for a, b in itertools.pairwise(lines):
        if _is_caption_text(a, st) and _is_bare_credit(b, st):
            _cut(a, "caption-text", f"{STRUCTURAL_RULES['caption-text']} (line {b.no})")
    for prev, a, b in zip(lines, lines[1:], lines[2:], strict=False):
        above_is_caption = prev.cut is not None and prev.cut.rule.startswith("caption")
        if (_is_bare_credit(a, st) and _CREDIT_ONLY.match(a.text) and not above_is_caption
                and _is_caption_text(b, st)):
            _cut(b, "caption-text", f"{STRUCTURAL_RULES['caption-text']} (line {a.no})")


def _is_caption_text(ln: _Line, st: Structure) -> bool:
    """A caption is a sentence or ends with a bracket; a headline ends with neither."""
    return (bool(ln.text) and ln.cut is None and not ln.protected
            and ln.words <= st.caption_text_max_words and ln.text[-1] in ".)]")


def _cut_next_to_prompts(page: _Page) -> None:
    """The heading right above a paywall / newsletter prompt goes with it; a name
    right above an author's biography is the byline."""
    lines = [ln for ln in page.lines if ln.text]
    half = len(lines) / 2  # a prompt's heading closes the page; near the top it is the title
    for k, (a, b) in enumerate(itertools.pairwise(lines)):
        if a.cut is not None:
            continue
        rule = b.cut.rule if b.cut else ""
        if rule in ("paywall", "newsletter") and not a.protected \
                and a.words <= page.st.edge_short_max_words \
                and not _SENT_END.search(a.text) and k >= half:
            _cut(a, "prompt-header", f"{STRUCTURAL_RULES['prompt-header']} (line {b.no})")
        elif rule == "author-bio" and 2 <= len(_unmarked(a.text).split()) <= 4 \
                and _NAME.fullmatch(_unmarked(a.text).lstrip("•·-– ")):
            _cut(a, "byline-name", STRUCTURAL_RULES["byline-name"])
            page.meta.items.append(("author", _unmarked(a.text).lstrip("•·-– "), a.no, a.text))


def _cut_link_lists(page: _Page) -> None:
    """A bare list marker alone on its line and the headline under it: related links."""
    lines = [ln for ln in page.lines if ln.text]
    for a, b in itertools.pairwise(lines):
        if _BARE_MARK.match(a.text) and b.cut is None and not _SENT_END.search(b.text) \
                and b.words <= page.st.teaser_next_max_words:
            if a.cut is None:
                _cut(a, "link-list", STRUCTURAL_RULES["link-list"])
            _cut(b, "link-list", STRUCTURAL_RULES["link-list"])


def _cut_duplicates(page: _Page) -> None:
    """A paragraph printed a second time (list items may repeat: they are kept)."""
    seen: dict[str, int] = {}
    for ln in page.live():
        if not any(c.isalnum() for c in ln.text):
            continue
        k = _key(ln.text)
        if k in seen and not ln.protected and not ln.row:
            _cut(ln, "duplicate-paragraph",
                 f"{STRUCTURAL_RULES['duplicate-paragraph']} (line {seen[k]})")
        seen.setdefault(k, ln.no)


def _mark_languages(page: _Page) -> tuple[str, float]:
    """The article's language; kept lines in another language are marked, not cut."""
    st = page.st
    # The language of most of the text (line by line, by length): one English paragraph
    # does not outweigh a French article by its many "the".
    lang, conf = majority_language([ln.text for ln in page.live()])
    article_lang = lang if lang != UNDETERMINED else "fr"
    for ln in page.live():
        if ln.words >= st.foreign_min_words:
            ll, lc = detect_language(ln.text)
            if ll not in (article_lang, UNDETERMINED) and lc >= st.foreign_min_confidence:
                ln.lang = ll
    return article_lang, conf


def _cut_inline(ln: _Line, pat: re.Pattern[str], rule: Rule, cuts: list[Removed]) -> str:
    out, pos, text = [], 0, ln.text
    for m in pat.finditer(text):
        if m.end() == m.start():
            continue
        cuts.append(Removed(ln.no, m.group(0), rule.id, rule.reason))
        out.append(text[pos:m.start()])
        before = text[m.start() - 1] if m.start() > 0 else " "
        after = text[m.end()] if m.end() < len(text) else " "
        out.append(rule.replace if not before.isspace() and not after.isspace() else "")
        pos = m.end()
    if pos == 0:
        return text
    out.append(text[pos:])
    return _normalise_ws("".join(out))


def _is_credit(credit: str, words: frozenset[str]) -> bool:
    tokens = set(re.findall(r"[\w©]+", credit.lower()))
    return bool(tokens & words) or bool(_NAME_SLASH.fullmatch(credit.strip()))


# --------------------------------------------------------------------------- blocks


def _continues(prev: _Line, ln: _Line) -> bool:
    """``ln`` carries on ``prev``: a paragraph hard-wrapped over two input lines."""
    return (
        ln.no == prev.no + 1
        and not _WRAP_END.search(prev.text)
        and ln.text[:1].islower()
        and not ln.protected and not prev.protected
    )


@dataclass
class _Block:
    """One or more kept input lines that make one logical line (soft wraps joined)."""

    lines: list[_Line]

    @property
    def text(self) -> str:
        return " ".join(ln.text for ln in self.lines)

    @property
    def words(self) -> int:
        return sum(ln.words for ln in self.lines)

    @property
    def protected(self) -> bool:
        return any(ln.protected for ln in self.lines)

    def cut(self, rule: str, reason: str) -> None:
        for ln in self.lines:
            _cut(ln, rule, reason)


def _blocks(lines: list[_Line]) -> list[_Block]:
    blocks: list[_Block] = []
    for ln in lines:
        if not ln.text or ln.cut is not None:
            continue
        if blocks and _continues(blocks[-1].lines[-1], ln):
            blocks[-1].lines.append(ln)
        else:
            blocks.append(_Block([ln]))
    return blocks


# --------------------------------------------------------------------------- edges


def _is_sentence(b: _Block, st: Structure) -> bool:
    """A line of body text: a sentence end (an ellipsis or a quoted headline does not count)."""
    if b.words < st.body_min_words or not _FULL_STOP.search(b.text):
        return False
    if _TITLE_QUOTE.match(b.text) and b.words <= st.headline_max_words:
        return False
    return not _ELLIPSIS.search(b.text) or b.words > st.headline_max_words


def _is_title(b: _Block, st: Structure) -> bool:
    """Title-like: the length of a headline, no full stop at the end (an ellipsis or
    a quotation after "Name :" may end one)."""
    return (not b.protected and st.headline_min_words <= b.words <= st.headline_max_words
            and len(b.text) <= st.headline_max_chars and not b.text.endswith(":")
            and (not _FULL_STOP.search(b.text) or bool(_ELLIPSIS.search(b.text))
                 or bool(_TITLE_QUOTE.match(b.text))))


def _lead_end(cands: list[_Block], st: Structure) -> int:
    """Where the body starts: the first sure sentence (long, or followed by another
    sentence), a second question, or a block too long for a headline."""
    seen_head = False
    for k, b in enumerate(cands):
        if b.protected:
            continue
        if _is_sentence(b, st):
            nxt = cands[k + 1] if k + 1 < len(cands) else None
            if b.words >= st.body_sure_words or nxt is None or _is_sentence(nxt, st) \
                    or nxt.words > st.headline_max_words or nxt.protected:
                return k
        elif b.words >= st.body_min_words and b.text[-1] in "?!":
            if seen_head:
                return k
            seen_head = True
        elif b.words > st.headline_max_words:
            return k
        elif _is_title(b, st):
            seen_head = True
    return len(cands)


def _edges(page: _Page, has_section: bool) -> tuple[_Block | None, str | None, str | None]:
    """Find the headline and cut the chrome at the edges; returns (headline, section, author)."""
    st = page.st
    cands = _blocks(page.lines)
    end = _lead_end(cands, st)
    lead = cands[:end]
    heads = [(k, b) for k, b in enumerate(lead) if _is_title(b, st)]
    head_k, head = max(heads, key=lambda kb: (len(kb[1].text), -kb[0])) if heads else (end, None)
    section = _cut_above_headline(lead[:head_k], st, has_section, head is not None)
    author = _cut_below_headline(lead[head_k + 1:], st, head is not None)
    _cut_after_body(cands[end:], st)
    return head, section, author


def _edge_reason(rule: str, place: str) -> str:
    return STRUCTURAL_RULES[rule].replace("at the edge of the text", place)


def _cut_above_headline(
    above: list[_Block], st: Structure, has_section: bool, has_head: bool
) -> str | None:
    """Above the headline everything is chrome; the nearest short label is the section."""
    section: str | None = None
    for b in reversed(above):
        short = b.words <= st.edge_short_max_words
        if (section is None and not has_section and short and b.words <= st.section_max_words
                and not _SENT_END.search(b.text) and _is_label(b.text)):
            section = b.text
            b.cut("section", STRUCTURAL_RULES["section"])
        elif has_head:
            rule = "edge-short-line" if short else "before-headline"
            b.cut(rule, _edge_reason(rule, "above the headline"))
        elif short and not _SENT_END.search(b.text) and not b.protected:
            b.cut("edge-short-line", _edge_reason("edge-short-line", "at the top of the text"))
    return section


def _is_label(text: str) -> bool:
    """A section label: words with letters, no comma (a place line is no section)."""
    return "," not in text and any(c.isalpha() for c in text) and text[0].isupper()


def _cut_below_headline(below: list[_Block], st: Structure, has_head: bool) -> str | None:
    """Between the headline and the body: a name alone is the byline, short lines are chrome."""
    author: str | None = None
    for b in below:
        if b.protected:
            continue
        if has_head and 2 <= b.words <= 4 and _NAME.fullmatch(b.text):
            author = author or b.text
            b.cut("byline-name", STRUCTURAL_RULES["byline-name"])
        elif b.words <= st.edge_short_max_words and not _SENT_END.search(b.text):
            b.cut("edge-short-line", _edge_reason("edge-short-line",
                                                  "between the headline and the body"))
    return author


def _cut_after_body(rest: list[_Block], st: Structure) -> None:
    """Below the last line of the body (a sentence, a list item or a list row),
    short lines are chrome, unless they read as a subheading."""
    last = max((k for k, b in enumerate(rest)
                if _SENT_END.search(b.text) or b.protected or _is_row(b)), default=None)
    if last is None:
        return
    for b in rest[last + 1:]:
        if (b.words <= st.edge_short_max_words and not _SENT_END.search(b.text)
                and not _SUBHEAD.match(b.text) and not _INNER_STOP.search(b.text)):
            b.cut("edge-short-line", _edge_reason("edge-short-line", "below the last sentence"))


def _is_row(b: _Block) -> bool:
    """A row of a list without a marker ("Titre, Réalisateur"), two words at least."""
    return b.words >= 2 and bool(_ROW.search(b.text))


# --------------------------------------------------------------------------- output


def _write_text(doc: Document, page: _Page, head: _Block | None, name: str) -> None:
    """Paragraphs: one per logical line (soft-wrapped lines joined), the headline first."""
    blocks = _blocks(page.lines)
    if not blocks or (len(blocks) == 1 and head is not None):
        n = sum(1 for ln in page.lines if ln.cut is not None)
        raise DocumentError(f"{name}: {CODES['all-boilerplate']} ({n} lines removed)",
                            code="all-boilerplate")
    head_nos = {ln.no for ln in head.lines} if head is not None else set()
    paragraphs, texts, pos = [], [], 0
    for n, b in enumerate(blocks, start=1):
        ptext = b.text
        kind = "head" if b.lines[0].no in head_nos else "p"
        langs = {ln.lang for ln in b.lines}
        lang = langs.pop() if len(langs) == 1 else None
        # ids unique in the corpus: the document's id, its language, the paragraph's number
        paragraphs.append(Paragraph(id=f"{doc.id}.{doc.original.lang}.p{n}", start=pos,
                                    end=pos + len(ptext), kind=kind, lang=lang))
        texts.append(ptext)
        pos += len(ptext) + len(PARA_SEP)
    doc.original.text = PARA_SEP.join(texts)
    doc.original.paragraphs = paragraphs


def _record(
    doc: Document, page: _Page, head: _Block | None, section: str | None, author: str | None
) -> None:
    """Removed lines and fragments (an inline cut inside a line that went as a whole is
    already in that line's record), and the metadata."""
    whole = {ln.no for ln in page.lines if ln.cut is not None}
    removed = [ln.cut for ln in page.lines if ln.cut is not None]
    removed += [r for r in page.inline_cuts if r.line not in whole]
    inline_ids = {r.id for r in page.rules.rules if r.kind != "line"}
    doc.removed = sorted(removed, key=lambda r: (r.line, r.rule not in inline_ids))
    doc.meta = _metadata(doc.meta, page.meta, head, section, author)


def _notes(doc: Document, page: _Page, head: _Block | None, lang: str, conf: float) -> None:
    """Language, missing headline and heavy structural cuts, for the report and the TEI."""
    doc.notes = [n for n in doc.notes if n.code not in ("language", "no-headline", "heavy-cut")]
    if lang != "fr":
        doc.notes.append(Note("language", f"{CODES['language']}: detected {lang} "
                                          f"(confidence {conf:.2f})"))
    if head is None:
        doc.notes.append(Note("no-headline", f"{CODES['no-headline']}"))
    nonblank = sum(1 for ln in page.lines if ln.text)
    structural = [ln.cut.rule for ln in page.lines
                  if ln.cut is not None and ln.cut.rule in STRUCTURAL_RULES]
    st = page.st
    many = len(structural) >= st.heavy_cut_min_lines
    if many and len(structural) > st.heavy_cut_share * nonblank:
        counts = ", ".join(f"{r} {structural.count(r)}" for r in sorted(set(structural)))
        doc.notes.append(Note("heavy-cut", f"{CODES['heavy-cut']}: {len(structural)} of "
                                           f"{nonblank} lines ({counts})"))


def _add_app(doc: Document, rules: Rules) -> None:
    doc.add_app(
        Application(
            ident=APP_IDENT,
            version=rules.version,
            layer="clean",
            label="rule-based boilerplate removal and metadata recovery",
            sha256=rules.sha256,
            extra={
                "rules": Path(rules.path).name,
                "rules_count": str(len(rules.rules)),
            },
        )
    )


def _metadata(
    old: Metadata,
    found: _Meta,
    head: _Block | None,
    edge_section: str | None,
    edge_author: str | None,
) -> Metadata:
    meta = Metadata(url=old.url)  # a url known from elsewhere is kept when the text gives none
    meta.title = head.text if head is not None else None
    dates = []
    for f, value, line, evidence in found.items:
        if f == "date" and (dv := parse_date(value)) is not None:
            dv.evidence = evidence
            dates.append((-_PRECISION_RANK[dv.precision], line, dv))
    if dates:
        meta.date = min(dates, key=lambda t: (t[0], t[1]))[2]
    meta.outlet = found.first("outlet")
    meta.url = found.first("url") or meta.url
    meta.section = found.first("section") or edge_section
    author = found.first("author") or edge_author
    meta.author = author.strip(" ,;–-•") if author else None
    return meta
