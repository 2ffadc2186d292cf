"""Building a BagIt 1.0 bag (RFC 8493) of an output folder with the Library of Congress' bagit.

The bag is built in a hidden temporary folder beside the target (``.BAG.<random>.partial``),
checked with ``bagit`` (every checksum) and renamed to its name only then: a killed or
failed bagging never leaves a half bag under the target's name, and the next bagging
removes the leftover folder (a lock on it tells a dead build from a live one).

``bagit.make_bag`` writes the manifests (payload files in sorted order), ``bag-info.txt``
(sorted tags) and the tag manifests. Two things are set afterwards so that the same
output gives the same bag byte for byte and says the version it is: ``bagit.txt`` says
``BagIt-Version: 1.0`` (the library writes 0.97), and the tag manifests are rewritten
in sorted order (the library lists tag files in directory order, which differs between
file systems). File modes and modification times are set from ``SOURCE_DATE_EPOCH`` too,
so a tar or rsync of two bags of one output is also identical.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import bagit  # type: ignore[import-untyped]

from pipeline import __version__
from pipeline.archive.payload import ArchiveError, Payload, collect
from pipeline.run.atomic import OutputBusy, output_lock

log = logging.getLogger(__name__)

CHECKSUMS = ("sha256", "sha512")
BAGIT_TXT = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
#: Tags the archive computes; a config file or option cannot set them.
COMPUTED = frozenset({"Payload-Oxum", "Bagging-Date", "Bag-Software-Agent", "Bag-Size"})
_TAG_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*$")
_PARTIAL = ".partial"
_BLOCK = 1 << 20


@dataclass
class BagResult:
    path: Path
    articles: int
    files: int
    bytes: int
    seconds: float


def clock() -> datetime:
    """The bag's only time: ``SOURCE_DATE_EPOCH`` (as the TEI uses it), else today 00:00 UTC."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), UTC)
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def bag_info(tags: Mapping[str, str], payload: Payload, when: datetime) -> dict[str, str]:
    """The ``bag-info.txt`` tags: the given ones, a default description, and computed ones."""
    info: dict[str, str] = {}
    for key, value in tags.items():
        if not _TAG_NAME.match(key):
            raise ArchiveError(f"bag-info tag {key!r}: letters, digits and '-' only")
        if key in COMPUTED:
            raise ArchiveError(f"bag-info tag {key} is computed by the archive; leave it out")
        value = " ".join(str(value).split())  # one line: tag files are line-based
        if value:
            info[key] = value
    n = len(payload.articles)
    info.setdefault("External-Description",
                    f"newscorpus TEI P5 corpus: {n} article(s), French originals with English "
                    "translations, tokens, entities and cross-lingual entity records; with "
                    "the original input files, the run report and an inventory "
                    "(data/inventory.csv)")
    info["Bagging-Date"] = when.date().isoformat()
    info["Bag-Software-Agent"] = f"newscorpus {__version__} (bagit.py {bagit.VERSION})"
    return info


def _check_target(output: Path, target: Path) -> None:
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise ArchiveError(f"{target} exists and is not a folder: refused")
    if target.is_dir() and any(target.iterdir()):
        raise ArchiveError(f"{target} exists and is not empty: refused (choose a new name)")
    out, tgt = output.resolve(), target.resolve()
    if tgt == out or out in tgt.parents:
        raise ArchiveError(f"{target} is inside the output folder {output}: choose a "
                           "folder outside it")


@contextlib.contextmanager
def _partial_folder(target: Path) -> Iterator[Path]:
    """A locked temporary folder beside ``target``; removed unless renamed away."""
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    sweep_partials(target)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=_PARTIAL, dir=parent))
    fd = os.open(tmp, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield tmp
    finally:
        try:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        finally:
            os.close(fd)


def sweep_partials(target: Path) -> list[Path]:
    """Remove temporary folders that a killed bagging of ``target`` left (none in use)."""
    removed: list[Path] = []
    for tmp in target.parent.glob(f".{glob_escape(target.name)}.*{_PARTIAL}"):
        if tmp.is_symlink() or not tmp.is_dir():
            continue
        fd = os.open(tmp, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            continue  # a live bagging
        finally:
            os.close(fd)
        shutil.rmtree(tmp, ignore_errors=True)
        removed.append(tmp)
    return removed


def glob_escape(name: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", name)


def _stage(payload: Payload, folder: Path) -> None:
    """Copy the payload into ``folder`` (bagit then moves it into ``data/``)."""
    for rel in sorted(set(payload.files) | set(payload.generated)):
        dest = folder / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        if rel in payload.generated:
            dest.write_bytes(payload.generated[rel])
        else:
            shutil.copyfile(payload.files[rel], dest)


def _tag_manifests(folder: Path) -> None:
    """Tag manifests with lines in sorted order (the same bytes on every file system)."""
    tags = sorted(p.name for p in folder.iterdir()
                  if p.is_file() and not p.name.startswith("tagmanifest-"))
    for alg in CHECKSUMS:
        lines = [f"{_digest(folder / name, alg)}  {name}\n" for name in tags]
        (folder / f"tagmanifest-{alg}.txt").write_text("".join(lines), encoding="utf-8")


def _digest(path: Path, alg: str) -> str:
    h = hashlib.new(alg)
    with open(path, "rb") as fh:
        while block := fh.read(_BLOCK):
            h.update(block)
    return h.hexdigest()


def _normalise(folder: Path, when: datetime) -> None:
    """Same modes and times everywhere: a tar of the bag is then deterministic too."""
    stamp = when.timestamp()
    mask = _umask()
    for root, dirs, files in os.walk(folder, topdown=False):
        for name in files:
            os.chmod(Path(root) / name, 0o644 & ~mask)
            os.utime(Path(root) / name, (stamp, stamp))
        for name in dirs:
            os.chmod(Path(root) / name, 0o755 & ~mask)
            os.utime(Path(root) / name, (stamp, stamp))
    os.chmod(folder, 0o755 & ~mask)
    os.utime(folder, (stamp, stamp))


def _make(tmp: Path, payload: Payload, tags: Mapping[str, str], when: datetime) -> None:
    _stage(payload, tmp)
    os.chmod(tmp, 0o755 & ~_umask())  # bagit gives data/ the folder's mode
    bagit.make_bag(str(tmp), bag_info(tags, payload, when), checksums=list(CHECKSUMS))
    (tmp / "bagit.txt").write_bytes(BAGIT_TXT)
    _tag_manifests(tmp)
    _normalise(tmp, when)
    try:  # the bag must be whole before it gets its name
        bagit.Bag(str(tmp)).validate()
    except bagit.BagError as exc:
        raise ArchiveError(f"the bag built does not validate: {exc}") from exc
    _sync(tmp)


def _sync(folder: Path) -> None:
    """Every file and folder on disk before the rename: a crash then leaves the old name
    free or the whole bag under it, never a bag whose files are still in the page cache."""
    for root, _dirs, files in os.walk(folder, topdown=False):
        for name in [*files, "."]:
            _fsync(Path(root) / name)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def build_bag(output: Path, target: Path, tags: Mapping[str, str] | None = None,
              inputs: Path | None = None) -> BagResult:
    """Bag ``output`` as ``target``; see the module docstring. Raises ArchiveError (exit 2)."""
    started = time.perf_counter()
    output, target = Path(output), Path(target)
    if not output.is_dir():
        raise ArchiveError(f"{output}: no such output folder")
    _check_target(output, target)
    try:
        with output_lock(output):  # no run writes into the output while it is copied
            payload = collect(output, inputs)
            when = clock()
            with _partial_folder(target) as tmp:
                _make(tmp, payload, tags or {}, when)
                _check_target(output, target)  # still free: else nothing is replaced
                os.rename(tmp, target)
                _fsync(target.parent)
    except OutputBusy as exc:
        raise ArchiveError(str(exc)) from exc
    oxum = bagit.Bag(str(target)).info.get("Payload-Oxum", "0.0")
    size, files = (int(x) for x in str(oxum).split(".", 1))
    return BagResult(target, len(payload.articles), files, size,
                     round(time.perf_counter() - started, 3))
