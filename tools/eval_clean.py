#!/usr/bin/env python3
"""Precision and recall of the lines the clean stage removes, against gold labels.

Usage: python tools/eval_clean.py [--gold tests/data/clean_gold.toml] [--rules FILE]
                                  [--per-file] [--errors]

A line counts once: it is "removed" when the stage cut the whole line (inline
cuts such as the store marker are counted apart). Blank lines are not counted.
Precision = correct cuts / all cuts; recall = correct cuts / gold cuts.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pipeline.document import Document, Source  # noqa: E402
from pipeline.errors import DocumentError  # noqa: E402
from pipeline.stages.clean import clean, load_rules, normalise_newlines  # noqa: E402

META_FIELDS = ("title", "date", "outlet", "section", "author")


@dataclass
class Score:
    files: int = 0
    lines: int = 0
    gold: int = 0
    pred: int = 0
    tp: int = 0
    inline_gold: int = 0
    inline_tp: int = 0
    meta_total: int = 0
    meta_ok: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: Score) -> None:
        for name in ("files", "lines", "gold", "pred", "tp", "inline_gold", "inline_tp",
                     "meta_total", "meta_ok"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors += other.errors

    @property
    def precision(self) -> float:
        return self.tp / self.pred if self.pred else 1.0

    @property
    def recall(self) -> float:
        return self.tp / self.gold if self.gold else 1.0


def run_file(entry: dict, rules) -> Score:
    path = ROOT / entry["path"]
    data = path.read_bytes()
    text = data.decode("utf-8")
    lines = normalise_newlines(text).split("\n")
    nonblank = {i + 1 for i, ln in enumerate(lines) if ln.strip()}
    doc = Document(id=path.stem, source=Source(str(path), path.name,
                                               hashlib.sha256(data).hexdigest(), len(data)))
    s = Score(files=1, lines=len(nonblank))
    inline_ids = {r.id for r in rules.rules if r.kind != "line"}
    try:
        clean(doc, text, rules)
        pred = {r.line for r in doc.removed if r.rule not in inline_ids}
        pred_inline = {(r.line, r.text) for r in doc.removed if r.rule in inline_ids}
    except DocumentError as exc:
        pred, pred_inline = set(nonblank), set()
        s.errors.append(f"{entry['path']}: {exc.code}")
    gold = {g["line"] for g in entry.get("remove", [])}
    s.gold, s.pred, s.tp = len(gold), len(pred), len(gold & pred)
    gi = {(g["line"], g["text"]) for g in entry.get("inline", [])}
    s.inline_gold, s.inline_tp = len(gi), len(gi & pred_inline)
    where = entry["path"]
    for n in sorted(pred - gold):
        s.errors.append(f"{where}:{n}: cut but article text: {lines[n - 1].strip()[:70]!r}")
    for n in sorted(gold - pred):
        s.errors.append(f"{where}:{n}: kept but boilerplate: {lines[n - 1].strip()[:70]!r}")
    meta = entry.get("meta", {})
    for name in META_FIELDS:
        want = meta.get(name)
        got = getattr(doc.meta, name, None)
        if name == "date":
            got = doc.meta.date.value if doc.meta.date else None
            if got and doc.meta.date.precision != meta.get("precision"):
                got = f"{got} ({doc.meta.date.precision})"
        s.meta_total += 1
        if got == want:
            s.meta_ok += 1
        else:
            s.errors.append(f"{entry['path']}: meta {name}: got {got!r}, gold {want!r}")
    return s


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gold", default=str(ROOT / "tests" / "data" / "clean_gold.toml"))
    ap.add_argument("--rules", default=None, help="rules file (default: the package's)")
    ap.add_argument("--per-file", action="store_true", help="one row per file")
    ap.add_argument("--errors", action="store_true", help="list every wrong cut / keep / field")
    args = ap.parse_args(argv)
    rules = load_rules(args.rules)
    gold = tomllib.loads(Path(args.gold).read_text(encoding="utf-8"))

    rows: dict[str, Score] = {}
    per_file: list[tuple[str, Score]] = []
    for entry in gold["file"]:
        s = run_file(entry, rules)
        per_file.append((entry["path"], s))
        rows.setdefault(entry["corpus"], Score()).add(s)
    total = Score()
    for s in rows.values():
        total.add(s)
    rows["all"] = total

    header = (f"{'corpus':<{44 if args.per_file else 10}} {'files':>5} {'lines':>5} "
              f"{'gold':>5} {'pred':>5} {'prec':>6} {'recall':>6} {'inline':>7} {'meta':>7}")
    print(f"rules {Path(rules.path).name} v{rules.version} sha256 {rules.sha256[:12]}")
    print(header)
    print("-" * len(header))
    shown = per_file if args.per_file else []
    width = 44 if args.per_file else 10
    for name, s in shown + [(k, v) for k, v in rows.items()]:
        print(f"{name[-width:]:<{width}} {s.files:>5} {s.lines:>5} {s.gold:>5} {s.pred:>5} "
              f"{s.precision:>6.3f} {s.recall:>6.3f} {s.inline_tp:>3}/{s.inline_gold:<3} "
              f"{s.meta_ok:>3}/{s.meta_total:<3}")
    if args.errors and total.errors:
        print()
        print("\n".join(total.errors))
    return 0


if __name__ == "__main__":
    sys.exit(main())
