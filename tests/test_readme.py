"""Every command README.md shows, run as it is written, so the documentation cannot drift.

The README is parsed when the tests are collected: the lines of its shell code blocks
(```sh, ```bash, ```shell, ```console) and the inline code spans that start a command
(``python -m pipeline``, ``.venv/bin/python -m pipeline``, ``newscorpus``, ``make``).
A command added to the README later is covered without touching this file.

* A concrete command runs in a copy of the repository in which the seeds were already
  run once (``output/``), with no network (``unshare -n`` when it works, else a socket
  guard), and must exit 0 without a traceback.
* A synopsis (``INPUT...``, ``-o DIR``, ``--format all|xmi``, ``[--lang ...]``) cannot run;
  its command must exist, its ``--help`` must work and name every option and choice shown.
* Some commands cannot or should not run here; :data:`EXPECT` says what is checked instead
  (installing from the network must fail cleanly offline; ``make test`` and ``make bench``
  are dry-run with ``make -n``; a command that reads what another one made, such as
  ``bagit.py --validate bag`` after ``make archive``, names it in ``before``). Add a line
  there for a new such command.

``make`` always gets ``-o .venv/.installed``: the copy's ``.venv`` is the shared virtual
environment, which a test must never reinstall (pip would point it at the temporary copy).
"""

from __future__ import annotations

import functools
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
MAKEFILE = ROOT / "Makefile"
COPIED = ("pipeline", "seeds", "tools", "tests", "Makefile", "pyproject.toml",
          "requirements.lock", "README.md")
PREFIXES = ("python -m pipeline", ".venv/bin/python -m pipeline", "newscorpus", "make ")
FENCES = ("sh", "bash", "shell", "console")
STAMP = ".venv/.installed"
TIMEOUT_S = 900

@dataclass(frozen=True)
class Expect:
    """What is checked for the README commands ``pattern`` matches, instead of "exit 0"."""

    pattern: str
    kind: str  # ok | fails-offline | dry-run | help
    why: str
    before: str = ""  # a README command whose result this one reads (run first, same copy)


EXPECT: list[Expect] = [
    Expect(r"\bmodels install\b", "fails-offline",
           "installs from the network (or from a file that is not shipped): must fail cleanly "
           "offline, with an error message, exit 1 or 2 and nothing installed"),
    Expect(r"^make test\b", "dry-run", "it is this test suite (minutes); `make -n` checks it"),
    Expect(r"^make bench\b", "dry-run", "the benchmark takes ~20 minutes; `make -n` checks it"),
    Expect(r"\bbagit\.py --validate bag\b", "ok", "validates the bag `make archive` writes",
           before="make archive"),
    Expect(r"^(?:[A-Z_]+='[^']*' )?dask (scheduler|worker)\b", "help",
           "starts a Dask server that runs until stopped; `--help` checks the installed "
           "command and its options"),
    Expect(r"--scheduler tcp://10\.", "fails-offline",
           "a cluster's address: offline nothing answers, so the run must stop cleanly "
           "(exit 2)"),
]
NO_EXPECTATION = Expect("", "ok", "")


@dataclass(frozen=True)
class ReadmeCommand:
    text: str  # as written, without a trailing comment
    line: int  # line number in README.md

    @property
    def words(self) -> list[str]:
        return shlex.split(self.text)

    @property
    def is_synopsis(self) -> bool:
        """A usage line with placeholders (``INPUT...``, ``a|b``, ``[--opt]``, ``...``)."""
        return any(re.fullmatch(r"[A-Z][A-Z_]*[A-Z](\.\.\.)?|\.\.\.", w) or "|" in w
                   or w.startswith("[") or w.endswith("]") for w in self.words)

    @property
    def expectation(self) -> Expect:
        return next((e for e in EXPECT if re.search(e.pattern, self.text)), NO_EXPECTATION)

    def __str__(self) -> str:
        return f"README.md:{self.line}: {self.text}"


def _strip_comment(line: str) -> str:
    """The command without a trailing ``# comment`` (a ``#`` outside quotes, at the start of
    a word), in its original spelling."""
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].strip()
    return line.strip()


def readme_commands(text: str) -> list[ReadmeCommand]:
    """Commands in shell code blocks, and inline code spans that start a command (a span
    may run over a line end inside its paragraph, as in Markdown)."""
    found: list[ReadmeCommand] = []
    fence: str | None = None
    pending, start = "", 0
    paragraph: list[tuple[int, str]] = []
    for n, line in enumerate([*text.splitlines(), ""], 1):
        if fence is None and (not line.strip() or line.lstrip().startswith("```")):
            found += _inline_commands(paragraph)
            paragraph = []
        if line.lstrip().startswith("```"):
            fence = None if fence is not None else line.strip()[3:].strip() or "text"
        elif fence is None:
            paragraph.append((n, line))
        elif fence in FENCES:
            body = line.strip().removeprefix("$ ")
            start = start if pending else n
            if body.endswith("\\"):
                pending += body[:-1] + " "
                continue
            command, pending = _strip_comment(pending + body), ""
            if command:
                found.append(ReadmeCommand(command, start))
    unique: dict[str, ReadmeCommand] = {}
    for shown in sorted(found, key=lambda c: c.line):  # the first place a command is shown
        unique.setdefault(shown.text, shown)
    return list(unique.values())


def _inline_commands(paragraph: list[tuple[int, str]]) -> list[ReadmeCommand]:
    text = "\n".join(line for _, line in paragraph)
    found = []
    for m in re.finditer(r"`([^`]+)`", text):
        span = " ".join(m.group(1).split())
        if span.startswith(PREFIXES):
            found.append(ReadmeCommand(span, paragraph[0][0] + text.count("\n", 0, m.start())))
    return found


def makefile_targets(text: str) -> set[str]:
    targets: set[str] = set()
    for line in text.splitlines():
        if m := re.match(r"^([A-Za-z0-9_.\- ]+):(?!=)", line):
            targets.update(m.group(1).split())
    return targets


COMMANDS = readme_commands(README.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- the sandbox


@functools.cache
def _offline_prefix() -> list[str] | None:
    """``unshare -n`` (a process tree with no network) when this machine allows it."""
    if shutil.which("unshare") is None:
        return None
    for prefix in (["unshare", "-n"], ["unshare", "-rn"]):
        try:
            if subprocess.run([*prefix, "true"], capture_output=True, timeout=10,
                              check=False).returncode == 0:
                return list(prefix)
        except (OSError, subprocess.TimeoutExpired):
            pass
    return None


GUARD = """import socket
def _refuse(*args, **kwargs):
    raise OSError("network blocked by tests/test_readme.py")
socket.socket.connect = _refuse
socket.create_connection = _refuse
socket.getaddrinfo = _refuse
"""


def _env(sandbox: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    python_path = [str(sandbox)]
    if _offline_prefix() is None:  # no network namespace: a socket guard in every Python
        guard = sandbox / ".netguard"
        guard.mkdir(exist_ok=True)
        (guard / "sitecustomize.py").write_text(GUARD, encoding="utf-8")
        python_path.append(str(guard))
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    env.update({
        "PATH": f"{sandbox / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        "PYTHONPATH": os.pathsep.join(python_path),
        "SOURCE_DATE_EPOCH": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    env.update(extra or {})
    return env


def _make_safe(command: str) -> str:
    """``make X`` -> ``make -o .venv/.installed X``: never reinstall the shared venv."""
    return re.sub(r"^make\b", f"make -o {STAMP}", command)


def _shell(command: str, sandbox: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The command in bash; in a network namespace, loopback is brought up first (servers
    on 127.0.0.1, such as a Dask LocalCluster, work; nothing else is reachable)."""
    prefix = _offline_prefix() or []
    shell = ["bash", "-c", command]
    if prefix:
        shell = ["sh", "-c", 'ip link set lo up 2>/dev/null; exec bash -c "$0"', command]
    return subprocess.run([*prefix, *shell], cwd=sandbox, env=env,
                          capture_output=True, text=True, timeout=TIMEOUT_S, check=False)


def _copy_repo(dest: Path) -> Path:
    dest.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".ruff_cache",
                                    ".hypothesis")
    for name in COPIED:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=ignore, symlinks=True)
        else:
            shutil.copy2(src, dest / name)
    venv = Path(sys.executable).parent.parent  # the environment running these tests
    (dest / ".venv").symlink_to(venv, target_is_directory=True)
    return dest


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the repository where the seeds were run once (output/ and its view)."""
    if shutil.which("make") is None or shutil.which("bash") is None:
        pytest.skip("make and bash are needed to run the README's commands")
    sandbox = _copy_repo(tmp_path_factory.mktemp("readme") / "repo")
    env = _env(sandbox)
    for command in (".venv/bin/python -m pipeline run seeds -o output -q",
                    ".venv/bin/python -m pipeline view output/tei -o output -q"):
        proc = _shell(command, sandbox, env)
        assert proc.returncode == 0, f"preparing the sandbox: {command}\n{proc.stderr[-3000:]}"
    return sandbox


@pytest.fixture
def sandbox(prepared: Path, tmp_path: Path) -> Iterator[Path]:
    """A fresh copy of the prepared sandbox: each README command starts from the same state."""
    copy = tmp_path / "repo"
    shutil.copytree(prepared, copy, symlinks=True)
    yield copy


# --------------------------------------------------------------------------- the tests


def test_the_readme_shows_commands() -> None:
    """The parser finds the README's commands (a broken parser would test nothing)."""
    texts = [c.text for c in COMMANDS]
    assert any(t.startswith("make ") for t in texts)
    assert any("-m pipeline run" in t for t in texts)
    assert any(c.is_synopsis for c in COMMANDS) and any(not c.is_synopsis for c in COMMANDS)


def test_parsing_of_blocks_and_spans() -> None:
    text = ("Run `make all` or `python -m pipeline view TEI_PATH... -o DIR`; not `foo`.\n"
            "```sh\nmake x   # a comment\n$ python -m pipeline run a \\\n  -o 'b c'\n```\n"
            "```xml\n<make all>\n```\n")
    got = [(c.text, c.line, c.is_synopsis) for c in readme_commands(text)]
    assert got == [("make all", 1, False), ("python -m pipeline view TEI_PATH... -o DIR", 1, True),
                   ("make x", 3, False), ("python -m pipeline run a  -o 'b c'", 4, False)]


def test_every_command_of_the_program_is_in_the_readme() -> None:
    """A command added to the table (pipeline/commands/) is documented with a usage line."""
    from pipeline.commands import COMMANDS as PROGRAM

    shown = {w for c in COMMANDS if "pipeline" in c.words
             for w in c.words[c.words.index("pipeline") + 1:][:1]}
    missing = [c.name for c in PROGRAM if c.name not in shown]
    assert not missing, f"commands README.md never shows (python -m pipeline NAME ...): {missing}"


def test_every_make_target_the_readme_names_exists() -> None:
    targets = makefile_targets(MAKEFILE.read_text(encoding="utf-8"))
    named = {w for c in COMMANDS if c.words[0] == "make"
             for w in c.words[1:] if not w.startswith("-") and "=" not in w}
    assert named, "the README names no make target"
    missing = sorted(named - targets)
    assert not missing, f"README.md names make targets the Makefile lacks: {missing}"


@pytest.mark.slow
@pytest.mark.parametrize("command", [c for c in COMMANDS if not c.is_synopsis], ids=str)
def test_readme_command_runs_as_written(command: ReadmeCommand, sandbox: Path) -> None:
    expect = command.expectation
    kind, why = expect.kind, expect.why
    if expect.before:
        first = _shell(_make_safe(expect.before), sandbox, _env(sandbox))
        assert first.returncode == 0, (f"{command}: {expect.before!r}, run first, fails:\n"
                                       f"{first.stderr[-3000:]}")
    extra: dict[str, str] = {}
    if kind == "fails-offline":
        extra = {"STANZA_RESOURCES_DIR": str(sandbox / "models" / "stanza"),
                 "ARGOS_PACKAGES_DIR": str(sandbox / "models" / "argos")}
    text = command.text.replace("make ", "make -n ", 1) if kind == "dry-run" else command.text
    text = f"{text} --help" if kind == "help" else text
    proc = _shell(_make_safe(text), sandbox, _env(sandbox, extra))
    said = f"{command}\nexit {proc.returncode}\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    assert "Traceback" not in proc.stderr, f"a README command crashed: {said}"
    if kind == "fails-offline":
        assert proc.returncode in (1, 2), f"expected a clean failure offline ({why}): {said}"
        assert "error:" in proc.stderr, f"no error message ({why}): {said}"
        models = sandbox / "models"
        assert not models.exists() or not any(p.is_file() for p in models.rglob("*")), said
        return
    assert proc.returncode == 0, (f"a README command fails (fix it or the README; if it "
                                  f"cannot run here, add it to EXPECT in {__file__}): {said}")


@pytest.mark.parametrize("command", [c for c in COMMANDS if c.is_synopsis], ids=str)
def test_readme_synopsis_matches_the_help(command: ReadmeCommand,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """A usage line names a real command, and options and choices its --help has."""
    from pipeline.cli import main

    words = command.words
    assert "pipeline" in words or words[0] == "newscorpus", f"not a pipeline command: {command}"
    rest = words[words.index("pipeline") + 1:] if "pipeline" in words else words[1:]
    path: list[str] = []
    for w in rest:
        if w.startswith(("-", "[")) or ReadmeCommand(w, 0).is_synopsis:
            break
        path.append(w)
    assert main([*path, "--help"]) == 0, f"{command}: no such command {' '.join(path)!r}"
    help_text = capsys.readouterr().out
    shown = [w.strip("[]") for w in rest[len(path):]]
    for word in shown:
        for part in word.split("|"):
            part = part.strip("[]").split("=")[0]
            if part.startswith("-") or "|" in word:
                assert part in help_text, (f"{command}: {part!r} is not in "
                                           f"`{' '.join(path)} --help`")
