"""The WARC reader: HTML response records streamed, the rest counted, breaks located."""

from __future__ import annotations

import hashlib
from pathlib import Path

from scrapes import page, two_page_warc, warc_bytes

from pipeline.ingest import units, warc


def test_scan_lists_html_responses_and_counts_the_rest(tmp_path: Path) -> None:
    path = two_page_warc(tmp_path / "crawl.warc.gz")
    found = warc.scan(path)
    assert found.error is None
    assert [e.uri for e in found.entries] == ["https://www.exemple-journal.fr/lyon/ecoles",
                                              "https://www.exemple-journal.fr/lyon/tram"]
    assert dict(found.skipped) == {"request": 3, "warcinfo": 1, "metadata": 1,
                                   "response image/png": 1}
    assert all(e.date.startswith("2024-05-0") and e.charset == "utf-8" for e in found.entries)


def test_a_record_is_read_back_from_its_offset(tmp_path: Path) -> None:
    path = two_page_warc(tmp_path / "crawl.warc.gz")
    entry = warc.scan(path).entries[1]
    rec = warc.read_record(path, entry.offset, entry.length)
    assert rec.payload.startswith(b"<!DOCTYPE html>") and b"tramway" in rec.payload
    assert rec.raw.startswith(b"\x1f\x8b")  # the gzip member as stored: a WARC by itself
    assert hashlib.sha256(rec.raw).hexdigest() == entry.sha256
    assert rec.uri == entry.uri and rec.record_id.startswith("<urn:uuid:")
    alone = tmp_path / "alone.warc.gz"
    alone.write_bytes(rec.raw)
    assert [e.uri for e in warc.scan(alone).entries] == [entry.uri]


def test_uncompressed_warc(tmp_path: Path) -> None:
    path = two_page_warc(tmp_path / "crawl.warc", gzip=False)
    found = warc.scan(path)
    assert found.error is None and len(found.entries) == 2
    rec = warc.read_record(path, found.entries[0].offset, found.entries[0].length)
    assert rec.raw.startswith(b"WARC/1") and b"quarante" in rec.payload


def test_a_truncated_gzip_member_keeps_the_records_before_it(tmp_path: Path) -> None:
    path = two_page_warc(tmp_path / "crawl.warc.gz")
    whole = warc.scan(path)
    last = whole.entries[-1]
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(path.read_bytes()[: last.offset + last.length // 2])
    found = warc.scan(cut)
    assert [e.uri for e in found.entries] == [whole.entries[0].uri]
    assert found.error is not None and f"byte {last.offset:,}" in found.error
    assert "truncated" in found.error


def test_a_cut_inside_a_member_header_is_reported_too(tmp_path: Path) -> None:
    path = two_page_warc(tmp_path / "crawl.warc.gz")
    last = warc.scan(path).entries[-1]
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(path.read_bytes()[: last.offset + 12])
    found = warc.scan(cut)
    assert len(found.entries) == 1
    assert found.error is not None and f"byte {last.offset:,}" in found.error


def test_a_truncated_uncompressed_record(tmp_path: Path) -> None:
    path = two_page_warc(tmp_path / "crawl.warc", gzip=False)
    last = warc.scan(path).entries[-1]
    cut = tmp_path / "cut.warc"
    cut.write_bytes(path.read_bytes()[: last.offset + last.length // 2])
    found = warc.scan(cut)
    assert len(found.entries) == 1 and found.error and "truncated" in found.error


def test_plan_makes_one_document_per_record_with_stable_ids(tmp_path: Path) -> None:
    path = two_page_warc(tmp_path / "crawl.warc.gz")
    first, inputs = units.plan([path], units.Options())
    again, _ = units.plan([path], units.Options())
    assert [u.id for u in first] == [u.id for u in again]
    assert [u.id.rsplit("-", 1)[0] for u in first] == [
        "art-exemple-journal.fr_lyon_ecoles", "art-exemple-journal.fr_lyon_tram"]
    assert inputs[0].skipped == {"metadata": 1, "request": 3, "response image/png": 1,
                                 "warcinfo": 1}
    assert inputs[0].documents == 2


def test_a_warc_without_html_is_one_clear_failure(tmp_path: Path) -> None:
    path = tmp_path / "images.warc.gz"
    path.write_bytes(warc_bytes([("https://x.fr/a.png", b"\x89PNG....", "image/png")]))
    [unit], _ = units.plan([path], units.Options())
    assert unit.error is not None and unit.error[0] == "no-html-records"
    assert "1 response image/png" in unit.error[1]


def test_the_same_url_crawled_twice_gets_two_ids(tmp_path: Path) -> None:
    body = page().encode()
    path = tmp_path / "twice.warc.gz"
    path.write_bytes(warc_bytes([("https://x.fr/a", body, "text/html")] * 2, extra=False))
    plan, _ = units.plan([path], units.Options())
    assert len({u.id for u in plan}) == 2


def test_angle_brackets_around_the_target_uri_are_dropped(tmp_path: Path) -> None:
    path = tmp_path / "brackets.warc.gz"
    path.write_bytes(warc_bytes([("<https://x.fr/a>", page().encode(), "text/html")],
                                extra=False))
    [entry] = warc.scan(path).entries
    assert entry.uri == "https://x.fr/a"
    assert warc.read_record(path, entry.offset, entry.length).uri == "https://x.fr/a"
