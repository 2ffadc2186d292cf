"""Per-file work of the commands that read TEI back (export, view) over every core, and
stopping a pool's workers (these commands' and the run's local pool).

:func:`ordered_map` runs a function over tasks (chunks of files) and yields the results in
the tasks' order, so that what a command writes and reports is what one process would. The
workers are forked from this process, die with it (Linux's parent-death signal), leave
Ctrl-C to it, and are stopped at once when it stops: SIGTERM, which waits for the file being
written (:mod:`pipeline.run.atomic`), so a stopped command leaves no temporary file and
writes nothing after it has ended.

The run's stages are not mapped here: they have their executors (:mod:`pipeline.run.execute`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from pipeline.run.faults import RunFault, die_with_parent

_T = TypeVar("_T")
_R = TypeVar("_R")

#: Articles per task when several processes read or write TEI (export, view); fewer than
#: two tasks' worth are done in this process.
CHUNK = 16


def cores() -> int:
    """The cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
        os.cpu_count() or 1)


def chunks(items: Sequence[_T], size: int) -> list[list[_T]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def ordered_map(fn: Callable[[_T], _R], tasks: Sequence[_T], jobs: int,
                what: str) -> Iterator[_R]:
    """``fn`` over ``tasks``, results in order; in this process when ``jobs`` is 1 or
    there is one task, else in ``jobs`` worker processes (0: one per core). A worker that
    dies (the OOM killer) stops the command: :class:`RunFault` naming ``what``."""
    jobs = min(jobs if jobs > 0 else cores(), len(tasks))
    if jobs <= 1:
        yield from map(fn, tasks)
        return
    pool = ProcessPoolExecutor(max_workers=jobs, initializer=die_with_parent,
                               initargs=(os.getpid(),))
    try:
        yield from pool.map(fn, tasks)
    except BrokenProcessPool as exc:
        raise RunFault(f"{what} stopped: a worker process died (out of memory?); the files "
                       "it wrote are complete. Rerun with -j 1") from exc
    except BaseException:  # Ctrl-C, SIGTERM, an error here: the workers stop now
        stop_workers(pool, kill=False)
        raise
    pool.shutdown()


def stop_workers(pool: ProcessPoolExecutor, *, kill: bool) -> None:
    """Drop the tasks not started and stop the workers now: SIGKILL (``kill``), or SIGTERM,
    which a worker takes once the file it is writing is whole."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        if kill:
            proc.kill()
        else:
            proc.terminate()
    for proc in processes:
        proc.join(5)
