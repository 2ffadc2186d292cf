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
3. structural signals cut what no pattern names: captions ending with a credit
   in parentheses or brackets, a short line right above a bare photo credit,
   paragraphs printed twice, lines in another language than the article, and
   short lines without sentence punctuation at the edges of the text (above
   the headline, between it and the body, below the last sentence);
4. the headline (the longest line above the first sentence of the body) becomes
   the first paragraph (``kind="head"``) and ``meta.title``; the other kept lines
   become paragraphs (a paragraph hard-wrapped over several lines is joined
   again), joined by ``PARA_SEP``.

Nothing is dropped silently: every cut line or fragment is kept in
``doc.removed`` with its 1-based line number, rule id and reason. Blank lines
are paragraph breaks, not content: runs of them collapse into one break.

Metadata come from the rules' named groups (``date``, ``outlet``, ``section``,
``author``, ``url``) and from the structure (headline, section label above it).
A date is only a publication date when a rule reads it from a dateline, a
"Publié le" stamp or the store marker; dates in captions or the body, and
weekdays without a year, are never used.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import itertools
import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

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
from pipeline.stages.langid import UNDETERMINED, detect_language

DEFAULT_RULES = Path(__file__).resolve().parent.parent / "data" / "boilerplate.toml"

APP_IDENT = "pipeline-clean"
KINDS = ("line", "prefix", "inline")
META_GROUPS = ("date", "outlet", "section", "author", "url")
_OTHER_GROUPS = ("rest",)

#: Rule ids of the structural signals (not in the rules file).
STRUCTURAL_RULES = {
    "caption-credit": "photo caption: the line ends with a photo credit in parentheses or brackets",
    "caption-text": "photo caption: a short line right above a bare photo credit",
    "byline-name": "a name alone between the headline and the body: the byline "
                   "(kept as meta author)",
    "duplicate-paragraph": "the same paragraph was printed before",
    "foreign-language": "line in another language than the article",
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
_CREDIT_TAIL = re.compile(r"[(\[]([^()\[\]]{1,80})[)\]]\s*\.?$")
_NAME_SLASH = re.compile(r"[A-ZÀ-Ý][\w’'.-]+\s+[A-ZÀ-Ý][\w’'.-]+\s*/\s*[A-ZÀ-Ý][\w .’'-]*")
_SPACES = re.compile(r"[ \t]+")
# a line that ends like this is not continued by the next one (no soft wrap)
_WRAP_END = re.compile(r"[.!?…:;»”\"]$")
# a person's name: capitalised words, with the usual lower-case particles
_NAME = re.compile(
    r"[A-ZÀ-Ý][\w’'.-]+(?:\s+(?:[A-ZÀ-Ý][\w’'.-]+|de|du|d’|d'|van|von|le|la|ben|al|el)){1,3}"
)


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
    headline_max_chars: int = 250
    body_min_words: int = 4
    teaser_next_max_words: int = 30
    foreign_min_words: int = 6
    foreign_min_confidence: float = 0.6
    caption_max_words: int = 90
    caption_text_max_words: int = 30
    credit_max_words: int = 10
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


def _compile_rules(data: dict, path: str, sha256: str) -> Rules:
    def bad(msg: str) -> ConfigError:
        return ConfigError(f"rules file {path}: {msg}")

    version = data.get("version")
    if not isinstance(version, str) or not version:
        raise bad("'version' (a string) is missing")
    known = {f for f in Structure.__dataclass_fields__}
    st = dict(data.get("structure", {}))
    unknown = set(st) - known
    if unknown:
        raise bad(f"unknown [structure] keys: {sorted(unknown)}")
    if "credit_words" in st:
        st["credit_words"] = frozenset(w.lower() for w in st["credit_words"])
    structure = Structure(**st)

    rules: list[Rule] = []
    seen: set[str] = set()
    for i, r in enumerate(data.get("rule", [])):
        rid = r.get("id")
        if not isinstance(rid, str) or not re.fullmatch(r"[a-z][a-z0-9-]*", rid):
            raise bad(f"rule #{i + 1}: 'id' must be a lower-case slug")
        if rid in seen or rid in STRUCTURAL_RULES:
            raise bad(f"rule {rid!r}: duplicate id")
        seen.add(rid)
        kind = r.get("kind", "line")
        if kind not in KINDS:
            raise bad(f"rule {rid!r}: kind must be one of {KINDS}")
        reason = r.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise bad(f"rule {rid!r}: 'reason' is missing")
        pats = r.get("patterns")
        if not isinstance(pats, list) or not pats:
            raise bad(f"rule {rid!r}: 'patterns' must be a non-empty list")
        extra = set(r) - {"id", "kind", "reason", "patterns", "flags", "max_words", "next",
                          "tail", "replace", "examples"}
        if extra:
            raise bad(f"rule {rid!r}: unknown keys {sorted(extra)}")
        flags = 0
        for ch in r.get("flags", ""):
            if ch != "i":
                raise bad(f"rule {rid!r}: unknown flag {ch!r}")
            flags |= re.IGNORECASE
        compiled = []
        for pat in pats:
            try:
                c = re.compile(pat, flags)
            except re.error as exc:
                raise bad(f"rule {rid!r}: bad pattern {pat!r}: {exc}") from exc
            stray = set(c.groupindex) - set(META_GROUPS) - set(_OTHER_GROUPS)
            if stray:
                raise bad(f"rule {rid!r}: unknown named groups {sorted(stray)}")
            compiled.append(c)
        rules.append(
            Rule(
                id=rid,
                kind=kind,
                reason=reason.strip(),
                patterns=tuple(compiled),
                max_words=r.get("max_words"),
                take_next=bool(r.get("next", False)),
                tail=bool(r.get("tail", False)),
                replace=r.get("replace", ""),
                examples=tuple(r.get("examples", ())),
            )
        )
    if not rules:
        raise bad("no [[rule]] entries")
    return Rules(version=version, sha256=sha256, path=path, rules=tuple(rules), structure=structure)


# --------------------------------------------------------------------------- dates

_MONTHS = {
    "janvier": 1, "janv": 1, "février": 2, "fevrier": 2, "févr": 2, "fevr": 2, "mars": 3,
    "avril": 4, "avr": 4, "mai": 5, "juin": 6, "juillet": 7, "juil": 7, "août": 8, "aout": 8,
    "septembre": 9, "sept": 9, "octobre": 10, "oct": 10, "novembre": 11, "nov": 11,
    "décembre": 12, "decembre": 12, "déc": 12, "dec": 12,
}
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_D_TEXT = re.compile(rf"\b(1er|\d{{1,2}})\s+({_MONTH_RE})\.?\s+(\d{{4}})\b", re.IGNORECASE)
_D_NUM = re.compile(r"\b(\d{1,2})[/.](\d{1,2})[/.](\d{4})\b")
_D_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_M_ISO = re.compile(r"\b(\d{4})-(\d{2})\b")
_M_TEXT = re.compile(rf"\b({_MONTH_RE})\.?\s+(\d{{4}})\b", re.IGNORECASE)
_Y = re.compile(r"^\s*(\d{4})\s*$")


def parse_date(text: str) -> DateValue | None:
    """Read a French or ISO date at the precision it really has; None without a year."""

    def day(y: int, m: int, d: int) -> DateValue | None:
        try:
            return DateValue(_dt.date(y, m, d).isoformat(), "day", text.strip())
        except ValueError:
            return None

    if m := _D_ISO.search(text):
        return day(int(m[1]), int(m[2]), int(m[3]))
    if m := _D_TEXT.search(text):
        d = 1 if m[1].lower() == "1er" else int(m[1])
        return day(int(m[3]), _MONTHS[m[2].lower()], d)
    if m := _D_NUM.search(text):
        return day(int(m[3]), int(m[2]), int(m[1]))
    if m := _M_ISO.search(text):
        if 1 <= int(m[2]) <= 12:
            return DateValue(f"{m[1]}-{m[2]}", "month", text.strip())
        return None
    if m := _M_TEXT.search(text):
        return DateValue(f"{m[2]}-{_MONTHS[m[1].lower()]:02d}", "month", text.strip())
    if m := _Y.match(text):
        return DateValue(m[1], "year", text.strip())
    return None


# --------------------------------------------------------------------------- lines


@dataclass
class _Line:
    no: int  # 1-based
    raw: str
    text: str  # whitespace-normalised, inline cuts applied
    cut: Removed | None = None

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


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _normalise_ws(line: str) -> str:
    return _SPACES.sub(" ", line.strip())


def _key(text: str) -> str:
    return " ".join(text.casefold().split())


# --------------------------------------------------------------------------- stage


def clean(doc: Document, text: str, rules: Rules | None = None) -> Document:
    """Clean one scraped article (see the module docstring); returns ``doc``."""
    rules = rules or load_rules()
    st = rules.structure
    text = normalise_newlines(text)
    if text.startswith("\ufeff"):
        text = text[1:]
    name = doc.source.filename if doc.source else doc.id
    if not text.strip():
        raise DocumentError(f"{name}: {CODES['empty']}", code="empty")

    lines = [_Line(i + 1, raw, _normalise_ws(raw)) for i, raw in enumerate(text.split("\n"))]
    meta = _Meta()
    inline_cuts: list[Removed] = []

    def cut(ln: _Line, rule: str, reason: str) -> None:
        ln.cut = Removed(line=ln.no, text=ln.raw, rule=rule, reason=reason)

    # 1. prefixes and inline fragments
    for ln in lines:
        if not ln.text:
            continue
        for rule in rules.of_kind("prefix"):
            for pat in rule.patterns:
                m = pat.match(ln.text)
                if m and m.end() > 0:
                    inline_cuts.append(Removed(ln.no, m.group(0).strip(), rule.id, rule.reason))
                    meta.add(m, ln.no)
                    ln.text = ln.text[m.end():].lstrip()
                    break
        for rule in rules.of_kind("inline"):
            for pat in rule.patterns:
                ln.text = _cut_inline(ln, pat, rule, inline_cuts)

    # 2. data rules on whole lines
    pending_next: list[tuple[int, Rule]] = []
    tails: list[tuple[int, Rule]] = []
    for idx, ln in enumerate(lines):
        if not ln.text:
            continue
        for rule in rules.of_kind("line"):
            if rule.max_words is not None and ln.words > rule.max_words:
                continue
            m = next((m for p in rule.patterns if (m := p.search(ln.text))), None)
            if m is None:
                continue
            cut(ln, rule.id, rule.reason)
            meta.add(m, ln.no)
            if rule.take_next and not (m.groupdict().get("rest") or "").strip():
                pending_next.append((idx, rule))
            if rule.tail:
                tails.append((idx, rule))
            break

    # 3. a teaser label alone on its line takes the headline(s) below it: the
    #    next non-blank line and the lines right under it, while they read as
    #    headlines (no sentence punctuation at the end)
    for idx, rule in pending_next:
        j = next((j for j in range(idx + 1, len(lines)) if lines[j].text), None)
        while (
            j is not None and j < len(lines)
            and lines[j].text
            and lines[j].cut is None
            and lines[j].words <= st.teaser_next_max_words
            and not _SENT_END.search(lines[j].text)
        ):
            cut(lines[j], rule.id, f"headline of the teaser announced on line {lines[idx].no}")
            j += 1

    # 3b. a comment-section header in the second half of the page: all below goes
    nonblank = [i for i, ln in enumerate(lines) if ln.text]
    for idx, rule in tails:
        if nonblank.index(idx) >= len(nonblank) / 2:
            for ln in lines[idx + 1:]:
                if ln.text and ln.cut is None:
                    cut(ln, rule.id, f"in the comment section that starts on line {lines[idx].no}")
            meta.items = [it for it in meta.items if it[2] <= lines[idx].no]
            break

    # 4. captions ending with a credit in parentheses
    for ln in lines:
        if ln.text and ln.cut is None and ln.words <= st.caption_max_words:
            m = _CREDIT_TAIL.search(ln.text)
            if m and _is_credit(m.group(1), st.credit_words):
                reason = f"{STRUCTURAL_RULES['caption-credit']}: {m.group(0).strip()}"
                cut(ln, "caption-credit", reason)

    # 4b. a short line right above a bare photo credit is that photo's caption
    for a, b in itertools.pairwise(lines):
        if (
            a.text and a.cut is None and a.words <= st.caption_text_max_words
            and b.cut is not None and b.cut.rule in ("caption", "caption-credit")
            and b.words <= st.credit_max_words
        ):
            cut(a, "caption-text", f"{STRUCTURAL_RULES['caption-text']} (line {b.no})")

    # 5. paragraphs printed twice
    seen: dict[str, int] = {}
    for ln in lines:
        if not ln.text or not any(c.isalnum() for c in ln.text):
            continue
        k = _key(ln.text)
        if k in seen and ln.cut is None:
            reason = f"{STRUCTURAL_RULES['duplicate-paragraph']} (line {seen[k]})"
            cut(ln, "duplicate-paragraph", reason)
        seen.setdefault(k, ln.no)

    # 6. lines in another language than the article
    body = "\n".join(ln.text for ln in lines if ln.text and ln.cut is None)
    lang, conf = detect_language(body)
    article_lang = lang if lang != UNDETERMINED else "fr"
    for ln in lines:
        if ln.text and ln.cut is None and ln.words >= st.foreign_min_words:
            ll, lc = detect_language(ln.text)
            if ll not in (article_lang, UNDETERMINED) and lc >= st.foreign_min_confidence:
                cut(ln, "foreign-language",
                    f"line in {ll} (confidence {lc:.2f}), the article is in {article_lang}")

    # 7. the edges: headline, chrome above it, chrome below the last sentence
    has_section = meta.first("section") is not None
    head, edge_section, edge_author = _edges(lines, st, has_section=has_section, cut=cut)

    # 8. paragraphs: one per logical line (soft-wrapped lines joined)
    blocks = _blocks(lines)
    if not blocks or (len(blocks) == 1 and head is not None):
        n = sum(1 for ln in lines if ln.cut is not None)
        raise DocumentError(f"{name}: {CODES['all-boilerplate']} ({n} lines removed)",
                            code="all-boilerplate")
    head_nos = {ln.no for ln in head.lines} if head is not None else set()
    paras_text = [b.text for b in blocks]
    kinds = ["head" if b.lines[0].no in head_nos else "p" for b in blocks]
    paragraphs, pos = [], 0
    for n, (ptext, kind) in enumerate(zip(paras_text, kinds, strict=True), start=1):
        paragraphs.append(Paragraph(id=f"p{n}", start=pos, end=pos + len(ptext), kind=kind))
        pos += len(ptext) + len(PARA_SEP)
    doc.original.text = PARA_SEP.join(paras_text)
    doc.original.paragraphs = paragraphs
    doc.original.lang = article_lang

    # 9. removed, metadata, notes, application (an inline cut inside a line that
    #    went as a whole is already in that line's record)
    whole = {ln.no for ln in lines if ln.cut is not None}
    removed = [ln.cut for ln in lines if ln.cut is not None]
    removed += [r for r in inline_cuts if r.line not in whole]
    inline_ids = {r.id for r in rules.rules if r.kind != "line"}
    doc.removed = sorted(removed, key=lambda r: (r.line, r.rule not in inline_ids))
    doc.meta = _metadata(doc.meta, meta, head, edge_section, edge_author)
    doc.notes = [n for n in doc.notes if n.code != "language"]
    if article_lang != "fr":
        doc.notes.append(Note("language", f"{CODES['language']}: detected {article_lang} "
                                          f"(confidence {conf:.2f})"))
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
    return doc


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


def _continues(prev: _Line, ln: _Line) -> bool:
    """``ln`` carries on ``prev``: a paragraph hard-wrapped over two input lines."""
    return (
        ln.no == prev.no + 1
        and not _WRAP_END.search(prev.text)
        and ln.text[:1].islower()
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

    def cut(self, cut, rule: str, reason: str) -> None:
        for ln in self.lines:
            cut(ln, rule, reason)


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


def _edges(
    lines: list[_Line], st: Structure, has_section: bool, cut
) -> tuple[_Block | None, str | None, str | None]:
    """Find the headline and cut the chrome at the edges; returns (headline, section, author)."""

    def where(reason: str, place: str) -> str:
        return reason.replace("at the edge of the text", place)

    cands = _blocks(lines)
    # the leading region ends at the first sentence of the body
    end, seen_head = len(cands), False
    for k, b in enumerate(cands):
        if b.words >= st.body_min_words and _FULL_STOP.search(b.text):
            end = k
            break
        if b.words >= st.body_min_words and b.text[-1] in "?!":
            if seen_head:
                end = k
                break
            seen_head = True
        elif b.words >= st.headline_min_words and len(b.text) <= st.headline_max_chars:
            seen_head = True
    lead = cands[:end]
    heads = [
        (k, b) for k, b in enumerate(lead)
        if b.words >= st.headline_min_words and len(b.text) <= st.headline_max_chars
        and not _FULL_STOP.search(b.text) and not b.text.endswith(":")
    ]
    head_k, head = max(heads, key=lambda kb: (len(kb[1].text), -kb[0])) if heads else (end, None)

    section: str | None = None
    for k in range(head_k - 1, -1, -1):  # above the headline: all chrome
        b = lead[k]
        short = b.words <= st.edge_short_max_words
        if (section is None and not has_section and short and b.words <= st.section_max_words
                and not _SENT_END.search(b.text)):
            section = b.text
            b.cut(cut, "section", STRUCTURAL_RULES["section"])
        elif short or head is not None:
            place = "above the headline" if head is not None else "at the top of the text"
            rule = "edge-short-line" if short else "before-headline"
            b.cut(cut, rule, where(STRUCTURAL_RULES[rule], place))
    author: str | None = None
    for b in lead[head_k + 1:]:  # between the headline and the body: short chrome only
        if head is not None and 2 <= b.words <= 4 and _NAME.fullmatch(b.text):
            author = author or b.text
            b.cut(cut, "byline-name", STRUCTURAL_RULES["byline-name"])
        elif b.words <= st.edge_short_max_words and not _SENT_END.search(b.text):
            b.cut(cut, "edge-short-line",
                  where(STRUCTURAL_RULES["edge-short-line"], "between the headline and the body"))
    rest = cands[end:]
    last = max((k for k, b in enumerate(rest) if _SENT_END.search(b.text)), default=None)
    if last is not None:
        for b in rest[last + 1:]:
            if b.words <= st.edge_short_max_words and not _SENT_END.search(b.text):
                b.cut(cut, "edge-short-line",
                      where(STRUCTURAL_RULES["edge-short-line"], "below the last sentence"))
    return head, section, author


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
    meta.author = author.strip(" ,;–-") if author else None
    return meta
