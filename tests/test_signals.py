"""Markup signals: chrome pruning, the standfirst, the byline."""

from __future__ import annotations

from lxml import html as lxml_html

from pipeline.ingest import signals

ARTICLE = ("<p>Le conseil municipal a voté jeudi soir un plan de rénovation des écoles de la "
           "ville, après plusieurs mois de débats.</p>")


def _tree(body: str) -> lxml_html.HtmlElement:
    return lxml_html.document_fromstring(f"<html><head></head><body>{body}</body></html>")


def test_person_name_from_bylines() -> None:
    assert signals.person_name("Par Jeanne Dupont, envoyée spéciale") == "Jeanne Dupont"
    assert signals.person_name("Auteur : Anna Kubišta") == "Anna Kubišta"
    assert signals.person_name("Par Matthieu Hy le 07 Mai 2020") is None  # not a name's end
    assert signals.person_name("Par Matthieu Hy, le 07 Mai 2020") == "Matthieu Hy"
    assert signals.person_name("Publié le 12 mars 2024") is None
    assert signals.person_name("Par ailleurs, le ministre a parlé") is None
    assert signals.person_name("La rédaction vous recommande ces articles") is None


def test_paywall_and_read_also_boxes_are_pruned_but_never_the_article() -> None:
    tree = _tree(f'<article class="premium">{ARTICLE * 5}'
                 '<div class="paywall"><h2>Pour lire la suite, abonnez-vous</h2></div>'
                 '<q class="lire_aussi"><a href="/x">Un autre article</a></q></article>'
                 '<section class="offer"><p>Offre découverte : 1 € le premier mois</p></section>')
    assert signals.prune_chrome(tree) == 3
    text = tree.text_content()
    assert "abonnez-vous" not in text and "Un autre article" not in text
    assert "Offre découverte" not in text and "Le conseil municipal" in text
    whole = _tree(f'<div class="article-payant">{ARTICLE * 5}</div>')
    assert signals.prune_chrome(whole) == 0  # most of the page: the article itself


def test_standfirst_from_a_lead_element_or_the_meta_description() -> None:
    lead = "La ville engage un vaste chantier de rénovation de ses écoles, pour sept ans."
    tree = _tree(f'<div class="article__chapo"><p>{lead}</p></div>{ARTICLE}')
    assert signals.standfirst(tree, None, "Le conseil municipal a voté") == [lead]
    assert signals.standfirst(tree, None, lead) == []  # already in the main text
    plain = _tree(f"<div><p>{lead}</p></div>{ARTICLE}")
    described = f"{lead} Le conseil municipal a voté jeudi soir un plan (...)"
    assert signals.standfirst(plain, described, "Le conseil municipal a voté") == [lead]
    related = _tree(f'<ul><li><p class="excerpt">{lead}</p></li></ul>{ARTICLE}')
    assert signals.standfirst(related, None, "Le conseil") == []  # a list of other posts


def test_byline_marked_linked_or_written() -> None:
    marked = _tree(f'<span class="article_author-name">Emmanuelle Ducros</span>{ARTICLE}')
    assert signals.byline(marked) == "Emmanuelle Ducros"
    linked = _tree(f'<a href="https://exemple.eu/fr/staff/uriel-dupuis/">Uriel Dupuis</a>{ARTICLE}')
    assert signals.byline(linked) == "Uriel Dupuis"
    written = _tree(f"{ARTICLE}<p>Auteur : Kossivi Mensah </p><p>Edition : A. Martin</p>")
    assert signals.byline(written) == "Kossivi Mensah"
    related = _tree(f'{ARTICLE}<aside><span class="author">Par Paul Roux</span></aside>')
    assert signals.byline(related) is None  # another article's byline, in a sidebar
    sidebar_layout = _tree(f'<div class="page with-sidebar"><span class="contributor">'
                           f'Par Matthieu Hy</span>{ARTICLE}</div><nav>{"<a>x</a>" * 50}</nav>')
    assert signals.byline(sidebar_layout, "Le conseil municipal a voté jeudi soir") == "Matthieu Hy"
