"""Run faults against document faults (issue 16): what is the environment's stops the run
with exit 2 and removes nothing; disposable state (cache, manifest) is set aside and
rebuilt; hand edits are kept aside; a dead run's lock is taken over with a note.

Most runs here use the stages that need no model (clean, tei, corpus): the faults are
the runner's, whatever the engines. The multi-worker kill and the signals start real
processes (see also tests/test_crash.py).
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from pipeline.cli import main
from pipeline.engines import apertium
from pipeline.run import runner, worker
from pipeline.run.atomic import is_temp_name
from pipeline.run.context import process_engines
from pipeline.run.faults import STREAK, RunFault, environment_fault
from pipeline.stages.translate import TranslationCache

EPOCH = "1700000000"
CHEAP = "clean,tei,corpus"


@pytest.fixture
def corpus(tmp_path: Path, seed_files: list[Path], monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    inp = tmp_path / "in"
    inp.mkdir()
    for f in seed_files:
        shutil.copy(f, inp / f.name)
    return inp


def _run(inp: Path, out: Path, *extra: str) -> int:
    return main(["run", str(inp), "-o", str(out), "-q", "--stages", CHEAP, *extra])


def _archive(out: Path) -> dict[str, bytes]:
    """Everything a reader sees: the TEI files (with any kept-aside copy) and the corpus."""
    files = {f"tei/{p.name}": p.read_bytes() for p in sorted((out / "tei").iterdir())}
    files["corpus.xml"] = (out / "corpus.xml").read_bytes()
    return files


def _includes_resolve(out: Path) -> None:
    corpus = (out / "corpus.xml").read_text(encoding="utf-8")
    for p in (out / "tei").glob("*.xml"):
        assert f"tei/{p.name}" in corpus
    for href in [s.split('"')[0] for s in corpus.split('href="')[1:]]:
        assert (out / href).is_file(), href


# ---------------------------------------------------------------- run faults


def test_a_full_disk_stops_the_run_and_removes_nothing(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "out"
    assert _run(corpus, out) == 0
    before = _archive(out)
    capsys.readouterr()

    def full(path: Path, data: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(runner, "atomic_write_bytes", full)
    assert _run(corpus, out, "--force") == 2
    err = capsys.readouterr().err
    assert "run stopped" in err and "the disk is full" in err and "Free disk space" in err
    assert err.count("\n") == 1 and "Traceback" not in err  # one line, what to do
    assert _archive(out) == before
    _includes_resolve(out)
    monkeypatch.undo()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    assert _run(corpus, out, "--force") == 0
    assert _archive(out) == before


def test_many_documents_failing_alike_is_a_run_fault(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from pipeline.stages import clean

    for n in range(STREAK + 1):  # enough documents for a streak
        shutil.copy(sorted(corpus.iterdir())[n % 5], corpus / f"copy{n}.txt")
    out = tmp_path / "out"
    assert _run(corpus, out) == 0
    before = _archive(out)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("engine returned garbage")

    monkeypatch.setattr(clean, "clean", broken)
    capsys.readouterr()
    assert _run(corpus, out, "--force") == 2
    err = capsys.readouterr().err
    assert f"{STREAK} documents in a row failed in stage clean" in err
    assert "engine returned garbage" in err and "Traceback" not in err
    assert _archive(out) == before
    _includes_resolve(out)


def test_a_small_run_failing_entirely_alike_is_a_run_fault(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pipeline.stages import clean

    out = tmp_path / "out"
    for f in sorted(corpus.iterdir())[2:]:
        f.unlink()
    assert _run(corpus, out) == 0
    before = _archive(out)
    monkeypatch.setattr(clean, "clean", lambda *a, **k: 1 / 0)
    with pytest.raises(RunFault, match="2 documents in a row"):
        runner.run(runner.Settings([str(corpus)], out, stages=tuple(CHEAP.split(",")),
                                   force=True, verbosity=-1))
    assert _archive(out) == before


def test_one_internal_error_keeps_that_document_s_earlier_output(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pipeline.stages import clean

    out = tmp_path / "out"
    assert _run(corpus, out) == 0
    before = _archive(out)
    victim = sorted(corpus.iterdir())[1].stem
    real = clean.clean

    def flaky(doc: Any, *args: Any, **kwargs: Any) -> None:
        if victim in doc.id:
            raise KeyError("a bug, not the document")
        real(doc, *args, **kwargs)

    monkeypatch.setattr(clean, "clean", flaky)
    assert _run(corpus, out, "--force") == 1
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    [failed] = [d for d in report["documents"] if d["status"] == "failed"]
    assert "is kept" in failed["error"]["message"]
    assert _archive(out) == before  # its TEI file is kept, and the corpus still holds it


def test_a_document_failing_by_its_content_still_loses_its_old_output(
    corpus: Path, tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    assert _run(corpus, out) == 0
    victim = sorted(corpus.iterdir())[0]
    victim.write_bytes(b"")
    assert _run(corpus, out) == 1
    assert not (out / "tei" / f"art-{victim.stem}.xml").exists()
    _includes_resolve(out)


def test_a_dead_worker_is_a_run_fault(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = tmp_path / "out"
    assert _run(corpus, out) == 0
    before = _archive(out)
    real = worker._ingest

    def dies(task: Any, *args: Any, **kwargs: Any) -> Any:
        if task.id.endswith("e86200d8e4ff1953"):
            os.kill(os.getpid(), signal.SIGKILL)  # as the OOM killer would
        return real(task, *args, **kwargs)

    monkeypatch.setattr(worker, "_ingest", dies)  # the forked workers inherit it
    with pytest.raises(RunFault, match="a worker process died"):
        runner.run(runner.Settings([str(corpus)], out, stages=tuple(CHEAP.split(",")),
                                   force=True, jobs=2, chunk_size=1, verbosity=-1))
    assert _archive(out) == before


# ---------------------------------------------------------------- disposable state


def test_a_manifest_of_the_wrong_shape_is_set_aside_and_rebuilt(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "out"
    assert _run(corpus, out) == 0
    before = _archive(out)
    manifest = out / ".cache" / "manifest.json"
    for bad in ('{"documents": [1, 2, 3]}', '{"documents": {"a": {"notes": 5}}}',
                "[" * 100_000, "\x00\x01 not json"):
        manifest.write_text(bad, encoding="utf-8")
        capsys.readouterr()
        assert main(["run", str(corpus), "-o", str(out), "--stages", CHEAP]) == 0
        err = capsys.readouterr().err
        assert "manifest.json was unreadable" in err and "Traceback" not in err
        assert _archive(out) == before
    kept = sorted(p.name for p in (out / ".cache").iterdir() if ".unreadable-" in p.name)
    assert len(kept) >= 1
    assert json.loads(manifest.read_text(encoding="utf-8"))["documents"]


@pytest.mark.skipif(not apertium.is_available(), reason="Apertium fr->es->en is not installed")
def test_a_corrupted_translation_cache_costs_nothing_but_time(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    """The issue's first case: random bytes in mt.sqlite, then run --force."""
    for f in sorted(corpus.iterdir())[2:]:
        f.unlink()
    out = tmp_path / "out"
    args = ["run", str(corpus), "-o", str(out), "--stages", "clean,analyse,translate,tei,corpus"]
    assert main([*args, "-q"]) == 0
    before = _archive(out)
    cache = out / ".cache" / "mt.sqlite"
    engines = process_engines()
    for held in engines._caches.values():  # as a new process would: nothing holds the file
        held.close()
    engines._caches.clear()
    for companion in (".cache/mt.sqlite-wal", ".cache/mt.sqlite-shm"):
        (out / companion).unlink(missing_ok=True)
    cache.write_bytes(os.urandom(64 * 1024))
    capsys.readouterr()
    assert main([*args, "--force"]) == 0
    err = capsys.readouterr().err
    assert "mt.sqlite was unreadable" in err and "set aside as mt.sqlite.unreadable-" in err
    assert _archive(out) == before
    assert main([*args, "-q", "--force"]) == 0  # the rebuilt cache serves the next run
    assert _archive(out) == before


def test_a_broken_argos_package_the_installer_accepted_stops_the_run(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The issue's case 1b: a package whose model.bin is garbage fails on every document;
    the earlier archive (made with the sound package) stays as it was."""
    from pipeline.engines.install import install_argos

    try:
        from synthetic_argos import build_synthetic_argos
    except ImportError:  # tests/ not on sys.path (importlib import mode)
        from tests.synthetic_argos import build_synthetic_argos

    package = install_argos(build_synthetic_argos(tmp_path / "build"), tmp_path / "packages")
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(tmp_path / "packages"))
    out = tmp_path / "out"
    args = ["run", str(corpus), "-o", str(out), "--mt", "argos",
            "--stages", "clean,analyse,translate,tei,corpus"]
    assert main([*args, "-q"]) == 0
    before = _archive(out)
    (package / "model" / "model.bin").write_bytes(os.urandom(4096))  # a new fingerprint too
    capsys.readouterr()
    assert main(args) == 2
    err = capsys.readouterr().err
    assert f"{STREAK} documents in a row failed in stage translate" in err
    assert "Traceback" not in err
    assert _archive(out) == before
    _includes_resolve(out)


def _cache_with_rows(path: Path, n: int = 3000) -> None:
    cache = TranslationCache(path)
    cache.put_many("fp", {f"phrase {i} " * 8: f"sentence {i}" for i in range(n)})
    cache.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    cache.close()


@pytest.mark.parametrize("damage", ["random", "truncated"])
def test_a_damaged_translation_cache_is_set_aside_and_rebuilt(
    tmp_path: Path, damage: str,
) -> None:
    path = tmp_path / "mt.sqlite"
    _cache_with_rows(path)
    if damage == "random":
        path.write_bytes(os.urandom(50_000))
    else:
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 3])
    cache = TranslationCache(path)
    texts = [f"phrase {i} " * 8 for i in range(3000)]
    got = cache.get_many("fp", texts)  # a damaged page read mid-run is handled too
    cache.put_many("fp", {"bonjour": "hello"})
    assert cache.get_many("fp", ["bonjour"]) == {"bonjour": "hello"}
    assert all(v.startswith("sentence") for v in got.values())
    assert cache.notes and "set aside" in cache.notes[0]
    assert any(".unreadable-" in p.name for p in tmp_path.iterdir())


def test_a_cache_error_of_the_machine_is_raised_not_swallowed(tmp_path: Path) -> None:
    cache = TranslationCache(tmp_path / "mt.sqlite")
    exc = sqlite3.OperationalError("database or disk is full")

    def full() -> None:
        raise exc

    with pytest.raises(sqlite3.OperationalError):
        cache._retry(full)
    fault = environment_fault(exc, "translate")
    assert fault is not None and "cannot be used" in str(fault)


# ---------------------------------------------------------------- hand edits and the lock


def test_a_hand_edited_tei_file_is_kept_aside_then_regenerated(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "out"
    assert _run(corpus, out) == 0
    before = _archive(out)
    target = sorted((out / "tei").glob("*.xml"))[2]
    edited = target.read_bytes().replace(b"</TEI>", b"<!-- my note --></TEI>")
    target.write_bytes(edited)
    capsys.readouterr()
    assert main(["run", str(corpus), "-o", str(out), "--stages", CHEAP]) == 0
    err = capsys.readouterr().err
    assert f"warning: tei/{target.name} differs from what the pipeline wrote" in err
    [kept] = [p for p in (out / "tei").iterdir() if ".edited-" in p.name]
    assert kept.name.startswith(target.name + ".edited-") and kept.read_bytes() == edited
    assert target.read_bytes() == before[f"tei/{target.name}"]
    _includes_resolve(out)
    assert main(["run", str(corpus), "-o", str(out), "-q", "--stages", CHEAP]) == 0
    assert len([p for p in (out / "tei").iterdir() if ".edited-" in p.name]) == 1


def test_a_dead_run_s_lock_is_taken_over_with_a_note(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / ".lock").write_text("pid 999999999\n", encoding="ascii")
    assert main(["run", str(corpus), "-o", str(out), "--stages", CHEAP]) == 0
    assert "previous run (pid 999999999) ended without releasing its lock" in \
        capsys.readouterr().err
    assert (out / ".lock").read_bytes() == b""  # released: the next run has nothing to say
    assert _run(corpus, out) == 0


# ---------------------------------------------------------------- processes and signals


def _slow_corpus(folder: Path, seeds: list[Path], n: int) -> None:
    """``n`` distinct articles (the seeds, each with a numbered closing line)."""
    folder.mkdir()
    texts = [s.read_text(encoding="utf-8") for s in seeds]
    for i in range(n):
        text = f"{texts[i % len(texts)].rstrip()}\n\nCet article est la version {i + 1}.\n"
        (folder / f"doc{i:02d}.txt").write_text(text, encoding="utf-8")


def _start(inp: Path, out: Path, log: Path, *extra: str) -> subprocess.Popen[bytes]:
    """A run long enough to be stopped in the middle: many documents, one per chunk (no
    model to load: the faults are the runner's)."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH}
    cmd = [sys.executable, "-m", "pipeline", "run", str(inp), "-o", str(out), "-q",
           "--stages", CHEAP, "--chunk-size", "1", *extra]
    # A test run started in the background by a shell without job control (`make test &`
    # in a script) inherits Ctrl-C ignored, and Python keeps an ignored SIGINT ignored: the
    # run would take no notice. A handler here is reset to the default across exec, so the
    # run gets Ctrl-C as from a terminal.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with open(log, "wb") as fh:
            return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=fh)
    finally:
        signal.signal(signal.SIGINT, previous)


def _wait_for_tei(proc: subprocess.Popen[bytes], out: Path, n: int = 1) -> None:
    deadline = time.monotonic() + 180
    while len(list((out / "tei").glob("*.xml")) if (out / "tei").exists() else []) < n:
        assert proc.poll() is None, "the run ended before it could be stopped"
        assert time.monotonic() < deadline, "no TEI file appeared"
        time.sleep(0.01)


def test_killing_the_main_process_of_a_multi_worker_run_ends_its_workers(
    tmp_path: Path, seed_files: list[Path],
) -> None:
    psutil = pytest.importorskip("psutil")
    inp = tmp_path / "in"
    _slow_corpus(inp, seed_files, 400)
    out = tmp_path / "out"
    proc = _start(inp, out, tmp_path / "run.err", "-j", "2")
    _wait_for_tei(proc, out, 5)
    workers = psutil.Process(proc.pid).children(recursive=True)
    assert workers, "no worker processes"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    _gone, alive = psutil.wait_procs(workers, timeout=10)
    for orphan in alive:  # don't leave them running when the test fails
        orphan.kill()
    assert alive == [], f"workers outlived the run: {alive}"
    written = len(list((out / "tei").glob("*.xml")))
    assert written < 400, "the run ended before the kill"
    time.sleep(1)
    assert len(list((out / "tei").glob("*.xml"))) == written  # nobody writes any more
    # the lock went with the run: the next run takes it over, says so and finishes
    rerun = subprocess.run(
        [sys.executable, "-m", "pipeline", "run", str(inp), "-o", str(out),
         "--stages", "clean,tei,corpus"],
        env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH}, capture_output=True, text=True,
        timeout=120, check=False)
    assert rerun.returncode == 0, rerun.stderr
    assert "ended without releasing its lock" in rerun.stderr
    assert [p for p in out.rglob("*") if is_temp_name(p.name)] == []
    _includes_resolve(out)
    reference = tmp_path / "reference"  # the same inputs, never interrupted
    subprocess.run(
        [sys.executable, "-m", "pipeline", "run", str(inp), "-o", str(reference), "-q",
         "--stages", CHEAP], env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH}, timeout=120,
        check=True)
    assert _archive(out) == _archive(reference)


@pytest.mark.parametrize(("sig", "status", "jobs"), [(signal.SIGINT, 130, "2"),
                                                      (signal.SIGTERM, 143, "1"),
                                                      (signal.SIGTERM, 143, "2")])
def test_ctrl_c_and_sigterm_end_with_one_line(
    tmp_path: Path, seed_files: list[Path], sig: signal.Signals, status: int, jobs: str,
) -> None:
    inp = tmp_path / "in"
    _slow_corpus(inp, seed_files, 400)
    out = tmp_path / "out"
    log = tmp_path / "run.err"
    proc = _start(inp, out, log, "-j", jobs)
    _wait_for_tei(proc, out)
    proc.send_signal(sig)
    assert proc.wait(timeout=60) == status
    assert len(list((out / "tei").glob("*.xml"))) < 400, "the run ended before the signal"
    err = log.read_text(encoding="utf-8")
    assert err.strip().splitlines()[-1] == \
        "interrupted; finished documents are kept; rerun to resume"
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert [p for p in out.rglob("*") if is_temp_name(p.name)] == []
    assert (out / ".lock").read_bytes() == b""
    rerun = subprocess.run(  # resumes: what was finished is skipped
        [sys.executable, "-m", "pipeline", "run", str(inp), "-o", str(out), "-q",
         "--stages", CHEAP], env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH}, timeout=120,
        capture_output=True, text=True, check=False)
    assert rerun.returncode == 0, rerun.stderr
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    # (what to look at if this ever fails again: it did twice in full suites, never alone)
    assert report["summary"]["skipped"] > 0, (report["summary"], report["run_notes"],
                                              err, rerun.stderr[-2000:])


def test_a_signal_just_after_a_file_is_written_waits_until_it_is_recorded(
    tmp_path: Path, seed_files: list[Path], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Ctrl-C landing between an article's TEI file and its manifest record: the record is
    made first, so the rerun skips that article (it used to be done again: a flaky
    `skipped > 0` in the signal test above, seen once)."""
    inp = tmp_path / "in"
    inp.mkdir()
    for f in seed_files[:2]:
        shutil.copy(f, inp / f.name)
    real = runner._write_output
    written: list[str] = []

    def write_then_signal(result: Any, path: Path, data: bytes, raw: Any) -> None:
        real(result, path, data, raw)
        written.append(result.id)
        if len(written) == 1:
            os.kill(os.getpid(), signal.SIGINT)  # the next bytecode would raise

    monkeypatch.setattr(runner, "_write_output", write_then_signal)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    out = tmp_path / "out"
    assert main(["run", str(inp), "-o", str(out), "-q", "-j", "1", "--stages", CHEAP]) == 130
    manifest = json.loads((out / ".cache" / "manifest.json").read_text(encoding="utf-8"))
    entry = manifest["documents"][written[0]]
    assert entry["status"] == "ok" and not entry.get("pending") and entry["output"]
    monkeypatch.setattr(runner, "_write_output", real)
    assert main(["run", str(inp), "-o", str(out), "-q", "--stages", CHEAP]) == 0
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert {d["id"]: d["status"] for d in report["documents"]}[written[0]] == "skipped"
