"""Finding input files, giving them stable ids, reading and decoding them.

Everything here is about the bytes on disk, before any cleaning:

* :func:`discover` expands folders, files and globs in a stable order;
* :func:`make_ids` turns file names into ``xml:id``\\ s that can never collide (nor, being
  plain ASCII slugs without ``/``, name a path outside ``output/tei/``);
* :func:`read_source` reads one file in bounded memory and decodes it, refusing what is
  not a text (empty, binary, over :data:`MAX_BYTES`) with a :class:`DocumentError` and a
  stable code, and recording every repair as a :class:`Note` (encoding guessed, bytes
  replaced, characters XML forbids removed, line ends, literal markup, very long lines).

Encodings: a byte order mark decides (UTF-8, UTF-16, UTF-32); else valid UTF-8 is
UTF-8; else a file whose non-ASCII sequences are mostly UTF-8 (valid, or shaped like
UTF-8: a CESU-8 emoji) is UTF-8 with each bad sequence replaced by one U+FFFD and
counted; else it is read as cp1252 when it uses the bytes 0x80-0x9F that cp1252 defines
(curly quotes, « œ », « € »), and as Latin-1 otherwise. UTF-16 without a BOM is
recognised by its NUL-byte pattern. Other legacy encodings (Cyrillic, CJK...) are not
guessed: they would read as Latin-1, and the note says which encoding was assumed.
"""

from __future__ import annotations

import glob
import hashlib
import os
import re
import stat
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.document import Note, Source
from pipeline.errors import ConfigError, DocumentError
from pipeline.ingest.sniff import ENDINGS, format_of_name

#: Larger files are refused, before being read, with the code ``too-large``. A news
#: article is ~10 kB and a whole scraped page rarely 200 kB; 2 MB bounds one document's
#: cost (about 2 GB of memory and a few minutes through every stage).
MAX_BYTES = 2_000_000
#: A line longer than this (characters) gets a ``long-line`` note: a page flattened to
#: one line, or a blob. It is still processed (analysis works on bounded pieces).
LONG_LINE = 10_000

_READ_BLOCK = 1 << 20

# Characters XML 1.0 forbids (production [2] Char).
_FORBIDDEN = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Vertical tab and form feed are line breaks in word processors' text exports.
_BREAKS = {"\x0b": "\n", "\x0c": "\n"}
_MARKUP = re.compile(
    r"<\s*/?\s*[A-Za-z][\w:-]*(?:\s[^<>]*)?/?\s*>|&(?:#\d{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z]\w{1,30});"
    r"|\]\]>|<!--|<!\[CDATA\["
)
# Magic numbers of common binary formats a scrape folder may hold by mistake.
_MAGIC = [
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"%PDF-", "PDF document"),
    (b"PK\x03\x04", "ZIP archive (or DOCX/ODT)"),
    (b"\x1f\x8b", "gzip archive"),
    (b"BZh", "bzip2 archive"),
    (b"\xfd7zXZ\x00", "xz archive"),
    (b"7z\xbc\xaf\x27\x1c", "7z archive"),
    (b"\x7fELF", "executable (ELF)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "MS Office document (OLE)"),
    (b"RIFF", "RIFF media file"),
    (b"SQLite format 3\x00", "SQLite database"),
]
# cp1252 leaves these five bytes undefined.
_CP1252_HOLES = frozenset({0x81, 0x8D, 0x8F, 0x90, 0x9D})


# ---------------------------------------------------------------------------- files


@dataclass
class Inputs:
    """The files a run will read, and what was left out of the named folders and globs,
    each with the reason (the run's report lists them: nothing is skipped silently)."""

    paths: list[Path] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def discover(inputs: list[str], follow_symlinks: bool = False) -> list[Path]:
    """The input files of :func:`scan`, without the list of what was skipped."""
    return scan(inputs, follow_symlinks).paths


def scan(inputs: list[str], follow_symlinks: bool = False) -> Inputs:
    """Expand folders (their *.txt, *.html, *.warc.gz, *.jsonl... files: the endings of
    :mod:`pipeline.ingest.sniff`), globs and plain files, in a stable order.

    In a folder, the suffix is matched without regard to case (``.TXT``) and these are
    left out, each with a reason: hidden names (``.name``: editor and AppleDouble
    ``._name`` files, ``..txt``), special files (FIFOs, devices, sockets), and symbolic
    links that leave the folder or point at anything but a regular file (a link to a
    file outside is read only with ``follow_symlinks``). A path named directly is read
    even through a link, but a FIFO or device is refused: "not a regular file".
    """
    found = Inputs()
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            _scan_folder(p, follow_symlinks, found)
        elif p.exists() or p.is_symlink():
            if not p.is_file():
                raise ConfigError(f"{item}: not a regular file ({_kind(p)}); "
                                  "only text files can be read")
            found.paths.append(p)
        else:
            matches = sorted(Path(m) for m in glob.glob(item))
            if not matches:
                raise ConfigError(f"input not found: {item}")
            for m in matches:
                if m.is_file():
                    found.paths.append(m)
                elif not m.is_dir():
                    found.skipped.append((str(m), f"not a regular file ({_kind(m)})"))
    seen: set[Path] = set()
    unique = []
    for f in found.paths:
        key = f.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(f)
    found.paths = unique
    return found


def _scan_folder(folder: Path, follow_symlinks: bool, found: Inputs) -> None:
    root = folder.resolve()
    for f in sorted(folder.iterdir()):
        if f.is_dir() and not f.is_symlink():
            continue  # folders are not searched recursively
        why = _skip_reason(f, root, follow_symlinks)
        if why:
            found.skipped.append((str(f), why))
        elif format_of_name(f.name) is not None:
            found.paths.append(f)


def _skip_reason(f: Path, root: Path, follow_symlinks: bool) -> str | None:
    """Why an entry of an input folder is not read (None: it is read if it is .txt)."""
    if f.name.startswith("."):
        return "hidden name (starts with '.')"
    if f.is_symlink():
        target = f.resolve()
        if not target.is_file():
            return f"symbolic link to {target}, not a regular file ({_kind(target)})"
        if not target.is_relative_to(root) and not follow_symlinks:
            return (f"symbolic link to {target}, outside the input folder "
                    "(not followed; --follow-symlinks reads it)")
        return None
    if not f.is_file():
        return f"not a regular file ({_kind(f)})"
    if f.name == "metadata.csv":
        return "the folder's sidecar metadata table (read for the other files' metadata)"
    if format_of_name(f.name) is None:
        return (f"not a text file nor a scrape format we read (suffix {f.suffix or 'none'}; read: "
                f"{', '.join(sorted(ENDINGS))})")
    return None


def _kind(p: Path) -> str:
    """A file's type in words, for messages."""
    try:
        mode = p.stat().st_mode
    except OSError:
        return "missing or unreadable"
    for test, name in ((stat.S_ISFIFO, "FIFO"), (stat.S_ISCHR, "character device"),
                       (stat.S_ISBLK, "block device"), (stat.S_ISSOCK, "socket"),
                       (stat.S_ISDIR, "folder")):
        if test(mode):
            return name
    return "regular file"


def located(path: Path) -> Path:
    """The absolute path of a file with its folder's symlinks resolved (not the file's)."""
    return Path(path).parent.resolve() / Path(path).name


def input_root(paths: list[Path]) -> Path:
    """The deepest folder holding every input, symlinks and ``..`` resolved.

    The TEI records each input's path relative to it, so the same folder named ``in``,
    ``/tmp/x/in`` or through a symlink gives the same recorded path, id and cache key,
    and no path of the user's machine reaches the archive.
    """
    if not paths:
        raise ValueError("no input paths")
    return Path(os.path.commonpath([str(located(p).parent) for p in paths]))


def relative_paths(paths: list[Path]) -> dict[Path, str]:
    """Input path -> its POSIX path relative to the input root (what the TEI records)."""
    root = input_root(paths)
    return {p: located(p).relative_to(root).as_posix() for p in paths}


def relative_to_root(path: str | Path, paths: list[Path]) -> str:
    """Any path (a skipped folder entry...) relative to the input root of ``paths``."""
    return Path(os.path.relpath(located(Path(path)), input_root(paths))).as_posix()


def make_ids(paths: list[Path]) -> dict[Path, str]:
    """Stable, collision-free NCName ids from file names ("art-" + an ASCII slug).

    A name that is its own slug gives ``art-<stem>``. Names the slug changes (spaces,
    accents, quotes, a leading dash, over 80 characters) or that share a slug with another
    input ignoring case (``Article.txt`` / ``article.txt``) also get 8 hex digits of a
    hash of the name (of the path relative to the input root when two inputs share one
    name, so that the folder's spelling does not change it), so two inputs never
    share an id, not even on a case-insensitive file system. Ids hold only
    ``[A-Za-z0-9_.-]`` and never start with a dot: ``tei/<id>.xml`` stays in ``tei/``.
    """
    rels = relative_paths(paths) if paths else {}
    ids: dict[Path, str] = {}
    by_slug: dict[str, list[Path]] = {}
    for p in paths:
        by_slug.setdefault(_slug(p.stem).lower(), []).append(p)
    for group in by_slug.values():
        names_unique = len({p.name for p in group}) == len(group)
        for p in group:
            exact = _slug(p.stem)
            if len(group) == 1 and exact == p.stem:
                ids[p] = f"art-{exact}"
            else:
                key = p.name if names_unique else rels[p]
                ids[p] = f"art-{exact or 'x'}-{hashlib.sha256(key.encode()).hexdigest()[:8]}"
    used: set[str] = set()
    for p in paths:  # belt and braces: a name may look like another's slug + hash
        ident, n = ids[p], 1
        while ident.lower() in used:
            n += 1
            ident = f"{ids[p]}-{n}"
        used.add(ident.lower())
        ids[p] = ident
    return ids


def id_note(path: Path, ident: str) -> Note | None:
    """A note saying why a file's id is not simply ``art-<stem>``, or None."""
    if ident == f"art-{path.stem}":
        return None
    if _slug(path.stem) != path.stem:
        why = ("an xml:id holds ASCII letters, digits, '_', '.', '-' only, and does not start "
               "with '.' or '-'; a hash of the name keeps it unique")
    else:
        why = ("another input has the same name but for case, or the same name in another "
               "folder; a hash keeps the ids apart")
    return Note("id", f"file name {path.name!r} gives the id {ident} ({why})")


def _slug(stem: str) -> str:
    ascii_ = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", ascii_).strip("._-")[:80]


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in blocks (bounded memory whatever its size)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(_READ_BLOCK):
            h.update(block)
    return h.hexdigest()


# ---------------------------------------------------------------------------- reading


def read_source(path: Path, notes: list[Note] | None = None) -> tuple[Source, str]:
    """Read one file, decide its encoding, and return the text with its provenance.

    Raises :class:`DocumentError` (codes ``unreadable``, ``too-large``, ``empty``,
    ``binary``, ``decode``). Repairs are appended to ``notes`` when a list is given
    (codes ``encoding``, ``control-chars``, ``line-ends``, ``long-line``, ``markup``);
    the encoding decision is also kept in ``Source.encoding`` / ``encoding_note``.
    """
    path = Path(path)
    name = path.name
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            digest = file_sha256(path)
        else:
            with open(path, "rb") as fh:
                data = fh.read(MAX_BYTES + 1)
            size = len(data)
            digest = hashlib.sha256(data).hexdigest()
    except OSError as exc:
        raise DocumentError(f"{name}: cannot be read: {exc.strerror or exc}", "unreadable") from exc
    source = Source(path=str(path), filename=name, sha256=digest, size=size)
    if size > MAX_BYTES:
        raise DocumentError(
            f"{name}: {size:,} bytes is over the {MAX_BYTES:,}-byte limit for one article "
            "(refused unread; split the file or raise pipeline.ingest.files.MAX_BYTES)",
            code="too-large",
        )
    if not data:
        raise DocumentError(f"{name}: the file is empty (0 bytes)", "empty")
    try:
        text, source.encoding, source.encoding_note = decode(data)
    except DocumentError as exc:
        raise DocumentError(f"{name}: {exc.message}", exc.code) from exc
    if not text.strip():
        raise DocumentError(f"{name}: the file holds only whitespace", "empty")
    out = notes if notes is not None else []
    if source.encoding != "utf-8" or source.encoding_note != "valid UTF-8":
        out.append(Note("encoding", f"read as {source.encoding}: {source.encoding_note}"))
    text = sanitize(text, out)
    if not text.strip():
        raise DocumentError(f"{name}: the file holds only control characters and whitespace",
                            "empty")
    _describe(text, out)
    return source, text


def decode(data: bytes) -> tuple[str, str, str]:
    """Bytes -> (text, encoding, how it was decided). Refuses binary data."""
    boms = [
        (b"\xef\xbb\xbf", "utf-8-sig", "utf-8"),
        (b"\xff\xfe\x00\x00", "utf-32", "utf-32"),
        (b"\x00\x00\xfe\xff", "utf-32", "utf-32"),
        (b"\xff\xfe", "utf-16", "utf-16"),
        (b"\xfe\xff", "utf-16", "utf-16"),
    ]
    for bom, codec, label in boms:
        if data.startswith(bom):
            try:
                text = data.decode(codec)
            except UnicodeDecodeError as exc:
                raise DocumentError(f"invalid {label} after its byte order mark "
                                    f"(byte {exc.start}: {exc.reason})", "decode") from exc
            return text.lstrip("\ufeff"), label, f"{label} byte order mark"
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            raise DocumentError(f"binary content ({kind}), not a text file", "binary")
    if b"\x00" in data:
        utf16 = _utf16_without_bom(data)
        if utf16 is not None:
            return utf16
        raise DocumentError(f"binary content (NUL bytes, first at byte {data.index(0)}), "
                            "not a text file", "binary")
    if _binary_share(data) > 0.05:
        raise DocumentError("binary content (over 5% control bytes), not a text file", "binary")
    try:
        return data.decode("utf-8"), "utf-8", "valid UTF-8"
    except UnicodeDecodeError as exc:
        bad_at = exc.start
    utf8 = _utf8_with_errors(data)
    if utf8 is not None:
        # Mostly UTF-8 with a few bad sequences: keep the text, mark each bad sequence.
        text, replaced = utf8
        line = data.count(b"\n", 0, bad_at) + 1
        return text, "utf-8", (f"UTF-8 with {replaced} invalid byte sequence(s) replaced by "
                               f"U+FFFD (first at byte {bad_at}, line {line})")
    high = {b for b in data if 0x80 <= b <= 0x9F}
    if high and not high & _CP1252_HOLES:
        return (data.decode("cp1252"), "cp1252",
                f"not UTF-8 (byte {bad_at}); read as cp1252: it uses bytes 0x80-0x9F that "
                "cp1252 defines (curly quotes, œ, €)")
    return (data.decode("latin-1"), "iso-8859-1",
            f"not UTF-8 (byte {bad_at}); read as Latin-1 (ISO-8859-1, the same as cp1252 "
            "for the bytes this file uses)" if not high else
            f"not UTF-8 (byte {bad_at}); read as Latin-1 (ISO-8859-1): it has bytes cp1252 "
            "leaves undefined")


# Non-ASCII UTF-8 sequences that are valid (RFC 3629)...
_UTF8_VALID = (rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]"
               rb"|[\xe1-\xec\xee\xef][\x80-\xbf]{2}|\xed[\x80-\x9f][\x80-\xbf]"
               rb"|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
               rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}")
# ... and those shaped like UTF-8 but refused by it: encoded surrogates (CESU-8, Java's
# "modified UTF-8"), overlong forms, code points past U+10FFFF. A legacy 8-bit text
# almost never holds these byte patterns; a UTF-8 text written by a sloppy encoder does.
_UTF8_SHAPED = (rb"\xed[\xa0-\xbf][\x80-\xbf]|[\xc0\xc1][\x80-\xbf]"
                rb"|\xe0[\x80-\x9f][\x80-\xbf]|\xf0[\x80-\x8f][\x80-\xbf]{2}"
                rb"|\xf4[\x90-\xbf][\x80-\xbf]{2}|[\xf5-\xf7][\x80-\xbf]{3}")
_UTF8_SCAN = re.compile(rb"(" + _UTF8_VALID + rb")|(" + _UTF8_SHAPED + rb")|([\x80-\xff]+?)")
_REPLACEMENT = "\ufffd".encode()


def _utf8_with_errors(data: bytes) -> tuple[str, int] | None:
    """(text, invalid sequences replaced) when ``data`` is UTF-8 but for a few sequences.

    Votes per sequence, in one linear scan: a valid multi-byte sequence or a UTF-8-shaped
    invalid one (a CESU-8 emoji: six bytes, one sequence) is for UTF-8; a stray high byte
    (« é » in cp1252 is one byte followed by ASCII) is against. Each invalid sequence
    becomes one U+FFFD.
    """
    valid = shaped = stray = 0
    pieces: list[bytes] = []
    last = 0
    for m in _UTF8_SCAN.finditer(data):
        if m.group(1):
            valid += 1
            continue
        if m.group(2):
            shaped += 1
        else:
            stray += 1
        pieces += [data[last:m.start()], _REPLACEMENT]
        last = m.end()
    if valid + shaped <= stray:
        return None
    pieces.append(data[last:])
    return b"".join(pieces).decode("utf-8", errors="replace"), shaped + stray


def _utf16_without_bom(data: bytes) -> tuple[str, str, str] | None:
    """UTF-16 text without a byte order mark: ASCII characters leave NULs on one side."""
    if len(data) < 4 or len(data) % 2:
        return None
    even, odd = data[0::2], data[1::2]
    for codec, zeros, other in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
        if zeros.count(0) >= 0.3 * len(zeros) and other.count(0) == 0:
            try:
                text = data.decode(codec)
            except UnicodeDecodeError:
                continue
            if _FORBIDDEN.search(text.replace("\x0b", "").replace("\x0c", "")) is None:
                return text, "utf-16", f"{codec} without byte order mark (NUL-byte pattern)"
    return None


def _binary_share(data: bytes) -> float:
    sample = data[:4096]
    if not sample:
        return 0.0
    bad = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return bad / len(sample)


def sanitize(text: str, notes: list[Note]) -> str:
    """Remove the characters XML 1.0 forbids (vertical tab and form feed become line breaks).

    Every later stage, and the TEI, then sees the same text; a ``control-chars`` note says
    what was removed.
    """
    counts: dict[str, int] = {}

    def repl(m: re.Match[str]) -> str:
        ch = m.group()
        counts[ch] = counts.get(ch, 0) + 1
        return _BREAKS.get(ch, "")

    clean = _FORBIDDEN.sub(repl, text)
    if counts:
        chars = ", ".join(f"U+{ord(c):04X} x{n}" for c, n in sorted(counts.items()))
        notes.append(Note("control-chars", f"characters XML 1.0 forbids were removed ({chars}; "
                                           "U+000B and U+000C became line breaks)"))
    return clean


def _describe(text: str, notes: list[Note]) -> None:
    """Warnings about the shape of the text: line ends, very long lines, literal markup."""
    crlf = text.count("\r\n")
    lone_cr = text.count("\r") - crlf
    if crlf or lone_cr:
        kinds = ", ".join(k for k in (f"{crlf} CRLF" if crlf else "",
                                      f"{lone_cr} lone CR" if lone_cr else "") if k)
        notes.append(Note("line-ends", f"line ends normalised to LF ({kinds})"))
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    long = [(i, len(s)) for i, s in enumerate(lines, 1) if len(s) > LONG_LINE]
    if long:
        i, n = max(long, key=lambda t: t[1])
        notes.append(Note("long-line", f"{len(long)} line(s) over {LONG_LINE:,} characters "
                                       f"(longest: line {i}, {n:,} characters): a page "
                                       "flattened to one line? Analysed in bounded pieces"))
    m = _MARKUP.search(text)
    if m:
        line = text.count("\n", 0, m.start()) + 1
        snippet = m.group()[:40]
        notes.append(Note("markup", f"literal markup kept as text, escaped in the XML "
                                    f"(first {snippet!r} on line {line})"))
