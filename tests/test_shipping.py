"""Input bytes that travel with a task: a worker that never sees the driver's files makes
the same TEI bytes and the same errors (text, HTML, WARC records, JSON lines and lists,
sidecar table, unreadable and over-limit files)."""

from __future__ import annotations

import json
import os
import pickle
import shutil
from pathlib import Path

import pytest
from scrapes import article_text, jsonl_lines, page, two_page_warc

from pipeline.ingest import files
from pipeline.ingest.units import Options
from pipeline.ingest.units import plan as plan_units
from pipeline.run.settings import Settings
from pipeline.run.shipping import Tables, pack, pack_tables, unpacked
from pipeline.run.worker import ChunkResult, Job, Task, process_chunk

STAGES = ("clean", "tei")  # no models: what shipping changes is ingest, and the TEI shows it


def _inputs(folder: Path) -> list[Path]:
    folder.mkdir()
    (folder / "a.txt").write_text(article_text(), encoding="utf-8")
    (folder / "b.html").write_text(page(), encoding="utf-8")
    two_page_warc(folder / "crawl.warc.gz")
    (folder / "items.jsonl").write_text(jsonl_lines(
        [{"text": article_text(), "url": "https://x.fr/1"}, "{broken",
         {"html": page("Un autre titre"), "url": "https://x.fr/2"}]), encoding="utf-8")
    # items travel alone: the nested authors keep their key order (the byline is made from
    # them), a non-object item fails as on the driver
    (folder / "list.json").write_text(json.dumps([
        {"text": article_text(), "id": "z9", "authors": [{"last": "Martin", "first": "J."}]},
        "not an object",
        {"id": "z10", "title": "Un titre", "text": article_text(), "authors": {"b": 1, "a": 2}},
    ], indent=1), encoding="utf-8")
    (folder / "empty.txt").write_bytes(b"")
    with open(folder / "huge.txt", "wb") as fh:  # over the limit: refused by its size
        fh.truncate(files.MAX_BYTES + 10)
    (folder / "metadata.csv").write_text("file,title,author\na.txt,Le titre du tableau,"
                                         "Jeanne Martin\n", encoding="utf-8")
    return sorted(p for p in folder.iterdir() if p.name != "metadata.csv")


def _tasks(folder: Path) -> list[Task]:
    options = Options(tables=(str(folder / "metadata.csv"),))
    found, _ = plan_units(_inputs(folder), options)
    return [Task(u.id, u, options, rel=u.label) for u in found]


def _run(tasks: list[Task], tmp: Path) -> ChunkResult:
    job = Job(Settings(inputs=[], output=tmp / "unused", stages=STAGES), {})
    return process_chunk(tasks, job)


def _plain(chunk: ChunkResult) -> list[dict[str, object]]:
    return [{k: v for k, v in r.__dict__.items() if k != "timings"} for r in chunk.results]


def test_a_worker_without_the_files_makes_the_same_bytes(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    monkeypatch.chdir(tmp_path)
    tasks = _tasks(Path("in"))  # relative paths, as a command line gives them
    here = _run(tasks, tmp_path)
    shipped = pickle.loads(pickle.dumps([pack(t) for t in tasks]))  # as over the wire
    tables = pickle.loads(pickle.dumps(pack_tables(tasks[0].options)))
    shutil.rmtree("in")  # the worker's machine has no such folder
    with unpacked(shipped, tables, tmp_path / "worker") as remote_tasks:
        assert all(Path(t.unit.path).is_relative_to(tmp_path / "worker") for t in remote_tasks)
        there = _run(remote_tasks, tmp_path)
    assert _plain(there) == _plain(here)
    assert there.tei == here.tei and there.raw == here.raw
    status = {r.file: (r.status, r.error and r.error["code"]) for r in here.results}
    assert status["in/empty.txt"] == ("failed", "empty")
    assert status["in/huge.txt"] == ("failed", "too-large")
    assert status["in/items.jsonl:2"] == ("failed", "json")
    assert status["in/list.json:2"] == ("failed", "json")
    assert sum(s == ("ok", None) for s in status.values()) == 8
    z9 = next(data for doc_id, data in here.tei.items() if "-z9-" in doc_id)
    assert "{'last': 'Martin', 'first': 'J.'}" in z9.decode()  # the order of the scrape
    assert b"Le titre du tableau" in here.tei[tasks[0].id]  # the sidecar row reached it
    inputs = [p for p in (tmp_path / "worker").rglob("*") if p.is_file()]
    assert [p.name for p in inputs] == ["metadata.csv"]  # inputs removed after the chunk


def test_only_the_bytes_a_reader_reads_travel(tmp_path: Path) -> None:
    tasks = _tasks(tmp_path / "in")
    sizes = {t.unit.label.rsplit("/", 1)[-1]: len(pack(t).data) for t in tasks}
    warc_size = os.path.getsize(tmp_path / "in" / "crawl.warc.gz")
    records = [n for label, n in sizes.items() if label.startswith("crawl.warc.gz @")]
    assert len(records) == 2 and sum(records) <= warc_size  # each record, not the file
    assert sizes["huge.txt"] == files.MAX_BYTES + 1  # enough to be refused the same way
    items = [n for label, n in sizes.items() if label.startswith("list.json")]
    list_size = os.path.getsize(tmp_path / "in" / "list.json")
    assert len(items) == 3 and sum(items) < list_size  # each item alone, not the list
    assert pack_tables(Options()) == Tables(())
