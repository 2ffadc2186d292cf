"""From input files to documents: one per text file or HTML page, one per WARC HTML
response record, one per JSON record.

:func:`plan` runs before any work: it sniffs each file's format, lists the records of
containers (streamed) and gives every document a stable id; a container that cannot be
listed whole (a truncated WARC, a WARC without HTML) becomes a document that fails with
that error, beside the records that could be read. :func:`load` reads one document back
(in a worker) and returns the text for the cleaning stage with what its format knows
(URL, dates, page metadata, each with its origin) and the raw bytes to keep beside the
TEI. :func:`apply_known` puts that metadata over cleaning's guesses, after cleaning.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

from pipeline.document import DateValue, Document, Note, Removed, Source
from pipeline.errors import DocumentError
from pipeline.ingest import html, jsonl, sidecar, sniff, warc
from pipeline.ingest.files import _slug, file_sha256, make_ids, read_source, sanitize
from pipeline.stages.clean import Rules

#: Origin of metadata fields cleaning found in the text.
CLEANING = "cleaning rules (from the text)"
#: Raw copies go to OUTPUT/raw/<id><suffix>; the TEI points at them from OUTPUT/tei/.
RAW_DIR = "raw"
RAW_SUFFIXES = (".html", ".warc", ".warc.gz", ".json")
_ISO = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


@dataclass(frozen=True)
class Options:
    """What reading needs besides the files: JSON field names and sidecar tables."""

    json_fields: str = ""
    tables: tuple[str, ...] = ()
    markup_signals: bool = True  # off only to measure what they add (tools/bench_html.py)

    def field_map(self) -> dict[str, tuple[str, ...]]:
        return jsonl.parse_field_map(self.json_fields)

    def sidecar(self) -> sidecar.Sidecar:
        """The tables, read once per process while they are unchanged on disk."""
        return _sidecar(tuple((t, _stamp(t)) for t in self.tables))

    def check(self) -> None:
        """Read the field map and the tables now: ConfigError (exit 2) before any work."""
        self.field_map()
        self.sidecar()


@cache
def _sidecar(tables: tuple[tuple[str, tuple[int, int]], ...]) -> sidecar.Sidecar:
    return sidecar.load([Path(t) for t, _ in tables])


def _stamp(table: str) -> tuple[int, int]:
    try:
        st = Path(table).stat()
    except OSError:
        return (0, 0)  # sidecar.load reports it
    return (st.st_mtime_ns, st.st_size)


@dataclass(frozen=True)
class Unit:
    """One document to make: where its bytes are and what identifies them."""

    path: str
    format: str
    id: str
    sha256: str  # of the document's own bytes (file, WARC record, JSON line)
    label: str  # how reports name it: the path, "crawl.warc.gz @1234", "items.jsonl:3"
    offset: int = -1
    length: int = 0
    line: int = 0
    error: tuple[str, str] | None = None  # (code, message) found while listing

    def state(self, options: Options) -> str:
        """Cache key of the input: its bytes and what changes how they are read."""
        row = options.sidecar().lookup(Path(self.path)) if self.format in (
            sniff.TEXT, sniff.HTML) else None
        fields = options.json_fields if self.format == sniff.JSONL else ""
        return hashlib.sha256(f"{self.sha256}|{self.error}|{fields}|{row}".encode()).hexdigest()


@dataclass
class InputSummary:
    """One input file in the report: its format, documents and skipped records."""

    file: str
    format: str
    documents: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    error: str | None = None


def plan(paths: list[Path], options: Options) -> tuple[list[Unit], list[InputSummary]]:
    """Every document of the inputs, with unique stable ids, and a summary per file."""
    file_ids = make_ids(paths)
    units: list[Unit] = []
    inputs: list[InputSummary] = []
    for p in paths:
        fmt = sniff.detect(p)
        summary = InputSummary(str(p), fmt)
        if fmt == sniff.WARC:
            found = _warc_units(p, file_ids[p], summary)
        elif fmt == sniff.JSONL:
            found = _json_units(p, file_ids[p], options, summary)
        else:
            found = [Unit(str(p), fmt, file_ids[p], _sha(p), str(p))]
        summary.documents = len(found)
        units.extend(found)
        inputs.append(summary)
    return _unique(units), inputs


def _sha(path: Path) -> str:
    try:
        return file_sha256(path)
    except OSError:
        return ""  # unreadable: read_source reports it


def _warc_units(p: Path, file_id: str, summary: InputSummary) -> list[Unit]:
    try:
        found = warc.scan(p)
    except OSError as exc:
        return [_failed(p, sniff.WARC, file_id, "unreadable", f"cannot be read: {exc}")]
    summary.skipped = dict(sorted(found.skipped.items()))
    units = [Unit(str(p), sniff.WARC, record_id(e.uri, e.date), e.sha256,
                  f"{p} @{e.offset}", offset=e.offset, length=e.length)
             for e in found.entries]
    if found.error:
        summary.error = found.error
        kept = f"; the {len(units)} HTML record(s) before it were kept" if units else ""
        units.append(_failed(p, sniff.WARC, file_id, "warc-truncated",
                             f"the WARC file breaks at {found.error}{kept}"))
    elif not units:
        units.append(_failed(p, sniff.WARC, file_id, "no-html-records",
                             f"no HTML response record among its {found.records} record(s) "
                             f"({_counts(found.skipped)})"))
    return units


def _json_units(p: Path, file_id: str, options: Options,
                summary: InputSummary) -> list[Unit]:
    try:
        entries = jsonl.scan(p, options.field_map())
    except DocumentError as exc:
        summary.error = exc.message
        return [_failed(p, sniff.JSONL, file_id, exc.code, exc.message)]
    except OSError as exc:
        return [_failed(p, sniff.JSONL, file_id, "unreadable", f"cannot be read: {exc}")]
    if not entries:
        return [_failed(p, sniff.JSONL, file_id, "empty", "no JSON record in the file")]
    return [Unit(str(p), sniff.JSONL,
                 record_id(e.key, "") if e.key else f"{file_id}-l{e.line}", e.sha256,
                 f"{p}:{e.line}", offset=e.offset, length=e.length, line=e.line)
            for e in entries]


def _failed(p: Path, fmt: str, ident: str, code: str, message: str) -> Unit:
    return Unit(str(p), fmt, ident, _sha(p), str(p), error=(code, f"{p.name}: {message}"))


def _counts(skipped: Counter[str]) -> str:
    return ", ".join(f"{n} {kind}" for kind, n in sorted(skipped.items())) or "none"


def record_id(key: str, date: str) -> str:
    """A stable id from a record's URL (or id) and date: ``art-<host_path>-<hash8>``."""
    readable = re.sub(r"^[a-z][a-z0-9+.-]*://(www\.)?", "", key, flags=re.I)
    slug = _slug(readable)[:60].strip("._-") or "record"
    digest = hashlib.sha256(f"{key}\n{date}".encode()).hexdigest()[:8]
    return f"art-{slug}-{digest}"


def _unique(units: list[Unit]) -> list[Unit]:
    """The same URL and date twice (a re-crawl in one file): -2, -3... in file order."""
    used: set[str] = set()
    out = []
    for u in units:
        ident, n = u.id, 1
        while ident.lower() in used:
            n += 1
            ident = f"{u.id}-{n}"
        used.add(ident.lower())
        out.append(u if ident == u.id else Unit(**{**u.__dict__, "id": ident}))
    return out


# ---------------------------------------------------------------------------- loading


@dataclass
class Loaded:
    """One document read: text for cleaning, what its format knows, its raw bytes."""

    source: Source
    text: str
    known: dict[str, str] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)
    removed: list[Removed] = field(default_factory=list)
    raw: bytes | None = None
    raw_suffix: str = ""
    page: bool = False  # the text is a page's main text (HTML through trafilatura)


def load(unit: Unit, options: Options) -> Loaded:
    """Read one document (DocumentError with a stable code when it cannot be)."""
    if unit.error is not None:
        raise DocumentError(unit.error[1], unit.error[0])
    path = Path(unit.path)
    if unit.format == sniff.WARC:
        loaded = _load_warc(path, unit, options)
    elif unit.format == sniff.JSONL:
        loaded = _load_json(path, unit, options)
    elif unit.format == sniff.HTML:
        loaded = _load_html_file(path, options)
    else:
        notes: list[Note] = []
        source, text = read_source(path, notes)
        loaded = Loaded(source, text, notes=notes)
    if unit.format in (sniff.TEXT, sniff.HTML):
        row = options.sidecar().lookup(path)
        if row is not None:
            loaded.known.update(row.values)
            loaded.origins.update(dict.fromkeys(row.values, row.origin()))
    loaded.source.format = unit.format
    return loaded


def _from_html(page: html.HtmlText, source: Source, raw: bytes, suffix: str) -> Loaded:
    source.encoding, source.encoding_note = page.encoding, page.encoding_note
    cut = Removed(0, page.removed_summary, html.EXTRACTION_RULE, html.EXTRACTION_REASON)
    return Loaded(source, page.text, dict(page.meta), dict(page.origins), list(page.notes),
                  [cut], raw, suffix, page=True)


def _load_html_file(path: Path, options: Options) -> Loaded:
    try:
        size = path.stat().st_size
        if size > html.MAX_HTML_BYTES:
            raise DocumentError(f"{path.name}: {size:,} bytes is over the "
                                f"{html.MAX_HTML_BYTES:,}-byte limit for one HTML page",
                                "too-large")
        raw = path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"{path.name}: cannot be read: {exc.strerror or exc}",
                            "unreadable") from exc
    source = Source(str(path), path.name, hashlib.sha256(raw).hexdigest(), len(raw))
    page = html.read_html(raw, name=path.name, signals=options.markup_signals)
    return _from_html(page, source, raw, ".html")


def _load_warc(path: Path, unit: Unit, options: Options) -> Loaded:
    rec = warc.read_record(path, unit.offset, unit.length)
    name = f"{path.name} @{unit.offset} ({rec.uri})"
    page = html.read_html(rec.payload, name=name, url=rec.uri or None, charset=rec.charset,
                          signals=options.markup_signals)
    source = Source(str(path), path.name, hashlib.sha256(rec.raw).hexdigest(), len(rec.raw),
                    retrieved=rec.date or None, record=rec.record_id or None)
    loaded = _from_html(page, source, rec.raw,
                        ".warc.gz" if rec.raw.startswith(b"\x1f\x8b") else ".warc")
    if rec.uri:
        loaded.known["url"], loaded.origins["url"] = rec.uri, "WARC-Target-URI"
    return loaded


def _load_json(path: Path, unit: Unit, options: Options) -> Loaded:
    fields = options.field_map()
    entry = jsonl.JsonEntry(unit.line, unit.offset, unit.length, unit.sha256, "")
    rec, raw = jsonl.read_entry(path, entry)
    source = Source(str(path), path.name, hashlib.sha256(raw).hexdigest(), len(raw),
                    record=f"line {unit.line}" if unit.offset >= 0 else f"item {unit.line}")
    text = jsonl.field(rec, fields["text"])
    page = jsonl.field(rec, fields["html"]) if text is None else None
    if text is None and page is None:
        tried = ", ".join(fields["text"] + fields["html"])
        raise DocumentError(f"{path.name} line {unit.line}: no text field (tried: {tried}; "
                            "name yours with --json-fields text=NAME)", "json")
    if page is not None:
        read = html.read_html(page.encode("utf-8"), name=unit.label,
                              signals=options.markup_signals)
        loaded = _from_html(read, source, raw, ".json")
    else:
        notes: list[Note] = []
        title = jsonl.field(rec, fields["title"])
        body = f"{title}\n\n{text}" if title else str(text)  # the headline first, as on a page
        loaded = Loaded(source, sanitize(body, notes), notes=notes, raw=raw, raw_suffix=".json")
    for key in ("url", "title", "date", "author", "outlet"):
        name = jsonl.field_name(rec, fields[key])
        if name is not None:
            loaded.known[key] = " ".join(str(jsonl.field(rec, (name,))).split())
            loaded.origins[key] = f"JSON field '{name}'"
    return loaded


# ---------------------------------------------------------------------------- cleaning


_PAGE_RULES: dict[str, Rules] = {}


def cleaning_rules(rules: Rules, loaded: Loaded) -> Rules:
    """The cleaning rules for a document: for a page's main text, without the edge signal.

    The edge signal cuts short lines without sentence punctuation at the top and bottom of
    a flat text scrape, where menus and footers sit. In a page's main text trafilatura has
    already cut the page's edges from its markup, so what is left there is the article's
    own (a subheading, a quoted tweet's credit, a signature): the pattern rules still run.
    """
    if not loaded.page:
        return rules
    if rules.sha256 not in _PAGE_RULES:
        structure = replace(rules.structure, edge_short_max_words=0)
        _PAGE_RULES[rules.sha256] = replace(rules, structure=structure)
    return _PAGE_RULES[rules.sha256]


# ---------------------------------------------------------------------------- metadata


def apply_known(doc: Document, loaded: Loaded) -> None:
    """Put what the format (or the sidecar table) knows over cleaning's guesses."""
    meta = doc.meta
    guessed = {k for k in ("title", "date", "author", "outlet", "url", "section")
               if getattr(meta, k) is not None}
    for key, value in loaded.known.items():
        if key == "date":
            date = parse_known_date(value)
            if date is None:
                doc.notes.append(Note("metadata", f"date {value!r} ({loaded.origins[key]}) is "
                                                  "not a date the pipeline reads; not used"))
                continue
            meta.date = date
        elif key in ("title", "author", "outlet", "url", "section"):
            setattr(meta, key, value)
        else:
            continue
        meta.origins[key] = loaded.origins.get(key, "input")
    if "title" in meta.origins:  # cleaning found no headline, but the input states one
        doc.notes = [n for n in doc.notes if n.code != "no-headline"]
    for key in sorted(guessed - set(meta.origins)):
        meta.origins[key] = CLEANING


def parse_known_date(value: str) -> DateValue | None:
    """An ISO date or timestamp (cut to the day), or a French date in words."""
    m = _ISO.match(value.strip())
    if m:
        precision = "day" if m.group(3) else "month" if m.group(2) else "year"
        return DateValue(m.group(0), precision, value)
    from pipeline.stages.clean import parse_date

    found = parse_date(value)
    if found is not None:
        found.evidence = value
    return found


def raw_path(doc_id: str, suffix: str) -> str:
    """Where a document's raw bytes go, relative to the output folder."""
    return f"{RAW_DIR}/{doc_id}{suffix}"


def remove_raw(output: Path, doc_id: str) -> None:
    """Remove the raw copy of a document that failed in this run (its TEI went too)."""
    for suffix in RAW_SUFFIXES:
        p = output / raw_path(doc_id, suffix)
        if p.is_file() and not p.is_symlink():
            p.unlink()


def describe_inputs(inputs: list[InputSummary]) -> list[dict[str, Any]]:
    """The report's view of the inputs (containers with their skipped records)."""
    return [{k: v for k, v in s.__dict__.items() if v not in (None, {})} for s in inputs]
