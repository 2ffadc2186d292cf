"""TEI P5 writing and reading: one ``<TEI>`` file per article, one ``<teiCorpus>`` root.

Layout of an article (details in the docstrings below and in ``data/tei.toml``)::

    TEI[@xml:id=doc.id][@xml:lang=original language]
      teiHeader[@xml:lang=en]
        fileDesc: titleStmt (titles, respStmt), publicationStmt, notesStmt (doc.notes),
                  sourceDesc/bibl (the scraped original: title, author, publisher = outlet,
                  date, ptr URL, idno filename / path / sha256, extent, encoding notes)
        encodingDesc: editorialDecl (cleaning rules and untranslated reasons as interp
                  targets of @ana), classDecl/taxonomy (entity types), appInfo/application
        profileDesc: creation, langUsage;  revisionDesc/change (this run)
      text
        body: div[@type=original], div[@type=translation]; head | p | ab > s > w | pc,
              entity mentions inline around their tokens (persName, placeName, orgName,
              name[@type=MISC], date, num; @ref -> standOff record)
        back: div[@type=boilerplate] > ab[@type=removed] (each line cleaning cut)
      standOff: listPerson | listPlace | listOrg | listObject (doc.records)

The text is lossless: the string value of every ``<s>`` is exactly its span of ``Side.text``
(the characters between tokens are written as they are), so :func:`read_tei` rebuilds the
offsets by counting characters. Pretty-printing only touches elements that never hold text.
"""

from __future__ import annotations

import os
import re
import tomllib
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from lxml import etree

from pipeline.document import (
    FOREIGN,
    PARA_SEP,
    Application,
    DateValue,
    Document,
    EntityRecord,
    Mention,
    Metadata,
    Note,
    Paragraph,
    Removed,
    Sentence,
    Side,
    Source,
    Token,
)
from pipeline.errors import ConfigError, DocumentError
from pipeline.run.atomic import atomic_write_bytes

TEI_NS = "http://www.tei-c.org/ns/1.0"
XI_NS = "http://www.w3.org/2001/XInclude"
XML_NS = "http://www.w3.org/XML/1998/namespace"
XML_ID = f"{{{XML_NS}}}id"
XML_LANG = f"{{{XML_NS}}}lang"
NS = {"tei": TEI_NS, "xi": XI_NS}

DATA_FILE = Path(__file__).parent.parent / "data" / "tei.toml"

#: Note codes of the repairs the writer makes (see pipeline/errors.py CODES).
CONTROL_CHARS = "control-chars"
ADJUSTED = "tei-adjusted"

# Everything XML 1.0 allows (production [2] Char); the rest is dropped on write.
_FORBIDDEN = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_W3C_WHEN = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?)?")
_W3C_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
_NCNAME_BAD = re.compile(r"[^\w.\-]|^[^A-Za-z_]")
# @version of <application>, as tei_all spells teidata.versionNumber.
_VERSION = re.compile(r"\d+[a-z]*\d*(\.\d+[a-z]*\d*){0,3}")
# A URL jing accepts as xsd:anyURI (else it goes to <idno type="URL">).
_URI_PART = r"[^\s\[\]#%\"<>\\^`{|}]*(?:%[0-9A-Fa-f]{2}[^\s\[\]#%\"<>\\^`{|}]*)*"
_URI = re.compile(rf"[A-Za-z][A-Za-z0-9+.\-]*:{_URI_PART}(?:#{_URI_PART})?")

_ENTITY_TAGS = {
    "PER": "persName",
    "LOC": "placeName",
    "ORG": "orgName",
    "DATE": "date",
    "NUM": "num",
}
_TAG_LABELS = {tag: label for label, tag in _ENTITY_TAGS.items()}
_MENTION_TAGS = set(_TAG_LABELS) | {"name", "rs"}
# Record type -> (list element, item element, name element); other types go to listObject.
_RECORD_TAGS = {
    "PER": ("listPerson", "person", "persName"),
    "LOC": ("listPlace", "place", "placeName"),
    "ORG": ("listOrg", "org", "orgName"),
}
_OBJECT_TAGS = ("listObject", "object", "objectName")
_ITEM_TYPES = {"person": "PER", "place": "LOC", "org": "ORG"}
# Elements that only ever hold other elements: the only ones that get indentation.
_BLOCK_TAGS = frozenset(
    "TEI teiCorpus teiHeader fileDesc titleStmt respStmt publicationStmt availability notesStmt "
    "sourceDesc bibl encodingDesc editorialDecl correction segmentation interpretation "
    "classDecl taxonomy category appInfo application profileDesc langUsage revisionDesc "
    "text body back div standOff listPerson listPlace listOrg listObject person place org "
    "object objectIdentifier".split()
)


@dataclass(frozen=True)
class RunInfo:
    """What the header says about the run that wrote the file."""

    when: str  # W3C date or dateTime, e.g. "2026-11-24T07:00:00Z"
    name: str = "newscorpus"
    version: str = "0"
    command: str = ""  # a summary of the command line

    def __post_init__(self) -> None:
        try:
            ok = bool(_W3C_WHEN.fullmatch(self.when)) and bool(datetime.fromisoformat(self.when))
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(f"RunInfo.when must be a W3C date or dateTime, not {self.when!r}")

    @classmethod
    def from_environment(
        cls,
        *,
        version: str,
        name: str = "newscorpus",
        command: str = "",
        clock: Callable[[], datetime] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> RunInfo:
        """Date the run from ``SOURCE_DATE_EPOCH``, else from ``clock`` (the caller's choice).

        There is no implicit ``datetime.now()``: a caller that wants the wall clock passes
        ``clock=lambda: datetime.now(UTC)``.
        """
        env = os.environ if environ is None else environ
        epoch = env.get("SOURCE_DATE_EPOCH", "").strip()
        if epoch:
            try:
                moment = datetime.fromtimestamp(int(epoch), tz=UTC)
            except (ValueError, OverflowError, OSError) as exc:
                raise ConfigError(f"SOURCE_DATE_EPOCH is not a Unix time: {epoch!r}") from exc
        elif clock is not None:
            moment = clock()
        else:
            raise ConfigError("no date for the run: set SOURCE_DATE_EPOCH or pass a clock")
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        when = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return cls(when=when, name=name, version=version, command=command)


# --------------------------------------------------------------------------- helpers


@cache
def _settings() -> dict[str, Any]:
    with DATA_FILE.open("rb") as f:
        return tomllib.load(f)


def _ln(el: etree._Element) -> str:
    """Local name of an element ("" for comments and processing instructions)."""
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _is_word(value: str) -> bool:
    """True when tei_all accepts the value as teidata.enumerated ([^\\p{C}\\p{Z}]+)."""
    return bool(value) and all(unicodedata.category(c)[0] not in "CZ" for c in value)


def _valid_w3c_date(value: str) -> bool:
    m = _W3C_DATE.fullmatch(value)
    if not m:
        return False
    year, month, day = m.groups()
    try:
        date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        return False
    return int(year) > 0


def _precision(value: str) -> str:
    return {4: "year", 7: "month"}.get(len(value), "day")


def _append_text(parent: etree._Element, text: str) -> None:
    """Add text after the last child of parent (or as its text when it has none)."""
    if not text:
        return
    if len(parent):
        last = parent[-1]
        last.tail = (last.tail or "") + text
    else:
        parent.text = (parent.text or "") + text


def _text(el: etree._Element | None) -> str | None:
    return None if el is None else "".join(str(t) for t in el.itertext())


def _pointer(value: str | None) -> str | None:
    if value is None:
        return None
    return value[1:] if value.startswith("#") else value


def _indent(el: etree._Element, level: int = 0) -> None:
    """Indent block elements only: never adds whitespace to an element that holds text."""
    if _ln(el) not in _BLOCK_TAGS or not len(el):
        return
    if (el.text and el.text.strip()) or any(c.tail and c.tail.strip() for c in el):
        return
    pad = "\n" + "  " * (level + 1)
    el.text = pad
    for child in el:
        child.tail = pad
        _indent(child, level + 1)
    el[-1].tail = "\n" + "  " * level


def _serialize(root: etree._Element) -> bytes:
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True) + b"\n"


@dataclass
class _Node:
    """A mention placed in the inline tree of a sentence."""

    start: int
    end: int
    mention: Mention
    children: list[_Node] = field(default_factory=list)


# --------------------------------------------------------------------------- writer


class _Builder:
    """Element factory: every string goes through :meth:`x`, which drops forbidden characters."""

    def __init__(self) -> None:
        self.cfg = _settings()
        self.dropped: dict[str, int] = {}

    def x(self, value: str) -> str:
        def drop(m: re.Match[str]) -> str:
            self.dropped[m.group()] = self.dropped.get(m.group(), 0) + 1
            return ""

        return _FORBIDDEN.sub(drop, value)

    def sub(
        self,
        parent: etree._Element,
        tag: str,
        attrs: Mapping[str, str | None] | None = None,
        text: str | None = None,
    ) -> etree._Element:
        el = etree.SubElement(parent, f"{{{TEI_NS}}}{tag}")
        for name, value in (attrs or {}).items():
            if value is not None:
                el.set(name, self.x(value))
        if text:
            el.text = self.x(text)
        return el


class _Writer(_Builder):
    """Builds the ``<TEI>`` element of one article."""

    def __init__(self, doc: Document, run: RunInfo) -> None:
        super().__init__()
        self.doc = doc
        self.run = run
        self.adjusted: list[str] = []
        self.rule_ids: dict[tuple[str, str], str] = {}
        self.reason_ids: dict[str, str] = {}
        self.method_ids: dict[str, str] = {}  # Mention.method -> xml:id of its interp
        # inline state of the sentence being written
        self.text = ""
        self.pos = 0
        self.units: list[list[Token]] = []
        self.ui = 0

    def adjust(self, message: str) -> None:
        self.adjusted.append(f"TEI: {message}")

    def append(self, parent: etree._Element, text: str) -> None:
        _append_text(parent, self.x(text))

    # ---- the whole file

    def build(self) -> etree._Element:
        doc = self.doc
        self._check_structure()
        self._assign_interp_ids()
        root = etree.Element(f"{{{TEI_NS}}}TEI",
                             nsmap={None: TEI_NS})  # type: ignore[dict-item]  # lxml: None
        root.set(XML_ID, self.x(doc.id))
        root.set(XML_LANG, self.x(doc.original.lang))
        header = self.sub(root, "teiHeader", {XML_LANG: "en"})
        text = self.sub(root, "text")
        body = self.sub(text, "body")
        self._side(body, doc.original, "original")
        if doc.translation is not None:
            self._side(body, doc.translation, "translation")
        if doc.removed:
            self._back(text)
        if doc.records:
            self._standoff(root)
        self._header(header)
        self._record_repairs()
        self._notes(header)
        _indent(root)
        return root

    def _check_structure(self) -> None:
        """Offsets must nest (paragraphs tile the text, sentences in paragraphs ...)."""
        for side in self.doc.sides():
            where = f"{self.doc.id} ({side.lang})"
            if side.paragraphs:
                joined = PARA_SEP.join(side.text[p.start : p.end] for p in side.paragraphs)
                pos = 0
                for para in side.paragraphs:
                    if para.start != pos or para.end < para.start:
                        raise DocumentError(f"{where}: paragraph {para.id} is not at offset {pos}")
                    pos = para.end + len(PARA_SEP)
                if joined != side.text:
                    raise DocumentError(f"{where}: the paragraphs do not cover the text")
            elif side.text:
                raise DocumentError(f"{where}: text without paragraphs")
            for para in side.paragraphs:
                pos = para.start
                for s in para.sentences:
                    if not pos <= s.start <= s.end <= para.end:
                        raise DocumentError(f"{where}: sentence {s.id} is outside its paragraph")
                    pos = s.end
                    prev: Token | None = None
                    for t in s.tokens:
                        shared = prev is not None and (t.start, t.end) == (prev.start, prev.end)
                        low = s.start if prev is None else prev.end
                        if not (shared or low <= t.start) or not t.start <= t.end <= s.end:
                            raise DocumentError(f"{where}: token {t.text!r} of {s.id} misplaced")
                        prev = t

    def _assign_interp_ids(self) -> None:
        """Ids for the targets of @ana: cleaning rules and untranslated reasons."""
        used: set[str] = set()
        for r in self.doc.removed:
            if (r.rule, r.reason) in self.rule_ids:
                continue
            base = f"{self.doc.id}.rule.{_NCNAME_BAD.sub('_', r.rule) or 'rule'}"
            ident, n = base, 1
            while ident in used:
                n += 1
                ident = f"{base}.{n}"
            used.add(ident)
            self.rule_ids[(r.rule, r.reason)] = ident
        if self.doc.translation is not None:
            for s in self.doc.translation.sentences():
                if s.untranslated is not None and s.untranslated not in self.reason_ids:
                    n = len(self.reason_ids) + 1
                    self.reason_ids[s.untranslated] = f"{self.doc.id}.untranslated.{n}"
        for s in self.doc.original.sentences():
            if s.untranslated is not None and s.untranslated not in self.reason_ids:
                n = len(self.reason_ids) + 1
                self.reason_ids[s.untranslated] = f"{self.doc.id}.untranslated.{n}"
        methods = {m.method for side in self.doc.sides() for s in side.sentences()
                   for m in s.mentions if m.method}
        for method in sorted(methods):
            self.method_ids[method] = f"{self.doc.id}.method.{_NCNAME_BAD.sub('_', method)}"

    def _record_repairs(self) -> None:
        """Add a Note to the document for each repair, once (rewrites stay identical)."""
        notes: list[Note] = []
        if self.dropped:
            chars = ", ".join(f"U+{ord(c):04X} x{n}" for c, n in sorted(self.dropped.items()))
            message = f"TEI: characters XML 1.0 forbids were removed from the file ({chars})"
            notes.append(Note(CONTROL_CHARS, message))
        notes += [Note(ADJUSTED, message) for message in self.adjusted]
        for note in notes:
            if note not in self.doc.notes:
                self.doc.notes.append(note)

    # ---- text

    def _side(self, body: etree._Element, side: Side, kind: str) -> None:
        div = self.sub(body, "div", {"type": kind, XML_LANG: side.lang})
        if not side.paragraphs:
            div.set("subtype", "empty")  # a div may not be empty
            self.sub(div, "p")
            return
        in_top = True  # <head> is only allowed before the first other block
        for para in side.paragraphs:
            # a paragraph in another language (a quote kept by cleaning) says so
            attrs: dict[str, str | None] = {XML_ID: para.id or None, XML_LANG: para.lang}
            if para.kind == "head" and in_top:
                el = self.sub(div, "head", attrs)
            elif para.kind == "p":
                in_top = False
                el = self.sub(div, "p", attrs)
            else:
                in_top = False
                attrs.update({"type": para.kind} if _is_word(para.kind) else {"n": para.kind})
                el = self.sub(div, "ab", attrs)
            self._paragraph(el, side.text, para)

    def _paragraph(self, el: etree._Element, text: str, para: Paragraph) -> None:
        pos = para.start
        for s in para.sentences:
            self.append(el, text[pos : s.start])
            attrs: dict[str, str | None] = {XML_ID: s.id or None, XML_LANG: s.lang}
            attrs["corresp"] = f"#{s.corresp}" if s.corresp else None
            if s.untranslated is not None:
                attrs["type"] = "untranslated"
                attrs["ana"] = f"#{self.reason_ids[s.untranslated]}"
            s_el = self.sub(el, "s", attrs)
            self._sentence(s_el, text, s)
            pos = s.end
        self.append(el, text[pos : para.end])

    def _sentence(self, s_el: etree._Element, text: str, s: Sentence) -> None:
        if s.text != text[s.start : s.end]:
            self.adjust(f"sentence {s.id}: its text differs from its span; the span is kept")
        self.text, self.pos, self.ui = text, s.start, 0
        self.units = []
        for t in s.tokens:  # tokens sharing one span (du = de + le) form one unit
            if self.units and (self.units[-1][0].start, self.units[-1][0].end) == (t.start, t.end):
                self.units[-1].append(t)
            else:
                self.units.append([t])
        self._emit(s_el, s.end, self._mention_tree(s))

    def _mention_tree(self, s: Sentence) -> list[_Node]:
        """Place mentions on token boundaries and nest them; skip what cannot nest."""
        spans: list[tuple[int, int, int, Mention, str]] = []
        for idx, m in enumerate(s.mentions):
            what = f"{s.id}: {m.label} mention {m.text!r}"
            a, b = max(m.start, s.start), min(m.end, s.end)
            if self.units:
                cover = [u for u in self.units if u[0].end > a and u[0].start < b]
                if not cover:
                    self.adjust(f"{what} covers no token; skipped")
                    continue
                a, b = cover[0][0].start, cover[-1][0].end
            elif a > b:
                self.adjust(f"{what} lies outside its sentence; skipped")
                continue
            change = ""
            if (a, b) != (m.start, m.end):
                change = f"{what} moved to token boundaries [{a}, {b})"
            elif _FORBIDDEN.sub("", m.text) != _FORBIDDEN.sub("", self.text[a:b]):
                change = f"{what} differs from its span; the span is kept"
            spans.append((a, -b, idx, m, change))
        roots: list[_Node] = []
        stack: list[_Node] = []
        for a, neg_b, _, m, change in sorted(spans, key=lambda t: t[:3]):
            b = -neg_b
            while stack and stack[-1].end <= a:  # sorted by start: pop what ends before
                stack.pop()
            if stack and b > stack[-1].end:
                self.adjust(f"{s.id}: {m.label} mention {m.text!r} crosses another; skipped")
                continue
            if change:
                self.adjust(change)
            node = _Node(a, b, m)
            (stack[-1].children if stack else roots).append(node)
            stack.append(node)
        return roots

    def _emit(self, parent: etree._Element, limit: int, nodes: list[_Node]) -> None:
        for node in nodes:
            self._flush_units(parent, node.start)
            self.append(parent, self.text[self.pos : node.start])
            self.pos = node.start
            self._emit(self._mention_element(parent, node.mention), node.end, node.children)
        self._flush_units(parent, limit)
        self.append(parent, self.text[self.pos : limit])
        self.pos = limit

    def _flush_units(self, parent: etree._Element, limit: int) -> None:
        while self.ui < len(self.units) and self.units[self.ui][0].end <= limit:
            unit = self.units[self.ui]
            self.append(parent, self.text[self.pos : unit[0].start])
            self._token(parent, unit)
            self.pos = unit[0].end
            self.ui += 1

    def _mention_element(self, parent: etree._Element, m: Mention) -> etree._Element:
        attrs: dict[str, str | None] = {}
        if m.label == FOREIGN:  # a word the MT kept in the source language
            return self.sub(parent, "foreign", {XML_LANG: m.source_label or None})
        if m.method:
            attrs["ana"] = f"#{self.method_ids[m.method]}"
        if m.label in _ENTITY_TAGS:
            tag = _ENTITY_TAGS[m.label]
        elif m.label == "MISC":
            tag, attrs["type"] = "name", "MISC"
        else:
            tag, attrs["type"] = "rs", m.label if _is_word(m.label) else "unknown"
            if not _is_word(m.label):
                self.adjust(f"mention label {m.label!r} is not a TEI word; kept as rs")
        if m.source_label:
            key = "subtype" if _is_word(m.source_label) else "n"
            attrs[key] = m.source_label
        attrs["ref"] = f"#{m.ref}" if m.ref else None
        return self.sub(parent, tag, attrs)

    def _token(self, parent: etree._Element, unit: list[Token]) -> None:
        span = self.x(self.text[unit[0].start : unit[0].end])
        if len(unit) == 1:
            t = unit[0]
            el = self.sub(parent, "pc" if t.upos == "PUNCT" else "w", self._token_attrs(t, span))
            el.text = span or None
            return
        outer = self.sub(parent, "w")  # ParlaMint: <w>du<w norm="de"/><w norm="le"/></w>
        outer.text = span or None
        for t in unit:
            self.sub(outer, "pc" if t.upos == "PUNCT" else "w", self._token_attrs(t, None))

    def _token_attrs(self, t: Token, span: str | None) -> dict[str, str | None]:
        msd = "|".join(x for x in (f"UPosTag={t.upos}" if t.upos else "", t.feats) if x)
        return {
            "lemma": t.lemma or None,
            "pos": t.upos or None,
            "msd": msd or None,
            "join": None if t.space_after else "right",
            "norm": t.text if span is None or _FORBIDDEN.sub("", t.text) != span else None,
        }

    def _back(self, text: etree._Element) -> None:
        div = self.sub(self.sub(text, "back"), "div", {"type": "boilerplate"})
        for r in self.doc.removed:
            ana = f"#{self.rule_ids[(r.rule, r.reason)]}"
            self.sub(div, "ab", {"type": "removed", "n": str(r.line), "ana": ana}, r.text)

    def _standoff(self, root: etree._Element) -> None:
        standoff = self.sub(root, "standOff")
        current: etree._Element | None = None
        for rec in self.doc.records:
            list_tag, item_tag, name_tag = _RECORD_TAGS.get(rec.type, _OBJECT_TAGS)
            if current is None or _ln(current) != list_tag:  # runs keep the record order
                current = self.sub(standoff, list_tag)
            attrs: dict[str, str | None] = {XML_ID: rec.id}
            if item_tag == "object":
                attrs["type"] = rec.type if _is_word(rec.type) else "MISC"
            item = self.sub(current, item_tag, attrs)
            holder = self.sub(item, "objectIdentifier") if item_tag == "object" else item
            for lang, forms in rec.forms.items():
                for form in forms:
                    self.sub(holder, name_tag, {XML_LANG: lang}, form)
            if item_tag == "object" and not len(holder):
                self.sub(holder, name_tag, {"type": "placeholder"})
            if rec.method:
                self.sub(item, "note", {"type": "method"}, rec.method)

    # ---- header

    def _header(self, header: etree._Element) -> None:
        doc, meta = self.doc, self.doc.meta
        file_desc = self.sub(header, "fileDesc")
        title_stmt = self.sub(file_desc, "titleStmt")
        # no headline in the text: the title stays empty (a "no-headline" note says so);
        # the reading view shows the file name, the header does not pretend it is a title
        self.sub(title_stmt, "title", {"type": "main", XML_LANG: doc.original.lang}, meta.title)
        if meta.title_en is not None:
            attrs = {"type": "translated", XML_LANG: "en"}
            self.sub(title_stmt, "title", attrs, meta.title_en)
        _resp_stmt(self, title_stmt, self.run)
        _publication_stmt(self, file_desc, self.run)
        self._source_desc(file_desc)
        _encoding_desc(self, header, doc.apps, corpus=False, extra=self._editorial_parts)
        profile = self.sub(header, "profileDesc")
        creation = self.sub(profile, "creation")
        if meta.date and _valid_w3c_date(meta.date.value):
            self.sub(creation, "date", {"when": meta.date.value}, meta.date.value)
        else:
            creation.text = "Date of the original unknown."
        langs = [doc.original.lang] + ([doc.translation.lang] if doc.translation else [])
        for side in doc.sides():
            langs += [p.lang for p in side.paragraphs if p.lang]
            langs += [s.lang for s in side.sentences() if s.lang]
        _lang_usage(self, profile, list(dict.fromkeys(langs)))
        _revision_desc(self, header, self.run)

    def _source_desc(self, file_desc: etree._Element) -> None:
        meta, src = self.doc.meta, self.doc.source
        bibl = self.sub(self.sub(file_desc, "sourceDesc"), "bibl", {"type": "article"})
        if meta.title is not None:
            self.sub(bibl, "title", {"level": "a", XML_LANG: self.doc.original.lang}, meta.title)
        if meta.author is not None:
            self.sub(bibl, "author", None, meta.author)
        if meta.outlet is not None:
            self.sub(bibl, "publisher", None, meta.outlet)
        if meta.date is not None:
            self._date(bibl, meta.date)
        if meta.url is not None:
            if _URI.fullmatch(meta.url):
                self.sub(bibl, "ptr", {"type": "URL", "target": meta.url})
            else:  # not a URI jing accepts: keep it as text
                self.sub(bibl, "idno", {"type": "URL"}, meta.url)
        if meta.section is not None:
            self.sub(bibl, "note", {"type": "section"}, meta.section)
        self.sub(bibl, "idno", {"type": "filename"}, src.filename)
        self.sub(bibl, "idno", {"type": "path"}, src.path)
        self.sub(bibl, "idno", {"type": "sha256"}, src.sha256)
        extent = self.sub(bibl, "extent")
        size = str(src.size)
        self.sub(extent, "measure", {"unit": "byte", "quantity": size}, f"{size} bytes")
        self.sub(bibl, "note", {"type": "encoding"}, src.encoding)
        if src.encoding_note:
            self.sub(bibl, "note", {"type": "encoding-detection"}, src.encoding_note)
        if src.duplicate_of is not None:
            self.sub(bibl, "note", {"type": "duplicate-of"}, src.duplicate_of)
        self._provenance(bibl)

    def _date(self, bibl: etree._Element, d: DateValue) -> None:
        """The publication date: @when when ISO 8601, else the value as a label."""
        if _valid_w3c_date(d.value):
            if _precision(d.value) != d.precision:
                self.adjust(f"date {d.value!r} is not of {d.precision} precision")
            attrs = {"type": "published", "when": d.value}
        else:  # not ISO: keep the value as a label, without a machine-readable date
            attrs = {"type": "published", "n": d.value}
            if d.precision != "day":
                self.adjust(f"date {d.value!r} is not ISO 8601; its precision is lost")
        self.sub(bibl, "date", attrs, d.evidence)

    def _provenance(self, bibl: etree._Element) -> None:
        """Format, crawl date, record, raw copy and where each metadata field came from."""
        src, meta = self.doc.source, self.doc.meta
        self.sub(bibl, "note", {"type": "format"}, src.format)  # text, html, warc, jsonl
        if src.retrieved is not None:
            when = {"when": src.retrieved} if _W3C_WHEN.fullmatch(src.retrieved) else {}
            self.sub(bibl, "date", {"type": "retrieved", **when}, src.retrieved)
        if src.record is not None:
            self.sub(bibl, "idno", {"type": "record"}, src.record)
        if src.raw is not None:
            self.sub(bibl, "ptr", {"type": "raw", "target": src.raw})
        for key, origin in meta.origins.items():
            self.sub(bibl, "note", {"type": "metadata-origin", "n": key}, origin)

    def _editorial_parts(self, correction: etree._Element, interpretation: etree._Element) -> None:
        cfg = self.cfg["editorial"]
        if self.rule_ids:
            p = self.sub(correction, "p", None, cfg["rules"])
            grp = self.sub(p, "interpGrp", {"type": "cleaning-rules"})
            for (rule, reason), ident in self.rule_ids.items():
                self.sub(grp, "interp", {XML_ID: ident, "n": rule}, reason)
        if self.reason_ids:
            p = self.sub(interpretation, "p", None, cfg["untranslated"])
            grp = self.sub(p, "interpGrp", {"type": "untranslated"})
            for reason, ident in self.reason_ids.items():
                self.sub(grp, "interp", {XML_ID: ident}, reason)
        if self.method_ids:
            p = self.sub(interpretation, "p", None, cfg["mention_methods"])
            grp = self.sub(p, "interpGrp", {"type": "mention-methods"})
            described = self.cfg.get("mention_methods", {})
            for method, ident in self.method_ids.items():
                self.sub(grp, "interp", {XML_ID: ident, "n": method}, described.get(method, method))

    def _notes(self, header: etree._Element) -> None:
        if not self.doc.notes:
            return
        file_desc = header[0]
        stmt = etree.Element(f"{{{TEI_NS}}}notesStmt")
        publication = file_desc.find("tei:publicationStmt", NS)
        assert publication is not None  # the writer made it
        publication.addnext(stmt)
        for note in self.doc.notes:
            attrs = {"type": note.code} if _is_word(note.code) else {"n": note.code}
            self.sub(stmt, "note", attrs, note.message)


# Header parts shared by articles and the corpus (``w`` is anything with .sub and .cfg).


def _resp_stmt(w: _Builder, parent: etree._Element, run: RunInfo) -> None:
    resp = w.sub(parent, "respStmt")
    w.sub(resp, "resp", None, w.cfg["resp"]["text"])
    w.sub(resp, "name", {"type": "software"}, f"{run.name} {run.version}")


def _publication_stmt(w: _Builder, parent: etree._Element, run: RunInfo) -> None:
    pub = w.cfg["publication"]
    stmt = w.sub(parent, "publicationStmt")
    w.sub(stmt, "publisher", None, pub["publisher"])
    avail = w.sub(stmt, "availability", {"status": pub["availability_status"]})
    w.sub(avail, "licence", {"target": pub["licence_target"]}, pub["licence"])
    w.sub(stmt, "date", {"when": run.when}, run.when)


def _encoding_desc(
    w: _Builder,
    header: etree._Element,
    apps: Iterable[Application],
    *,
    corpus: bool,
    extra: Callable[[etree._Element, etree._Element], None] | None = None,
) -> None:
    cfg = w.cfg
    enc = w.sub(header, "encodingDesc")
    decl = w.sub(enc, "editorialDecl")
    correction = w.sub(decl, "correction")
    w.sub(correction, "p", None, cfg["editorial"]["correction"])
    segmentation = w.sub(decl, "segmentation")
    w.sub(segmentation, "p", None, cfg["editorial"]["segmentation"])
    interpretation = w.sub(decl, "interpretation")
    w.sub(interpretation, "p", None, cfg["editorial"]["interpretation"])
    if extra is not None:
        extra(correction, interpretation)
    tax = cfg["taxonomy"]
    # Only the corpus header gives the taxonomy ids: articles are included into it.
    class_decl = w.sub(enc, "classDecl")
    taxonomy = w.sub(class_decl, "taxonomy", {XML_ID: "entity-types" if corpus else None})
    w.sub(taxonomy, "desc", None, tax["desc"])
    for label, (element, description) in tax["categories"].items():
        attrs = {XML_ID: f"entity-type.{label}"} if corpus else {"n": label}
        cat = w.sub(taxonomy, "category", attrs)
        w.sub(cat, "catDesc", None, f"{label} ({element}): {description}")
    apps = list(apps)
    if apps:
        info = w.sub(enc, "appInfo")
        for app in apps:
            _application(w, info, app)


def _application(w: _Builder, info: etree._Element, app: Application) -> None:
    ident = app.ident if _is_name(app.ident) else None
    version = app.version if _VERSION.fullmatch(app.version) else None
    attrs: dict[str, str | None] = {
        "ident": ident or (_NCNAME_BAD.sub("_", app.ident) or "unknown"),
        # A Debian version (3.8.3-1+b2) is not a TEI versionNumber: its upstream part is,
        # and the full one is kept in <desc type="version">.
        "version": version or _upstream_version(app.version),
    }
    if _is_word(app.layer):
        attrs["type"] = app.layer
    el = w.sub(info, "application", attrs)
    w.sub(el, "label", None, app.label)
    if not _is_word(app.layer):
        w.sub(el, "desc", {"type": "layer"}, app.layer)
    if ident is None:  # tei_all wants an XML Name: keep the real one here
        w.sub(el, "desc", {"type": "ident"}, app.ident)
    if version is None:
        w.sub(el, "desc", {"type": "version"}, app.version)
    if app.sha256 is not None:
        w.sub(el, "desc", {"type": "sha256"}, app.sha256)
    for key, value in sorted(app.extra.items()):  # sorted: same bytes however it was built
        w.sub(el, "desc", {"type": "extra", "n": key}, value)


def _upstream_version(value: str) -> str:
    found = _VERSION.match(value)
    return found.group(0) if found else "0"


def _is_name(value: str) -> bool:
    """xsd:Name (close enough: letters, digits, . - _ : and no leading digit/punctuation)."""
    return bool(re.fullmatch(r"[^\W\d][\w.\-:]*", value))


def _lang_usage(w: _Builder, profile: etree._Element, langs: list[str]) -> None:
    usage = w.sub(profile, "langUsage")
    names = w.cfg["languages"]
    for lang in langs:
        w.sub(usage, "language", {"ident": lang}, names.get(lang, lang))


def _revision_desc(w: _Builder, header: etree._Element, run: RunInfo) -> None:
    desc = w.sub(header, "revisionDesc")
    change = f"{run.name} {run.version}" + (f": {run.command}" if run.command else "")
    w.sub(desc, "change", {"when": run.when}, change)


# --------------------------------------------------------------------------- public API


def to_tei(doc: Document, *, run: RunInfo) -> etree._Element:
    """The ``<TEI>`` element of one article.

    Characters XML 1.0 forbids are dropped, and mentions that cannot be written exactly
    (not on token boundaries, crossing another) are moved or skipped; each such repair is
    added once to ``doc.notes`` (codes ``control-chars`` and ``tei-adjusted``) and written
    with the other notes. Inconsistent offsets raise :class:`DocumentError`.
    """
    return _Writer(doc, run).build()


def tei_bytes(doc: Document, *, run: RunInfo) -> bytes:
    """The file's bytes: the same document and run always give the same bytes."""
    return _serialize(to_tei(doc, run=run))


def write_tei(doc: Document, path: Path, *, run: RunInfo) -> None:
    """Write one article atomically (temporary file in the same folder + rename)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(Path(path), tei_bytes(doc, run=run))


def corpus_tree(
    tei_paths: list[Path], path: Path, *, run: RunInfo, apps: list[Application]
) -> etree._Element:
    """The ``<teiCorpus>`` root: shared header plus one ``xi:include`` per article."""
    w = _Builder()
    cfg = w.cfg
    root = etree.Element(f"{{{TEI_NS}}}teiCorpus",
                         nsmap={None: TEI_NS, "xi": XI_NS})  # type: ignore[dict-item]
    header = w.sub(root, "teiHeader", {XML_LANG: "en"})
    file_desc = w.sub(header, "fileDesc")
    title_stmt = w.sub(file_desc, "titleStmt")
    w.sub(title_stmt, "title", {"type": "main"}, cfg["corpus"]["title"])
    _resp_stmt(w, title_stmt, run)
    extent = w.sub(file_desc, "extent")
    n = len(tei_paths)
    w.sub(extent, "measure", {"unit": "texts", "quantity": str(n)}, f"{n} articles")
    _publication_stmt(w, file_desc, run)
    w.sub(w.sub(file_desc, "sourceDesc"), "p", None, cfg["corpus"]["source"])
    unique: list[Application] = []
    for app in apps:
        if app not in unique:
            unique.append(app)
    _encoding_desc(w, header, unique, corpus=True)
    _lang_usage(w, w.sub(header, "profileDesc"), ["fr", "en"])
    _revision_desc(w, header, run)
    base = Path(path).parent
    for tei_path in tei_paths:
        href = Path(os.path.relpath(Path(tei_path), base)).as_posix()
        etree.SubElement(root, f"{{{XI_NS}}}include", href=href)
    _indent(root)
    return root


def write_corpus(
    tei_paths: list[Path], path: Path, *, run: RunInfo, apps: list[Application]
) -> None:
    """Write the corpus root (atomic); hrefs are relative to the corpus file's folder."""
    atomic_write_bytes(Path(path), _serialize(corpus_tree(tei_paths, path, run=run, apps=apps)))


# --------------------------------------------------------------------------- reader


def read_tei(path: Path | bytes) -> Document:
    """Read an article written by :func:`write_tei` back into the model, from its file or
    its bytes (a reader that also hashes them reads the file once)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    if isinstance(path, bytes):
        return from_tei(etree.fromstring(path, parser))
    root = etree.parse(str(path), parser).getroot()
    return from_tei(root)


def from_tei(root: etree._Element) -> Document:
    if _ln(root) != "TEI" or etree.QName(root).namespace != TEI_NS:
        raise DocumentError(f"not a TEI article: root element {root.tag}")
    header = root.find("tei:teiHeader", NS)
    bibl = root.find("tei:teiHeader/tei:fileDesc/tei:sourceDesc/tei:bibl", NS)
    interps = {
        el.get(XML_ID) or "": el
        for el in root.iterfind("tei:teiHeader/tei:encodingDesc/tei:editorialDecl//tei:interp", NS)
    }
    reasons = {k: _text(v) or "" for k, v in interps.items()}
    methods = {k: v.get("n") or "" for k, v in interps.items()
               if (group := v.getparent()) is not None
               and group.get("type") == "mention-methods"}
    body = root.find("tei:text/tei:body", NS)
    original = body.find("tei:div[@type='original']", NS) if body is not None else None
    translation = body.find("tei:div[@type='translation']", NS) if body is not None else None
    doc = Document(
        id=root.get(XML_ID, ""),
        source=_read_source(bibl),
        meta=_read_meta(header, bibl),
        original=(
            _SideReader(reasons, methods).read(original)
            if original is not None
            else Side(root.get(XML_LANG, "fr"))
        ),
        translation=(_SideReader(reasons, methods).read(translation)
                     if translation is not None else None),
    )
    for ab in root.iterfind("tei:text/tei:back/tei:div[@type='boilerplate']/tei:ab", NS):
        interp = interps.get(_pointer(ab.get("ana")) or "")
        rule = interp.get("n", "") if interp is not None else ""
        reason = _text(interp) or ""
        doc.removed.append(Removed(int(ab.get("n", "0")), _text(ab) or "", rule, reason))
    for lst in root.iterfind("tei:standOff/*", NS):
        for item in lst:
            if isinstance(item.tag, str):
                doc.records.append(_read_record(item))
    for app in root.iterfind("tei:teiHeader/tei:encodingDesc/tei:appInfo/tei:application", NS):
        doc.apps.append(_read_application(app))
    for note in root.iterfind("tei:teiHeader/tei:fileDesc/tei:notesStmt/tei:note", NS):
        doc.notes.append(Note(note.get("type", note.get("n", "")), _text(note) or ""))
    return doc


def _read_source(bibl: etree._Element | None) -> Source:
    def idno(kind: str) -> str:
        el = bibl.find(f"tei:idno[@type='{kind}']", NS) if bibl is not None else None
        return _text(el) or ""

    def note(kind: str) -> str | None:
        return _text(bibl.find(f"tei:note[@type='{kind}']", NS)) if bibl is not None else None

    measure = bibl.find("tei:extent/tei:measure[@unit='byte']", NS) if bibl is not None else None
    return Source(
        path=idno("path"),
        filename=idno("filename"),
        sha256=idno("sha256"),
        size=int(measure.get("quantity", "0")) if measure is not None else 0,
        encoding=note("encoding") or "utf-8",
        encoding_note=note("encoding-detection") or "",
        duplicate_of=note("duplicate-of"),
        format=note("format") or "text",
        retrieved=_text(bibl.find("tei:date[@type='retrieved']", NS)) if bibl is not None
        else None,
        record=_text(bibl.find("tei:idno[@type='record']", NS)) if bibl is not None else None,
        raw=_raw_target(bibl),
    )


def _raw_target(bibl: etree._Element | None) -> str | None:
    ptr = bibl.find("tei:ptr[@type='raw']", NS) if bibl is not None else None
    return ptr.get("target") if ptr is not None else None


def _read_meta(header: etree._Element | None, bibl: etree._Element | None) -> Metadata:
    meta = Metadata()
    if header is not None:
        path = "tei:fileDesc/tei:titleStmt/tei:title[@type='translated']"
        meta.title_en = _text(header.find(path, NS))
    if bibl is None:
        return meta
    meta.title = _text(bibl.find("tei:title", NS))
    meta.author = _text(bibl.find("tei:author", NS))
    meta.outlet = _text(bibl.find("tei:publisher", NS))
    meta.section = _text(bibl.find("tei:note[@type='section']", NS))
    ptr = bibl.find("tei:ptr[@type='URL']", NS)
    url = bibl.find("tei:idno[@type='URL']", NS)
    meta.url = ptr.get("target") if ptr is not None else _text(url)
    meta.origins = {n.get("n", ""): _text(n) or ""
                    for n in bibl.iterfind("tei:note[@type='metadata-origin']", NS)}
    d = bibl.find("tei:date[@type='published']", NS)
    if d is not None:
        value = d.get("when") or d.get("n") or ""
        meta.date = DateValue(value, _precision(value) if d.get("when") else "day", _text(d) or "")
    return meta


def _read_record(item: etree._Element) -> EntityRecord:
    tag = _ln(item)
    kind = _ITEM_TYPES.get(tag) or item.get("type") or "MISC"
    rec = EntityRecord(id=item.get(XML_ID, ""), type=kind)
    holder = item.find("tei:objectIdentifier", NS) if tag == "object" else item
    for name in holder if holder is not None else []:
        if _ln(name) in ("", "note") or name.get("type") == "placeholder":
            continue
        rec.forms.setdefault(name.get(XML_LANG, ""), []).append(_text(name) or "")
    rec.method = _text(item.find("tei:note[@type='method']", NS)) or ""
    return rec


def _read_application(el: etree._Element) -> Application:
    def desc(kind: str) -> str | None:
        return _text(el.find(f"tei:desc[@type='{kind}']", NS))

    return Application(
        ident=desc("ident") or el.get("ident") or "",
        version=desc("version") or el.get("version") or "",
        layer=el.get("type") or desc("layer") or "",
        label=_text(el.find("tei:label", NS)) or "",
        sha256=desc("sha256"),
        extra={d.get("n", ""): _text(d) or "" for d in el.iterfind("tei:desc[@type='extra']", NS)},
    )


class _SideReader:
    """Rebuilds a Side by counting the characters of the text in document order."""

    def __init__(self, reasons: Mapping[str, str],
                 methods: Mapping[str, str] | None = None) -> None:
        self.reasons = reasons
        self.methods = methods or {}
        self.parts: list[str] = []
        self.pos = 0
        self.sentence: Sentence | None = None

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.pos += len(text)

    def read(self, div: etree._Element) -> Side:
        side = Side(div.get(XML_LANG, ""))
        blocks = (
            []
            if div.get("subtype") == "empty"
            else [b for b in div if _ln(b) in ("head", "p", "ab")]
        )
        for i, block in enumerate(blocks):
            if i:
                self.add(PARA_SEP)
            tag = _ln(block)
            kind = tag if tag in ("p", "head") else block.get("type", block.get("n", ""))
            para = Paragraph(block.get(XML_ID, ""), self.pos, self.pos, kind,
                             lang=block.get(XML_LANG))
            self.sentence = None
            self._children(block, para)
            para.end = self.pos
            side.paragraphs.append(para)
        side.text = "".join(self.parts)
        for s in side.sentences():
            s.text = side.text[s.start : s.end]
            for m in s.mentions:
                m.text = side.text[m.start : m.end]
        return side

    def _children(self, el: etree._Element, para: Paragraph) -> None:
        if el.text:
            self.add(el.text)
        for child in el:
            if isinstance(child.tag, str):
                self._element(child, para)
            if child.tail:
                self.add(child.tail)

    def _element(self, el: etree._Element, para: Paragraph) -> None:
        tag = _ln(el)
        if tag in ("w", "pc"):
            self._token(el)
        elif tag == "s":
            ana = _pointer(el.get("ana"))
            s = Sentence(
                id=el.get(XML_ID, ""),
                start=self.pos,
                end=self.pos,
                text="",
                corresp=_pointer(el.get("corresp")),
                lang=el.get(XML_LANG),
                untranslated=(
                    self.reasons.get(ana or "", "") if el.get("type") == "untranslated" else None
                ),
            )
            para.sentences.append(s)
            self.sentence = s
            self._children(el, para)
            s.end = self.pos
            self.sentence = None
        elif tag == "foreign" and self.sentence is not None:
            m = Mention(self.pos, self.pos, FOREIGN, "", el.get(XML_LANG, ""))
            self.sentence.mentions.append(m)
            self._children(el, para)
            m.end = self.pos
        elif tag in _MENTION_TAGS and self.sentence is not None:
            if tag in _TAG_LABELS:
                label = _TAG_LABELS[tag]
            else:
                label = el.get("type") or "MISC"
            m = Mention(
                start=self.pos,
                end=self.pos,
                label=label,
                text="",
                source_label=el.get("subtype") or el.get("n") or "",
                ref=_pointer(el.get("ref")),
                method=self.methods.get(_pointer(el.get("ana")) or "", ""),
            )
            self.sentence.mentions.append(m)
            self._children(el, para)
            m.end = self.pos
        else:
            self._children(el, para)

    def _token(self, el: etree._Element) -> None:
        span = "".join(str(t) for t in el.itertext())
        start = self.pos
        self.add(span)
        parts = [c for c in el if _ln(c) in ("w", "pc")]
        if parts:  # one span, several syntactic words
            tokens = [_token(c, start, self.pos, c.get("norm", "")) for c in parts]
        else:
            tokens = [_token(el, start, self.pos, el.get("norm", span))]
        if self.sentence is not None:
            self.sentence.tokens.extend(tokens)


def _token(el: etree._Element, start: int, end: int, text: str) -> Token:
    msd = el.get("msd", "")
    feats = (
        msd.split("|", 1)[1]
        if msd.startswith("UPosTag=") and "|" in msd
        else ("" if msd.startswith("UPosTag=") else msd)
    )
    return Token(
        start=start,
        end=end,
        text=text,
        lemma=el.get("lemma", ""),
        upos=el.get("pos", ""),
        feats=feats,
        space_after=el.get("join") != "right",
    )
