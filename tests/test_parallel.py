"""pipeline/run/parallel.py: results in the tasks' order, in this process or in workers; a
worker that dies stops the command with a run fault."""

from __future__ import annotations

import os
import signal

import pytest

from pipeline.run.faults import RunFault
from pipeline.run.parallel import chunks, cores, ordered_map


def _pid_and_square(n: int) -> tuple[int, int]:
    return os.getpid(), n * n


def _die_on_three(n: int) -> int:
    if n == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    return n


def test_results_come_in_the_tasks_order_from_the_workers() -> None:
    got = list(ordered_map(_pid_and_square, list(range(40)), 2, "test"))
    assert [square for _, square in got] == [n * n for n in range(40)]
    assert os.getpid() not in {pid for pid, _ in got}


def test_one_job_or_one_task_stays_in_this_process() -> None:
    assert {pid for pid, _ in ordered_map(_pid_and_square, [1, 2, 3], 1, "test")} == \
        {os.getpid()}
    assert {pid for pid, _ in ordered_map(_pid_and_square, [5], 0, "test")} == {os.getpid()}


def test_a_worker_that_dies_stops_the_command() -> None:
    with pytest.raises(RunFault, match="test stopped: a worker process died"):
        list(ordered_map(_die_on_three, list(range(8)), 2, "test"))


def test_chunks_and_cores() -> None:
    assert chunks(list(range(5)), 2) == [[0, 1], [2, 3], [4]]
    assert chunks([], 3) == []
    assert cores() >= 1
