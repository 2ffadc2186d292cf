"""Bad input: each file is answered by a per-document error or note, the run goes on.

One pipeline run (module fixture) over a folder holding every kind of bad input the
tests make, next to a good seed; the tests read the per-file outcomes from report.json
and the TEI files. Cheap checks (ids, decoding, the bounded annotator) run without
engines. See the README's "What happens when..." table.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from pipeline.document import Sentence, Token
from pipeline.engines import apertium
from pipeline.errors import CODES, DocumentError
from pipeline.ingest import files as ingest
from pipeline.run.atomic import atomic_write_bytes, safe_output_dir
from pipeline.run.runner import Settings, run
from pipeline.stages.limits import BoundedAnnotator, pieces

TEI = {"t": "http://www.tei-c.org/ns/1.0"}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
SEED = "004_8cab881343aabe4f.txt"

ENGLISH = """World

Iraq and the United States agree to discuss a timetable for the withdrawal of troops

The Iraqi foreign ministry said on Thursday that Baghdad and Washington had agreed to set up a \
committee that will negotiate a timetable for the gradual withdrawal of American forces from \
the country.

In a statement, the ministry said that the talks would deal with the future of the military \
coalition led by the United States, which was formed in 2014 to fight the Islamic State group.

The two countries have agreed to form working groups that will be in charge of setting a \
precise and clear timetable for the withdrawal of the American military advisers who are still \
stationed at several bases in the west and the north of Iraq.

The American defence secretary, Lloyd Austin, confirmed that the meetings would take place in \
the coming days, and said that the transition would depend on the results of the talks held \
last August about security cooperation between the two countries.
"""

SPANISH = """Internacional

Irak y Estados Unidos acuerdan discutir un calendario para la retirada de las tropas

El ministerio de Asuntos Exteriores iraquí dijo el jueves que Bagdad y Washington habían \
acordado crear un comité que se encargará de negociar un calendario para la retirada gradual \
de las fuerzas estadounidenses del país.

En un comunicado, el ministerio anunció que las conversaciones tratarán sobre el futuro de la \
coalición militar dirigida por Estados Unidos, que fue creada en 2014 para luchar contra el \
grupo Estado Islámico.

Los dos países han acordado formar grupos de trabajo que se encargarán de establecer un \
calendario preciso y claro para la retirada de los asesores militares estadounidenses que \
todavía están en varias bases del oeste y del norte de Irak.

El secretario de Defensa estadounidense, Lloyd Austin, confirmó que las reuniones tendrán \
lugar en los próximos días, según los resultados de las conversaciones del mes de agosto.
"""

BOILERPLATE = """Accueil
Actualités
Partager sur Facebook
Partager :
Publicité
Tous droits réservés
"""

# One 1x1 PNG (as a scraper saves an image under a .txt name).
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def _variant(text: str, tag: str) -> str:
    """The seed with a different headline, so that no two test inputs are identical."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if len(line.split()) >= 5:
            lines[i] = f"{line} ({tag})"
            break
    return "\n".join(lines)


def make_bad_inputs(folder: Path, seed: str) -> dict[str, bytes]:
    """Write every bad input into ``folder``; returns file name -> bytes written."""
    latin = (_variant(seed, "latin")
             .replace("’", "'").replace("–", "-").replace("œ", "oe"))
    files: dict[str, bytes] = {
        "good.txt": seed.encode(),
        "empty.txt": b"",
        "blank.txt": b"  \n\t\n \r\n\n   ",
        "nul.txt": _variant(seed, "nul").encode()[:500] + b"\x00\x00\x00" + b"text" * 10,
        "image.txt": PNG,
        "boilerplate.txt": BOILERPLATE.encode(),
        "bom8.txt": b"\xef\xbb\xbf" + _variant(seed, "bom8").encode(),
        "utf16.txt": _variant(seed, "utf16").encode("utf-16"),
        "latin1.txt": latin.encode("latin-1"),
        "cp1252.txt": _variant(seed, "cp1252").encode("cp1252"),
        "badutf8.txt": _variant(seed, "badutf8").encode().replace(
            b"Bagdad", b"Bag\xffdad", 1).replace(
            b"Washington avaient", b"Wash\xc3\x28ington avaient", 1),
        "crlf.txt": _variant(seed, "crlf").replace("\n", "\r\n").encode(),
        "cr.txt": _variant(seed, "cr").replace("\n", "\r").encode(),
        "english.txt": ENGLISH.encode(),
        "spanish.txt": SPANISH.encode(),
        "control.txt": _variant(seed, "control").replace(
            "Le ministère", "Le\x01 ministère\x07", 1).replace("Irak", "Ir\x1bak", 1).replace(
            "Davos", "Davos\x0c", 1).encode(),
        "markup.txt": _variant(seed, "markup").replace(
            "Dans un communiqué publié jeudi",
            "<script>alert('x')</script> Dans un communiqué (AT&amp;T ]]> <b>) publié jeudi",
            1).encode(),
        "with space.txt": _variant(seed, "space").encode(),
        "accentué é.txt": _variant(seed, "accent").encode(),
        "quote'\"s.txt": _variant(seed, "quote").encode(),
        "-dash.txt": _variant(seed, "dash").encode(),
        "Case.txt": _variant(seed, "Case").encode(),
        "case.txt": _variant(seed, "case").encode(),
        "dup-a.txt": _variant(seed, "dup").encode(),
        "dup-b.txt": _variant(seed, "dup").encode(),
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    # 20 MB: refused before it is read (see ingest.MAX_BYTES).
    with open(folder / "huge.txt", "wb") as fh:
        line = (seed.replace("\n", " ") + "\n").encode()
        while fh.tell() < 20_000_000:
            fh.write(line)
    return files


# ---------------------------------------------------------------------------- the run


STALE_TEMP = ".art-good.xml.k3j9x_2a.tmp"


@pytest.fixture(scope="module")
def bad_run(tmp_path_factory: pytest.TempPathFactory, seeds_dir: Path) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("robust")
    inp = root / "in"
    inp.mkdir()
    seed = (seeds_dir / SEED).read_text(encoding="utf-8")
    files = make_bad_inputs(inp, seed)
    out = root / "output"
    (out / "tei").mkdir(parents=True)
    (out / "tei" / STALE_TEMP).write_bytes(b"<TEI>half")  # left by a killed run
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1700000000")
    stages = tuple(s for s in Settings([], out).stages
                   if apertium.is_available() or s != "translate")
    report = run(Settings(inputs=[str(inp)], output=out, stages=stages, verbosity=-1))
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    for d in data["documents"]:  # the report's output paths are relative to the output
        if d.get("output"):
            d["output"] = str(out / d["output"])
    docs = {Path(d["file"]).name: d for d in data["documents"]}
    return {"in": inp, "out": out, "report": report, "data": data, "docs": docs,
            "files": files, "translated": "translate" in stages}


def _tei(bad_run: dict[str, Any], name: str) -> etree._Element:
    doc = bad_run["docs"][name]
    assert doc["status"] == "ok", doc
    path = Path(doc["output"])
    assert path.parent == bad_run["out"] / "tei"
    return etree.parse(str(path)).getroot()


def _notes(bad_run: dict[str, Any], name: str) -> dict[str, str]:
    return {n["code"]: n["message"] for n in bad_run["docs"][name]["notes"]}


def _body_text(root: etree._Element, kind: str = "original") -> str:
    div = root.find(f"t:text/t:body/t:div[@type='{kind}']", TEI)
    assert div is not None
    return "\n\n".join("".join(el.itertext()) for el in div)


EXPECTED_FAILURES = {
    "empty.txt": "empty",
    "blank.txt": "empty",
    "nul.txt": "binary",
    "image.txt": "binary",
    "boilerplate.txt": "all-boilerplate",
    "huge.txt": "too-large",
}


def test_every_input_is_written_or_reported_with_a_reason(bad_run: dict[str, Any]) -> None:
    docs = bad_run["docs"]
    assert set(docs) == set(bad_run["files"]) | {"huge.txt"}
    for name, doc in docs.items():
        if name in EXPECTED_FAILURES:
            assert doc["status"] == "failed", name
            assert doc["error"]["code"] == EXPECTED_FAILURES[name], doc["error"]
            assert doc["error"]["message"].startswith(name), doc["error"]  # says which file
            assert doc["error"]["code"] in CODES
        else:
            assert doc["status"] == "ok", (name, doc["error"])
            assert Path(doc["output"]).is_file()
    data = bad_run["data"]
    assert data["summary"]["failed"] == len(EXPECTED_FAILURES)
    assert data["summary"]["ok"] == len(docs) - len(EXPECTED_FAILURES)
    assert bad_run["report"].exit_status() == 1
    # every note code is in the catalogue
    assert {n["code"] for d in docs.values() for n in d["notes"]} <= set(CODES)


def test_the_summary_names_each_failure_and_note(bad_run: dict[str, Any]) -> None:
    from pipeline.cli import summary

    text = summary(bad_run["report"], verbose=True)
    for name, code in EXPECTED_FAILURES.items():
        assert f"FAILED {name}: [{code}]" in text  # the path relative to the input root
    assert "[language]" in text and "[encoding]" in text and "[duplicate]" in text


def test_good_outputs_are_valid_tei_and_nothing_half_written_is_left(
        bad_run: dict[str, Any]) -> None:
    out = bad_run["out"]
    assert bad_run["data"]["validation"]["problems"] == []
    written = sorted(p.name for p in (out / "tei").iterdir())
    expected = sorted(Path(d["output"]).name for d in bad_run["docs"].values()
                      if d["status"] == "ok")
    assert written == expected  # the stale temporary file was swept, no other file
    for p in (out / "tei").iterdir():
        etree.parse(str(p))
    corpus = etree.parse(str(out / "corpus.xml")).getroot()
    hrefs = [el.get("href") for el in corpus.iter("{http://www.w3.org/2001/XInclude}include")]
    assert sorted(Path(h).name for h in hrefs) == expected
    assert not [p for p in out.rglob("*.tmp")]


@pytest.mark.parametrize(("name", "encoding", "how"), [
    ("bom8.txt", "utf-8", "byte order mark"),
    ("utf16.txt", "utf-16", "byte order mark"),
    ("latin1.txt", "iso-8859-1", "Latin-1"),
    ("cp1252.txt", "cp1252", "cp1252"),
])
def test_encodings_are_detected_decoded_and_recorded(bad_run: dict[str, Any], name: str,
                                                     encoding: str, how: str) -> None:
    root = _tei(bad_run, name)
    bibl = root.find("t:teiHeader/t:fileDesc/t:sourceDesc/t:bibl", TEI)
    assert bibl.findtext("t:note[@type='encoding']", namespaces=TEI) == encoding
    assert how in bibl.findtext("t:note[@type='encoding-detection']", namespaces=TEI)
    assert how in _notes(bad_run, name)["encoding"]
    text = _body_text(root)
    assert "États-Unis" in text and "ministère irakien" in text
    assert "\ufeff" not in text and "\ufffd" not in text and "Ã" not in text
    if name == "cp1252.txt":
        assert "d’un calendrier" in text and "cœur" in text


def test_invalid_utf8_bytes_are_replaced_and_noted(bad_run: dict[str, Any]) -> None:
    root = _tei(bad_run, "badutf8.txt")
    text = _body_text(root)
    assert "Bag\ufffddad" in text and "Wash\ufffd(ington" in text
    assert "États-Unis" in text  # the rest is read as UTF-8
    note = _notes(bad_run, "badutf8.txt")["encoding"]
    assert "2 invalid byte sequence(s) replaced by U+FFFD" in note
    bibl = root.find("t:teiHeader/t:fileDesc/t:sourceDesc/t:bibl", TEI)
    assert "U+FFFD" in bibl.findtext("t:note[@type='encoding-detection']", namespaces=TEI)


def test_crlf_and_lone_cr_line_ends_give_the_same_paragraphs(bad_run: dict[str, Any]) -> None:
    lf = [p.text and len(p) for p in _tei(bad_run, "good.txt").iterfind(".//t:p", TEI)]
    for name in ("crlf.txt", "cr.txt"):
        root = _tei(bad_run, name)
        assert [p.text and len(p) for p in root.iterfind(".//t:p", TEI)] == lf
        assert "\r" not in _body_text(root)
        assert "normalised to LF" in _notes(bad_run, name)["line-ends"]


def test_english_article_is_analysed_in_english_and_not_translated(
        bad_run: dict[str, Any]) -> None:
    root = _tei(bad_run, "english.txt")
    assert root.get(XML_LANG) == "en"
    assert root.find("t:text/t:body/t:div[@type='translation']", TEI) is None
    original = root.find("t:text/t:body/t:div[@type='original']", TEI)
    assert original.get(XML_LANG) == "en"
    lemmas = {w.get("lemma") for w in original.iter(f"{{{TEI['t']}}}w")}
    assert {"say", "agree", "the"} <= lemmas  # English lemmas: the English model
    notes = _notes(bad_run, "english.txt")
    assert "detected en" in notes["language"]
    if bad_run["translated"]:
        assert "not translated" in notes["not-translated"]
    assert "not-analysed" not in notes
    langs = [el.get("ident") for el in root.iterfind(".//t:langUsage/t:language", TEI)]
    assert langs == ["en"]


def test_spanish_article_is_kept_as_text_with_notes(bad_run: dict[str, Any]) -> None:
    root = _tei(bad_run, "spanish.txt")
    assert root.get(XML_LANG) == "es"
    assert root.find("t:text/t:body/t:div[@type='translation']", TEI) is None
    assert root.find(".//t:s", TEI) is None and root.find(".//t:w", TEI) is None
    assert "acordado crear un comité" in _body_text(root)
    notes = _notes(bad_run, "spanish.txt")
    assert "detected es" in notes["language"]
    assert "no analysis model for es" in notes["not-analysed"]
    header_notes = {n.get("type") for n in root.iterfind(".//t:notesStmt/t:note", TEI)}
    assert {"language", "not-analysed"} <= header_notes


def test_control_characters_are_removed_and_noted(bad_run: dict[str, Any]) -> None:
    path = Path(bad_run["docs"]["control.txt"]["output"])
    raw = path.read_bytes().decode("utf-8")
    assert not any(ord(c) < 32 and c not in "\t\n\r" for c in raw)
    text = _body_text(_tei(bad_run, "control.txt"))
    assert "Le ministère irakien" in text and "Irak" in text
    note = _notes(bad_run, "control.txt")["control-chars"]
    assert "U+0001 x1" in note and "U+001B x1" in note and "U+000C x1" in note


def test_literal_markup_is_kept_as_text(bad_run: dict[str, Any]) -> None:
    root = _tei(bad_run, "markup.txt")
    text = _body_text(root)
    assert "<script>alert('x')</script> Dans un communiqué (AT&amp;T ]]> <b>) publié" in text
    assert root.find(".//t:script", TEI) is None and root.find(".//script") is None
    assert "<script>" in _notes(bad_run, "markup.txt")["markup"]


def test_awkward_file_names_get_distinct_safe_ids(bad_run: dict[str, Any]) -> None:
    names = ["with space.txt", "accentué é.txt", "quote'\"s.txt", "-dash.txt", "Case.txt",
             "case.txt"]
    ids = [bad_run["docs"][n]["id"] for n in names]
    assert len({i.lower() for i in ids}) == len(ids)
    for name, ident in zip(names, ids, strict=True):
        root = _tei(bad_run, name)
        assert root.get("{http://www.w3.org/XML/1998/namespace}id") == ident
        assert Path(bad_run["docs"][name]["output"]).name == f"{ident}.xml"
        assert ident in _notes(bad_run, name)["id"]
        bibl = root.find("t:teiHeader/t:fileDesc/t:sourceDesc/t:bibl", TEI)
        assert bibl.findtext("t:idno[@type='filename']", namespaces=TEI) == name
    assert "id" not in _notes(bad_run, "good.txt")  # a plain name keeps its plain id


def test_identical_files_are_both_kept_and_the_duplicate_noted(bad_run: dict[str, Any]) -> None:
    a, b = _tei(bad_run, "dup-a.txt"), _tei(bad_run, "dup-b.txt")
    assert _body_text(a) == _body_text(b)
    assert "duplicate" not in _notes(bad_run, "dup-a.txt")
    assert _notes(bad_run, "dup-b.txt")["duplicate"] == "same bytes as art-dup-a"
    bibl = b.find("t:teiHeader/t:fileDesc/t:sourceDesc/t:bibl", TEI)
    assert bibl.findtext("t:note[@type='duplicate-of']", namespaces=TEI) == "art-dup-a"


def test_long_paragraphs_never_reach_spacy_whole(bad_run: dict[str, Any]) -> None:
    """The real French model, its max_length lowered: a long text goes through in pieces."""
    from pipeline.run.context import process_engines

    annotator = next((e for (key, _fp), e in process_engines().annotators.items()
                      if key == "nlp-fr"), None)
    if annotator is None or not hasattr(annotator, "nlp"):
        pytest.skip("the spaCy French engine was not loaded by the run")
    seed = (Path(__file__).parent.parent / "seeds" / SEED).read_text(encoding="utf-8")
    body = " ".join(line for line in seed.split("\n") if len(line.split()) > 12)
    text = " ".join([body] * 4)  # ~12,000 characters in one paragraph
    saved = annotator.nlp.max_length
    annotator.nlp.max_length = 3_000
    try:
        with pytest.raises(ValueError, match="E088"):
            annotator.split_and_analyse([text])
        sents = BoundedAnnotator(annotator, piece_chars=2_500).split_and_analyse([text])[0]
    finally:
        annotator.nlp.max_length = saved
    assert len(sents) > 20
    pos = 0
    for s in sents:
        assert s.start >= pos and text[s.start:s.end] == s.text
        assert all(text[t.start:t.end] == t.text for t in s.tokens)
        assert all(text[m.start:m.end] == m.text for m in s.mentions)
        pos = s.end
    covered = "".join(text[s.start:s.end] for s in sents)
    assert "".join(covered.split()) == "".join(text.split())  # no character lost


# ---------------------------------------------------------------------------- no engines


def test_one_megabyte_line_is_kept_whole(tmp_path: Path, seeds_dir: Path) -> None:
    """A page flattened to one 1 MB line: kept, noted, written (analysis: see above)."""
    seed = (seeds_dir / SEED).read_text(encoding="utf-8")
    body = " ".join(line for line in seed.split("\n") if len(line.split()) > 12)
    n = 1_000_000 // (len(body) + 1) + 1
    line = " ".join(body.replace("2017", str(1900 + i)) for i in range(n))
    assert len(line) > 1_000_000
    inp = tmp_path / "in"
    inp.mkdir()
    (inp / "long.txt").write_text("Un titre pour une page aplatie\n\n" + line + "\n",
                                  encoding="utf-8")
    out = tmp_path / "out"
    report = run(Settings(inputs=[str(inp)], output=out, stages=("clean", "tei", "corpus"),
                          verbosity=-1))
    [doc] = report.documents
    assert doc.status == "ok", doc.error
    assert any(n["code"] == "long-line" and "1 line(s)" in n["message"] for n in doc.notes)
    root = etree.parse(str(out / "tei" / "art-long.xml"),
                       etree.XMLParser(huge_tree=True)).getroot()
    assert line in _body_text(root)


def test_a_20_mb_file_is_refused_unread(tmp_path: Path) -> None:
    import tracemalloc

    big = tmp_path / "big.txt"
    with open(big, "wb") as fh:
        fh.write(b"Une ligne de texte en fran\xc3\xa7ais.\n" * 700_000)
    assert big.stat().st_size > 20_000_000
    tracemalloc.start()
    try:
        with pytest.raises(DocumentError) as exc:
            ingest.read_source(big)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert exc.value.code == "too-large" and "limit" in exc.value.message
    assert peak < 4 * 1024 * 1024  # read in blocks for its checksum, never whole
    assert len(ingest.file_sha256(big)) == 64


def test_decode_rules() -> None:
    fr = "Le ministère a déclaré jeudi qu’il était « prêt » à négocier."
    assert ingest.decode(fr.encode("utf-16-le"))[1:] == (
        "utf-16", "utf-16-le without byte order mark (NUL-byte pattern)")
    assert ingest.decode(fr.encode("utf-16-be"))[0] == fr
    assert ingest.decode(fr.encode("utf-32"))[:2] == (fr, "utf-32")
    assert ingest.decode(fr.encode("cp1252"))[:2] == (fr, "cp1252")
    plain = fr.replace("’", "'")
    assert ingest.decode(plain.encode("latin-1"))[:2] == (plain, "iso-8859-1")
    text, enc, how = ingest.decode(fr.encode() + b"\xff")
    assert (text, enc) == (fr + "\ufffd", "utf-8") and "1 invalid" in how
    with pytest.raises(DocumentError) as exc:
        ingest.decode(b"\xff\xfe" + b"\x00\xd8")  # a lone surrogate after a UTF-16 BOM
    assert exc.value.code == "decode"
    for blob in (b"%PDF-1.7\n...", b"PK\x03\x04zip", b"\x7fELF\x02", bytes(range(32)) * 10):
        with pytest.raises(DocumentError) as exc:
            ingest.decode(blob)
        assert exc.value.code == "binary"


def test_sanitize_keeps_allowed_characters() -> None:
    notes: list[Any] = []
    kept = "tab\t nl\n cr\r é ü 𝄞 \u0085 \ue000 \ufffd"
    assert ingest.sanitize(kept, notes) == kept and notes == []
    assert ingest.sanitize("a\x00b\x0bc\ufffed\x7f", notes) == "ab\ncd\x7f"
    assert "U+0000 x1" in notes[0].message and "U+FFFE x1" in notes[0].message


def test_ids_never_collide_nor_leave_the_tei_folder(tmp_path: Path) -> None:
    names = ["a.txt", "A.txt", "a b.txt", "a_b.txt", "a_b-2c1b3a47.txt", "..txt", "...txt",
             "-x.txt", "x.txt", "é.txt", "e.txt", "日本.txt", "中国.txt", "x" * 200 + ".txt",
             "x" * 201 + ".txt", "a'b\".txt", "con.txt", "art-a.txt", ".hidden.txt"]
    paths = [tmp_path / n for n in names] + [tmp_path / "sub" / "a.txt",
                                             tmp_path / "other" / "a.txt"]
    ids = ingest.make_ids(paths)
    assert len({i.lower() for i in ids.values()}) == len(paths)
    tei_dir = (tmp_path / "tei").resolve()
    for ident in ids.values():
        assert ident.startswith("art-") and len(ident) < 100
        assert all(c.isascii() and (c.isalnum() or c in "_.-") for c in ident)
        assert (tei_dir / f"{ident}.xml").resolve().parent == tei_dir
    assert ids[tmp_path / "con.txt"] == "art-con"  # plain names stay plain
    assert ingest.make_ids(list(reversed(paths))) == ids  # stable, whatever the order


def test_discover_skips_hidden_files_and_matches_suffix_case(tmp_path: Path) -> None:
    for name in ("a.txt", "B.TXT", "._a.txt", ".hidden.txt", "c.md"):
        (tmp_path / name).write_text("x", encoding="utf-8")
    assert [p.name for p in ingest.discover([str(tmp_path)])] == ["B.TXT", "a.txt"]


# ---------------------------------------------------------------------------- paths


def test_output_through_a_symlink_is_refused(tmp_path: Path, seeds_dir: Path) -> None:
    from pipeline.cli import main

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    link = tmp_path / "out"
    link.symlink_to(elsewhere)
    assert main(["run", str(seeds_dir), "-o", str(link), "-q"]) == 2
    assert list(elsewhere.iterdir()) == []
    real = tmp_path / "real"
    real.mkdir()
    (real / "tei").symlink_to(elsewhere)
    with pytest.raises(PermissionError):
        run(Settings(inputs=[str(seeds_dir)], output=real, verbosity=-1))
    assert list(elsewhere.iterdir()) == []
    with pytest.raises(PermissionError):
        safe_output_dir(link)


def test_a_file_symlink_is_not_written_through(tmp_path: Path) -> None:
    target = tmp_path / "precious.xml"
    target.write_bytes(b"keep")
    (tmp_path / "out.xml").symlink_to(target)
    with pytest.raises(PermissionError):
        atomic_write_bytes(tmp_path / "out.xml", b"new")
    assert target.read_bytes() == b"keep"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_a_second_run_into_a_busy_output_is_refused(tmp_path: Path, seeds_dir: Path) -> None:
    from pipeline.errors import ConfigError
    from pipeline.run.atomic import output_lock

    out = tmp_path / "out"
    out.mkdir()
    with output_lock(out) as locked:
        assert locked
        with pytest.raises(ConfigError, match="another run"):
            run(Settings(inputs=[str(seeds_dir)], output=out, verbosity=-1))
    with output_lock(out) as locked:  # released
        assert locked


def test_bounded_annotator_pieces_and_calls() -> None:
    class Fake:
        max_length = 1000

        def __init__(self) -> None:
            self.calls: list[int] = []

        def applications(self) -> list[Any]:
            return []

        def _check(self, texts: list[str]) -> None:
            assert all(len(t) <= self.max_length for t in texts)
            self.calls.append(sum(map(len, texts)))

        def split_and_analyse(self, texts: list[str]) -> list[list[Sentence]]:
            self._check(texts)
            out = []
            for t in texts:
                sents, a = [], 0
                for b in [i + 1 for i, c in enumerate(t) if c == "."] + [len(t)]:
                    seg = t[a:b]
                    lead = len(seg) - len(seg.lstrip())
                    s, e = a + lead, a + len(seg.rstrip())
                    if e > s:
                        sents.append(Sentence("", s, e, t[s:e], tokens=[Token(s, e, t[s:e])]))
                    a = b
                out.append(sents)
            return out

        def analyse_sentences(self, texts: list[str]) -> list[Sentence]:
            self._check(texts)
            return [Sentence("", 0, len(t), t, tokens=[Token(0, len(t), t)]) for t in texts]

    text = " ".join(f"Phrase numéro {i} du texte." for i in range(400))  # ~10,000 chars
    fake = Fake()
    bounded = BoundedAnnotator(fake, piece_chars=900, call_chars=3000)
    [sents] = bounded.split_and_analyse([text])
    assert [s.text for s in sents] == [f"Phrase numéro {i} du texte." for i in range(400)]
    assert all(text[s.start:s.end] == s.text for s in sents)
    assert max(fake.calls) <= 3000 + 900
    [one] = bounded.analyse_sentences(["x" * 2500])
    assert (one.start, one.end, one.text) == (0, 2500, "x" * 2500)
    assert [(t.start, t.end) for t in one.tokens] == [(0, 900), (900, 1800), (1800, 2500)]
    assert pieces("court") == [(0, 5)]
    spans = pieces("mot " * 5000, 1000)
    assert spans[0][0] == 0 and spans[-1][1] == 20000
    assert all(b - a <= 1000 for a, b in spans)
    assert all(b == a2 for (_, b), (a2, _) in itertools.pairwise(spans))


def test_input_folder_is_never_written(bad_run: dict[str, Any]) -> None:
    for name, data in bad_run["files"].items():
        assert (bad_run["in"] / name).read_bytes() == data
    assert sorted(p.name for p in bad_run["in"].iterdir()) == sorted(
        [*bad_run["files"], "huge.txt"])


def test_shutil_copy_of_output_is_self_contained(bad_run: dict[str, Any], tmp_path: Path) -> None:
    """The corpus points at its TEI files relatively: the folder can move."""
    moved = tmp_path / "moved"
    shutil.copytree(bad_run["out"], moved)
    corpus = etree.parse(str(moved / "corpus.xml"))
    corpus.xinclude()
    assert len(corpus.getroot().findall("t:TEI", TEI)) == bad_run["data"]["summary"]["ok"]


def test_a_document_that_turns_bad_leaves_no_stale_output(tmp_path: Path,
                                                          seeds_dir: Path) -> None:
    inp = tmp_path / "in"
    inp.mkdir()
    shutil.copy(seeds_dir / SEED, inp / "a.txt")
    shutil.copy(seeds_dir / "000_c32396ffb3fd2beb.txt", inp / "b.txt")
    out = tmp_path / "out"
    stages = ("clean", "tei", "corpus")
    assert run(Settings([str(inp)], out, stages=stages, verbosity=-1)).exit_status() == 0
    assert (out / "tei" / "art-a.xml").is_file()
    (inp / "a.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")  # replaced by an image
    report = run(Settings([str(inp)], out, stages=stages, verbosity=-1))
    a, b = report.documents
    assert a.status == "failed" and a.error["code"] == "binary"
    assert "earlier output tei/art-a.xml was removed" in a.error["message"]
    assert b.status == "skipped"
    assert sorted(p.name for p in (out / "tei").iterdir()) == ["art-b.xml"]
    corpus = (out / "corpus.xml").read_text(encoding="utf-8")
    assert "art-a.xml" not in corpus and "art-b.xml" in corpus
