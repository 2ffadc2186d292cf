"""Crash-safe writes: a file either has its old content or its complete new content."""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import tempfile
from collections.abc import Iterator
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


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, fsync, then rename over the target."""
    path = Path(path)
    if path.is_symlink():
        raise PermissionError(f"refusing to write through a symbolic link: {path}")
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


@contextlib.contextmanager
def output_lock(folder: Path) -> Iterator[bool]:
    """Hold an exclusive lock on ``folder/.lock`` for the length of a run.

    Two runs into one output folder would overwrite each other's files and cache
    entries; the second one is refused with :class:`OutputBusy`. The lock goes away with
    the process (SIGKILL included). Yields False where the file system cannot lock
    (the run goes on, unprotected).
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
            raise OutputBusy(f"another run is writing to {folder}; wait for it to end "
                             "or choose another output folder") from exc
        except OSError:
            locked = False  # e.g. a network file system without locks
        yield locked
    finally:
        os.close(fd)
