"""Dask worker preload (tests/test_dask_executor.py): a chunk holding a document whose id
contains ``slow`` never ends on this worker (it sleeps for an hour), as a chunk stuck on
a pathological input would. Loaded through ``distributed.worker.preload``; every other
chunk runs as usual.
"""

from __future__ import annotations

import time
from typing import Any

from pipeline.run import dask_executor, worker

#: The real function (dask may import a preload file twice: the patch wraps it once).
_process = worker.process_chunk


def _stuck_on_slow(tasks: list[Any], *args: Any, **kwargs: Any) -> Any:
    if any("slow" in t.id for t in tasks):
        time.sleep(3600)
    return _process(tasks, *args, **kwargs)


dask_executor.process_chunk = _stuck_on_slow  # type: ignore[attr-defined]
