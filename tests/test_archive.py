"""The archive: BagIt bags of an output folder, their verification, and reading from them.

The output folders are made by real runs of the pipeline with the stages that need no model
(clean, tei, corpus), so these tests are quick and still bag what a run writes.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import bagit  # type: ignore[import-untyped]
import pytest

from pipeline.archive import ArchiveError, build_bag, read_tei_from_bag, verify
from pipeline.archive.bag import sweep_partials
from pipeline.cli import main
from pipeline.run.runner import Settings, run
from pipeline.tei.codec import read_tei

SEEDS = ("000_c32396ffb3fd2beb.txt", "002_c4caf1a168c1a9ad.txt", "004_8cab881343aabe4f.txt")


def _run(inp: Path, out: Path) -> None:
    report = run(Settings(inputs=[str(inp)], output=out, stages=("clean", "tei", "corpus"),
                          verbosity=-1))
    assert report.exit_status() == 0


@pytest.fixture
def output(tmp_path: Path, seeds_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    inp = tmp_path / "in"
    inp.mkdir()
    for name in SEEDS:
        shutil.copy(seeds_dir / name, inp / name)
    out = tmp_path / "out"
    _run(inp, out)
    return out


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_bag_holds_corpus_sources_report_view_exports_and_inventory(
        output: Path, tmp_path: Path) -> None:
    from pipeline.export import export
    from pipeline.view import build_view

    build_view(sorted((output / "tei").glob("*.xml")), output)
    (output / "notes.txt").write_text("a user's notes, not the corpus")
    (output / "bench").mkdir()
    (output / "bench" / "results.md").write_text("machine figures")
    export([output / "tei"], "conllu", "fr", output / "exports")
    bag = tmp_path / "bag"
    result = build_bag(output, bag, {"Source-Organization": "Bibliothèque X",
                                     "Bag-Group-Identifier": "batch-7"})
    assert result.articles == 3
    files = _tree(bag / "data")
    for name in SEEDS:  # originals, byte for byte, at the path the TEI records
        assert files[f"sources/{name}"] == (output.parent / "in" / name).read_bytes()
    for p in (output / "tei").glob("*.xml"):
        assert files[f"tei/{p.name}"] == p.read_bytes()
    assert files["corpus.xml"] == (output / "corpus.xml").read_bytes()
    assert "report.json" in files and "index.html" in files and "static/view.css" in files
    assert any(k.startswith("articles/") for k in files)
    assert any(k.startswith("exports/conllu/fr/") for k in files)
    assert not any(k.startswith(".") or "/." in k for k in files)  # no .cache, no .lock
    assert "notes.txt" not in files and not any(k.startswith("bench/") for k in files)
    rows = list(csv.DictReader(io.StringIO(files["inventory.csv"].decode())))
    assert [r["id"] for r in rows] == [f"art-{Path(n).stem}" for n in SEEDS]
    for r in rows:
        assert hashlib.sha256(files[r["source_file"][5:]]).hexdigest() == r["source_sha256"]
        assert hashlib.sha256(files[r["tei_file"][5:]]).hexdigest() == r["tei_sha256"]
        assert "pipeline-clean" in r["engines"]
    assert rows[0]["date"] == "2020-06-12" and rows[0]["title"].startswith("Les États-Unis")
    assert {r["format"] for r in rows} == {"text"} and {r["raw_file"] for r in rows} == {""}
    info = bagit.Bag(str(bag)).info
    assert info["Source-Organization"] == "Bibliothèque X"
    assert info["Bag-Group-Identifier"] == "batch-7"
    assert info["Bagging-Date"] == "2023-11-14"  # SOURCE_DATE_EPOCH
    assert info["Bag-Software-Agent"].startswith("newscorpus ")
    assert info["Payload-Oxum"] == f"{sum(map(len, files.values()))}.{len(files)}"
    assert "3 article(s)" in info["External-Description"]
    assert (bag / "bagit.txt").read_text() == ("BagIt-Version: 1.0\n"
                                               "Tag-File-Character-Encoding: UTF-8\n")
    for name in ("manifest-sha256.txt", "manifest-sha512.txt", "tagmanifest-sha256.txt",
                 "tagmanifest-sha512.txt"):
        assert (bag / name).is_file()


def test_same_output_gives_the_same_bag_byte_for_byte(output: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "a" / "bag", tmp_path / "b" / "bag"
    build_bag(output, first, {"Source-Organization": "X"})
    os.utime(output / "corpus.xml", (1, 1))  # times of the output do not matter
    build_bag(output, second, {"Source-Organization": "X"})
    assert _tree(first) == _tree(second)
    stamps = {p.stat().st_mtime for p in second.rglob("*")}
    assert stamps == {1700000000.0}


def test_verify_names_each_altered_removed_or_added_file(output: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    bag = tmp_path / "bag"
    build_bag(output, bag)
    assert main(["verify", str(bag)]) == 0
    assert verify(bag).tei_checked == 4
    tei = sorted((bag / "data" / "tei").glob("*.xml"))
    same_size = tei[0].read_bytes().replace(b"Irak", b"Iraq", 1)
    tei[0].write_bytes(same_size)
    (bag / "data" / "sources" / SEEDS[1]).unlink()
    (bag / "data" / "extra.txt").write_text("not in the manifest")
    capsys.readouterr()
    assert main(["verify", str(bag)]) == 1
    out = capsys.readouterr().out
    assert f"altered: data/tei/{tei[0].name}" in out
    assert f"missing: data/sources/{SEEDS[1]}" in out
    assert "added: data/extra.txt" in out
    fast = verify(bag, fast=True)  # the Oxum sees the count change, not a same-size edit
    assert not fast.ok and fast.altered == [] and fast.added == ["data/extra.txt"]


def test_verify_alone_an_altered_file_and_an_altered_tag_file(output: Path,
                                                              tmp_path: Path) -> None:
    bag = tmp_path / "bag"
    build_bag(output, bag)
    report = bag / "data" / "report.json"
    report.write_bytes(report.read_bytes() + b" ")
    result = verify(bag)
    assert result.altered == ["data/report.json"] and not result.ok
    assert verify(bag, fast=True).errors  # one byte more: the Oxum catches it
    info = bag / "bag-info.txt"
    info.write_text(info.read_text().replace("newscorpus", "somebody"))
    assert "bag-info.txt" in verify(bag).altered


def test_verify_validates_the_tei_of_a_whole_bag(output: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    bag = tmp_path / "bag"
    build_bag(output, bag)
    tei = sorted((bag / "data" / "tei").glob("*.xml"))[0]
    tei.write_text(tei.read_text(encoding="utf-8").replace("<teiHeader", "<teiHeadr", 1)
                   .replace("</teiHeader>", "</teiHeadr>", 1), encoding="utf-8")
    opened = bagit.Bag(str(bag))
    opened.save(manifests=True)  # the fixity is whole again; the TEI is not valid
    assert main(["verify", str(bag)]) == 1
    assert "TEI: " in capsys.readouterr().out
    assert main(["verify", "--no-tei", str(bag)]) == 0


def test_read_tei_straight_from_a_bag(output: Path, tmp_path: Path) -> None:
    bag = tmp_path / "bag"
    build_bag(output, bag)
    doc_id = f"art-{Path(SEEDS[0]).stem}"
    doc = read_tei_from_bag(bag, doc_id)
    assert doc == read_tei(output / "tei" / f"{doc_id}.xml")
    assert read_tei(bag / "data" / "tei" / f"{doc_id}.xml") == doc
    path = bag / "data" / "tei" / f"{doc_id}.xml"
    path.write_bytes(path.read_bytes().replace(b"Irak", b"Iraq", 1))
    with pytest.raises(ArchiveError, match="does not have the bytes"):
        read_tei_from_bag(bag, doc_id)
    with pytest.raises(ArchiveError, match=r"no data/tei/art-nothing\.xml"):
        read_tei_from_bag(bag, "art-nothing")


def test_loc_bagit_command_line_accepts_the_bag(output: Path, tmp_path: Path) -> None:
    bag = tmp_path / "bag"
    assert main(["archive", str(output), "-o", str(bag), "--source-organization", "X"]) == 0
    exe = Path(sys.executable).with_name("bagit.py")
    if not exe.exists():
        pytest.skip("bagit.py is not installed next to this Python")
    done = subprocess.run([str(exe), "--validate", str(bag)], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert "is valid" in done.stderr


def test_existing_non_empty_target_is_refused(output: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep.txt").write_text("mine")
    assert main(["archive", str(output), "-o", str(full)]) == 2
    assert "not empty" in capsys.readouterr().err
    assert [p.name for p in full.iterdir()] == ["keep.txt"]
    afile = tmp_path / "afile"
    afile.write_text("x")
    assert main(["archive", str(output), "-o", str(afile)]) == 2
    assert main(["archive", str(output), "-o", str(output / "bag")]) == 2  # inside the output
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["archive", str(output), "-o", str(empty)]) == 0
    assert (empty / "bagit.txt").is_file()


def test_a_failed_bagging_leaves_no_bag_and_no_partial_folder(
        output: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(bagit, "make_bag", broken)
    with pytest.raises(OSError, match="No space left"):
        build_bag(output, tmp_path / "bag")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out"]


def test_a_killed_bagging_leaves_no_bag_and_the_next_one_cleans_up(
        output: Path, tmp_path: Path) -> None:
    """SIGKILL in the middle of copying: no folder under the bag's name; the leftover
    hidden folder goes with the next bagging, which ends identical to an uninterrupted one."""
    script = ("import shutil, time, sys\n"
              "from pipeline.archive import build_bag\n"
              "real = shutil.copyfile\n"
              "def slow(a, b, **k):\n"
              "    real(a, b, **k); time.sleep(30)\n"
              "shutil.copyfile = slow\n"
              "build_bag(sys.argv[1], sys.argv[2])\n")
    bag = tmp_path / "bag"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    proc = subprocess.Popen([sys.executable, "-c", script, str(output), str(bag)], env=env)
    try:
        deadline = time.monotonic() + 60
        while not list(tmp_path.glob(".bag.*.partial/*")) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert list(tmp_path.glob(".bag.*.partial"))
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert not bag.exists()
    build_bag(output, bag)
    assert not list(tmp_path.glob(".bag.*.partial"))
    build_bag(output, tmp_path / "other" / "bag")
    assert _tree(bag) == _tree(tmp_path / "other" / "bag")
    assert sweep_partials(bag) == []


def test_an_output_that_does_not_tell_one_story_is_refused(output: Path,
                                                           tmp_path: Path) -> None:
    stray = output / "tei" / "art-stray.xml"
    shutil.copy(next((output / "tei").glob("*.xml")), stray)
    with pytest.raises(ArchiveError, match=r"corpus.xml leaves out tei/art-stray.xml"):
        build_bag(output, tmp_path / "bag")
    stray.unlink()
    (output.parent / "in" / SEEDS[0]).write_text("changed since the run")
    with pytest.raises(ArchiveError, match="not found with the bytes"):
        build_bag(output, tmp_path / "bag")
    assert not (tmp_path / "bag").exists()


def test_config_file_gives_bag_info_tags(output: Path, tmp_path: Path) -> None:
    config = tmp_path / "archive.toml"
    config.write_text('[bag-info]\n"Source-Organization" = "Archives X"\n'
                      '"Contact-Email" = "archives@example.org"\n', encoding="utf-8")
    bag = tmp_path / "bag"
    assert main(["archive", str(output), "-o", str(bag), "--config", str(config),
                 "--internal-sender-identifier", "run-42"]) == 0
    info = bagit.Bag(str(bag)).info
    assert info["Source-Organization"] == "Archives X"
    assert info["Contact-Email"] == "archives@example.org"
    assert info["Internal-Sender-Identifier"] == "run-42"
    config.write_text('[bag-info]\n"Payload-Oxum" = "1.1"\n', encoding="utf-8")
    assert main(["archive", str(output), "-o", str(tmp_path / "b2"), "--config",
                 str(config)]) == 2


def test_a_warc_input_is_packed_once_with_the_raw_records_of_its_articles(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from scrapes import two_page_warc

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    inp = tmp_path / "in"
    inp.mkdir()
    warc = two_page_warc(inp / "crawl.warc.gz")
    out = tmp_path / "out"
    _run(inp, out)
    bag = tmp_path / "bag"
    result = build_bag(out, bag)
    assert result.articles == 2
    files = _tree(bag / "data")
    assert files["sources/crawl.warc.gz"] == warc.read_bytes()
    assert not any(k.startswith("sources/art-") for k in files)  # one copy for both records
    raws = [k for k in files if k.startswith("raw/")]
    assert len(raws) == 2 and raws == [k for k in (f"raw/{p.name}" for p in
                                                  sorted((out / "raw").iterdir()))]
    rows = list(csv.DictReader(io.StringIO(files["inventory.csv"].decode())))
    assert {r["source_file"] for r in rows} == {"data/sources/crawl.warc.gz"}
    assert {r["format"] for r in rows} == {"warc"} and all(r["url"] for r in rows)
    assert sorted(r["raw_file"][5:] for r in rows) == raws
    assert {r["source_sha256"] for r in rows} == {hashlib.sha256(warc.read_bytes()).hexdigest()}
    assert verify(bag).ok


def test_inputs_that_moved_are_found_with_the_inputs_option(output: Path,
                                                            tmp_path: Path) -> None:
    (output.parent / "in").rename(tmp_path / "moved")
    with pytest.raises(ArchiveError, match="--inputs"):
        build_bag(output, tmp_path / "bag")
    assert main(["archive", str(output), "-o", str(tmp_path / "bag"), "--inputs",
                 str(tmp_path / "moved"), "-q"]) == 0
    assert (tmp_path / "bag" / "data" / "sources" / SEEDS[0]).read_bytes() == \
        (tmp_path / "moved" / SEEDS[0]).read_bytes()


def test_an_output_in_use_by_a_run_is_not_archived(output: Path, tmp_path: Path) -> None:
    from pipeline.run.atomic import output_lock

    with output_lock(output), pytest.raises(ArchiveError, match="another run"):
        build_bag(output, tmp_path / "bag")
    assert not (tmp_path / "bag").exists()


def test_a_terminated_archive_command_removes_its_half_made_bag(output: Path,
                                                                tmp_path: Path) -> None:
    """SIGTERM (what a job scheduler or `kill` sends) unwinds: nothing is left behind."""
    script = ("import shutil, time, sys\n"
              "from pipeline.cli import main\n"
              "real = shutil.copyfile\n"
              "def slow(a, b, **k):\n"
              "    real(a, b, **k); time.sleep(30)\n"
              "shutil.copyfile = slow\n"
              "sys.exit(main(['archive', sys.argv[1], '-o', sys.argv[2], '-q']))\n")
    bag = tmp_path / "bag"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    proc = subprocess.Popen([sys.executable, "-c", script, str(output), str(bag)], env=env)
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".bag.*.partial/*")) and time.monotonic() < deadline:
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 128 + signal.SIGTERM
    assert not bag.exists() and not list(tmp_path.glob(".bag.*"))


def test_verify_of_something_that_is_no_bag_exits_2(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "folder").mkdir()
    assert main(["verify", str(tmp_path / "folder")]) == 2
    assert "not a BagIt bag" in capsys.readouterr().err
