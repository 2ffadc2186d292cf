"""HTML for the static view: an index of articles, one page per article, an entity index.

Article pages are made from :class:`pipeline.document.Document` objects, the index pages
from :class:`ArticleEntry` records (plain data, kept between runs); everything returns
``str``, and ``pipeline.view.build_view`` reads the TEI and writes the files. Every piece of
text from a document goes through :func:`esc`, so ``<script>`` in an article is shown
as text. The pages load only ``static/view.css`` and ``static/view.js`` (relative
paths) and a Content-Security-Policy forbids anything else, so they open from the
file system with no network. No clock is read: the same documents give the same bytes.
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pipeline.document import (
    ENTITY_TYPES,
    FOREIGN,
    OTHER_SPAN_TYPES,
    Document,
    EntityRecord,
    Mention,
    Sentence,
    Side,
)

TYPE_NAMES = {
    "PER": "person",
    "LOC": "place",
    "ORG": "organisation",
    "MISC": "other name",
    "DATE": "date",
    "NUM": "number",
}
LANG_NAMES = {"fr": "Français", "en": "English"}
LAYER_ORDER = ("clean", "mt", "ner-fr", "ner-en", "link", "tei")
# Scripts and styles from this folder only; no connections, frames, images from elsewhere.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "base-uri 'none'; form-action 'none'")


def esc(text: object) -> str:
    """Escape text for HTML content and attribute values (quotes included)."""
    return html.escape(str(text), quote=True)


def safe_name(doc_id: str) -> str:
    """A file name for an article page: the id's safe ASCII characters only."""
    ascii_ = unicodedata.normalize("NFKD", doc_id).encode("ascii", "ignore").decode()
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", ascii_).strip("._-")
    return name or "article"


# ------------------------------------------------------------------ page frame


def page(title: str, body: str, *, root: str, page_class: str, lang: str = "en") -> str:
    """A whole HTML page; ``root`` is the relative path back to the view's folder."""
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{esc(lang)}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{esc(title)}</title>\n"
        f'<link rel="stylesheet" href="{root}static/view.css">\n'
        f'<script src="{root}static/view.js" defer></script>\n'
        f'</head>\n<body class="{page_class}">\n'
        f"{body}"
        "</body>\n</html>\n"
    )


def nav(root: str, current: str) -> str:
    items = [("index.html", "Articles"), ("entities.html", "Entities")]
    current_attr = ' aria-current="page"'
    links = "".join(
        f'<a href="{root}{href}"{current_attr if href == current else ""}>{label}</a>'
        for href, label in items
    )
    return f'<nav class="top">{links}</nav>\n'


def legend(types: tuple[str, ...] = ENTITY_TYPES + OTHER_SPAN_TYPES) -> str:
    items = "".join(
        f'<li><button type="button" class="legend-item ent-{t}" data-toggle-type="{t}" '
        f'aria-pressed="true" title="show or hide the colour of this type">'
        f'<span class="swatch"></span>{t} <span class="tname">{TYPE_NAMES.get(t, t)}</span>'
        f"</button></li>"
        for t in types
    )
    return f'<ul class="legend" aria-label="Entity types">{items}</ul>\n'


# ------------------------------------------------------------------ document facts


def word_count(side: Side) -> int:
    """Words (tokens that are not punctuation) of a side; counted from the text if untokenised."""
    tokens = [t for s in side.sentences() for t in s.tokens]
    if tokens:
        return sum(1 for t in tokens if t.upos != "PUNCT" and re.search(r"\w", t.text))
    return len(re.findall(r"\w+(?:['’]\w+)*", side.text))


def mention_counts(doc: Document) -> Counter[str]:
    """Mentions per record id, both languages."""
    return Counter(m.ref for side in doc.sides() for s in side.sentences()
                   for m in s.mentions if m.ref)


def engines(doc: Document) -> list[tuple[str, str, str, str]]:
    """(layer, ident, version, label) of the applications, in pipeline order."""
    order = {layer: n for n, layer in enumerate(LAYER_ORDER)}
    apps = sorted(doc.apps, key=lambda a: (order.get(a.layer, len(order)), a.layer, a.ident))
    return [(a.layer, a.ident, a.version, a.label) for a in apps]


def doc_title(doc: Document) -> str:
    """The article's title, else its source file name, else its id."""
    return doc.meta.title or doc.source.filename or doc.id


def date_text(doc: Document) -> tuple[str, str]:
    """(shown text, sort key) of the article date."""
    d = doc.meta.date
    if not d:
        return "", ""
    shown = d.value if d.precision == "day" else f"{d.value} ({d.precision})"
    return shown, d.value


# ------------------------------------------------------------------ sentences


def render_sentence_text(sent: Sentence, side: Side, record_types: dict[str, str]) -> str:
    """The sentence's text with its mentions wrapped in coloured, focusable spans.

    Offsets are indices into ``side.text``; the sentence text is taken from there when it
    matches, else from ``sent.text`` (mentions whose offsets don't fit are left plain).
    """
    base = sent.start
    text = side.text[sent.start:sent.end]
    if text != sent.text:
        text = sent.text
    chosen: list[Mention] = []
    end = 0
    for m in sorted(sent.mentions, key=lambda m: (m.start, -m.end)):
        a, b = m.start - base, m.end - base
        if a < end or a < 0 or b > len(text) or b <= a:
            continue  # overlapping or out of range: leave it plain
        chosen.append(m)
        end = b
    out: list[str] = []
    pos = 0
    for m in chosen:
        a, b = m.start - base, m.end - base
        out.append(esc(text[pos:a]))
        if m.label == FOREIGN:  # a word the MT did not know, kept in the source language
            lang = esc(m.source_label or "und")
            out.append(f'<span class="foreign" lang="{lang}" title="not translated: the MT '
                       f'did not know this word">{esc(text[a:b])}</span>')
            pos = b
            continue
        label = m.label if m.label in TYPE_NAMES else "MISC"
        title = f"{label} ({TYPE_NAMES.get(label, label)})"
        if m.source_label and m.source_label != m.label:
            title += f", tagged {m.source_label}"
        attrs = f'class="ent ent-{label}" data-type="{label}"'
        if m.ref:
            title += f", record {m.ref}"
            if record_types.get(m.ref, label) != label:
                title += f" ({record_types[m.ref]})"
            attrs += (f' data-ref="{esc(m.ref)}" tabindex="0" role="button" '
                      f'aria-pressed="false"')
        out.append(f'<span {attrs} title="{esc(title)}">{esc(text[a:b])}</span>')
        pos = b
    out.append(esc(text[pos:]))
    return "".join(out)


def _short_id(sent_id: str) -> str:
    """"art-x.fr.p2.s1" -> "2.1" for the row label."""
    m = re.search(r"p(\d+)\.s(\d+)$", sent_id)
    return f"{m.group(1)}.{m.group(2)}" if m else sent_id.rsplit(".", 1)[-1]


def _sentence_cell(sent: Sentence, side: Side, partners: list[str],
                   record_types: dict[str, str], *, untranslated: bool = False) -> str:
    lang = sent.lang or side.lang
    classes = ["s"] + (["untranslated"] if sent.untranslated else [])
    attrs = (f'id="{esc(sent.id)}" class="{" ".join(classes)}" lang="{esc(lang)}" '
             f'data-pair="{esc(" ".join(partners))}"')
    badge = ""
    if sent.untranslated:
        badge = (f' <span class="badge" title="carried over untranslated">untranslated: '
                 f"{esc(sent.untranslated)}</span>")
    return f"<div {attrs}>{render_sentence_text(sent, side, record_types)}{badge}</div>"


def render_pairs(doc: Document) -> str:
    """The side-by-side table: a row per original sentence, its translation beside it."""
    fr, en = doc.original, doc.translation
    record_types = {r.id: r.type for r in doc.records}
    by_src: dict[str, list[Sentence]] = {}
    orphans: list[Sentence] = []
    src_ids = {s.id for s in fr.sentences()}
    if en:
        for s in en.sentences():
            if s.corresp in src_ids:
                by_src.setdefault(s.corresp, []).append(s)
            else:
                orphans.append(s)
    cols = 2 if en else 1
    def col(side: Side) -> str:
        name = LANG_NAMES.get(side.lang, side.lang)
        return f'<th scope="col" lang="{esc(side.lang)}">{esc(name)}</th>'

    head = '<th scope="col" class="n"><span class="sr">Sentence</span></th>' + col(fr)
    if en:
        head += col(en)
    rows: list[str] = [f'<table class="pairs cols-{cols}">\n<thead><tr>{head}</tr></thead>\n']
    for para in fr.paragraphs:
        kind = "head" if para.kind == "head" else "p"
        rows.append(f'<tbody class="para para-{kind}" id="{esc(para.id)}">\n')
        if not para.sentences:  # cleaned but not analysed: the paragraph as one block
            text = esc(fr.text[para.start:para.end])
            rows.append(f'<tr><th scope="row" class="n"></th><td lang="{esc(fr.lang)}">'
                        f'<div class="s">{text}</div></td>'
                        + ("<td></td>" if en else "") + "</tr>\n")
        for sent in para.sentences:
            partners = by_src.get(sent.id, [])
            cells = (f'<th scope="row" class="n" title="{esc(sent.id)}">'
                     f"{esc(_short_id(sent.id))}</th>"
                     f"<td>{_sentence_cell(sent, fr, [p.id for p in partners], record_types)}"
                     "</td>")
            if en:
                inner = "".join(_sentence_cell(p, en, [sent.id], record_types) for p in partners)
                missing = '<span class="missing">(no translation)</span>'
                cells += f"<td>{inner or missing}</td>"
            rows.append(f"<tr>{cells}</tr>\n")
        rows.append("</tbody>\n")
    if en and orphans:
        rows.append('<tbody class="para para-orphans">\n')
        for sent in orphans:
            rows.append(f'<tr><th scope="row" class="n" title="{esc(sent.id)}">'
                        f"{esc(_short_id(sent.id))}</th><td></td>"
                        f"<td>{_sentence_cell(sent, en, [], record_types)}</td></tr>\n")
        rows.append("</tbody>\n")
    rows.append("</table>\n")
    return "".join(rows)


# ------------------------------------------------------------------ article page


def _meta_rows(doc: Document, tei_href: str | None) -> str:
    m = doc.meta
    date_shown, _ = date_text(doc)
    rows: list[tuple[str, str]] = []
    if m.title_en:
        rows.append(("English title", f'<span lang="en">{esc(m.title_en)}</span>'))
    if date_shown:
        ev = f' <span class="muted">from “{esc(m.date.evidence)}”</span>' if (
            m.date and m.date.evidence) else ""
        rows.append(("Date", f"<time>{esc(date_shown)}</time>{ev}"))
    for label, value in (("Outlet", m.outlet), ("Section", m.section), ("Author", m.author)):
        if value:
            rows.append((label, esc(value)))
    if m.url:
        rows.append(("URL", f'<a href="{esc(m.url)}" rel="noopener noreferrer">'
                     f"{esc(m.url)}</a>"))
    src = doc.source
    rows.append(("Source file", f"<code>{esc(src.filename)}</code> ({esc(src.size)} bytes, "
                 f"{esc(src.encoding)})"
                 + (f' <span class="muted">{esc(src.encoding_note)}</span>'
                    if src.encoding_note else "")))
    rows.append(("SHA-256", f"<code>{esc(src.sha256)}</code>"))
    if src.duplicate_of:
        rows.append(("Duplicate of", esc(src.duplicate_of)))
    langs = doc.original.lang + (f" → {doc.translation.lang}" if doc.translation else "")
    rows.append(("Languages", esc(langs)))
    rows.append(("Words", f"{word_count(doc.original)}"
                 + (f" / {word_count(doc.translation)}" if doc.translation else "")))
    if tei_href:
        rows.append(("TEI", f'<a href="{esc(tei_href)}">{esc(tei_href.rsplit("/", 1)[-1])}</a>'))
    return "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows)


def _apps_table(doc: Document) -> str:
    if not doc.apps:
        return ""
    order = {layer: n for n, layer in enumerate(LAYER_ORDER)}
    apps = sorted(doc.apps, key=lambda a: (order.get(a.layer, len(order)), a.layer, a.ident))
    rows = "".join(
        f"<tr><td>{esc(a.layer)}</td><td><code>{esc(a.ident)}</code></td>"
        f"<td>{esc(a.version)}</td><td>{esc(a.label)}"
        + (f'<br><code class="hash">sha256 {esc(a.sha256)}</code>' if a.sha256 else "")
        + "</td></tr>"
        for a in apps
    )
    return ('<details class="apps" open><summary>Engines and models</summary>'
            '<table class="grid"><thead><tr><th scope="col">Layer</th><th scope="col">Program'
            '</th><th scope="col">Version</th><th scope="col">Description</th></tr></thead>'
            f"<tbody>{rows}</tbody></table></details>\n")


def _records_list(doc: Document, entity_anchor: dict[str, str], root: str) -> str:
    if not doc.records:
        return '<p class="muted">No entity records.</p>\n'
    counts = Counter((m.ref, side.lang) for side in doc.sides() for s in side.sentences()
                     for m in s.mentions if m.ref)
    langs = [s.lang for s in doc.sides()]
    order = {t: n for n, t in enumerate(ENTITY_TYPES)}
    items: list[str] = []
    total = mention_counts(doc)
    for r in sorted(doc.records, key=lambda r: (order.get(r.type, 9), -total[r.id],
                                                _first_form(r.forms), r.id)):
        forms = "".join(
            f'<span class="forms" lang="{esc(lang)}"><span class="lang">{esc(lang)}</span> '
            f"{esc(' · '.join(r.forms.get(lang, [])) or '—')}"
            + (f' <span class="count">×{counts[(r.id, lang)]}</span>'
               if counts[(r.id, lang)] else "")
            + "</span>"
            for lang in langs + sorted(set(r.forms) - set(langs))
        )
        link = ""
        if r.id in entity_anchor:
            link = (f' <a class="to-index" href="{root}entities.html#{esc(entity_anchor[r.id])}"'
                    f' title="in the entity index">index</a>')
        items.append(
            f'<li><button type="button" class="rec ent-{esc(r.type)}" data-ref="{esc(r.id)}" '
            f'aria-pressed="false" title="highlight the mentions of {esc(r.id)}">'
            f'<span class="t">{esc(r.type)}</span>{forms}</button>'
            f'<span class="method">{esc(r.method)}</span>{link}</li>'
        )
    return f'<ul class="records">{"".join(items)}</ul>\n'


def _removed_section(doc: Document) -> str:
    if not doc.removed:
        return '<p class="muted">Cleaning removed nothing.</p>\n'
    rows = "".join(
        f'<tr><td class="num">{esc(r.line)}</td><td><code>{esc(r.rule)}</code></td>'
        f"<td>{esc(r.reason)}</td><td class=\"cut\">{esc(r.text)}</td></tr>"
        for r in doc.removed
    )
    return (f'<details class="removed"><summary>Removed boilerplate ({len(doc.removed)} '
            f'piece{"s" if len(doc.removed) != 1 else ""})</summary>'
            '<table class="grid"><thead><tr><th scope="col">Line</th><th scope="col">Rule</th>'
            '<th scope="col">Reason</th><th scope="col">Text</th></tr></thead>'
            f"<tbody>{rows}</tbody></table></details>\n")


def render_article(doc: Document, *, corpus_title: str, entity_anchor: dict[str, str],
                   tei_href: str | None = None, prev_next: tuple[str | None, str | None] = (
                       None, None)) -> str:
    root = "../"
    title = doc_title(doc)
    notes = ""
    if doc.notes:
        notes = ('<details class="notes"><summary>Notes ('
                 f"{len(doc.notes)})</summary><ul>"
                 + "".join(f"<li><code>{esc(n.code)}</code> {esc(n.message)}</li>"
                           for n in doc.notes)
                 + "</ul></details>\n")
    pn = ""
    prev, nxt = prev_next
    if prev or nxt:
        pn = ('<p class="prevnext">'
              + (f'<a href="{esc(prev)}" rel="prev">← previous</a>' if prev else "")
              + (f'<a href="{esc(nxt)}" rel="next">next →</a>' if nxt else "")
              + "</p>\n")
    body = (
        nav(root, "")
        + f'<header class="article-head"><p class="corpus">{esc(corpus_title)}</p>'
        f'<h1 lang="{esc(doc.original.lang)}">{esc(title)}</h1>\n'
        f'<dl class="meta">{_meta_rows(doc, tei_href)}</dl>\n{pn}</header>\n'
        "<main>\n"
        '<section class="text" aria-label="Text, sentence by sentence">\n'
        + legend()
        + '<p id="status" class="status" aria-live="polite">Select an entity to highlight all '
        "its mentions in both languages; point at a sentence to see its partner.</p>\n"
        + render_pairs(doc)
        + "</section>\n"
        '<aside class="side" aria-label="Entity records">\n'
        f"<h2>Entity records ({len(doc.records)})</h2>\n"
        + _records_list(doc, entity_anchor, root)
        + "</aside>\n"
        '<section class="extra">\n'
        + _removed_section(doc)
        + notes
        + _apps_table(doc)
        + "</section>\n</main>\n"
    )
    return page(f"{title} — {corpus_title}", body, root=root, page_class="article")


# ------------------------------------------------------------------ index page


def engines_cell(apps: list[tuple[str, str, str, str]]) -> str:
    """One line per layer: "mt apertium 3.8.3", "ner-fr spacy 3.8.18 fr_core_news_md 3.8.0";
    ``apps`` as :func:`engines` gives them."""
    by_layer: dict[str, list[str]] = {}
    for layer, ident, version, label in apps:
        chip = (f'<span class="chip" title="{esc(label)}">{esc(ident)} '
                f"{esc(version)}</span>")
        if chip not in by_layer.setdefault(layer, []):
            by_layer[layer].append(chip)
    return "".join(f'<div class="layer"><span class="lname">{esc(layer)}</span> '
                   f'{" ".join(chips)}</div>' for layer, chips in by_layer.items())


@dataclass
class ArticleEntry:
    """What the index and the entity index need of an article: its header facts, records,
    engines and counts, not its text. Plain data, so that a corpus of 100,000 articles is
    listed without holding them all (a whole document is ≈ 0.35 MB in memory) and a run's
    view refresh keeps each entry (``.cache/view.json``) and reads no unchanged article
    again (:meth:`to_json`, :meth:`from_json`)."""

    id: str
    lang: str  # of the original
    title: str  # :func:`doc_title`
    title_en: str | None
    date: tuple[str, str]  # :func:`date_text`: shown, sort key
    outlet: str
    engines: list[tuple[str, str, str, str]]  # :func:`engines`
    records: list[EntityRecord]
    words: int  # of the original
    mentions: dict[str, int]  # per record id, both sides
    href: str = ""  # relative to the view folder, set when the view is written

    @classmethod
    def of(cls, doc: Document, href: str = "") -> ArticleEntry:
        return cls(doc.id, doc.original.lang, doc_title(doc), doc.meta.title_en,
                   date_text(doc), doc.meta.outlet or "", engines(doc),
                   list(doc.records),
                   word_count(doc.original), dict(mention_counts(doc)), href)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "lang": self.lang, "title": self.title,
                "title_en": self.title_en, "date": list(self.date), "outlet": self.outlet,
                "engines": [list(e) for e in self.engines],
                "records": [[r.id, r.type, r.forms, r.method] for r in self.records],
                "words": self.words, "mentions": self.mentions}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ArticleEntry:
        """The entry :meth:`to_json` wrote; ``ValueError`` for anything else."""
        try:
            entry = cls(
                _str(data["id"]), _str(data["lang"]), _str(data["title"]),
                None if data["title_en"] is None else _str(data["title_en"]),
                (_str(data["date"][0]), _str(data["date"][1])), _str(data["outlet"]),
                [(_str(a), _str(b), _str(c), _str(d)) for a, b, c, d in data["engines"]],
                [_record(r) for r in data["records"]],
                _int(data["words"]),
                {_str(k): _int(v) for k, v in data["mentions"].items()})
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            raise ValueError(f"not a view entry: {exc}") from exc
        if len(data["date"]) != 2:
            raise ValueError("not a view entry: date")
        return entry


def _record(data: Any) -> EntityRecord:
    """A record as :meth:`ArticleEntry.to_json` wrote it (its lists are kept, not copied:
    10,000 entries are read on every refresh)."""
    ident, kind, forms, method = data
    if not (type(ident) is str and type(kind) is str and type(method) is str
            and type(forms) is dict and all(
                type(lang) is str and type(fs) is list and all(type(f) is str for f in fs)
                for lang, fs in forms.items())):
        raise ValueError(f"{data!r} is not an entity record")
    return EntityRecord(ident, kind, forms, method)


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a string")
    return value


def _int(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    return value


def _index_head() -> str:
    """The article table's sortable column headings."""
    type_cols = "".join(f'<th scope="col" data-sort-type="num" class="num">'
                        f'<button type="button" title="{TYPE_NAMES[t]} records">{t}</button></th>'
                        for t in ENTITY_TYPES)
    return (
        '<th scope="col" data-sort-type="text"><button type="button">Title</button></th>'
        '<th scope="col" data-sort-type="text"><button type="button">Date</button></th>'
        '<th scope="col" data-sort-type="text"><button type="button">Outlet</button></th>'
        '<th scope="col" data-sort-type="num" class="num"><button type="button">Words</button>'
        "</th>" + type_cols
        + '<th scope="col" data-sort-type="text"><button type="button">Engines</button></th>'
    )


def _index_row(e: ArticleEntry) -> str:
    """One article's row of the table."""
    shown, key = e.date
    by_type = Counter(r.type for r in e.records)
    outlet = e.outlet
    title = e.title
    title_en = (f'<br><span class="muted" lang="en">{esc(e.title_en)}</span>'
                if e.title_en else "")
    eng = engines_cell(e.engines)
    types = "".join(f'<td class="num">{by_type.get(t, 0)}</td>' for t in ENTITY_TYPES)
    words = e.words
    return (
        f'<tr data-outlet="{esc(outlet)}">'
        f'<td data-sort="{esc(title.casefold())}"><a href="{esc(e.href)}" '
        f'lang="{esc(e.lang)}">{esc(title)}</a>{title_en}'
        f'<br><code class="muted">{esc(e.id)}</code></td>'
        f'<td class="date" data-sort="{esc(key)}">{esc(shown)}</td>'
        f"<td>{esc(outlet)}</td>"
        f'<td class="num">{words}</td>{types}<td>{eng}</td></tr>\n'
    )


def render_index(entries: list[ArticleEntry], *, corpus_title: str,
                 failed: Sequence[tuple[str, str]] = ()) -> str:
    rows = [_index_row(e) for e in entries]
    outlets = {e.outlet for e in entries if e.outlet}
    outlet_opts = "".join(f'<option value="{esc(o)}">{esc(o)}</option>' for o in sorted(outlets))
    problems = ""
    if failed:
        problems = ('<details class="failed" open><summary>Files that could not be read ('
                    f"{len(failed)})</summary><ul>"
                    + "".join(f"<li><code>{esc(p)}</code>: {esc(msg)}</li>" for p, msg in failed)
                    + "</ul></details>\n")
    total_words = sum(e.words for e in entries)
    body = (
        nav("", "index.html")
        + f"<header><h1>{esc(corpus_title)}</h1>\n"
        f'<p class="muted">{len(entries)} article{"s" if len(entries) != 1 else ""}, '
        f"{total_words} words. Click a column heading to sort; type to filter.</p></header>\n"
        "<main>\n"
        '<div class="filters">'
        '<label>Filter <input type="search" id="filter" placeholder="title, outlet, engine…" '
        'autocomplete="off"></label> '
        '<label>Outlet <select id="outlet-filter"><option value="">all</option>'
        f"{outlet_opts}</select></label> "
        '<span id="shown" class="muted" aria-live="polite"></span></div>\n'
        f'<table class="grid sortable" id="articles"><thead><tr>{_index_head()}</tr></thead>\n'
        f"<tbody>\n{''.join(rows)}</tbody></table>\n"
        + problems
        + "</main>\n"
    )
    return page(corpus_title, body, root="", page_class="index")


# ------------------------------------------------------------------ entity index


@dataclass
class EntityGroup:
    """Records of several articles that name the same entity."""

    type: str
    anchor: str = ""
    forms: dict[str, list[str]] = field(default_factory=dict)
    methods: set[str] = field(default_factory=set)
    # (article href, doc id, title, record id, mentions)
    articles: list[tuple[str, str, str, str, int]] = field(default_factory=list)

    @property
    def mentions(self) -> int:
        return sum(a[4] for a in self.articles)


@functools.lru_cache(maxsize=1 << 16)
def _norm(form: str) -> str:
    """The link stage's normal form; cached, as the same names recur across a corpus."""
    from pipeline.stages.link import normalise

    return normalise(form)


def _first_form(forms: dict[str, list[str]]) -> str:
    for lang in ("fr", "en", *sorted(forms)):
        if forms.get(lang):
            return forms[lang][0].casefold()
    return ""


def group_records(entries: list[ArticleEntry]) -> list[EntityGroup]:
    """Merge the articles' records that share a type and a normalised form, in any language."""
    parent: dict[int, int] = {}

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    recs = [(e, r) for e in entries for r in e.records]
    key_owner: dict[tuple[str, str], int] = {}
    for i, (_, r) in enumerate(recs):
        parent[i] = i
        for forms in r.forms.values():
            for f in forms:
                key = (r.type, _norm(f))
                if not key[1]:
                    continue
                j = key_owner.setdefault(key, i)
                if j != i:
                    parent[find(i)] = find(j)
    groups: dict[int, EntityGroup] = {}
    for i, (e, r) in enumerate(recs):
        g = groups.setdefault(find(i), EntityGroup(r.type))
        for lang, forms in r.forms.items():
            known = g.forms.setdefault(lang, [])
            known.extend(f for f in forms if f not in known)
        if r.method:
            g.methods.add(r.method)
        n = e.mentions.get(r.id, 0)
        g.articles.append((e.href, e.id, e.title, r.id, n))
    _give_anchors(list(groups.values()))
    order = {t: n for n, t in enumerate(ENTITY_TYPES)}
    out = sorted(groups.values(),
                 key=lambda g: (order.get(g.type, 9), -g.mentions, _first_form(g.forms)))
    return out


def _give_anchors(groups: list[EntityGroup]) -> None:
    """A unique, readable anchor per group (e-org-nations-unies, e-org-nations-unies-2...)
    that does not depend on the articles' order or counts: its first form (the forms are
    sorted here),
    and where groups share one, a number in the order of their forms. So an article added
    to a corpus changes the anchors of the groups it changes only, and a run's view refresh
    rewrites the pages of those articles, not of every article naming the same entity."""
    by_base: dict[str, list[EntityGroup]] = {}
    for g in groups:
        for forms in g.forms.values():
            forms.sort(key=lambda f: (f.casefold(), f))
        slug = re.sub(r"[^a-z0-9]+", "-", unicodedata.normalize("NFKD", _first_form(g.forms))
                      .encode("ascii", "ignore").decode().lower()).strip("-")[:40] or "x"
        by_base.setdefault(f"e-{g.type.lower()}-{slug}", []).append(g)
    used = set(by_base)
    for base in sorted(by_base):
        same = sorted(by_base[base], key=lambda g: sorted(
            (lang, f) for lang, forms in g.forms.items() for f in forms))
        same[0].anchor = base
        n = 2
        for g in same[1:]:
            while f"{base}-{n}" in used:
                n += 1
            g.anchor = f"{base}-{n}"
            used.add(g.anchor)


def render_entities(groups: list[EntityGroup], *, corpus_title: str) -> str:
    rows: list[str] = []
    for g in groups:
        def forms(lang: str, g: EntityGroup = g) -> str:
            return "<br>".join(esc(f) for f in g.forms.get(lang, [])) or "—"

        per_article: dict[str, tuple[str, str, list[str], int]] = {}
        for href, doc_id, title, ref, n in sorted(g.articles, key=lambda a: (a[1], a[0], a[3])):
            _, _, refs, total = per_article.get(href, (doc_id, title, [], 0))
            per_article[href] = (doc_id, title, [*refs, ref], total + n)
        arts = "".join(
            f'<li><a href="{esc(href)}#ref={esc(",".join(refs))}" title="{esc(doc_id)}">'
            f'{esc(title)}</a> <span class="count">×{n}</span></li>'
            for href, (doc_id, title, refs, n) in per_article.items()
        )
        rows.append(
            f'<tr id="{esc(g.anchor)}" data-type="{esc(g.type)}">'
            f'<td><span class="tag ent-{esc(g.type)}">{esc(g.type)}</span></td>'
            f'<td lang="fr" data-sort="{esc(_first_form({"fr": g.forms.get("fr", [])}))}">'
            f"{forms('fr')}</td>"
            f'<td lang="en" data-sort="{esc(_first_form({"en": g.forms.get("en", [])}))}">'
            f"{forms('en')}</td>"
            f'<td class="num">{g.mentions}</td>'
            f'<td data-sort="{len(per_article):06d}"><ul class="arts">{arts}</ul></td>'
            f"<td>{esc(', '.join(sorted(g.methods)))}</td></tr>\n"
        )
    type_opts = "".join(f'<option value="{t}">{t} ({TYPE_NAMES[t]})</option>'
                        for t in ENTITY_TYPES)
    head = (
        '<th scope="col" data-sort-type="text"><button type="button">Type</button></th>'
        '<th scope="col" data-sort-type="text"><button type="button">French</button></th>'
        '<th scope="col" data-sort-type="text"><button type="button">English</button></th>'
        '<th scope="col" data-sort-type="num" class="num"><button type="button">Mentions'
        "</button></th>"
        '<th scope="col" data-sort-type="text"><button type="button">Articles</button></th>'
        '<th scope="col" data-sort-type="text"><button type="button">Linked by</button></th>'
    )
    body = (
        nav("", "entities.html")
        + f"<header><h1>Entities — {esc(corpus_title)}</h1>\n"
        f'<p class="muted">{len(groups)} entit{"ies" if len(groups) != 1 else "y"}: '
        "the cross-lingual records of every article, merged across articles by type and "
        "form.</p></header>\n<main>\n"
        '<div class="filters"><label>Filter <input type="search" id="filter" '
        'placeholder="a name in either language…" autocomplete="off"></label> '
        '<label>Type <select id="type-filter"><option value="">all</option>'
        f"{type_opts}</select></label> "
        '<span id="shown" class="muted" aria-live="polite"></span></div>\n'
        f'<table class="grid sortable" id="entities"><thead><tr>{head}</tr></thead>\n'
        f"<tbody>\n{''.join(rows)}</tbody></table>\n</main>\n"
    )
    return page(f"Entities — {corpus_title}", body, root="", page_class="entities")
