"""End to end: the seeds through every stage with the real engines, and the CLI contract."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.engines import apertium
from pipeline.run.runner import Settings, run

needs_apertium = pytest.mark.skipif(not apertium.is_available(),
                                    reason="Apertium fr->es->en is not installed")


@pytest.fixture(scope="module")
def seed_run(tmp_path_factory: pytest.TempPathFactory, seeds_dir: Path) -> tuple[Path, object]:
    if not apertium.is_available():
        pytest.skip("Apertium fr->es->en is not installed")
    out = tmp_path_factory.mktemp("run") / "output"
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1700000000")
    report = run(Settings(inputs=[str(seeds_dir)], output=out, verbosity=-1))
    return out, report


def test_seeds_make_five_valid_tei_files_and_a_corpus(seed_run: tuple[Path, object]) -> None:
    out, report = seed_run
    files = sorted((out / "tei").glob("*.xml"))
    assert len(files) == 5
    assert (out / "corpus.xml").is_file()
    assert report.exit_status() == 0  # type: ignore[attr-defined]
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert data["summary"]["ok"] == 5 and data["summary"]["failed"] == 0
    assert data["validation"]["problems"] == []
    assert set(data["engines"]) == {"nlp-fr", "mt", "nlp-en"}
    assert data["engines"]["mt"].startswith("apertium")
    for doc in data["documents"]:
        assert {"clean", "analyse", "translate", "analyse-en", "link", "tei"} <= set(doc["timings"])


def test_second_run_recomputes_nothing_and_loads_no_model(seed_run: tuple[Path, object],
                                                          seeds_dir: Path) -> None:
    out, _ = seed_run
    before = {p.name: p.read_bytes() for p in (out / "tei").glob("*.xml")}
    code = subprocess.run(
        [sys.executable, "-m", "pipeline", "run", str(seeds_dir), "-o", str(out), "-q"],
        env={**os.environ, "SOURCE_DATE_EPOCH": os.environ["SOURCE_DATE_EPOCH"]},
        check=False,
    ).returncode
    assert code == 0
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert data["summary"]["skipped"] == 5
    assert data["model_load_seconds"] == {}
    assert {p.name: p.read_bytes() for p in (out / "tei").glob("*.xml")} == before


@needs_apertium
def test_a_bad_document_fails_alone_with_exit_1(tmp_path: Path, seeds_dir: Path) -> None:
    inp = tmp_path / "in"
    inp.mkdir()
    shutil.copy(seeds_dir / "004_8cab881343aabe4f.txt", inp / "good.txt")
    (inp / "empty.txt").write_bytes(b"")
    code = main(["run", str(inp), "-o", str(tmp_path / "out"), "-q"])
    assert code == 1
    data = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    status = {d["file"].rsplit("/", 1)[-1]: d for d in data["documents"]}
    assert status["good.txt"]["status"] == "ok"
    assert status["empty.txt"]["status"] == "failed"
    assert status["empty.txt"]["error"]["code"] == "empty"
    assert (tmp_path / "out" / "tei" / "art-good.xml").is_file()


def test_help_and_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--help"]) == 0
    assert "--mt" in capsys.readouterr().out
    assert main(["run", "x", "--mt", "google"]) == 2


def test_missing_input_and_missing_engine_exit_2(tmp_path: Path, seeds_dir: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(tmp_path / "nothing-here.txt"), "-o", str(tmp_path / "o")]) == 2
    # No Argos package in an empty packages folder: --mt argos must say how to fix it.
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(tmp_path / "no-packages"))
    assert main(["run", str(seeds_dir), "-o", str(tmp_path / "o"), "--mt", "argos"]) == 2
    err = capsys.readouterr().err
    assert "apt-get install apertium" in err and "models install argos" in err


def test_console_script_has_the_same_interface() -> None:
    exe = Path(sys.executable).with_name("newscorpus")
    if not exe.exists():
        pytest.skip("the package is not installed in this environment (run `make setup`)")
    out = subprocess.run([str(exe), "run", "--help"], capture_output=True, text=True,
                         check=True).stdout
    assert "--ner" in out and "--force" in out


def test_stage_selection_runs_only_what_is_asked(tmp_path: Path, seeds_dir: Path) -> None:
    """Without analyse and translate no model is loaded, and the TEI is still valid."""
    out = tmp_path / "out"
    code = main(["run", str(seeds_dir / "000_c32396ffb3fd2beb.txt"), "-o", str(out), "-q",
                 "--skip", "analyse,translate,link"])
    assert code == 0
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert data["engines"] == {} and set(data["model_load_seconds"]) <= {"rules"}
    assert data["validation"]["problems"] == []
    (doc,) = data["documents"]
    assert set(doc["timings"]) == {"clean", "tei"}
    tei = (out / "tei" / "art-000_c32396ffb3fd2beb.xml").read_text(encoding="utf-8")
    assert 'type="translation"' not in tei and "<w " not in tei
    assert main(["run", str(seeds_dir), "-o", str(out), "--stages", "clean,teleport"]) == 2


def _two_seeds(tmp_path: Path, seeds_dir: Path) -> Path:
    """An input folder with two of the seeds."""
    inp = tmp_path / "in"
    inp.mkdir()
    for name in ("002_c4caf1a168c1a9ad.txt", "004_8cab881343aabe4f.txt"):
        shutil.copy(seeds_dir / name, inp / name)
    return inp


@needs_apertium
def test_one_changed_article_is_the_only_one_recomputed_and_revalidated(
        tmp_path: Path, seeds_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    inp = _two_seeds(tmp_path, seeds_dir)
    out = tmp_path / "out"
    assert main(["run", str(inp), "-o", str(out), "-q"]) == 0
    with (inp / "002_c4caf1a168c1a9ad.txt").open("a", encoding="utf-8") as fh:
        fh.write("\n\nLe Pentagone a publié un nouveau communiqué vendredi soir.\n")
    from pipeline.tei import validate

    parses: list[str] = []
    real_parser = validate._plain_parser

    def spy() -> object:  # every XML parse of validation, the corpus's members' included
        parses.append("parse")
        return real_parser()

    monkeypatch.setattr(validate, "_plain_parser", spy)
    assert main(["run", str(inp), "-o", str(out), "-q"]) == 0
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    status = {d["id"]: d["status"] for d in data["documents"]}
    assert status == {"art-002_c4caf1a168c1a9ad": "ok", "art-004_8cab881343aabe4f": "skipped"}
    # the changed article and the corpus shell, not the unchanged article
    assert data["validation"]["schema_checked"] == 2 and data["validation"]["problems"] == []
    # nor is the unchanged article read for its ids (.cache/ids.json holds them): the
    # changed article is parsed once (its own checks, by the worker), and the corpus root
    assert len(parses) == 2
    ids = json.loads((out / ".cache" / "ids.json").read_text(encoding="utf-8"))
    assert sorted(ids) == ["art-002_c4caf1a168c1a9ad.xml", "art-004_8cab881343aabe4f.xml"]
    assert "art-004_8cab881343aabe4f.fr.p1" in ids["art-004_8cab881343aabe4f.xml"][1].split()


@needs_apertium
def test_the_driver_reads_back_no_article_whose_checks_came_with_it(
        tmp_path: Path, seeds_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers check each article's bytes (links, ids); the driver parses only the corpus."""
    from pipeline.tei import validate

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    inp = _two_seeds(tmp_path, seeds_dir)
    parsed: list[str] = []
    real_parse = validate._parse

    def spy(path: Path, problems: list[validate.Problem]) -> object:
        parsed.append(Path(path).name)
        return real_parse(path, problems)

    monkeypatch.setattr(validate, "_parse", spy)
    out = tmp_path / "out"
    assert main(["run", str(inp), "-o", str(out), "-q"]) == 0
    assert parsed == ["corpus.xml"]
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert data["validation"]["schema_checked"] == 3 and data["validation"]["problems"] == []


def test_chunks_shrink_towards_the_end_of_a_parallel_run() -> None:
    from pipeline.run.runner import SMALLEST_CHUNK, chunk_sizes

    sizes = list(chunk_sizes(1000, 32, 2))
    assert sum(sizes) == 1000 and sizes[0] == 32 and max(sizes) == 32
    tail = sizes[sizes.index(min(s for s in sizes if s > SMALLEST_CHUNK)):]
    assert tail == sorted(tail, reverse=True)  # never grows again towards the end
    assert sizes[-2] == SMALLEST_CHUNK and sizes[-1] <= SMALLEST_CHUNK
    assert list(chunk_sizes(70, 32, 1)) == [32, 32, 6]  # one worker: whole chunks
    assert list(chunk_sizes(10, 2, 2)) == [2] * 5  # never above --chunk-size
    assert list(chunk_sizes(0, 32, 2)) == []
