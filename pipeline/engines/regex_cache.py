"""Very large regular expressions, compiled once per machine instead of once per process.

Why: spaCy's French tokenizer exceptions (``spacy.lang.fr.tokenizer_exceptions``) compile,
when the module is imported, one pattern of 1.4 MB (every hyphenated and elided word form
it knows). Python's ``re`` compiler takes about 2.5 s over it, in every process that loads
a French model: each run, each pool worker, each Dask worker. On two cores that is a
fixed cost paid before any article moves.

What: :func:`cached_compiles` replaces ``re.compile`` while a model loads. A pattern of at
least :data:`MIN_PATTERN` characters is compiled the usual way once, and its compiled
program (the list of opcodes ``re`` hands to its C engine, plus the group tables) is kept in
a file; later processes give that program straight to the C engine (``_sre.compile``, about
10 ms), which checks every opcode and refuses an invalid one. Shorter patterns, and any
pattern when something here fails, go to ``re.compile`` unchanged: the cache can only make a
compile faster, never different.

The file's name is a hash of the pattern, the flags and the Python build (its version and
the ``_sre`` engine's magic number and code size), so another Python never reads it. Its
header holds a sha256 of the program: a damaged or foreign file is ignored and written
again. Files are written atomically (a temporary file, then a rename), so workers starting
at once may both compile, never read half a file. The folder is
``$XDG_CACHE_HOME/newscorpus/regex`` (``~/.cache/newscorpus/regex``), disposable: delete it
and the next run compiles again.

This reads ``re``'s private compiler (``re._parser``, ``re._compiler``), the same calls
``re.compile`` makes in CPython 3.11–3.13; on a Python where they differ, the first
``AttributeError`` sends every pattern to ``re.compile``.
"""

from __future__ import annotations

import array
import contextlib
import functools
import hashlib
import importlib
import json
import logging
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

#: Patterns shorter than this compile as usual (the cache's file read would cost more).
MIN_PATTERN = 100_000
#: The opcodes as stored: unsigned 32-bit, the size of ``_sre``'s code words here.
_TYPECODE = "I"


@functools.cache
def default_folder() -> Path | None:
    """``$XDG_CACHE_HOME/newscorpus/regex``, else ``~/.cache/newscorpus/regex`` (read once);
    None for a process with no home (patterns then compile as usual)."""
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            base = str(Path.home() / ".cache")
        except (RuntimeError, KeyError):  # no HOME and no passwd entry
            return None
    return Path(base) / "newscorpus" / "regex"


class RegexCache:
    """Compiled programs of long patterns, one file each under ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.loaded = 0  # patterns read back from a file
        self.compiled = 0  # patterns compiled here (and written, when the folder allows)

    def compile(self, pattern: str, flags: int) -> re.Pattern[str]:
        """``re.compile(pattern, flags)``, through the file when there is one."""
        path = self.folder / f"{_key(pattern, flags)}.sre"
        found = _read(path, pattern)
        if found is not None:
            self.loaded += 1
            return found
        compiled, entry = _compile(pattern, flags)
        self.compiled += 1
        with contextlib.suppress(OSError):  # a read-only home: compiled, not kept
            _write(path, entry)
        return compiled


@contextlib.contextmanager
def cached_compiles(folder: Path | None = None) -> Iterator[RegexCache]:
    """``re.compile`` goes through a :class:`RegexCache` for long patterns while inside.

    Meant to wrap a model's load (the imports it triggers); other threads' compiles in
    that time give the same patterns as ever.
    """
    where = folder or default_folder()
    if where is None:
        yield RegexCache(Path(os.devnull))  # nothing kept: its counters stay at 0
        return
    cache = RegexCache(where)
    original: Callable[..., re.Pattern[Any]] = re.compile

    def compile_(pattern: Any, flags: Any = 0) -> re.Pattern[Any]:
        if isinstance(pattern, str) and len(pattern) >= MIN_PATTERN:
            value = int(flags)
            if not value & re.DEBUG:
                try:
                    return cache.compile(pattern, value)
                except (AttributeError, TypeError, ImportError) as exc:  # another Python
                    log.debug("regex cache not used: %s", exc)
        return original(pattern, flags)

    re.compile = compile_
    try:
        yield cache
    finally:
        re.compile = original


def _engine() -> Any:
    """``re``'s C engine (no type stubs: private to CPython)."""
    return importlib.import_module("_sre")


def _key(pattern: str, flags: int) -> str:
    _sre = _engine()
    if array.array(_TYPECODE).itemsize != _sre.CODESIZE:
        raise TypeError(f"this Python's regex code words are {_sre.CODESIZE} bytes")
    build = f"{sys.version}|{_sre.MAGIC}|{_sre.CODESIZE}|{sys.maxunicode}|{flags}|"
    return hashlib.sha256((build + pattern).encode("utf-8", "surrogatepass")).hexdigest()


def _compile(pattern: str, flags: int) -> tuple[re.Pattern[str], dict[str, Any]]:
    """What ``re._compiler.compile`` does, keeping the program it builds."""
    _sre = _engine()
    _parser = importlib.import_module("re._parser")
    _compiler = importlib.import_module("re._compiler")

    parsed = _parser.parse(pattern, flags)
    code = [int(op) for op in _compiler._code(parsed, flags)]
    groupindex = dict(parsed.state.groupdict)
    indexgroup: list[str | None] = [None] * parsed.state.groups
    for name, i in groupindex.items():
        indexgroup[i] = name
    entry = {"flags": flags | parsed.state.flags, "groups": parsed.state.groups - 1,
             "groupindex": groupindex, "indexgroup": indexgroup, "code": code}
    compiled: re.Pattern[str] = _sre.compile(pattern, entry["flags"], code, entry["groups"],
                                             groupindex, tuple(indexgroup))
    return compiled, entry


def _write(path: Path, entry: dict[str, Any]) -> None:
    data = array.array(_TYPECODE, entry["code"]).tobytes()
    header = {k: v for k, v in entry.items() if k != "code"}
    header["code_sha256"] = hashlib.sha256(data).hexdigest()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".sre")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(json.dumps(header, sort_keys=True).encode("utf-8") + b"\n" + data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _read(path: Path, pattern: str) -> re.Pattern[str] | None:
    """The pattern rebuilt from its file; None when there is none or it does not check."""
    _sre = _engine()
    try:
        raw = path.read_bytes()
        line, _, data = raw.partition(b"\n")
        header = json.loads(line)
        if hashlib.sha256(data).hexdigest() != header["code_sha256"]:
            raise ValueError("the program's checksum does not match")
        code = array.array(_TYPECODE)
        code.frombytes(data)
        indexgroup = tuple(header["indexgroup"])
        compiled: re.Pattern[str] = _sre.compile(pattern, int(header["flags"]), code.tolist(),
                                                 int(header["groups"]),
                                                 dict(header["groupindex"]), indexgroup)
        return compiled
    except (FileNotFoundError, NotADirectoryError):  # not kept yet, or cannot be
        return None
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        # RuntimeError: _sre refused the program ("invalid SRE code")
        log.warning("regex cache: %s is unusable (%s); compiling again", path.name, exc)
        return None
