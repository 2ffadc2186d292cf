"""JSON lines and JSON lists: default field names, the user's mapping, bad records alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scrapes import PARAS, jsonl_lines, page

from pipeline.errors import ConfigError, DocumentError
from pipeline.ingest import jsonl, units

TEXT = "\n\n".join(PARAS)


def test_field_map_defaults_and_overrides() -> None:
    fields = jsonl.parse_field_map("text=body, url=link")
    assert fields["text"] == ("body",) and fields["url"] == ("link",)
    assert fields["title"] == jsonl.DEFAULT_FIELDS["title"]
    with pytest.raises(ConfigError, match="unknown field 'txt'"):
        jsonl.parse_field_map("txt=body")
    with pytest.raises(ConfigError, match="not FIELD=NAME"):
        jsonl.parse_field_map("text")


def test_news_please_style_records_by_default(tmp_path: Path) -> None:
    path = tmp_path / "items.jsonl"
    path.write_text(jsonl_lines([{
        "maintext": TEXT, "title": "Lyon rénove ses écoles", "date_publish": "2024-03-14 08:00:00",
        "authors": ["Jeanne Martin", "Paul Roux"], "source_domain": "exemple-journal.fr",
        "url": "https://www.exemple-journal.fr/lyon/ecoles"}]), encoding="utf-8")
    [unit], _ = units.plan([path], units.Options())
    loaded = units.load(unit, units.Options())
    assert loaded.text == f"Lyon rénove ses écoles\n\n{TEXT}"  # the headline first
    assert loaded.known == {"url": "https://www.exemple-journal.fr/lyon/ecoles",
                            "title": "Lyon rénove ses écoles", "date": "2024-03-14 08:00:00",
                            "author": "Jeanne Martin; Paul Roux",
                            "outlet": "exemple-journal.fr"}
    assert loaded.origins["author"] == "JSON field 'authors'"
    assert loaded.source.record == "line 1" and loaded.raw_suffix == ".json"
    assert unit.id.startswith("art-exemple-journal.fr_lyon_ecoles-")


def test_the_users_field_names(tmp_path: Path) -> None:
    path = tmp_path / "scrapy.jsonl"
    path.write_text(jsonl_lines([{"body": TEXT, "link": "https://x.fr/a", "meta": {
        "headline": "Un titre"}}]), encoding="utf-8")
    options = units.Options(json_fields="text=body,url=link,title=meta.headline")
    [unit], _ = units.plan([path], options)
    loaded = units.load(unit, options)
    assert loaded.text == f"Un titre\n\n{TEXT}"
    assert loaded.known["url"] == "https://x.fr/a" and loaded.known["title"] == "Un titre"
    assert loaded.origins["title"] == "JSON field 'meta.headline'"


def test_an_html_field_goes_through_the_html_reader(tmp_path: Path) -> None:
    path = tmp_path / "pages.jsonl"
    path.write_text(jsonl_lines([{"html": page(), "url": "https://x.fr/b"}]), encoding="utf-8")
    [unit], _ = units.plan([path], units.Options())
    loaded = units.load(unit, units.Options())
    assert PARAS[0] in loaded.text and "Mentions légales" not in loaded.text
    assert loaded.known["url"] == "https://x.fr/b"  # the record's field wins over the page's
    assert loaded.removed and loaded.removed[0].rule == "html-extraction"


def test_bad_lines_fail_alone(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_text(jsonl_lines([{"text": TEXT}, "{not json", '"a string"',
                                 {"title": "no text"}, {"text": TEXT + " Fin."}]),
                    encoding="utf-8")
    plan, _ = units.plan([path], units.Options())
    assert len(plan) == 5
    outcomes = []
    for unit in plan:
        try:
            units.load(unit, units.Options())
            outcomes.append("ok")
        except DocumentError as exc:
            outcomes.append(exc.code)
            assert f"line {unit.line}" in exc.message
    assert outcomes == ["ok", "json", "json", "json", "ok"]


def test_a_json_list(tmp_path: Path) -> None:
    path = tmp_path / "items.json"
    path.write_text(json.dumps([{"text": TEXT, "id": "a1"}, {"text": TEXT, "id": "a2"}],
                               indent=2), encoding="utf-8")
    plan, _ = units.plan([path], units.Options())
    assert len(plan) == 2 and plan[0].id != plan[1].id
    loaded = units.load(plan[1], units.Options())
    assert loaded.text == TEXT and loaded.source.record == "item 2"
    bad = tmp_path / "bad.json"
    bad.write_text("[{", encoding="utf-8")
    [unit], _ = units.plan([bad], units.Options())
    assert unit.error is not None and unit.error[0] == "json"
