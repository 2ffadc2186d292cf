"""The link stage on hand-made documents (no model needed): records, methods, precision."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from pipeline.document import (
    ENTITY_TYPES,
    PARA_SEP,
    PROJECTION,
    Document,
    Mention,
    Paragraph,
    Sentence,
    Side,
    Source,
)
from pipeline.stages import link

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import make_corpus

Pair = tuple[str, list[tuple[str, str]], str, list[tuple[str, str]]]


def _side(lang: str, doc_id: str, sents: list[tuple[str, list[tuple[str, str]]]]) -> Side:
    """One paragraph per sentence; mentions given as (surface, label), found in order."""
    side = Side(lang)
    texts = []
    pos = 0
    for n, (text, ments) in enumerate(sents, 1):
        sent = Sentence(f"{doc_id}.{lang}.p{n}.s1", pos, pos + len(text), text)
        at = 0
        for surface, label in ments:
            i = text.index(surface, at)
            sent.mentions.append(Mention(pos + i, pos + i + len(surface), label, surface, label))
            at = i + len(surface)
        para = Paragraph(f"{doc_id}.{lang}.p{n}", pos, pos + len(text), sentences=[sent])
        side.paragraphs.append(para)
        texts.append(text)
        pos += len(text) + len(PARA_SEP)
    side.text = PARA_SEP.join(texts)
    return side


def make(pairs: list[Pair], doc_id: str = "art-t") -> Document:
    """A French original and its sentence-aligned English translation."""
    doc = Document(doc_id, Source("t.txt", "t.txt", "0" * 64, 0))
    doc.original = _side("fr", doc_id, [(fr, fm) for fr, fm, _, _ in pairs])
    doc.translation = _side("en", doc_id, [(en, em) for _, _, en, em in pairs])
    for src, tgt in zip(doc.original.sentences(), doc.translation.sentences(), strict=True):
        tgt.corresp = src.id
    link.link(doc)
    return doc


def record_of(doc: Document, lang: str, form: str):
    side = doc.original if lang == "fr" else doc.translation
    (m,) = [m for s in side.sentences() for m in s.mentions if m.text == form][:1]
    (rec,) = [r for r in doc.records if r.id == m.ref]
    return rec


def check_refs(doc: Document) -> None:
    """Every name mention points at one record of its own type; dates and numbers at none."""
    ids = {r.id: r for r in doc.records}
    assert len(ids) == len(doc.records)
    for side in doc.sides():
        for s in side.sentences():
            for m in s.mentions:
                if m.label in ENTITY_TYPES:
                    assert m.ref in ids and ids[m.ref].type == m.label, m
                    assert m.text in ids[m.ref].forms[side.lang]
                else:
                    assert m.ref is None


def test_alias_group_gives_one_record_with_all_forms() -> None:
    doc = make([
        ("Les frappes contre l'EI continuent.", [("EI", "ORG")],
         "The strikes against ISIS go on.", [("ISIS", "ORG")]),
        ("Daech a perdu du terrain face à l'État islamique rival.",
         [("Daech", "ORG"), ("État islamique", "ORG")],
         "The Islamic State lost ground.", [("Islamic State", "ORG")]),
        ("Bagdad et l'Irak.", [("Bagdad", "LOC"), ("Irak", "LOC")],
         "Baghdad and Iraq.", [("Baghdad", "LOC"), ("Iraq", "LOC")]),
    ])
    check_refs(doc)
    rec = record_of(doc, "fr", "EI")
    assert rec.type == "ORG" and rec.method.startswith("alias")
    assert rec.forms == {"fr": ["EI", "Daech", "État islamique"],
                         "en": ["ISIS", "Islamic State"]}
    assert record_of(doc, "en", "Iraq").forms == {"fr": ["Irak"], "en": ["Iraq"]}
    assert record_of(doc, "en", "Baghdad").forms == {"fr": ["Bagdad"], "en": ["Baghdad"]}
    assert len(doc.records) == 3


def test_identity_surname_and_type_from_the_alias_table() -> None:
    doc = make([
        ("Le secrétaire Lloyd Austin est arrivé à la Maison Blanche.",
         [("Lloyd Austin", "PER"), ("Maison Blanche", "LOC")],
         "Secretary Lloyd Austin arrived at the White House.",
         [("Lloyd Austin", "PER"), ("White House", "ORG")]),
        ("Austin a parlé de Qassem Soleimani.", [("Austin", "PER"), ("Qassem Soleimani", "PER")],
         "Austin spoke about Soleimani.", [("Austin", "PER"), ("Soleimani", "PER")]),
    ])
    check_refs(doc)
    austin = record_of(doc, "fr", "Lloyd Austin")
    assert austin.forms == {"fr": ["Lloyd Austin", "Austin"], "en": ["Lloyd Austin", "Austin"]}
    assert "identity" in austin.method
    sol = record_of(doc, "en", "Soleimani")
    assert sol.forms == {"fr": ["Qassem Soleimani"], "en": ["Soleimani"]}
    assert sol.method == "surname"
    # The English model's ORG gives way to the alias table's type: one entity, one type.
    wh = record_of(doc, "en", "White House")
    assert wh.type == "LOC" and wh.forms["fr"] == ["Maison Blanche"]
    m = [m for s in doc.translation.sentences() for m in s.mentions if m.text == "White House"]
    assert m[0].label == "LOC" and m[0].source_label == "ORG"


def test_transliteration_and_cognates_within_the_aligned_sentence() -> None:
    doc = make([
        ("Le régime de Saddam Hussein et le Premier ministre Nouri al-Maliki.",
         [("Saddam Hussein", "PER"), ("Nouri al-Maliki", "PER")],
         "The regime of Saddam Husein and Prime Minister Nuri al-Maliki.",
         [("Saddam Husein", "PER"), ("Nuri al-Maliki", "PER")]),
        ("Le Département d’État américain a publié un communiqué.",
         [("Département d’État américain", "ORG")],
         "The Department of American State has published a communiqué.",
         [("Department of American State", "ORG")]),
    ])
    check_refs(doc)
    assert record_of(doc, "en", "Saddam Husein").forms["fr"] == ["Saddam Hussein"]
    assert record_of(doc, "en", "Nuri al-Maliki").method == "fuzzy"
    rec = record_of(doc, "en", "Department of American State")
    assert rec.forms["fr"] == ["Département d’État américain"] and rec.method == "overlap"


def test_no_link_on_position_alone() -> None:
    """The same type in aligned sentences is no evidence: garbled MT stays unlinked."""
    doc = make([
        ("Les milices liées à l'Iran et Mohammed Shia al-Sudani.",
         [("Iran", "LOC"), ("Mohammed Shia al-Sudani", "PER")],
         "The militias related to Iran and Mohammed Shia to the-Sudani.",
         [("Iran", "LOC"), ("Mohammed Shia", "PER"), ("Sudani", "LOC")]),
        ("Bruno Le Maire a rencontré les Irakiens.", [("Bruno Le Maire", "PER")],
         "Emmanuel Macron met the Americans.",
         [("Emmanuel Macron", "PER"), ("Americans", "MISC")]),
        ("Les Palestiniens en Égypte.", [("Palestiniens", "MISC"), ("Égypte", "LOC")],
         "The Israelis in Egypt.", [("Israelis", "MISC"), ("Egypt", "LOC")]),
    ])
    check_refs(doc)
    assert record_of(doc, "fr", "Bruno Le Maire").forms == {"fr": ["Bruno Le Maire"]}
    assert record_of(doc, "en", "Emmanuel Macron").method == "monolingual"
    assert record_of(doc, "en", "Americans").forms == {"en": ["Americans"]}
    assert record_of(doc, "en", "Israelis").forms == {"en": ["Israelis"]}
    assert record_of(doc, "en", "Egypt").forms == {"fr": ["Égypte"], "en": ["Egypt"]}
    # A truncated name joins its record on its words; the surname alone on the surname,
    # even with the English model's wrong type, and then takes the record's type.
    sud = record_of(doc, "fr", "Mohammed Shia al-Sudani")
    assert sud.forms["en"] == ["Mohammed Shia", "Sudani"] and sud.type == "PER"
    assert "overlap" in sud.method and "surname" in sud.method


def test_same_language_grouping_keeps_distinct_names_apart() -> None:
    doc = make([
        ("Il l'a dit à Bloomberg TV, selon Bloomberg.",
         [("Bloomberg TV", "ORG"), ("Bloomberg", "ORG")],
         "He said it to Bloomberg TV, according to Bloomberg.",
         [("Bloomberg TV", "ORG"), ("Bloomberg", "ORG")]),
        ("Le Hezbollah et le Kataib Hezbollah.",
         [("Hezbollah", "ORG"), ("Kataib Hezbollah", "ORG")],
         "The Hezbollah and the Kataib Hezbollah.",
         [("Hezbollah", "ORG"), ("Kataib Hezbollah", "ORG")]),
    ])
    check_refs(doc)
    assert record_of(doc, "fr", "Bloomberg TV") is not record_of(doc, "fr", "Bloomberg")
    assert record_of(doc, "en", "Bloomberg TV").forms == {"fr": ["Bloomberg TV"],
                                                          "en": ["Bloomberg TV"]}
    assert record_of(doc, "en", "Kataib Hezbollah").forms == {"fr": ["Kataib Hezbollah"],
                                                              "en": ["Kataib Hezbollah"]}
    assert len(doc.records) == 4


def test_record_type_is_the_majority_and_dates_get_no_ref() -> None:
    doc = make([
        ("Washington a parlé le 3 janvier.", [("Washington", "PER"), ("3 janvier", "DATE")],
         "Washington spoke on 3 January.", [("Washington", "LOC"), ("3 January", "DATE")]),
        ("Washington et Washington.", [("Washington", "LOC"), ("Washington", "LOC")],
         "Washington and Washington.", [("Washington", "LOC"), ("Washington", "LOC")]),
    ])
    check_refs(doc)
    (rec,) = doc.records
    assert rec.type == "LOC" and rec.method == "identity"


def test_untranslated_document_gets_monolingual_records() -> None:
    doc = make([("L'OTAN et l'ONU.", [("OTAN", "ORG"), ("ONU", "ORG")], "", [])])
    doc.translation = None
    link.link(doc)
    assert [r.method for r in doc.records] == ["monolingual", "monolingual"]
    assert all(set(r.forms) == {"fr"} for r in doc.records)


def test_alias_table_is_consistent() -> None:
    """Types are of the scheme, and no form belongs to two entities."""
    seen: dict[str, int] = {}
    for n, group in enumerate(link.alias_groups()):
        assert group["type"] in ENTITY_TYPES
        assert group.get("fr") and group.get("en"), group
        for lang in ("fr", "en"):
            for form in group[lang]:
                key = link.normalise(form)
                assert seen.setdefault(key, n) == n, f"{form!r} in two alias groups"
    assert link.normalise("l’OTAN") == link.normalise("OTAN") == "otan"
    assert link.transliterate("hachd al chaabi") == link.transliterate("hashd al shaabi")


def test_a_projected_mention_joins_its_french_mention_record() -> None:
    """The translate stage projected "Mosul Dam" from « barrage de Mossoul »: no evidence
    method would tie them, the projection does, and the record says so."""
    doc = Document("art-p", Source("p.txt", "p.txt", "0" * 64, 0))
    doc.original = _side("fr", "art-p", [("Le barrage de Mossoul tient.",
                                          [("barrage de Mossoul", "LOC")])])
    doc.translation = _side("en", "art-p", [("The Mosul Dam holds.", [("Mosul Dam", "LOC")])])
    src, tgt = doc.original.sentences()[0], doc.translation.sentences()[0]
    tgt.corresp = src.id
    tgt.mentions[0].method = PROJECTION
    tgt.mentions[0].origin = src.mentions[0]
    link.link(doc)
    check_refs(doc)
    assert tgt.mentions[0].ref == src.mentions[0].ref
    (rec,) = doc.records
    assert rec.method == "projection" and rec.forms == {"fr": ["barrage de Mossoul"],
                                                        "en": ["Mosul Dam"]}


# ---------------------------------------------------------------- scaling (issue 16)


def _count_work(doc: Document, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    counts = {"evidence": 0, "matchers": 0}
    real_evidence = link._evidence

    def evidence(*args: Any, **kwargs: Any) -> tuple[int, float]:
        counts["evidence"] += 1
        return real_evidence(*args, **kwargs)

    class Matcher(link.SequenceMatcher):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            counts["matchers"] += 1
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(link, "_evidence", evidence)
    monkeypatch.setattr(link, "SequenceMatcher", Matcher)
    link.link(doc)
    monkeypatch.undo()
    return counts


def test_link_work_grows_linearly_with_a_50000_line_document(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    small = make_corpus.long_document(5_000, 500)
    big = make_corpus.long_document(50_000, 5_000)
    small_work = _count_work(small, monkeypatch)
    big_work = _count_work(big, monkeypatch)
    mentions = 2 * 50_000
    assert big_work["evidence"] <= mentions  # only the aligned sentence is scanned
    # ten times the text, ten times the scans (whole-document scans made this quadratic)
    assert big_work["evidence"] <= 10 * small_work["evidence"]
    # spelling comparisons: a bounded number per name first seen, whatever the size
    assert big_work["matchers"] <= link.FUZZY_CANDIDATES * 5_000
    assert small_work["matchers"] <= link.FUZZY_CANDIDATES * 500
    # and the answer is still right: one record per person (or two near-identical
    # spellings taken as one), in both languages
    assert 4_900 <= len(big.records) <= 5_000
    assert all(set(r.forms) == {"fr", "en"} for r in big.records)
