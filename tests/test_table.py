"""The stage table: declared order checked, selection by stages and engines, documents
routed by language, and the clean stage owning paragraph ids."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from pipeline.document import Document, Source
from pipeline.stages.table import (
    BY_NAME,
    INGEST_ASSIGNS,
    TABLE,
    USER_STAGES,
    GivenEngines,
    check_order,
    run_stages,
)


def test_the_table_is_in_an_order_that_satisfies_every_requirement() -> None:
    check_order(TABLE)
    assert [s.name for s in TABLE] == ["clean", "analyse", "translate", "analyse-en", "link",
                                       "tei"]
    for stage in TABLE:
        assert set(stage.selected_by) <= set(USER_STAGES)


def test_a_stage_before_what_it_requires_is_refused() -> None:
    analyse, clean = BY_NAME["analyse"], BY_NAME["clean"]
    with pytest.raises(ValueError, match=r"'analyse' requires original\.lang"):
        check_order((analyse, clean))
    with pytest.raises(ValueError, match=r"requires translation\.sentences"):
        check_order((BY_NAME["clean"], BY_NAME["analyse-en"]), INGEST_ASSIGNS)
    with pytest.raises(ValueError, match="requires nothing-makes-this"):
        check_order((replace(clean, requires=frozenset({"nothing-makes-this"})),))


def test_selection_follows_stages_and_chosen_engines() -> None:
    everything = GivenEngines(annotators={"nlp-fr": object(), "nlp-en": object()},  # type: ignore[dict-item]
                              translator=object())  # type: ignore[arg-type]
    assert all(s.selected(everything) for s in TABLE)
    no_mt = GivenEngines(annotators={"nlp-fr": object()})  # type: ignore[dict-item]
    assert [s.name for s in TABLE if s.selected(no_mt)] == ["clean", "analyse", "link", "tei"]
    skip = GivenEngines(user_stages=("clean", "tei"),
                        annotators={"nlp-fr": object()})  # type: ignore[dict-item]
    assert [s.name for s in TABLE if s.selected(skip)] == ["clean", "tei"]


def test_clean_owns_paragraph_ids_and_notes_what_other_languages_get(seed_files: list[Path]
                                                                    ) -> None:
    text = seed_files[0].read_text(encoding="utf-8")
    fr = Document(id="art-x", source=Source("x.txt", "x.txt", "0" * 64, len(text)))
    fr.original.text = text
    english = "The minister said on Monday that the talks would go on. " * 8
    en = Document(id="art-y", source=Source("y.txt", "y.txt", "0" * 64, len(english)))
    en.original.text = "Talks go on\n\n" + english
    run_stages([fr, en], GivenEngines(), ("clean",))
    assert fr.original.lang == "fr"
    ids = [p.id for p in fr.original.paragraphs]
    assert ids[:2] == ["art-x.fr.p1", "art-x.fr.p2"] and len(set(ids)) == len(ids)
    assert en.original.lang == "en" and en.original.paragraphs[0].id == "art-y.en.p1"
    codes = [n.code for n in en.notes]
    assert "not-translated" in codes and "not-analysed" in codes  # no model was given
