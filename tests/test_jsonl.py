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


def _counting_parses(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    parsed: list[Path] = []
    real = jsonl._parse_list

    def counted(path: Path) -> list[tuple[object, bytes]]:
        parsed.append(path)
        return real(path)

    monkeypatch.setattr(jsonl, "_parse_list", counted)
    return parsed


def test_a_list_is_parsed_once_for_many_items(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Inside lists_kept, reading every item parses the list once (not once per item); a
    file rewritten meanwhile is parsed again; outside, nothing is held."""
    path = tmp_path / "list.json"
    path.write_text(json.dumps([{"text": f"Article {i}."} for i in range(5)]), encoding="utf-8")
    entries = jsonl.scan(path, jsonl.DEFAULT_FIELDS)
    parsed = _counting_parses(monkeypatch)
    with jsonl.lists_kept():
        assert [jsonl.read_entry(path, e)[0]["text"] for e in entries] == [
            f"Article {i}." for i in range(5)]
        with jsonl.lists_kept():  # nested: the same holding
            jsonl.read_entry(path, entries[0])
        assert len(parsed) == 1
        path.write_text(json.dumps([{"text": "Réécrit, plus long."}]), encoding="utf-8")
        assert jsonl.read_entry(path, entries[0])[0]["text"] == "Réécrit, plus long."
        with pytest.raises(DocumentError, match="the list has no item 2"):
            jsonl.read_entry(path, entries[1])
        assert len(parsed) == 2
    jsonl.read_entry(path, entries[0])
    jsonl.read_entry(path, entries[0])
    assert len(parsed) == 4


def test_a_bad_list_fails_each_item_without_parsing_again(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "list.json"
    path.write_text('[{"text": "Un."}, {"text": "Deux."}]', encoding="utf-8")
    entries = jsonl.scan(path, jsonl.DEFAULT_FIELDS)
    path.write_text('[{"text": "Un."}, {"text": "Deux."', encoding="utf-8")  # cut short
    parsed = _counting_parses(monkeypatch)
    with jsonl.lists_kept():
        for entry in entries:
            with pytest.raises(DocumentError, match="not JSON") as failed:
                jsonl.read_entry(path, entry)
            assert failed.value.code == "json"
    assert len(parsed) == 1


def test_an_item_to_ship_parses_back_to_the_same_value(tmp_path: Path) -> None:
    path = tmp_path / "list.json"
    items = [{"z": 1, "a": {"y": [1.5, None], "b": "é\ud800"}}, "texte", 3]
    path.write_text(json.dumps(items), encoding="utf-8")
    for n, item in enumerate(items, 1):
        shipped = jsonl.item_to_ship(path, n)
        assert shipped is not None
        back = json.loads(shipped)
        assert back == item and json.dumps(back) == json.dumps(item)  # keys in their order
    assert jsonl.item_to_ship(path, 4) is None  # no such item: the whole file travels
    path.write_text("[1, 2", encoding="utf-8")
    assert jsonl.item_to_ship(path, 1) is None  # unreadable: likewise
