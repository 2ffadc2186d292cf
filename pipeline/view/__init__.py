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
import hashlib
import json
import logging
import os
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

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
               corpus_title: str | None = None, *, memo: Path | None = None,
               shas: Mapping[str, str] | None = None, jobs: int = 1) -> ViewResult:
    """Read the TEI files and write the view into ``out_dir``.

    A file that cannot be read is listed on the index page and in ``ViewResult.failed``;
    the others are still written. With ``memo`` (a file, :class:`Memo`), only the files
    whose bytes changed since the view it records are read, and only the pages whose
    inputs changed are written: the same bytes as a whole view, in the time of what
    changed (``shas``: the files' sha256 by path where the caller knows them).
    """
    record = None if memo is None else Memo.load(memo, Path(out_dir))
    items, failed = scan_documents(tei_paths, jobs, record, shas)
    result = write_items(items, out_dir, corpus_title=corpus_title, failed=failed, jobs=jobs,
                         memo=record)
    if record is not None:
        record.save()
    return result


@dataclass
class Item:
    """One article of the view: where its TEI is, its light entry (the index's), and how
    to get the whole document again when its page is written."""

    tei: Path | None
    entry: render.ArticleEntry  # its href is set on writing
    full: Callable[[], Document]
    sha256: str = ""  # of the TEI bytes the entry was made from ("": not known)


def scan_documents(tei_paths: Iterable[str | os.PathLike[str]], jobs: int = 1,
                   memo: Memo | None = None, shas: Mapping[str, str] | None = None,
                   ) -> tuple[list[Item], list[tuple[str, str]]]:
    """Each file read back with ``read_tei`` (each once, in path order) and kept as its
    light entry, and the files that could not be read with why. The pages are written
    from a second reading, one file at a time: the view of 100,000 articles never holds
    them all (a whole document is ≈ 0.35 MB in memory). Reading comes first so that a
    caller can leave an existing view alone when nothing could be read. ``jobs``:
    processes reading (0: one per core; the result is that of one). With ``memo``, a file
    whose bytes (``shas``: their sha256 by path, where the caller knows them) are those the
    memo records is not read: its entry is the memo's."""
    from pipeline.run.plan import sha256_file

    items: list[Item] = []
    failed: list[tuple[str, str]] = []
    todo: list[Path] = []
    for path in _unique(tei_paths):  # a file that cannot be read: "", then the scan says why
        sha = ((shas or {}).get(str(path)) or sha256_file(path) or "") if memo is not None else ""
        known = memo.entry(path, sha) if memo is not None else None
        if known is None:
            todo.append(path)
        else:
            items.append(Item(path, known, functools.partial(_read, path, sha), sha))
    for chunk in ordered_map(_scan, chunks(todo, CHUNK), jobs, "view"):
        for got in chunk:
            if isinstance(got, Item):
                items.append(got)
            else:
                failed.append(got)
    return items, failed


def _unique(tei_paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Each file once, in path order."""
    unique = {_resolved(Path(p)): Path(p) for p in tei_paths}
    return sorted(unique.values(), key=str)


def _scan(paths: list[Path]) -> list[Item | tuple[str, str]]:
    from pipeline.tei.codec import read_tei

    done: list[Item | tuple[str, str]] = []
    for p in paths:
        try:
            data = p.read_bytes()
            doc = read_tei(data)
        except Exception as exc:  # one bad file must not lose the others
            log.warning("view: cannot read %s: %s", p, exc)
            done.append((str(p), f"{type(exc).__name__}: {exc}"))
            continue
        sha = hashlib.sha256(data).hexdigest()
        done.append(Item(p, render.ArticleEntry.of(doc), functools.partial(_read, p, sha), sha))
    return done


def _read(path: Path, sha: str) -> Document:
    """The whole document, for its page: the bytes its entry was made from, or an error."""
    from pipeline.tei.codec import read_tei

    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != sha:
        raise OSError(f"{path} changed while the view was written")
    return read_tei(data)


def write_view(docs: list[tuple[Path | None, Document]], out_dir: str | os.PathLike[str],
               corpus_title: str | None = None,
               failed: list[tuple[str, str]] | None = None) -> ViewResult:
    """Write the pages for documents already in memory (read with ``read_tei``, or made).

    Each item is (the TEI file it was read from or None, the document).
    """
    items = [Item(tei, render.ArticleEntry.of(doc), functools.partial(_same, doc))
             for tei, doc in docs]
    return write_items(items, out_dir, corpus_title=corpus_title, failed=failed)


def _same(doc: Document) -> Document:
    return doc


def write_items(items: list[Item], out_dir: str | os.PathLike[str],
                corpus_title: str | None = None,
                failed: list[tuple[str, str]] | None = None, jobs: int = 1,
                memo: Memo | None = None) -> ViewResult:
    """Write the index pages from the items' entries, then each article's page from its
    whole document, one at a time (``jobs``: processes writing pages, 0: one per core;
    only for items read from files). A file that can no longer be read for its page
    (changed since) is listed with the files that could not be read. With ``memo``, a
    page whose inputs are those it records (:func:`_page_key`) and that is there is left
    as it is, and the memo is brought up to date (the caller saves it)."""
    corpus_title = corpus_title or default_title()
    out = safe_output_dir(Path(out_dir))
    art_dir = safe_output_dir(out / "articles")
    static = safe_output_dir(out / "static")
    for name in STATIC_FILES:
        _write(static / name, (STATIC_DIR / name).read_bytes())

    items = sorted(items, key=lambda item: (item.entry.id, str(item.tei or "")))
    names = _page_names(items)
    entries = [replace(item.entry, href=f"articles/{name}.html")
               for item, name in zip(items, names, strict=True)]

    groups = render.group_records(entries)
    result = ViewResult(index=out / "index.html", entities=out / "entities.html",
                        failed=list(failed or []))
    pages = _pages(items, entries, names, groups, art_dir)
    keys = [_page_key(item, page, corpus_title) for item, page in zip(items, pages, strict=True)]
    written: set[str] = set()
    todo: list[_Page] = []
    for item, entry, page, key in zip(items, entries, pages, keys, strict=True):
        path = art_dir / f"{page.name}.html"
        if memo is not None and memo.unchanged(item, key, path):
            written.add(path.name)
            result.articles[entry.id] = path
        else:
            todo.append(page)
    write = functools.partial(_write_pages, art_dir=art_dir, corpus_title=corpus_title)
    for chunk in ordered_map(write, chunks(todo, CHUNK), jobs, "view"):
        for done in chunk:
            if done.failure is not None:
                result.failed.append(done.failure)
            else:
                written.add(done.path.name)
                result.articles[done.doc_id] = done.path
    if memo is not None:
        memo.update([(item, entry, key, result.articles[entry.id])
                     for item, entry, key in zip(items, entries, keys, strict=True)
                     if entry.id in result.articles])
    # Pages of articles that are no longer in the corpus would be stale: remove them.
    for old in art_dir.glob("*.html"):
        if old.name not in written and not old.is_symlink():
            old.unlink()
    _write(result.index, _encode(render.render_index(entries, corpus_title=corpus_title,
                                                     failed=result.failed)))
    _write(result.entities, _encode(render.render_entities(groups, corpus_title=corpus_title)))
    return result


def _pages(items: list[Item], entries: list[render.ArticleEntry], names: list[str],
           groups: list[render.EntityGroup], art_dir: Path) -> list[_Page]:
    """What each article's page needs besides its document, in the items' order."""
    anchors: dict[str, dict[str, str]] = {}  # article href -> record id -> index anchor
    for g in groups:
        for href, _doc_id, _title, ref, _n in g.articles:
            anchors.setdefault(href, {})[ref] = g.anchor
    return [_Page(item.full, names[i], anchors.get(entry.href, {}),
                  (f"{names[i - 1]}.html" if i > 0 else None,
                   f"{names[i + 1]}.html" if i + 1 < len(names) else None),
                  _relative_href(item.tei, art_dir) if item.tei is not None else None,
                  str(item.tei))
            for i, (item, entry) in enumerate(zip(items, entries, strict=True))]


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


def _page_key(item: Item, page: _Page, corpus_title: str) -> str:
    """What an article's page is made from besides the code: its TEI bytes, its name, its
    links to the entity index and to its neighbours, the corpus title. "" when the bytes
    are not known (a document given in memory): such a page is always written."""
    if not item.sha256:
        return ""
    data = [item.sha256, page.name, sorted(page.anchors.items()), list(page.prev_next),
            page.tei_href, corpus_title]
    return hashlib.sha256(json.dumps(data, ensure_ascii=False).encode()).hexdigest()


class Memo:
    """What a view was made from, kept by a run (``OUTPUT/.cache/view.json``): per TEI file
    (by its path relative to the view folder) its sha256, its index entry and its page's
    key. A run that adds one article to 100,000 then reads one file and writes a few pages,
    where a whole view takes ≈ 16 s per 1,000 articles on one core (≈ 26 min). The code's
    fingerprint is part of it: other code, and every file is read and every page written
    again. A memo that cannot be read counts as none."""

    VERSION = 1

    def __init__(self, path: Path, out_dir: Path, files: dict[str, dict[str, Any]],
                 code: str) -> None:
        self.path = path
        self.root = out_dir.resolve()
        self.files = files
        self.code = code
        self._names: dict[Path, str] = {}  # resolving 100,000 paths three times is 20 s
        self._served: set[str] = set()  # names whose entry came from here (kept as read)

    @classmethod
    def load(cls, path: Path, out_dir: Path) -> Memo:
        from pipeline.run.plan import code_fingerprint  # plan's imports reach this module

        code = code_fingerprint()
        files: dict[str, dict[str, Any]] = {}
        try:
            data = json.loads(path.read_bytes())
            if (isinstance(data, dict) and data.get("version") == cls.VERSION
                    and data.get("code") == code and isinstance(data.get("files"), dict)):
                files = {k: v for k, v in data["files"].items()
                         if isinstance(v, dict) and isinstance(v.get("sha256"), str)
                         and isinstance(v.get("key"), str) and isinstance(v.get("entry"), dict)}
        except (OSError, ValueError):
            pass
        return cls(path, out_dir, files, code)

    def _name(self, tei: Path) -> str:
        name = self._names.get(tei)
        if name is None:
            name = self._names[tei] = os.path.relpath(_resolved(tei), self.root).replace(
                os.sep, "/")
        return name

    def entry(self, tei: Path, sha: str) -> render.ArticleEntry | None:
        """The entry made from these bytes of ``tei``, if recorded."""
        known = self.files.get(self._name(tei))
        if not sha or known is None or known["sha256"] != sha:
            return None
        try:
            entry = render.ArticleEntry.from_json(known["entry"])
        except ValueError:
            return None
        self._served.add(self._name(tei))
        return entry

    def unchanged(self, item: Item, key: str, page: Path) -> bool:
        """Whether ``page`` is the one written from ``key``'s inputs: recorded with that
        key, and its file as it was left (size and time: a page another command wrote
        since is written again)."""
        known = self.files.get(self._name(item.tei)) if item.tei is not None else None
        stamp = _stamp(page)
        return (bool(key) and known is not None and known["key"] == key
                and stamp is not None and known.get("page") == stamp)

    def update(self, done: list[tuple[Item, render.ArticleEntry, str, Path]]) -> None:
        """Record the pages now written: the files not among them are forgotten."""
        files: dict[str, dict[str, Any]] = {}
        for item, entry, key, page in done:
            if item.tei is None or not key:
                continue
            name = self._name(item.tei)
            old = self.files.get(name)
            raw = (old["entry"] if name in self._served and old is not None
                   and old["sha256"] == item.sha256 else entry.to_json())
            files[name] = {"sha256": item.sha256, "key": key, "page": _stamp(page),
                           "entry": raw}
        self.files = files

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"version": self.VERSION, "code": self.code, "files": dict(sorted(
            self.files.items()))}
        atomic_write_bytes(self.path, json.dumps(data, ensure_ascii=False,
                                                 separators=(",", ":")).encode())


def _stamp(path: Path) -> list[int] | None:
    """A file's size and modification time (ns), None when it is not there."""
    try:
        st = path.stat()
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]


def _page_names(items: list[Item]) -> list[str]:
    """Each article's page name: its id made safe, ids differing only by case or dropped
    characters told apart by a number."""
    names: list[str] = []
    used: set[str] = set()
    for item in items:
        base = name = render.safe_name(item.entry.id)
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


def _resolved(path: Path) -> Path:
    """``path.resolve()``, its folder resolved once for all its files: resolving each of
    10,000 paths took 1.2 s (a TEI file is not itself a link: the run writes files)."""
    return _resolved_dir(path.parent) / path.name


@functools.lru_cache(maxsize=256)
def _resolved_dir(folder: Path) -> Path:
    return folder.resolve()


def _relative_href(target: Path, from_dir: Path) -> str:
    try:
        rel = os.path.relpath(_resolved(target), _resolved_dir(from_dir))
    except ValueError:  # another drive
        return _resolved(target).as_uri()
    return "/".join(rel.split(os.sep))


XI_INCLUDE = "{http://www.w3.org/2001/XInclude}include"


def corpus_members(path: Path) -> list[Path] | None:
    """The article files a ``<teiCorpus>`` includes, or None when ``path`` is not a corpus."""
    from lxml import etree

    try:
        if _root_name(path) != "teiCorpus":
            return None
        root = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
    except (OSError, etree.XMLSyntaxError):
        return None  # build_view reports it
    return [path.parent / href for el in root.iter(XI_INCLUDE) if (href := el.get("href"))]


def _root_name(path: Path) -> str | None:
    """The local name of a file's first element, read a little at a time: an article's
    header is tens of KB, and a folder of 100,000 of them is looked at for a corpus file."""
    from lxml import etree

    parser = etree.XMLPullParser(events=("start",), resolve_entities=False, no_network=True)
    with path.open("rb") as f:
        while piece := f.read(1024):
            parser.feed(piece)
            for _, el in parser.read_events():
                return str(etree.QName(el).localname) if isinstance(el, etree._Element) else None
    return None


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
