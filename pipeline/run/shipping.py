"""Input bytes that travel with a task, for workers that cannot read the driver's files.

A :class:`~pipeline.run.worker.Task` names where its document's bytes are (a file, a WARC
record, a JSON line). The local executors read them there; a Dask worker on another machine
cannot. So the driver reads, for each task, exactly the bytes its reader will read
(:func:`pack`), and the worker lays them out in a private folder under the same absolute
path, at the same offsets (:func:`unpacked`), before the ordinary readers run. Nothing about
a document changes: the file's name, the record's offset in its container (both appear in
notes and messages) and the size a limit is checked against (a file over a reader's limit
travels as its first bytes plus its size, and is refused exactly as here) are those of the
driver's file; the path the TEI records is the task's relative one (``Task.rel``).

An item of a JSON list travels alone (:func:`pipeline.ingest.jsonl.item_to_ship`), not
with the whole list: the worker lays out a list holding it at its index (``null`` at the
others), so its reader finds the same value at the same item number. A list of 10,000
articles would otherwise send the whole file 10,000 times.

Sidecar metadata tables travel once per run (:class:`Tables`) and are laid out in the same
folder, so a table's rows find their files by path as they do on the driver.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from pipeline.ingest import files, html, jsonl, sniff, warc
from pipeline.ingest.units import Options
from pipeline.run.worker import Task

#: The most each whole-file reader reads before refusing by size; more never travels.
READ_LIMITS = {sniff.HTML: html.MAX_HTML_BYTES + 1, sniff.JSONL: jsonl.MAX_JSON_BYTES + 1}
#: ``Shipped.at`` of an item of a JSON list: ``data`` is the item, ``size`` its index.
LIST_ITEM = -1


@dataclass(frozen=True)
class Shipped:
    """A task with the bytes its reader reads: ``data`` sits at ``at`` in a file of ``size``
    (or, with ``at`` = :data:`LIST_ITEM`, is item number ``size`` of a JSON list)."""

    task: Task
    data: bytes
    at: int
    size: int


@dataclass(frozen=True)
class Tables:
    """The run's sidecar tables: driver path -> bytes (sent once to each worker)."""

    tables: tuple[tuple[str, bytes], ...]

    @property
    def digest(self) -> str:
        h = hashlib.sha256()
        for path, data in self.tables:
            h.update(f"{path}\0{len(data)}\0".encode() + data)
        return h.hexdigest()[:16]


def pack_tables(options: Options) -> Tables:
    return Tables(tuple((str(_absolute(t)), Path(t).read_bytes()) for t in options.tables))


def pack(task: Task) -> Shipped:
    """The bytes of the task's document as its reader will read them (driver side)."""
    unit = task.unit
    path = Path(unit.path)
    if unit.error is not None:  # it fails on its listing error without reading
        return Shipped(task, b"", 0, 0)
    try:
        size = path.stat().st_size
        if unit.format in (sniff.WARC, sniff.JSONL) and unit.offset >= 0:
            limit = warc.MAX_RECORD_BYTES if unit.format == sniff.WARC else files.MAX_BYTES
            if unit.length > limit:  # refused by its length, unread
                return Shipped(task, b"", 0, size)
            return Shipped(task, _read(path, unit.offset, unit.length), unit.offset, size)
        if unit.format == sniff.JSONL:  # an item of a list: alone, when the list reads
            item = jsonl.item_to_ship(path, unit.line)
            if item is not None:
                return Shipped(task, item, LIST_ITEM, unit.line - 1)
        whole = READ_LIMITS.get(unit.format, files.MAX_BYTES + 1)  # a .json list: all of it
        return Shipped(task, _read(path, 0, whole), 0, size)
    except OSError:  # unreadable here: the worker's reader says so in the document's error
        return Shipped(task, b"", 0, -1)


def _read(path: Path, at: int, length: int) -> bytes:
    with open(path, "rb") as fh:
        fh.seek(at)
        return fh.read(length)


def _absolute(path: str | Path) -> Path:
    return Path(os.path.abspath(path))


def _mirror(root: Path, path: str | Path) -> Path:
    return root / _absolute(path).relative_to("/")


@contextmanager
def unpacked(shipped: list[Shipped], tables: Tables, base: Path) -> Iterator[list[Task]]:
    """The tasks, their bytes laid out under ``base`` (worker side); removed afterwards.

    Not safe for two chunks at once in one folder: the Dask worker function holds a
    process-wide lock around it.
    """
    root = base / tables.digest
    for path, data in tables.tables:
        target = _mirror(root, path)
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    table_paths = tuple(str(_mirror(root, p)) for p, _ in tables.tables)
    written: set[Path] = set()
    lists: dict[Path, dict[int, bytes]] = {}
    tasks = []
    try:
        for item in shipped:
            tasks.append(_lay_out(item, root, table_paths, written, lists))
        for target, items in lists.items():
            _write_list(target, items)
        yield tasks
    finally:
        for p in written:
            p.unlink(missing_ok=True)


def _lay_out(item: Shipped, root: Path, table_paths: tuple[str, ...],
             written: set[Path], lists: dict[Path, dict[int, bytes]]) -> Task:
    task = item.task
    target = _mirror(root, task.unit.path)
    options = replace(task.options, tables=table_paths)
    if item.at == LIST_ITEM:  # written once every item of the chunk is known
        lists.setdefault(target, {})[item.size] = item.data
        written.add(target)
    elif item.size >= 0 and task.unit.error is None:
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "r+b" if target in written else "wb") as fh:
            fh.seek(item.at)
            fh.write(item.data)
            if fh.tell() < item.size:
                fh.truncate(item.size)  # sparse: the size a limit is checked against
        written.add(target)
    return replace(task, unit=replace(task.unit, path=str(target)), options=options)


def _write_list(target: Path, items: dict[int, bytes]) -> None:
    """A JSON list with each shipped item at its index and ``null`` elsewhere."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as fh:
        fh.write(b"[")
        for i in range(max(items) + 1):
            fh.write((b"," if i else b"") + items.get(i, b"null"))
        fh.write(b"]")
