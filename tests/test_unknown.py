"""Words the MT did not know (pipeline/stages/unknown.py): other pivots, else foreign."""

from __future__ import annotations

import pytest

from pipeline.engines import apertium
from pipeline.stages import entities, unknown
from pipeline.stages.entities import UNKNOWN, Form, Projected

U = UNKNOWN


def item(source: str, marked: str, spans: list[tuple[int, int]] | None = None) -> unknown.Item:
    proj = Projected(marked, [(a, b, Form(marked[a:b], "kept"), None)  # type: ignore[misc]
                              for a, b in spans or []])
    return unknown.Item(source, [], proj)


def test_classify_names_french_and_pivot_words() -> None:
    it = item("Contrer Hezbollah prochainement avec les missiles balistiques.",
              f"{U}Contrer {U}Hezbollah {U}próximamente with the missiles {U}balistiques.")
    names, french, pivot = unknown.classify(it)
    assert names == {"Hezbollah"}  # capitalised inside the sentence
    assert french == {"Contrer", "balistiques"}  # the first word is no evidence of a name
    assert pivot == {"próximamente"}


def test_origin_by_first_step_then_by_spelling() -> None:
    cands = {"prochainement": "próximamente", "chiites": "chiítas", "missiles": "misiles"}
    assert unknown.origin("próximamente", cands) == "prochainement"
    assert unknown.origin("chiíta", cands) == "chiites"
    assert unknown.origin("zzz", cands) is None


def test_rebuild_moves_projected_spans_and_marks_foreign_words() -> None:
    text = f"The {U}chiítas of Iraq and {U}contrer."
    at = text.index("Iraq")
    it = item("Les chiites d'Irak et contrer.", text, [(at, at + 4)])
    it.choice = {"chiítas": ("Shiites", False), "contrer": ("contrer", True)}
    out = unknown.rebuild(it)
    assert out.text == "The Shiites of Iraq and contrer."
    a, b, _, _ = out.spans[0]
    assert out.text[a:b] == "Iraq"
    assert out.foreign_words() == ["contrer"] and out.by_fallback == 1


@pytest.mark.skipif(not apertium.is_available(), reason="Apertium fr->es->en is not installed")
def test_no_pivot_word_reaches_english() -> None:
    engine = apertium.ApertiumTranslator()
    source = "Ils prévoient d'entamer prochainement des négociations avec les milices chiites."
    marked = engine.translate_marked([source])[0]
    assert f"{U}próximamente" in marked  # Spanish the second step did not know
    it = unknown.Item(source, [], entities.Projected(marked))
    [out] = unknown.resolve([it], engine.first_step,
                            [f.translate_marked for f in engine.fallbacks()])
    assert "próximamente" not in out.text and UNKNOWN not in out.text
    if engine.fallbacks():
        assert "soon" in out.text or "shortly" in out.text
    else:  # no other pivot: the French word stays, marked foreign
        assert "prochainement" in out.foreign_words()
    engine.close()
