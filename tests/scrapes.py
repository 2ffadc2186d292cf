"""Builders of scrape files for the format tests: HTML pages, WARC archives, JSON lines.

The pages are written for the tests in the shape of real French news pages (site chrome,
a standfirst, a byline, comments, related links); nothing is downloaded.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

PARAS = [
    "Le conseil municipal de Lyon a voté jeudi soir un plan de rénovation des écoles de la "
    "ville, après plusieurs mois de débats entre la majorité et l'opposition.",
    "Le projet prévoit la rénovation thermique de quarante bâtiments d'ici à 2030, pour un "
    "montant total estimé à 120 millions d'euros, financé en partie par l'État.",
    "« C'est un investissement pour nos enfants et pour le climat », a déclaré la maire "
    "adjointe chargée de l'éducation, Claire Fontaine, à l'issue de la séance.",
    "L'opposition a dénoncé un calendrier trop long et réclamé que les écoles les plus "
    "anciennes soient traitées en priorité dès la rentrée prochaine.",
]
LEAD = ("La ville engage un vaste chantier de rénovation de ses écoles, qui doit durer "
        "sept ans et coûter 120 millions d'euros.")


def page(title: str = "Lyon lance la rénovation de quarante écoles", *,
         paras: list[str] | None = None, lead: str | None = LEAD,
         author: str | None = "Jeanne Martin", date: str = "2024-03-14",
         url: str = "https://www.exemple-journal.fr/lyon/ecoles-renovation",
         lang: str = "fr", charset: str = "utf-8") -> str:
    """A news page with chrome around the article (menus, related links, comments)."""
    body = "\n".join(f"<p>{p}</p>" for p in (paras if paras is not None else PARAS))
    lead_html = f'<div class="article-chapo"><p>{lead}</p></div>' if lead else ""
    byline = f'<span class="author-name">Par {author}</span>' if author else ""
    return f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="{charset}">
<title>{title} - Exemple Journal</title>
<meta property="og:title" content="{title}">
<meta property="og:site_name" content="Exemple Journal">
<meta property="og:url" content="{url}">
<link rel="canonical" href="{url}">
<meta property="article:published_time" content="{date}T08:00:00+01:00">
</head><body>
<nav class="menu"><ul><li><a href="/">Accueil</a></li><li><a href="/politique">Politique</a></li>
<li><a href="/sport">Sport</a></li></ul></nav>
<main><article>
<h1>{title}</h1>
{byline} <time datetime="{date}">Publié le 14 mars 2024</time>
{lead_html}
<div class="article-body">
{body}
</div>
</article>
<aside class="related"><h3>À lire aussi</h3><ul>
<li><a href="/a">Les cantines passent au bio</a></li>
<li><a href="/b">Un nouveau collège à Villeurbanne</a></li></ul></aside>
<section class="comments"><h3>Commentaires</h3>
<div class="comment">
<p>Enfin ! Il était temps que la ville s'occupe des écoles de nos quartiers.</p></div>
</section>
</main>
<footer><p>© Exemple Journal 2024 - Mentions légales - Contact</p></footer>
</body></html>
"""


def warc_bytes(records: list[tuple[str, bytes, str]], *, gzip: bool = True,
               extra: bool = True) -> bytes:
    """A WARC holding, for each (url, body, content type), a request and a response record.

    Dates and record ids are fixed, so the same call gives the same bytes. ``extra`` adds
    a warcinfo record first and a metadata record last (both to be skipped).
    """
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=gzip)
    n = 0

    def headers(kind: str) -> dict[str, str]:
        nonlocal n
        n += 1
        return {"WARC-Date": f"2024-05-0{1 + n % 9}T10:00:00Z",
                "WARC-Record-ID": f"<urn:uuid:00000000-0000-0000-0000-{n:012d}>"}

    if extra:
        writer.write_record(writer.create_warc_record(
            "", "warcinfo", payload=io.BytesIO(b"software: test\r\n"),
            warc_content_type="application/warc-fields", warc_headers_dict=headers("info")))
    for url, body, ctype in records:
        req = StatusAndHeaders("GET / HTTP/1.1", [("Host", "exemple-journal.fr")],
                               is_http_request=True)
        writer.write_record(writer.create_warc_record(
            url, "request", http_headers=req, warc_headers_dict=headers("req")))
        http = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(
            url, "response", payload=io.BytesIO(body), http_headers=http,
            warc_headers_dict=headers("resp")))
    if extra:
        writer.write_record(writer.create_warc_record(
            "https://www.exemple-journal.fr/", "metadata", payload=io.BytesIO(b"outlinks: 3"),
            warc_content_type="application/warc-fields", warc_headers_dict=headers("meta")))
    return buf.getvalue()


def two_page_warc(path: Path, *, gzip: bool = True) -> Path:
    """A WARC with two article pages and an image response (to be skipped)."""
    pages = [
        ("https://www.exemple-journal.fr/lyon/ecoles", page().encode(), "text/html; charset=utf-8"),
        ("https://www.exemple-journal.fr/logo.png", b"\x89PNG\r\n\x1a\n0000", "image/png"),
        ("https://www.exemple-journal.fr/lyon/tram",
         page("Le tramway de Lyon prolongé jusqu'à Vaulx-en-Velin",
              url="https://www.exemple-journal.fr/lyon/tram").encode("utf-8"),
         "text/html; charset=utf-8"),
    ]
    path.write_bytes(warc_bytes(pages, gzip=gzip))
    return path


def jsonl_lines(records: list[dict[str, object] | str]) -> str:
    """JSON lines; a str item is written as it is (a broken line)."""
    return "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n"
                   for r in records)


def article_text() -> str:
    return "\n\n".join(PARAS)
