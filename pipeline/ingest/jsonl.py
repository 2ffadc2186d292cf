"""Reading JSON lines (``.jsonl``) and JSON lists (``.json``) from scrapers.

One document per record. Each record gives its text (or its HTML, read like a saved page)
and, when it has them, url, title, date, author and outlet. The field names differ between
scrapers, so each field has a list of usual names (news-please, trafilatura's JSON, Scrapy
and newspaper3k items) and ``--json-fields text=body,url=link`` names the user's own;
a dotted name reaches into nested objects (``meta.url``).

A line that is not JSON, is not an object, or has no text nor HTML fails alone: the other
records of the file go on. A file is streamed line by line; a ``.json`` list is parsed
whole, within the size limit of one document. Reading one item of a list parses the whole
list, so the places that read many items (a chunk's documents, the Dask driver packing
items for its workers) hold the last list they parsed while inside :func:`lists_kept`: a
list of 10,000 items is parsed once per chunk, not 10,000 times.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.errors import ConfigError, DocumentError
from pipeline.ingest.files import MAX_BYTES

#: The fields a record may hold, with the names tried by default, in order.
DEFAULT_FIELDS: dict[str, tuple[str, ...]] = {
    "text": ("text", "maintext", "content", "body", "article", "article_text", "raw_text",
             "fulltext"),
    "html": ("html", "raw_html", "content_html", "body_html", "source_html"),
    "url": ("url", "link", "source_url", "canonical_url", "uri", "permalink"),
    "title": ("title", "headline"),
    "date": ("date", "date_publish", "published", "publication_date", "pubdate",
             "datePublished", "published_at", "date_published"),
    "author": ("author", "authors", "byline", "creator"),
    "outlet": ("outlet", "sitename", "site_name", "source_domain", "publisher", "source",
               "hostname"),
    "id": ("id", "guid", "uuid"),
}
#: A .json list (parsed whole) may be this large.
MAX_JSON_BYTES = 50_000_000

#: A file's identity while it is held: path, size, modification time (ns), inode.
_FileKey = tuple[str, int, int, int]
#: The list held inside :func:`lists_kept` (per thread and context): its items, or the
#: error its parse raised.
_KEPT: ContextVar[dict[_FileKey, list[tuple[Any, bytes]] | DocumentError] | None] = \
    ContextVar("json_lists_kept", default=None)


@dataclass(frozen=True)
class JsonEntry:
    """One record of a JSON-lines file: where it is and its bytes' SHA-256."""

    line: int  # 1-based line number (index + 1 in a .json list)
    offset: int  # byte offset of the line (-1 in a .json list)
    length: int
    sha256: str
    key: str  # url or id when the record has one: the document id is made from it


def parse_field_map(spec: str) -> dict[str, tuple[str, ...]]:
    """``"text=body,url=link"`` -> the default map with those fields replaced (ConfigError)."""
    fields = dict(DEFAULT_FIELDS)
    for item in (s.strip() for s in spec.split(",") if s.strip()):
        name, sep, source = item.partition("=")
        name, source = name.strip(), source.strip()
        if not sep or not source:
            raise ConfigError(f"--json-fields: {item!r} is not FIELD=NAME (e.g. text=body)")
        if name not in fields:
            raise ConfigError(f"--json-fields: unknown field {name!r}; fields are "
                              f"{', '.join(fields)}")
        fields[name] = (source,)
    return fields


def scan(path: Path, fields: dict[str, tuple[str, ...]]) -> list[JsonEntry]:
    """List the records of a file (lines, or a list's items), without parsing twice later."""
    if _is_list(path):
        return [JsonEntry(i + 1, -1, len(raw), hashlib.sha256(raw).hexdigest(),
                          _key(rec, fields))
                for i, (rec, raw) in enumerate(list_items(path))]
    entries = []
    for line, offset, raw in _lines(path):
        rec = _loads(raw)
        key = _key(rec, fields) if isinstance(rec, dict) else ""
        entries.append(JsonEntry(line, offset, len(raw), hashlib.sha256(raw).hexdigest(), key))
    return entries


def read_entry(path: Path, entry: JsonEntry) -> tuple[dict[str, Any], bytes]:
    """The record of an entry and its bytes (DocumentError ``json`` when it is not one)."""
    where = f"{path.name} line {entry.line}"
    if entry.offset < 0:
        items = list_items(path)
        if entry.line > len(items):
            raise DocumentError(f"{where}: the list has no item {entry.line}", "json")
        rec, raw = items[entry.line - 1]
    else:
        if entry.length > MAX_BYTES:
            raise DocumentError(f"{where}: {entry.length:,} bytes is over the {MAX_BYTES:,}-"
                                "byte limit for one document", "too-large")
        with open(path, "rb") as fh:
            fh.seek(entry.offset)
            raw = fh.read(entry.length)
        try:
            rec = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise DocumentError(f"{where}: not JSON ({exc})", "json") from exc
    if not isinstance(rec, dict):
        raise DocumentError(f"{where}: a JSON {type(rec).__name__}, not an object", "json")
    return rec, raw


def field(rec: dict[str, Any], names: tuple[str, ...]) -> str | None:
    """The first non-empty value among the names, as text (lists joined by "; ")."""
    for name in names:
        value: Any = rec
        for part in name.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if isinstance(value, list):
            value = "; ".join(str(v.get("name", v)) if isinstance(v, dict) else str(v)
                              for v in value if v)
        elif isinstance(value, dict):
            value = value.get("name")
        if value is not None and str(value).strip():
            return str(value)
    return None


def field_name(rec: dict[str, Any], names: tuple[str, ...]) -> str | None:
    """Which of the names gave the value (for the TEI's note on where a field came from)."""
    for name in names:
        if field(rec, (name,)) is not None:
            return name
    return None


def _key(rec: Any, fields: dict[str, tuple[str, ...]]) -> str:
    if not isinstance(rec, dict):
        return ""
    return field(rec, fields["url"]) or field(rec, fields["id"]) or ""


def _loads(raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None


def _lines(path: Path) -> Iterator[tuple[int, int, bytes]]:
    """(line number, byte offset, bytes) of every non-blank line, streamed."""
    offset = 0
    with open(path, "rb") as fh:
        for n, line in enumerate(fh, 1):
            stripped = line.strip()
            if stripped and not (n == 1 and stripped == b"\xef\xbb\xbf"):
                start = offset + (3 if n == 1 and line.startswith(b"\xef\xbb\xbf") else 0)
                yield n, start, line[start - offset:].rstrip(b"\r\n")
            offset += len(line)


def _is_list(path: Path) -> bool:
    """A JSON list, or a ``.json`` file holding one JSON value (not one per line)."""
    with open(path, "rb") as fh:
        head = fh.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"["):
        return True
    if path.suffix.lower() != ".json" or path.stat().st_size > MAX_JSON_BYTES:
        return False
    return _loads(path.read_bytes().lstrip(b"\xef\xbb\xbf")) is not None


@contextmanager
def lists_kept() -> Iterator[None]:
    """Inside, a JSON list is parsed once and held (the last one only) while the file stays
    the same (path, size, modification time, inode); a nested call shares the outer one's."""
    if _KEPT.get() is not None:
        yield
        return
    token = _KEPT.set({})
    try:
        yield
    finally:
        try:
            _KEPT.reset(token)
        except ValueError:  # a generator closed from another context: that one is unset
            pass


def list_items(path: Path) -> list[tuple[Any, bytes]]:
    """Every item of a JSON list with its canonical bytes (DocumentError when the file is
    over the limit or not JSON); parsed once inside :func:`lists_kept`."""
    kept = _KEPT.get()
    if kept is None:
        return _parse_list(path)
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns, st.st_ino)
    if key not in kept:
        kept.clear()  # one list at a time: a list may be 50 MB
        try:
            kept[key] = _parse_list(path)
        except DocumentError as exc:
            kept[key] = exc
    found = kept[key]
    if isinstance(found, DocumentError):  # a fresh error each time (its own traceback)
        raise DocumentError(found.message, found.code)
    return found


def item_to_ship(path: Path, line: int) -> bytes | None:
    """Item ``line`` (1-based) of a JSON list as JSON bytes that parse back to the same
    value, its keys in their order (what a Dask worker gets instead of the whole list); None
    when the list cannot be read or has no such item (the whole file then travels, and the
    worker's reader fails the same way)."""
    try:
        items = list_items(path)
    except (DocumentError, OSError):
        return None
    if not 1 <= line <= len(items):
        return None
    return json.dumps(items[line - 1][0], ensure_ascii=True).encode("ascii")


def _parse_list(path: Path) -> list[tuple[Any, bytes]]:
    size = path.stat().st_size
    if size > MAX_JSON_BYTES:
        raise DocumentError(f"{path.name}: a JSON list of {size:,} bytes is over the "
                            f"{MAX_JSON_BYTES:,}-byte limit; write it as JSON lines", "too-large")
    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise DocumentError(f"{path.name}: not JSON ({exc})", "json") from exc
    if not isinstance(data, list):
        data = [data]
    return [(rec, _canonical(rec)) for rec in data]


def _canonical(rec: Any) -> bytes:
    """An item's bytes: its JSON with sorted keys, UTF-8; a lone surrogate (escaped in the
    file, not encodable) keeps the whole item escaped, as ASCII."""
    try:
        return json.dumps(rec, ensure_ascii=False, sort_keys=True).encode()
    except UnicodeEncodeError:
        return json.dumps(rec, ensure_ascii=True, sort_keys=True).encode()
