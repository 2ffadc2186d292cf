"""Exports for annotation tools, read back with each tool's own library or a strict reader.

Every test goes through real TEI: a document is written with ``tei.write_tei``, exported
with ``pipeline.export.export`` (which reads it back with ``tei.read_tei``), and each export
is loaded the way its consumer loads it. For every entity the test checks that its offsets
cover exactly its text in that export's text, and that the entity counts equal the counts
of name elements in the TEI file itself (read with lxml, not through the pipeline).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

from pipeline import export as ex
from pipeline.cli import main as cli_main
from pipeline.document import (
    FOREIGN,
    PARA_SEP,
    PROJECTION,
    Application,
    Document,
    Mention,
    Metadata,
    Paragraph,
    Sentence,
    Side,
    Source,
    Token,
)
from pipeline.run.atomic import is_temp_name
from pipeline.run.parallel import CHUNK
from pipeline.tei import codec as tei

RUN = tei.RunInfo(when="2026-01-01T00:00:00Z", version="test", command="test_export")
LABELS = ("PER", "LOC", "ORG", "MISC")
NBSP = "\u00a0"
EMOJI = "\U0001f600"  # astral: 2 UTF-16 code units
FRAKTUR = "\U0001d518\U0001d52b"  # astral letters inside an entity

# --------------------------------------------------------------------------- documents
# A token: (surface, upos, gap after) or (surface, upos, gap, [(word, lemma, upos), ...])
# for a multi-word token. A sentence: (tokens, [(label, first token, last token)], extra).


def _side(lang: str, doc_id: str, paragraphs: list[tuple[str, list]]) -> Side:
    text, paras = "", []
    for pi, (kind, sentences) in enumerate(paragraphs, 1):
        if pi > 1:
            text += PARA_SEP
        para = Paragraph(f"{doc_id}.{lang}.p{pi}", len(text), len(text), kind)
        for si, (toks, ents, extra) in enumerate(sentences, 1):
            if si > 1:
                text += extra.get("before", " ")
            start = len(text)
            tokens, spans = [], []
            for k, tok in enumerate(toks):
                surface, upos, gap = tok[:3]
                a = len(text)
                text += surface
                spans.append((a, len(text)))
                if len(tok) > 3:
                    tokens += [Token(a, len(text), w, lemma, u, "", gap != "")
                               for w, lemma, u in tok[3]]
                else:
                    feats = "Number=Sing" if upos in ("NOUN", "PROPN") else ""
                    tokens.append(Token(a, len(text), surface, surface.lower(), upos, feats,
                                        gap != ""))
                if k + 1 < len(toks):
                    text += gap
            mentions = [Mention(spans[i][0], spans[j][1], label, text[spans[i][0]:spans[j][1]],
                                source_label=label)
                        for label, i, j in ents]
            para.sentences.append(Sentence(f"{para.id}.s{si}", start, len(text), text[start:],
                                           tokens, mentions, corresp=extra.get("corresp"),
                                           lang=extra.get("lang")))
        para.end = len(text)
        paras.append(para)
    return Side(lang, text, paras)


def sample_document(doc_id: str = "art-sample") -> Document:
    """French original + English translation with what trips exports up: astral characters
    before and inside entities, NBSP inside a token, a multi-word token inside an entity, a
    nested mention, a line break inside a sentence and inside an entity, DATE and NUM spans
    (not exported), a sentence with no entity and a paragraph of one sentence."""
    fr_p1 = [([("Macron", "PROPN", " "), ("à", "ADP", " "), ("Bagdad", "PROPN", ""),
               (EMOJI, "SYM", " "), ("!", "PUNCT", "")], [("PER", 0, 0), ("LOC", 2, 2)], {})]
    fr_p2 = [
        ([("L'", "DET", ""), ("Université", "PROPN", " "), ("de", "ADP", " "),
          ("Paris", "PROPN", " "), ("et", "CCONJ", " "), ("la", "DET", " "),
          ("Maison", "PROPN", " "), ("du", "ADP", " ", [("de", "de", "ADP"), ("le", "le", "DET")]),
          ("Peuple", "PROPN", " "), ("ont", "AUX", " "), ("réagi", "VERB", " "),
          ("le", "DET", " "), ("3", "NUM", " "), ("juin", "NOUN", ""), (".", "PUNCT", "")],
         [("ORG", 1, 3), ("LOC", 3, 3), ("ORG", 6, 8), ("DATE", 12, 13)], {}),
        ([("Le", "DET", " "), (FRAKTUR, "PROPN", " "), ("coûte", "VERB", " "),
          (f"20{NBSP}000", "NUM", " "), ("euros", "NOUN", ""), (".", "PUNCT", "")],
         [("MISC", 1, 1), ("NUM", 3, 3)], {}),
        ([("Jean", "PROPN", "\n"), ("Dupont", "PROPN", " "), ("signe", "VERB", ""),
          (".", "PUNCT", "")], [("PER", 0, 1)], {"before": "\n"}),
        ([("Rien", "PRON", " "), ("ici", "ADV", ""), (".", "PUNCT", "")], [], {}),
    ]
    en_p1 = [([("Macron", "PROPN", " "), ("in", "ADP", " "), ("Baghdad", "PROPN", ""),
               (EMOJI, "SYM", " "), ("!", "PUNCT", "")], [("PER", 0, 0), ("LOC", 2, 2)],
              {"corresp": f"{doc_id}.fr.p1.s1"})]
    en_p2 = [
        ([("The", "DET", " "), ("University", "PROPN", " "), ("of", "ADP", " "),
          ("Paris", "PROPN", " "), ("reacted", "VERB", ""), (".", "PUNCT", "")],
         [("ORG", 1, 3), ("LOC", 3, 3)], {"corresp": f"{doc_id}.fr.p2.s1"}),
        ([("The", "DET", " "), (FRAKTUR, "PROPN", " "), ("costs", "VERB", " "),
          ("20,000", "NUM", " "), ("euros", "NOUN", ""), (".", "PUNCT", "")],
         [("MISC", 1, 1), ("NUM", 3, 3)], {"corresp": f"{doc_id}.fr.p2.s2"}),
        ([("Jean", "PROPN", " "), ("Dupont", "PROPN", " "), ("signs", "VERB", ""),
          (".", "PUNCT", "")], [("PER", 0, 1)], {"corresp": f"{doc_id}.fr.p2.s3"}),
        ([("Rien", "PRON", " "), ("ici", "ADV", ""), (".", "PUNCT", "")], [],
         {"corresp": f"{doc_id}.fr.p2.s4", "lang": "fr"}),
    ]
    doc = Document(id=doc_id, source=Source(f"seeds/{doc_id}.txt", f"{doc_id}.txt", "0" * 64, 1))
    doc.meta = Metadata(title="Macron à Bagdad", title_en="Macron in Baghdad",
                        url="https://example.org/a")
    doc.original = _side("fr", doc_id, [("head", fr_p1), ("p", fr_p2)])
    doc.translation = _side("en", doc_id, [("head", en_p1), ("p", en_p2)])
    doc.apps = [Application("spacy", "3.8.18", "ner-fr", "spaCy"),
                Application("fr_core_news_md", "3.8.0", "ner-fr", "model"),
                Application("spacy", "3.8.18", "ner-en", "spaCy"),
                Application("en_core_web_sm", "3.8.0", "ner-en", "model")]
    return doc


def french_only(doc_id: str = "art-fr-only") -> Document:
    doc = sample_document(doc_id)
    doc.translation = None
    doc.apps = doc.apps[:2]
    return doc


def write_tei_files(folder: Path, docs: list[Document]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for doc in docs:
        path = folder / f"{doc.id}.xml"
        tei.write_tei(doc, path, run=RUN)
        paths.append(path)
    return paths


# --------------------------------------------------------------------------- the TEI truth

TEI_NS = {"t": tei.TEI_NS}
_NAME_XPATH = ("self::t:persName or self::t:placeName or self::t:orgName "
               "or (self::t:name and @type='MISC')")


def tei_entities(path: Path, lang: str, outermost: bool = False) -> list[tuple[str, str]]:
    """(label, text) of the PER/LOC/ORG/MISC elements of a side, straight from the XML."""
    root = etree.parse(str(path)).getroot()
    div = root.find(f"t:text/t:body/t:div[@xml:lang='{lang}']",
                    {**TEI_NS, "xml": tei.XML_NS})
    assert div is not None
    labels = {"persName": "PER", "placeName": "LOC", "orgName": "ORG", "name": "MISC"}
    out = []
    for el in div.xpath(f".//*[{_NAME_XPATH}]", namespaces=TEI_NS):
        if outermost and el.xpath(f"ancestor::*[{_NAME_XPATH}]", namespaces=TEI_NS):
            continue
        out.append((labels[etree.QName(el).localname], "".join(el.itertext())))
    return out


def tei_side(path: Path, lang: str) -> Side:
    return next(s for s in tei.read_tei(path).sides() if s.lang == lang)


def tei_text(path: Path, lang: str) -> str:
    return tei_side(path, lang).text


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = tmp_path_factory.mktemp("export")
    paths = write_tei_files(base / "tei", [sample_document(), french_only()])
    out = base / "out"
    result = ex.export(paths, "all", "both", out)
    assert result.ok, result.failed
    return {"paths": paths, "out": out, "result": result,
            "sides": [(paths[0], "fr"), (paths[0], "en"), (paths[1], "fr")]}


def _doc_id(path: Path) -> str:
    return path.stem


# --------------------------------------------------------------------------- the sample itself


def test_sample_goes_through_tei_unchanged(tmp_path: Path) -> None:
    doc = sample_document()
    (path,) = write_tei_files(tmp_path, [doc])
    back = tei.read_tei(path)
    for side, read in zip(doc.sides(), back.sides(), strict=True):
        assert read.text == side.text
        assert [(t.start, t.end, t.text, t.lemma, t.upos, t.feats) for s in read.sentences()
                for t in s.tokens] == [(t.start, t.end, t.text, t.lemma, t.upos, t.feats)
                                       for s in side.sentences() for t in s.tokens]
        assert [(m.start, m.end, m.label) for s in read.sentences() for m in s.mentions] == \
            [(m.start, m.end, m.label) for s in side.sentences() for m in s.mentions]
    assert tei_entities(path, "fr") == [("PER", "Macron"), ("LOC", "Bagdad"),
                                        ("ORG", "Université de Paris"), ("LOC", "Paris"),
                                        ("ORG", "Maison du Peuple"), ("MISC", FRAKTUR),
                                        ("PER", "Jean\nDupont")]


def test_layout_and_counts(exported: dict) -> None:
    out, result = exported["out"], exported["result"]
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    expected = set()
    for lang, ids in (("fr", ["art-sample", "art-fr-only"]), ("en", ["art-sample"])):
        expected |= {f"xmi/{lang}/TypeSystem.xml", f"brat/{lang}/annotation.conf",
                     f"brat/{lang}/visual.conf", f"doccano/{lang}/labels.json",
                     f"labelstudio/{lang}/config.xml"}
        for i in ids:
            expected |= {f"xmi/{lang}/{i}.xmi", f"conll2002/{lang}/{i}.conll",
                         f"brat/{lang}/{i}.txt", f"brat/{lang}/{i}.ann",
                         f"doccano/{lang}/{i}.jsonl", f"labelstudio/{lang}/{i}.json",
                         f"conllu/{lang}/{i}.conllu"}
    assert set(files) == expected
    assert result.skipped == ["art-fr-only: no en side"]
    assert result.documents == 2
    for name in ex.FORMATS:
        assert result.doc_counts[name, "fr"] == 2 and result.doc_counts[name, "en"] == 1
    assert result.entity_counts["brat", "fr"] == 14  # 7 a document, nested LOC included
    assert result.entity_counts["conllu", "fr"] == 12  # the nested LOC left out


# --------------------------------------------------------------------------- XMI (cassis)

API = "de.tudarmstadt.ukp.dkpro.core.api."


def _dkpro_typesystem(folder: Path):
    import cassis

    with open(folder / "TypeSystem.xml", "rb") as f:
        ts = cassis.load_typesystem(f)
    # the exported type system is DKPro Core's (it merges without conflict) ...
    merged = cassis.merge_typesystems(cassis.load_dkpro_core_typesystem(), ts)
    for name in ("segmentation.type.Sentence", "segmentation.type.Token",
                 "segmentation.type.Lemma", "lexmorph.type.pos.POS", "ner.type.NamedEntity",
                 "metadata.type.DocumentMetaData"):
        assert merged.contains_type(API + name)
    return ts


def load_xmi(out: Path, path: Path, lang: str):
    import cassis

    ts = _dkpro_typesystem(out / "xmi" / lang)
    with open(out / "xmi" / lang / f"{_doc_id(path)}.xmi", "rb") as f:
        return cassis.load_cas_from_xmi(f, typesystem=ts)


def check_xmi(out: Path, path: Path, lang: str) -> None:
    """dkpro-cassis with the DKPro Core types loads the file; entities cover their text."""
    cas = load_xmi(out, path, lang)
    assert cas.sofa_string == tei_text(path, lang)
    (meta,) = cas.select(API + "metadata.type.DocumentMetaData")
    assert (meta.documentId, meta.language) == (_doc_id(path), lang)
    nes = cas.select(API + "ner.type.NamedEntity")
    for ne in nes:
        assert cas.sofa_string[ne.begin:ne.end] == ne.get_covered_text()
    got = [(ne.value, ne.get_covered_text()) for ne in nes]
    assert sorted(got) == sorted(tei_entities(path, lang))
    side = tei_side(path, lang)
    sentences = cas.select(API + "segmentation.type.Sentence")
    assert [s.id for s in sentences] == [s.id for s in side.sentences()]
    assert [s.get_covered_text() for s in sentences] == [s.text for s in side.sentences()]
    tokens = cas.select(API + "segmentation.type.Token")
    spans = sorted({(t.start, t.end) for s in side.sentences() for t in s.tokens})
    assert [(t.begin, t.end) for t in tokens] == spans


def test_xmi_loads_with_cassis_and_dkpro_types(exported: dict) -> None:
    out = exported["out"]
    for path, lang in exported["sides"]:
        check_xmi(out, path, lang)
    cas = load_xmi(out, exported["paths"][0], "fr")
    tokens = cas.select(API + "segmentation.type.Token")
    du = [t for t in tokens if t.get_covered_text() == "du"]
    assert [(t.lemma.value, t.pos.PosValue) for t in du] == [("de+le", "ADP+DET")]
    macron = tokens[0]
    assert (macron.lemma.value, macron.pos.PosValue, macron.pos.coarseValue,
            macron.morph.value) == ("macron", "PROPN", "PROPN", "Number=Sing")


def test_xmi_offsets_are_utf16_code_units_in_the_file(exported: dict) -> None:
    """UIMA counts UTF-16 code units: after an astral character the XMI offsets exceed the
    Python ones by one per astral character before them, and cassis maps them back."""
    out = exported["out"]
    path = exported["paths"][0]
    text = tei_text(path, "fr")
    raw = etree.parse(str(out / "xmi" / "fr" / "art-sample.xmi")).getroot()
    nes = [el for el in raw if etree.QName(el).localname == "NamedEntity"]
    assert nes

    def utf16(i: int) -> int:
        return len(text[:i].encode("utf-16-le")) // 2

    python_spans = sorted((m.start, m.end) for s in tei.read_tei(path).original.sentences()
                          for m in s.mentions if m.label in LABELS)
    file_spans = sorted((int(el.get("begin")), int(el.get("end"))) for el in nes)
    assert file_spans == [(utf16(a), utf16(b)) for a, b in python_spans]
    assert file_spans != python_spans  # the sample has astral characters before entities
    fraktur = text.index(FRAKTUR)
    assert (utf16(fraktur), utf16(fraktur + len(FRAKTUR))) in file_spans
    assert utf16(fraktur + len(FRAKTUR)) - utf16(fraktur) == 4


# --------------------------------------------------------------------------- CoNLL-2002


def read_conll2002(path: Path) -> list[list[tuple[str, str]]]:
    """A strict reader, as DKPro Core's Conll2002Reader reads: each line split on one space
    into exactly FORM and NER; a blank line ends a sentence; IOB2 checked."""
    sentences: list[list[tuple[str, str]]] = [[]]
    for line in path.read_bytes().decode("utf-8").split("\n"):
        if not line.strip(" \t"):
            if sentences[-1]:
                sentences.append([])
            continue
        fields = line.split(" ")
        assert len(fields) == 2 and fields[0], f"bad line {line!r}"
        form, tag = fields
        assert re.fullmatch(r"O|[BI]-(PER|LOC|ORG|MISC)", tag), tag
        prev = sentences[-1][-1][1] if sentences[-1] else "O"
        if tag.startswith("I-"):
            assert prev != "O" and prev[2:] == tag[2:], f"I- tag after {prev}: {line!r}"
        sentences[-1].append((form, tag))
    return [s for s in sentences if s]


def iob_spans(tags: list[str]) -> list[tuple[str, int, int]]:
    """(label, first, last) of the IOB2 entities."""
    spans: list[tuple[str, int, int]] = []
    for i, tag in enumerate(tags):
        if tag.startswith("B-"):
            spans.append((tag[2:], i, i))
        elif tag.startswith("I-"):
            label, a, _ = spans[-1]
            spans[-1] = (label, a, i)
    return spans


def check_conll2002(out: Path, path: Path, lang: str) -> None:
    sentences = read_conll2002(out / "conll2002" / lang / f"{_doc_id(path)}.conll")
    # the text the reader builds: forms joined by one space, one sentence a line
    rebuilt, got = "", []
    for sent in sentences:
        starts = []
        for k, (form, _) in enumerate(sent):
            starts.append(len(rebuilt))
            rebuilt += form + (" " if k + 1 < len(sent) else "\n")
        for label, a, b in iob_spans([t for _, t in sent]):
            covered = rebuilt[starts[a]:starts[b] + len(sent[b][0])]
            assert covered == " ".join(f for f, _ in sent[a:b + 1])
            got.append((label, covered))
    want = tei_entities(path, lang, outermost=True)
    assert [label for label, _ in got] == [label for label, _ in want]
    squash = re.compile(r"\s+")
    assert [squash.sub("", t) for _, t in got] == [squash.sub("", t) for _, t in want]
    side = tei_side(path, lang)
    n_units = sum(len({(t.start, t.end) for t in s.tokens}) for s in side.sentences())
    assert sum(len(s) for s in sentences) == n_units


def test_conll2002_strict_reader(exported: dict) -> None:
    out = exported["out"]
    for path, lang in exported["sides"]:
        check_conll2002(out, path, lang)
    nbsp = (out / "conll2002" / "fr" / "art-sample.conll").read_text(encoding="utf-8")
    assert f"20{NBSP}000 O\n" in nbsp and "du I-ORG\n" in nbsp


# --------------------------------------------------------------------------- brat


def read_annotation_conf(path: Path) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current = None
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if m := re.fullmatch(r"\[(\w+)\]", line):
            current = sections.setdefault(m.group(1), [])
        else:
            assert current is not None, f"line outside a section: {line!r}"
            current.append(line)
    return sections


_T_LINE = re.compile(r"(T\d+)\t(\S+) (\d+ \d+(?:;\d+ \d+)*)\t(.*)")


def read_brat(txt: Path, ann: Path, types: list[str]) -> list[tuple[str, str, list]]:
    """A strict reader of the brat standoff spec: text-bound annotations only, types from
    annotation.conf, offsets in characters of the UTF-8 .txt, fragments not crossing a line
    break, the text field equal to the fragments joined by a space."""
    raw = txt.read_bytes().decode("utf-8")
    with open(txt, encoding="utf-8") as f:  # what brat itself sees (universal newlines)
        assert f.read() == raw
    out, ids = [], set()
    for line in ann.read_bytes().decode("utf-8").split("\n"):
        if not line:
            continue
        m = _T_LINE.fullmatch(line)
        assert m, f"not a text-bound annotation line: {line!r}"
        ident, label, spans, shown = m.groups()
        assert ident not in ids and label in types
        ids.add(ident)
        frags = [tuple(map(int, s.split(" "))) for s in spans.split(";")]
        for a, b in frags:
            assert 0 <= a < b <= len(raw) and "\n" not in raw[a:b]
        assert shown == " ".join(raw[a:b] for a, b in frags)
        out.append((label, raw[frags[0][0]:frags[-1][1]], frags))
    return out


def check_brat(out: Path, path: Path, lang: str) -> None:
    folder = out / "brat" / lang
    conf = read_annotation_conf(folder / "annotation.conf")
    assert conf["entities"] == list(LABELS)
    assert {"relations", "events", "attributes"} <= set(conf)
    txt, ann = folder / f"{_doc_id(path)}.txt", folder / f"{_doc_id(path)}.ann"
    assert txt.read_bytes().decode("utf-8") == tei_text(path, lang)
    got = read_brat(txt, ann, conf["entities"])
    assert sorted((label, text) for label, text, _ in got) == sorted(tei_entities(path, lang))


def check_pybrat(out: Path, sides: list[tuple[Path, str]]) -> None:
    """pybrat (PyPI) parses each brat folder; every entity's spans cover its mention."""
    from pybrat.parser import BratParser

    for lang in sorted({lang for _, lang in sides}):
        examples = BratParser(error="raise").parse(out / "brat" / lang)
        by_id = {e.id: e for e in examples}
        assert set(by_id) == {_doc_id(p) for p, lng in sides if lng == lang}
        for path, lng in sides:
            if lng != lang:
                continue
            example = by_id[_doc_id(path)]
            assert example.text == tei_text(path, lang)
            for ent in example.entities:
                assert ent.mention == " ".join(example.text[s.start:s.end] for s in ent.spans)
            got = sorted((e.type, example.text[e.spans[0].start:e.spans[-1].end])
                         for e in example.entities)
            assert got == sorted(tei_entities(path, lang))


def test_brat_strict_reader(exported: dict) -> None:
    out = exported["out"]
    for path, lang in exported["sides"]:
        check_brat(out, path, lang)
    fr = read_brat(out / "brat/fr/art-sample.txt", out / "brat/fr/art-sample.ann", list(LABELS))
    (jean,) = [frags for label, text, frags in fr if text == "Jean\nDupont"]
    assert len(jean) == 2  # discontinuous over the line break


def test_brat_with_pybrat(exported: dict) -> None:
    pytest.importorskip("pybrat.parser", reason="pybrat (PyPI) is not installed")
    check_pybrat(exported["out"], exported["sides"])


# --------------------------------------------------------------------------- doccano


def check_doccano(out: Path, path: Path, lang: str) -> None:
    folder = out / "doccano" / lang
    labels = json.loads((folder / "labels.json").read_text(encoding="utf-8"))
    names = [lab["text"] for lab in labels]
    assert names == list(LABELS)
    assert all(re.fullmatch(r"#[0-9a-f]{6}", lab["background_color"]) for lab in labels)
    lines = (folder / f"{_doc_id(path)}.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["text"] == tei_text(path, lang)
    for start, end, label in record["label"]:
        assert isinstance(start, int) and isinstance(end, int) and label in names
        assert 0 <= start < end <= len(record["text"])
    got = sorted((label, record["text"][a:b]) for a, b, label in record["label"])
    assert got == sorted(tei_entities(path, lang))


def test_doccano_jsonl(exported: dict) -> None:
    for path, lang in exported["sides"]:
        check_doccano(exported["out"], path, lang)


# --------------------------------------------------------------------------- Label Studio


def read_labelstudio_config(path: Path) -> dict:
    root = etree.parse(str(path)).getroot()
    assert root.tag == "View"
    (labels,) = root.findall("Labels")
    (text,) = root.findall("Text")
    assert text.get("value") == "$text" and labels.get("toName") == text.get("name")
    return {"from_name": labels.get("name"), "to_name": text.get("name"),
            "labels": [lab.get("value") for lab in labels.findall("Label")]}


def tei_ner_model(path: Path, lang: str) -> str:
    """The NER model the TEI header names for a side (appInfo, application[@type=ner-xx])."""
    root = etree.parse(str(path)).getroot()
    apps = root.xpath(f"//t:appInfo/t:application[@type='ner-{lang}']", namespaces=TEI_NS)
    models = [a for a in apps if a.get("ident") not in ("spacy", "stanza")] or apps
    return f"{models[-1].get('ident')}-{models[-1].get('version')}" if models else "unknown"


def check_labelstudio(out: Path, path: Path, lang: str) -> None:
    config = read_labelstudio_config(out / "labelstudio" / lang / "config.xml")
    assert config["labels"] == list(LABELS)
    (task,) = json.loads((out / "labelstudio" / lang / f"{_doc_id(path)}.json")
                         .read_text(encoding="utf-8"))
    text = tei_text(path, lang)
    assert set(task) == {"data", "predictions"}
    assert task["data"]["text"] == text
    assert task["data"]["doc_id"] == _doc_id(path) and task["data"]["lang"] == lang
    (prediction,) = task["predictions"]
    assert prediction["model_version"] == tei_ner_model(path, lang)
    got = []
    for region in prediction["result"]:
        assert region["from_name"] == config["from_name"]
        assert region["to_name"] == config["to_name"] and region["type"] == "labels"
        value = region["value"]
        (label,) = value["labels"]
        assert label in config["labels"]
        # Label Studio's Text tag counts code points: Python indices
        assert text[value["start"]:value["end"]] == value["text"]
        got.append((label, value["text"]))
    assert len({r["id"] for r in prediction["result"]}) == len(prediction["result"])
    assert sorted(got) == sorted(tei_entities(path, lang))


def test_labelstudio_tasks(exported: dict) -> None:
    for path, lang in exported["sides"]:
        check_labelstudio(exported["out"], path, lang)
    assert tei_ner_model(exported["paths"][0], "fr") == "fr_core_news_md-3.8.0"
    assert tei_ner_model(exported["paths"][0], "en") == "en_core_web_sm-3.8.0"


# --------------------------------------------------------------------------- CoNLL-U


_UD_UNESCAPE = {"s": " ", "t": "\t", "n": "\n", "r": "\r", "\\": "\\", "p": "|"}


def _spaces_after(misc: dict | None) -> str:
    misc = misc or {}
    if misc.get("SpaceAfter") == "No":
        return ""
    if "SpacesAfter" in misc:
        return re.sub(r"\\(u[0-9A-F]{4}|.)",
                      lambda m: chr(int(m.group(1)[1:], 16)) if len(m.group(1)) == 5
                      else _UD_UNESCAPE[m.group(1)], misc["SpacesAfter"])
    return " "


def check_conllu(out: Path, path: Path, lang: str) -> None:
    """The conllu package parses the file; tokens rebuild "# text"; entities cover their
    text in it; words, lemmas and UPOS are the TEI's."""
    import conllu

    side = tei_side(path, lang)
    data = (out / "conllu" / lang / f"{_doc_id(path)}.conllu").read_text(encoding="utf-8")
    sentences = conllu.parse(data)
    tei_sents = [s for s in side.sentences() if s.tokens]
    assert [s.metadata["sent_id"] for s in sentences] == [s.id for s in tei_sents]
    if sentences:
        assert sentences[0].metadata["newdoc id"] == _doc_id(path)
    assert [s.metadata["newpar id"] for s in sentences if "newpar id" in s.metadata] == \
        [p.id for p in side.paragraphs if any(s.tokens for s in p.sentences)]
    got = []
    for sent, tei_sent in zip(sentences, tei_sents, strict=True):
        text = sent.metadata["text"]
        assert text == tei_sent.text.replace("\n", " ").replace("\t", " ").replace("\r", " ")
        # offsets of every token line in "# text", from FORM + SpaceAfter/SpacesAfter
        pos, spans, in_range = 0, {}, set()
        for tok in sent:
            if isinstance(tok["id"], tuple):  # multi-word token: 3-4 du
                a, _, b = tok["id"]
                for i in range(a, b + 1):
                    spans[i] = (pos, pos + len(tok["form"]))
                    in_range.add(i)
            elif tok["id"] in in_range:
                continue
            else:
                spans[tok["id"]] = (pos, pos + len(tok["form"]))
            assert text[pos:pos + len(tok["form"])] == tok["form"]
            pos += len(tok["form"]) + len(_spaces_after(tok["misc"]))
        assert pos >= len(text)
        words = [t for t in sent if isinstance(t["id"], int)]
        tags = [(t["misc"] or {}).get("NER", "O") for t in words]
        for label, a, b in iob_spans(tags):
            start, end = spans[words[a]["id"]][0], spans[words[b]["id"]][1]
            got.append((label, text[start:end]))
        assert [(w["form"], w["lemma"], w["upos"]) for w in words] == \
            [(t.text or "_", t.lemma or "_", t.upos or "_") for t in tei_sent.tokens]
    want = [(label, re.sub(r"[\n\t\r]", " ", t))
            for label, t in tei_entities(path, lang, outermost=True)]
    assert got == want


def test_conllu_with_the_conllu_package(exported: dict) -> None:
    out = exported["out"]
    for path, lang in exported["sides"]:
        check_conllu(out, path, lang)
    fr = (out / "conllu" / "fr" / "art-sample.conllu").read_text(encoding="utf-8")
    assert "\tdu\t_\t_\t_\t_\t_\t_\t_\t_\n" in fr  # the range line of du = de + le
    assert "\tJean\tjean\tPROPN\t_\tNumber=Sing\t_\t_\t_\tNER=B-PER|SpacesAfter=\\n\n" in fr


# --------------------------------------------------------------------------- astral, determinism


def test_every_format_agrees_on_an_astral_entity(exported: dict) -> None:
    out = exported["out"]
    text = tei_text(exported["paths"][0], "fr")
    a = text.index(FRAKTUR)
    b = a + len(FRAKTUR)
    assert f"MISC {a} {b}\t{FRAKTUR}" in (out / "brat/fr/art-sample.ann").read_text("utf-8")
    record = json.loads((out / "doccano/fr/art-sample.jsonl").read_text("utf-8"))
    assert [a, b, "MISC"] in record["label"]
    (task,) = json.loads((out / "labelstudio/fr/art-sample.json").read_text("utf-8"))
    values = [r["value"] for r in task["predictions"][0]["result"]]
    assert {"start": a, "end": b, "text": FRAKTUR, "labels": ["MISC"]} in values


def _tree_digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_exports_are_byte_identical(exported: dict, tmp_path: Path) -> None:
    again = tmp_path / "again"
    # the same TEI from another place, in another order, one format at a time
    copies = []
    for p in reversed(exported["paths"]):
        copy = tmp_path / "tei" / p.name
        copy.parent.mkdir(exist_ok=True)
        copy.write_bytes(p.read_bytes())
        copies.append(copy)
    for fmt in ex.FORMATS:
        assert ex.export(copies, fmt, "both", again).ok
    assert _tree_digest(again) == _tree_digest(exported["out"])


# --------------------------------------------------------------------------- command line


def test_main_one_format_one_language(exported: dict, tmp_path: Path,
                                      capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "o"
    code = cli_main(["export", "--format", "brat", "--lang", "en", str(exported["paths"][0].parent),
                    "-o", str(out)])
    assert code == 0
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "brat/en/annotation.conf", "brat/en/art-sample.ann", "brat/en/art-sample.txt",
        "brat/en/visual.conf"]
    assert "brat/en: 1 document(s), 6 entities" in capsys.readouterr().err


def test_main_skips_the_corpus_root(tmp_path: Path) -> None:
    folder = tmp_path / "tei"
    write_tei_files(folder, [sample_document()])
    (folder / "corpus.xml").write_text(
        f'<teiCorpus xmlns="{tei.TEI_NS}" xmlns:xi="{tei.XI_NS}"><teiHeader/>'
        '<xi:include href="art-sample.xml"/></teiCorpus>', encoding="utf-8")
    assert ex.tei_files([folder]) == [folder / "art-sample.xml"]


def test_main_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert cli_main(["export", "--format", "nope", str(tmp_path), "-o", str(tmp_path)]) == 2
    assert cli_main(["export", "--format", "all", str(tmp_path / "missing.xml"),
                     "-o", str(tmp_path)]) == 2
    assert cli_main(["export", "--format", "all", str(tmp_path), "-o", str(tmp_path / "o")]) == 2
    assert "no TEI file" in capsys.readouterr().err
    [tei_file] = write_tei_files(tmp_path / "tei", [sample_document()])
    assert cli_main(["export", "-j", "-1", str(tei_file), "-o", str(tmp_path / "o")]) == 2
    assert "-j/--jobs" in capsys.readouterr().err and not (tmp_path / "o").exists()


def test_a_broken_file_fails_alone(exported: dict, tmp_path: Path,
                                   capsys: pytest.CaptureFixture) -> None:
    broken = tmp_path / "broken.xml"
    broken.write_text("<TEI><oops></TEI>", encoding="utf-8")
    out = tmp_path / "o"
    code = cli_main(["export", "--format", "doccano", "--lang", "fr", str(broken),
                    str(exported["paths"][0]), "-o", str(out)])
    assert code == 1
    assert (out / "doccano/fr/art-sample.jsonl").is_file()
    assert "FAILED" in capsys.readouterr().err


def test_inconsistent_mentions_are_refused() -> None:
    from pipeline.export.common import ExportError, side_view

    doc = sample_document()
    doc.original.sentences()[0].mentions[0].text = "Macro"
    with pytest.raises(ExportError, match="does not cover its text"):
        side_view(doc, doc.original)


def test_counts_by_label_match_the_tei(exported: dict) -> None:
    """Per label, not only in total: every export of every side against the TEI."""
    out = exported["out"]
    for path, lang in exported["sides"]:
        want_all = Counter(label for label, _ in tei_entities(path, lang))
        want_flat = Counter(label for label, _ in tei_entities(path, lang, outermost=True))
        i = _doc_id(path)
        brat = Counter(line.split("\t")[1].split(" ")[0] for line in
                       (out / "brat" / lang / f"{i}.ann").read_text("utf-8").splitlines())
        doccano = Counter(lab for _, _, lab in json.loads(
            (out / "doccano" / lang / f"{i}.jsonl").read_text("utf-8"))["label"])
        conll = Counter(line.split(" ")[1][2:] for line in
                        (out / "conll2002" / lang / f"{i}.conll").read_text("utf-8").splitlines()
                        if line.endswith(tuple(f"B-{lab}" for lab in LABELS)))
        assert brat == doccano == want_all
        assert conll == want_flat


# --------------------------------------------------------------------------- the seeds


@pytest.mark.slow
def test_seed_exports_pass_every_proof(seed_files: list[Path], repo_root: Path,
                                       tmp_path: Path) -> None:
    """The real chain: the pipeline turns the seeds into TEI, the export reads that TEI, and
    every proof above holds for every side of every seed."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH", "0")}
    run = subprocess.run([sys.executable, "-m", "pipeline", "run", *map(str, seed_files),
                          "-o", str(tmp_path / "run"), "-q"], cwd=repo_root, env=env,
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    paths = ex.tei_files([tmp_path / "run" / "tei"])
    assert len(paths) == len(seed_files)
    out = tmp_path / "exports"
    assert cli_main(["export", "--format", "all", "--lang", "both", "-q", *map(str, paths),
                    "-o", str(out)]) == 0
    sides = [(p, s.lang) for p in paths for s in tei.read_tei(p).sides()]
    assert {lang for _, lang in sides} == {"fr", "en"}
    for path, lang in sides:
        for check in (check_xmi, check_conll2002, check_brat, check_doccano, check_labelstudio,
                      check_conllu):
            check(out, path, lang)
    if importlib.util.find_spec("pybrat") is not None:
        check_pybrat(out, sides)
    assert sum(len(tei_entities(p, lang)) for p, lang in sides) > 0


def test_projected_english_entities_are_exported_and_foreign_words_are_not(
        tmp_path: Path) -> None:
    """Names the translate stage projected onto the English are entities like any other
    in every export; a word kept in French (<foreign>) is no entity."""
    doc = sample_document("art-projected")
    assert doc.translation is not None
    sents = doc.translation.sentences()
    for m in sents[0].mentions:
        m.method = PROJECTION
    costs = sents[2]
    at = costs.start + costs.text.index("euros")
    costs.mentions.append(Mention(at, at + 5, FOREIGN, "euros", "fr"))
    costs.mentions.sort(key=lambda m: (m.start, m.end))
    paths = write_tei_files(tmp_path / "tei", [doc])
    result = ex.export(paths, "all", "en", tmp_path / "out")
    assert result.ok, result.failed
    conll = read_conll2002(tmp_path / "out" / "conll2002" / "en" / "art-projected.conll")
    tags = {form: tag for sent in conll for form, tag in sent}
    assert tags["Macron"] == "B-PER" and tags["Baghdad"] == "B-LOC"
    assert tags["euros"] == "O"
    ann = (tmp_path / "out" / "brat" / "en" / "art-projected.ann").read_text(encoding="utf-8")
    assert "PER" in ann and "FOREIGN" not in ann


def test_several_processes_export_what_one_process_does(tmp_path: Path) -> None:
    """40 articles (more than two tasks' worth) with a broken file and a second file of an
    id already exported: two processes write the same files, bytes, counts and failures,
    in the files' order, as one."""
    docs = [sample_document(f"art-{n:02d}") if n % 3 else french_only(f"art-{n:02d}")
            for n in range(40)]
    paths = write_tei_files(tmp_path / "tei", docs)
    copy = tmp_path / "tei" / "zz-copy.xml"
    copy.write_bytes(paths[5].read_bytes())
    broken = tmp_path / "tei" / "art-07b.xml"
    broken.write_text("<TEI><oops></TEI>", encoding="utf-8")
    assert len(docs) >= 2 * CHUNK
    runs = {jobs: (ex.export([tmp_path / "tei"], "all", "both", tmp_path / f"o{jobs}",
                             jobs=jobs), tmp_path / f"o{jobs}") for jobs in (1, 2)}
    (one, out1), (two, out2) = runs[1], runs[2]
    assert [p.relative_to(out1) for p in one.written] == \
        [p.relative_to(out2) for p in two.written]
    assert (one.documents, one.doc_counts, one.entity_counts, one.skipped) == \
        (two.documents, two.doc_counts, two.entity_counts, two.skipped)
    assert one.failed == two.failed
    assert [where for where, _ in one.failed] == [str(broken), str(copy)]
    assert "cannot read TEI" in one.failed[0][1]
    assert f"already exported from {paths[5]}" in one.failed[1][1]
    files = sorted(p.relative_to(out1) for p in out1.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(out2) for p in out2.rglob("*") if p.is_file())
    assert all((out1 / f).read_bytes() == (out2 / f).read_bytes() for f in files)
    assert one.doc_counts["xmi", "fr"] == 40 and one.doc_counts["xmi", "en"] == 26


def test_an_id_seen_only_in_a_file_that_could_not_be_read_is_exported(tmp_path: Path) -> None:
    """A file cut half-way starts like the article it was: its id is no reason to refuse
    the whole file of the same id that comes after it."""
    [good] = write_tei_files(tmp_path / "tei", [sample_document("art-x")])
    data = good.read_bytes()
    cut = tmp_path / "tei" / "a-cut.xml"
    cut.write_bytes(data[: len(data) // 2])
    result = ex.export([tmp_path / "tei"], "doccano", "fr", tmp_path / "o", jobs=2)
    assert [where for where, _ in result.failed] == [str(cut)]
    assert "cannot read TEI" in result.failed[0][1]
    assert (tmp_path / "o/doccano/fr/art-x.jsonl").is_file()
    assert result.doc_counts["doccano", "fr"] == 1


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
                found.append(int(entry.name))
    return found


@pytest.mark.parametrize(("sig", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_stopped_export_stops_its_workers_and_leaves_no_temporary_file(
        tmp_path: Path, sig: signal.Signals, status: int) -> None:
    """Ctrl-C or SIGTERM to the export alone: exit 130 / 143 at once, its workers gone
    (nothing is written after it ended), no temporary file in the exports."""
    paths = write_tei_files(tmp_path / "tei", [sample_document(f"art-{n:03d}")
                                               for n in range(300)])
    out = tmp_path / "out"
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # as from a terminal
    try:
        proc = subprocess.Popen([sys.executable, "-m", "pipeline", "export", "-j", "2", "-q",
                                 str(paths[0].parent), "-o", str(out)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    finally:
        signal.signal(signal.SIGINT, previous)
    deadline = time.monotonic() + 120
    while len(list(out.glob("xmi/fr/*.xmi")) if out.exists() else []) < 5:
        assert proc.poll() is None and time.monotonic() < deadline, "no export under way"
        time.sleep(0.01)
    workers = _children(proc.pid)
    assert len(workers) >= 2
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == status
    assert err.decode().strip().splitlines()[-1] == \
        "interrupted; finished documents are kept; rerun to resume"
    time.sleep(0.5)
    for pid in workers:
        assert not os.path.exists(f"/proc/{pid}") or "Z" in \
            Path(f"/proc/{pid}/stat").read_text().split(") ")[1][:1], f"worker {pid} left"
    files = sorted(p for p in out.rglob("*") if p.is_file())
    assert len(list(out.glob("xmi/fr/*.xmi"))) < 300, "the export ended before the signal"
    assert [p for p in files if is_temp_name(p.name)] == []
    time.sleep(1)
    assert sorted(p for p in out.rglob("*") if p.is_file()) == files


def test_a_file_named_twice_is_exported_once(tmp_path: Path) -> None:
    [path] = write_tei_files(tmp_path / "tei", [sample_document("art-x")])
    result = ex.export([path, path], "doccano", "fr", tmp_path / "o", jobs=2)
    assert result.documents == 2 and result.doc_counts["doccano", "fr"] == 1
    assert result.failed == [(str(path), f"document id art-x already exported from {path}")]
