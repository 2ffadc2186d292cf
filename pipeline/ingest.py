"""Finding input files, giving them stable ids, reading and decoding them."""

from __future__ import annotations

import glob
import hashlib
import re
import unicodedata
from pathlib import Path

from pipeline.document import Source
from pipeline.errors import ConfigError, DocumentError

MAX_BYTES = 5_000_000  # larger files are refused with a reason (a news article is ~10 kB)
SUFFIXES = {".txt", ".text"}


def discover(inputs: list[str]) -> list[Path]:
    """Expand folders (their *.txt files), globs and plain files, in a stable order."""
    found: list[Path] = []
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            found.extend(sorted(f for f in p.iterdir() if f.is_file() and f.suffix in SUFFIXES))
        elif p.is_file():
            found.append(p)
        else:
            matches = sorted(Path(m) for m in glob.glob(item) if Path(m).is_file())
            if not matches:
                raise ConfigError(f"input not found: {item}")
            found.extend(matches)
    seen: set[Path] = set()
    unique = []
    for f in found:
        key = f.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique


def make_ids(paths: list[Path]) -> dict[Path, str]:
    """Stable, collision-free NCName ids from file names ("art-" + an ASCII slug).

    Names that differ only by case or by characters the slug drops get a short hash of
    the original name, so two inputs can never share an id (or an output file).
    """
    ids: dict[Path, str] = {}
    by_slug: dict[str, list[Path]] = {}
    for p in paths:
        by_slug.setdefault(_slug(p.stem).lower(), []).append(p)
    for group in by_slug.values():
        for p in group:
            exact = _slug(p.stem)
            lossless = len(group) == 1 and exact == p.stem
            suffix = "" if lossless else "-" + hashlib.sha256(p.name.encode()).hexdigest()[:8]
            ids[p] = f"art-{exact or 'x'}{suffix}"
    return ids


def _slug(stem: str) -> str:
    ascii_ = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", ascii_).strip("._-")[:80]


def read_source(path: Path) -> tuple[Source, str]:
    """Read one file, decide its encoding, and return the text with its provenance."""
    data = path.read_bytes()
    source = Source(
        path=str(path), filename=path.name, sha256=hashlib.sha256(data).hexdigest(), size=len(data)
    )
    if len(data) > MAX_BYTES:
        raise DocumentError(
            f"{path.name}: {len(data):,} bytes is over the {MAX_BYTES:,}-byte limit for one "
            "article; split the file or raise pipeline.ingest.MAX_BYTES",
            code="too-large",
        )
    text, source.encoding, source.encoding_note = decode(data)
    if not text.strip():
        raise DocumentError(f"{path.name}: the file is empty or holds only whitespace", "empty")
    return source, text


def decode(data: bytes) -> tuple[str, str, str]:
    """Bytes -> (text, encoding, how it was decided). Refuses binary data."""
    boms = [(b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")]
    for bom, enc in boms:
        if data.startswith(bom):
            try:
                return data.decode(enc), enc.replace("-sig", ""), "byte order mark"
            except UnicodeDecodeError as exc:
                raise DocumentError(f"invalid {enc} after its byte order mark: {exc}",
                                    "decode") from exc
    if b"\x00" in data or data.startswith(b"\x89PNG") or _binary_share(data) > 0.05:
        raise DocumentError("binary content (NUL bytes or non-text data), not a text file",
                            "binary")
    try:
        return data.decode("utf-8"), "utf-8", "valid UTF-8"
    except UnicodeDecodeError as exc:
        bad_at = exc.start
    import charset_normalizer

    best = charset_normalizer.from_bytes(data).best()
    if best is not None and best.encoding not in ("utf_8", "utf_8_sig"):
        enc = best.encoding
        return str(best), enc, f"not UTF-8 (byte {bad_at}); detected {enc} by charset-normalizer"
    # Mostly UTF-8 with a few bad bytes: keep the text, mark each bad byte.
    text = data.decode("utf-8", errors="replace")
    return text, "utf-8", f"invalid UTF-8 bytes replaced by U+FFFD (first at byte {bad_at})"


def _binary_share(data: bytes) -> float:
    sample = data[:4096]
    if not sample:
        return 0.0
    bad = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return bad / len(sample)
