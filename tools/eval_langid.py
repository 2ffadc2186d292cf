#!/usr/bin/env python3
"""Compare language identifiers on labelled single lines (tests/data/langid_gold.tsv).

Usage: python tools/eval_langid.py [--gold FILE] [--errors]

The question cleaning asks of a line is "is it in another language than the
article, and which?", so each identifier is scored as cleaning uses it: a line
is marked with language L when the identifier says L (not French) with at
least the confidence the rules file asks for. Columns:

  fr kept      French lines not marked foreign / French lines
  names kept   lines of names and titles ("und") not marked foreign / such lines
  foreign      lines in another language marked with the right language / such lines
  scripts      lines in another script identified as not French (not "fr") / such lines
  short        lines of at most 8 words judged right (as above) / such lines
  ms/line      time per line after the first (models load on first use)
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pipeline.stages import langid  # noqa: E402
from pipeline.stages.clean import load_rules  # noqa: E402

Detector = Callable[[str], tuple[str, float]]
SCRIPTS = {"ar", "ja", "ru", "zh", "he", "el"}


@dataclass
class Row:
    lang: str
    text: str
    where: str


def load(path: Path) -> list[Row]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            lang, text, where = line.split("\t")
            rows.append(Row(lang, text, where))
    return rows


def right(row: Row, lang: str, conf: float, threshold: float) -> bool:
    marked = lang if lang not in ("fr", langid.UNDETERMINED) and conf >= threshold else None
    if row.lang in ("fr", "und"):
        return marked is None
    if row.lang in SCRIPTS:
        return lang != "fr"
    return marked == row.lang


def score(name: str, detect: Detector, rows: list[Row], threshold: float,
          errors: list[str]) -> list[str]:
    detect(rows[0].text)  # load the model outside the clock
    t0 = time.perf_counter()
    got = [detect(r.text) for r in rows]
    ms = 1000 * (time.perf_counter() - t0) / len(rows)
    groups: dict[str, list[bool]] = {"fr": [], "und": [], "foreign": [], "scripts": [],
                                     "short": []}
    for r, (lang, conf) in zip(rows, got, strict=True):
        ok = right(r, lang, conf, threshold)
        key = r.lang if r.lang in ("fr", "und") else "scripts" if r.lang in SCRIPTS else "foreign"
        groups[key].append(ok)
        if len(r.text.split()) <= 8:
            groups["short"].append(ok)
        if not ok:
            errors.append(f"{name}: {r.lang} -> {lang} ({conf:.2f}): {r.text[:70]!r}")

    def frac(k: str) -> str:
        v = groups[k]
        return f"{sum(v)}/{len(v)}"

    return [name, frac("fr"), frac("und"), frac("foreign"), frac("scripts"), frac("short"),
            f"{ms:.2f}"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--gold", type=Path, default=ROOT / "tests" / "data" / "langid_gold.tsv")
    ap.add_argument("--errors", action="store_true", help="list every wrong line")
    args = ap.parse_args(argv)
    rows = load(args.gold)
    threshold = load_rules().structure.foreign_min_confidence
    errors: list[str] = []
    table = [["identifier", "fr kept", "names kept", "foreign", "scripts", "short", "ms/line"]]
    for name, detect in langid.IDENTIFIERS.items():
        try:
            table.append(score(name, detect, rows, threshold, errors))
        except ImportError as exc:  # lingua is measured where installed, not shipped
            table.append([name, f"not installed ({exc.name})", "", "", "", "", ""])
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    for r in table:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
    if args.errors:
        print("\n".join(["", *errors]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
