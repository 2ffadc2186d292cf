"""Validation of TEI files: tei_all (RELAX NG) plus the pointer checks no schema does.

* Schema: Debian's ``jing``, one call per 1,000 files (about a second each, mostly the JVM
  and schema load; two calls at once); without jing, lxml's RelaxNG, compiled once per
  process (~17 s).
* A file holding ``xi:include`` (the corpus root) is validated with its includes resolved:
  tei_all rejects an unresolved include.
* Links: every ``#id`` in ``@ref``, ``@corresp``, ``@target`` and ``@ana`` resolves within
  the file (within the resolved corpus for an included article) and no ``xml:id`` repeats.
* Where the bytes were made: :func:`check_file` does an article's own checks (well-formed,
  links, its ids) on its bytes, so that a run's worker can do them and the driver, handed
  the :class:`FileCheck`, never parses that file again (its ids still take part in the
  corpus's checks): at 1,000 articles, ~2 s of the driver's serial work moved to the workers.
"""

from __future__ import annotations

import bisect
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from lxml import etree

from pipeline.errors import ConfigError

DEFAULT_SCHEMA = Path(__file__).parent.parent / "schema" / "tei_all.rng"
POINTER_ATTRS = ("ref", "corresp", "target", "ana")
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
XI_INCLUDE = "{http://www.w3.org/2001/XInclude}include"
ENGINES = ("auto", "jing", "lxml", "none")
JING_TIMEOUT_S = 600

Kind = Literal["schema", "links", "wellformed"]


@dataclass(frozen=True)
class Problem:
    path: str
    line: int | None
    message: str
    kind: Kind

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.kind}: {self.message}"


@dataclass(frozen=True)
class FileCheck:
    """An article's own checks, made on its bytes (:func:`check_file`): the bytes' sha256,
    its xml:ids in document order, and its problems (not well-formed, links)."""

    sha256: str
    ids: tuple[str, ...]
    problems: tuple[Problem, ...] = ()


_IDS = etree.XPath("//@xml:id")
_POINTERS = etree.XPath("|".join(f"//@{a}" for a in POINTER_ATTRS))


def _values(xpath: etree.XPath, tree: etree._ElementTree) -> list[str]:
    """The attribute values an XPath selects (read in C: no Python loop over elements)."""
    found = xpath(tree)
    return [str(v) for v in found] if isinstance(found, list) else []


def check_file(data: bytes, label: str) -> FileCheck:
    """What :func:`validate` checks of one article by itself, on its bytes (no schema)."""
    problems: list[Problem] = []
    tree = _parse_bytes(data, label, problems)
    ids: tuple[str, ...] = ()
    if tree is not None:
        links, ids = _links_and_ids(tree, label)
        problems += links
    return FileCheck(hashlib.sha256(data).hexdigest(), ids, tuple(problems))


def _links_and_ids(tree: etree._ElementTree, label: str,
                   labels: dict[str, str] | None = None) -> tuple[list[Problem], tuple[str, ...]]:
    """An article's link problems and its ids. Read in C (XPath); the element-by-element
    loop of :func:`check_links` runs only when there is a problem to name."""
    ids = tuple(_values(_IDS, tree))
    known = set(ids)
    if len(known) == len(ids) and all(
            target[1:] in known for value in _values(_POINTERS, tree) for target in value.split()
            if target.startswith("#")):
        return [], ids
    return check_links(tree, label, labels), ids


@dataclass
class _Item:
    """One file to check: the tree we checked and the file the schema validator reads."""

    label: str  # the path as the caller gave it
    tree: etree._ElementTree | None  # kept only for a resolved shell (to map lines back)
    file: Path  # the file itself, or its resolved copy
    resolved: bool


def schema_engine(engine: str = "auto") -> str:
    """The validator ``engine`` stands for: "jing", "lxml" or "none"."""
    if engine not in ENGINES:
        raise ConfigError(f"unknown validation engine {engine!r} (one of {', '.join(ENGINES)})")
    if engine == "auto":
        return "jing" if shutil.which("jing") else "lxml"
    if engine == "jing" and not shutil.which("jing"):
        raise ConfigError("jing is not installed (Debian: apt-get install jing)")
    return engine


def validate(
    paths: Sequence[Path | str],
    *,
    schema: Path = DEFAULT_SCHEMA,
    engine: str = "auto",
    known_valid: Iterable[Path | str] = (),
    checked: Mapping[str, FileCheck] | None = None,
    ids: dict[str, tuple[str, ...]] | None = None,
) -> list[Problem]:
    """Problems of all files, in the order of ``paths``; an empty list means all is valid.

    Files are checked one at a time (memory stays flat on large corpora). A corpus root is
    schema-checked as a shell (its header with its first article included: tei_all refuses
    an unresolved include), every article it includes is checked on its own, and ids are
    compared across all of them. ``known_valid``: articles already checked unchanged (the
    runner's cache) whose schema check is skipped; their ids are still compared.
    ``checked``: normalised path -> the article's own checks made where its bytes were made
    (:func:`check_file`): such a file is not parsed here; its problems are reported under
    its path and its ids compared across the corpus (a corpus member given only here is
    not read for its ids). ``ids``: filled with each article's ids (normalised path ->
    ids), for a caller that keeps them.
    """
    engine = schema_engine(engine)
    problems: list[Problem] = []
    labels = {norm_path(p): str(p) for p in paths}
    skip = {norm_path(p) for p in known_valid}
    items: list[_Item] = []
    queued: set[str] = set()
    corpora: list[tuple[Path, etree._ElementTree]] = []
    ids_of: dict[str, tuple[str, ...]] = {  # normalised path -> its ids (corpus checks)
        norm: check.ids for norm, check in (checked or {}).items()
        if not any(p.kind == "wellformed" for p in check.problems)}
    with tempfile.TemporaryDirectory(prefix="tei-validate-") as tmp:
        for path in paths:
            tree = _article(Path(path), labels, checked or {}, ids_of, problems)
            if tree is not None:  # a corpus root
                corpora.append((Path(path), tree))
                continue
            norm = norm_path(path)
            if norm not in skip and norm not in queued and norm in ids_of:  # read, an article
                queued.add(norm)
                items.append(_Item(str(path), None, Path(path), False))
        for n, (path, tree) in enumerate(corpora):
            problems += _check_corpus(path, tree, labels, ids_of)
            shell = _shell(path, tree, Path(tmp) / f"shell-{n}.xml", problems)
            if shell is not None:
                items.append(shell)
            for member in _included_files(tree, path):
                if member not in skip and member not in queued and os.path.exists(member):
                    queued.add(member)
                    items.append(_Item(labels.get(member, member), None, Path(member), False))
        if engine == "jing":
            problems += _jing(items, schema, labels)
        elif engine == "lxml":
            problems += _lxml(items, schema)
    if ids is not None:
        ids.update(ids_of)
    return list(dict.fromkeys(problems))  # an article checked alone and in the corpus


def _article(path: Path, labels: dict[str, str], checked: Mapping[str, FileCheck],
             ids_of: dict[str, tuple[str, ...]], problems: list[Problem],
             ) -> etree._ElementTree | None:
    """An article's own checks (made here, or taken from ``checked``), its ids recorded in
    ``ids_of``; a corpus root (a file with includes) is returned, parsed, for the caller."""
    norm = norm_path(path)
    done = checked.get(norm)
    if done is not None:
        problems += [Problem(str(path), p.line, p.message, p.kind) for p in done.problems]
        if not any(p.kind == "wellformed" for p in done.problems):
            ids_of[norm] = done.ids  # a broken one is read again by the corpus check, as here
        return None
    tree = _parse(path, problems)
    if tree is None:
        return None
    if tree.getroot().find(f".//{XI_INCLUDE}") is not None:
        return tree
    links, ids_of[norm] = _links_and_ids(tree, str(path), labels)
    problems += links
    return None


def _check_corpus(path: Path, tree: etree._ElementTree, labels: dict[str, str],
                  ids_of: dict[str, tuple[str, ...]]) -> list[Problem]:
    """Includes that resolve, ids unique across the corpus, header pointers that resolve.

    The ids of members already read (``ids_of``) are used as they are; the others are
    read here. Only when an id repeats is every member read again, for the lines to name.
    """
    found: list[Problem] = []
    root = tree.getroot()
    header_ids = {el.get(XML_ID) for el in root.iter("*") if el.get(XML_ID)}
    members: list[str] = []
    for el in root.iter(XI_INCLUDE):
        href = el.get("href", "")
        member = norm_path(os.path.join(os.path.dirname(norm_path(path)), href))
        if not href or not os.path.exists(member):
            found.append(Problem(str(path), _line(el),
                                 f"XInclude: {href!r} does not exist", "links"))
            continue
        members.append(member)
    ids, repeats = _member_ids(members, ids_of)
    if repeats:
        ids = _repeated_ids(members, labels, found)
    for el in root.iter("*"):
        if el.tag == XI_INCLUDE:
            continue
        for attr in POINTER_ATTRS:
            for target in (el.get(attr) or "").split():
                if target.startswith("#") and target[1:] not in header_ids and \
                        target[1:] not in ids:
                    message = f"@{attr} {target!r} points to no xml:id in the corpus"
                    found.append(Problem(str(path), _line(el), message, "links"))
    return found


def _member_ids(members: list[str],
                ids_of: dict[str, tuple[str, ...]]) -> tuple[set[str], bool]:
    """Every member's ids, and whether any repeats (or a member does not read: the
    element-by-element reading that follows names the problem and its line)."""
    ids: set[str] = set()
    count = 0
    for member in members:
        mine = ids_of.get(member)
        if mine is None:
            try:
                mine = ids_of[member] = tuple(_values(_IDS, etree.parse(member,
                                                                         _plain_parser())))
            except (OSError, etree.XMLSyntaxError):
                return ids, True
        ids.update(mine)
        count += len(mine)
    return ids, count != len(ids)


def _repeated_ids(members: list[str], labels: dict[str, str],
                  found: list[Problem]) -> set[str]:
    """Each member read again, element by element, to name where an id repeats."""
    ids: dict[str, tuple[str, int | None, int]] = {}
    for n, member in enumerate(members):
        label = labels.get(member, member)
        try:
            for _, item in etree.iterparse(member, events=("start",), huge_tree=True,
                                           resolve_entities=False, no_network=True):
                ident = item.get(XML_ID)
                if ident is None:
                    continue
                first = ids.setdefault(ident, (label, item.sourceline, n))
                if first != (label, item.sourceline, n):
                    message = f"xml:id {ident!r} repeats (first at {first[0]}:{first[1]})"
                    found.append(Problem(label, item.sourceline, message, "links"))
        except etree.XMLSyntaxError as exc:
            found.append(Problem(label, exc.lineno or None, f"XInclude: {exc}", "wellformed"))
    return set(ids)


def _shell(path: Path, tree: etree._ElementTree, copy: Path,
           problems: list[Problem]) -> _Item | None:
    """The corpus root with only its first include, resolved: what tei_all can check."""
    shell = etree.fromstring(etree.tostring(tree), base_url=str(path.resolve()))
    includes = list(shell.iter(XI_INCLUDE))
    for el in includes[1:]:
        parent = el.getparent()
        if parent is not None:
            parent.remove(el)
    resolved = etree.ElementTree(shell)
    try:
        resolved.xinclude()
    except (etree.XIncludeError, etree.XMLSyntaxError):
        return None  # _check_corpus has reported the missing or broken file
    copy.write_bytes(etree.tostring(resolved, encoding="UTF-8", xml_declaration=True))
    return _Item(str(path), resolved, copy, True)


def norm_path(path: Path | str) -> str:
    """A file's path as :func:`validate` keys it (``checked``)."""
    return os.path.normpath(os.path.abspath(path))


def _included_files(tree: etree._ElementTree, path: Path) -> set[str]:
    folder = os.path.dirname(norm_path(path))
    return {
        norm_path(os.path.join(folder, el.get("href", "")))
        for el in tree.getroot().iter(XI_INCLUDE)
        if el.get("parse", "xml") == "xml" and el.get("href")
    }


def _parse(path: Path, problems: list[Problem]) -> etree._ElementTree | None:
    try:
        data = path.read_bytes()
    except OSError as exc:
        problems.append(Problem(str(path), None, f"cannot read the file: {exc}", "wellformed"))
        return None
    return _parse_bytes(data, str(path), problems, base_url=str(path))


def _parse_bytes(data: bytes, label: str, problems: list[Problem],
                 base_url: str = "") -> etree._ElementTree | None:
    parser = _plain_parser()
    try:
        return etree.ElementTree(etree.fromstring(data, parser, base_url=base_url))
    except etree.XMLSyntaxError as exc:
        # parser.error_log is this parse's own (exc.error_log may hold earlier ones)
        errors = [e for e in parser.error_log if e.level >= etree.ErrorLevels.ERROR]
        if errors and all(e.type == etree.ErrorTypes.DTD_ID_REDEFINED for e in errors):
            # libxml2 refuses a repeated xml:id; read it anyway so check_links reports each one
            return etree.ElementTree(etree.fromstring(data, _recovering_parser(),
                                                      base_url=base_url))
        for e in errors:
            problems.append(Problem(label, e.line or None, e.message, "wellformed"))
        if not errors:
            problems.append(Problem(label, exc.lineno or None, str(exc), "wellformed"))
        return None


def _plain_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


def _recovering_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, recover=True)


def _where(el: etree._Element, default: str, labels: dict[str, str]) -> str:
    """The file an element comes from (an included article, inside a resolved corpus)."""
    base = el.base
    if not base:
        return default
    if base.startswith("file://"):
        base = base[len("file://") :]
    return labels.get(norm_path(base), base)


def check_links(
    tree: etree._ElementTree,
    label: str,
    labels: dict[str, str] | None = None,
    *,
    corpus: bool = False,
) -> list[Problem]:
    """Repeated xml:id and ``#id`` pointers (ref, corresp, target, ana) that point nowhere.

    ``corpus``: the tree is a corpus with its includes resolved (the messages say so).
    """
    labels = labels or {}
    scope = "in the corpus" if corpus else "in this file"
    problems: list[Problem] = []
    ids: dict[str, etree._Element] = {}
    elements = list(tree.getroot().iter("*"))
    for el in elements:
        ident = el.get(XML_ID)
        if ident is None:
            continue
        first = ids.setdefault(ident, el)
        if first is not el:
            there = _where(first, label, labels)
            message = f"xml:id {ident!r} repeats (first at {there}:{_line(first)})"
            problems.append(Problem(_where(el, label, labels), _line(el), message, "links"))
    for el in elements:
        for attr in POINTER_ATTRS:
            for target in (el.get(attr) or "").split():
                if target.startswith("#") and target[1:] not in ids:
                    message = f"@{attr} {target!r} points to no xml:id {scope}"
                    where = _where(el, label, labels)
                    problems.append(Problem(where, _line(el), message, "links"))
    return problems


_JING_LINE = re.compile(r":(\d+):(\d+): (error|fatal|warning): (.*)")


#: Files per jing call: one JVM start and schema load (~1 s) per call; its memory grows
#: with the files (~160 MB at 1,000 with the options below); two calls run at once.
JING_CHUNK = 1000
#: A jing call is short: the client compiler alone and the serial collector halve its CPU
#: (1,000 articles: 2.2 CPU-s, 160 MB, against 4.6 CPU-s, 310 MB with the JVM's defaults).
JING_JAVA_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"


def _jing_call(files: list[str], schema: Path) -> tuple[int, str, str]:
    env = dict(os.environ)
    env["JAVA_TOOL_OPTIONS"] = f"{env.get('JAVA_TOOL_OPTIONS', '')} {JING_JAVA_OPTIONS}".strip()
    try:
        proc = subprocess.run(["jing", str(schema), *files], capture_output=True, text=True,
                              timeout=JING_TIMEOUT_S, check=False, env=env)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return -1, "", f"jing did not run: {exc}"
    return proc.returncode, proc.stdout, proc.stderr


def _jing_chunks(names: list[str]) -> list[list[str]]:
    """At most JING_CHUNK files per call, the calls of even size."""
    calls = -(-len(names) // JING_CHUNK)
    size = -(-len(names) // calls)
    return [names[i : i + size] for i in range(0, len(names), size)]


def _jing(items: list[_Item], schema: Path, labels: dict[str, str]) -> list[Problem]:
    if not items:
        return []
    by_file = {os.path.abspath(it.file): it for it in items}
    names = list(by_file)
    chunks = _jing_chunks(names)
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = list(pool.map(lambda c: _jing_call(c, schema), chunks))
    returncode = max(r[0] for r in runs) if all(r[0] >= 0 for r in runs) else -1
    stdout = "\n".join(r[1] for r in runs)
    stderr = "\n".join(r[2] for r in runs)
    problems: list[Problem] = []
    lines_by_item: dict[str, list[tuple[int, str]]] = {}
    for line in stdout.splitlines():
        # the file name may hold colons: match the files we gave, longest first
        for name in sorted(by_file, key=len, reverse=True):
            if line.startswith(name + ":"):
                m = _JING_LINE.match(line, len(name))
                if m:
                    lines_by_item.setdefault(name, []).append((int(m[1]), m[4]))
                break
    for name, found in lines_by_item.items():
        it = by_file[name]
        if it.resolved:
            problems += _resolved_problems(it, found, labels)
        else:
            problems += [Problem(it.label, line, msg, "schema") for line, msg in found]
    if returncode != 0 and not problems:
        noise = [x for x in stderr.splitlines()
                 if x and not x.startswith(("[warning]", "Picked up JAVA_TOOL_OPTIONS"))]
        detail = " ".join(noise + stdout.splitlines())[:500] or f"exit {returncode}"
        problems.append(Problem(str(schema), None, f"jing failed: {detail}", "schema"))
    return problems


def _resolved_problems(
    it: _Item, found: Iterable[tuple[int, str]], labels: dict[str, str]
) -> list[Problem]:
    """Map lines of the resolved copy back to the file (and line) each element came from."""
    copy = etree.parse(str(it.file), _recovering_parser())  # ids may repeat across articles
    copied = list(copy.iter())
    tree = it.tree
    assert tree is not None  # a parsed file
    original = list(tree.iter())
    starts = [el.sourceline or 0 for el in copied]  # non-decreasing in document order
    problems = []
    for line, message in found:
        k = max(bisect.bisect_right(starts, line) - 1, 0)
        el = original[k] if k < len(original) else tree.getroot()
        where = _where(el, it.label, labels)
        problems.append(Problem(where, _line(el), message, "schema"))
    return problems


@cache
def _relaxng(schema: str) -> etree.RelaxNG:
    """Compile once per process (tei_all takes ~17 s in libxml2)."""
    return etree.RelaxNG(etree.parse(schema))


def _lxml(items: list[_Item], schema: Path) -> list[Problem]:
    if not items:
        return []
    rng = _relaxng(str(Path(schema).resolve()))
    problems = []
    for it in items:
        tree = it.tree if it.tree is not None else etree.parse(str(it.file), _recovering_parser())
        if rng.validate(tree):
            continue
        for e in rng.error_log:
            if it.resolved:
                message = f"(corpus with includes resolved, line {e.line}) {e.message}"
                problems.append(Problem(it.label, None, message, "schema"))
            else:
                problems.append(Problem(it.label, e.line, e.message, "schema"))
    return problems


def _line(el: etree._Element) -> int | None:
    """The element's line in its file (None when lxml does not know it)."""
    line = el.sourceline
    return line if isinstance(line, int) else None
