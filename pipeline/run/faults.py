"""Telling a document's fault from the run's, and what the run does about each.

A document fault (its bytes are empty, binary, all boilerplate...) costs that document:
it is reported, its earlier output is removed, the run goes on (exit 1). A run fault is
the environment's: a full disk, an unwritable output, a cache that cannot be used even
rebuilt, a worker process that died, an engine that fails on every document. It stops
the run (exit 2) with one message that says what to do, and removes nothing: the earlier
archive stays as it was and ``corpus.xml`` keeps pointing at the files in ``tei/``.

Also here: the manifest (disposable: set aside when unreadable), hand-edited TEI files
(kept aside before they are regenerated), worker processes that die with the run, and
Ctrl-C / SIGTERM as one line and a status.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import json
import os
import signal
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from pipeline.errors import ConfigError, PipelineError
from pipeline.run.atomic import set_aside

if TYPE_CHECKING:  # report.py imports this module
    from pipeline.run.report import DocResult

#: This many documents in a row failing with the same internal error is the run's fault
#: (an engine broken for every input), not theirs.
STREAK = 5
#: OS errors that say the machine, not the document, is at fault.
_ENVIRONMENT_ERRNOS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EIO: "an input/output error",
    errno.EMFILE: "too many open files",
    errno.ENFILE: "too many open files",
    errno.ENOMEM: "out of memory",
}
INTERRUPTED = "interrupted; finished documents are kept; rerun to resume"


class RunFault(PipelineError):
    """The run cannot go on for a reason that is not one document's: exit status 2."""

    code = "run-fault"

    def __init__(self, what: str, todo: str | None = None) -> None:
        # One argument when unpickled from a worker: the finished message.
        super().__init__(what if todo is None else
                         f"run stopped: {what}. Nothing was removed: the earlier archive is "
                         f"as it was. {todo}, then rerun to resume.")


class Interrupted(BaseException):
    """SIGTERM (or SIGINT) reached the run; ``status`` is the exit status to end with."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.status = 128 + signum


def environment_fault(exc: BaseException, stage: str) -> RunFault | None:
    """The run fault ``exc`` stands for, or None when it may be the document's own."""
    if isinstance(exc, RunFault):
        return exc
    if isinstance(exc, PipelineError) and not isinstance(exc, ConfigError):
        return None  # DocumentError and the like: the document's
    if isinstance(exc, ConfigError):
        return RunFault(f"stage {stage}: {exc}", "Fix the set-up as the message says")
    if isinstance(exc, OSError):
        why = _ENVIRONMENT_ERRNOS.get(exc.errno or 0, "an operating-system error")
        where = f" ({exc.filename})" if exc.filename else ""
        return RunFault(f"stage {stage}: {why}{where}: {exc.strerror or exc}",
                        _advice(exc.errno or 0))
    if isinstance(exc, sqlite3.DatabaseError):
        return RunFault(f"stage {stage}: the translation cache cannot be used, even rebuilt "
                        f"({type(exc).__name__}: {exc})",
                        "Check the disk that holds OUTPUT/.cache (space, permissions)")
    return None


def _advice(code: int) -> str:
    if code in (errno.ENOSPC, errno.EDQUOT):
        return "Free disk space where the output and its cache are written"
    if code in (errno.EROFS, errno.EACCES, errno.EPERM):
        return "Make the output folder and its .cache writable"
    if code in (errno.EMFILE, errno.ENFILE, errno.ENOMEM):
        return "Run with fewer workers (-j 1) or a smaller --chunk-size"
    return "Check the disk and the engines"


class Streak:
    """Counts documents failing in a row with the same internal error."""

    def __init__(self, limit: int = STREAK) -> None:
        self.limit = limit
        self.key: tuple[str, str] | None = None
        self.count = 0

    def add(self, status: str, error: dict[str, str] | None) -> RunFault | None:
        """Feed one result in order; returns the run fault once the streak is long enough."""
        if status != "failed" or not error or error.get("code") != "internal":
            self.key, self.count = None, 0
            return None
        key = (error.get("stage", ""), error.get("message", "")[:200])
        self.count = self.count + 1 if key == self.key else 1
        self.key = key
        return self.fault() if self.count >= self.limit else None

    def fault(self) -> RunFault:
        stage, message = self.key or ("", "")
        return RunFault(
            f"{self.count} documents in a row failed in stage {stage} with the same internal "
            f"error ({message}): an engine or the environment is broken, not the documents",
            "Check the engines (python -m pipeline models list; a reinstalled model, "
            "--mt apertium) and the disk")


# ---------------------------------------------------------------- processes and signals

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """In a worker: be killed when the process that started it dies (SIGKILL included).

    Linux's parent-death signal; the check after it closes the race where the parent died
    before the call. Elsewhere the pool's own handling is all there is.
    """
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)
    # Ctrl-C reaches the whole process group: the main process answers it, once.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _raise_interrupted(signum: int, frame: FrameType | None) -> None:
    raise Interrupted(signum)


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """While a run lasts in the main thread, SIGTERM unwinds like Ctrl-C (files are closed,
    temporary files removed) instead of killing the process mid-write."""
    try:
        previous = signal.signal(signal.SIGTERM, _raise_interrupted)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# ---------------------------------------------------------------- manifest and hand edits


def load_manifest(path: Path, notes: list[str]) -> dict[str, Any]:
    """The run manifest, or {} when there is none. One that cannot be read or has the
    wrong shape is set aside with a note (everything is then recomputed, nothing lost)."""
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        problem = manifest_problem(data)
    except (OSError, ValueError, RecursionError) as exc:
        problem, data = f"{type(exc).__name__}: {exc}", None
    if problem is None and isinstance(data, dict):
        return data
    _, note = set_aside(path, problem or "unreadable")
    notes.append(note + "; every document is checked again")
    return {}


_ENTRY_FIELDS: dict[str, tuple[type, ...]] = {
    "file": (str,), "input": (str,), "config": (str,), "status": (str,),
    "output": (str, type(None)), "notes": (list,), "engines": (list,),
    "applications": (list,), "pending": (bool,),
}


def manifest_problem(data: object) -> str | None:
    """What is wrong with a manifest's shape (None: nothing)."""
    if not isinstance(data, dict):
        return "not a JSON object"
    docs = data.get("documents", {})
    if not isinstance(docs, dict):
        return "'documents' is not an object"
    for key, entry in docs.items():
        if not isinstance(entry, dict):
            return f"the entry of {key!r} is not an object"
        for name, kinds in _ENTRY_FIELDS.items():
            if name in entry and not isinstance(entry[name], kinds):
                return f"the entry of {key!r} has a {type(entry[name]).__name__} {name!r}"
        for name in ("notes", "applications"):
            if not all(isinstance(x, dict) for x in entry.get(name, [])):
                return f"the entry of {key!r} has {name!r} that are not objects"
    inputs = data.get("corpus_inputs", [])
    if not isinstance(inputs, list) or not all(isinstance(x, str) for x in inputs):
        return "'corpus_inputs' is not a list of paths"
    valid = data.get("valid_files", {})
    if not isinstance(valid, dict) or not all(isinstance(v, str) for v in valid.values()):
        return "'valid_files' is not an object of checksums"
    if not isinstance(data.get("validation", {}), dict):
        return "'validation' is not an object"
    return None


def hand_edited(entry: dict[str, Any], current_sha: str | None) -> bool:
    """Whether a TEI file's bytes differ from what the pipeline last wrote there.

    ``pending`` entries were being rewritten when a run was stopped: their file may hold
    the new bytes before the manifest does, which is no edit.
    """
    recorded = entry.get("output")
    return bool(recorded) and current_sha is not None and current_sha != recorded \
        and not entry.get("pending")


def move_edited_aside(path: Path, notes: list[str]) -> None:
    """Keep a hand-edited TEI file as ``<name>.edited-<time>`` before it is regenerated."""
    target, _ = set_aside(path, "edited", label="edited")
    notes.append(f"warning: tei/{path.name} differs from what the pipeline wrote (edited by "
                 f"hand?): kept as tei/{target.name}, and regenerated")


def keep_earlier(result: DocResult, entry: dict[str, Any], tei_dir: Path) -> None:
    """A document failing with an internal error (the pipeline's fault, not its content's)
    keeps the output an earlier run made, and stays in the corpus with it.

    ``entry`` is the document's manifest entry as earlier runs left it.
    """
    if result.status != "failed" or not result.error or result.error.get("code") != "internal":
        return
    path = tei_dir / f"{result.id}.xml"
    recorded = entry.get("output")
    if not recorded or not path.is_file() or path.is_symlink():
        return
    if hashlib.sha256(path.read_bytes()).hexdigest() != recorded:
        return
    result.output, result.output_sha256 = str(path), recorded
    result.applications = entry.get("applications", [])
    result.error["message"] += (f" (its earlier output tei/{path.name} is kept: the error is "
                                "the pipeline's, not the document's)")
