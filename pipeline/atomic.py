"""Crash-safe writes: a file either has its old content or its complete new content."""

from __future__ import annotations

import os
import tempfile
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
