"""What goes into a bag's ``data/``: the output folder, the original inputs, an inventory.

The payload mirrors the output folder so that every relative link inside it still works
in the bag (``corpus.xml`` includes ``tei/<id>.xml``; the reading view links to
``../tei/<id>.xml``)::

    data/corpus.xml, data/tei/*.xml        the corpus and one TEI file per article
    data/report.json                       the run's report
    data/index.html, entities.html, articles/, static/   the reading view, when present
    data/exports/                          annotation-tool exports, when present
    data/<any other folder the run wrote>  e.g. raw HTML/WARC originals kept beside the TEI
    data/sources/<recorded path>           each article's input file, byte for byte
    data/inventory.csv                     one row per article (see INVENTORY_FIELDS)

Left out: hidden entries (``.cache/``, ``.lock``, temporary files), ``bench/``
(benchmark tables describe a machine, not the corpus) and files at the top of the output
folder that no command writes there (the repository's ``output/README.md`` and
screenshots, a user's notes): every folder the run and its commands write is taken whole.

Before anything is copied the output must tell one story: the TEI files in ``tei/``,
the articles ``corpus.xml`` includes and the articles ``report.json`` lists as written
are the same set, and each input file still has the bytes the run read (sha256); else
:class:`ArchiveError`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from lxml import etree

from pipeline.errors import ConfigError
from pipeline.tei.codec import NS, XML_ID

#: Top-level folders of the output that are not part of the corpus.
EXCLUDED = frozenset({"bench"})
#: The files the pipeline's commands write at the top of the output folder.
TOP_FILES = frozenset({"corpus.xml", "report.json", "index.html", "entities.html"})
SOURCES = "sources"
INVENTORY = "inventory.csv"
INVENTORY_FIELDS = ("id", "title", "date", "outlet", "url", "format", "source_file",
                    "source_path", "source_sha256", "raw_file", "tei_file", "tei_sha256",
                    "engines")
#: Report statuses of documents whose TEI file is in ``tei/`` after the run.
WRITTEN = frozenset({"ok", "skipped", "kept"})
_BLOCK = 1 << 20


class ArchiveError(ConfigError):
    """The output cannot be archived as it is (exit status 2); the message says why."""

    code = "archive"


@dataclass(frozen=True)
class Article:
    """One article as its TEI header describes it (what the inventory needs)."""

    id: str
    tei: Path
    title: str
    date: str
    outlet: str
    source_path: str  # as recorded in the TEI (relative to the input root)
    source_name: str
    source_sha256: str
    engines: tuple[str, ...]
    url: str = ""
    format: str = "text"
    raw: str = ""  # the raw copy kept beside the TEI, relative to tei/ ("../raw/<id>.html")


@dataclass
class Payload:
    """Files to copy: bag-relative path under ``data/`` -> file on disk; plus generated ones."""

    files: dict[str, Path] = field(default_factory=dict)
    generated: dict[str, bytes] = field(default_factory=dict)
    articles: list[Article] = field(default_factory=list)

    def add(self, rel: str, path: Path) -> None:
        if rel in self.files or rel in self.generated:
            raise ArchiveError(f"internal: two files for data/{rel}")
        self.files[rel] = path


def sha256_file(path: Path) -> str:
    """SHA-256 of a file, read in blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(_BLOCK):
            h.update(block)
    return h.hexdigest()


def read_article(path: Path) -> Article:
    """Read the header fields the inventory lists from a TEI article."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    try:
        root = etree.parse(str(path), parser).getroot()
    except (OSError, etree.XMLSyntaxError) as exc:
        raise ArchiveError(f"{path}: cannot be read as XML: {exc}") from exc
    header = root.find("tei:teiHeader", NS)
    bibl = root.find("tei:teiHeader/tei:fileDesc/tei:sourceDesc/tei:bibl", NS)
    if header is None or bibl is None:
        raise ArchiveError(f"{path}: not a TEI article written by the pipeline (no sourceDesc)")

    def text(where: str) -> str:
        el = bibl.find(where, NS)
        return "".join(str(t) for t in el.itertext()).strip() if el is not None else ""

    ptr = bibl.find("tei:ptr[@type='URL']", NS)
    raw = bibl.find("tei:ptr[@type='raw']", NS)
    date_el = bibl.find("tei:date", NS)
    date = (date_el.get("when") or date_el.get("n") or "") if date_el is not None else ""
    engines = tuple(dict.fromkeys(  # each program once, in the header's order
        f"{app.get('ident', '')} {app.get('version', '')}".strip()
        for app in header.iterfind("tei:encodingDesc/tei:appInfo/tei:application", NS)))
    return Article(id=root.get(XML_ID, ""), tei=path, title=text("tei:title"), date=date,
                   outlet=text("tei:publisher"), source_path=text("tei:idno[@type='path']"),
                   source_name=text("tei:idno[@type='filename']"),
                   source_sha256=text("tei:idno[@type='sha256']"), engines=engines,
                   url=ptr.get("target", "") if ptr is not None else text("tei:idno[@type='URL']"),
                   format=text("tei:note[@type='format']") or "text",
                   raw=raw.get("target", "") if raw is not None else "")


def corpus_members(corpus: Path) -> list[str]:
    """The article files ``corpus.xml`` includes, as paths relative to its folder."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    try:
        root = etree.parse(str(corpus), parser).getroot()
    except (OSError, etree.XMLSyntaxError) as exc:
        raise ArchiveError(f"{corpus}: cannot be read: {exc}") from exc
    return [href for el in root.iter(f"{{{NS['xi']}}}include") if (href := el.get("href"))]


def check_consistent(output: Path) -> list[Path]:
    """The TEI files of the output, after checking that corpus and report agree with them."""
    tei_dir = output / "tei"
    tei = sorted(p for p in tei_dir.glob("*.xml") if not p.name.startswith(".")) \
        if tei_dir.is_dir() else []
    if not tei:
        raise ArchiveError(f"{output}: no TEI files in {tei_dir}; run the pipeline first")
    names = {f"tei/{p.name}" for p in tei}
    problems: list[str] = []
    corpus = output / "corpus.xml"
    included = set(corpus_members(corpus)) if corpus.is_file() else set()
    if not corpus.is_file():
        problems.append("corpus.xml is missing")
    problems += [f"corpus.xml includes {h}, which is not in tei/" for h in sorted(included - names)]
    problems += [f"corpus.xml leaves out {n}" for n in sorted(names - included)]
    reported = _reported_outputs(output / "report.json", problems)
    if reported is not None:
        problems += [f"report.json does not list {n}" for n in sorted(names - reported)]
        problems += [f"report.json lists {n}, which is not in tei/" for n in
                     sorted(reported - names)]
    if problems:
        raise ArchiveError(f"{output} does not tell one story (rerun the pipeline into it, "
                           "with --prune to drop documents whose input is gone):\n  "
                           + "\n  ".join(problems))
    return tei


def _reported_outputs(report: Path, problems: list[str]) -> set[str] | None:
    try:
        data = json.loads(report.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        problems.append(f"report.json cannot be read: {exc}")
        return None
    found: set[str] = set()
    for doc in data.get("documents", []):
        if doc.get("status") in WRITTEN and doc.get("id"):
            found.add(f"tei/{doc['id']}.xml")
    return found


def output_files(output: Path) -> Iterable[tuple[str, Path]]:
    """(bag-relative path, file) for every file of the output folder the bag holds."""
    for root, dirs, files in os.walk(output, followlinks=False):
        here = Path(root)
        rel_dir = here.relative_to(output)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                         and not (rel_dir == Path(".") and d in EXCLUDED))
        for d in dirs:
            if (here / d).is_symlink():
                raise ArchiveError(f"{here / d}: a symbolic link in the output; not archived")
        for name in sorted(files):
            path = here / name
            if name.startswith(".") or (rel_dir == Path(".") and name not in TOP_FILES):
                continue
            if path.is_symlink() or not path.is_file():
                raise ArchiveError(f"{path}: not a plain file; the output holds only files")
            yield (rel_dir / name).as_posix(), path


@dataclass(frozen=True)
class Recorded:
    """Where the run found an article's input file, and that file's sha256."""

    path: str
    sha256: str


def load_sources(output: Path) -> dict[str, Recorded]:
    """Document id -> its input file, as the run's manifest (``.cache/``) recorded it."""
    try:
        data: dict[str, Any] = json.loads((output / ".cache" / "manifest.json")
                                          .read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    found: dict[str, Recorded] = {}
    for doc_id, entry in data.get("documents", {}).items():
        where = entry.get("source")
        if isinstance(where, str) and where:
            found[doc_id] = Recorded(where, str(entry.get("source_sha256") or ""))
    return found


def find_source(article: Article, inputs: Path | None,
                recorded: dict[str, Recorded]) -> tuple[Path, str] | None:
    """The input file of an article and its sha256, when it has the bytes the run read.

    A text or HTML file has the sha256 its TEI records; a WARC or JSON lines file (the TEI
    records its record's) has the sha256 the run's manifest recorded for the whole file.
    """
    seen = recorded.get(article.id)
    expected = {article.source_sha256} | ({seen.sha256} if seen else set())
    expected.discard("")
    candidates: list[Path] = []
    if inputs is not None and article.source_path:
        candidates.append(inputs / article.source_path)
    if seen is not None:
        candidates.append(Path(seen.path))
    for path in candidates:
        try:
            digest = sha256_file(path) if path.is_file() else ""
        except OSError:
            continue
        if digest in expected:
            return path, digest
    return None


def source_name(article: Article, digest: str, taken: dict[str, str]) -> str:
    """Bag path of an article's input: ``sources/<recorded path>`` (shared by the records
    of one WARC or JSON lines file), else ``sources/<id>/<name>`` when another file has it."""
    rel = PurePosixPath(article.source_path or article.source_name)
    safe = not rel.is_absolute() and ".." not in rel.parts and rel.parts
    name = f"{SOURCES}/{rel.as_posix()}" if safe else ""
    if not name or taken.get(name.lower(), digest) != digest:
        name = f"{SOURCES}/{article.id}/{rel.name or 'input'}"
    taken[name.lower()] = digest
    return name


def inventory_csv(rows: list[dict[str, str]]) -> bytes:
    """The inventory as CSV (UTF-8, ``\\n`` line ends, a header row)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=INVENTORY_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def collect(output: Path, inputs: Path | None = None) -> Payload:
    """Everything the bag's ``data/`` holds; ArchiveError when the output is not whole."""
    output = Path(output)
    tei = check_consistent(output)
    payload = Payload()
    for rel, path in output_files(output):
        if rel.startswith(f"{SOURCES}/") or rel == INVENTORY:
            raise ArchiveError(f"{output}/{rel}: this name is the archive's own; move it away")
        payload.add(rel, path)
    recorded = load_sources(output)
    taken: dict[str, str] = {rel.lower(): "" for rel in payload.files}
    rows: list[dict[str, str]] = []
    missing: list[str] = []
    for path in tei:
        article = read_article(path)
        payload.articles.append(article)
        found = find_source(article, inputs, recorded)
        if found is None:
            missing.append(f"{article.id}: {article.source_path or article.source_name} "
                           f"(sha256 {article.source_sha256[:12]}…)")
            continue
        name = source_name(article, found[1], taken)
        if name not in payload.files:
            payload.add(name, found[0])
        rows.append(_row(article, name, found[1], path))
    if missing:
        raise ArchiveError("the input files of these articles are not found with the bytes "
                           "their TEI records (give the input folder with --inputs, or "
                           "rerun the pipeline with --prune):\n  " + "\n  ".join(missing))
    payload.generated[INVENTORY] = inventory_csv(rows)
    return payload


def _raw_file(target: str) -> str:
    """The bag path of a raw copy the TEI points at (relative to ``tei/``), or ""."""
    if not target:
        return ""
    path = PurePosixPath("tei") / target
    parts: list[str] = []
    for part in path.parts:
        if part == "..":
            if parts:
                parts.pop()
        elif part != ".":
            parts.append(part)
    return f"data/{'/'.join(parts)}"


def _row(article: Article, source_file: str, digest: str, tei: Path) -> dict[str, str]:
    return {
        "id": article.id, "title": article.title, "date": article.date,
        "outlet": article.outlet, "url": article.url, "format": article.format,
        "source_file": f"data/{source_file}", "source_path": article.source_path,
        "source_sha256": digest, "raw_file": _raw_file(article.raw),
        "tei_file": f"data/tei/{tei.name}", "tei_sha256": sha256_file(tei),
        "engines": "; ".join(article.engines),
    }
