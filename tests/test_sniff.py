"""Format detection: the name proposes, the first bytes decide."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from scrapes import page, two_page_warc

from pipeline.ingest import sniff


@pytest.mark.parametrize(("name", "fmt"), [
    ("a.txt", "text"), ("A.TXT", "text"), ("a.html", "html"), ("a.htm", "html"),
    ("crawl.warc", "warc"), ("crawl.WARC.GZ", "warc"), ("items.jsonl", "jsonl"),
    ("items.json", "jsonl"), ("notes.md", None), ("archive.gz", None),
])
def test_format_of_name(name: str, fmt: str | None) -> None:
    assert sniff.format_of_name(name) == fmt


def test_hidden_and_unknown_files_are_not_inputs() -> None:
    assert sniff.is_input_name("a.html")
    assert not sniff.is_input_name("._a.html")
    assert not sniff.is_input_name("metadata.csv")


def test_content_decides_over_the_name(tmp_path: Path) -> None:
    saved = tmp_path / "article.txt"
    saved.write_text(page(), encoding="utf-8")
    assert sniff.detect(saved) == "html"  # a page saved as .txt is read as HTML
    text = tmp_path / "list.txt"
    text.write_text("[Mise à jour] Le conseil a voté.\n", encoding="utf-8")
    assert sniff.detect(text) == "text"  # a text starting with "[" stays text
    warc = two_page_warc(tmp_path / "crawl.bin")
    assert sniff.detect(warc) == "warc"
    other = tmp_path / "x.warc.gz"
    other.write_bytes(gzip.compress(b"not a warc"))
    assert sniff.sniff_bytes(other.read_bytes()) is None
    assert sniff.detect(other) == "warc"  # the WARC reader then says what is wrong
    lines = tmp_path / "items"
    lines.write_text('{"text": "Bonjour"}\n', encoding="utf-8")
    assert sniff.detect(lines) == "jsonl"
    assert sniff.detect(tmp_path / "missing.html") == "html"
