"""Executors: where the chunks of a run are processed.

An executor takes chunks of :class:`~pipeline.run.worker.Task` (input bytes, already read by
the driver) and yields one :class:`~pipeline.run.worker.ChunkResult` per chunk (each
document's result and TEI bytes), in the order of the chunks. It never touches the output
folder: the driver (pipeline/run/runner.py) writes every file, so an executor only moves
bytes and results between processes or machines.

Adding an executor (Dask, a cluster...) touches neither the stages nor the runner's files:

1. write a class with ``jobs`` and ``map_chunks(chunks, job, on_stage)`` that calls
   :func:`pipeline.run.worker.process_chunk(tasks, job)` on each chunk wherever it
   likes (it is a plain top-level function; Task, Job and ChunkResult are picklable
   dataclasses; each process loads its engines once, on first use, through
   :func:`pipeline.run.context.process_engines`), keeping at most a few chunks in flight
   so that memory stays bounded, and yields the results in chunk order;
2. call ``on_stage(name, n)`` for progress if it can (the process pool reports whole chunks);
3. pass it to :func:`pipeline.run.runner.run` (``run(settings, executor=...)``), or return
   it from :func:`choose_executor` for the settings that ask for it.

tests/test_execute.py runs the seeds through a thread-pool executor written in the test: the
same bytes as the serial and process-pool executors.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Protocol

from pipeline.run.atomic import HELD_LOCK_FDS
from pipeline.run.context import process_engines
from pipeline.run.faults import RunFault, die_with_parent
from pipeline.run.parallel import stop_workers
from pipeline.run.settings import Settings
from pipeline.run.validation import SchemaCheck
from pipeline.run.worker import ChunkResult, Job, OnStage, Task, process_chunk
from pipeline.stages.table import TABLE


class Executor(Protocol):
    """Runs :func:`process_chunk` over chunks and yields their results in order."""

    jobs: int

    def map_chunks(self, chunks: Iterable[list[Task]], job: Job,
                   on_stage: OnStage | None = None) -> Iterator[ChunkResult]: ...

    def schema_checks(self) -> Mapping[str, SchemaCheck]:
        """Articles (by id) this executor schema-checked where it ran them; the driver
        skips those (empty: the driver checks every new file itself)."""
        ...


class _DriverValidates:
    """Local executors: the driver schema-checks the files (jing, two calls at once)."""

    def schema_checks(self) -> Mapping[str, SchemaCheck]:
        return {}


class SerialExecutor(_DriverValidates):
    """In this process, one chunk after the other (engines stay loaded between runs)."""

    jobs = 1

    def map_chunks(self, chunks: Iterable[list[Task]], job: Job,
                   on_stage: OnStage | None = None) -> Iterator[ChunkResult]:
        engines = process_engines()
        for chunk in chunks:
            yield process_chunk(chunk, job, on_stage, engines)


def _init_worker(mt_threads: int, parent: int) -> None:
    """A worker dies with the run's main process (SIGKILL included) and does not hold its
    output lock: a killed run leaves no process behind, and the next run can start."""
    die_with_parent(parent)
    for fd in list(HELD_LOCK_FDS):
        os.close(fd)
        HELD_LOCK_FDS.discard(fd)
    process_engines().mt_threads = mt_threads


class PoolExecutor(_DriverValidates):
    """Worker processes on this machine, each with its own engines (one MT thread each).

    On any way out but success (a run fault, Ctrl-C, SIGTERM) the workers are killed at
    once; a worker that dies (the OOM killer) is a run fault.
    """

    def __init__(self, jobs: int, in_flight_per_worker: int = 2) -> None:
        self.jobs = jobs
        self.window = max(1, jobs * in_flight_per_worker)

    def map_chunks(self, chunks: Iterable[list[Task]], job: Job,
                   on_stage: OnStage | None = None) -> Iterator[ChunkResult]:
        pool = ProcessPoolExecutor(max_workers=self.jobs, initializer=_init_worker,
                                   initargs=(1, os.getpid()))
        try:
            pending: deque[Future[ChunkResult]] = deque()
            for chunk in chunks:
                pending.append(_submit(pool, chunk, job))
                if len(pending) >= self.window:
                    yield _done(_result(pending.popleft()), on_stage)
            while pending:
                yield _done(_result(pending.popleft()), on_stage)
        except BaseException:
            stop_workers(pool, kill=True)
            raise
        # The workers' exit (each closes its Apertium programs: up to a second) overlaps the
        # driver's validation; the pool's own thread joins them before the process ends.
        pool.shutdown(wait=False)


def _submit(pool: ProcessPoolExecutor, chunk: list[Task], job: Job) -> Future[ChunkResult]:
    """A pool whose worker died refuses new work at once: the same run fault as a result."""
    try:
        return pool.submit(process_chunk, chunk, job)
    except BrokenProcessPool as exc:
        raise _worker_died() from exc


def _result(future: Future[ChunkResult]) -> ChunkResult:
    try:
        return future.result()
    except BrokenProcessPool as exc:
        raise _worker_died() from exc


def _worker_died() -> RunFault:
    return RunFault("a worker process died (killed, or out of memory?)",
                    "If it happens again, run with -j 1 or a smaller --chunk-size")


def _done(result: ChunkResult, on_stage: OnStage | None) -> ChunkResult:
    if on_stage:
        for stage in TABLE:
            on_stage(stage.name, len(result.results))
    return result


def choose_executor(jobs: int, settings: Settings | None = None) -> Executor:
    """The settings' executor: Dask when asked (imported only then), else local processes."""
    if settings is not None and settings.executor == "dask":
        from pipeline.run.dask_executor import DaskExecutor

        return DaskExecutor(settings)
    return SerialExecutor() if jobs == 1 else PoolExecutor(jobs)
