"""Signals in a page's markup that trafilatura's text alone misses or lets through.

trafilatura's own evaluation shows three recurring faults on news pages: the standfirst
(chapô) dropped, paywall and "read also" boxes kept, and the author taken from the site's
metadata (the site's name, the page's publisher) instead of the visible byline. Each fix
here is a general pattern of how news pages are marked up, never the text of a page:

* :func:`prune_chrome` removes, before extraction, the elements whose class or id name
  a paywall, a subscription offer, a "read also" box or a related-content block (never
  one that holds most of the page's text: some sites mark the whole article "premium");
* :func:`standfirst` finds the lead in an element named as such (chapô, standfirst,
  lead, intro, description...) or in a visible block that repeats the page's meta
  description, when it is not in the main text already;
* :func:`byline` finds the author: an element marked as author / byline / signature
  (class, id, ``itemprop``, ``rel``), a link to an author page (``/auteur/``,
  ``/author/``, ``/staff/``), or a short block reading "Par Jeanne Dupont" /
  "Auteur : Jeanne Dupont"; the first, in page order, outside sidebars and lists.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from lxml import html as lxml_html

_TOKEN_START, _TOKEN_END = r"(?:^|[-_\s])", r"(?:$|[-_\s])"
_LEAD_NAME = re.compile(
    rf"{_TOKEN_START}(?:chap[oô]|chapeau|standfirst|lead|lede|leadin|intro|introduction|"
    rf"incipit|desc|description|deck|subhead|sous-titre|subtitle){_TOKEN_END}", re.I)
_AUTHOR_NAME = re.compile(
    rf"{_TOKEN_START}(?:author|authors|auteur|auteurs|byline|signature|writer|journalist|"
    rf"journaliste|contributor){_TOKEN_END}", re.I)
_AUTHOR_URL = re.compile(r"/(?:auteurs?|authors?|staff|journalistes?|signatures?|redacteurs?)/"
                         r"[\w.-]+/?$", re.I)
_CHROME_NAME = re.compile(
    rf"{_TOKEN_START}(?:paywall|payant|wall|subscribe|subscription|abonnement|abonnez|offer|"
    rf"offre|lire[-_]?aussi|read[-_]?also|related|relatedposts|see[-_]?also|voir[-_]?aussi)"
    rf"{_TOKEN_END}", re.I)
_OUTSIDE = re.compile(
    rf"{_TOKEN_START}(?:comment|comments|related|sidebar|aside|footer|nav|menu|share|social|"
    rf"newsletter|promo|popular|recommend|teaser|outbrain|taboola|cookie|paywall|bio){_TOKEN_END}",
    re.I)
SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "head", "iframe"})
_BLOCK_OUTSIDE = frozenset({"aside", "nav", "footer", "form", "li"})
BYLINE_PREFIX = re.compile(r"^\s*(?:par|by|auteur|auteurs|author|texte|propos recueillis "
                           r"par)\s*[:\-–—]?\s+", re.I)
_UPPER = "A-ZÀ-ÖØ-ÞĀĂĄĆČĎĐĒĖĘĚĞĢĪĮİĶĹĻĽŁŃŅŇŌŐŒŔŘŚŞŠŢŤŪŮŰŲŸŹŻŽ"
_NAME_WORD = rf"[{_UPPER}](?:[^\W\d_]|['’.])*(?:-[{_UPPER}](?:[^\W\d_]|['’.])*)?"
_PERSON = re.compile(rf"{_NAME_WORD}(?:\s+(?:(?:de|du|des|d'|d’|van|von|le|la|ben|al|el)\s+)?"
                     rf"{_NAME_WORD}){{1,3}}")
_AFTER_NAME = re.compile(r"^(?:[,|/•·–—(-]|et\b|and\b|&|\d)")
_LEAD_TAGS = ("p", "div", "h2", "h3", "section", "span")
_SENTENCE = re.compile(r"[.!?…»\"”]\s*$|[.!?…]\s")
#: A pruned block may hold at most this share of the page's text (else it is the article).
MAX_PRUNED_SHARE = 0.3
#: A byline written as text ("Par Jeanne Dupont, à Lyon") has at most this many words.
BYLINE_MAX_WORDS = 10


def prune_chrome(tree: lxml_html.HtmlElement) -> int:
    """Remove paywall, offer, "read also" and related blocks; returns how many went."""
    body = tree.find("body")
    if body is None:
        return 0
    total = max(1, len(text_of(body)))
    doomed = [el for el in body.iter() if isinstance(el.tag, str)
              and _CHROME_NAME.search(f"{el.get('class', '')} {el.get('id', '')}")
              and len(text_of(el)) <= MAX_PRUNED_SHARE * total]
    removed = 0
    for el in doomed:
        parent = el.getparent()
        if parent is not None and not any(a in doomed for a in el.iterancestors()):
            el.drop_tree()
            removed += 1
    return removed


def standfirst(tree: lxml_html.HtmlElement, description: str | None, body: str) -> list[str]:
    """Standfirst paragraphs the main text lacks (see the module docstring).

    The meta description often is the standfirst followed by the start of the article,
    cut: a visible block that begins it is taken (the longest such block).
    """
    found: list[str] = []
    have = norm(body)
    chrome = Chrome(tree, body)
    for el in _marked(tree, _LEAD_NAME, chrome):
        _take(found, have, text_of(el))
    desc = norm(description or "")
    if len(desc.split()) >= 8:
        blocks = [norm(el.text_content()) for el in _outside(tree, chrome, _LEAD_TAGS)
                  if _starts(desc, el)]  # cheap test first: text_content is not
        heads = [b for b in blocks if len(b.split()) >= 8 and desc.startswith(b)]
        if heads:
            _take(found, have, max(heads, key=len))
    return found


def _starts(desc: str, el: lxml_html.HtmlElement) -> bool:
    first = norm(next((t for t in el.itertext() if t.strip()), ""))
    return bool(first) and desc.startswith(first[:40])


def _take(found: list[str], have: str, text: str) -> None:
    n = norm(text)
    if (len(n.split()) >= 8 and _SENTENCE.search(n) and n not in have
            and all(n not in norm(f) and norm(f) not in n for f in found)):
        found.append(text)


def byline(tree: lxml_html.HtmlElement, main_text: str = "") -> str | None:
    """The first person's name in a byline of the page (see the module docstring)."""
    body = tree.find("body")
    if body is None:
        return None
    chrome = Chrome(tree, main_text)
    for el in body.iter():
        if not isinstance(el.tag, str) or el.tag in SKIP_TAGS or not _bylike(el):
            continue
        text = el.text_content()
        if len(text.split()) <= BYLINE_MAX_WORDS and not chrome.holds(el):
            name = person_name(text)
            if name:
                return name
    return None


def _bylike(el: lxml_html.HtmlElement) -> bool:
    """Marked as an author, a link to an author page, or text starting "Par" / "Auteur :"."""
    names = " ".join(el.get(a, "") for a in ("class", "id", "itemprop", "rel"))
    if _AUTHOR_NAME.search(names):
        return True
    if el.tag == "a" and _AUTHOR_URL.search(el.get("href", "")):
        return True
    return bool(BYLINE_PREFIX.match(el.text or ""))


def person_name(text: str) -> str | None:
    """ "Par Jeanne Dupont, envoyée spéciale" -> "Jeanne Dupont"; None if no name leads."""
    value = BYLINE_PREFIX.sub("", " ".join(text.split()))
    m = _PERSON.match(value)
    if m is None or len(value) > 80:
        return None
    rest = value[m.end():].strip()
    if rest and not _AFTER_NAME.match(rest):
        return None
    return m.group(0)


def _marked(tree: lxml_html.HtmlElement, pattern: re.Pattern[str],
            chrome: Chrome) -> Iterator[lxml_html.HtmlElement]:
    """Elements whose class or id match, outside page chrome."""
    for el in _outside(tree, chrome, None):
        if pattern.search(f"{el.get('class', '')} {el.get('id', '')}"):
            yield el


def _outside(tree: lxml_html.HtmlElement, chrome: Chrome,
             tags: tuple[str, ...] | None) -> Iterator[lxml_html.HtmlElement]:
    body = tree.find("body")
    if body is None:
        return
    for el in body.iter(*tags) if tags else body.iter():
        if isinstance(el.tag, str) and el.tag not in SKIP_TAGS and not chrome.holds(el):
            yield el


class Chrome:
    """The page chrome of one tree: asides, navs, footers, forms, list items, and blocks
    named as comments, related links, sidebar, share buttons... A block holding most of
    the page's text is never chrome, whatever its name (layouts name the whole page
    "with-sidebar")."""

    def __init__(self, tree: lxml_html.HtmlElement, main_text: str = "") -> None:
        body = tree.find("body")
        self.roots: set[lxml_html.HtmlElement] = set()
        if body is None:
            return
        total = max(1, len(text_of(body)))
        keep = _around(body, main_text)
        for el in body.iter():
            if not isinstance(el.tag, str) or el in keep:
                continue
            named = _OUTSIDE.search(f"{el.get('class', '')} {el.get('id', '')}")
            if (el.tag in _BLOCK_OUTSIDE or el.tag in SKIP_TAGS or named) and (
                    len(text_of(el)) <= MAX_PRUNED_SHARE * total):
                self.roots.add(el)

    def holds(self, el: lxml_html.HtmlElement) -> bool:
        """Whether ``el`` is chrome or inside chrome."""
        return el in self.roots or any(a in self.roots for a in el.iterancestors())


def _around(body: lxml_html.HtmlElement, main_text: str) -> set[lxml_html.HtmlElement]:
    """The elements that hold the article's longest paragraph: never chrome."""
    paras = [p for p in main_text.split("\n") if p.strip()]
    if not paras:
        return set()
    probe = norm(max(paras, key=len))[:60]
    for el in body.iter("p", "div", "td", "section", "article"):
        if probe and probe in norm(el.text or ""):
            return {el, *el.iterancestors()}
    return set()


def text_of(el: lxml_html.HtmlElement) -> str:
    """An element's text with whitespace runs as single spaces."""
    return " ".join(el.text_content().split())


def norm(text: str) -> str:
    """Text for comparison: NFC, no soft hyphens, straight apostrophes, single spaces."""
    text = unicodedata.normalize("NFC", text).replace("\u00ad", "")
    text = text.replace("’", "'").replace("‘", "'")
    return " ".join(text.split())


def fold(text: str) -> str:
    """Text for name comparison: also without case, accents and punctuation."""
    text = unicodedata.normalize("NFD", norm(text).casefold())
    return "".join(c for c in text if (not unicodedata.combining(c) and c.isalnum()) or c == " ")
