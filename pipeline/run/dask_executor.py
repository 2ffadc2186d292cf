"""The Dask executor: the chunks of a run on a Dask cluster (``--executor dask``).

Imported only when a run asks for it, so the default run never imports Dask. With an
address (``--scheduler``, else ``DASK_SCHEDULER_ADDRESS``) it connects to that scheduler;
without one it starts a ``LocalCluster`` on 127.0.0.1 (``-j`` workers, default 2, one thread
each, no dashboard).

What travels: each chunk goes to a worker as its documents' input bytes
(pipeline/run/shipping.py: no shared filesystem), with the run's :class:`Job` (settings, the
driver's engine fingerprints); the worker returns the chunk's results and TEI bytes, and the
driver writes them, as with the local executors. :func:`run_chunk` is the task: a top-level
function of the package (workers import it; a function pickled by value would bring no
per-process state), which uses the worker process's engines (loaded on first use, kept for
the worker's life: pipeline/run/context.py), never one load per task.

Same bytes, same errors:

- a worker whose engines' fingerprints differ from the driver's refuses (:class:`EngineMismatch`,
  naming each difference); the driver asks every worker before the first chunk and each
  chunk checks again (a worker that joins later), and the run stops with exit 2;
- a document's fault stays in its result (pipeline/run/worker.py), as locally;
- a worker that dies mid-chunk: the scheduler runs the chunk elsewhere, up to
  ``allowed-failures`` times (:data:`ALLOWED_FAILURES` on the LocalCluster; a cluster's own
  setting otherwise), then the chunk's documents fail with ``worker-lost``;
- a chunk not back within ``--chunk-timeout`` seconds of being submitted fails
  (``chunk-timeout``), so a run never waits forever, even on a cluster with no worker; the
  worker running it is restarted through its nanny (Dask cannot stop a running task), so it
  does not stay busy with it; a worker started without a nanny cannot be, and the message
  says so.

The MT cache: the LocalCluster's workers are on the driver's machine and share its sqlite file
(``OUTPUT/.cache/mt.sqlite``), as the local pool's workers do, so a sentence one worker
translated is not translated again by the other, nor by the next run. A worker of a
scheduler (``--scheduler``) may be on another machine: it keeps its own cache under its local
directory (``dask worker --local-directory``), for the worker's life.

The end of a run: once every chunk is back, the LocalCluster stops in a background thread
(workers close their engines, nannies exit: about 2 s) while the driver validates and writes
the report; the process waits for it before it exits.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from pipeline.errors import ConfigError, DocumentError
from pipeline.ingest.jsonl import lists_kept
from pipeline.run.context import fingerprints, process_engines
from pipeline.run.report import DocResult
from pipeline.run.settings import Settings
from pipeline.run.shipping import Shipped, Tables, pack, pack_tables, unpacked
from pipeline.run.validation import SchemaCheck, check_schema
from pipeline.run.worker import ChunkResult, Job, OnStage, Task, process_chunk
from pipeline.stages.table import TABLE
from pipeline.tei.validate import FileCheck

if TYPE_CHECKING:
    from distributed import Future

#: distributed's Client and LocalCluster are untyped: held as Any here (mypy --strict).
DaskClient = Any

#: Times the LocalCluster's scheduler reruns a chunk whose worker died before giving up.
ALLOWED_FAILURES = 2
#: Seconds to reach a scheduler before the run stops (exit 2).
CONNECT_TIMEOUT_S = 5
#: TEI files per schema-check task on a worker (one jing call; jing takes ~1 s to start).
SCHEMA_BATCH = 200
#: Chunks in flight per worker: one running, one waiting (memory stays bounded).
IN_FLIGHT_PER_WORKER = 2
#: Seconds to wait for a worker restarted after a chunk past its time limit.
RESTART_TIMEOUT_S = 60
#: What the LocalCluster's workers start with: Dask's default without its
#: ``MALLOC_TRIM_THRESHOLD_=65536``, which turns off glibc's adaptive malloc thresholds; with
#: spaCy's many short-lived arrays, 200 articles cost 3.4 M minor page faults and 10.4 s of
#: system time with it, 1.2 M and 5.1 s without. One BLAS thread per worker stays.
WORKER_ENVIRON = {"OMP_NUM_THREADS": 1, "MKL_NUM_THREADS": 1, "OPENBLAS_NUM_THREADS": 1}
INSTALL = ("--executor dask needs Dask on the driver and on every worker: "
           "pip install 'newscorpus[dask]' (dask[distributed]==2026.8.0)")

#: One chunk at a time per worker process: the engines (an Apertium process, a spaCy
#: pipeline) and the folder the inputs are laid out in are not shared between threads.
_LOCK = threading.Lock()


class EngineMismatch(ConfigError):
    """A worker's engines are not the driver's: the run stops before mixing versions."""

    code = "engine-mismatch"


# ---------------------------------------------------------------------- worker side


def run_chunk(shipped: list[Shipped], tables: Tables, job: Job,
              mt_threads: int | None, shared_cache: bool = False) -> ChunkResult:
    """The Dask task: one chunk, in this worker process, with this process's engines.

    ``shared_cache``: the worker is on the driver's machine (a LocalCluster) and uses the
    run's MT cache; else a cache of its own under its local directory."""
    with _LOCK:
        check_engines(job.engines, job.settings)
        engines = process_engines()
        if mt_threads is not None and not engines.loaded:
            engines.mt_threads = mt_threads
        base = _worker_dir()
        settings = job.settings if shared_cache else replace(job.settings,
                                                             cache_dir=base / "cache")
        with unpacked(shipped, tables, base / "inputs") as tasks:
            return process_chunk(tasks, Job(settings, job.engines), None, engines)


def check_engines(expected: dict[str, str], settings: Settings,
                  dask_worker: Any = None) -> str:
    """This worker's address when its engines are the driver's; else EngineMismatch.

    (``Client.run`` passes ``dask_worker``; inside a task the worker is found.)"""
    engines = process_engines()
    where = str(dask_worker.address) if dask_worker is not None else _worker_address()
    try:
        mine = fingerprints(engines.specs(settings))
        if mine != expected:  # resolved before a model changed here? once more, afresh
            mine = fingerprints(engines.resolve(settings))
    except ConfigError as exc:
        raise EngineMismatch(f"Dask worker {where}: {exc.message}") from exc
    if mine != expected:
        raise EngineMismatch(describe_mismatch(expected, mine, where))
    return where


def engines_refusal(expected: dict[str, str], settings: Settings,
                    dask_worker: Any = None) -> str:
    """What :func:`check_engines` says, as a value ("" when all is well): the driver asks
    every worker this before the first chunk (``Client.run``, which passes ``dask_worker``)."""
    try:
        check_engines(expected, settings, dask_worker)
    except EngineMismatch as exc:
        return exc.message
    return ""


def describe_mismatch(driver: dict[str, str], worker: dict[str, str], where: str) -> str:
    diffs = [f"{key}: driver {driver.get(key, '(none)')}, worker {worker.get(key, '(none)')}"
             for key in sorted(set(driver) | set(worker)) if driver.get(key) != worker.get(key)]
    return (f"Dask worker {where} has other engines than the driver ({'; '.join(diffs)}); "
            "install the same models, versions and packages on every node (a run never "
            "mixes model versions)")


def _worker_address() -> str:
    from distributed import get_worker

    try:
        return str(get_worker().address)
    except ValueError:  # called outside a worker (tests)
        return "(this process)"


def _worker_dir() -> Path:
    from distributed import get_worker

    return Path(get_worker().local_directory) / "newscorpus"


# ---------------------------------------------------------------------- driver side


class DaskExecutor:
    """Chunks on a Dask cluster, results in chunk order; see the module docstring."""

    def __init__(self, settings: Settings) -> None:
        self.address = settings.scheduler_address
        self.jobs = settings.jobs if settings.jobs > 0 else 2
        self.timeout = settings.chunk_timeout
        #: Dask's own log lines (cluster start, workers joining) only with -v.
        self.log_level = logging.INFO if settings.verbosity > 0 else logging.WARNING
        self.checked: dict[str, SchemaCheck] = {}

    def schema_checks(self) -> Mapping[str, SchemaCheck]:
        """The articles the workers schema-checked (see :class:`_SchemaChecks`)."""
        return self.checked

    def map_chunks(self, chunks: Iterable[list[Task]], job: Job,
                   on_stage: OnStage | None = None) -> Iterator[ChunkResult]:
        todo = iter(chunks)
        first = next(todo, None)
        if first is None and not self.address:  # all up to date: no cluster to start
            return
        with self._client() as client:
            _refuse_unless_same_engines(client, job)
            threads = sum(client.nthreads().values()) or self.jobs
            window = max(2, IN_FLIGHT_PER_WORKER * threads)
            todo = itertools.chain([first] if first else [], todo)
            checks = _SchemaChecks(client, "validate" in job.settings.stages)
            for result in self._stream(client, todo, job, window):
                checks.add(result)
                if on_stage:
                    for stage in TABLE:
                        on_stage(stage.name, len(result.results))
                yield result
            self.checked = checks.gather(self.timeout)

    def _stream(self, client: DaskClient, chunks: Iterable[list[Task]], job: Job,
                window: int) -> Iterator[ChunkResult]:
        local = not self.address  # a LocalCluster: one core per worker, the run's MT cache
        mt_threads = 1 if local else None
        if local:  # the path as this process sees it, whatever the workers' folder
            job = replace(job, settings=replace(job.settings,
                                                cache_dir=job.settings.cache_root.resolve()))
        tables: Tables | None = None
        pending: deque[tuple[Future[ChunkResult], list[Task], float]] = deque()
        with lists_kept():  # a JSON list is parsed once, not once per item sent
            for chunk in chunks:
                tables = tables or pack_tables(chunk[0].options)
                shipped = [pack(t) for t in chunk]
                future = client.submit(run_chunk, shipped, tables, job, mt_threads, local,
                                       pure=False)
                pending.append((future, chunk, time.monotonic()))
                if len(pending) >= window:
                    yield self._collect(*pending.popleft(), client)
        while pending:
            yield self._collect(*pending.popleft(), client)

    def _collect(self, future: Future[ChunkResult], chunk: list[Task],
                 submitted: float, client: DaskClient = None) -> ChunkResult:
        """The chunk's result, or its documents failed (time limit, lost workers)."""
        from distributed.scheduler import KilledWorker

        remaining = max(0.1, submitted + self.timeout - time.monotonic())
        try:
            result: ChunkResult = future.result(timeout=remaining)
            return result
        except ConfigError:
            raise
        except TimeoutError:
            freed = free_worker(client, str(cast(Any, future).key))
            cast(Any, future).cancel()
            return failed_chunk(chunk, "chunk-timeout", f"the chunk was not back from its "
                                f"Dask worker within {self.timeout:g} s (--chunk-timeout)"
                                + freed)
        except KilledWorker as exc:
            return failed_chunk(chunk, "worker-lost", f"the Dask workers running this chunk "
                                f"died too often ({exc})")

    @contextmanager
    def _client(self) -> Iterator[DaskClient]:
        try:
            import dask
            import distributed
        except ImportError as exc:
            raise ConfigError(INSTALL) from exc
        logging.getLogger("distributed").setLevel(self.log_level)
        if self.address:
            with _connect(distributed.Client, self.address) as client:
                yield client
            return
        # The workers' statistical profiler samples the running task's stack every 10 ms:
        # CPU taken from the pipeline, for a dashboard a LocalCluster here does not have.
        with dask.config.set({"distributed.scheduler.allowed-failures": ALLOWED_FAILURES,
                              "distributed.worker.profile.enabled": False,
                              "distributed.nanny.pre-spawn-environ": WORKER_ENVIRON}):
            make_cluster: Any = distributed.LocalCluster
            cluster = make_cluster(n_workers=self.jobs, threads_per_worker=1, processes=True,
                                   host="127.0.0.1", dashboard_address=None,
                                   silence_logs=self.log_level)
        make_client: Any = distributed.Client
        try:
            client = make_client(cluster, set_as_default=False)
        except BaseException:
            cluster.close()
            raise
        try:
            yield client
        except BaseException:
            _stop(client, cluster)
            raise
        # every chunk is back: the cluster stops while the driver validates and reports
        threading.Thread(target=_stop_quietly, args=(client, cluster),
                         name="dask-cluster-stop", daemon=False).start()


class _SchemaChecks:
    """The validate step's schema check, spread over the workers.

    jing costs about 1 s to start, so the TEI bytes the chunks bring back are sent on in
    batches of :data:`SCHEMA_BATCH` (one jing call each) while the next chunks run. The
    driver keeps the checks that need the whole corpus (links, ids, the corpus shell) and
    schema-checks itself any article whose batch did not come back.
    """

    def __init__(self, client: DaskClient, wanted: bool) -> None:
        self.client = client
        self.wanted = wanted
        self.batch: list[tuple[str, bytes]] = []
        self.checks: dict[str, FileCheck] = {}  # the chunks' own checks of those bytes
        self.futures: list[Future[dict[str, SchemaCheck]]] = []

    def add(self, result: ChunkResult) -> None:
        if not self.wanted:
            return
        self.batch += sorted(result.tei.items())
        # without its ids (the corpus-wide comparison is the driver's): a few bytes each
        self.checks.update((doc_id, replace(result.checks[doc_id], ids=()))
                           for doc_id in result.tei if doc_id in result.checks)
        if len(self.batch) >= SCHEMA_BATCH:
            self._send()

    def _send(self) -> None:
        if self.batch:
            # scattered first: a batch (~15 MB for 200 articles) is data, not a task graph
            [data] = self.client.scatter([self.batch], hash=False)
            self.futures.append(self.client.submit(check_schema, data, self.checks,
                                                   pure=False))
            self.batch, self.checks = [], {}

    def gather(self, timeout: float) -> dict[str, SchemaCheck]:
        self._send()
        checked: dict[str, SchemaCheck] = {}
        for future in self.futures:
            try:
                checked.update(future.result(timeout=timeout))
            except Exception:  # a lost batch: the driver checks those articles itself
                cast(Any, future).cancel()
        return checked


def free_worker(client: DaskClient, key: str) -> str:
    """Restart, through its nanny, the worker running a chunk past its time limit (a task
    cannot be stopped otherwise); what was done, for the documents' error ("" if no worker
    was running it)."""
    if client is None:
        return ""
    try:
        running = [w for w, keys in client.processing().items() if key in keys]
        workers = client.scheduler_info(n_workers=-1).get("workers", {})
    except Exception:  # the scheduler is gone: nothing to restart
        return ""
    if not running:
        return ""
    where = running[0]
    if not workers.get(where, {}).get("nanny"):
        return (f"; its worker {where} has no nanny and goes on running it (restart that "
                "worker to free it)")
    try:
        status = client.restart_workers([where], timeout=RESTART_TIMEOUT_S,
                                        raise_for_error=False)
    except Exception as exc:
        return f"; restarting its worker {where} failed ({type(exc).__name__}: {exc})"
    if status.get(where) == "OK":
        return f"; its worker {where} was restarted"
    return f"; restarting its worker {where}: {status.get(where)}"


def _stop(client: DaskClient, cluster: Any) -> None:
    """Close the client, then the LocalCluster (its workers and nannies exit)."""
    try:
        client.close()
    finally:
        cluster.close()


def _stop_quietly(client: DaskClient, cluster: Any) -> None:
    """:func:`_stop` after a finished run: the results are written, so a cluster that does
    not stop cleanly is worth a log line, not a traceback."""
    try:
        _stop(client, cluster)
    except Exception as exc:
        logging.getLogger(__name__).warning("the LocalCluster did not stop cleanly: %s", exc)


def _refuse_unless_same_engines(client: DaskClient, job: Job) -> None:
    """Every worker present checks its engines before the first chunk (exit 2 if not)."""
    answers = client.run(engines_refusal, job.engines, job.settings, on_error="return")
    for address, answer in sorted(answers.items()):
        if isinstance(answer, BaseException):
            raise EngineMismatch(f"Dask worker {address} could not check its engines "
                                 f"({type(answer).__name__}: {answer})")
        if answer:
            raise EngineMismatch(str(answer))


@contextmanager
def _connect(client_class: Any, address: str) -> Iterator[DaskClient]:
    try:
        client = client_class(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ConfigError(f"the Dask scheduler at {address} does not answer within "
                          f"{CONNECT_TIMEOUT_S} s ({type(exc).__name__}: {exc}); is `dask "
                          "scheduler` running there, and is the address right (--scheduler "
                          "or DASK_SCHEDULER_ADDRESS)?") from exc
    with client:
        yield client


def failed_chunk(chunk: list[Task], code: str, message: str) -> ChunkResult:
    """Every document of a chunk that did not come back, failed with the reason."""
    results = []
    for task in chunk:
        result = DocResult(task.id, task.unit.label, "ok")
        result.fail("executor", DocumentError(message, code))
        results.append(result)
    return ChunkResult(results)
