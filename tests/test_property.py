"""Property: any text, through ingest's sanitising, clean and the TEI writer, gives
well-formed XML, a valid TEI file, and keeps every character the cleaner kept.

hypothesis builds pages from random Unicode lines (any script, emoji, combining marks,
characters XML forbids, markup), French-like sentences, and boilerplate lines taken from
the cleaning rules' own examples, joined by LF, CRLF, lone CR and blank lines. The
examples are derandomised (the same in CI every time); set PROPERTY_EXAMPLES to run
more, PROPERTY_RANDOM=1 to explore new ones.

Schema validity needs jing (one call for all examples), so the valid-TEI check is the
second test: it validates what the first one wrote.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from pipeline.document import PARA_SEP, Document, Source
from pipeline.errors import CODES, DocumentError
from pipeline.ingest import files as ingest
from pipeline.stages import clean
from pipeline.tei import codec as tei

TEI_NS = {"t": "http://www.tei-c.org/ns/1.0"}
RUN = tei.RunInfo(when="2023-11-14T22:13:20Z", version="0.1.0", command="property test")
EXAMPLES = int(os.environ.get("PROPERTY_EXAMPLES", "120"))

#: TEI files written by the first test: name -> (bytes, the input that made them)
WRITTEN: dict[str, tuple[bytes, str]] = {}


def _rule_examples() -> list[str]:
    rules = clean.load_rules()
    return sorted({ex for r in rules.rules for ex in r.examples}) or ["Partager sur Facebook"]


WORDS = ("le la les de des un une et est à pour que qui dans sur avec ministre président "
         "Irak Bagdad États-Unis l’armée d’Irak gouvernement a déclaré jeudi accord "
         "négociations forces « retrait » 2024 5 000 Lloyd Austin").split()

any_char = st.characters(
    blacklist_categories=("Cs",),  # lone surrogates cannot be in a decoded file
)
specials = st.sampled_from(list(
    "\u00a0\u202f\u2009\u200b\u200d\ufeff\ufffd\ufffe\uffff\x00\x01\x07\x0b\x0c\x1b\x7f\x85"
    "«»“”’'\"<>&;]]>…–—·•©®™€œŒæçÇéÉèÈêàÀâùûüïîôö¿¡ñ日本語한국어العربيةעבריתРусский🙂👍🏽e\u0301"
))
random_line = st.text(alphabet=st.one_of(any_char, specials), max_size=120)
sentence = st.builds(
    lambda ws, end: " ".join(ws).capitalize() + end,
    st.lists(st.sampled_from(WORDS), min_size=3, max_size=30),
    st.sampled_from([".", " !", " ?", "…", ".»", "", ":", ";"]),
)
paragraph = st.lists(sentence, min_size=1, max_size=4).map(" ".join)
markup = st.sampled_from(["<script>alert(1)</script>", "AT&amp;T", "]]>", "<!-- x -->",
                          "<p class='x'>texte</p>", "&#233;", "<![CDATA[x]]>", "&nbsp;"])
line = st.one_of(random_line, paragraph, paragraph, st.sampled_from(_rule_examples()),
                 st.just(""), markup, st.tuples(paragraph, markup).map(" ".join))
page = st.tuples(st.lists(line, min_size=0, max_size=25),
                 st.sampled_from(["\n", "\n", "\r\n", "\r", "\n\n"])).map(
    lambda t: t[1].join(t[0]))


def _run(text: str) -> tuple[Document, bytes] | None:
    """ingest's sanitising -> clean -> TEI, as the runner does; None when cleaning refuses."""
    notes: list = []
    text = ingest.sanitize(text, notes)
    doc = Document(id="art-prop", source=Source(path="prop.txt", filename="prop.txt",
                                                sha256="0" * 64, size=len(text.encode())))
    doc.notes.extend(notes)
    try:
        clean.clean(doc, text, clean.load_rules())
    except DocumentError as exc:
        assert exc.code in ("empty", "all-boilerplate"), exc
        return None
    return doc, tei.tei_bytes(doc, run=RUN)


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          derandomize=not os.environ.get("PROPERTY_RANDOM"),
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(page)
def test_clean_then_tei_keeps_every_kept_character(text: str) -> None:
    made = _run(text)
    if made is None:
        return
    doc, data = made
    root = etree.fromstring(data)  # well-formed, or this raises
    assert data.decode("utf-8")  # and UTF-8
    # every paragraph the cleaner kept is in the body, character for character
    div = root.find("t:text/t:body/t:div[@type='original']", TEI_NS)
    blocks = ["".join(el.itertext()) for el in div]
    kept = [doc.original.text[p.start:p.end] for p in doc.original.paragraphs]
    assert blocks == kept
    assert PARA_SEP.join(kept) == doc.original.text
    # and every cut is kept in the back matter with its line number: nothing vanishes
    back = root.find("t:text/t:back/t:div[@type='boilerplate']", TEI_NS)
    cut = [(ab.get("n"), "".join(ab.itertext())) for ab in back] if back is not None else []
    assert cut == [(str(r.line), r.text) for r in doc.removed]
    # the writer had nothing to repair: ingest removed what XML forbids
    assert "control-chars" not in {n.code for n in doc.notes if n.message.startswith("TEI")}
    assert {n.code for n in doc.notes} <= set(CODES)
    if len(WRITTEN) < 400:
        WRITTEN[f"art-prop-{len(WRITTEN):03d}.xml"] = (data, text)


def test_every_tei_file_made_from_random_text_is_valid(tmp_path: Path) -> None:
    from pipeline.tei.validate import validate

    if not WRITTEN:  # the first test was deselected: make the files now
        test_clean_then_tei_keeps_every_kept_character()
    assert len(WRITTEN) >= 10, "too few examples survived cleaning to say anything"
    paths = []
    for name, (data, _) in WRITTEN.items():
        (tmp_path / name).write_bytes(data)
        paths.append(tmp_path / name)
    problems = validate(paths)
    if problems:
        first = Path(problems[0].path).name
        source = WRITTEN[first][1] if first in WRITTEN else "?"
        pytest.fail(f"{len(problems)} problem(s); first: {problems[0]}\ninput: {source!r}")
