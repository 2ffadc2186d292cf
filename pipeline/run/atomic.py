"""Crash-safe writes: a file either has its old content or its complete new content."""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import signal
import tempfile
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path


def safe_output_dir(path: Path) -> Path:
    """Create an output folder, refusing to write through a symlink that points elsewhere.

    An output folder anywhere is fine; a symlinked folder could silently send the
    archive (or an overwrite) somewhere the user did not name.
    """
    path = Path(path)
    if path.is_symlink():
        raise PermissionError(f"refusing to write through a symbolic link: {path}")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_DEFERRED = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Ctrl-C and SIGTERM wait until the block is done (main thread; they then unwind the
    run as usual): a temporary file is never left between its creation and cleanup, and
    a file written is recorded before the run stops. Nests.

    The signals are noted by a handler of ours for the block's length and handed to the
    handlers there before once it ends. Blocking them for this thread is not enough: with
    other threads in the process (a process pool's), the kernel hands a signal to one of
    those, and Python still runs its handler here at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    got: list[int] = []

    def note(signum: int, _frame: object) -> None:
        got.append(signum)

    previous = {sig: signal.signal(sig, note) for sig in _DEFERRED}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
        if got:
            _deliver(got[0], previous[signal.Signals(got[0])])


def _deliver(signum: int, handler: object) -> None:
    """Act on a signal as ``handler`` (what was installed before the block) would have."""
    if callable(handler):
        handler(signum, None)
    elif handler in (signal.SIG_DFL, None):
        os.kill(os.getpid(), signum)  # the default action, now that the block is over


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, fsync, then rename over the target."""
    path = Path(path)
    if path.is_symlink():
        raise PermissionError(f"refusing to write through a symbolic link: {path}")
    with signals_deferred():
        _write_then_rename(path, data)


def _write_then_rename(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp makes 0600 files; an archive is meant to be read: use the umask's default.
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


# mkstemp names made by atomic_write_bytes: ".<target name>.<8 random chars>.tmp"
_TEMP_NAME = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp$")


def is_temp_name(name: str) -> bool:
    """Whether a file name is one of atomic_write_bytes' temporary files."""
    return bool(_TEMP_NAME.match(name))


def sweep_temp_files(folder: Path) -> list[Path]:
    """Remove temporary files a killed run left under ``folder`` (links are not followed).

    Only call this while holding :func:`output_lock`: a live run's temporary files
    look the same.
    """
    removed: list[Path] = []
    folder = Path(folder)
    if not folder.is_dir() or folder.is_symlink():
        return removed
    for root, dirs, files in os.walk(folder, followlinks=False):
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(root, d))]
        for name in files:
            if is_temp_name(name):
                p = Path(root) / name
                try:
                    p.unlink()
                    removed.append(p)
                except OSError:
                    pass
    return removed


class OutputBusy(RuntimeError):
    """Another run holds the output folder's lock."""


#: Lock file descriptors this process holds: a forked worker closes its copies, so the
#: lock lives exactly as long as the run's main process.
HELD_LOCK_FDS: set[int] = set()


@contextlib.contextmanager
def output_lock(folder: Path, notes: list[str] | None = None) -> Iterator[bool]:
    """Hold an exclusive lock on ``folder/.lock`` for the length of a run.

    Two runs into one output folder would overwrite each other's files and cache
    entries; the second one is refused with :class:`OutputBusy`. The lock goes away with
    the process (SIGKILL included). The file holds the holder's pid while it runs and is
    emptied at the end, so a lock left by a run that died is taken over with a note
    (appended to ``notes``). Yields False where the file system cannot lock (the run
    goes on, unprotected).
    """
    path = Path(folder) / ".lock"
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, 0o644)
    except OSError as exc:
        if path.is_symlink():
            raise PermissionError(f"refusing to write through a symbolic link: {path}") from exc
        raise
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            locked = True
        except BlockingIOError as exc:
            holder = _read_holder(fd)
            raise OutputBusy(f"another run{f' (pid {holder})' if holder else ''} is writing "
                             f"to {folder}; wait for it to end or choose another output "
                             "folder") from exc
        except OSError:
            locked = False  # e.g. a network file system without locks
        if locked:
            _take(fd, notes)
        try:
            yield locked
        finally:
            if locked:
                HELD_LOCK_FDS.discard(fd)
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, 0)
    finally:
        os.close(fd)


def _read_holder(fd: int) -> str:
    with contextlib.suppress(OSError, ValueError):
        words = os.pread(fd, 64, 0).decode("ascii").split()
        if len(words) == 2 and words[0] == "pid" and words[1].isdigit():
            return words[1]
    return ""


def _take(fd: int, notes: list[str] | None) -> None:
    """Record this process as the holder; note a previous holder that died holding it."""
    before = _read_holder(fd)
    if before and notes is not None:
        notes.append(f"the previous run (pid {before}) ended without releasing its lock "
                     "(killed?): lock taken over; its finished documents are kept")
    HELD_LOCK_FDS.add(fd)
    with contextlib.suppress(OSError):
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}\n".encode(), 0)


def set_aside(path: Path, why: str, label: str = "unreadable") -> tuple[Path, str]:
    """Rename a file out of the way as ``<name>.<label>-<UTC time>``; returns the new path
    and a note saying so. A disposable file (a cache, the manifest) that cannot be read
    is kept for inspection, never deleted; sqlite's ``-wal``/``-shm`` files go with it."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.{label}-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.{label}-{stamp}-{n}")
    os.replace(path, target)
    for suffix in ("-wal", "-shm", "-journal"):
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            os.replace(companion, target.with_name(target.name + suffix))
    return target, f"{path.name} was {label} ({why}): set aside as {target.name}"
