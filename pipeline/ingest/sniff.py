"""Which reader a file needs: plain text, an HTML page, a WARC archive or JSON lines.

The extension proposes and the first bytes decide: a page saved as ``.txt`` that starts
with ``<!DOCTYPE html>`` is read as HTML (else its tags would reach the archive as text),
a gzip file is a WARC only when its first member holds ``WARC/``, and ``.json`` is a list
or one object per line. A file whose bytes match no format keeps the one its name gives;
with no known name it is read as text (the text reader refuses binary data clearly).
"""

from __future__ import annotations

import re
import zlib
from pathlib import Path

TEXT, HTML, WARC, JSONL = "text", "html", "warc", "jsonl"
FORMATS = (TEXT, HTML, WARC, JSONL)

#: Name endings (lower case) of the files a folder is searched for, with their format.
ENDINGS: dict[str, str] = {
    ".txt": TEXT,
    ".text": TEXT,
    ".html": HTML,
    ".htm": HTML,
    ".xhtml": HTML,
    ".warc": WARC,
    ".warc.gz": WARC,
    ".jsonl": JSONL,
    ".ndjson": JSONL,
    ".json": JSONL,
}
#: How many bytes the sniffer looks at.
HEAD_BYTES = 65_536

_HTML_START = re.compile(
    rb"\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|title)\b",
    re.I | re.S,
)
_JSON_START = re.compile(rb"\s*[\[{]")


def format_of_name(name: str) -> str | None:
    """The format a file name announces, or None (``a.WARC.GZ`` -> warc)."""
    low = name.lower()
    for ending in sorted(ENDINGS, key=len, reverse=True):
        if low.endswith(ending):
            return ENDINGS[ending]
    return None


def is_input_name(name: str) -> bool:
    """A file a folder is searched for: a known ending, not hidden (``.name``, ``._name``)."""
    return not name.startswith(".") and format_of_name(name) is not None


def sniff_bytes(head: bytes) -> str | None:
    """The format the first bytes show, or None when they show none of ours."""
    data = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
    if data.startswith(b"\x1f\x8b"):
        return WARC if _gunzip_head(data).startswith(b"WARC/") else None
    if data.startswith(b"WARC/"):
        return WARC
    if _HTML_START.match(data[:4096]):
        return HTML
    if _JSON_START.match(data):
        return JSONL
    return None


def detect(path: Path) -> str:
    """Decide a file's format from its name and its first bytes (see the module docstring)."""
    named = format_of_name(path.name)
    try:
        with open(path, "rb") as fh:
            head = fh.read(HEAD_BYTES)
    except OSError:
        return named or TEXT  # the reader reports why it cannot be read
    sniffed = sniff_bytes(head)
    if sniffed == JSONL and named not in (JSONL, None):
        return named  # a text starting with "[" or "{" stays text
    return sniffed or named or TEXT


def _gunzip_head(data: bytes) -> bytes:
    """The first bytes of a gzip stream (b"" when they cannot be inflated)."""
    try:
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data, 64)
    except zlib.error:
        return b""
