#!/usr/bin/env python3
"""Score the clean stage on labelled scrapes: article lines kept, boilerplate cut, metadata.

Usage:
    python tools/eval_clean.py                     # seeds and written scrapes (clean_gold.toml)
    python tools/eval_clean.py FOLDER [FOLDER...]  # labelled folders (a gold.toml in or above)
    options: [--gold FILE] [--rules FILE] [--per-file] [--errors]

A labelled folder holds scrapes (``*.txt``) and a ``gold.toml`` (in the folder or
one of its parents) in the format of ``tests/data/clean_gold.toml``: per file the
whole lines that are not article text (``remove``), the fragments cut inside a
kept line (``inline``) and the metadata the text states (``meta``); paths are
relative to the gold file's folder (or to the repository root, as in
``clean_gold.toml``). Every other non-blank line is article text.

Columns (blank lines are not counted; a line counts once):
  kept      article lines the stage kept / article lines (the goal is all of them)
  cut       boilerplate lines the stage cut / boilerplate lines
  wrong     article lines the stage cut (the same failures as "kept", as a count)
  inline    inline fragments cut / labelled
  meta      stated metadata fields recovered exactly / fields the text states
  invented  metadata fields the stage filled that the text does not state
  quotes    kept lines in another language (``foreign`` in the gold file) marked with it
A document the stage refuses (all boilerplate, empty) counts as every line cut.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pipeline.document import Document, Source  # noqa: E402
from pipeline.errors import DocumentError  # noqa: E402
from pipeline.stages.clean import Rules, clean, load_rules, normalise_newlines  # noqa: E402

META_FIELDS = ("title", "date", "author", "outlet", "section")
DEFAULT_GOLD = ROOT / "tests" / "data" / "clean_gold.toml"


@dataclass
class Score:
    files: int = 0
    lines: int = 0
    article: int = 0
    kept: int = 0
    gold: int = 0
    tp: int = 0
    inline_gold: int = 0
    inline_tp: int = 0
    meta_total: int = 0
    meta_ok: int = 0
    invented: int = 0
    quotes: int = 0
    quotes_ok: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: Score) -> None:
        for f in fields(self):
            if f.name != "errors":
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        self.errors += other.errors

    @property
    def wrong(self) -> int:
        return self.article - self.kept


@dataclass(frozen=True)
class Entry:
    """One labelled scrape: the gold entry and where its file lies."""

    data: dict[str, Any]
    path: Path
    group: str


def _meta_value(doc: Document, name: str, precision: str | None) -> str | None:
    if name != "date":
        value = getattr(doc.meta, name, None)
        return value if isinstance(value, str) else None
    if doc.meta.date is None:
        return None
    got = doc.meta.date.value
    return got if doc.meta.date.precision == precision else f"{got} ({doc.meta.date.precision})"


def _same(name: str, got: str | None, want: str | None) -> bool:
    if name == "section" and got and want:  # a section label is the same in any case
        return got.casefold() == want.casefold()
    return got == want


def _score_meta(s: Score, doc: Document, meta: dict[str, Any], where: str) -> None:
    for name in META_FIELDS:
        want = meta.get(name)
        got = _meta_value(doc, name, meta.get("precision"))
        if want is None:
            if got is not None:
                s.invented += 1
                s.errors.append(f"{where}: meta {name}: invented {got!r}")
            continue
        s.meta_total += 1
        if _same(name, got, want):
            s.meta_ok += 1
        else:
            s.errors.append(f"{where}: meta {name}: got {got!r}, gold {want!r}")


def run_file(entry: Entry, rules: Rules) -> Score:
    """Clean one labelled scrape and score it against its gold entry."""
    data = entry.path.read_bytes()
    text = data.decode("utf-8")
    lines = normalise_newlines(text).split("\n")
    nonblank = {i + 1 for i, ln in enumerate(lines) if ln.strip()}
    src = Source(str(entry.path), entry.path.name, hashlib.sha256(data).hexdigest(), len(data))
    doc = Document(id=entry.path.stem, source=src)
    where = str(entry.data["path"])
    s = Score(files=1, lines=len(nonblank))
    inline_ids = {r.id for r in rules.rules if r.kind != "line"}
    try:
        clean(doc, text, rules)
        pred = {r.line for r in doc.removed if r.rule not in inline_ids}
        pred_inline = {(r.line, r.text) for r in doc.removed if r.rule in inline_ids}
    except DocumentError as exc:
        pred, pred_inline = set(nonblank), set()
        s.errors.append(f"{where}: refused ({exc.code})")
    gold = {int(g["line"]) for g in entry.data.get("remove", [])}
    article = nonblank - gold
    s.article, s.kept = len(article), len(article - pred)
    s.gold, s.tp = len(gold), len(gold & pred)
    gi = {(int(g["line"]), str(g["text"])) for g in entry.data.get("inline", [])}
    s.inline_gold, s.inline_tp = len(gi), len(gi & pred_inline)
    for n in sorted(pred & article):
        rule = next((r.rule for r in doc.removed if r.line == n), "?")
        line = lines[n - 1].strip()[:70]
        s.errors.append(f"{where}:{n}: cut ({rule}) but article text: {line!r}")
    for n in sorted(gold - pred):
        s.errors.append(f"{where}:{n}: kept but boilerplate: {lines[n - 1].strip()[:70]!r}")
    _score_meta(s, doc, entry.data.get("meta", {}), where)
    _score_quotes(s, doc, entry.data.get("foreign", []), lines, where)
    return s


def _score_quotes(s: Score, doc: Document, foreign: list[dict[str, Any]], lines: list[str],
                  where: str) -> None:
    side = doc.original
    for g in foreign:
        text = " ".join(lines[int(g["line"]) - 1].split())
        paras = [p for p in side.paragraphs if text in side.text[p.start:p.end]]
        s.quotes += 1
        if paras and paras[0].lang == g["lang"]:
            s.quotes_ok += 1
        else:
            got = paras[0].lang if paras else "cut"
            s.errors.append(f"{where}:{g['line']}: quote in {g['lang']} marked {got!r}")


def _find_gold(folder: Path) -> Path:
    for d in (folder, *folder.parents):
        if (d / "gold.toml").is_file():
            return d / "gold.toml"
        if d == ROOT:
            break
    raise SystemExit(f"eval_clean: no gold.toml in {folder} or above it")


def _resolve(gold: Path, rel: str) -> Path:
    here = (gold.parent / rel).resolve()
    return here if here.exists() else (ROOT / rel).resolve()


def load_entries(gold: Path, folders: Iterable[Path] = ()) -> list[Entry]:
    """The gold file's entries (only those under ``folders`` when given)."""
    data = tomllib.loads(gold.read_text(encoding="utf-8"))
    roots = [f.resolve() for f in folders]
    out = []
    for item in data["file"]:
        path = _resolve(gold, str(item["path"]))
        if roots and not any(path.is_relative_to(r) for r in roots):
            continue
        group = str(item.get("corpus") or item.get("part") or path.parent.name)
        out.append(Entry(item, path, group))
    return out


def _pct(n: int, d: int) -> str:
    return f"{n}/{d} {100 * n / d:5.1f}%" if d else "-"


def print_table(rows: list[tuple[str, Score]], width: int) -> None:
    header = (f"{'corpus':<{width}} {'files':>5} {'lines':>5}  {'kept':>15}  {'cut':>15}  "
              f"{'wrong':>5}  {'inline':>7}  {'meta':>15}  {'invented':>8}  {'quotes':>6}")
    print(header)
    print("-" * len(header))
    for name, s in rows:
        print(f"{name[-width:]:<{width}} {s.files:>5} {s.lines:>5}  {_pct(s.kept, s.article):>15}  "
              f"{_pct(s.tp, s.gold):>15}  {s.wrong:>5}  {s.inline_tp:>3}/{s.inline_gold:<3}  "
              f"{_pct(s.meta_ok, s.meta_total):>15}  {s.invented:>8}  "
              f"{s.quotes_ok:>2}/{s.quotes:<3}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("folders", nargs="*", type=Path, help="labelled folders (default: --gold)")
    ap.add_argument("--gold", type=Path, default=None, help=f"gold file (default: {DEFAULT_GOLD})")
    ap.add_argument("--rules", default=None, help="rules file (default: the package's)")
    ap.add_argument("--per-file", action="store_true", help="one row per file")
    ap.add_argument("--errors", action="store_true", help="list every wrong cut / keep / field")
    args = ap.parse_args(argv)
    rules = load_rules(args.rules)
    if args.folders:
        golds = dict.fromkeys([args.gold] if args.gold else [_find_gold(f) for f in args.folders])
        entries = [e for g in golds for e in load_entries(g, args.folders)]
    else:
        entries = load_entries(args.gold or DEFAULT_GOLD)

    groups: dict[str, Score] = {}
    per_file: list[tuple[str, Score]] = []
    for entry in entries:
        s = run_file(entry, rules)
        per_file.append((str(entry.data["path"]), s))
        groups.setdefault(entry.group, Score()).add(s)
    total = Score()
    for s in groups.values():
        total.add(s)
    print(f"rules {Path(rules.path).name} v{rules.version} sha256 {rules.sha256[:12]}")
    width = 44 if args.per_file else 10
    print_table((per_file if args.per_file else []) + [*groups.items(), ("all", total)], width)
    if args.errors and total.errors:
        print()
        print("\n".join(total.errors))
    return 0


if __name__ == "__main__":
    sys.exit(main())
