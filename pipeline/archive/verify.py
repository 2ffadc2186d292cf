"""Checking a bag: fixity through ``bagit``, then the TEI it holds as ``validate`` checks it.

Fixity comes first. ``fast`` compares only the Payload-Oxum (file count and bytes: a
changed byte passes); the default recomputes every checksum of every manifest. Whatever
fails, each file is named: missing (in a manifest, not on disk), added (on disk, in no
manifest) or altered (a checksum differs). ``bagit`` stops at the first kind of fault it
meets (an added file fails the Payload-Oxum before any checksum is computed), so the
files are named from the bag's own manifests after its verdict.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bagit  # type: ignore[import-untyped]

from pipeline.archive.payload import ArchiveError
from pipeline.document import Document

_BLOCK = 1 << 20


@dataclass
class VerifyResult:
    """What ``verify`` found; ``ok`` when the bag is whole and its TEI valid."""

    bag: Path
    fast: bool
    files: int = 0
    missing: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    altered: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # bag-level faults (structure, Oxum...)
    tei_checked: int = 0
    tei_problems: list[str] = field(default_factory=list)

    @property
    def whole(self) -> bool:
        return not (self.missing or self.added or self.altered or self.errors)

    @property
    def ok(self) -> bool:
        return self.whole and not self.tei_problems

    def lines(self) -> list[str]:
        out = [f"missing: {p}" for p in self.missing]
        out += [f"added: {p}" for p in self.added]
        out += [f"altered: {p}" for p in self.altered]
        out += [f"bag: {e}" for e in self.errors]
        out += [f"TEI: {p}" for p in self.tei_problems]
        return out


def open_bag(path: Path) -> Any:
    """The ``bagit.Bag`` at ``path``; ArchiveError when it is no bag at all."""
    try:
        return bagit.Bag(str(path))
    except bagit.BagError as exc:
        raise ArchiveError(f"{path}: not a BagIt bag: {exc}") from exc


def check_fixity(path: Path, fast: bool = False) -> VerifyResult:
    """Fixity of the bag at ``path`` (see the module docstring)."""
    bag = open_bag(path)
    result = VerifyResult(Path(path), fast)
    try:
        bag.validate(fast=fast)
    except bagit.BagValidationError as exc:
        details = list(getattr(exc, "details", []) or [])
        for d in details:
            if isinstance(d, bagit.ChecksumMismatch):
                _add(result.altered, str(d.path))
        if not details:
            result.errors.append(str(exc))
    except bagit.BagError as exc:
        result.errors.append(str(exc))
    missing, added = bag.compare_manifests_with_fs()
    result.missing = sorted(str(p) for p in missing)
    result.added = sorted(str(p) for p in added)
    if not fast and not result.altered and (result.errors or result.missing or result.added):
        # bagit stopped at the Payload-Oxum: the checksums of the files still there
        for rel in _altered(Path(path), bag.entries, set(result.missing)):
            _add(result.altered, rel)
    if result.missing or result.added or result.altered:
        result.errors = [e for e in result.errors if not e.startswith("Payload-Oxum")]
    result.altered.sort()
    result.files = sum(1 for k in bag.entries if k.startswith("data/"))
    return result


def _add(items: list[str], value: str) -> None:
    if value not in items:
        items.append(value)


def _altered(root: Path, entries: dict[str, dict[str, str]], missing: set[str]) -> list[str]:
    found: list[str] = []
    for rel, hashes in sorted(entries.items()):
        if rel in missing or not (root / rel).is_file():
            continue
        for alg, expected in sorted(hashes.items()):
            if alg in hashlib.algorithms_available and _digest(root / rel, alg) \
                    != expected.lower():
                found.append(rel)
                break
    return found


def _digest(path: Path, alg: str) -> str:
    h = hashlib.new(alg)
    with open(path, "rb") as fh:
        while block := fh.read(_BLOCK):
            h.update(block)
    return h.hexdigest()


def tei_files(bag: Path) -> list[Path]:
    """The TEI files of a bag: its corpus and its articles."""
    data = Path(bag) / "data"
    files = sorted((data / "tei").glob("*.xml"))
    corpus = data / "corpus.xml"
    return ([corpus] if corpus.is_file() else []) + files


def verify(path: Path, fast: bool = False, validate_tei: bool = True) -> VerifyResult:
    """Fixity, then (when the bag is whole) the TEI files as ``validate`` checks them."""
    result = check_fixity(path, fast)
    if not result.whole or not validate_tei:
        return result
    from pipeline.tei.validate import validate

    files = tei_files(Path(path))
    result.tei_checked = len(files)
    if not files:
        result.tei_problems.append("the bag holds no TEI file (data/corpus.xml, data/tei/)")
        return result
    result.tei_problems = [str(p) for p in validate(files)]
    return result


def read_tei_from_bag(bag: Path, name: str) -> Document:
    """Read an article straight from a bag, after checking its sha256 against the manifest.

    ``name`` is a document id (``art-…``), a file name in ``data/tei/`` or a bag-relative
    path (``data/tei/art-….xml``).
    """
    from pipeline.tei.codec import read_tei

    rel = name if name.startswith("data/") else \
        f"data/tei/{name if name.endswith('.xml') else name + '.xml'}"
    opened = open_bag(bag)
    expected = opened.entries.get(rel, {}).get("sha256")
    if expected is None:
        raise ArchiveError(f"{bag}: no {rel} in the bag's manifest")
    path = Path(bag) / rel
    if os.path.islink(path) or not path.is_file():
        raise ArchiveError(f"{bag}: {rel} is missing")
    if _digest(path, "sha256") != expected.lower():
        raise ArchiveError(f"{bag}: {rel} does not have the bytes its manifest records")
    return read_tei(path)
