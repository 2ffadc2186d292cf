"""Score the pipeline's HTML reading (trafilatura + our cleaning) on the French news bench.

    python tools/bench_html.py [--bench DIR] [-o OUT] [-v]

For every page of ``DIR/pages`` the pipeline's own path is taken: the HTML reader
(:mod:`pipeline.ingest.html`: trafilatura, standfirst and byline signals), then the clean
stage's rules, then the page metadata over cleaning's guesses. The cleaned text goes to
``OUT/<stem>.txt`` and the metadata to ``OUT/<stem>.json``, the layout the bench's
``score.py`` reads; its scores are printed beside those of trafilatura alone
(``DIR/baseline/trafilatura-2.3.1``), and written to ``OUT/results.md``.

The bench (``../shared/bench/html-fr``) is trafilatura's own evaluation pages: the rules
used here are general patterns, never the text of these pages.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
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
ROWS = (
    ("main text found (with-recall)", lambda s: s["with_recall"]),
    ("  standfirsts", lambda s: s["groups"].get("with standfirst", {}).get("rate")),
    ("  body", lambda s: s["groups"].get("with body", {}).get("rate")),
    ("boilerplate kept out", lambda s: s["without_rejection"]),
    ("title", lambda s: s["metadata"]["title"]["accuracy"]),
    ("date", lambda s: s["metadata"]["date"]["accuracy"]),
    ("author", lambda s: s["metadata"]["author"]["accuracy"]),
    ("site name", lambda s: s["metadata"]["sitename"]["accuracy"]),
    ("URL", lambda s: s["metadata"]["url"]["accuracy"]),
)


def find_bench() -> Path | None:
    """The bench folder: ../shared/bench/html-fr beside the checkout (or a worktree's)."""
    for base in (ROOT.parent, ROOT.parent.parent):
        candidate = base / "shared" / "bench" / "html-fr"
        if (candidate / "score.py").is_file():
            return candidate
    return None


def extract(page: Path, rules: clean.Rules) -> tuple[str, dict[str, Any], str | None]:
    """The pipeline's text and metadata for one page, or its error."""
    [unit], _ = units.plan([page], units.Options())
    try:
        loaded = units.load(unit, units.Options())
        doc = Document(id=unit.id, source=loaded.source)
        clean.clean(doc, loaded.text, units.cleaning_rules(rules, loaded))
        units.apply_known(doc, loaded)
    except DocumentError as exc:
        return "", {}, f"[{exc.code}] {exc.message}"
    m = doc.meta
    meta = {"title": m.title, "date": m.date.value if m.date else None, "author": m.author,
            "sitename": m.outlet, "url": m.url}
    return doc.original.text, meta, None


def run_pages(bench: Path, out: Path) -> list[str]:
    out.mkdir(parents=True, exist_ok=True)
    rules = clean.load_rules()
    errors = []
    for page in sorted((bench / "pages").glob("*.html")):
        text, meta, error = extract(page, rules)
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


def table(ours: dict[str, Any], base: dict[str, Any]) -> str:
    lines = ["| measure | trafilatura alone | pipeline (trafilatura + our rules) |",
             "|---|---:|---:|"]
    for label, get in ROWS:
        a, b = get(base["summary"]), get(ours["summary"])
        lines.append(f"| {label} | {_fmt(a)} | {_fmt(b)} |")
    return "\n".join(lines)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


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
    errors = run_pages(args.bench, args.output)
    scorer = load_scorer(args.bench)
    ours = score(scorer, args.bench, args.output)
    base = score(scorer, args.bench, args.bench / BASELINE)
    if args.verbose:
        print(scorer.report(ours, True))
    text = table(ours, base)
    print(text)
    for e in errors:
        print(f"  failed: {e}")
    (args.output / "results.md").write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
