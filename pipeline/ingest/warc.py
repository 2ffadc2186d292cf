"""Reading WARC archives (wget ``--warc-file``, Heritrix, Browsertrix, Common Crawl extracts).

A WARC file is streamed, never read whole: :func:`scan` walks it once with ``warcio`` and
lists its HTML response records (offset, length, target URI, WARC-Date, record id and the
SHA-256 of the record's bytes as stored); every other record (requests, metadata, revisits,
redirects, images...) is counted by kind and skipped. :func:`read_record` later reads one
record back from its offset, so workers never hold more than one record.

A gzip WARC holds one gzip member per record. warcio stops quietly at a truncated member,
so every member is also checked to its end: the records before a break are kept, and the
break is reported with its byte offset. The same check on an uncompressed WARC compares
each record's Content-Length with the bytes that are there.
"""

from __future__ import annotations

import hashlib
import io
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from pipeline.errors import DocumentError
from pipeline.ingest.html import MAX_HTML_BYTES

_HTML_TYPES = ("text/html", "application/xhtml+xml")
_BLOCK = 1 << 20
#: A record larger than this is not read back (an HTML page is at most MAX_HTML_BYTES).
MAX_RECORD_BYTES = MAX_HTML_BYTES + 1_000_000


@dataclass(frozen=True)
class WarcEntry:
    """One HTML response record: where it is and what it says about itself."""

    offset: int
    length: int
    uri: str
    date: str  # WARC-Date, W3C dateTime
    record_id: str
    sha256: str  # of the record's bytes as stored (the gzip member in a .warc.gz)
    charset: str | None = None  # from the HTTP Content-Type header


@dataclass
class WarcScan:
    """What :func:`scan` found in one file."""

    entries: list[WarcEntry] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    records: int = 0
    error: str | None = None  # where and how the file broke, when it did


@dataclass
class WarcRecord:
    """One record read back: its payload (the page) and its bytes as stored."""

    payload: bytes
    raw: bytes
    uri: str
    date: str
    record_id: str
    charset: str | None
    headers: dict[str, str] = field(default_factory=dict)


def scan(path: Path) -> WarcScan:
    """List the HTML response records of a WARC file (see the module docstring)."""
    from warcio.archiveiterator import ArchiveIterator

    result = WarcScan()
    gz = _is_gzip(path)
    size = path.stat().st_size
    end = 0
    with open(path, "rb") as fh:
        it = ArchiveIterator(fh, check_digests=False)
        try:
            for rec in it:
                kind, charset = _kind(rec)
                it.read_to_end(rec)
                offset, length = it.get_record_offset(), it.get_record_length()
                end = offset + length
                result.records += 1
                broken = _broken(path, offset, length, gz, rec)
                if broken:
                    result.error = f"record {result.records} at byte {offset:,}: {broken}"
                    break
                if kind != "html":
                    result.skipped[kind] += 1
                    continue
                result.entries.append(_entry(path, rec, offset, length, charset))
        except Exception as exc:  # warcio's ArchiveLoadFailed, zlib and parse errors
            result.error = f"unreadable from byte {end:,} ({type(exc).__name__}: {exc})"
    if result.error is None and _has_more(path, end, size):
        result.error = (f"truncated: {size - end:,} bytes from byte {end:,} hold no complete "
                        "record (a cut gzip member or record)")
    return result


def _kind(rec: Any) -> tuple[str, str | None]:
    """'html' for an HTML page answer, else the kind of record it is (for the report)."""
    rtype = rec.rec_type or "unknown"
    if rtype == "resource":
        ctype = rec.rec_headers.get_header("Content-Type") or ""
        return ("html" if ctype.split(";")[0].strip().lower() in _HTML_TYPES
                else f"resource {ctype.split(';')[0] or '?'}"), _charset(ctype)
    if rtype != "response" or rec.http_headers is None:
        return rtype, None
    status = rec.http_headers.get_statuscode() or "?"
    ctype = rec.http_headers.get_header("Content-Type") or ""
    mime = ctype.split(";")[0].strip().lower()
    if mime not in _HTML_TYPES:
        return f"response {mime or 'without type'}", None
    if not status.startswith("2"):
        return f"response HTTP {status}", None
    return "html", _charset(ctype)


def _uri(value: str | None) -> str:
    """WARC-Target-URI without the angle brackets some writers put around it (WARC 1.1's
    examples did)."""
    return (value or "").strip().removeprefix("<").removesuffix(">")


def _charset(ctype: str) -> str | None:
    for part in ctype.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'")
    return None


def _entry(path: Path, rec: Any, offset: int, length: int, charset: str | None) -> WarcEntry:
    headers = rec.rec_headers
    return WarcEntry(
        offset=offset, length=length,
        uri=_uri(headers.get_header("WARC-Target-URI")),
        date=headers.get_header("WARC-Date") or "",
        record_id=headers.get_header("WARC-Record-ID") or "",
        sha256=_slice_sha256(path, offset, length), charset=charset,
    )


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def _slices(path: Path, offset: int, length: int) -> Any:
    with open(path, "rb") as fh:
        fh.seek(offset)
        left = length
        while left > 0:
            block = fh.read(min(_BLOCK, left))
            if not block:
                return
            left -= len(block)
            yield block


def _slice_sha256(path: Path, offset: int, length: int) -> str:
    h = hashlib.sha256()
    for block in _slices(path, offset, length):
        h.update(block)
    return h.hexdigest()


def _broken(path: Path, offset: int, length: int, gz: bool, rec: Any) -> str | None:
    """Why a record is incomplete (a cut gzip member, a short block), or None."""
    if gz:
        inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            for block in _slices(path, offset, length):
                inflate.decompress(block, 0)
                if inflate.eof:
                    return None
        except zlib.error as exc:
            return f"the gzip member is corrupt ({exc})"
        return "the gzip member is truncated (the file ends inside it)"
    declared = int(rec.rec_headers.get_header("Content-Length") or 0)
    head = next(iter(_slices(path, offset, min(length, 65_536))), b"")
    start = head.find(b"\r\n\r\n")
    if start >= 0 and length - start - 4 < declared:
        return f"the record is truncated ({length - start - 4:,} of {declared:,} bytes)"
    return None


def _has_more(path: Path, end: int, size: int) -> bool:
    """Bytes after the last complete record that are more than blank lines."""
    if end >= size:
        return False
    with open(path, "rb") as fh:
        fh.seek(end)
        return bool(fh.read(4096).strip())


def read_record(path: Path, entry_offset: int, entry_length: int) -> WarcRecord:
    """Read one record back from its offset (DocumentError when it cannot be)."""
    from warcio.archiveiterator import ArchiveIterator

    if entry_length > MAX_RECORD_BYTES:
        raise DocumentError(f"{path.name} at byte {entry_offset:,}: the record is "
                            f"{entry_length:,} bytes, over the {MAX_RECORD_BYTES:,}-byte limit",
                            "too-large")
    raw = b"".join(_slices(path, entry_offset, entry_length))
    rec = next(iter(ArchiveIterator(io.BytesIO(raw), check_digests=False)), None)
    if rec is None:
        raise DocumentError(f"{path.name} at byte {entry_offset:,}: no WARC record there "
                            "(the file changed since it was listed?)", "warc")
    payload = _read_bounded(rec.content_stream(), path, entry_offset)
    _, charset = _kind(rec)
    h = rec.rec_headers
    return WarcRecord(payload=payload, raw=raw, uri=_uri(h.get_header("WARC-Target-URI")),
                      date=h.get_header("WARC-Date") or "",
                      record_id=h.get_header("WARC-Record-ID") or "", charset=charset,
                      headers={k: v for k, v in h.headers})


def _read_bounded(stream: BinaryIO, path: Path, offset: int) -> bytes:
    data = stream.read(MAX_HTML_BYTES + 1)
    if len(data) > MAX_HTML_BYTES:
        raise DocumentError(f"{path.name} at byte {offset:,}: the page is over the "
                            f"{MAX_HTML_BYTES:,}-byte limit for one HTML page", "too-large")
    return bytes(data)
