"""Mixed scrape folders through a run: one corpus, provenance in the TEI, errors alone."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from scrapes import PARAS, jsonl_lines, page, two_page_warc, warc_bytes

from pipeline.ingest import html
from pipeline.run.runner import Settings, run
from pipeline.tei.codec import read_tei

STAGES = ("clean", "tei", "corpus", "validate")


def _mixed(folder: Path, seed: Path) -> Path:
    folder.mkdir()
    shutil.copy(seed, folder / "dispatch.txt")
    (folder / "ecoles.html").write_text(page(), encoding="utf-8")
    two_page_warc(folder / "crawl.warc.gz")
    (folder / "items.jsonl").write_text(jsonl_lines([{
        "text": "\n\n".join(PARAS[:3]), "title": "Trois paragraphes", "url": "https://x.fr/3",
        "date": "2024-02-01"}]), encoding="utf-8")
    (folder / "metadata.csv").write_text(
        "file,url,author\ndispatch.txt,https://www.agence.fr/depeche/1,Agence Test\n",
        encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def mixed_run(tmp_path_factory: pytest.TempPathFactory, seed_files: list[Path],
              ) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("mixed")
    inp = _mixed(root / "in", seed_files[0])
    out = root / "out"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", "1700000000")
        report = run(Settings(inputs=[str(inp)], output=out, stages=STAGES, verbosity=-1))
    assert report.exit_status() == 0, [d.error for d in report.failed]
    return out, json.loads((out / "report.json").read_text(encoding="utf-8"))


def test_a_mixed_folder_makes_one_valid_corpus(mixed_run: tuple[Path, dict]) -> None:
    out, report = mixed_run
    assert report["summary"]["ok"] == 5 and report["summary"]["failed"] == 0
    assert report["validation"]["problems"] == []
    formats = sorted(read_tei(p).source.format for p in (out / "tei").glob("*.xml"))
    assert formats == ["html", "jsonl", "text", "warc", "warc"]
    warc_input = next(i for i in report["inputs"] if i["format"] == "warc")
    assert warc_input["documents"] == 2 and warc_input["skipped"]["request"] == 3


def test_each_tei_names_its_format_url_and_dates(mixed_run: tuple[Path, dict]) -> None:
    out, _ = mixed_run
    docs = {read_tei(p).source.format + str(i): read_tei(p)
            for i, p in enumerate(sorted((out / "tei").glob("*.xml")))}
    for p in (out / "tei").glob("*.xml"):  # every TEI names its format, text included
        assert b'<note type="format">' in p.read_bytes(), p.name
    for doc in docs.values():
        assert doc.meta.url, doc.id
        if doc.source.format == "warc":
            assert doc.source.retrieved and doc.source.retrieved.startswith("2024-05-0")
            assert doc.meta.date is not None and doc.meta.date.value == "2024-03-14"
            assert doc.meta.origins["url"] == "WARC-Target-URI"
            assert doc.source.record and doc.source.record.startswith("<urn:uuid:")
            assert doc.removed[0].rule == html.EXTRACTION_RULE
        if doc.source.format == "text":
            assert doc.meta.url == "https://www.agence.fr/depeche/1"
            assert doc.meta.origins["url"].startswith("sidecar table metadata.csv")
            assert doc.source.raw is None
        else:
            assert doc.source.raw is not None
            raw = (out / "tei" / doc.source.raw).resolve()
            assert raw.is_file() and raw.parent == (out / "raw").resolve()


def test_the_raw_record_kept_is_the_bytes_hashed(mixed_run: tuple[Path, dict]) -> None:
    import hashlib

    out, _ = mixed_run
    for p in (out / "tei").glob("*.xml"):
        doc = read_tei(p)
        if doc.source.raw:
            data = (out / "tei" / doc.source.raw).read_bytes()
            assert hashlib.sha256(data).hexdigest() == doc.source.sha256


def test_same_warc_same_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    warc = two_page_warc(tmp_path / "crawl.warc.gz")
    outs = []
    for n in (1, 2):
        out = tmp_path / f"out{n}"
        run(Settings(inputs=[str(warc)], output=out, stages=STAGES, verbosity=-1))
        outs.append(out)
    files = sorted(p.relative_to(outs[0]) for p in outs[0].rglob("*")
                   if p.is_file() and ".cache" not in p.parts and p.name != "report.json")
    assert any(f.parts[0] == "raw" for f in files) and any(f.parts[0] == "tei" for f in files)
    for f in files:
        assert (outs[0] / f).read_bytes() == (outs[1] / f).read_bytes(), f


def test_bad_inputs_fail_one_by_one_and_the_run_goes_on(tmp_path: Path) -> None:
    inp = tmp_path / "in"
    inp.mkdir()
    (inp / "good.html").write_text(page(), encoding="utf-8")
    (inp / "home.html").write_text("<html><body>" + "".join(
        f"<h2><a href='/{i}'>Titre numéro {i} du jour</a></h2>" for i in range(20))
        + "</body></html>", encoding="utf-8")
    (inp / "huge.html").write_bytes(b"<html><body>" + b"<p>mot.</p>" * 600_000)
    (inp / "english.html").write_text(page(
        "Lyon renovates forty schools", lang="en",
        paras=["The city council of Lyon voted on Thursday evening for a plan to renovate "
               "the schools of the city, after months of debate.",
               "The plan covers forty buildings by 2030, for a total cost estimated at "
               "120 million euros, partly paid for by the State."], lead=None),
        encoding="utf-8")
    whole = two_page_warc(tmp_path / "whole.warc.gz").read_bytes()
    (inp / "cut.warc.gz").write_bytes(whole[: len(whole) - 900])
    (inp / "images.warc.gz").write_bytes(warc_bytes([("https://x.fr/i.png", b"PNG", "image/png")]))
    (inp / "items.jsonl").write_text(jsonl_lines([{"text": "\n\n".join(PARAS)}, "{broken"]),
                                     encoding="utf-8")
    report = run(Settings(inputs=[str(inp)], output=tmp_path / "out", stages=STAGES,
                          verbosity=-1))
    assert report.exit_status() == 1
    codes = {d.file.split("/")[-1]: (d.error or {}).get("code") for d in report.documents}
    failed = {k: v for k, v in codes.items() if v}
    assert failed["home.html"] == "no-main-text"
    assert failed["huge.html"] == "too-large"
    assert failed["cut.warc.gz"] == "warc-truncated"
    assert failed["images.warc.gz"] == "no-html-records"
    assert failed["items.jsonl:2"] == "json"
    assert codes["good.html"] is None and codes["items.jsonl:1"] is None
    assert codes["english.html"] is None  # routed like an English text: kept, not translated
    cut = next(d for d in report.documents if d.file.endswith("cut.warc.gz"))
    assert "byte" in cut.error["message"] and "kept" in cut.error["message"]
    kept = [d for d in report.documents if "cut.warc.gz @" in d.file]
    assert kept and all(d.status == "ok" for d in kept)
    english = next(d for d in report.documents if d.file.endswith("english.html"))
    assert any(n["code"] == "language" for n in english.notes)
    from pipeline.commands.run import summary

    said = summary(report)
    assert "cut.warc.gz: 2 document(s); records skipped: " in said  # 1 page kept + the break
    assert "FAILED" in said and "[no-main-text]" in said
