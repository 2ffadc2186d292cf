"""Names through MT (pipeline/stages/entities.py): English forms, placeholders that
survive the pivot chain, projection of the English mention."""

from __future__ import annotations

import pytest

from pipeline.document import PROJECTION, Mention, Sentence
from pipeline.engines import apertium
from pipeline.stages import entities

needs_apertium = pytest.mark.skipif(not apertium.is_available(),
                                    reason="Apertium fr->es->en is not installed")


def sentence(text: str, names: list[tuple[str, str]], start: int = 0) -> Sentence:
    """A French sentence at ``start`` with mentions of the given (surface, label)."""
    mentions = []
    for surface, label in names:
        a = text.index(surface)
        mentions.append(Mention(start + a, start + a + len(surface), label, surface))
    return Sentence("d.fr.p1.s1", start, start + len(text), text, mentions=mentions)


@pytest.mark.parametrize(("french", "english"), [
    ("Irak", "Iraq"), ("État islamique", "Islamic State"), ("EI", "IS"),
    ("Daech", "Daesh"), ("OTAN", "NATO"), ("Proche-Orient", "Middle East"),
    ("Hachd al-Chaabi", "Hashd al-Shaabi"), ("États-Unis", "United States"),
    ("Pékin", "Beijing"), ("Cisjordanie", "West Bank"),
])
def test_alias_table_gives_the_english_form(french: str, english: str) -> None:
    form = entities.alias_form(french)
    assert form is not None and form.text == english and form.how == "alias"


def test_people_and_capitalised_names_are_kept_as_written() -> None:
    per = Mention(0, 0, "PER", "Mohamed Chia al-Soudani")
    assert entities.decide(per) == entities.Form("Mohamed Chia al-Soudani", "kept")
    assert entities.decide(Mention(0, 0, "ORG", "La Tribune Dimanche")).how == "kept"  # type: ignore[union-attr]
    assert entities.decide(Mention(0, 0, "ORG", "Al Hachd al-Chaabi")).how == "kept"  # type: ignore[union-attr]
    # a descriptive name goes to the engine alone
    assert entities.decide(Mention(0, 0, "ORG", "Parlement irakien")) is None
    assert entities.from_engine("Parlement irakien", "The Iraqi Parliament").text == \
        "Iraqi Parliament"
    unknown = f"Movement {entities.UNKNOWN}Nujaba"
    assert entities.from_engine("Mouvement Nujaba", unknown) == \
        entities.Form("Mouvement Nujaba", "kept")


def test_placeholders_replace_names_and_come_back() -> None:
    sent = sentence("Le groupe État islamique a frappé l'Irak.",
                    [("État islamique", "ORG"), ("Irak", "LOC")], start=40)
    protected = entities.protect(sent)
    assert "État" not in protected.text and "Irak" not in protected.text
    (w1, m1), (w2, m2) = protected.slots
    assert (m1.text, m2.text) == ("État islamique", "Irak")
    forms = {m.text: entities.decide(m) for _, m in protected.slots}
    out = entities.substitute(f"The group {w1} has struck the {w2}.", protected, forms)  # type: ignore[arg-type]
    assert out.text == "The group Islamic State has struck Iraq."  # no "the" before Iraq
    assert [(out.text[a:b], m.text) for a, b, _, m in out.spans] == \
        [("Islamic State", "État islamique"), ("Iraq", "Irak")]
    mentions = entities.projected_mentions(out.spans, 100)
    assert mentions[0].start == 110 and mentions[0].method == PROJECTION
    assert mentions[0].origin is m1


def test_a_lost_placeholder_is_reported_and_searched_for() -> None:
    sent = sentence("Washington et Bagdad discutent.", [("Washington", "LOC"), ("Bagdad", "LOC")])
    protected = entities.protect(sent)
    (w1, _), _ = protected.slots
    forms = {"Washington": entities.Form("Washington", "kept"),
             "Bagdad": entities.decide(sent.mentions[1])}
    out = entities.substitute(f"{w1} and Baghdad converse.", protected, forms)  # type: ignore[arg-type]
    assert [m.text for m in out.lost] == ["Bagdad"]
    found = entities.search(out.text, out.lost, forms, [(a, b) for a, b, _, _ in out.spans])  # type: ignore[arg-type]
    assert [(out.text[a:b], f.text) for a, b, f, _ in found] == [("Baghdad", "Baghdad")]


@needs_apertium
@pytest.mark.parametrize(("french", "names", "wanted"), [
    ("La base aérienne d’al-Asad a été frappée par le Kataib Hezbollah.",
     [("al-Asad", "LOC"), ("Kataib Hezbollah", "ORG")], ["of al-Asad", "Kataib Hezbollah"]),
    ("L’Irak et les États-Unis conviennent de discuter.",
     [("Irak", "LOC"), ("États-Unis", "LOC")], ["Iraq and the United States"]),
    ("Les soldats du Kataib Hezbollah sont arrivés aux États-Unis avec Mohamed Chia al-Soudani.",
     [("Kataib Hezbollah", "ORG"), ("États-Unis", "LOC"), ("Mohamed Chia al-Soudani", "PER")],
     ["Kataib Hezbollah", "the United States", "Mohamed Chia al-Soudani"]),
    ("Washington et Bagdad envisagent des négociations.",
     [("Washington", "LOC"), ("Bagdad", "LOC")], ["Washington and Baghdad"]),
])
def test_names_survive_both_steps_of_the_pivot_chain(
        french: str, names: list[tuple[str, str]], wanted: list[str]) -> None:
    engine = apertium.ApertiumTranslator()
    sent = sentence(french, names)
    protected = entities.protect(sent)
    forms = {m.text: entities.decide(m) or entities.Form(m.text, "kept") for m in sent.mentions}
    marked = engine.translate_marked([protected.text])[0]
    out = entities.substitute(" ".join(marked.split()), protected, forms)
    assert not out.lost
    for piece in wanted:
        assert piece in out.text
    assert len(out.spans) == len(names)
    for a, b, form, _ in out.spans:
        assert out.text[a:b] == form.text


def test_name_parts_outside_mentions_and_a_leading_al_are_kept() -> None:
    sent = sentence("Les tirs visaient la base d'al-Asad et Al Hachd al-Chaabi.",
                    [("Hachd al-Chaabi", "ORG")])
    protected = entities.protect(sent)
    assert "al-Asad" not in protected.text and "Al " not in protected.text
    assert list(protected.kept.values()) == ["al-Asad"]
    (word, _), = protected.slots
    assert protected.prefix == {word: "Al "}
    kept = next(iter(protected.kept))
    forms = {"Hachd al-Chaabi": entities.decide(sent.mentions[0])}
    out = entities.substitute(f"The shots aimed the base of {kept} and {word}.", protected,
                              forms)  # type: ignore[arg-type]
    assert out.text == "The shots aimed the base of al-Asad and Al Hashd al-Shaabi."
    assert [out.text[a:b] for a, b, _, _ in out.spans] == ["Al Hashd al-Shaabi"]


def test_a_name_translated_alone_takes_its_article_and_keeps_its_name_parts() -> None:
    sent = sentence("Ils visaient la base d’al-Asad.", [("base d’al-Asad", "LOC")])
    alone = entities.with_article(sent, sent.mentions[0])
    assert alone == "la base d’al-Asad"
    shielded, kept = entities.shield(alone)
    assert "al-Asad" not in shielded and list(kept.values()) == ["al-Asad"]
    word = next(iter(kept))
    back = entities.unshield(f"The base of {entities.UNKNOWN}{word}", kept)
    assert entities.from_engine(sent.mentions[0].text, back).text == "base of al-Asad"


def test_capitalised_hyphenated_compounds_are_names() -> None:
    # a mention: kept as written, unless the alias table names it
    assert entities.decide(Mention(0, 0, "LOC", "Port-au-Prince")) == \
        entities.Form("Port-au-Prince", "kept")
    assert entities.decide(Mention(0, 0, "LOC", "Proche-Orient")).text == "Middle East"  # type: ignore[union-attr]
    # outside mentions: shielded as written, common compounds and named ones left alone
    sent = sentence("Peut-être à Aix-en-Provence, le porte-parole a vu Saint-Denis et "
                    "les États-Unis.", [])
    protected = entities.protect(sent)
    assert sorted(protected.kept.values()) == ["Aix-en-Provence", "Saint-Denis"]
    assert "Peut-être" in protected.text and "porte-parole" in protected.text
    assert "États-Unis" in protected.text


@needs_apertium
def test_compounds_outside_mentions_survive_the_pivot_chain() -> None:
    engine = apertium.ApertiumTranslator()
    sent = sentence("Le conseil a nommé un ministre à Port-au-Prince et à Aix-en-Provence.", [])
    protected = entities.protect(sent)
    marked = engine.translate_marked([protected.text])[0]
    out = entities.substitute(" ".join(marked.split()), protected, {})
    assert "Port-au-Prince" in out.text and "Aix-en-Provence" in out.text


@pytest.mark.parametrize(("french", "english"), [
    ("Odessa", "Odesa"), ("Darfour", "Darfur"), ("Forces de soutien rapide",
                                                   "Rapid Support Forces"),
    ("Médecins sans frontières", "Doctors Without Borders"), ("Birmanie", "Myanmar"),
    ("RDC", "DRC"), ("Assemblée nationale", "National Assembly"),
])
def test_world_news_names_whose_spellings_differ(french: str, english: str) -> None:
    form = entities.alias_form(french)
    assert form is not None and form.text == english


def test_the_rest_of_a_hyphenated_word_a_mention_stops_inside_is_kept() -> None:
    sent = sentence("Après l'investiture de Lai Ching-te à Taipei.", [("Lai Ching", "PER")])
    protected = entities.protect(sent)
    assert "Ching" not in protected.text and "-te" not in protected.text
    (word, m), = protected.slots
    assert protected.suffix == {word: "-te"}
    out = entities.substitute(f"After the investiture of {word} in Taipei.", protected,
                              {m.text: entities.Form(m.text, "kept")})
    assert out.text == "After the investiture of Lai Ching-te in Taipei."
    assert [out.text[a:b] for a, b, _, _ in out.spans] == ["Lai Ching-te"]


def test_a_capitalised_article_inside_a_sentence_belongs_to_the_name() -> None:
    sent = sentence("Il l'a dit au journal Le Monde, puis à La Défense. Le Caire attend.",
                    [("Monde", "ORG"), ("Défense", "LOC"), ("Caire", "LOC")])
    protected = entities.protect(sent)
    (w1, _), (w2, _), (w3, _) = protected.slots
    assert protected.whole == {w1: "Le Monde", w2: "La Défense"}  # not after a full stop
    assert "Le Monde" not in protected.text and "La Défense" not in protected.text
    forms = {"Monde": entities.Form("World", "translated"),
             "Défense": entities.Form("Defence", "translated"),
             "Caire": entities.Form("Cairo", "alias")}
    out = entities.substitute(f"He said it to the newspaper {w1}, then to {w2}. The {w3} waits.",
                              protected, forms)
    assert out.text == "He said it to the newspaper Le Monde, then to La Défense. Cairo waits."
    assert entities.alias_form("Le Caire").text == "Cairo"  # type: ignore[union-attr]
