"""The static HTML view (pipeline/view): pages, escaping, links, determinism, command line.

The view is built from TEI files read back with ``pipeline.tei.codec.read_tei``: the sample
documents below are written with ``write_tei`` first, so what is checked is what a user
gets from the archive. tests/test_view_browser.py opens the same pages in Chromium.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import lxml.html
import pytest

from pipeline.document import (
    PARA_SEP,
    Application,
    DateValue,
    Document,
    EntityRecord,
    Mention,
    Metadata,
    Note,
    Paragraph,
    Removed,
    Sentence,
    Side,
    Source,
    Token,
)
from pipeline.run.parallel import CHUNK
from pipeline.tei import codec as tei
from pipeline.view import render

# --------------------------------------------------------------------- sample documents

# (kind, [(sentence, [(mention text, label, record key or None)], untranslated reason)])
FR = [
    ("head", [("Les États-Unis retirent des troupes d'Irak", [
        ("États-Unis", "LOC", "usa"), ("Irak", "LOC", "irak")], None)]),
    ("p", [
        ("Le 12 juin 2020, Washington et Bagdad ont repris le dialogue.", [
            ("12 juin 2020", "DATE", None), ("Washington", "LOC", "usa2"),
            ("Bagdad", "LOC", "bagdad")], None),
        ("Selon Mustafa al-Kadhimi, l'Irak protégera la coalition.", [
            ("Mustafa al-Kadhimi", "PER", "kadhimi"), ("Irak", "LOC", "irak")], None),
    ]),
    ("p", [
        ("Un lecteur a écrit <script>alert('x')</script> & « rien » 𝔘😀.", [], None),
        ("L'ONU salue l'accord de Bagdad.", [
            ("ONU", "ORG", "onu"), ("Bagdad", "LOC", "bagdad")], None),
    ]),
]
EN = [
    [("The United States withdraws troops from Iraq", [
        ("United States", "LOC", "usa"), ("Iraq", "LOC", "irak")], None)],
    [
        ("On 12 June 2020, Washington and Baghdad resumed talks.", [
            ("12 June 2020", "DATE", None), ("Washington", "LOC", "usa2"),
            ("Baghdad", "LOC", "bagdad")], None),
        ("According to Mustafa al-Kadhimi, Iraq will protect the coalition.", [
            ("Mustafa al-Kadhimi", "PER", "kadhimi"), ("Iraq", "LOC", "irak")], None),
    ],
    [
        ("Un lecteur a écrit <script>alert('x')</script> & « rien » 𝔘😀.", [],
         "no translation returned"),
        ("The UN welcomes the Baghdad agreement.", [
            ("UN", "ORG", "onu"), ("Baghdad", "LOC", "bagdad")], None),
    ],
]
RUN = tei.RunInfo(when="2026-01-01T00:00:00Z", version="test", command="test_view")
RECORDS = {"usa": "LOC", "irak": "LOC", "usa2": "LOC", "bagdad": "LOC", "kadhimi": "PER",
           "onu": "ORG"}


def _side(doc_id: str, lang: str, paras: list, kinds: list[str]) -> Side:
    texts = [" ".join(s for s, _, _ in sents) for sents in paras]
    side = Side(lang, PARA_SEP.join(texts))
    pos = 0
    for pn, (sents, kind) in enumerate(zip(paras, kinds, strict=True), 1):
        para = Paragraph(f"{doc_id}.{lang}.p{pn}", pos, pos + len(texts[pn - 1]), kind)
        spos = pos
        for sn, (text, mentions, untranslated) in enumerate(sents, 1):
            sent = Sentence(f"{para.id}.s{sn}", spos, spos + len(text), text,
                            untranslated=untranslated)
            if untranslated:
                sent.lang = "fr"
            for m in re.finditer(r"\w+['’]|\w+|[^\w\s]", text):
                sent.tokens.append(Token(spos + m.start(), spos + m.end(), m.group(),
                                         upos="X" if m.group()[0].isalnum() else "PUNCT",
                                         space_after=text[m.end():m.end() + 1] == " "))
            cursor = 0
            for mtext, label, key in mentions:
                a = text.index(mtext, cursor)
                cursor = a + len(mtext)
                sent.mentions.append(Mention(spos + a, spos + cursor, label, mtext,
                                             ref=f"{doc_id}.{key}" if key else None))
            para.sentences.append(sent)
            spos += len(text) + 1
        side.paragraphs.append(para)
        pos += len(texts[pn - 1]) + len(PARA_SEP)
    assert all(side.text[s.start:s.end] == s.text for s in side.sentences())
    return side


def sample_document(doc_id: str = "art-sample", title: str = "Les États-Unis retirent des "
                    "troupes d'Irak", outlet: str = "Exemple Info") -> Document:
    """A small, fully annotated bilingual article with awkward text (markup, astral chars)."""
    kinds = [k for k, _ in FR]
    doc = Document(
        id=doc_id,
        source=Source(path=f"seeds/{doc_id}.txt", filename=f"{doc_id}.txt", sha256="ab" * 32,
                      size=1234, encoding="utf-8"),
        meta=Metadata(title=title, title_en="The United States withdraws troops from Iraq",
                      date=DateValue("2020-06-12", "day", "12 juin 2020"), outlet=outlet,
                      url="https://example.org/article?id=1&x=<y>", section="Monde"),
    )
    doc.original = _side(doc_id, "fr", [s for _, s in FR], kinds)
    doc.translation = _side(doc_id, "en", EN, kinds)
    for fr_s, en_s in zip(doc.original.sentences(), doc.translation.sentences(), strict=True):
        en_s.corresp = fr_s.id
    forms: dict[str, dict[str, list[str]]] = {}
    for side in doc.sides():
        for s in side.sentences():
            for m in s.mentions:
                if m.ref:
                    bucket = forms.setdefault(m.ref, {}).setdefault(side.lang, [])
                    if m.text not in bucket:
                        bucket.append(m.text)
    doc.records = [EntityRecord(f"{doc_id}.{k}", t, forms[f"{doc_id}.{k}"], "alignment")
                   for k, t in RECORDS.items()]
    doc.removed = [Removed(1, "Catégories", "nav-menu", "site navigation menu"),
                   Removed(40, "Laisser un commentaire <b>ici</b>", "comment-form",
                           "comment form")]
    doc.apps = [Application("apertium", "3.8.3", "mt", "Apertium rule-based MT"),
                Application("spacy", "3.8.18", "ner-fr", "spaCy NLP library"),
                Application("fr_core_news_md", "3.8.0", "ner-fr", "spaCy model",
                            sha256="cd" * 32),
                Application("pipeline-link", "1", "link", "cross-lingual entity records")]
    doc.notes = [Note("untranslated", "1 sentence carried over untranslated")]
    return doc


def write_sample_tei(folder: Path, docs: list[Document] | None = None) -> list[Path]:
    """Write the documents as TEI files (the view's only input)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for doc in docs or [sample_document()]:
        path = folder / f"{doc.id}.xml"
        tei.write_tei(doc, path, run=RUN)
        paths.append(path)
    return paths


@pytest.fixture
def two_docs() -> list[Document]:
    other = sample_document("art-other", title="Bagdad et Washington", outlet="Autre Journal")
    other.meta.date = DateValue("2021-03", "month")
    return [sample_document(), other]


@pytest.fixture
def view(tmp_path: Path, two_docs: list[Document]):
    from pipeline.view import build_view

    paths = write_sample_tei(tmp_path / "tei", two_docs)
    return build_view(paths, tmp_path / "out", corpus_title="Test corpus")


def _tree(path: Path) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(path.read_bytes())


# --------------------------------------------------------------------- tests


def test_layout(view, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert view.index == out / "index.html" and view.entities == out / "entities.html"
    assert sorted(p.name for p in (out / "articles").iterdir()) == [
        "art-other.html", "art-sample.html"]
    assert (out / "static" / "view.css").is_file() and (out / "static" / "view.js").is_file()
    assert view.failed == []


def test_no_network_only_local_assets(view, tmp_path: Path) -> None:
    """Every script, style sheet and image is a relative path to a file that exists."""
    out = tmp_path / "out"
    for page in [out / "index.html", out / "entities.html", *(out / "articles").glob("*.html")]:
        tree = _tree(page)
        for el in tree.iter("script", "link", "img", "iframe", "object", "embed", "source"):
            ref = el.get("src") or el.get("href") or el.get("data")
            if el.tag == "script":
                assert ref, f"inline script in {page.name}"
            assert ref and not re.match(r"^[a-z]+:|^//", ref), (page.name, ref)
            assert (page.parent / ref).resolve().is_file(), (page.name, ref)
        assert not tree.xpath("//*[@style]") and not tree.xpath("//style")
        csp = tree.xpath('//meta[@http-equiv="Content-Security-Policy"]/@content')
        assert csp and "default-src 'none'" in csp[0]
        assert not any(attr.startswith("on") for el in tree.iter() for attr in el.attrib)


def test_article_side_by_side(view) -> None:
    tree = _tree(view.articles["art-sample"])
    rows = tree.xpath('//table[contains(@class,"pairs")]/tbody/tr')
    assert len(rows) == 5  # one row per French sentence
    assert len(tree.xpath('//table[contains(@class,"pairs")]/tbody')) == 3  # paragraphs
    fr = tree.xpath('//div[@class="s"][@lang="fr"]')
    first = rows[1]
    fr_cell, en_cell = first.xpath('.//div[contains(@class,"s")]')
    assert fr_cell.get("lang") == "fr" and en_cell.get("lang") == "en"
    assert fr_cell.text_content() == "Le 12 juin 2020, Washington et Bagdad ont repris le dialogue."
    assert en_cell.text_content() == "On 12 June 2020, Washington and Baghdad resumed talks."
    assert fr_cell.get("data-pair") == en_cell.get("id")
    assert en_cell.get("data-pair") == fr_cell.get("id")
    assert fr and all(s.get("id") for s in fr)
    # the headline paragraph is marked
    assert "para-head" in tree.xpath('//table[contains(@class,"pairs")]/tbody')[0].get("class")


def test_entities_coloured_and_linked(view) -> None:
    tree = _tree(view.articles["art-sample"])
    bagdad = tree.xpath('//span[@data-ref="art-sample.bagdad"]')
    assert sorted((e.text_content(), e.xpath("ancestor::div[1]/@lang")[0]) for e in bagdad) == [
        ("Bagdad", "fr"), ("Bagdad", "fr"), ("Baghdad", "en"), ("Baghdad", "en")]
    for e in bagdad:
        assert "ent-LOC" in e.get("class") and e.get("tabindex") == "0"
    assert tree.xpath('//span[contains(@class,"ent-PER")]/text()') == ["Mustafa al-Kadhimi"] * 2
    assert tree.xpath('//span[contains(@class,"ent-DATE")]/text()') == [
        "12 juin 2020", "12 June 2020"]
    legend = tree.xpath('//ul[@class="legend"]//button/@data-toggle-type')
    assert legend == ["PER", "LOC", "ORG", "MISC", "DATE", "NUM"]
    # the record list: each record with both languages' forms
    rec = tree.xpath('//button[contains(@class,"rec")][@data-ref="art-sample.bagdad"]')[0]
    assert "Bagdad" in rec.text_content() and "Baghdad" in rec.text_content()


def test_escaping_and_astral_characters(view) -> None:
    raw = view.articles["art-sample"].read_text(encoding="utf-8")
    assert "<script>alert" not in raw
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; « rien » 𝔘😀." in raw
    tree = _tree(view.articles["art-sample"])
    texts = [d.text_content() for d in tree.xpath('//div[contains(@class,"s")]')]
    assert "Un lecteur a écrit <script>alert('x')</script> & « rien » 𝔘😀." in texts
    assert len(tree.xpath("//script")) == 1  # only view.js
    # removed boilerplate is text too, in a closed <details> with its reasons
    details = tree.xpath('//details[contains(@class,"removed")]')[0]
    assert details.get("open") is None
    assert "Laisser un commentaire <b>ici</b>" in details.text_content()
    assert "comment form" in details.text_content() and "nav-menu" in details.text_content()
    url = tree.xpath('//dl[@class="meta"]//a/@href')
    assert "https://example.org/article?id=1&x=<y>" in url


def test_untranslated_sentence_marked(view) -> None:
    tree = _tree(view.articles["art-sample"])
    carried = tree.xpath('//div[contains(@class,"untranslated")]')
    assert len(carried) == 1 and carried[0].get("lang") == "fr"
    assert "no translation returned" in carried[0].text_content()


def test_header_metadata(view) -> None:
    tree = _tree(view.articles["art-sample"])
    assert tree.xpath("//h1/text()") == ["Les États-Unis retirent des troupes d'Irak"]
    meta = tree.xpath('//dl[@class="meta"]')[0].text_content()
    for expected in ("2020-06-12", "Exemple Info", "Monde", "art-sample.txt", "ab" * 32,
                     "The United States withdraws troops from Iraq"):
        assert expected in meta
    apps = tree.xpath('//details[contains(@class,"apps")]')[0].text_content()
    assert "apertium" in apps and "fr_core_news_md" in apps and "cd" * 32 in apps
    # the TEI file the page was made from is linked
    tei_link = tree.xpath('//dl[@class="meta"]//a[contains(@href,".xml")]/@href')[0]
    assert (view.articles["art-sample"].parent / tei_link).resolve().is_file()


def test_index_page(view) -> None:
    tree = _tree(view.index)
    rows = tree.xpath('//table[@id="articles"]/tbody/tr')
    assert len(rows) == 2
    cells = [c.text_content().strip() for c in rows[1].xpath("td")]
    assert cells[0].startswith("Les États-Unis retirent des troupes d'Irak")
    assert cells[1] == "2020-06-12" and cells[2] == "Exemple Info"
    # words: the French tokens that are not punctuation ("d'" counts as one)
    assert int(cells[3]) == len(re.findall(r"\w+['’]|\w+", " ".join(
        s for _, ss in FR for s, _, _ in ss)))
    assert cells[4:8] == ["1", "4", "1", "0"]  # PER LOC ORG MISC records
    assert "apertium 3.8.3" in cells[8] and "fr_core_news_md 3.8.0" in cells[8]
    assert rows[0].xpath("td")[1].text_content() == "2021-03 (month)"
    href = rows[1].xpath(".//a/@href")[0]
    assert (view.index.parent / href).is_file()
    heads = tree.xpath('//table[@id="articles"]/thead//th')
    assert all(th.xpath("button") for th in heads)  # every column sorts
    assert tree.xpath('//input[@id="filter"]') and tree.xpath('//select[@id="outlet-filter"]')


def test_entity_index(view) -> None:
    tree = _tree(view.entities)
    rows = tree.xpath('//table[@id="entities"]/tbody/tr')
    by_fr = {r.xpath("td")[1].text_content(): r for r in rows}
    bagdad = by_fr["Bagdad"]
    assert bagdad.xpath("td")[2].text_content() == "Baghdad"
    links = bagdad.xpath(".//a/@href")
    # the same entity in both articles: one row, two articles, each link selects the record
    assert sorted(links) == ["articles/art-other.html#ref=art-other.bagdad",
                             "articles/art-sample.html#ref=art-sample.bagdad"]
    assert bagdad.xpath("td")[3].text_content() == "8"  # 2 fr + 2 en mentions, 2 articles
    assert [r.get("data-type") for r in rows][:1] == ["PER"]
    # the article page links back to the row
    art = _tree(view.articles["art-sample"])
    back = art.xpath('//button[@data-ref="art-sample.bagdad"]/following-sibling::a/@href')
    assert back == [f"../entities.html#{bagdad.get('id')}"]


def test_deterministic_and_idempotent(tmp_path: Path, two_docs: list[Document]) -> None:
    from pipeline.view import build_view

    paths = write_sample_tei(tmp_path / "tei", two_docs)

    def snapshot(out: Path) -> dict[str, bytes]:
        return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
                if p.is_file()}

    build_view(paths, tmp_path / "a")
    build_view(list(reversed(paths)), tmp_path / "b")
    assert snapshot(tmp_path / "a").keys() == snapshot(tmp_path / "b").keys()
    # same bytes apart from the relative link to the TEI file, which is the same here
    assert snapshot(tmp_path / "a") == snapshot(tmp_path / "b")
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "a").rglob("*") if p.is_file()}
    build_view(paths, tmp_path / "a")
    after = {p: p.stat().st_mtime_ns for p in (tmp_path / "a").rglob("*") if p.is_file()}
    assert before == after  # nothing rewritten
    # a page for an article that left the corpus is removed
    build_view(paths[:1], tmp_path / "a")
    assert sorted(p.name for p in (tmp_path / "a" / "articles").iterdir()) == [
        f"{two_docs[0].id}.html"]


def test_unreadable_file_listed_others_written(tmp_path: Path) -> None:
    from pipeline.view import build_view

    good = write_sample_tei(tmp_path / "tei")
    bad = tmp_path / "tei" / "broken.xml"
    bad.write_text("<TEI><oops>", encoding="utf-8")
    result = build_view([*good, bad], tmp_path / "out")
    assert list(result.articles) == ["art-sample"]
    assert [p for p, _ in result.failed] == [str(bad)]
    assert "broken.xml" in result.index.read_text(encoding="utf-8")


def test_document_without_translation(tmp_path: Path) -> None:
    from pipeline.view import build_view

    doc = sample_document("art-fr-only")
    doc.translation = None
    for s in doc.original.sentences():
        for m in s.mentions:
            m.ref = None
    doc.records = []
    doc.apps = [a for a in doc.apps if a.layer != "link"]
    result = build_view(write_sample_tei(tmp_path / "tei", [doc]), tmp_path / "out")
    tree = _tree(result.articles["art-fr-only"])
    assert tree.xpath('//table[contains(@class,"pairs")]/thead//th[@lang]/@lang') == ["fr"]
    assert tree.xpath('//span[contains(@class,"ent-LOC")]')  # still coloured, not linked
    assert not tree.xpath("//span[@data-ref]")


def test_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], two_docs) -> None:
    from pipeline.cli import main as cli_main

    def main(argv: list[str]) -> int:
        return cli_main(["view", *argv])

    paths = write_sample_tei(tmp_path / "out" / "tei", two_docs)
    tei.write_corpus(paths, tmp_path / "out" / "corpus.xml", run=RUN, apps=[])
    # an output folder: its tei/ articles (the corpus file is not an article)
    assert main([str(tmp_path / "out"), "-o", str(tmp_path / "out"), "--title", "Seeds"]) == 0
    assert "Seeds" in (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert len(list((tmp_path / "out" / "articles").glob("*.html"))) == 2
    # a corpus file stands for the articles it includes; each article once
    assert main([str(tmp_path / "out" / "corpus.xml"), str(paths[0]), "-o",
                 str(tmp_path / "c")]) == 0
    assert len(list((tmp_path / "c" / "articles").glob("*.html"))) == 2
    # the default title is the TEI corpus title
    title = lxml.html.fromstring((tmp_path / "c" / "index.html").read_bytes()).findtext(
        ".//h1")
    corpus_title = tomllib.loads(Path(tei.__file__).parent.parent.joinpath("data", "tei.toml")
                                 .read_text(encoding="utf-8"))["corpus"]["title"]
    assert title == corpus_title
    # a path that names nothing is a usage error, found before anything is written
    assert main([str(paths[0]), str(tmp_path / "missing.xml"), "-o", str(tmp_path / "v")]) == 2
    assert "missing.xml" in capsys.readouterr().err
    assert not (tmp_path / "v").exists()
    assert main([str(tmp_path / "empty-*.xml"), "-o", str(tmp_path / "v")]) == 2
    assert main(["--bogus"]) == 2


def test_the_view_lists_light_entries_and_reads_each_page_s_document_again(
        tmp_path: Path, two_docs: list[Document], monkeypatch: pytest.MonkeyPatch) -> None:
    """The index is made from entries without text or annotations, and each page from a
    second reading of its file, one at a time (a corpus of 100,000 articles is never held
    whole); the bytes are those of a view made from the whole documents in memory."""
    from pipeline import view as view_module

    paths = write_sample_tei(tmp_path / "tei", two_docs)
    real = tei.read_tei
    reads = _count_reads(monkeypatch)
    items, failed = view_module.scan_documents(paths)
    assert failed == [] and sorted(reads) == sorted(d.id for d in two_docs)
    assert all(item.entry.words > 0 and item.entry.records and item.entry.mentions
               for item in items)
    # Plain data: what a run's memo keeps of an article comes back the same.
    assert all(render.ArticleEntry.from_json(json.loads(json.dumps(item.entry.to_json())))
               == item.entry for item in items)
    view_module.write_items(items, tmp_path / "streamed", corpus_title="T")
    assert sorted(reads) == sorted(d.id for d in two_docs for _ in range(2))
    view_module.write_view([(p, real(p)) for p in sorted(paths, key=str)], tmp_path / "whole",
                           corpus_title="T")
    streamed = sorted(p.relative_to(tmp_path / "streamed")
                      for p in (tmp_path / "streamed").rglob("*") if p.is_file())
    assert streamed == sorted(p.relative_to(tmp_path / "whole")
                              for p in (tmp_path / "whole").rglob("*") if p.is_file())
    assert all((tmp_path / "streamed" / f).read_bytes() == (tmp_path / "whole" / f).read_bytes()
               for f in streamed)


def test_a_file_that_cannot_be_read_for_its_page_is_listed_as_failed(
        tmp_path: Path, two_docs: list[Document]) -> None:
    """A TEI file that breaks between the listing and its page: the other pages are
    written, and the index names the file."""
    from pipeline import view as view_module

    paths = write_sample_tei(tmp_path / "tei", two_docs)
    items, _ = view_module.scan_documents(paths)
    paths[1].write_text("<TEI><cut", encoding="utf-8")
    result = view_module.write_items(items, tmp_path / "out", corpus_title="T")
    assert [where for where, _ in result.failed] == [str(paths[1])]
    assert len(result.articles) == 1
    assert str(paths[1]) in (tmp_path / "out" / "index.html").read_text(encoding="utf-8")


def test_several_processes_write_the_view_one_process_writes(tmp_path: Path) -> None:
    """40 articles read and written by two processes: the same files and bytes as one."""
    from pipeline import view as view_module

    docs = [sample_document(f"art-{n:02d}", title=f"Article {n}") for n in range(40)]
    paths = write_sample_tei(tmp_path / "tei", docs)
    assert len(paths) > 2 * CHUNK
    for jobs in (1, 2):
        items, failed = view_module.scan_documents(paths, jobs)
        assert failed == []
        view_module.write_items(items, tmp_path / f"v{jobs}", corpus_title="T", jobs=jobs)
    one = sorted(p.relative_to(tmp_path / "v1") for p in (tmp_path / "v1").rglob("*")
                 if p.is_file())
    assert len(one) == 40 + 4
    assert one == sorted(p.relative_to(tmp_path / "v2") for p in (tmp_path / "v2").rglob("*")
                         if p.is_file())
    assert all((tmp_path / "v1" / f).read_bytes() == (tmp_path / "v2" / f).read_bytes()
               for f in one)


def _count_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of the TEI documents read from now on (files or bytes), in order."""
    reads: list[str] = []
    real = tei.read_tei

    def counting(path: Path | bytes) -> Document:
        doc = real(path)
        reads.append(doc.id)
        return doc

    monkeypatch.setattr(tei, "read_tei", counting)
    return reads


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and ".cache" not in p.parts}


def _whole_view_bytes(paths: list[Path], out: Path) -> dict[str, bytes]:
    """What a view made afresh, without a memo, holds in the same folder (the pages link to
    the TEI files by relative paths, so it must be the same folder)."""
    from pipeline.view import build_view

    kept = out.with_name(out.name + "-kept")
    out.rename(kept)
    try:
        build_view(paths, out, corpus_title="T")
        return _files(out)
    finally:
        for p in sorted(out.rglob("*"), reverse=True):
            p.unlink() if p.is_file() else p.rmdir()
        out.rmdir()
        kept.rename(out)


def test_a_memo_reads_and_writes_only_what_changed_with_a_whole_view_s_bytes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run's view refresh (OUTPUT/.cache/view.json): after one article changed, one
    went and one came, only the changed and new files are read, only their pages and
    those of their neighbours (previous/next links) are written, the gone one's page is
    removed, and the view is byte for byte the one made afresh."""
    from pipeline.view import build_view

    docs = [sample_document(f"art-{n:02d}", title=f"Article {n}") for n in range(6)]
    paths = write_sample_tei(tmp_path / "tei", docs)
    out, memo = tmp_path / "out", tmp_path / "out" / ".cache" / "view.json"
    build_view(paths, out, corpus_title="T", memo=memo)
    assert memo.is_file() and _files(out) == _whole_view_bytes(paths, out)
    before = {p.name: p.stat() for p in (out / "articles").iterdir()}

    write_sample_tei(tmp_path / "tei", [sample_document("art-02", title="Autre titre")])
    paths[5].unlink()
    paths = [*paths[:5], *write_sample_tei(tmp_path / "tei", [sample_document("art-06")])]
    real = tei.read_tei
    reads = _count_reads(monkeypatch)
    result = build_view(paths, out, corpus_title="T", memo=memo)
    assert sorted(reads) == ["art-02", "art-02", "art-04", "art-06", "art-06"]
    assert sorted(result.articles) == [f"art-{n:02d}" for n in (0, 1, 2, 3, 4, 6)]
    after = {p.name: p.stat() for p in (out / "articles").iterdir()}
    assert sorted(after) == [f"art-{n:02d}.html" for n in (0, 1, 2, 3, 4, 6)]
    for name in ("art-00.html", "art-01.html", "art-03.html"):  # left as they were
        assert (after[name].st_ino, after[name].st_mtime_ns) == (
            before[name].st_ino, before[name].st_mtime_ns)
    assert "Autre titre" in (out / "articles" / "art-02.html").read_text(encoding="utf-8")
    monkeypatch.setattr(tei, "read_tei", real)
    assert _files(out) == _whole_view_bytes(paths, out)

    reads = _count_reads(monkeypatch)
    build_view(paths, out, corpus_title="T", memo=memo)  # nothing changed: nothing read
    assert reads == []
    assert {p.name: p.stat().st_mtime_ns for p in (out / "articles").iterdir()} == {
        name: st.st_mtime_ns for name, st in after.items()}


def test_a_page_changed_since_or_a_damaged_memo_is_written_again(tmp_path: Path) -> None:
    """The memo trusts a page only as it left it (size and time): one another command
    wrote, or one edited by hand, is written again; a memo that cannot be read counts as
    none (every file read, every page written); either way the bytes of a whole view."""
    from pipeline.view import build_view

    docs = [sample_document(f"art-{n}", title=f"Article {n}") for n in range(3)]
    paths = write_sample_tei(tmp_path / "tei", docs)
    out, memo = tmp_path / "out", tmp_path / "out" / ".cache" / "view.json"
    build_view(paths, out, corpus_title="T", memo=memo)
    page = out / "articles" / "art-1.html"
    page.write_text("edited", encoding="utf-8")
    build_view(paths, out, corpus_title="T", memo=memo)
    assert _files(out) == _whole_view_bytes(paths, out)
    build_view(paths, out, corpus_title="Another title", memo=memo)  # part of every page
    assert "Another title" in page.read_text(encoding="utf-8")
    for damaged in (b"{not json", b"[]", b'{"version": 1, "files": {"x": 1}}'):
        memo.write_bytes(damaged)
        page.unlink()
        build_view(paths, out, corpus_title="T", memo=memo)
        assert _files(out) == _whole_view_bytes(paths, out)
    # one article's entry damaged: that file is read again, and its entry recorded anew
    record = json.loads(memo.read_bytes())
    name = next(iter(record["files"]))
    record["files"][name]["entry"]["records"] = [["r1", "LOC", {"fr": [1]}, ""]]
    memo.write_text(json.dumps(record), encoding="utf-8")
    build_view(paths, out, corpus_title="T", memo=memo)
    assert _files(out) == _whole_view_bytes(paths, out)
    again = json.loads(memo.read_bytes())["files"][name]["entry"]
    assert again["records"] != [["r1", "LOC", {"fr": [1]}, ""]]
    assert render.ArticleEntry.from_json(again).records
