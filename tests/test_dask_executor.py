"""--executor dask: the same bytes and errors as ``--executor local -j 1``, on a LocalCluster
and on a scheduler with two worker processes ("nodes"); a document that fails fails alone;
a worker killed mid-run costs a retry of its chunk; a worker with another model version
refuses; a scheduler that does not answer stops the run (exit 2) within seconds.

The cluster runs (tests/dask_nodes.py) run under ``unshare -n`` with only loopback up, so
no connection can leave the machine; they are skipped where that is not permitted.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path
from types import SimpleNamespace

import pytest

pytest.importorskip("distributed")

ROOT = Path(__file__).resolve().parent.parent
HELPER = Path(__file__).with_name("dask_nodes.py")
OLD_MODEL = Path(__file__).with_name("dask_old_model.py")
SLOW_CHUNK = Path(__file__).with_name("dask_slow_chunk.py")
sys.path.insert(0, str(ROOT / "tools"))

import make_corpus  # noqa: E402


def _env() -> dict[str, str]:
    return {**os.environ, "SOURCE_DATE_EPOCH": "1700000000", "PYTHONPATH": str(ROOT)}


def _isolated_ok() -> bool:
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return False
    probe = subprocess.run(["unshare", "-n", "sh", "-c", "ip link set lo up"],
                           capture_output=True)
    return probe.returncode == 0


ISOLATED = _isolated_ok()
needs_unshare = pytest.mark.skipif(not ISOLATED, reason="unshare -n is not permitted here: "
                                   "the cluster tests run only without any network")


def nodes(*args: str, workers: int = 2, local: bool = False, preload_last: Path | None = None,
          kill_after: int = 0, env: dict[str, str] | None = None) -> dict[str, object]:
    """Run a pipeline command against a fresh cluster, inside a network namespace."""
    helper = [sys.executable, str(HELPER), "--workers", str(workers)]
    helper += ["--local"] if local else []
    helper += ["--preload-last", str(preload_last)] if preload_last else []
    helper += ["--kill-after", str(kill_after)] if kill_after else []
    line = " ".join(f"'{a}'" for a in [*helper, "--", *args])
    done = subprocess.run(["unshare", "-n", "sh", "-c", f"ip link set lo up && exec {line}"],
                          capture_output=True, text=True, env={**_env(), **(env or {})},
                          cwd=ROOT, timeout=1200)
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _files(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in [*sorted((out / "tei").glob("*.xml")),
                                              out / "corpus.xml"]}


def _statuses(out: Path) -> dict[str, tuple[str, str | None]]:
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return {d["id"]: (d["status"], (d.get("error") or {}).get("message"))
            for d in report["documents"]}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeds, 60 built articles, and two documents that fail (empty, binary)."""
    folder = tmp_path_factory.mktemp("dask") / "inputs"
    make_corpus.build(folder, 60, seed=19, words=120)
    for seed in sorted((ROOT / "seeds").glob("*.txt")):
        shutil.copy(seed, folder / seed.name)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 8)
    return folder


@pytest.fixture(scope="module")
def reference(corpus: Path) -> Path:
    """``--executor local -j 1``: what every Dask run must reproduce byte for byte."""
    out = corpus.parent / "local"
    done = subprocess.run([sys.executable, "-m", "pipeline", "run", str(corpus), "-o", str(out),
                           "--executor", "local", "-j", "1", "-q"],
                          capture_output=True, text=True, env=_env(), cwd=ROOT)
    assert done.returncode == 1, done.stderr  # the two bad documents
    failed = {k for k, (status, _) in _statuses(out).items() if status == "failed"}
    assert failed == {"art-empty", "art-binary"}
    return out


def _same_as_reference(out: Path, reference: Path) -> None:
    assert _files(out) == _files(reference)
    assert len(_files(out)) == 60 + 5 + 1
    assert _statuses(out) == _statuses(reference)  # the same errors, the same messages
    assert _validation(out)["problems"] == _validation(reference)["problems"] == []


def _cached_translations(out: Path) -> int:
    with closing(sqlite3.connect(out / ".cache" / "mt.sqlite")) as db:
        rows: int = db.execute("SELECT count(*) FROM mt").fetchone()[0]
    return rows


def _validation(out: Path) -> dict[str, object]:
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    validation: dict[str, object] = report["validation"]
    return validation


def test_the_default_run_does_not_import_dask(tmp_path: Path) -> None:
    code = ("import sys\nfrom pipeline.cli import main\n"
            f"rc = main(['run', '{ROOT / 'seeds'}', '-o', '{tmp_path / 'out'}', '-q', "
            "'--stages', 'clean,tei,corpus'])\n"
            "assert rc == 0, rc\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=_env(), cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@needs_unshare
def test_a_scheduler_that_does_not_answer_stops_the_run(tmp_path: Path) -> None:
    t0 = time.monotonic()
    result = nodes("run", str(ROOT / "seeds"), "-o", str(tmp_path / "out"), "--stages",
                   "clean,tei", "--scheduler", "tcp://127.0.0.1:9", local=True)
    assert result["rc"] == 2
    assert "the Dask scheduler at tcp://127.0.0.1:9 does not answer" in str(result["stderr"])
    assert time.monotonic() - t0 < 60  # 5 s to connect; the rest is starting Python
    assert float(str(result["seconds"])) < 30
    assert not list((tmp_path / "out").glob("tei/*.xml"))


@needs_unshare
@pytest.mark.slow
def test_a_local_cluster_makes_the_same_bytes(corpus: Path, reference: Path) -> None:
    out = corpus.parent / "localcluster"
    result = nodes("run", str(corpus), "-o", str(out), "--executor", "dask", "-j", "2", "-q",
                   local=True)
    assert result["rc"] == 1, result["stderr"]
    _same_as_reference(out, reference)
    # jing ran on the workers for every article; the driver checked links, ids, the corpus
    assert _validation(out)["schema_checked_by_workers"] == 65
    assert _validation(reference)["schema_checked_by_workers"] == 0
    # the workers are on this machine: they translated into the run's own MT cache (how
    # many word lookups it holds depends on the chunks; the output does not)
    assert _cached_translations(out) > 0


@needs_unshare
@pytest.mark.slow
def test_two_nodes_make_the_same_bytes(corpus: Path, reference: Path) -> None:
    out = corpus.parent / "nodes"
    result = nodes("run", str(corpus), "-o", str(out), "--executor", "dask", "-q")
    assert result["rc"] == 1, result["stderr"]
    _same_as_reference(out, reference)
    assert _validation(out)["schema_checked_by_workers"] == 65
    # workers of a scheduler may be elsewhere: each kept its own cache, not the driver's
    assert _cached_translations(out) == 0


@needs_unshare
@pytest.mark.slow
def test_a_worker_killed_mid_run_costs_a_retry(corpus: Path, reference: Path) -> None:
    out = corpus.parent / "killed"
    result = nodes("run", str(corpus), "-o", str(out), "--executor", "dask", "-q",
                   "--chunk-size", "4", kill_after=8)
    assert result["killed"], "the run ended before a worker could be killed"
    assert result["rc"] == 1, result["stderr"]
    _same_as_reference(out, reference)


@needs_unshare
@pytest.mark.slow
def test_a_worker_with_another_model_version_refuses(corpus: Path, tmp_path: Path) -> None:
    result = nodes("run", str(ROOT / "seeds"), "-o", str(tmp_path / "out"), "--executor",
                   "dask", "--stages", "clean,analyse,tei", preload_last=OLD_MODEL)
    assert result["rc"] == 2
    err = str(result["stderr"])
    assert "has other engines than the driver (nlp-fr: driver spacy:fr_core_news_md" in err
    assert "+other-build" in err
    assert not list((tmp_path / "out").glob("tei/*.xml"))  # nothing made with mixed models


def test_each_chunk_checks_its_workers_engines(tmp_path: Path) -> None:
    """The check every chunk runs on its worker (not only the one before the first chunk)."""
    from pipeline.run.context import fingerprints, resolve_engines
    from pipeline.run.dask_executor import EngineMismatch, check_engines
    from pipeline.run.settings import Settings

    settings = Settings(inputs=[], output=tmp_path, stages=("clean", "analyse", "tei"))
    mine = fingerprints(resolve_engines(settings))
    assert check_engines(mine, settings) == "(this process)"
    other = {**mine, "nlp-fr": "spacy:fr_core_news_md:3.7.0"}
    with pytest.raises(EngineMismatch) as refused:
        check_engines(other, settings)
    assert (f"nlp-fr: driver spacy:fr_core_news_md:3.7.0, worker {mine['nlp-fr']}"
            in refused.value.message)
    assert "nlp-en" not in refused.value.message  # only the differences are named


@needs_unshare
def test_a_chunk_past_its_time_limit_fails_and_the_run_ends(tmp_path: Path) -> None:
    """The first chunk cannot be back within 50 ms (its worker first imports the
    pipeline): its documents fail with chunk-timeout and the run ends (exit 1) instead of
    waiting. (A later chunk may be back by the time the driver asks for it, after the
    first chunk's worker was restarted: it is kept.)"""
    out = tmp_path / "out"
    result = nodes("run", str(ROOT / "seeds"), "-o", str(out), "--executor", "dask", "-q",
                   "--stages", "clean,tei", "--chunk-timeout", "0.05", local=True)
    assert result["rc"] == 1, result["stderr"]
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    documents = report["documents"]
    failed = [d for d in documents if d["status"] == "failed"]
    assert len(documents) == 5 and failed and failed[0] is documents[0]
    assert {d["error"]["code"] for d in failed} == {"chunk-timeout"}
    assert "within 0.05 s (--chunk-timeout)" in failed[0]["error"]["message"]
    written = sorted(p.stem for p in out.glob("tei/*.xml"))
    assert written == sorted(d["id"] for d in documents if d["status"] == "ok")


@needs_unshare
def test_a_stuck_chunk_fails_and_its_worker_is_restarted(tmp_path: Path) -> None:
    """A chunk that never ends (its worker sleeps an hour on it): at --chunk-timeout its
    documents fail, its worker is restarted through its nanny (not left busy), and every
    other chunk is made as usual."""
    inputs = tmp_path / "inputs"
    shutil.copytree(ROOT / "seeds", inputs)
    shutil.copy(inputs / "000_c32396ffb3fd2beb.txt", inputs / "slow.txt")
    out = tmp_path / "out"
    preload = json.dumps([str(SLOW_CHUNK)])
    result = nodes("run", str(inputs), "-o", str(out), "--executor", "dask", "-q",
                   "--stages", "clean,tei", "--chunk-size", "1", "--chunk-timeout", "20",
                   local=True, env={"DASK_DISTRIBUTED__WORKER__PRELOAD": preload})
    assert result["rc"] == 1, result["stderr"]
    assert float(str(result["seconds"])) < 200  # not the hour the chunk would take
    statuses = _statuses(out)
    assert {k for k, (status, _) in statuses.items() if status == "ok"} == {
        f"art-{p.stem}" for p in (ROOT / "seeds").glob("*.txt")}
    status, message = statuses["art-slow"]
    assert status == "failed" and message is not None
    assert "within 20 s (--chunk-timeout); its worker tcp://127.0.0.1:" in message
    assert message.endswith("was restarted"), message


def test_a_worker_without_a_nanny_is_named_not_restarted() -> None:
    """A `dask worker --no-nanny` cannot be restarted: the error says which worker still
    runs the chunk; no restart is asked."""
    from pipeline.run.dask_executor import free_worker

    class Client:
        def __init__(self) -> None:
            self.restarted: list[list[str]] = []

        def processing(self) -> dict[str, list[str]]:
            return {"tcp://10.0.0.7:4000": ["run_chunk-abc"], "tcp://10.0.0.8:4000": []}

        def scheduler_info(self, n_workers: int) -> dict[str, object]:
            return {"workers": {"tcp://10.0.0.7:4000": {"nanny": None},
                                "tcp://10.0.0.8:4000": {"nanny": "tcp://10.0.0.8:4001"}}}

        def restart_workers(self, workers: list[str], **kwargs: object) -> dict[str, str]:
            self.restarted.append(workers)
            return {w: "OK" for w in workers}

    client = Client()
    said = free_worker(client, "run_chunk-abc")
    assert said == ("; its worker tcp://10.0.0.7:4000 has no nanny and goes on running it "
                    "(restart that worker to free it)")
    assert client.restarted == []
    assert free_worker(client, "run_chunk-gone") == ""  # finished meanwhile: nothing to do
    assert free_worker(None, "run_chunk-abc") == ""


WORKER_ENV_PROBE = """
import json, os, sys
from pathlib import Path
from types import SimpleNamespace
from pipeline.run.dask_executor import DaskExecutor
from pipeline.run.settings import Settings

def env(names):
    return {n: os.environ.get(n) for n in names}

if __name__ == "__main__":
    names = ["MALLOC_TRIM_THRESHOLD_", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"]
    executor = DaskExecutor(Settings(inputs=[], output=Path(sys.argv[1]), jobs=2))
    with executor._client() as client:
        print(json.dumps(sorted(client.run(env, names).values(), key=str)))
"""


@needs_unshare
def test_local_cluster_workers_keep_adaptive_malloc(tmp_path: Path) -> None:
    """Dask's default MALLOC_TRIM_THRESHOLD_ (4x the page faults for spaCy) is not set on
    the LocalCluster's workers; one BLAS thread per worker is."""
    probe = tmp_path / "probe.py"
    probe.write_text(WORKER_ENV_PROBE, encoding="utf-8")
    done = subprocess.run(["unshare", "-n", "sh", "-c",
                           f"ip link set lo up && exec '{sys.executable}' '{probe}' '{tmp_path}'"],
                          capture_output=True, text=True, env=_env(), cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    workers = json.loads(done.stdout.strip().splitlines()[-1])
    assert workers == [{"MALLOC_TRIM_THRESHOLD_": None, "OMP_NUM_THREADS": "1",
                        "OPENBLAS_NUM_THREADS": "1"}] * 2


def test_a_chunk_whose_workers_die_too_often_fails_alone(tmp_path: Path) -> None:
    """Past the scheduler's allowed failures Dask raises KilledWorker for the chunk: its
    documents fail with worker-lost (each named), the run is not stopped."""
    from distributed.scheduler import KilledWorker

    from pipeline.ingest.units import Options
    from pipeline.ingest.units import plan as plan_units
    from pipeline.run.dask_executor import DaskExecutor
    from pipeline.run.settings import Settings
    from pipeline.run.worker import Task

    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text("Un article.\n", encoding="utf-8")
    found, _ = plan_units(sorted(tmp_path.glob("*.txt")), Options())
    chunk = [Task(u.id, u, Options(), rel=u.label) for u in found]

    class Lost:
        def result(self, timeout: float) -> object:
            last = SimpleNamespace(address="tcp://127.0.0.1:1")
            raise KilledWorker("run_chunk-1", last, 2)  # type: ignore[arg-type]

        def cancel(self) -> None:
            raise AssertionError("a lost chunk has nothing to cancel")

    executor = DaskExecutor(Settings(inputs=[], output=tmp_path / "out"))
    result = executor._collect(Lost(), chunk, time.monotonic())  # type: ignore[arg-type]
    assert [(r.id, r.status, r.error["code"]) for r in result.results] == [
        (t.id, "failed", "worker-lost") for t in chunk]
    assert all("died too often" in r.error["message"] for r in result.results)
    assert result.tei == {}


def test_a_cluster_that_does_not_stop_cleanly_after_the_run_is_only_logged(
        caplog: pytest.LogCaptureFixture) -> None:
    """The background stop runs once every result is written: a failure there is a warning,
    never a traceback (nor an exception that would reach the finished run); the cluster is
    closed even when the client's close fails."""
    from pipeline.run.dask_executor import _stop_quietly

    closed: list[str] = []

    class Client:
        def close(self) -> None:
            closed.append("client")
            raise OSError("connection reset")

    class Cluster:
        def close(self) -> None:
            closed.append("cluster")

    _stop_quietly(Client(), Cluster())
    assert closed == ["client", "cluster"]
    assert "the LocalCluster did not stop cleanly: connection reset" in caplog.text
