"""Score the pipeline's HTML reading (trafilatura + our cleaning) on the French news bench.

    python tools/bench_html.py [--bench DIR] [-o OUT] [-v]

For every page of ``DIR/pages`` the pipeline's own path is taken: the HTML reader
(:mod:`pipeline.ingest.html`: trafilatura, standfirst and byline signals), then the clean
stage's rules, then the page metadata over cleaning's guesses. The cleaned text goes to
``OUT/<stem>.txt`` and the metadata to ``OUT/<stem>.json``, the layout the bench's
``score.py`` reads; its scores are printed beside those of trafilatura alone
(``DIR/baseline/trafilatura-2.3.1``) and of trafilatura + our cleaning without the markup
signals (``OUT/without-signals/``: what the signals add), and written to ``OUT/results.md``.

The bench (``../shared/bench/html-fr``) is trafilatura's own evaluation pages: the rules
used here are general patterns, never the text of these pages.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pipeline.document import Document  # noqa: E402
from pipeline.errors import DocumentError  # noqa: E402
from pipeline.ingest import units  # noqa: E402
from pipeline.stages import clean  # noqa: E402

BASELINE = "baseline/trafilatura-2.3.1"
Row = tuple[float | None, str]


def _group(s: dict[str, Any], key: str) -> Row:
    g = s["groups"].get(key)
    return (g["rate"], f"{g['ok']}/{g['n']}") if g else (None, "")


def _field(s: dict[str, Any], key: str) -> Row:
    m = s["metadata"][key]
    return m["accuracy"], f"{m.get('exact', 0) + m.get('contained', 0)}/{m['n']}"


ROWS: tuple[tuple[str, Callable[[dict[str, Any]], Row]], ...] = (
    ("main text found (with-recall)",
     lambda s: (s["with_recall"], f"{s['tp']}/{s['with_snippets']}")),
    ("  standfirsts", lambda s: _group(s, "with standfirst")),
    ("  body", lambda s: _group(s, "with body")),
    ("boilerplate kept out",
     lambda s: (s["without_rejection"], f"{s['tn']}/{s['without_snippets']}")),
    ("title", lambda s: _field(s, "title")),
    ("date", lambda s: _field(s, "date")),
    ("author", lambda s: _field(s, "author")),
    ("site name", lambda s: _field(s, "sitename")),
    ("URL", lambda s: _field(s, "url")),
)


def find_bench() -> Path | None:
    """The bench folder: ../shared/bench/html-fr beside the checkout (or a worktree's)."""
    for base in (ROOT.parent, ROOT.parent.parent):
        candidate = base / "shared" / "bench" / "html-fr"
        if (candidate / "score.py").is_file():
            return candidate
    return None


def extract(page: Path, rules: clean.Rules,
            options: units.Options) -> tuple[str, dict[str, Any], str | None]:
    """The pipeline's text and metadata for one page, or its error."""
    [unit], _ = units.plan([page], options)
    try:
        loaded = units.load(unit, options)
        doc = Document(id=unit.id, source=loaded.source)
        clean.clean(doc, loaded.text, units.cleaning_rules(rules, loaded))
        units.apply_known(doc, loaded)
    except DocumentError as exc:
        return "", {}, f"[{exc.code}] {exc.message}"
    m = doc.meta
    meta = {"title": m.title, "date": m.date.value if m.date else None, "author": m.author,
            "sitename": m.outlet, "url": m.url}
    return doc.original.text, meta, None


def run_pages(bench: Path, out: Path, options: units.Options) -> list[str]:
    out.mkdir(parents=True, exist_ok=True)
    rules = clean.load_rules()
    errors = []
    for page in sorted((bench / "pages").glob("*.html")):
        text, meta, error = extract(page, rules, options)
        if error:
            errors.append(f"{page.name}: {error}")
        (out / f"{page.stem}.txt").write_text(text, encoding="utf-8")
        (out / f"{page.stem}.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1),
                                               encoding="utf-8")
    return errors


def load_scorer(bench: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_score", bench / "score.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def score(scorer: ModuleType, bench: Path, pred: Path) -> dict[str, Any]:
    gold = scorer.read_gold(bench / "GOLD.tsv")
    labels = scorer.read_origin(bench / "GOLD_ORIGIN.tsv")
    result: dict[str, Any] = scorer.score(pred, gold, False, labels)
    return result


def table(columns: list[dict[str, Any]]) -> str:
    """Scores side by side: trafilatura alone, + our cleaning, + markup signals (shipped)."""
    lines = ["| measure | trafilatura alone | + our cleaning rules | + markup signals "
             "(shipped) |", "|---|---:|---:|---:|"]
    for label, get in ROWS:
        cells = " | ".join(_fmt(get(c["summary"])) for c in columns)
        lines.append(f"| {label} | {cells} |")
    return "\n".join(lines)


def _fmt(row: Row) -> str:
    value, count = row
    return "-" if value is None else f"{value:.3f} ({count})"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bench", type=Path, default=find_bench())
    ap.add_argument("-o", "--output", type=Path, default=ROOT / "output" / "bench" / "html-fr")
    ap.add_argument("-v", "--verbose", action="store_true", help="per-page misses and leaks")
    args = ap.parse_args(argv)
    if args.bench is None or not (args.bench / "score.py").is_file():
        print("error: bench not found; give --bench DIR (holding pages/, GOLD.tsv, score.py)",
              file=sys.stderr)
        return 2
    errors = run_pages(args.bench, args.output, units.Options())
    bare = args.output / "without-signals"
    run_pages(args.bench, bare, units.Options(markup_signals=False))
    scorer = load_scorer(args.bench)
    ours = score(scorer, args.bench, args.output)
    columns = [score(scorer, args.bench, args.bench / BASELINE),
               score(scorer, args.bench, bare), ours]
    if args.verbose:
        print(scorer.report(ours, True))
    text = table(columns)
    print(text)
    for e in errors:
        print(f"  failed: {e}")
    (args.output / "results.md").write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
