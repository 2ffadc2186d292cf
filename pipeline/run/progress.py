"""Progress of a run, per stage: bars on a terminal, plain lines anywhere else.

A progress bar redraws itself with carriage returns and escape codes, which is what a
person at a terminal wants and what a log file or a CI console does not: there every
redraw would be kept. So bars are drawn only when the stream is a terminal; otherwise a
stage prints a plain line (``progress: analyse 64/200 documents``) at most every
``interval`` seconds, and always when it completes.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from typing import Protocol, TextIO

#: Seconds between two plain lines of one stage (its last line is always printed).
PLAIN_INTERVAL_S = 10.0


class Progress(Protocol):
    def update(self, stage: str, n: int) -> None: ...

    def close(self) -> None: ...


class NoProgress:
    """Quiet runs, and runs with nothing to do."""

    def update(self, stage: str, n: int) -> None:
        pass

    def close(self) -> None:
        pass


class BarProgress:
    """One tqdm bar per stage (terminals only)."""

    def __init__(self, stages: Sequence[str], total: int, stream: TextIO) -> None:
        from tqdm import tqdm

        self.bars = {s: tqdm(total=total, desc=f"{s:<10}", unit="doc", leave=True,
                             position=n, file=stream) for n, s in enumerate(stages)}

    def update(self, stage: str, n: int) -> None:
        self.bars[stage].update(n)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


class LineProgress:
    """Plain, periodic lines: no carriage return, no escape code."""

    def __init__(self, stages: Sequence[str], total: int, stream: TextIO,
                 interval: float = PLAIN_INTERVAL_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.total, self.stream, self.interval, self.clock = total, stream, interval, clock
        self.done = dict.fromkeys(stages, 0)
        self.last = dict.fromkeys(stages, clock())

    def update(self, stage: str, n: int) -> None:
        self.done[stage] += n
        now = self.clock()
        if self.done[stage] >= self.total or now - self.last[stage] >= self.interval:
            self.last[stage] = now
            self.stream.write(f"progress: {stage} {self.done[stage]}/{self.total} "
                              "documents\n")
            self.stream.flush()

    def close(self) -> None:
        pass


def stage_progress(stages: Sequence[str], total: int, quiet: bool = False,
                   stream: TextIO | None = None) -> Progress:
    """The progress display that suits ``stream`` (default: standard error)."""
    out = stream if stream is not None else sys.stderr
    if quiet or total == 0:
        return NoProgress()
    isatty = getattr(out, "isatty", None)
    if callable(isatty) and isatty():
        return BarProgress(stages, total, out)
    return LineProgress(stages, total, out)
