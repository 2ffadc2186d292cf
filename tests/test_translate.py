"""The translate stage: alignment, carried-over sentences, cache and provenance, with
real engines (the synthetic Argos package the tests build, and Apertium where installed)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pipeline.document import (
    FOREIGN,
    PARA_SEP,
    PROJECTION,
    Document,
    Mention,
    Paragraph,
    Sentence,
    Source,
)
from pipeline.engines import apertium
from pipeline.engines.argos import ArgosTranslator
from pipeline.engines.install import install_argos
from pipeline.run.runner import Settings, run
from pipeline.stages.entities import UNKNOWN
from pipeline.stages.translate import TranslationCache, translate

try:
    from synthetic_argos import build_synthetic_argos
except ImportError:  # tests/ not on sys.path (importlib import mode)
    from tests.synthetic_argos import build_synthetic_argos


class Recording:
    """Wraps a real engine and records what reaches it (its output is untouched)."""

    def __init__(self, engine: object) -> None:
        self.engine = engine
        self.name = engine.name  # type: ignore[attr-defined]
        self.seen: list[str] = []

    def __getattr__(self, name: str) -> object:
        return getattr(self.engine, name)

    def translate(self, sentences: list[str]) -> list[str]:
        self.seen.extend(sentences)
        return self.engine.translate(sentences)  # type: ignore[attr-defined]

    def translate_marked(self, sentences: list[str]) -> list[str]:
        self.seen.extend(sentences)
        return self.engine.translate_marked(sentences)  # type: ignore[attr-defined]


def make_doc(doc_id: str, paragraphs: list[list[str]]) -> Document:
    """A document whose original side is already split into sentences."""
    doc = Document(id=doc_id, source=Source(doc_id, doc_id, "0" * 64, 0))
    texts, pos = [], 0
    for n, sents in enumerate(paragraphs, 1):
        para = Paragraph(f"{doc_id}.fr.p{n}", pos, pos, "head" if n == 1 else "p")
        for m, s in enumerate(sents, 1):
            if m > 1:
                pos += 1
            para.sentences.append(Sentence(f"{para.id}.s{m}", pos, pos + len(s), s))
            pos += len(s)
        para.end = pos
        texts.append(" ".join(sents))
        doc.original.paragraphs.append(para)
        pos += len(PARA_SEP)
    doc.original.text = PARA_SEP.join(texts)
    return doc


ARTICLE = [
    ["Les États-Unis vont retirer des troupes d'Irak"],
    ["Le secrétaire à la Défense a confirmé la tenue de réunions dans les prochains jours.",
     "« … »",
     "Bagdad a envoyé une demande écrite à la Maison Blanche."],
    ["US Rep. Ilhan Omar talks with Speaker of the House Nancy Pelosi during a rally.",
     "Les discussions porteront sur la transition."],
]


def argos_package(tmp: Path, version: str) -> Path:
    archive = build_synthetic_argos(tmp / f"build-{version}", package_version=version)
    return install_argos(archive, tmp / f"packages-{version}")


@pytest.fixture(scope="module")
def argos_engine(tmp_path_factory: pytest.TempPathFactory) -> ArgosTranslator:
    return ArgosTranslator(argos_package(tmp_path_factory.mktemp("argos"), "1.0"))


def test_every_sentence_gets_exactly_one_aligned_translation(
        argos_engine: ArgosTranslator) -> None:
    docs = [make_doc("art-a", ARTICLE), make_doc("art-b", ARTICLE[1:])]
    translate(docs, argos_engine, TranslationCache(None))
    for doc in docs:
        side = doc.translation
        assert side is not None
        src = doc.original.sentences()
        out = side.sentences()
        assert [s.corresp for s in out] == [s.id for s in src]
        assert [p.kind for p in side.paragraphs] == [p.kind for p in doc.original.paragraphs]
        for s in out:
            assert s.id == s.corresp.replace(".fr.", ".en.")  # type: ignore[union-attr]
            assert side.text[s.start : s.end] == s.text and s.text
        assert [len(p.sentences) for p in side.paragraphs] == [
            len(p.sentences) for p in doc.original.paragraphs]
    head = docs[0].translation.paragraphs[0]  # type: ignore[union-attr]
    assert docs[0].meta.title_en == docs[0].translation.text[head.start : head.end]  # type: ignore[union-attr]


def test_non_french_and_empty_sentences_never_reach_the_engine(
        argos_engine: ArgosTranslator) -> None:
    engine = Recording(argos_engine)
    doc = make_doc("art-c", ARTICLE)
    translate([doc], engine, TranslationCache(None))  # type: ignore[arg-type]
    english = ARTICLE[2][0]
    assert "« … »" not in engine.seen and english not in engine.seen
    assert len(engine.seen) == 4
    by_text = {s.text: s for s in doc.translation.sentences()}  # type: ignore[union-attr]
    assert by_text["« … »"].untranslated == "no words to translate"
    carried = by_text[english]
    assert carried.lang == "en" and carried.untranslated.startswith("not fr")  # type: ignore[union-attr]
    assert any(n.code == "untranslated" for n in doc.notes)


def test_cache_makes_reruns_free_and_a_new_model_invalidates_it(
        argos_engine: ArgosTranslator, tmp_path: Path) -> None:
    cache = TranslationCache(tmp_path / "mt.sqlite")
    first = Recording(argos_engine)
    translate([make_doc("art-d", ARTICLE)], first, cache)  # type: ignore[arg-type]
    assert len(first.seen) == 4
    again = Recording(argos_engine)
    doc = make_doc("art-e", ARTICLE)
    translate([doc], again, cache)  # type: ignore[arg-type]
    assert again.seen == []  # every sentence came from the cache
    newer = Recording(ArgosTranslator(argos_package(tmp_path, "1.1")))
    translate([make_doc("art-f", ARTICLE)], newer, cache)  # type: ignore[arg-type]
    assert len(newer.seen) == 4  # another model version: nothing reused
    cache.close()


def test_repeated_sentences_are_translated_once(argos_engine: ArgosTranslator) -> None:
    engine = Recording(argos_engine)
    docs = [make_doc(f"art-r{i}", ARTICLE) for i in range(3)]
    translate(docs, engine, TranslationCache(None))  # type: ignore[arg-type]
    assert len(engine.seen) == len(set(engine.seen)) == 4


def test_provenance_names_engine_model_and_checksum(argos_engine: ArgosTranslator) -> None:
    doc = make_doc("art-g", ARTICLE)
    translate([doc], argos_engine, TranslationCache(None))
    mt = [a for a in doc.apps if a.layer == "mt"]
    idents = {a.ident for a in mt}
    assert "argostranslate" in idents or "argos" in " ".join(idents)
    assert any(a.sha256 and len(a.sha256) == 64 for a in mt)


@pytest.mark.skipif(not apertium.is_available(), reason="Apertium fr->es->en is not installed")
def test_apertium_translates_a_batch_line_for_line() -> None:
    engine = apertium.ApertiumTranslator()
    src = ["Les États-Unis ont déclaré qu’ils réduiraient leurs effectifs en Irak.",
           "Bonjour.", "Bagdad est la capitale de l'Irak."] * 70  # > one batch per worker
    out = engine.translate(src)
    assert len(out) == len(src)
    assert "United States" in out[0] and "Iraq" in out[0]
    assert out[1] and "Bonjour" not in out[1]
    assert out[2] == out[5] and "Baghdad" in out[2]
    app = engine.applications()[0]
    assert app.ident == "apertium" and app.sha256 and "fr-es" in app.label


@pytest.mark.skipif(not apertium.is_available(), reason="Apertium fr->es->en is not installed")
def test_a_run_with_the_argos_package_uses_it_end_to_end(
        tmp_path: Path, seeds_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    argos_package(tmp_path, "1.0")
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(tmp_path / "packages-1.0"))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    inp = tmp_path / "in"
    inp.mkdir()
    shutil.copy(seeds_dir / "004_8cab881343aabe4f.txt", inp)
    report = run(Settings(inputs=[str(inp)], output=tmp_path / "out", verbosity=-1))
    assert report.exit_status() == 0
    data = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert data["engines"]["mt"].startswith("argos:")
    tei = (tmp_path / "out" / "tei" / "art-004_8cab881343aabe4f.xml").read_text(encoding="utf-8")
    assert 'ident="argostranslate"' in tei or "argos" in tei


def with_names(doc: Document, names: dict[str, str]) -> Document:
    """Mentions for each (surface -> label) found in the document's sentences."""
    for sent in doc.original.sentences():
        for surface, label in names.items():
            at = sent.text.find(surface)
            if at >= 0:
                a = sent.start + at
                sent.mentions.append(Mention(a, a + len(surface), label, surface))
        sent.mentions.sort(key=lambda m: m.start)
    return doc


NAMED = [["L’Irak et les États-Unis conviennent de discuter du retrait."],
         ["La base aérienne d’al-Asad a été visée par le Kataib Hezbollah et par l’EI.",
          "Mohamed Chia al-Soudani a demandé prochainement le départ des milices chiites."]]
NAMES = {"Irak": "LOC", "États-Unis": "LOC", "al-Asad": "LOC", "Kataib Hezbollah": "ORG",
         "EI": "ORG", "Mohamed Chia al-Soudani": "PER"}


@pytest.mark.skipif(not apertium.is_available(), reason="Apertium fr->es->en is not installed")
def test_apertium_names_are_projected_and_no_pivot_word_is_left() -> None:
    doc = with_names(make_doc("art-n", NAMED), NAMES)
    engine = apertium.ApertiumTranslator()
    translate([doc], engine, TranslationCache(None))
    side = doc.translation
    assert side is not None
    text = side.text
    for name in ("Iraq and the United States", "of al-Asad", "Kataib Hezbollah", "IS",
                 "Mohamed Chia al-Soudani"):
        assert name in text
    assert "próximamente" not in text and "chiítas" not in text and UNKNOWN not in text
    projected = [m for s in side.sentences() for m in s.mentions if m.method == PROJECTION]
    assert sorted(m.text for m in projected) == sorted(
        ["Iraq", "United States", "al-Asad", "Kataib Hezbollah", "IS",
         "Mohamed Chia al-Soudani"])
    for s in side.sentences():
        for m in s.mentions:
            assert text[m.start : m.end] == m.text and s.start <= m.start < m.end <= s.end
    assert all(m.origin is not None and m.origin.label == m.label for m in projected)
    foreign = [m for s in side.sentences() for m in s.mentions if m.label == FOREIGN]
    counted = [n for n in doc.notes if n.code == "untranslated-words"]
    assert (len(counted) == 1) == bool(foreign)
    engine.close()


def test_argos_names_are_projected_where_the_output_has_them(
        argos_engine: ArgosTranslator) -> None:
    """A neural engine may rewrite placeholders: the sentence goes as it is and the
    English form is searched for; what the (random) model did not write is not invented."""
    doc = with_names(make_doc("art-s", NAMED), NAMES)
    engine = Recording(argos_engine)
    translate([doc], engine, TranslationCache(None))  # type: ignore[arg-type]
    assert any("Irak" in s for s in engine.seen)  # no placeholders for argos
    side = doc.translation
    assert side is not None
    for s in side.sentences():
        for m in s.mentions:
            assert m.method == PROJECTION and side.text[m.start : m.end] == m.text


@pytest.mark.skipif(not apertium.is_available(), reason="Apertium fr->es->en is not installed")
def test_a_name_the_first_step_leaves_unchanged_is_not_read_in_the_pivot_language() -> None:
    # « Goma » is no French word: fr-es passes it through, and spa-eng reads Spanish
    # « goma » (rubber). « Édimbourg » the first step knows: the engine's "Edinburgh" stays.
    doc = with_names(make_doc("art-g", [["Les rebelles ont atteint Goma.",
                                         "Il est arrivé à Édimbourg."]]),
                     {"Goma": "LOC", "Édimbourg": "LOC"})
    engine = apertium.ApertiumTranslator()
    translate([doc], engine, TranslationCache(None))
    side = doc.translation
    assert side is not None
    assert "Goma" in side.text and "Rub" not in side.text and "Edinburgh" in side.text
    projected = {m.text for s in side.sentences() for m in s.mentions if m.method == PROJECTION}
    assert projected == {"Goma", "Edinburgh"}
    engine.close()
