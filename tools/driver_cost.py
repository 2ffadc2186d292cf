"""What the driver of a run spends per document (README: Beyond one machine).

    python tools/driver_cost.py CORPUS_DIR -o OUT [--executor dask|local] [-j 2]

Runs the pipeline once in this process with the driver's steps wrapped in timers that count
the CPU time of the driver's own thread (``time.thread_time``: the workers, the Dask
scheduler's thread and other programs on the machine do not count), the CPU time of the
programs a step waits for (jing, for validation) and wall time, and prints them per step and
per document as JSON. Steps: finding the inputs and planning (ids,
hashes, the up-to-date check), packing inputs for Dask workers, absorbing each chunk's
results (atomic writes, output checksums, the manifest), the corpus, validation, the report.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pipeline.run import dask_executor, runner, shipping  # noqa: E402
from pipeline.run.settings import Settings  # noqa: E402

#: step -> [(driver thread CPU s, wall s, CPU s of child processes it waited for)]
SPENT: dict[str, list[tuple[float, float, float]]] = {}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        t0, w0, c0 = time.thread_time(), time.perf_counter(), _children_cpu()
        try:
            return fn(*args, **kwargs)
        finally:
            SPENT.setdefault(name, []).append((time.thread_time() - t0,
                                               time.perf_counter() - w0, _children_cpu() - c0))
    return wrapper


def instrument() -> None:
    for name in ("scan", "make_plan", "_absorb", "write_corpus", "validate_outputs",
                 "write_report", "reconcile", "refresh_derived"):
        setattr(runner, name, timed(name, getattr(runner, name)))
    dask_executor.__dict__["pack"] = timed("pack", shipping.pack)  # the name it calls


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("-o", "--out", type=Path, required=True)
    ap.add_argument("--executor", default="dask")
    ap.add_argument("-j", "--jobs", type=int, default=2)
    args = ap.parse_args()
    instrument()
    t0, w0 = time.thread_time(), time.perf_counter()
    report = runner.run(Settings(inputs=[str(args.corpus)], output=args.out, jobs=args.jobs,
                                 executor=args.executor, verbosity=-1, force=True))
    n = len(report.documents)
    steps = {}
    for k, v in SPENT.items():
        cpu, wall, children = (sum(x[i] for x in v) for i in range(3))
        steps[k] = {"cpu_s": round(cpu, 3), "wall_s": round(wall, 3),
                    "child_cpu_s": round(children, 3), "calls": len(v),
                    "cpu_ms_per_document": round(cpu / n * 1000, 3),
                    "child_cpu_ms_per_document": round(children / n * 1000, 3)}
    print(json.dumps({"documents": n, "driver_thread_cpu_s": round(time.thread_time() - t0, 3),
                      "wall_s": round(time.perf_counter() - w0, 1), "steps": steps}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
