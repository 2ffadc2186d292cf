"""Crash safety: a run killed with SIGKILL leaves only complete files, and a rerun
finishes the job with output byte-identical to an uninterrupted run.

Every file in output/ is written to a hidden temporary file and renamed over its
target (pipeline/run/atomic.py); a watcher polls output/ during the runs and parses every
file it sees there (temporary files aside), so a truncated or invalid file would be
caught the moment it appeared.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from lxml import etree

from pipeline.engines import apertium
from pipeline.run.atomic import is_temp_name

EPOCH = "1700000000"
N_DOCS = 30
CHUNK = 5

pytestmark = pytest.mark.skipif(not apertium.is_available(),
                                reason="Apertium fr->es->en is not installed")


def make_corpus(folder: Path, seeds: list[Path], n: int = N_DOCS) -> None:
    """``n`` distinct articles: the seeds with a tagged headline and a rotated body."""
    folder.mkdir()
    texts = [s.read_text(encoding="utf-8") for s in seeds]
    for i in range(n):
        lines = texts[i % len(texts)].split("\n")
        k = i // len(texts)
        head = next(j for j, line in enumerate(lines) if len(line.split()) >= 5)
        lines[head] = f"{lines[head]} (édition {k + 1})"
        body = [j for j, line in enumerate(lines) if len(line.split()) > 15 and j != head]
        if k and len(body) > 2:  # move one paragraph to the end: another article
            moved = lines.pop(body[k % len(body)])
            lines.append(moved)
        (folder / f"doc{i:02d}.txt").write_text("\n".join(lines), encoding="utf-8")


class Watcher:
    """Parses every visible file in output/ whenever it changes; records any bad one."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.seen: dict[Path, tuple[int, int, int]] = {}
        self.bad: list[str] = []
        self.checked = 0

    def poll(self) -> int:
        """Check what changed; return how many TEI files exist."""
        if not self.out.exists():
            return 0
        for p in list(self.out.rglob("*")):
            if is_temp_name(p.name) or p.name == ".lock" or "mt.sqlite" in p.name:
                continue
            try:
                st = p.stat()
                if not p.is_file():
                    continue
                key = (st.st_ino, st.st_size, st.st_mtime_ns)
                if self.seen.get(p) == key:
                    continue
                data = p.read_bytes()
            except FileNotFoundError:
                continue  # replaced between listing and reading
            self.seen[p] = key
            self.checked += 1
            problem = self._check(p, data)
            if problem:
                self.bad.append(f"{p.relative_to(self.out)}: {problem}")
        tei = self.out / "tei"
        return sum(1 for p in tei.glob("*.xml")) if tei.exists() else 0

    @staticmethod
    def _check(p: Path, data: bytes) -> str | None:
        if not data:
            return "empty file"
        try:
            if p.suffix == ".xml":
                root = etree.fromstring(data)
                if not data.endswith(b">\n"):
                    return "no final newline"
                if root.tag.split("}")[-1] not in ("TEI", "teiCorpus"):
                    return f"unexpected root {root.tag}"
            elif p.suffix == ".json":
                json.loads(data)
        except (etree.XMLSyntaxError, ValueError) as exc:
            return f"does not parse: {exc}"
        return None


def _cli(inp: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "pipeline", "run", str(inp), "-o", str(out), "-q",
            "--chunk-size", str(CHUNK), "--jobs", "1"]


def _start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start a run; its stderr goes to ``log`` (a pipe could fill up and block it)."""
    with open(log, "wb") as fh:
        return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=fh)


def _watch(proc: subprocess.Popen[bytes], watcher: Watcher, kill_at: int | None,
           timeout: float = 240) -> int:
    """Poll until the process ends (or SIGKILL it once kill_at TEI files exist)."""
    deadline = time.monotonic() + timeout
    while proc.poll() is None:
        n = watcher.poll()
        if kill_at is not None and n >= kill_at:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            break
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            pytest.fail("the run took too long")
        time.sleep(0.005)
    watcher.poll()
    return watcher.poll()


def _tree(out: Path) -> dict[str, bytes]:
    files = {f"tei/{p.name}": p.read_bytes() for p in (out / "tei").iterdir()}
    files["corpus.xml"] = (out / "corpus.xml").read_bytes()
    return files


def test_sigkill_mid_run_then_rerun_gives_the_uninterrupted_output(
        tmp_path: Path, seed_files: list[Path]) -> None:
    inp = tmp_path / "corpus"
    make_corpus(inp, seed_files)
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH}

    # 0. the same corpus, uninterrupted, in another folder (alongside the others)
    ref = tmp_path / "reference"
    ref_proc = _start(_cli(inp, ref), env, tmp_path / "reference.err")
    try:
        out = _kill_then_rerun(inp, tmp_path / "output", env)
        # 3. the uninterrupted run made the same bytes
        ref_proc.wait(timeout=300)
        assert ref_proc.returncode == 0, (tmp_path / "reference.err").read_text()
    finally:
        if ref_proc.poll() is None:
            ref_proc.kill()
            ref_proc.wait()
    got, want = _tree(out), _tree(ref)
    assert sorted(got) == sorted(want)
    assert len([k for k in got if k.startswith("tei/")]) == N_DOCS
    different = [k for k in want if got[k] != want[k]]
    assert different == [], _diff(got, want, different)


def _kill_then_rerun(inp: Path, out: Path, env: dict[str, str]) -> Path:
    # 1. killed in the middle
    watcher = Watcher(out)
    log = out.parent / "run.err"
    proc = _start(_cli(inp, out), env, log)
    n = _watch(proc, watcher, kill_at=2 * CHUNK)
    assert proc.returncode == -signal.SIGKILL, log.read_text()
    assert 0 < n < N_DOCS, f"{n} TEI files at the kill: not in the middle of the run"
    assert watcher.bad == []
    assert not (out / "corpus.xml").exists()

    # 2. rerun: finishes the job, recomputing only what was not recorded as done
    proc = _start(_cli(inp, out), env, log)
    _watch(proc, watcher, kill_at=None)
    assert proc.returncode == 0, log.read_text()
    assert watcher.bad == [], watcher.bad
    assert watcher.checked > N_DOCS
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["summary"]["failed"] == 0
    assert report["summary"]["ok"] + report["summary"]["skipped"] == N_DOCS
    assert report["summary"]["skipped"] >= CHUNK  # what the killed run finished is kept
    assert [p for p in out.rglob("*") if is_temp_name(p.name)] == []
    return out


def _diff(got: dict[str, bytes], want: dict[str, bytes], keys: list[str]) -> str:
    import difflib

    lines = []
    for k in keys[:3]:
        lines += difflib.unified_diff(want[k].decode().splitlines(), got[k].decode().splitlines(),
                                      f"uninterrupted/{k}", f"rerun/{k}", lineterm="", n=1)
    return "\n".join(lines[:60])


def test_temp_files_are_hidden_and_recognised() -> None:
    import tempfile

    from pipeline.run.atomic import atomic_write_bytes, sweep_temp_files

    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        stale = folder / ".art-x.xml.ab_12xyz.tmp"
        stale.write_bytes(b"<TEI")
        keep = folder / ".notes.tmp"  # not one of ours: left alone
        keep.write_bytes(b"x")
        atomic_write_bytes(folder / "art-x.xml", b"<TEI/>\n")
        assert is_temp_name(stale.name) and not is_temp_name("art-x.xml")
        assert sweep_temp_files(folder) == [stale]
        assert sorted(p.name for p in folder.iterdir()) == [".notes.tmp", "art-x.xml"]
        assert (folder / "art-x.xml").stat().st_mode & 0o777 == 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_a_signal_waits_for_the_deferred_block_with_other_threads_running() -> None:
    """With a pool's threads in the process, the kernel may hand Ctrl-C to one of them and
    Python runs its handler in the main thread at once: a block of signals_deferred still
    ends first (blocking the signal for the main thread alone did not hold)."""
    import threading

    from pipeline.run.atomic import signals_deferred

    stop = threading.Event()
    others = [threading.Thread(target=stop.wait) for _ in range(3)]
    for t in others:
        t.start()
    done: list[str] = []
    try:
        with pytest.raises(KeyboardInterrupt):
            with signals_deferred():
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.1)
                with signals_deferred():  # nested: still after the outer block
                    time.sleep(0.01)
                done.append("inner")
                time.sleep(0.1)
                done.append("block")
        assert done == ["inner", "block"]
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        stop.set()
        for t in others:
            t.join()
