"""A static, offline HTML view of a TEI corpus.

``build_view(tei_paths, out_dir)`` reads each TEI file back with
:func:`pipeline.tei.codec.read_tei` (never the pipeline's in-memory state) and writes::

    out_dir/index.html          the articles: title, date, outlet, words, records by type,
                                engines; sortable and filterable in the browser
    out_dir/entities.html       every entity: French and English forms, the articles
    out_dir/articles/<id>.html  French and English side by side, sentence by sentence
    out_dir/static/view.css     the only style sheet
    out_dir/static/view.js      the only script (plain JavaScript, no libraries)

The pages use relative links only and open from the file system. The output depends on
the TEI files alone (no clock), so the same corpus gives the same bytes.

Command line: ``python -m pipeline view TEI_PATH... -o DIR`` (a folder stands for its
``*.xml`` files, or those of its ``tei/`` folder; options in :mod:`pipeline.commands.view`).
"""

from __future__ import annotations

import functools
import glob
import logging
import os
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from pipeline.document import Document
from pipeline.run.atomic import atomic_write_bytes, safe_output_dir
from pipeline.run.parallel import CHUNK, chunks, ordered_map
from pipeline.view import render

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
STATIC_FILES = ("view.css", "view.js")
FALLBACK_TITLE = "News corpus"


def default_title() -> str:
    """The corpus title the TEI headers use (data/tei.toml), so the view matches them."""
    try:
        data = tomllib.loads((Path(__file__).parent.parent / "data" / "tei.toml")
                             .read_text(encoding="utf-8"))
        return str(data["corpus"]["title"])
    except (OSError, KeyError, TypeError, tomllib.TOMLDecodeError):
        return FALLBACK_TITLE


@dataclass
class ViewResult:
    index: Path
    entities: Path
    articles: dict[str, Path] = field(default_factory=dict)  # doc id -> page
    failed: list[tuple[str, str]] = field(default_factory=list)  # (TEI path, why)


def build_view(tei_paths: Iterable[str | os.PathLike[str]], out_dir: str | os.PathLike[str],
               corpus_title: str | None = None) -> ViewResult:
    """Read the TEI files and write the view into ``out_dir``.

    A file that cannot be read is listed on the index page and in ``ViewResult.failed``;
    the others are still written.
    """
    items, failed = scan_documents(tei_paths)
    return write_items(items, out_dir, corpus_title=corpus_title, failed=failed)


@dataclass
class Item:
    """One article of the view: where its TEI is, its light entry (the index's), and how
    to get the whole document again when its page is written."""

    tei: Path | None
    entry: render.ArticleEntry  # light (render.ArticleEntry.of); its href is set on writing
    full: Callable[[], Document]


def scan_documents(tei_paths: Iterable[str | os.PathLike[str]], jobs: int = 1,
                   ) -> tuple[list[Item], list[tuple[str, str]]]:
    """Each file read back with ``read_tei`` (each once, in path order) and kept as its
    light entry, and the files that could not be read with why. The pages are written
    from a second reading, one file at a time: the view of 100,000 articles never holds
    them all (a whole document is ≈ 0.35 MB in memory). Reading comes first so that a
    caller can leave an existing view alone when nothing could be read. ``jobs``:
    processes reading (0: one per core; the result is that of one)."""
    unique = {Path(p).resolve(): Path(p) for p in tei_paths}
    items: list[Item] = []
    failed: list[tuple[str, str]] = []
    tasks = chunks(sorted(unique.values(), key=str), CHUNK)
    for chunk in ordered_map(_scan, tasks, jobs, "view"):
        for got in chunk:
            if isinstance(got, Item):
                items.append(got)
            else:
                failed.append(got)
    return items, failed


def _scan(paths: list[Path]) -> list[Item | tuple[str, str]]:
    from pipeline.tei.codec import read_tei

    done: list[Item | tuple[str, str]] = []
    for p in paths:
        try:
            doc = read_tei(p)
        except Exception as exc:  # one bad file must not lose the others
            log.warning("view: cannot read %s: %s", p, exc)
            done.append((str(p), f"{type(exc).__name__}: {exc}"))
            continue
        done.append(_item(p, doc, functools.partial(read_tei, p)))
    return done


def _item(tei: Path | None, doc: Document, full: Callable[[], Document]) -> Item:
    return Item(tei, render.ArticleEntry.of(doc, ""), full)


def write_view(docs: list[tuple[Path | None, Document]], out_dir: str | os.PathLike[str],
               corpus_title: str | None = None,
               failed: list[tuple[str, str]] | None = None) -> ViewResult:
    """Write the pages for documents already in memory (read with ``read_tei``, or made).

    Each item is (the TEI file it was read from or None, the document).
    """
    items = [_item(tei, doc, functools.partial(_same, doc)) for tei, doc in docs]
    return write_items(items, out_dir, corpus_title=corpus_title, failed=failed)


def _same(doc: Document) -> Document:
    return doc


def write_items(items: list[Item], out_dir: str | os.PathLike[str],
                corpus_title: str | None = None,
                failed: list[tuple[str, str]] | None = None, jobs: int = 1) -> ViewResult:
    """Write the index pages from the items' entries, then each article's page from its
    whole document, one at a time (``jobs``: processes writing pages, 0: one per core;
    only for items read from files). A file that can no longer be read for its page
    (changed since) is listed with the files that could not be read."""
    corpus_title = corpus_title or default_title()
    out = safe_output_dir(Path(out_dir))
    art_dir = safe_output_dir(out / "articles")
    static = safe_output_dir(out / "static")
    for name in STATIC_FILES:
        _write(static / name, (STATIC_DIR / name).read_bytes())

    items = sorted(items, key=lambda item: (item.entry.doc.id, str(item.tei or "")))
    names = _page_names(items)
    entries = [replace(item.entry, href=f"articles/{name}.html")
               for item, name in zip(items, names, strict=True)]

    groups = render.group_records(entries)
    anchors: dict[str, dict[str, str]] = {}  # article href -> record id -> index anchor
    for g in groups:
        for href, _doc_id, _title, ref, _n in g.articles:
            anchors.setdefault(href, {})[ref] = g.anchor

    result = ViewResult(index=out / "index.html", entities=out / "entities.html",
                        failed=list(failed or []))
    pages = [_Page(item.full, names[i], anchors.get(entry.href, {}),
                   (f"{names[i - 1]}.html" if i > 0 else None,
                    f"{names[i + 1]}.html" if i + 1 < len(names) else None),
                   _relative_href(item.tei, art_dir) if item.tei is not None else None,
                   str(item.tei))
             for i, (item, entry) in enumerate(zip(items, entries, strict=True))]
    write = functools.partial(_write_pages, art_dir=art_dir, corpus_title=corpus_title)
    written: set[str] = set()
    for chunk in ordered_map(write, chunks(pages, CHUNK), jobs, "view"):
        for done in chunk:
            if done.failure is not None:
                result.failed.append(done.failure)
            else:
                written.add(done.path.name)
                result.articles[done.doc_id] = done.path
    # Pages of articles that are no longer in the corpus would be stale: remove them.
    for old in art_dir.glob("*.html"):
        if old.name not in written and not old.is_symlink():
            old.unlink()
    _write(result.index, _encode(render.render_index(entries, corpus_title=corpus_title,
                                                     failed=result.failed)))
    _write(result.entities, _encode(render.render_entities(groups, corpus_title=corpus_title)))
    return result


@dataclass(frozen=True)
class _Page:
    """What one article's page needs besides its document."""

    full: Callable[[], Document]
    name: str
    anchors: dict[str, str]
    prev_next: tuple[str | None, str | None]
    tei_href: str | None
    label: str  # its TEI file, for a failure


@dataclass(frozen=True)
class _Written:
    """A page written (its document's id and path), or why it could not be."""

    doc_id: str = ""
    path: Path = Path()
    failure: tuple[str, str] | None = None  # (its TEI file, why)


def _write_pages(pages: list[_Page], art_dir: Path, corpus_title: str) -> list[_Written]:
    done: list[_Written] = []
    for page in pages:
        try:
            doc = page.full()
        except Exception as exc:  # changed or removed since it was listed
            done.append(_Written(failure=(page.label, f"{type(exc).__name__}: {exc}")))
            continue
        html = render.render_article(doc, corpus_title=corpus_title,
                                     entity_anchor=page.anchors, tei_href=page.tei_href,
                                     prev_next=page.prev_next)
        path = art_dir / f"{page.name}.html"
        _write(path, _encode(html))
        done.append(_Written(doc.id, path))
    return done


def _page_names(items: list[Item]) -> list[str]:
    """Each article's page name: its id made safe, ids differing only by case or dropped
    characters told apart by a number."""
    names: list[str] = []
    used: set[str] = set()
    for item in items:
        base = name = render.safe_name(item.entry.doc.id)
        n = 2
        while name.lower() in used:
            name, n = f"{base}-{n}", n + 1
        used.add(name.lower())
        names.append(name)
    return names


def _encode(html: str) -> bytes:
    # A lone surrogate cannot be UTF-8: shown as U+FFFD rather than failing the page.
    return html.encode("utf-8", errors="replace")


def _write(path: Path, data: bytes) -> None:
    """Write only when the content changed, so a rerun leaves the files (and times) alone."""
    try:
        if path.read_bytes() == data:
            return
    except OSError:
        pass
    atomic_write_bytes(path, data)


def _relative_href(target: Path, from_dir: Path) -> str:
    try:
        rel = os.path.relpath(target.resolve(), from_dir.resolve())
    except ValueError:  # another drive
        return target.resolve().as_uri()
    return "/".join(rel.split(os.sep))


XI_INCLUDE = "{http://www.w3.org/2001/XInclude}include"


def corpus_members(path: Path) -> list[Path] | None:
    """The article files a ``<teiCorpus>`` includes, or None when ``path`` is not a corpus."""
    from lxml import etree

    try:
        for _, el in etree.iterparse(str(path), events=("start",), resolve_entities=False,
                                     no_network=True):
            if etree.QName(el).localname != "teiCorpus":
                return None
            break
        root = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
    except (OSError, etree.XMLSyntaxError):
        return None  # build_view reports it
    return [path.parent / href for el in root.iter(XI_INCLUDE) if (href := el.get("href"))]


def expand_paths(args: Iterable[str]) -> list[Path]:
    """TEI article files from the command line, in order, each once.

    A folder stands for its ``*.xml`` (or those of its ``tei/`` folder), a corpus file
    (``<teiCorpus>``) for the articles it includes, a quoted glob for its matches. An
    argument that names nothing raises ``FileNotFoundError``.
    """
    found: list[Path] = []
    for arg in args:
        p = Path(arg)
        if p.is_dir():
            files = sorted(p.glob("*.xml")) or sorted((p / "tei").glob("*.xml"))
        elif p.exists():
            files = [p]
        elif glob.has_magic(arg) and (matches := sorted(glob.glob(arg))):
            files = [Path(x) for x in matches]
        else:  # a usage error, found before anything is written
            raise FileNotFoundError(f"no such file or folder: {arg}")
        for f in files:
            members = corpus_members(f) if f.is_file() else None
            found.extend([f] if members is None else members)
    unique: dict[Path, Path] = {}
    for f in found:
        unique.setdefault(f.resolve(), f)
    return list(unique.values())
