"""The sidecar metadata table: found beside the inputs or named, and it wins."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapes import article_text

from pipeline.document import Document
from pipeline.errors import ConfigError
from pipeline.ingest import sidecar, units
from pipeline.stages import clean


def test_metadata_csv_in_the_folder_is_found_and_read(tmp_path: Path) -> None:
    (tmp_path / "metadata.csv").write_text(
        "file,url,title,date,author,outlet,notes\n"
        "a.txt,https://x.fr/a,Le vrai titre,2024-03-14,Jeanne Martin,Le Journal,ignored\n"
        "sub/b.txt,,,2023,,,\n", encoding="utf-8")
    tables = sidecar.tables_for([str(tmp_path)], None)
    assert tables == [tmp_path / "metadata.csv"]
    table = sidecar.load(tables)
    row = table.lookup(tmp_path / "a.txt")
    assert row is not None and row.values == {
        "url": "https://x.fr/a", "title": "Le vrai titre", "date": "2024-03-14",
        "author": "Jeanne Martin", "outlet": "Le Journal"}
    assert row.origin() == "sidecar table metadata.csv, line 2"
    other = table.lookup(tmp_path / "sub" / "b.txt")
    assert other is not None and other.values == {"date": "2023"}


def test_a_table_without_a_file_column_stops_the_run(tmp_path: Path) -> None:
    bad = tmp_path / "meta.csv"
    bad.write_text("name,title\na.txt,T\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="no 'file' column"):
        sidecar.load([bad])
    with pytest.raises(ConfigError, match="not a file"):
        sidecar.tables_for([], tmp_path / "missing.csv")


def test_the_table_wins_over_cleaning_and_says_so(tmp_path: Path) -> None:
    text = tmp_path / "a.txt"
    text.write_text("Un titre deviné par le nettoyage\n\nPublié le 2 janvier 2020\n\n"
                    + article_text(), encoding="utf-8")
    (tmp_path / "meta.tsv").write_text("file\ttitle\tdate\tauthor\n"
                                       "a.txt\tLe vrai titre\t14 mars 2024\tJeanne Martin\n",
                                       encoding="utf-8")
    options = units.Options(tables=(str(tmp_path / "meta.tsv"),))
    [unit], _ = units.plan([text], options)
    loaded = units.load(unit, options)
    doc = Document(id=unit.id, source=loaded.source)
    clean.clean(doc, loaded.text, clean.load_rules())
    units.apply_known(doc, loaded)
    assert doc.meta.title == "Le vrai titre"
    assert doc.meta.date is not None and doc.meta.date.value == "2024-03-14"
    assert doc.meta.author == "Jeanne Martin"
    assert doc.meta.origins["title"] == "sidecar table meta.tsv, line 2"
    assert all(origin == units.CLEANING for key, origin in doc.meta.origins.items()
               if key not in ("title", "date", "author"))
    # the table is part of the document's cache key: editing it recomputes the document
    assert unit.state(options) != unit.state(units.Options())


def test_a_bad_table_stops_the_run_before_anything_is_written(tmp_path: Path) -> None:
    from pipeline.run.runner import Settings, run

    inp = tmp_path / "in"
    inp.mkdir()
    (inp / "a.txt").write_text(article_text(), encoding="utf-8")
    (inp / "metadata.csv").write_text("name,title\na.txt,T\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="no 'file' column"):
        run(Settings(inputs=[str(inp)], output=tmp_path / "out", stages=("clean", "tei")))
    with pytest.raises(ConfigError, match="unknown field"):
        run(Settings(inputs=[str(inp)], output=tmp_path / "out", stages=("clean", "tei"),
                     json_fields="txt=body", metadata=None))
    assert not (tmp_path / "out").exists()
