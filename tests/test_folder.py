"""One output folder, one story: batches accumulate, --prune, views refreshed, paths relative.

Runs use the stages that need no model (clean, tei, corpus): what is checked here is the
folder's bookkeeping, which is the same for every stage.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.view import corpus_members

SEEDS = ("000_c32396ffb3fd2beb.txt", "001_e86200d8e4ff1953.txt", "002_c4caf1a168c1a9ad.txt",
         "003_644af0fdcf7613ad.txt", "004_8cab881343aabe4f.txt")
QUICK = ["-q", "--stages", "clean,tei,corpus"]


@pytest.fixture(autouse=True)
def _epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")


def _folder(where: Path, names: tuple[str, ...], seeds_dir: Path) -> Path:
    where.mkdir(parents=True)
    for name in names:
        shutil.copy(seeds_dir / name, where / name)
    return where


def _story(out: Path) -> dict[str, set[str]]:
    """The articles as tei/, corpus.xml, report.json and the reading view list them."""
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    story = {
        "tei": {p.stem for p in (out / "tei").glob("*.xml")},
        "corpus": {p.stem for p in corpus_members(out / "corpus.xml") or []},
        "report": {d["id"] for d in report["documents"]
                   if d["status"] in ("ok", "skipped", "kept")},
    }
    if (out / "index.html").exists():
        story["view"] = {p.stem for p in (out / "articles").glob("*.html")}
    return story


def _one(story: dict[str, set[str]]) -> set[str]:
    values = list(story.values())
    assert all(v == values[0] for v in values), story
    return values[0]


def test_a_second_batch_joins_the_first(tmp_path: Path, seeds_dir: Path) -> None:
    first = _folder(tmp_path / "batch1", SEEDS[:3], seeds_dir)
    second = _folder(tmp_path / "batch2", SEEDS[3:], seeds_dir)
    out = tmp_path / "out"
    assert main(["run", str(first), "-o", str(out), *QUICK]) == 0
    assert main(["view", str(out / "tei"), "-o", str(out)]) == 0
    assert main(["export", "--format", "conllu", "--lang", "fr", str(out / "tei"), "-o",
                        str(out / "exports"), "-q"]) == 0
    assert main(["run", str(second), "-o", str(out), *QUICK]) == 0
    assert _one(_story(out)) == {f"art-{Path(n).stem}" for n in SEEDS}
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["summary"]["ok"] == 2 and report["summary"]["kept"] == 3
    assert report["refreshed"] == ["view", "exports"]
    exported = {p.stem for p in (out / "exports" / "conllu" / "fr").glob("*.conllu")}
    assert exported == _story(out)["tei"]


def test_a_removed_input_stays_without_prune_and_goes_with_it(
        tmp_path: Path, seeds_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inp = _folder(tmp_path / "in", SEEDS[:3], seeds_dir)
    out = tmp_path / "out"
    assert main(["run", str(inp), "-o", str(out), *QUICK]) == 0
    assert main(["view", str(out), "-o", str(out)]) == 0
    assert main(["export", "--format", "brat", str(out / "tei"), "-o", str(out / "exports"),
                        "-q"]) == 0
    (inp / SEEDS[0]).unlink()
    gone = f"art-{Path(SEEDS[0]).stem}"
    assert main(["run", str(inp), "-o", str(out), *QUICK[1:]]) == 0
    assert gone in _one(_story(out)) and len(_one(_story(out))) == 3
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert [r["id"] for r in report["input_gone"]] == [gone] and report["removed"] == []
    assert f"input gone {gone}" in capsys.readouterr().err
    assert main(["run", str(inp), "-o", str(out), "--prune", *QUICK[1:]]) == 0
    assert _one(_story(out)) == {f"art-{Path(n).stem}" for n in SEEDS[1:3]}
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["removed"] == [{"id": gone, "file": SEEDS[0],
                                  "reason": f"its input {SEEDS[0]} is gone"}]
    assert report["summary"]["removed"] == 1
    assert f"removed {gone}: its input {SEEDS[0]} is gone" in capsys.readouterr().err
    for lang in ("fr", "en"):
        assert not list((out / "exports" / "brat" / lang).glob(f"{gone}.*"))
    assert (out / "exports" / "brat" / "fr" / "annotation.conf").is_file()
    manifest = json.loads((out / ".cache" / "manifest.json").read_text(encoding="utf-8"))
    assert gone not in manifest["documents"]


def test_pruning_every_article_leaves_no_corpus(tmp_path: Path, seeds_dir: Path) -> None:
    a = _folder(tmp_path / "a", SEEDS[:1], seeds_dir)
    b = _folder(tmp_path / "b", SEEDS[1:2], seeds_dir)
    out = tmp_path / "out"
    assert main(["run", str(a), "-o", str(out), *QUICK]) == 0
    shutil.rmtree(a)
    assert main(["run", str(b), "-o", str(out), "--prune", *QUICK]) == 0
    assert _one(_story(out)) == {f"art-{Path(SEEDS[1]).stem}"}


def test_the_same_folder_spelled_three_ways_gives_the_same_bytes_and_no_recompute(
        tmp_path: Path, seeds_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inp = _folder(tmp_path / "work" / "in", SEEDS[:2], seeds_dir)
    (tmp_path / "link").symlink_to(tmp_path / "work")
    out = tmp_path / "out"
    monkeypatch.chdir(tmp_path / "work")
    assert main(["run", "in", "-o", str(out), *QUICK]) == 0
    first = {p.name: p.read_bytes() for p in sorted((out / "tei").glob("*.xml"))}
    assert b'<idno type="path">000_c32396ffb3fd2beb.txt</idno>' in \
        first["art-000_c32396ffb3fd2beb.xml"]
    assert str(tmp_path).encode() not in b"".join(first.values())
    for spelling in (str(inp), str(tmp_path / "link" / "in"), "../work/in/."):
        assert main(["run", spelling, "-o", str(out), *QUICK]) == 0
        report = json.loads((out / "report.json").read_text(encoding="utf-8"))
        assert report["summary"]["skipped"] == 2, spelling
        assert {p.name: p.read_bytes() for p in (out / "tei").glob("*.xml")} == first


def test_report_paths_are_relative_to_the_output(tmp_path: Path, seeds_dir: Path) -> None:
    inp = _folder(tmp_path / "in", SEEDS[:1], seeds_dir)
    out = tmp_path / "out"
    assert main(["run", str(inp), "-o", str(out), *QUICK]) == 0
    text = (out / "report.json").read_text(encoding="utf-8")
    assert str(tmp_path) not in text
    report = json.loads(text)
    assert report["corpus"] == "corpus.xml"
    assert report["documents"][0]["output"] == "tei/art-000_c32396ffb3fd2beb.xml"
    assert report["documents"][0]["file"] == SEEDS[0]


def test_the_order_of_batches_does_not_change_the_folder(tmp_path: Path,
                                                         seeds_dir: Path) -> None:
    first = _folder(tmp_path / "one", SEEDS[:2], seeds_dir)
    second = _folder(tmp_path / "two", SEEDS[2:4], seeds_dir)
    outs = []
    for name, order in (("ab", (first, second)), ("ba", (second, first))):
        out = tmp_path / name
        for batch in order:
            assert main(["run", str(batch), "-o", str(out), *QUICK]) == 0
        outs.append(out)
    for rel in ["corpus.xml", *(f"tei/{p.name}" for p in (outs[0] / "tei").glob("*.xml"))]:
        assert (outs[0] / rel).read_bytes() == (outs[1] / rel).read_bytes(), rel


def test_remove_takes_articles_out_and_the_folder_still_tells_one_story(
        tmp_path: Path, seeds_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inp = _folder(tmp_path / "in", SEEDS[:3], seeds_dir)
    out = tmp_path / "out"
    assert main(["run", str(inp), "-o", str(out), *QUICK]) == 0
    assert main(["view", str(out), "-o", str(out), "-q"]) == 0
    assert main(["export", "--format", "doccano", str(out / "tei"), "-o",
                 str(out / "exports"), "-q"]) == 0
    ids = [f"art-{Path(n).stem}" for n in SEEDS[:3]]
    assert main(["remove", str(out), ids[0], "art-nothing"]) == 2  # nothing touched
    assert _one(_story(out)) == set(ids)
    assert main(["remove", str(out), ids[0]]) == 0
    assert f"removed {ids[0]}" in capsys.readouterr().err
    assert _one(_story(out)) == set(ids[1:])
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["removed"] == [{"id": ids[0], "file": SEEDS[0],
                                  "reason": "removed on request (remove command)"}]
    assert report["summary"]["documents"] == 2 and report["validation"]["problems"] == []
    assert not list((out / "exports").rglob(f"{ids[0]}.*"))
    # the input is still there: a later run brings the article back, as a new one
    assert main(["run", str(inp), "-o", str(out), *QUICK]) == 0
    assert _one(_story(out)) == set(ids)
    assert main(["remove", str(out), *ids]) == 0
    assert not (out / "corpus.xml").exists() and not list((out / "tei").glob("*.xml"))


def test_exports_are_refreshed_for_the_articles_that_changed_only(
        tmp_path: Path, seeds_dir: Path) -> None:
    """A run that adds an article exports that article alone (the others' files are not
    written again: same inodes), removes a file the exports did not make, and keeps the
    record of what it made in .cache/exports.json; without that record, all is exported."""
    first = _folder(tmp_path / "batch1", SEEDS[:3], seeds_dir)
    out = tmp_path / "out"
    assert main(["run", str(first), "-o", str(out), *QUICK]) == 0
    assert main(["export", "--format", "conllu", "--lang", "fr", str(out / "tei"), "-o",
                 str(out / "exports"), "-q"]) == 0
    stray = out / "exports" / "conllu" / "fr" / "art-stray.conllu"
    stray.write_text("# not made by the exports\n", encoding="utf-8")

    def inodes() -> dict[str, int]:
        return {p.name: p.stat().st_ino for p in (out / "exports").rglob("*") if p.is_file()}

    assert main(["run", str(_folder(tmp_path / "b2", SEEDS[3:4], seeds_dir)), "-o", str(out),
                 *QUICK]) == 0  # no record yet: every article exported, the stray removed
    assert not stray.exists()
    before = inodes()
    assert main(["run", str(_folder(tmp_path / "b3", SEEDS[4:], seeds_dir)), "-o", str(out),
                 *QUICK]) == 0
    after = inodes()
    new = f"art-{Path(SEEDS[4]).stem}.conllu"
    assert set(after) == set(before) | {new}
    assert {n for n in before if after[n] != before[n]} == set()
    state = json.loads((out / ".cache" / "exports.json").read_text(encoding="utf-8"))
    assert sorted(state["files"]) == sorted(f"art-{Path(n).stem}.xml" for n in SEEDS)
    assert state["files"][f"art-{Path(SEEDS[4]).stem}.xml"]["written"] == [f"conllu/fr/{new}"]
    (out / ".cache" / "exports.json").write_text("{not json", encoding="utf-8")
    shutil.copy(seeds_dir / SEEDS[0], tmp_path / "b3" / "again.txt")
    assert main(["run", str(tmp_path / "b3"), "-o", str(out), *QUICK]) == 0
    rewritten = inodes()
    assert all(rewritten[n] != after[n] for n in after)  # no record: all exported again
    exported = {p.stem for p in (out / "exports" / "conllu" / "fr").glob("*.conllu")}
    assert exported == _story(out)["tei"]


def test_a_run_refreshes_the_view_for_what_changed_with_the_bytes_of_a_whole_view(
        tmp_path: Path, seeds_dir: Path) -> None:
    """`view -o OUTPUT` into a run's folder leaves the memo (.cache/view.json) that later
    runs keep the view up to date with: a run adding an article rewrites that article's
    page and its neighbour's (previous/next links), not the others, and the view is the
    one `view` makes afresh."""
    out = tmp_path / "out"
    assert main(["run", str(_folder(tmp_path / "b1", SEEDS[:3], seeds_dir)), "-o", str(out),
                 *QUICK]) == 0
    assert main(["view", str(out / "tei"), "-o", str(out), "-q"]) == 0
    assert (out / ".cache" / "view.json").is_file()
    before = {p.name: p.stat().st_ino for p in (out / "articles").glob("*.html")}
    assert main(["run", str(_folder(tmp_path / "b2", SEEDS[4:], seeds_dir)), "-o", str(out),
                 *QUICK]) == 0
    after = {p.name: p.stat().st_ino for p in (out / "articles").glob("*.html")}
    names = sorted(after)
    new = f"art-{Path(SEEDS[4]).stem}.html"
    neighbours = {names[i] for i in (names.index(new) - 1, names.index(new) + 1)
                  if 0 <= i < len(names)}
    assert set(after) == set(before) | {new}
    assert {n for n in before if after[n] != before[n]} == neighbours
    refreshed = {p.relative_to(out): p.read_bytes() for p in out.rglob("*.html")}
    for p in out.rglob("*.html"):
        p.unlink()
    assert main(["view", str(out / "tei"), "-o", str(out), "-q"]) == 0  # every page again
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*.html")} == refreshed


def test_remove_compares_the_ids_a_run_recorded_and_parses_only_the_corpus(
        tmp_path: Path, seeds_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A takedown in a corpus of 100,000 must not read the 99,999 others for their ids: the
    run's validation left them in .cache/ids.json (with each file's sha256)."""
    from pipeline.tei import validate

    out = tmp_path / "out"
    assert main(["run", str(_folder(tmp_path / "in", SEEDS[:3], seeds_dir)), "-o", str(out),
                 "-q", "--stages", "clean,tei,corpus,validate"]) == 0
    assert len(json.loads((out / ".cache" / "ids.json").read_text(encoding="utf-8"))) == 3
    parses: list[str] = []
    real_parser = validate._plain_parser

    def spy() -> object:
        parses.append("parse")
        return real_parser()

    monkeypatch.setattr(validate, "_plain_parser", spy)
    assert main(["remove", str(out), f"art-{Path(SEEDS[0]).stem}", "-q"]) == 0
    assert len(parses) == 1  # corpus.xml
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["validation"]["problems"] == []
    # a recorded id list that no longer matches its file's bytes is not used
    second = out / "tei" / f"art-{Path(SEEDS[1]).stem}.xml"
    second.write_bytes(second.read_bytes().replace(b"</TEI>", b"<!-- x --></TEI>"))
    parses.clear()
    assert main(["remove", str(out), f"art-{Path(SEEDS[2]).stem}", "-q"]) == 0
    assert len(parses) == 2  # corpus.xml and the changed article


def test_a_moved_output_folder_is_not_validated_again(tmp_path: Path, seeds_dir: Path) -> None:
    """What was validated is recorded by file name: the same folder moved (or spelled
    otherwise) checks only the article that is new, and the corpus root."""
    stages = ["-q", "--stages", "clean,tei,corpus,validate"]
    out = tmp_path / "out"
    assert main(["run", str(_folder(tmp_path / "b1", SEEDS[:3], seeds_dir)), "-o", str(out),
                 *stages]) == 0
    moved = out.rename(tmp_path / "moved")
    assert main(["run", str(_folder(tmp_path / "b2", SEEDS[3:4], seeds_dir)), "-o", str(moved),
                 *stages]) == 0
    report = json.loads((moved / "report.json").read_text(encoding="utf-8"))
    assert report["summary"]["ok"] == 1 and report["summary"]["kept"] == 3
    assert report["validation"]["schema_checked"] == 2 and report["validation"]["problems"] == []
    # report.json: indented, one line per document
    text = (moved / "report.json").read_text(encoding="utf-8")
    assert [line.lstrip().startswith('{"id": ') for line in text.splitlines()].count(True) == 4
    assert json.loads(text)["documents"] == report["documents"]
