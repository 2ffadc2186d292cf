"""Validation: tei_all through jing (or lxml), XInclude resolution, the pointer checks."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from lxml import etree
from test_tei import DOC_ID, RUN, make_doc

from pipeline.cli import main as cli_main
from pipeline.tei import codec as tei
from pipeline.tei import validate
from pipeline.tei.validate import Problem

NS = {"tei": tei.TEI_NS, "xml": tei.XML_NS}
needs_jing = pytest.mark.skipif(shutil.which("jing") is None, reason="Debian jing not installed")


def _article(folder: Path, name: str = "a.xml") -> Path:
    path = folder / name
    tei.write_tei(make_doc(dirty=False), path, run=RUN)
    return path


@needs_jing
def test_broken_links_and_repeated_ids(tmp_path: Path) -> None:
    path = _article(tmp_path)
    tree = etree.parse(str(path))
    root = tree.getroot()
    per = root.find(".//tei:persName[@ref='#r-kadhimi']", NS)
    per.set("ref", "#r-nobody")
    en = root.find(f".//tei:s[@corresp='#{DOC_ID}.fr.p2.s1']", NS)
    en.set("corresp", f"#{DOC_ID}.fr.p2.s1 #nowhere")  # one good, one dangling
    ab = root.find(".//tei:ab[@type='removed']", NS)
    ab.set("ana", "#no-rule")
    first = root.find(f".//tei:s[@xml:id='{DOC_ID}.fr.p2.s1']", NS)
    second = root.find(f".//tei:s[@xml:id='{DOC_ID}.fr.p2.s2']", NS)
    second.set(tei.XML_ID, f"{DOC_ID}.fr.p2.s1")  # now two sentences share one id
    tree.write(str(path), encoding="UTF-8", xml_declaration=True)

    problems = validate.validate([path], engine="jing")
    links = [(p.line, p.message) for p in problems if p.kind == "links"]
    assert links == [
        (
            second.sourceline,
            f"xml:id '{first.get(tei.XML_ID)}' repeats (first at {path}:{first.sourceline})",
        ),
        (per.sourceline, "@ref '#r-nobody' points to no xml:id in this file"),
        (en.sourceline, "@corresp '#nowhere' points to no xml:id in this file"),
        (en.sourceline, f"@corresp '#{DOC_ID}.fr.p2.s2' points to no xml:id in this file"),
        (ab.sourceline, "@ana '#no-rule' points to no xml:id in this file"),
    ]
    assert all(p.path == str(path) for p in problems)
    # jing also refuses the repeated ID; the file is still read (libxml2 alone would refuse it)
    assert any(p.kind == "schema" and "already been defined" in p.message for p in problems)


@needs_jing
def test_schema_errors_name_file_and_line(tmp_path: Path) -> None:
    good = _article(tmp_path, "good.xml")
    bad = _article(tmp_path, "bad.xml")
    tree = etree.parse(str(bad))
    body = tree.getroot().find(".//tei:body", NS)
    etree.SubElement(body, f"{{{tei.TEI_NS}}}bogus")
    tree.write(str(bad), encoding="UTF-8", xml_declaration=True)
    line = etree.parse(str(bad)).getroot().find(".//tei:bogus", NS).sourceline

    problems = validate.validate([good, bad], engine="jing")
    assert [(p.path, p.line, p.kind) for p in problems] == [(str(bad), line, "schema")]
    assert "bogus" in problems[0].message


@needs_jing
def test_corpus_is_checked_with_its_includes_resolved(tmp_path: Path) -> None:
    article = _article(tmp_path / "tei")
    corpus = tmp_path / "corpus.xml"
    tei.write_corpus([article], corpus, run=RUN, apps=make_doc().apps)
    assert validate.validate([corpus, article], engine="jing") == []

    # the same article twice: its ids repeat across the corpus, reported in the article
    tei.write_corpus([article, article], corpus, run=RUN, apps=[])
    problems = validate.validate([corpus], engine="jing")
    links = [p for p in problems if p.kind == "links"]
    assert links and all(p.path == str(article) and p.line for p in links)
    assert all("repeats" in p.message for p in links)

    # an error inside an included article is reported at its own file and line
    tree = etree.parse(str(article))
    etree.SubElement(tree.getroot().find(".//tei:body", NS), f"{{{tei.TEI_NS}}}bogus")
    tree.write(str(article), encoding="UTF-8", xml_declaration=True)
    line = etree.parse(str(article)).getroot().find(".//tei:body/tei:bogus", NS).sourceline
    tei.write_corpus([article], corpus, run=RUN, apps=[])
    problems = validate.validate([corpus, article], engine="jing")
    # reported once, although jing saw it twice (alone and inside the corpus)
    assert [(p.path, p.line, p.kind) for p in problems] == [(str(article), line, "schema")]


def test_unreadable_files_do_not_stop_the_others(tmp_path: Path) -> None:
    broken = tmp_path / "broken.xml"
    broken.write_text("<TEI><teiHeader></TEI>", encoding="utf-8")
    missing = tmp_path / "missing.xml"
    corpus = tmp_path / "corpus.xml"
    tei.write_corpus([tmp_path / "tei" / "gone.xml"], corpus, run=RUN, apps=[])
    good = _article(tmp_path)
    problems = validate.validate([broken, missing, corpus, good], engine="none")
    kinds = [(Path(p.path).name, p.kind) for p in problems]
    assert ("broken.xml", "wellformed") in kinds
    assert ("missing.xml", "wellformed") in kinds
    assert ("corpus.xml", "links") in kinds
    assert all(name != "a.xml" for name, _ in kinds)
    assert next(p for p in problems if p.path == str(broken)).line == 1


def test_lxml_fallback_compiles_once(tmp_path: Path) -> None:
    schema = tmp_path / "tiny.rng"
    schema.write_text(
        '<element name="doc" xmlns="http://relaxng.org/ns/structure/1.0">'
        '<zeroOrMore><element name="s"><optional><attribute name="ref"/></optional>'
        '<optional><attribute name="xml:id"/></optional><text/>'
        "</element></zeroOrMore></element>",
        encoding="utf-8",
    )
    good = tmp_path / "good.xml"
    good.write_text('<doc><s xml:id="a">x</s><s ref="#a">y</s></doc>', encoding="utf-8")
    bad = tmp_path / "bad.xml"
    bad.write_text('<doc><p>no</p><s ref="#b">y</s></doc>', encoding="utf-8")
    validate._relaxng.cache_clear()
    problems = validate.validate([good, bad], schema=schema, engine="lxml")
    assert [(p.path, p.kind) for p in problems] == [(str(bad), "links"), (str(bad), "schema")]
    validate.validate([good], schema=schema, engine="lxml")
    assert validate._relaxng.cache_info().misses == 1


@needs_jing
def test_main_prints_problems_and_sets_the_exit_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = _article(tmp_path / "ok")
    assert cli_main(["validate", str(good.parent)]) == 0
    assert "1 file(s) checked with jing" in capsys.readouterr().err
    bad = tmp_path / "bad.xml"
    bad.write_text("<TEI", encoding="utf-8")
    assert cli_main(["validate", str(good), str(bad)]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"{bad}:1: wellformed: ")
    assert cli_main(["validate", str(tmp_path / "empty-dir-none")]) == 2  # usage error


def test_problem_reads_like_a_compiler_message() -> None:
    assert str(Problem("a.xml", 3, "bad", "schema")) == "a.xml:3: schema: bad"
    assert str(Problem("a.xml", None, "gone", "wellformed")) == "a.xml: wellformed: gone"


def test_unknown_engine_is_a_config_error() -> None:
    with pytest.raises(validate.ConfigError):
        validate.validate([], engine="xmllint")


def test_check_file_finds_what_validate_finds_without_a_schema(tmp_path: Path) -> None:
    """An article's own checks on its bytes (a worker's): the same problems, lines and ids."""
    path = _article(tmp_path)
    tree = etree.parse(str(path))
    tree.getroot().find(".//tei:persName[@ref='#r-kadhimi']", NS).set("ref", "#r-nobody")
    tree.write(str(path), encoding="UTF-8", xml_declaration=True)
    data = path.read_bytes()

    check = validate.check_file(data, str(path))
    assert list(check.problems) == validate.validate([path], engine="none")
    assert [p.message for p in check.problems] == [
        "@ref '#r-nobody' points to no xml:id in this file"]
    assert check.ids == tuple(tree.getroot().xpath("//@xml:id"))
    assert check.ids[0] == DOC_ID
    broken = validate.check_file(data[: len(data) // 2], "half.xml")
    assert broken.ids == () and broken.problems
    assert {p.kind for p in broken.problems} == {"wellformed"}


def test_handed_in_checks_replace_reading_the_file(tmp_path: Path) -> None:
    """A file whose checks are handed in is not parsed: their problems are reported under
    its path, and its ids still take part in the corpus's checks."""
    one = _article(tmp_path / "tei", "one.xml")
    two = _article(tmp_path / "tei", "two.xml")  # the same ids as one.xml
    corpus = tmp_path / "corpus.xml"
    tei.write_corpus([one, two], corpus, run=RUN, apps=[])
    said = Problem("elsewhere", 3, "a problem found where the bytes were made", "links")
    handed = {validate.norm_path(p): replace(validate.check_file(p.read_bytes(), p.name),
                                             problems=(said,))
              for p in (one, two)}
    problems = validate.validate([one, two, corpus], engine="none", checked=handed)
    assert [(p.path, p.message) for p in problems[:2]] == [(str(one), said.message),
                                                           (str(two), said.message)]
    repeats = [p for p in problems[2:] if "repeats" in p.message]
    # ids repeat across the corpus: every member is read again to name the lines
    assert repeats and all(p.path == str(two) and p.line for p in repeats)

    tei.write_corpus([one], corpus, run=RUN, apps=[])
    clean = {k: replace(v, problems=()) for k, v in handed.items()}
    assert validate.validate([one, corpus], engine="none", checked=clean) == []


def test_jing_calls_are_few_and_even() -> None:
    names = [f"f{i}.xml" for i in range(2501)]
    chunks = validate._jing_chunks(names)
    assert [len(c) for c in chunks] == [834, 834, 833]
    assert [n for c in chunks for n in c] == names
    assert validate._jing_chunks(names[:7]) == [names[:7]]


def test_a_broken_article_handed_in_is_reported_as_if_read_here(tmp_path: Path) -> None:
    one = _article(tmp_path / "tei", "one.xml")
    corpus = tmp_path / "corpus.xml"
    tei.write_corpus([one], corpus, run=RUN, apps=[])
    one.write_bytes(one.read_bytes()[:2000])  # cut short: not well-formed
    handed = {validate.norm_path(one): validate.check_file(one.read_bytes(), one.name)}
    read_here = validate.validate([one, corpus], engine="none")
    assert {p.kind for p in read_here} == {"wellformed"} and len(read_here) >= 2
    assert validate.validate([one, corpus], engine="none", checked=handed) == read_here
