"""The regex cache: a long pattern compiled once, read back in later processes, identical to
``re.compile``; a damaged or refused file is compiled again; short patterns untouched."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pipeline.engines import regex_cache
from pipeline.engines.regex_cache import MIN_PATTERN, RegexCache, cached_compiles

ROOT = Path(__file__).resolve().parent.parent

#: Many alternatives, a named group, inline flags, a class of letters: the features of
#: spaCy's French token pattern, long enough to go through the cache.
WORDS = [f"mot{i:05d}" for i in range(12_000)]
PATTERN = "(?iu)^(?P<head>" + "|".join(WORDS) + r")[-‐](?P<tail>[^\W\d_]+)$"
PROBES = ["mot00042-là", "MOT11999-Été", "mot12000-x", "mot00001-", "mot00007-ab1", "",
          "mot00500‐été"]


def _same(compiled: re.Pattern[str], reference: re.Pattern[str]) -> None:
    assert (compiled.pattern, compiled.flags, compiled.groups, compiled.groupindex) == (
        reference.pattern, reference.flags, reference.groups, reference.groupindex)
    for probe in PROBES:
        got, want = compiled.match(probe), reference.match(probe)
        assert (got and (got.span(), got.groupdict())) == (want and (want.span(), want.groupdict()))


def test_a_long_pattern_is_compiled_once_and_read_back(tmp_path: Path) -> None:
    assert len(PATTERN) >= MIN_PATTERN
    reference = re.compile(PATTERN)
    with cached_compiles(tmp_path) as first:
        _same(re.compile(PATTERN), reference)
    assert (first.compiled, first.loaded) == (1, 0)
    assert len(list(tmp_path.glob("*.sre"))) == 1
    with cached_compiles(tmp_path) as second:
        _same(re.compile(PATTERN), reference)
    assert (second.compiled, second.loaded) == (0, 1)
    assert re.compile.__module__ == "re"  # put back: the plain function again


def test_flags_are_part_of_the_key(tmp_path: Path) -> None:
    with cached_compiles(tmp_path) as cache:
        plain = re.compile(PATTERN.removeprefix("(?iu)"))
        multiline = re.compile(PATTERN.removeprefix("(?iu)"), re.MULTILINE)
    assert cache.compiled == 2 and len(list(tmp_path.glob("*.sre"))) == 2
    assert plain.flags != multiline.flags
    assert plain.match("MOT00042-x") is None  # no (?i): not mixed up with the other entry


def test_short_patterns_are_not_cached(tmp_path: Path) -> None:
    with cached_compiles(tmp_path) as cache:
        assert re.compile(r"\d+").match("42")
    assert (cache.compiled, cache.loaded) == (0, 0)
    assert not tmp_path.exists() or not list(tmp_path.iterdir())


def _rewrite_program(path: Path, change: int) -> None:
    """Change the first opcode and put a matching checksum: only _sre can refuse it."""
    header_line, _, data = path.read_bytes().partition(b"\n")
    header = json.loads(header_line)
    data = change.to_bytes(4, sys.byteorder) + data[4:]
    header["code_sha256"] = hashlib.sha256(data).hexdigest()
    path.write_bytes(json.dumps(header).encode() + b"\n" + data)


@pytest.mark.parametrize("damage", ["truncated", "garbage", "refused-opcode", "empty"])
def test_a_damaged_file_is_compiled_again(tmp_path: Path, damage: str,
                                          caplog: pytest.LogCaptureFixture) -> None:
    reference = re.compile(PATTERN)
    with cached_compiles(tmp_path):
        re.compile(PATTERN)
    [path] = tmp_path.glob("*.sre")
    good = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(good[: len(good) // 2])
    elif damage == "garbage":
        path.write_bytes(os.urandom(4096))
    elif damage == "empty":
        path.write_bytes(b"")
    else:
        _rewrite_program(path, 9_999)
    with cached_compiles(tmp_path) as cache:
        _same(re.compile(PATTERN), reference)
    assert (cache.compiled, cache.loaded) == (1, 0)
    assert path.read_bytes() == good  # written again, whole
    assert "is unusable" in caplog.text


def test_an_unwritable_folder_still_compiles(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    reference = re.compile(PATTERN)
    with cached_compiles(blocker / "regex") as cache:
        _same(re.compile(PATTERN), reference)
        _same(re.compile(PATTERN), reference)
    assert (cache.compiled, cache.loaded) == (2, 0)


def test_the_default_folder_follows_xdg_cache_home(tmp_path: Path) -> None:
    code = "from pipeline.engines.regex_cache import default_folder; print(default_folder())"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, "XDG_CACHE_HOME": str(tmp_path)})
    assert done.stdout.strip() == str(tmp_path / "newscorpus" / "regex")


FRENCH = """
import json, sys
from pathlib import Path
from pipeline.engines.regex_cache import cached_compiles
words = ["aujourd'hui", "binge-watching", "anti-américain", "l'arc-en-ciel", "Saint-Étienne",
         "porte-parole", "sud-coréen", "chef-d'œuvre", "week-end", "maison", "c'est-à-dire"]
if sys.argv[1] == "plain":
    import spacy.lang.fr.tokenizer_exceptions as t
    counts = None
else:
    with cached_compiles(Path(sys.argv[1])) as cache:
        import spacy.lang.fr.tokenizer_exceptions as t
    counts = [cache.compiled, cache.loaded]
print(json.dumps([counts, [bool(t.TOKEN_MATCH(w)) for w in words]]))
"""


def test_spacy_french_token_pattern_is_the_same_through_the_cache(tmp_path: Path) -> None:
    """The pattern this exists for: compiled in one process, read in the next, the same
    decisions as spaCy's own import on hyphenated and elided words."""
    def run(arg: str) -> list[Any]:
        done = subprocess.run([sys.executable, "-c", FRENCH, arg], capture_output=True,
                              text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert done.returncode == 0, done.stderr
        result: list[Any] = json.loads(done.stdout.strip().splitlines()[-1])
        return result

    plain = run("plain")
    first = run(str(tmp_path))
    second = run(str(tmp_path))
    assert first == [[1, 0], plain[1]]
    assert second == [[0, 1], plain[1]]
    assert any(plain[1]) and not all(plain[1])  # the probes exercise both answers


def test_a_cache_object_compiles_without_the_context(tmp_path: Path) -> None:
    cache = RegexCache(tmp_path)
    _same(cache.compile(PATTERN, 0), re.compile(PATTERN))
    _same(cache.compile(PATTERN, 0), re.compile(PATTERN))
    assert (cache.compiled, cache.loaded) == (1, 1)


def test_a_process_without_a_home_compiles_as_usual(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    regex_cache.default_folder.cache_clear()
    try:
        assert regex_cache.default_folder() is None
        with cached_compiles() as cache:
            assert re.compile.__module__ == "re"  # not replaced: nothing to keep
            _same(re.compile(PATTERN), re.compile(PATTERN))
        assert (cache.compiled, cache.loaded) == (0, 0)
    finally:
        regex_cache.default_folder.cache_clear()
