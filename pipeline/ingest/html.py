"""Reading a saved HTML page: its main text and its own metadata, never fetching anything.

trafilatura, the field's reference extractor, finds the main text (comments excluded,
tables kept as text, no formatting) and the page's metadata (title, date through htmldate,
author, site name, URL, categories). It gets a string or a tree, never a URL to fetch, and
its own download code is never called.

General signals of news markup then mend what trafilatura is known to get wrong
(:mod:`pipeline.ingest.signals`): paywall, offer and "read also" boxes are pruned before
extraction, the standfirst (chapô) is put back when trafilatura dropped it, and the author
is the page's visible byline when it has one (trafilatura's, from the page's metadata,
otherwise, unless that is the site's own name).

The result is text for the cleaning stage (the headline on the first line, the standfirst,
then one paragraph per block, blank lines between them), the metadata with their origin,
and one summary of what the extraction left out (the rest of the page, kept in ``raw/``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from lxml import html as lxml_html

from pipeline.document import Note
from pipeline.errors import DocumentError
from pipeline.ingest.files import decode, sanitize
from pipeline.ingest.signals import (
    BYLINE_PREFIX,
    SKIP_TAGS,
    byline,
    fold,
    norm,
    prune_chrome,
    standfirst,
)

#: An HTML page is larger than a text scrape (scripts, styles, inline images): 5 MB.
MAX_HTML_BYTES = 5_000_000
#: Below this many words of main text the page holds no article (home page, 404, shell).
MIN_WORDS = 25
#: Rule id and reason of the summary entry for what trafilatura left out.
EXTRACTION_RULE = "html-extraction"
EXTRACTION_REASON = ("not main text for trafilatura: navigation, headers, sidebars, related "
                     "links, comments, scripts and styles (the whole page is kept in raw/)")
ORIGIN = "page metadata (trafilatura)"
BYLINE_ORIGIN = "page byline (the first author mark or 'Par ...' line of the page)"

#: Charsets servers often declare by default whatever the page holds (a UTF-8 page served
#: as ISO-8859-1 is common); valid UTF-8 bytes are read as UTF-8 then.
_SINGLE_BYTE = frozenset({"iso-8859-1", "latin-1", "latin1", "iso8859-1", "cp1252",
                          "windows-1252", "iso-8859-15", "us-ascii", "ascii"})
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.I)
_SENTENCE = re.compile(r"[.!?…»\"”]\s*$|[.!?…]\s")


@dataclass
class HtmlText:
    """What the HTML reader gives the cleaning stage."""

    text: str
    meta: dict[str, str] = field(default_factory=dict)  # title, date, author, outlet, url...
    origins: dict[str, str] = field(default_factory=dict)  # field -> where it came from
    encoding: str = "utf-8"
    encoding_note: str = ""
    removed_summary: str = ""
    notes: list[Note] = field(default_factory=list)


def read_html(raw: bytes, *, name: str, url: str | None = None, charset: str | None = None,
              signals: bool = True) -> HtmlText:
    """Main text and metadata of one page (raises DocumentError with a stable code).

    ``signals=False`` leaves out the markup signals (for measuring what they add).
    """
    if len(raw) > MAX_HTML_BYTES:
        raise DocumentError(f"{name}: {len(raw):,} bytes is over the {MAX_HTML_BYTES:,}-byte "
                            "limit for one HTML page", "too-large")
    if not raw.strip():
        raise DocumentError(f"{name}: the page is empty", "empty")
    notes: list[Note] = []
    page, encoding, how = decode_page(raw, charset, name)
    page = sanitize(page, notes)
    tree = parse(page, name)
    pruned = parse(page, name)
    if signals:
        prune_chrome(pruned)
    extracted = _trafilatura(pruned, url)
    body = (extracted.get("text") or "").strip()
    words = prose_words(body)
    if words < MIN_WORDS:
        raise DocumentError(f"{name}: no main text found in the page ({words} words of "
                            "running text extracted): a home page, an error page or a page "
                            "built by scripts?", "no-main-text")
    lead = standfirst(tree, extracted.get("description"), body) if signals else []
    result = HtmlText(text="", encoding=encoding, encoding_note=how, notes=notes)
    _metadata(result, extracted, byline(tree, body) if signals else None)
    paras = [p for line in body.split("\n") for p in table_row(line.strip()) if p]
    title = result.meta.get("title")
    result.text = "\n\n".join(([title] if title else []) + lead + paras) + "\n"
    result.removed_summary = _summary(tree, result.text)
    return result


def prose_words(text: str) -> int:
    """Words in paragraphs that read as running text (8+ words, a sentence end).

    Headlines and link lists (a home page's teasers) have no sentence punctuation, so a
    page of them counts zero however long it is.
    """
    return sum(len(p.split()) for p in text.split("\n")
               if len(p.split()) >= 8 and _SENTENCE.search(p))


def table_row(line: str) -> list[str]:
    """A table row as trafilatura writes it (``| a | b |``) -> paragraphs of text.

    A layout table (a cell holding running text, as old pages put whole articles in
    tables) gives one paragraph per cell; a data table keeps its row on one line, cells
    separated by " | "; the separator row (``|---|``) and empty cells go.
    """
    if not line.startswith("|"):
        return [line]
    cells = [c.strip() for c in line.strip("|").split(" | ")]
    cells = [c for c in cells if c and not re.fullmatch(r"[-:| ]+", c)]
    if any(len(c.split()) > 30 for c in cells):
        return cells
    return [" | ".join(cells)] if cells else []


def decode_page(raw: bytes, charset: str | None, name: str) -> tuple[str, str, str]:
    """Bytes -> text: a BOM, else the HTTP charset, else ``<meta charset>``, else detected."""
    if raw.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return decode(raw)
    for declared, how in ((charset, "HTTP Content-Type charset"),
                          (_meta_charset(raw), "the page's <meta> charset")):
        if declared:
            if declared.lower().replace("_", "-") in _SINGLE_BYTE and _utf8(raw):
                return (raw.decode("utf-8"), "utf-8",
                        f"declared {declared} ({how}), but the bytes are valid UTF-8")
            try:
                return raw.decode(declared), declared.lower(), f"declared: {how}"
            except (LookupError, UnicodeDecodeError):
                continue  # a wrong or unknown declaration: the next clue decides
    try:
        return decode(raw)
    except DocumentError as exc:
        raise DocumentError(f"{name}: {exc.message}", exc.code) from exc


def _utf8(raw: bytes) -> bool:
    """Valid UTF-8 with non-ASCII characters: never what a single-byte charset gives."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not raw.isascii()


def _meta_charset(raw: bytes) -> str | None:
    m = _META_CHARSET.search(raw[:4096])
    return m.group(1).decode("ascii") if m else None


def parse(page: str, name: str) -> lxml_html.HtmlElement:
    """An lxml tree of the page, or DocumentError ``html-parse`` when there is none."""
    try:
        tree = lxml_html.document_fromstring(page.encode("utf-8"),
                                             parser=lxml_html.HTMLParser(encoding="utf-8"))
    except (ValueError, TypeError) as exc:
        raise DocumentError(f"{name}: the HTML cannot be parsed ({exc})", "html-parse") from exc
    except Exception as exc:  # lxml's ParserError and XMLSyntaxError
        raise DocumentError(f"{name}: the HTML cannot be parsed ({exc})", "html-parse") from exc
    if tree is None or tree.find("body") is None:
        raise DocumentError(f"{name}: the HTML has no body", "html-parse")
    return tree


@cache
def _config() -> Any:
    """trafilatura's settings, read once; nothing in them is used to download."""
    from trafilatura.settings import use_config

    return use_config()


def _trafilatura(page: lxml_html.HtmlElement, url: str | None) -> dict[str, Any]:
    """trafilatura's text and metadata for a parsed page (never a URL: nothing is fetched)."""
    from trafilatura import bare_extraction

    doc = bare_extraction(page, url=url, with_metadata=True, include_comments=False,
                          include_tables=True, include_formatting=False, include_links=False,
                          include_images=False, config=_config())
    if doc is None:
        return {}
    keys = ("text", "title", "author", "date", "sitename", "url", "description", "categories")
    return {k: getattr(doc, k, None) for k in keys}


def _metadata(result: HtmlText, found: dict[str, Any], visible: str | None) -> None:
    """The page's metadata as the pipeline names them, each with its origin."""
    fields = {"title": found.get("title"), "date": found.get("date"),
              "outlet": found.get("sitename"), "url": found.get("url")}
    categories = found.get("categories") or []
    if categories:
        fields["section"] = str(categories[0])
    for key, value in fields.items():
        if value and str(value).strip():
            result.meta[key] = " ".join(str(value).split())
            result.origins[key] = ORIGIN
    # the visible byline (what the reader sees) wins over the page's metadata
    author = _good_author(found.get("author"), found.get("sitename"))
    if visible:
        result.meta["author"], result.origins["author"] = visible, BYLINE_ORIGIN
    elif author:
        result.meta["author"], result.origins["author"] = author, ORIGIN


def _good_author(author: Any, sitename: Any) -> str | None:
    """trafilatura's author, unless it is the site's own name or no name at all."""
    if not author or not str(author).strip():
        return None
    value = BYLINE_PREFIX.sub("", " ".join(str(author).split()))
    if sitename and fold(value) in (fold(str(sitename)), fold(str(sitename)).replace(" ", "")):
        return None
    return value


def _summary(tree: lxml_html.HtmlElement, kept: str) -> str:
    """One line saying how much of the page's visible text the extraction left out."""
    body = tree.find("body")
    total = len(norm(body.text_content())) if body is not None else 0
    if body is not None:
        total -= sum(len(norm(el.text_content())) for el in body.iter(*SKIP_TAGS))
    left = max(0, total - len(norm(kept)))
    return (f"the rest of the page: {left:,} of its {max(total, 0):,} visible characters were "
            "not main text")
