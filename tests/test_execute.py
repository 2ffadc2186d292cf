"""Executors: serial, process pool, and one written here against the Executor interface
alone (threads) give the same files and results; workers return bytes, the driver writes."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from pipeline.ingest.units import Options, Unit
from pipeline.ingest.units import plan as plan_units
from pipeline.run.execute import Executor, PoolExecutor, SerialExecutor, choose_executor
from pipeline.run.runner import Settings, run
from pipeline.run.validation import SchemaCheck, check_schema
from pipeline.run.worker import ChunkResult, Job, OnStage, Task, process_chunk
from pipeline.tei import validate as tei_validate
from pipeline.tei.validate import Problem

STAGES = ("clean", "tei", "corpus", "validate")  # no models: fast; every executor path


class ThreadExecutor:
    """An executor made from the interface alone, as a Dask one would be; like the Dask
    one, it schema-checks the TEI bytes it brought back where it ran them."""

    jobs = 2

    def __init__(self) -> None:
        self.checked: dict[str, SchemaCheck] = {}

    def map_chunks(self, chunks: Iterable[list[Task]], job: Job,
                   on_stage: OnStage | None = None) -> Iterator[ChunkResult]:
        with ThreadPoolExecutor(2) as pool:
            for result in pool.map(lambda chunk: process_chunk(chunk, job), chunks):
                self.checked.update(check_schema(sorted(result.tei.items())))
                yield result

    def schema_checks(self) -> Mapping[str, SchemaCheck]:
        return self.checked


def _files(out: Path) -> dict[str, bytes]:
    files = [*sorted((out / "tei").glob("*.xml")), out / "corpus.xml"]
    return {p.name: p.read_bytes() for p in files}


@pytest.fixture()
def epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")


def test_every_executor_makes_the_same_bytes(tmp_path: Path, seeds_dir: Path,
                                             epoch: None) -> None:
    made = {}
    executors: dict[str, Executor] = {"serial": SerialExecutor(), "pool": PoolExecutor(2),
                                      "threads": ThreadExecutor()}
    for name, executor in executors.items():
        out = tmp_path / name
        report = run(Settings(inputs=[str(seeds_dir)], output=out, stages=STAGES,
                              chunk_size=2, verbosity=-1), executor=executor)
        assert report.exit_status() == 0
        assert [d.status for d in report.documents] == ["ok"] * 5
        assert report.validation["problems"] == [] and report.validation["files"] == 6
        by_workers = report.validation["schema_checked_by_workers"]
        assert by_workers == (5 if name == "threads" else 0)  # the driver skips jing for them
        made[name] = _files(out)
    assert len(made["serial"]) == 6
    assert made["serial"] == made["pool"] == made["threads"]


def test_a_worker_returns_bytes_and_writes_nothing(tmp_path: Path, seeds_dir: Path,
                                                   epoch: None) -> None:
    seed = sorted(seeds_dir.glob("*.txt"))[0]
    missing = tmp_path / "missing.txt"
    options = Options()
    found, _ = plan_units([seed], options)
    gone = Unit(str(missing), "text", "art-b", "", str(missing))
    tasks = [Task("art-a", found[0], options), Task("art-b", gone, options)]
    job = Job(Settings(inputs=[], output=tmp_path / "out", stages=STAGES), {})
    result = process_chunk(tasks, job)
    ok, failed = result.results
    assert ok.status == "ok" and result.tei["art-a"].startswith(b"<?xml")
    assert failed.status == "failed" and failed.error
    assert failed.error["code"] == "unreadable" and failed.error["stage"] == "clean"
    assert "art-b" not in result.tei and not result.raw  # a text file keeps no raw copy
    assert not os.listdir(tmp_path)  # the driver writes files, never a worker


def test_choose_executor_by_jobs() -> None:
    assert isinstance(choose_executor(1), SerialExecutor)
    pool = choose_executor(3)
    assert isinstance(pool, PoolExecutor) and pool.jobs == 3


def test_a_schema_check_made_elsewhere_names_the_driver_s_file(tmp_path: Path,
                                                             seeds_dir: Path,
                                                             epoch: None) -> None:
    """A worker's schema problems come back with the lines of the file the driver wrote,
    and only for the bytes it checked."""
    out = tmp_path / "out"
    run(Settings(inputs=[str(seeds_dir)], output=out, stages=("clean", "tei"),
                 verbosity=-1))
    good = sorted((out / "tei").glob("*.xml"))[0]
    broken = re.sub(rb"(<teiHeader[^>]*>)", rb"\1<bogus/>", good.read_bytes(), count=1)
    assert b"<bogus/>" in broken
    check = check_schema([("art-x", broken), ("art-y", good.read_bytes())])
    assert check["art-y"].problems == ()
    (problem,) = {p.message: p for p in check["art-x"].problems}.values()
    assert problem.kind == "schema" and "bogus" in problem.message and problem.line
    assert check["art-x"].sha256 != check["art-y"].sha256


def test_a_schema_check_given_the_chunks_own_checks_parses_nothing_again(
        tmp_path: Path, seeds_dir: Path, epoch: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """With the checks a chunk made on the same bytes, the batch goes to the schema
    engine without a second parse, and finds the same; checks made on other bytes are
    not trusted (that file is parsed as before)."""
    out = tmp_path / "out"
    run(Settings(inputs=[str(seeds_dir)], output=out, stages=("clean", "tei"),
                 verbosity=-1))
    good = sorted((out / "tei").glob("*.xml"))[0].read_bytes()
    broken = re.sub(rb"(<teiHeader[^>]*>)", rb"\1<bogus/>", good, count=1)
    batch = [("art-x", broken), ("art-y", good)]
    def found(checks: Mapping[str, SchemaCheck]) -> dict[str, object]:
        """What a check says, without the temporary folder it laid the files out in."""
        return {k: (c.sha256, [(p.line, p.message, p.kind) for p in c.problems])
                for k, c in checks.items()}

    plain = found(check_schema(batch))
    parsed: list[str] = []
    real_parse = tei_validate._parse

    def counting(path: Path, problems: list[Problem]) -> object:
        parsed.append(Path(path).stem)
        return real_parse(path, problems)

    monkeypatch.setattr(tei_validate, "_parse", counting)
    own = {"art-x": tei_validate.check_file(broken, "art-x.xml"),
           "art-y": tei_validate.check_file(good, "art-y.xml")}
    assert found(check_schema(batch, own)) == plain
    assert parsed == []
    stale = {"art-x": own["art-y"], "art-y": own["art-y"]}  # art-x's check: other bytes
    assert found(check_schema(batch, stale)) == plain
    assert parsed == ["art-x"]
    assert "bogus" in str(plain["art-x"]) and plain["art-y"] == (own["art-y"].sha256, [])
