"""The command line (pipeline/cli.py, pipeline/commands/): one parser, the same conventions
for every command, and usage errors that leave everything as it was."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from test_export import sample_document, write_tei_files

from pipeline.cli import build_parser, main, parse_args
from pipeline.commands import COMMANDS
from pipeline.run.progress import BarProgress, LineProgress, NoProgress, stage_progress

ESCAPES = re.compile(r"[\r\x1b]")


def _snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``folder`` with its bytes and modification time."""
    return {p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def tei_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "tei"
    write_tei_files(folder, [sample_document("art-one"), sample_document("art-two")])
    return folder


# --------------------------------------------------------------------------- one parser


@pytest.mark.parametrize("argv", [[c.name, "--help"] for c in COMMANDS]
                         + [["models", "list", "--help"], ["models", "install", "--help"],
                            ["models", "install", "argos", "--help"],
                            ["models", "install", "stanza", "--help"], ["--help"]],
                         ids=" ".join)
def test_every_help_exits_0(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: python -m pipeline")


def test_every_command_has_the_common_options(capsys: pytest.CaptureFixture[str]) -> None:
    _, parsers = build_parser()
    assert list(parsers) == [c.name for c in COMMANDS]
    leaves = [["models", "list"], ["models", "install", "argos"], ["models", "install",
                                                                     "stanza"]]
    for argv in [[c.name] for c in COMMANDS if not c.nested] + leaves:
        assert main([*argv, "--help"]) == 0
        text = capsys.readouterr().out
        assert "-q, --quiet" in text and "-v, --verbose" in text, argv
    for argv in (["run"], ["export"], ["view"]):
        assert main([*argv, "--help"]) == 0
        assert "-o DIR, --output DIR" in capsys.readouterr().out, argv
    for argv in (["models", "install", "argos"], ["models", "install", "stanza"]):
        assert main([*argv, "--help"]) == 0
        assert "-o DIR, --" in capsys.readouterr().out, argv


def test_options_in_any_order(tmp_path: Path) -> None:
    one = parse_args(["view", "-o", str(tmp_path), "a.xml", "b.xml", "--title", "T"])
    two = parse_args(["view", "a.xml", "--title", "T", "b.xml", "-o", str(tmp_path)])
    assert vars(one) == vars(two)
    assert one.paths == ["a.xml", "b.xml"] and one.output == tmp_path
    run = parse_args(["run", "in1", "-o", "out", "in2", "-q", "--skip", "validate"])
    assert run.inputs == ["in1", "in2"] and run.quiet and run.skip == "validate"
    export = parse_args(["export", "-q", "-o", "o", "t", "--lang", "fr", "--format", "brat"])
    assert (export.paths, export.lang, export.format) == (["t"], "fr", "brat")
    # a leading dash in a file name still needs "--"
    assert parse_args(["run", "-o", "o", "--", "-odd.txt"]).inputs == ["-odd.txt"]


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["nope"], [], ["view"], ["export", "--format", "pdf", "x"],
                 ["run", "x", "-q", "-v"], ["models"], ["models", "install", "gpt"],
                 ["validate", "--bogus", "x"]):
        assert main(argv) == 2, argv
        assert "usage:" in capsys.readouterr().err, argv


# --------------------------------------------------------------------------- export


def test_make_export_command_line_works(tei_dir: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    """The Makefile's export recipe, as it is written there."""
    makefile = (Path(__file__).parent.parent / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^\t\$\(PY\) -m pipeline (export .*)$", makefile, re.M)
    assert recipe, "no export recipe in the Makefile"
    argv = recipe.group(1).replace("$(OUT)/tei", str(tei_dir)).replace(
        "$(OUT)/exports", str(tmp_path / "exports")).split()
    assert main(argv) == 0
    assert (tmp_path / "exports" / "conllu" / "en" / "art-two.conllu").is_file()
    assert "TEI files read: 2" in capsys.readouterr().err


@pytest.mark.parametrize("case", ["missing", "empty-folder"])
def test_export_without_input_exits_2_and_writes_nothing(
        case: str, tei_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "exports"
    assert main(["export", str(tei_dir), "-o", str(out), "-q"]) == 0
    before = _snapshot(out)
    source = tmp_path / "missing" if case == "missing" else tmp_path / "empty"
    if case == "empty-folder":
        source.mkdir()
    assert main(["export", str(source), "-o", str(out)]) == 2
    assert "error:" in capsys.readouterr().err
    assert _snapshot(out) == before
    assert main(["export", str(source), "-o", str(tmp_path / "new")]) == 2
    assert not (tmp_path / "new").exists()


# --------------------------------------------------------------------------- view


@pytest.mark.parametrize("case", ["missing", "empty-folder", "empty-glob", "unreadable"])
def test_view_without_input_leaves_the_view_alone(
        case: str, tei_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "site"
    assert main(["view", "-o", str(out), str(tei_dir)]) == 0  # -o before the input
    assert len(list((out / "articles").glob("*.html"))) == 2
    before = _snapshot(out)
    arg = {"missing": str(tmp_path / "wrong" / "tei"), "empty-folder": str(tmp_path / "e"),
           "empty-glob": str(tmp_path / "none-*.xml"),
           "unreadable": str(tmp_path / "broken.xml")}[case]
    (tmp_path / "e").mkdir()
    (tmp_path / "broken.xml").write_text("<TEI><oops></TEI>", encoding="utf-8")
    code = main(["view", arg, "-o", str(out)])
    err = capsys.readouterr().err
    assert code == (1 if case == "unreadable" else 2), err
    assert "0 article(s)" not in err and "error" in err
    assert _snapshot(out) == before


# --------------------------------------------------------------------------- validate


def test_validate_a_missing_path_is_a_usage_error(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "nope"]) == 2
    err = capsys.readouterr().err
    assert "no such file or folder: nope" in err and "checked" not in err
    (tmp_path / "empty").mkdir()
    assert main(["validate", str(tmp_path / "empty")]) == 2
    assert "no .xml files" in capsys.readouterr().err


def test_validate_quiet_prints_only_problems(tei_dir: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "-q", "--engine", "none", str(tei_dir)]) == 0
    assert capsys.readouterr() == ("", "")
    assert main(["validate", "--engine", "none", str(tei_dir)]) == 0
    assert "2 file(s) checked with none" in capsys.readouterr().err


# --------------------------------------------------------------------------- run


def test_a_run_that_finds_no_input_creates_nothing(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "in"
    empty.mkdir()
    (empty / "notes.md").write_text("not an article", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", str(empty), "-o", str(out)]) == 2
    assert "no input files found" in capsys.readouterr().err
    assert not out.exists()
    assert main(["run", str(tmp_path / "missing-*.txt"), "-o", str(out)]) == 2
    assert not out.exists()


def test_run_progress_in_a_log_is_plain_lines(tmp_path: Path, seeds_dir: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """Standard error is not a terminal here (as in a log): no bar, no escape code."""
    seed = sorted(seeds_dir.glob("*.txt"))[0]
    code = main(["run", str(seed), "-o", str(tmp_path / "out"),
                 "--skip", "analyse,translate,link,validate"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "progress: clean 1/1 documents" in err and "progress: tei 1/1 documents" in err
    assert not ESCAPES.search(err)
    assert main(["run", str(seed), "-o", str(tmp_path / "q"), "-q",
                 "--skip", "analyse,translate,link,validate"]) == 0
    assert capsys.readouterr().err == ""


class _Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def test_progress_bars_only_on_a_terminal() -> None:
    stages = ("clean", "tei")
    assert isinstance(stage_progress(stages, 3, stream=_Stream(True)), BarProgress)
    assert isinstance(stage_progress(stages, 3, stream=_Stream(False)), LineProgress)
    assert isinstance(stage_progress(stages, 3, quiet=True, stream=_Stream(True)), NoProgress)
    assert isinstance(stage_progress(stages, 0, stream=_Stream(True)), NoProgress)


def test_plain_progress_lines_are_periodic() -> None:
    now = [0.0]
    stream = _Stream(False)
    progress = LineProgress(("clean",), 100, stream, interval=10.0, clock=lambda: now[0])
    for _ in range(9):  # 9 chunks within 9 s: no line yet
        now[0] += 1.0
        progress.update("clean", 10)
    now[0] += 1.0
    progress.update("clean", 5)  # 10 s since the start: a line
    progress.update("clean", 5)  # complete: always a line
    assert stream.getvalue().splitlines() == ["progress: clean 95/100 documents",
                                              "progress: clean 100/100 documents"]


# --------------------------------------------------------------------------- entry points


def test_module_entry_points(tmp_path: Path) -> None:
    root = Path(__file__).parent.parent
    env = {**os.environ, "PYTHONPATH": str(root)}
    for args in (["-m", "pipeline", "export", "--help"], ["-m", "pipeline.export", "--help"]):
        proc = subprocess.run([sys.executable, *args], capture_output=True, text=True,
                              cwd=tmp_path, env=env, timeout=120, check=False)
        assert proc.returncode == 0, proc.stderr
        assert "--format" in proc.stdout and "--lang" in proc.stdout
