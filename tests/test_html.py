"""The HTML reader: trafilatura's main text and metadata, standfirst and byline, errors."""

from __future__ import annotations

import pytest
from scrapes import LEAD, PARAS, page

from pipeline.errors import DocumentError
from pipeline.ingest import html


def test_main_text_metadata_and_origins() -> None:
    got = html.read_html(page().encode(), name="p.html")
    paras = [p for p in got.text.split("\n\n") if p.strip()]
    assert paras[0] == "Lyon lance la rénovation de quarante écoles"  # the headline first
    for para in PARAS:
        assert para in got.text
    assert LEAD in got.text
    for chrome in ("Accueil", "Les cantines passent au bio", "Enfin ! Il était temps",
                   "Mentions légales"):
        assert chrome not in got.text  # menus, related links, comments, footer
    assert got.meta["title"] == "Lyon lance la rénovation de quarante écoles"
    assert got.meta["outlet"] == "Exemple Journal"
    assert got.meta["url"] == "https://www.exemple-journal.fr/lyon/ecoles-renovation"
    assert got.meta["date"] == "2024-03-14"
    assert got.meta["author"] == "Jeanne Martin"
    assert set(got.origins) >= {"title", "outlet", "url", "date", "author"}
    assert "visible characters were not main text" in got.removed_summary


def test_the_standfirst_is_recovered_from_a_lead_element() -> None:
    # The lead sits in a chapô element before the body: it is main text.
    got = html.read_html(page(lead="Un chapô qui résume l'article : la ville investit "
                                   "massivement dans ses écoles primaires.").encode(),
                         name="p.html")
    body = got.text.split("\n\n")
    assert "Un chapô qui résume l'article" in got.text
    assert body.index(next(p for p in body if p.startswith("Un chapô"))) < body.index(PARAS[0])


def test_tables_are_kept_as_text() -> None:
    table = ("<table><tr><th>Ville</th><th>Écoles</th></tr>"
             "<tr><td>Lyon</td><td>40</td></tr><tr><td>Villeurbanne</td><td>12</td></tr></table>")
    got = html.read_html(page(paras=[*PARAS, table]).encode(), name="p.html")
    assert "Villeurbanne | 12" in got.text


def test_table_rows_layout_and_data() -> None:
    long = " ".join(["mot"] * 40) + "."
    assert html.table_row(f"| {long} |  |") == [long]
    assert html.table_row("| Lyon | 40 |") == ["Lyon | 40"]
    assert html.table_row("|---|---|") == []
    assert html.table_row("Une phrase.") == ["Une phrase."]


def test_declared_legacy_charset_is_honoured() -> None:
    raw = page(charset="iso-8859-1").encode("latin-1", errors="replace")
    got = html.read_html(raw, name="p.html")
    assert "rénovation thermique" in got.text
    assert got.encoding == "iso-8859-1" and "declared" in got.encoding_note


@pytest.mark.parametrize("shell", [
    # a home page: headlines and links only
    "<html><head><title>Exemple Journal</title></head><body><nav><a href='/'>Accueil</a></nav>"
    + "".join(f"<h2><a href='/a{i}'>Titre d'article numéro {i}</a></h2>" for i in range(12))
    + "</body></html>",
    # a 404 page
    "<html><head><title>Page introuvable</title></head><body><h1>Erreur 404</h1>"
    "<p>La page que vous cherchez n'existe pas.</p></body></html>",
    # a page built by scripts
    "<!DOCTYPE html><html><head><script src='/app.js'></script></head>"
    "<body><div id='root'></div><noscript>Activez JavaScript.</noscript></body></html>",
])
def test_pages_without_an_article_fail_with_no_main_text(shell: str) -> None:
    with pytest.raises(DocumentError) as err:
        html.read_html(shell.encode(), name="home.html")
    assert err.value.code == "no-main-text"


def test_malformed_html_is_read_or_refused_clearly() -> None:
    broken = page().replace("</p>", "").replace("</div>", "</span></td>")[:-200]  # cut short
    got = html.read_html(broken.encode(), name="broken.html")
    assert PARAS[1][:60] in got.text
    with pytest.raises(DocumentError) as err:
        html.read_html(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, name="image.html")
    assert err.value.code == "binary"
    with pytest.raises(DocumentError) as err:
        html.read_html(b"   \n", name="blank.html")
    assert err.value.code == "empty"


def test_a_page_over_the_size_limit_is_refused() -> None:
    big = page(paras=PARAS * 3).encode() + b"<!--" + b"x" * html.MAX_HTML_BYTES + b"-->"
    with pytest.raises(DocumentError) as err:
        html.read_html(big, name="big.html")
    assert err.value.code == "too-large"


def test_trafilatura_never_fetches(monkeypatch: pytest.MonkeyPatch) -> None:
    import trafilatura.downloads
    import urllib3

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the HTML reader tried to fetch something")

    monkeypatch.setattr(trafilatura.downloads, "fetch_url", refuse)
    monkeypatch.setattr(trafilatura.downloads, "fetch_response", refuse)
    monkeypatch.setattr(urllib3.PoolManager, "request", refuse)
    got = html.read_html(page().encode(), name="p.html",
                         url="https://www.exemple-journal.fr/lyon/ecoles-renovation")
    assert PARAS[0] in got.text


def test_a_utf8_page_served_as_latin1_is_read_as_utf8() -> None:
    got = html.read_html(page().encode("utf-8"), name="p.html", charset="ISO-8859-1")
    assert "rénovation thermique" in got.text and got.encoding == "utf-8"
    assert "declared ISO-8859-1" in got.encoding_note
