"""Language identification (issue 16): other scripts are never French, and an article's
language is that of the majority of its text."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from pipeline.cli import main
from pipeline.document import Document, Side, Source
from pipeline.stages import table
from pipeline.stages.langid import detect_language, majority_language

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

ARABIC = """العالم

العراق والولايات المتحدة تتفقان على مناقشة جدول زمني لانسحاب القوات

قالت وزارة الخارجية العراقية يوم الخميس إن بغداد وواشنطن اتفقتا على تشكيل لجنة \
ستتفاوض على جدول زمني للانسحاب التدريجي للقوات الأمريكية من البلاد.

وأضافت الوزارة في بيان أن المحادثات ستتناول مستقبل التحالف العسكري الذي تقوده \
الولايات المتحدة والذي تشكل في عام 2014 لمحاربة تنظيم الدولة الإسلامية.
"""

FRENCH = ("Selon le communiqué publié jeudi par le gouvernement, les négociations entre "
          "Bagdad et Washington porteront sur le calendrier du retrait progressif des "
          "conseillers militaires américains encore présents sur plusieurs bases, dans "
          "l'ouest et le nord du pays, ainsi que sur l'avenir de la coalition.")
ENGLISH = ("The head of the ministry said that the members of the committee and the staff "
           "of the embassy would meet at the end of the month.")


@pytest.mark.parametrize(("text", "code"), [
    (ARABIC, "ar"),
    ("Министр иностранных дел Ирака заявил в четверг, что переговоры начнутся", "ru"),
    ("Ο υπουργός Εξωτερικών δήλωσε την Πέμπτη ότι οι συνομιλίες θα αρχίσουν", "el"),
])
def test_text_in_another_script_is_never_taken_for_french(text: str, code: str) -> None:
    lang, confidence = detect_language(text)
    assert lang == code and confidence > 0.9


def test_a_few_foreign_letters_leave_a_french_text_french() -> None:
    assert detect_language(FRENCH + " (Путин)")[0] == "fr"


def test_a_mixed_article_is_decided_by_the_majority_of_its_text() -> None:
    lang, share = majority_language([FRENCH, ENGLISH])
    assert lang == "fr" and 0.6 < share < 0.8
    assert majority_language([ENGLISH, ENGLISH, ENGLISH, FRENCH])[0] == "en"


def test_an_arabic_article_is_routed_as_not_french(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    inp = tmp_path / "in"
    inp.mkdir()
    (inp / "arabic.txt").write_text(ARABIC, encoding="utf-8")
    (inp / "mixed.txt").write_text(f"Politique\n\n{FRENCH}\n\n{ENGLISH}\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", str(inp), "-o", str(out), "-q", "--stages", "clean,tei,corpus"]) == 0
    arabic = etree.parse(str(out / "tei" / "art-arabic.xml")).getroot()
    assert arabic.get(XML_LANG) == "ar"
    mixed = etree.parse(str(out / "tei" / "art-mixed.xml")).getroot()
    assert mixed.get(XML_LANG) == "fr"
    body = "".join(mixed.find("{http://www.tei-c.org/ns/1.0}text").itertext())
    assert "members of the committee" in body  # the English paragraph is kept, not cut
    doc = Document(id="art-arabic", source=Source("a.txt", "a.txt", "", 0))
    doc.original = Side("ar")

    class Context:  # a run with every stage and every engine
        user_stages = ("clean", "analyse", "translate", "link", "tei")

        def has_engine(self, key: str) -> bool:
            return True

    table._language_notes(doc, Context())  # type: ignore[arg-type]
    assert {n.code for n in doc.notes} == {"not-translated", "not-analysed"}
