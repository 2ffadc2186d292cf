"""TEI writer and reader: validity under tei_all, lossless round trip, determinism."""

from __future__ import annotations

import copy
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from pipeline.document import (
    FOREIGN,
    PARA_SEP,
    PROJECTION,
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
from pipeline.errors import ConfigError, DocumentError
from pipeline.tei import codec as tei
from pipeline.tei.validate import validate

NS = {"tei": tei.TEI_NS, "xml": tei.XML_NS}
RUN = tei.RunInfo(when="2026-11-24T07:00:00Z", name="newscorpus", version="0.1.0", command="run")
NBSP = "\u00a0"
DOC_ID = "art-000_c32396ffb3fd2beb"
FORBIDDEN = "\x0b"  # vertical tab: not allowed in XML 1.0
HAVE_JING = shutil.which("jing") is not None
needs_jing = pytest.mark.skipif(not HAVE_JING, reason="Debian jing not installed")


# --------------------------------------------------------------------------- a builder


@dataclass
class S:
    """A sentence to build: text, mentions as (surface, label, ref, source label)."""

    text: str
    mentions: list[tuple[str, str, str | None, str]] = field(default_factory=list)
    tokens: bool = True
    lang: str | None = None
    corresp: str | None = None
    untranslated: str | None = None
    mwt: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # du -> de + le


def _tokens(text: str, start: int, end: int, mwt: dict[str, list[tuple[str, str]]]) -> list[Token]:
    out: list[Token] = []
    for m in re.finditer(r"\w+|[^\w\s]", text[start:end]):
        a, b = start + m.start(), start + m.end()
        word = m.group()
        space = b < len(text) and text[b].isspace()
        if word in mwt:
            for part, upos in mwt[word]:
                out.append(Token(a, b, part, part, upos, "", space))
            continue
        upos = (
            "PUNCT"
            if not word[0].isalnum()
            else "NUM"
            if word.isdigit()
            else ("PROPN" if word[0].isupper() else "NOUN")
        )
        feats = "Gender=Masc|Number=Sing" if upos == "NOUN" else ""
        out.append(Token(a, b, word, word.lower(), upos, feats, space))
    return out


def build_side(lang: str, prefix: str, paras: list[tuple[str, str, list[S] | str]]) -> Side:
    """paras: (kind, gap between sentences, sentences or a plain paragraph text)."""
    side = Side(lang)
    texts: list[str] = []
    pos = 0
    for n, (kind, gap, content) in enumerate(paras, 1):
        pid = f"{prefix}.p{n}"
        para = Paragraph(pid, pos, pos, kind)
        if isinstance(content, str):
            ptext = content
        else:
            ptext = gap.join(s.text for s in content)
            spos = pos
            for k, spec in enumerate(content, 1):
                sent = Sentence(
                    f"{pid}.s{k}",
                    spos,
                    spos + len(spec.text),
                    spec.text,
                    corresp=spec.corresp,
                    lang=spec.lang,
                    untranslated=spec.untranslated,
                )
                for surface, label, ref, source in spec.mentions:
                    at = spos + spec.text.index(surface)
                    sent.mentions.append(
                        Mention(at, at + len(surface), label, surface, source, ref)
                    )
                para.sentences.append(sent)
                spos += len(spec.text) + len(gap)
        para.end = pos + len(ptext)
        texts.append(ptext)
        side.paragraphs.append(para)
        pos = para.end + len(PARA_SEP)
    side.text = PARA_SEP.join(texts)
    return side


def make_doc(*, dirty: bool = True) -> Document:
    """A small article with every feature; ``dirty`` puts forbidden characters in it."""
    vt = FORBIDDEN if dirty else ""
    fr_quote = S("Thank you, Baghdad!", [("Baghdad", "LOC", "r-baghdad", "GPE")], lang="en")
    fr = [
        (
            "head",
            " ",
            [
                S(
                    "Les États-Unis vont retirer des troupes d'Irak",
                    [("États-Unis", "LOC", "r-us", "LOC"), ("Irak", "LOC", "r-iraq", "LOC")],
                )
            ],
        ),
        (
            "p",
            " ",
            [
                S(
                    "Jeudi, Mustafa Kadhimi a rencontré l'OTAN à Bagdad.",
                    [
                        ("Jeudi", "DATE", None, "DATE"),
                        ("Mustafa Kadhimi", "PER", "r-kadhimi", "PER"),
                        ("OTAN", "ORG", "r-nato", "ORG"),
                        ("Bagdad", "LOC", "r-baghdad", "LOC"),
                    ],
                ),
                S(
                    f"Quelque 5{NBSP}000 soldats restent{NBSP}: R&D <b> ]]> 🙂 au {vt}nord"
                    " du pays.",
                    [("5\u00a0000", "NUM", None, "CARDINAL")],
                    mwt={"du": [("de", "ADP"), ("le", "DET")]},
                ),
            ],
        ),
        (
            "p",
            "  ",
            [
                fr_quote,
                S(
                    "Sans analyse, « David Hale » est cité.",
                    [("David Hale", "PER", "r-hale", "")],
                    tokens=False,
                ),
            ],
        ),
        ("p", "", f"Savoir plus{NBSP}: Ali Mamouri & co <3 ]]>{vt}"),
    ]
    en = [
        (
            "head",
            " ",
            [
                S(
                    "US to withdraw troops from Iraq",
                    [("US", "LOC", "r-us", "GPE"), ("Iraq", "LOC", "r-iraq", "GPE")],
                    corresp=f"{DOC_ID}.fr.p1.s1",
                )
            ],
        ),
        (
            "p",
            " ",
            [
                S(
                    "On Thursday, Mustafa Kadhimi met NATO in Baghdad.",
                    [
                        ("Thursday", "DATE", None, "DATE"),
                        ("Mustafa Kadhimi", "PER", "r-kadhimi", "PERSON"),
                        ("NATO", "ORG", "r-nato", "ORG"),
                        ("Baghdad", "LOC", "r-baghdad", "GPE"),
                    ],
                    corresp=f"{DOC_ID}.fr.p2.s1",
                ),
                S(
                    "Some 5,000 soldiers remain: R&D <b> ]]> 🙂 in the north.",
                    [("5,000", "NUM", None, "CARDINAL")],
                    corresp=f"{DOC_ID}.fr.p2.s2",
                ),
            ],
        ),
        (
            "p",
            " ",
            [
                S(
                    "Thank you, Baghdad!",
                    [("Baghdad", "LOC", "r-baghdad", "GPE")],
                    corresp=f"{DOC_ID}.fr.p3.s1",
                    untranslated="not French (en)",
                ),
                S("Without analysis, David Hale is quoted.", corresp=f"{DOC_ID}.fr.p3.s2"),
            ],
        ),
        ("p", "", "Learn more: Ali Mamouri & co <3 ]]>"),
    ]
    doc = Document(
        id=DOC_ID,
        source=Source(
            "seeds/000_c32396ffb3fd2beb.txt",
            "000_c32396ffb3fd2beb.txt",
            "ab" * 32,
            2817,
            "windows-1252",
            "no BOM; charset-normalizer said cp1252",
        ),
        meta=Metadata(
            title=f"Les États-Unis vont retirer des troupes d'Irak & <co>{vt}",
            title_en="US to withdraw troops from Iraq",
            date=DateValue("2020-06-12", "day", "12 juin 2020"),
            outlet="Al-Monitor",
            url="https://www.al-monitor.com/fr/2020/06/irak?x=1&y=2#top",
            section="Actualité Palestine",
            author="Équipe",
        ),
        original=_side("fr", f"{DOC_ID}.fr", fr),
        translation=_side("en", f"{DOC_ID}.en", en),
        removed=[
            Removed(1, "Catégories", "nav-menu", "navigation menu"),
            Removed(2, "Actualité Palestine", "nav-menu", "navigation menu"),
            Removed(29, "Laisser un commentaire", "comment-form", "comment form"),
            Removed(30, f"Votre adresse <e-mail> & ]]>{vt}", "comment-form", "comment form, 2"),
            Removed(31, "Partager: Facebook", "share widget", "sharing buttons"),
        ],
        records=[
            EntityRecord("r-us", "LOC", {"fr": ["États-Unis"], "en": ["US"]}, "alignment"),
            EntityRecord("r-iraq", "LOC", {"fr": ["Irak"], "en": ["Iraq"]}, "alias"),
            EntityRecord(
                "r-kadhimi",
                "PER",
                {"fr": ["Mustafa Kadhimi"], "en": ["Mustafa Kadhimi"]},
                "identity",
            ),
            EntityRecord("r-nato", "ORG", {"fr": ["OTAN"], "en": ["NATO"]}, "alias"),
            EntityRecord("r-baghdad", "LOC", {"fr": ["Bagdad", "Baghdad"], "en": ["Baghdad"]}),
            EntityRecord("r-hale", "PER", {"fr": ["David Hale"]}, "identity"),
            EntityRecord("r-misc", "MISC", {"fr": ["américains"], "en": ["American"]}, "alignment"),
            EntityRecord("r-event", "EVENT", {}, ""),
        ],
        apps=[
            Application("newscorpus-clean", "0.1.0", "clean", "rule-based cleaner"),
            Application("spacy", "3.8.18", "ner-fr", "spaCy"),
            Application("fr_core_news_md", "3.8.0", "ner-fr", "French model", "cd" * 32),
            Application(
                "Helsinki-NLP/opus-mt-fr-en",
                "2024-01-dev",
                "mt",
                "",
                None,
                {"beam": "4", "device": "cpu & <gpu>"},
            ),
        ],
        notes=[Note("encoding", "decoded as windows-1252"), Note("untranslated", "1 sentence")],
    )
    return doc


def _side(lang: str, prefix: str, paras: list[tuple[str, str, list[S] | str]]) -> Side:
    side = build_side(lang, prefix, paras)
    specs = [s for _, _, c in paras if not isinstance(c, str) for s in c]
    for sent, spec in zip(side.sentences(), specs, strict=True):
        sent.tokens = _tokens(side.text, sent.start, sent.end, spec.mwt) if spec.tokens else []
    return side


def written(doc: Document, folder: Path, name: str | None = None) -> Path:
    path = folder / f"{name or doc.id}.xml"
    tei.write_tei(doc, path, run=RUN)
    return path


def expected_clean() -> Document:
    """What read_tei gives for make_doc(): no forbidden characters, plus the writer's note."""
    doc = make_doc(dirty=False)
    dirty = make_doc()
    tei.to_tei(dirty, run=RUN)
    doc.notes = dirty.notes
    return doc


# --------------------------------------------------------------------------- tests


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every file the validity test checks, written once (one jing call for all)."""
    folder = tmp_path_factory.mktemp("tei")
    out = {"main": written(make_doc(), folder / "tei")}
    out["other"] = written(other_doc(), folder / "tei")
    out["empty"] = written(Document("art-empty", Source("e.txt", "e.txt", "0" * 64, 0)), folder)
    out["odd"] = written(odd_doc(), folder)
    tei.write_corpus(
        [out["main"], out["other"]],
        folder / "corpus.xml",
        run=RUN,
        apps=make_doc().apps + other_doc().apps,
    )
    out["corpus"] = folder / "corpus.xml"
    return out


def other_doc() -> Document:
    doc = make_doc(dirty=False)
    doc.id = "art-001_e86200d8e4ff1953"
    for side in doc.sides():
        for p in side.paragraphs:
            p.id = p.id.replace(DOC_ID, doc.id)
            for s in p.sentences:
                s.id = s.id.replace(DOC_ID, doc.id)
                s.corresp = s.corresp.replace(DOC_ID, doc.id) if s.corresp else None
    doc.records = []
    for s in [s for side in doc.sides() for s in side.sentences()]:
        for m in s.mentions:
            m.ref = None
    doc.source.duplicate_of = DOC_ID
    doc.meta = Metadata(date=DateValue("2024-09", "month", "septembre 2024"), url="not a url")
    return doc


def odd_doc() -> Document:
    """Misaligned and crossing mentions, a late headline, a paragraph kind of our own."""
    doc = make_doc(dirty=False)
    doc.id = "art-odd"
    fr = doc.original
    s = fr.paragraphs[1].sentences[0]  # "Jeudi, Mustafa Kadhimi a rencontré l'OTAN à Bagdad."
    s.mentions = [
        Mention(s.start + 9, s.start + 15, "PER", "tafa K"),  # inside tokens: extended
        Mention(s.start + 7, s.start + 22, "PER", "Mustafa Kadhimi"),
        Mention(s.start + 15, s.start + 30, "ORG", "Kadhimi a renco"),  # crosses the above
        Mention(s.start, s.end + 5, "MISC", "too long"),  # beyond the sentence: clipped
        Mention(s.start + 7, s.start + 22, "EVENT", "Mustafa Kadhimi", "weird label"),
    ]
    fr.paragraphs[2].kind = "head"  # a headline after paragraphs: <ab type="head">
    fr.paragraphs[3].kind = "quote"
    doc.meta.date = DateValue("12/06/2020", "day", "12/06/2020")
    doc.translation = None
    return doc


@needs_jing
def test_files_are_valid_tei(files: dict[str, Path]) -> None:
    assert validate(list(files.values()), engine="jing") == []


def test_round_trip_is_lossless(files: dict[str, Path]) -> None:
    got = tei.read_tei(files["main"])
    want = expected_clean()
    # part by part first, for readable failures
    assert got.original.text == want.original.text
    assert got.original.paragraphs == want.original.paragraphs
    assert got.translation == want.translation
    assert got.meta == want.meta
    assert got.source == want.source
    assert got.removed == want.removed
    assert got.records == want.records
    assert got.apps == want.apps
    assert got.notes == want.notes
    assert got == want


def test_round_trip_of_the_other_files(files: dict[str, Path]) -> None:
    assert tei.read_tei(files["other"]) == other_doc()
    empty = tei.read_tei(files["empty"])
    assert empty == Document("art-empty", Source("e.txt", "e.txt", "0" * 64, 0))


def test_sentence_string_value_is_its_text(files: dict[str, Path]) -> None:
    doc = expected_clean()
    root = etree.parse(str(files["main"])).getroot()
    for side in doc.sides():
        for s in side.sentences():
            (el,) = root.iterfind(f".//tei:s[@xml:id='{s.id}']", NS)
            assert "".join(el.itertext()) == side.text[s.start : s.end]
        for p in side.paragraphs:
            (el,) = root.iterfind(f".//*[@xml:id='{p.id}']", NS)
            assert "".join(el.itertext()) == side.text[p.start : p.end]


def test_markup_details(files: dict[str, Path]) -> None:
    root = etree.parse(str(files["main"])).getroot()
    assert root.get(tei.XML_LANG) == "fr" and root.get(tei.XML_ID) == DOC_ID
    # tokens: lemma, UPOS, msd ParlaMint style, join, punctuation as pc, du = de + le
    (w,) = root.iterfind(".//tei:w[.='troupes']", NS)
    assert w.attrib == {
        "lemma": "troupes",
        "pos": "NOUN",
        "msd": "UPosTag=NOUN|Gender=Masc|Number=Sing",
    }
    (du,) = root.iterfind(f".//tei:s[@xml:id='{DOC_ID}.fr.p2.s2']//tei:w[.='du']", NS)
    assert [(x.get("norm"), x.get("pos")) for x in du] == [("de", "ADP"), ("le", "DET")]
    assert root.find(".//tei:pc[@pos='PUNCT']", NS) is not None
    assert [w.get("join") for w in root.iterfind(".//tei:w[.='Jeudi']", NS)] == ["right"]
    # mentions inline with a pointer to their record
    (per,) = root.iterfind(f".//tei:s[@xml:id='{DOC_ID}.fr.p2.s1']/tei:persName", NS)
    assert per.get("ref") == "#r-kadhimi" and [x.text for x in per] == ["Mustafa", "Kadhimi"]
    assert (
        root.find(".//tei:person[@xml:id='r-kadhimi']/tei:persName[@xml:lang='en']", NS) is not None
    )
    assert root.find(".//tei:object[@xml:id='r-misc'][@type='MISC']", NS) is not None
    # English sentences point at their source; untranslated ones say why
    (en,) = root.iterfind(f".//tei:s[@corresp='#{DOC_ID}.fr.p3.s1']", NS)
    assert en.get("type") == "untranslated"
    (why,) = root.iterfind(f".//tei:interp[@xml:id='{en.get('ana')[1:]}']", NS)
    assert why.text == "not French (en)"
    # removed lines point at their rule; two reasons of one rule get two targets
    abs_ = root.findall(".//tei:back/tei:div[@type='boilerplate']/tei:ab", NS)
    assert [a.get("ana") for a in abs_] == [
        f"#{DOC_ID}.rule.nav-menu",
        f"#{DOC_ID}.rule.nav-menu",
        f"#{DOC_ID}.rule.comment-form",
        f"#{DOC_ID}.rule.comment-form.2",
        f"#{DOC_ID}.rule.share_widget",
    ]
    # applications: an identifier or version tei_all refuses is kept in a desc
    (mt,) = root.iterfind(".//tei:application[@type='mt']", NS)
    assert mt.get("ident") == "Helsinki-NLP_opus-mt-fr-en" and mt.get("version") == "2024"
    # the header and standOff are indented; the text is not
    raw = files["main"].read_text(encoding="utf-8")
    assert "\n      <titleStmt>" in raw
    assert re.search(r"<s [^>]*>\s", raw) is None


def test_forbidden_characters_are_removed_with_a_note() -> None:
    doc = make_doc()
    data = tei.tei_bytes(doc, run=RUN)
    assert FORBIDDEN.encode() not in data
    codes = [n.code for n in doc.notes]
    assert codes.count(tei.CONTROL_CHARS) == 1
    assert "(U+000B x5)" in doc.notes[-1].message  # the title is written twice
    # a second write adds no second note and gives the same bytes
    assert tei.tei_bytes(doc, run=RUN) == data
    assert [n.code for n in doc.notes] == codes


def test_writes_are_deterministic(tmp_path: Path) -> None:
    a = written(make_doc(), tmp_path, "a")
    b = written(make_doc(), tmp_path, "b")
    assert a.read_bytes() == b.read_bytes()
    later = tei.RunInfo(when="2027-01-01", name=RUN.name, version=RUN.version, command=RUN.command)
    c = tei.tei_bytes(make_doc(), run=later)
    assert c != a.read_bytes()
    assert c.replace(b"2027-01-01", RUN.when.encode()) == a.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.xml", "b.xml"]  # no temp left


def test_special_characters_round_trip(tmp_path: Path) -> None:
    text = "a & b < c ]]> d\r\ne\u2028f 🙂 \u00a0g\th"
    doc = Document("art-x", Source("x", "x", "", 1))
    doc.original = build_side("fr", "art-x.fr", [("p", "", text)])
    doc.meta.title = text
    got = tei.read_tei(written(doc, tmp_path))
    assert got.original.text == text and got.meta.title == text
    assert got == doc


def test_odd_mentions_are_adjusted_not_fatal(files: dict[str, Path]) -> None:
    got = tei.read_tei(files["odd"])
    s = got.original.paragraphs[1].sentences[0]
    spans = [(m.label, m.text) for m in s.mentions]
    assert spans == [  # outer before inner, then in the order given
        ("MISC", "Jeudi, Mustafa Kadhimi a rencontré l'OTAN à Bagdad."),  # clipped
        ("PER", "Mustafa Kadhimi"),
        ("EVENT", "Mustafa Kadhimi"),
        ("PER", "Mustafa"),  # "tafa K" grown to the token it starts in ("K" starts none)
    ]
    messages = [n.message for n in got.notes if n.code == tei.ADJUSTED]
    assert len(messages) == 3
    assert "'too long' moved to token boundaries [48, 99)" in messages[0]
    assert "'tafa K' moved to token boundaries [55, 62)" in messages[1]
    assert "'Kadhimi a renco' crosses another; skipped" in messages[2]
    assert [p.kind for p in got.original.paragraphs] == ["head", "p", "head", "quote"]
    root = etree.parse(str(files["odd"])).getroot()
    assert root.find(".//tei:ab[@type='head']", NS) is not None
    assert got.meta.date == DateValue("12/06/2020", "day", "12/06/2020")


def test_inconsistent_offsets_raise_a_document_error() -> None:
    doc = make_doc(dirty=False)
    doc.original.paragraphs[1].sentences[0].end += 500
    with pytest.raises(DocumentError):
        tei.to_tei(doc, run=RUN)
    doc = make_doc(dirty=False)
    doc.original.text += "lost"
    with pytest.raises(DocumentError):
        tei.to_tei(doc, run=RUN)


def test_corpus_includes_every_article(files: dict[str, Path]) -> None:
    root = etree.parse(str(files["corpus"]))
    hrefs = [x.get("href") for x in root.iterfind("xi:include", {"xi": tei.XI_NS})]
    assert hrefs == ["tei/art-000_c32396ffb3fd2beb.xml", "tei/art-001_e86200d8e4ff1953.xml"]
    root.xinclude()
    assert [t.get(tei.XML_ID) for t in root.iterfind("tei:TEI", NS)] == [
        DOC_ID,
        "art-001_e86200d8e4ff1953",
    ]
    apps = root.findall("tei:teiHeader/tei:encodingDesc/tei:appInfo/tei:application", NS)
    assert len(apps) == 4  # the union, each once
    assert root.find(".//tei:category[@xml:id='entity-type.PER']", NS) is not None


def test_run_info_dates() -> None:
    env = {"SOURCE_DATE_EPOCH": "1700000000"}
    run = tei.RunInfo.from_environment(version="1", environ=env)
    assert run.when == "2023-11-14T22:13:20Z"
    clock = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert tei.RunInfo.from_environment(version="1", environ={}, clock=lambda: clock).when == (
        "2026-01-02T03:04:05Z"
    )
    with pytest.raises(ConfigError):
        tei.RunInfo.from_environment(version="1", environ={})
    with pytest.raises(ConfigError):
        tei.RunInfo.from_environment(version="1", environ={"SOURCE_DATE_EPOCH": "soon"})
    for bad in ("yesterday", "2026-13-01", "2026-02-30T00:00:00Z"):
        with pytest.raises(ValueError):
            tei.RunInfo(when=bad)


def test_to_tei_leaves_the_document_alone_when_nothing_is_repaired() -> None:
    doc = make_doc(dirty=False)
    before = copy.deepcopy(doc)
    tei.to_tei(doc, run=RUN)
    assert doc == before


# Random text: every character XML allows survives, the file is valid.

_xml_char = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def test_random_text_is_kept_and_valid() -> None:
    paths: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp:

        @settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))
        @given(
            paras=st.lists(st.text(max_size=60), min_size=1, max_size=4),
            title=st.text(max_size=20),
        )
        def check(paras: list[str], title: str) -> None:
            n = len(paths)
            doc = Document(f"art-{n}", Source("in.txt", "in.txt", "0" * 64, 1))
            doc.original = build_side("fr", f"art-{n}.fr", [("p", "", p) for p in paras])
            doc.meta.title = title
            path = Path(tmp) / f"{n}.xml"
            tei.write_tei(doc, path, run=RUN)
            paths.append(path)
            got = tei.read_tei(path)
            clean = [_xml_char.sub("", p) for p in paras]
            assert [got.original.text[p.start : p.end] for p in got.original.paragraphs] == clean
            assert got.meta.title == _xml_char.sub("", title)
            if clean == paras and _xml_char.sub("", title) == title:
                assert got == doc

        check()
        if HAVE_JING:  # one jing call for the whole batch (lxml would compile tei_all: ~17 s)
            assert validate(paths, engine="jing") == []


def test_projected_mentions_and_foreign_words_round_trip(tmp_path: Path) -> None:
    """A projected English name keeps its method, a word the MT did not know stays
    <foreign>, and both come back from the file; the file stays valid."""
    doc = make_doc(dirty=False)
    sent = doc.translation.sentences()[1]  # type: ignore[union-attr]
    kadhimi = next(m for m in sent.mentions if m.text == "Mustafa Kadhimi")
    kadhimi.method = PROJECTION
    other = doc.translation.sentences()[2]  # type: ignore[union-attr]
    a = other.start + other.text.index("north")
    other.mentions.append(Mention(a, a + 5, FOREIGN, "north", "fr"))
    other.mentions.sort(key=lambda m: (m.start, m.end))
    path = written(doc, tmp_path)
    xml = path.read_text(encoding="utf-8")
    assert '<foreign xml:lang="fr">' in xml and 'type="mention-methods"' in xml
    if HAVE_JING:
        assert validate([path], engine="jing") == []
    back = tei.read_tei(path)
    got = back.translation.sentences()  # type: ignore[union-attr]
    assert [(m.text, m.method) for m in got[1].mentions if m.method] == \
        [("Mustafa Kadhimi", PROJECTION)]
    assert [(m.text, m.label, m.source_label) for m in got[2].mentions
            if m.label == FOREIGN] == [("north", FOREIGN, "fr")]
