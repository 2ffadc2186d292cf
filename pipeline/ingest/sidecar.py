"""A sidecar metadata table for text scrapes: ``--metadata FILE.csv`` or ``metadata.csv``.

Columns ``file, url, title, date, author, outlet`` (a header row names them; only ``file``
is required, other columns are ignored). ``file`` is the input's name, or its path relative
to the table's folder. What a row states wins over what cleaning guessed and over the
page's own metadata: it is what the person who made the scrape knew. The TEI says, field
by field, that the value came from this table and which row.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import ConfigError

FILE_NAME = "metadata.csv"
COLUMNS = ("url", "title", "date", "author", "outlet")
MAX_TABLE_BYTES = 50_000_000


@dataclass(frozen=True)
class Row:
    """What one row says about one input file."""

    table: str  # the table's file name
    line: int  # the row's line in the table
    values: dict[str, str] = field(default_factory=dict)

    def origin(self) -> str:
        return f"sidecar table {self.table}, line {self.line}"


@dataclass
class Sidecar:
    """Rows by input path (resolved) and by bare file name."""

    by_path: dict[str, Row] = field(default_factory=dict)
    by_name: dict[str, Row] = field(default_factory=dict)

    def lookup(self, path: Path) -> Row | None:
        return self.by_path.get(str(path.resolve())) or self.by_name.get(path.name)


def tables_for(inputs: list[str], explicit: Path | None) -> list[Path]:
    """The tables of a run: the one given, else ``metadata.csv`` in each input folder."""
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"--metadata: {explicit} is not a file")
        return [explicit]
    return [Path(i) / FILE_NAME for i in inputs if (Path(i) / FILE_NAME).is_file()]


def load(tables: list[Path]) -> Sidecar:
    """Read the tables (ConfigError when one is not a usable CSV: a run's fault, exit 2)."""
    sidecar = Sidecar()
    for table in tables:
        for row_file, row in _rows(table):
            sidecar.by_path.setdefault(str((table.parent / row_file).resolve()), row)
            sidecar.by_name.setdefault(Path(row_file).name, row)
    return sidecar


def _rows(table: Path) -> list[tuple[str, Row]]:
    if table.stat().st_size > MAX_TABLE_BYTES:
        raise ConfigError(f"{table}: over {MAX_TABLE_BYTES:,} bytes; not a metadata table?")
    try:
        text = table.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{table}: not UTF-8 ({exc}); save the table as UTF-8") from exc
    dialect = csv.excel_tab if text.split("\n", 1)[0].count("\t") > text.split(
        "\n", 1)[0].count(",") else csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    names = [n.strip().lower() for n in reader.fieldnames or []]
    if "file" not in names:
        raise ConfigError(f"{table}: no 'file' column (columns: file, {', '.join(COLUMNS)})")
    reader.fieldnames = names
    rows = []
    for rec in reader:
        name = (rec.get("file") or "").strip()
        if not name:
            continue
        values = {k: " ".join(str(rec.get(k) or "").split()) for k in COLUMNS}
        rows.append((name, Row(table.name, reader.line_num,
                               {k: v for k, v in values.items() if v})))
    return rows
