"""Archive safety: extract a third-party model archive without trusting it.

``argostranslate.package.install_from_path`` extracts packages blindly
(``ZipFile.extractall``); this module is what the installer uses instead. Every check
runs on the member list *before* anything is written, and again while bytes are written:

* names: no ``..``, absolute paths, drive letters, backslashes or NUL;
* kinds: no links, devices or FIFOs (zip and tar alike);
* a whole-archive budget: total uncompressed bytes, number of members and the
  whole archive's compression ratio (a zip of 4,000 members of 1 MiB of zeros passes a
  per-member ratio check but not this one), checked on the declared sizes first, then
  counted down while writing (declared sizes may lie);
* ``metadata.json``: bounded size and nesting, checked against a schema of the shapes
  argos uses, so a hostile file gives one clear error, never a traceback.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from pipeline.errors import ModelInstallError

MiB = 1 << 20
GiB = 1 << 30

_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True)
class ArchiveLimits:
    """Bounds on what an archive may expand to (decompression-bomb protection).

    Real Argos packages are 30-500 MB in a few dozen files and compress about 1.1:1
    (model.bin) to 10:1 (text) per member, about 1.2:1 as a whole.
    """

    max_total_bytes: int = 2 * GiB  # sum of uncompressed member sizes
    max_members: int = 10_000
    max_ratio: float = 100.0  # uncompressed / compressed: per member and whole archive
    ratio_min_bytes: int = 1 * MiB  # below this, a member or archive may compress better
    max_download_bytes: int = 4 * GiB


DEFAULT_LIMITS = ArchiveLimits()


def member_parts(name: str) -> list[str]:
    """Path components of an archive member name, or ModelInstallError if unsafe.

    Refuses absolute paths, drive letters, ``..``, backslashes and NUL; drops ``.``.
    """
    if "\x00" in name:
        raise ModelInstallError(f"member {name!r}: NUL in name")
    if "\\" in name:
        raise ModelInstallError(f"member {name!r}: backslash in name")
    if name.startswith("/") or _DRIVE.match(name):
        raise ModelInstallError(f"member {name!r}: absolute path")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise ModelInstallError(f"member {name!r}: '..' in path")
    return parts


class _Plan:
    """Checks the member list as a whole before anything is written."""

    def __init__(self, limits: ArchiveLimits) -> None:
        self.limits = limits
        self.total = 0
        self.seen: set[tuple[str, ...]] = set()
        self.tops: set[str] = set()
        self.files: set[tuple[str, ...]] = set()

    def add(self, name: str, is_dir: bool, size: int) -> list[str]:
        parts = member_parts(name)
        if not parts:
            return parts
        if len(self.seen) >= self.limits.max_members:
            raise ModelInstallError(f"archive has more than {self.limits.max_members} members")
        key = tuple(parts)
        if key in self.seen:
            raise ModelInstallError(f"member {name!r} appears twice")
        self.seen.add(key)
        self.tops.add(parts[0])
        if not is_dir:
            if len(parts) == 1:
                raise ModelInstallError(f"member {name!r}: file outside the top folder")
            self.files.add(key)
            self.total += max(0, size)
            if self.total > self.limits.max_total_bytes:
                raise ModelInstallError(
                    f"archive expands to more than {self.limits.max_total_bytes} bytes"
                )
        return parts

    def check_ratio(self, packed: int) -> None:
        """The whole archive's ratio: many small, very compressible members add up."""
        packed = max(packed, 1)
        if self.total > self.limits.ratio_min_bytes and \
                self.total > self.limits.max_ratio * packed:
            raise ModelInstallError(
                f"archive has compression ratio {self.total / packed:.0f}:1 as a whole "
                f"({self.total:,} bytes from {packed:,}), over the {self.limits.max_ratio:.0f}:1 "
                "limit (bomb?)"
            )

    def top(self) -> str:
        if len(self.tops) != 1:
            found = ", ".join(sorted(self.tops)[:5]) or "nothing"
            raise ModelInstallError(f"archive must hold exactly one top folder (found: {found})")
        top = next(iter(self.tops))
        if (top, "metadata.json") not in self.files:
            raise ModelInstallError(f"archive has no {top}/metadata.json")
        return top


class _Budget:
    """What extraction may still write: counted down per byte and per member."""

    def __init__(self, limits: ArchiveLimits) -> None:
        self.bytes_left = limits.max_total_bytes
        self.members_left = limits.max_members
        self.limits = limits

    def member(self) -> None:
        self.members_left -= 1
        if self.members_left < 0:
            raise ModelInstallError(
                f"archive has more than {self.limits.max_members} members")

    def spend(self, n: int) -> None:
        self.bytes_left -= n
        if self.bytes_left < 0:
            raise ModelInstallError(
                f"archive expands to more than {self.limits.max_total_bytes} bytes")


def _inside(root: Path, parts: list[str]) -> Path:
    target = root.joinpath(*parts)
    if not target.resolve().is_relative_to(root.resolve()):  # defence in depth
        raise ModelInstallError(f"member {'/'.join(parts)!r} resolves outside the target")
    return target


def _write(src: IO[bytes], target: Path, declared: int, budget: _Budget) -> None:
    """Stream one member to a new file, never past its declared size or the total budget."""
    budget.member()
    target.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(target, flags, 0o644)
    written = 0
    with os.fdopen(fd, "wb") as out:
        while chunk := src.read(MiB):
            written += len(chunk)
            if written > declared:
                raise ModelInstallError(
                    f"member {target.name!r} expands past its declared size (zip bomb?)"
                )
            budget.spend(len(chunk))
            out.write(chunk)


def _zip_member(info: zipfile.ZipInfo, limits: ArchiveLimits) -> bool:
    """Refuse links, special files, encryption and over-compressed members; is it a folder?"""
    kind = stat.S_IFMT(info.external_attr >> 16)
    if kind == stat.S_IFLNK:
        raise ModelInstallError(f"member {info.filename!r} is a symbolic link")
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        raise ModelInstallError(f"member {info.filename!r} is not a regular file")
    if info.flag_bits & 0x1:
        raise ModelInstallError(f"member {info.filename!r} is encrypted")
    is_dir = info.is_dir() or kind == stat.S_IFDIR
    if (
        not is_dir
        and info.file_size > limits.ratio_min_bytes
        and info.file_size > limits.max_ratio * max(info.compress_size, 1)
    ):
        ratio = info.file_size / max(info.compress_size, 1)
        raise ModelInstallError(
            f"member {info.filename!r} has compression ratio {ratio:.0f}:1, over the "
            f"{limits.max_ratio:.0f}:1 limit (zip bomb?)"
        )
    return is_dir


def extract_zip(archive: Path, dest: Path, limits: ArchiveLimits) -> str:
    """Extract a checked zip under ``dest``; returns its one top folder's name."""
    with zipfile.ZipFile(archive) as zf:
        plan = _Plan(limits)
        members: list[tuple[zipfile.ZipInfo, bool, list[str]]] = []
        for info in zf.infolist():
            is_dir = _zip_member(info, limits)
            members.append((info, is_dir, plan.add(info.filename, is_dir, info.file_size)))
        plan.check_ratio(archive.stat().st_size)
        top = plan.top()
        budget = _Budget(limits)
        for info, is_dir, parts in members:
            if not parts:
                continue
            target = _inside(dest, parts)
            if is_dir:
                budget.member()
                target.mkdir(parents=True, exist_ok=True)
                continue
            with zf.open(info) as src:
                _write(src, target, info.file_size, budget)
    return top


def extract_tar(archive: Path, dest: Path, limits: ArchiveLimits) -> str:
    """Extract a checked tar (any compression) under ``dest``; returns its top folder."""
    with tarfile.open(archive, "r:*") as tf:
        plan = _Plan(limits)
        members: list[tuple[tarfile.TarInfo, list[str]]] = []
        for info in _tar_members(tf, limits):
            if info.issym():
                raise ModelInstallError(f"member {info.name!r} is a symbolic link")
            if info.islnk():
                raise ModelInstallError(f"member {info.name!r} is a hard link")
            if not (info.isreg() or info.isdir()):
                raise ModelInstallError(f"member {info.name!r} is not a regular file")
            members.append((info, plan.add(info.name, info.isdir(), info.size)))
        plan.check_ratio(archive.stat().st_size)
        top = plan.top()
        budget = _Budget(limits)
        for info, parts in members:
            if not parts:
                continue
            target = _inside(dest, parts)
            if info.isdir():
                budget.member()
                target.mkdir(parents=True, exist_ok=True)
                continue
            src = tf.extractfile(info)
            if src is None:
                raise ModelInstallError(f"member {info.name!r} cannot be read")
            with src:
                _write(src, target, info.size, budget)
    return top


def _tar_members(tf: tarfile.TarFile, limits: ArchiveLimits) -> Iterator[tarfile.TarInfo]:
    """Members one by one, stopping early on archives with too many of them."""
    for count, info in enumerate(tf, start=1):
        if count > limits.max_members:
            raise ModelInstallError(f"archive has more than {limits.max_members} members")
        yield info


def copy_dir(src: Path, dest: Path, limits: ArchiveLimits) -> str:
    """Copy an extracted package folder (no links, no special files) under ``dest``."""
    top = src.resolve().name
    if not (src / "metadata.json").is_file():
        raise ModelInstallError(f"{src}: no metadata.json in the package folder")
    total = 0
    count = 0
    for root, dirs, files in os.walk(src, followlinks=False):
        rel = Path(root).relative_to(src)
        (dest / top / rel).mkdir(parents=True, exist_ok=True)
        for name in dirs + files:
            count += 1
            if count > limits.max_members:
                raise ModelInstallError(f"{src}: more than {limits.max_members} entries")
            path = Path(root) / name
            st = path.lstat()
            if stat.S_ISLNK(st.st_mode):
                raise ModelInstallError(f"{path}: symbolic links are not accepted in a package")
            if name in files:
                if not stat.S_ISREG(st.st_mode):
                    raise ModelInstallError(f"{path}: not a regular file")
                total += st.st_size
                if total > limits.max_total_bytes:
                    raise ModelInstallError(f"{src}: more than {limits.max_total_bytes} bytes")
                shutil.copyfile(path, dest / top / rel / name, follow_symlinks=False)
    return top


# -- metadata.json ----------------------------------------------------------------------

#: Real metadata.json files are under 2 kB; anything this large is not one.
METADATA_MAX_BYTES = 256 * 1024
#: Nesting deeper than this is refused before parsing (Python's parser recurses).
METADATA_MAX_DEPTH = 8
METADATA_MAX_STRING = 4096
#: Fields argos reads, with the shape each must have.
_STR_FIELDS = ("type", "code", "from_code", "to_code", "from_name", "to_name",
               "package_version", "argos_version", "name", "description")
_STR_LIST_FIELDS = ("from_codes", "to_codes", "links", "languages")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)


def nesting_depth(text: str) -> int:
    """Deepest bracket nesting of a JSON text, strings left out (no recursion)."""
    depth = deepest = 0
    for m in re.finditer(r"[\[\]{}]", _STRING.sub('""', text)):
        depth += 1 if m.group() in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def read_metadata(path: Path) -> dict[str, Any]:
    """``metadata.json``, parsed and checked against the allowed shapes and sizes."""
    try:
        size = path.stat().st_size
        if size > METADATA_MAX_BYTES:
            raise ModelInstallError(f"metadata.json is {size:,} bytes; a package's is under "
                                    f"{METADATA_MAX_BYTES:,}")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ModelInstallError("package has no metadata.json in its top folder") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelInstallError(f"metadata.json cannot be read: {exc}") from None
    if nesting_depth(text) > METADATA_MAX_DEPTH:
        raise ModelInstallError(f"metadata.json nests deeper than {METADATA_MAX_DEPTH} levels")
    try:
        meta = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ModelInstallError(f"metadata.json is not valid JSON: {exc}") from None
    return check_metadata(meta)


def check_metadata(meta: object) -> dict[str, Any]:
    """The schema: an object; known fields strings or lists of strings; bounded strings."""
    if not isinstance(meta, dict):
        raise ModelInstallError("metadata.json is not a JSON object")
    for key in _STR_FIELDS:
        if key in meta and meta[key] is not None and not isinstance(meta[key], str):
            raise ModelInstallError(f"metadata.json: {key!r} must be a string, not "
                                    f"{_json_type(meta[key])}")
    for key in _STR_LIST_FIELDS:
        value = meta.get(key)
        if value is not None and not (isinstance(value, list)
                                      and all(isinstance(v, str) for v in value)):
            raise ModelInstallError(f"metadata.json: {key!r} must be a list of strings, not "
                                    f"{_json_type(value)}")
    for value in _leaves(meta):
        if isinstance(value, str) and len(value) > METADATA_MAX_STRING:
            raise ModelInstallError(f"metadata.json holds a string of {len(value):,} "
                                    f"characters (limit {METADATA_MAX_STRING:,})")
    return meta


def _leaves(value: object) -> Iterator[object]:
    """Every key and scalar of a parsed JSON value, depth-first without recursion."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        else:
            yield item


def _json_type(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
             int: "a number", float: "a number", type(None): "null"}
    return names.get(type(value), type(value).__name__)
