"""Compare Apertium's French->English pivots (es, ca, eo) on the seeds' article sentences.

No reference translation exists offline, so the measures are intrinsic:

* unknown words: each step runs WITHOUT ``-u`` so Apertium marks what it could not handle
  (``*`` unknown to the analyser, ``@`` missing from the bilingual dictionary, ``#``
  generation error); marks per 100 French source words, per step. Step 2 reads the
  unmarked output of step 1 (what the engine feeds it); "new" counts its unknown words
  that were not already unknown at step 1 (names passed through both steps).
* entity recall: gold entities of tests/data/gold_entities.toml (the English side units of
  tools/eval_ner.py, optional ones left out) whose correct English form occurs in the
  document's translation (case, accents and punctuation folded).
* speed: all sentences in one batch call per pivot (``--repeat`` copies to amortise the
  start-up), the two modes piped at once and one after the other, best of ``--reps``.
* the door: how many sentences translate differently without the engine's normalisation
  of ’ into ' and of non-breaking spaces into spaces (the differences are listed).

    python tools/eval_pivots.py                  # table
    python tools/eval_pivots.py --examples 5     # and sentences side by side
    python tools/eval_pivots.py --ner            # and English NER recall (spaCy) per pivot
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for p in (ROOT, ROOT / "tools"):
    if str(p) not in sys.path:  # run as a script from anywhere
        sys.path.insert(0, str(p))

import eval_ner  # noqa: E402
from apertium_experiments import run_chain_piped  # noqa: E402

from pipeline.engines import apertium  # noqa: E402

MARK = re.compile(r"([*@#])(?=[^\W_])")


@dataclass
class Row:
    pivot: str
    packages: str
    words: int = 0
    step_marks: list[Counter[str]] = field(default_factory=list)
    new_unknown: int = 0  # step 2 unknown words not unknown at step 1
    found: int = 0
    gold: int = 0
    misses: list[str] = field(default_factory=list)
    piped_s: float = 0.0
    serial_s: float = 0.0
    n_speed: int = 0
    words_speed: int = 0
    door_diff: int = 0
    door_examples: list[tuple[str, str, str]] = field(default_factory=list)
    output: list[str] = field(default_factory=list)
    ner: str = ""


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return " " + re.sub(r"[^\w]+", " ", text).strip() + " "


def marks(marked: str, plain: str) -> Counter[str]:
    """Apertium's marks in a marked output, less the same characters already in the text."""
    return Counter(MARK.findall(marked)) - Counter(MARK.findall(plain))


def unknown_words(marked: str) -> set[str]:
    return {w.casefold() for w in re.findall(r"\*([^\W_][\w'-]*)", marked)}


def load_sentences(seeds: Path) -> tuple[list[str], list[str]]:
    """The article sentences the translate stage would send, and each one's seed stem."""
    from pipeline.engines.registry import choose_annotator
    from pipeline.stages import analyse
    from pipeline.stages.translate import carry_reason

    gold = eval_ner.load_gold()
    paths = sorted(p for p in seeds.glob("*.txt") if p.stem in gold)
    docs = eval_ner.article_documents(paths, gold)
    analyse.analyse_original(docs, choose_annotator("spacy", "fr").factory())
    texts, stems = [], []
    for doc in docs:
        for sent in doc.original.sentences():
            if carry_reason(sent, doc.original.lang) is None:
                texts.append(sent.text)
                stems.append(Path(doc.source.filename).stem)
    return texts, stems


def translate(chain: list[str], sents: list[str], *, marks_on: bool, piped: bool = True,
              typographic: bool = True) -> list[str]:
    lines = [apertium.door(s, typographic=typographic) for s in sents]
    run = run_chain_piped if piped else apertium.run_chain
    out = run(chain, apertium.SEPARATOR.join(lines) + "\n", marks=marks_on)
    got = apertium.split_lines(out, len(lines))
    if got is None:
        raise RuntimeError(f"{'|'.join(chain)}: output lines do not match the input")
    return got


def measure(pivot: str, sents: list[str], stems: list[str], repeat: int, reps: int = 3) -> Row:
    chain = apertium.PIVOTS[pivot]
    pkgs = ["apertium", *apertium.DEBIAN_PACKAGES[pivot]]
    row = Row(pivot, " ".join(f"{p}={apertium._dpkg_version(p)}" for p in pkgs))
    row.words = sum(len(s.split()) for s in sents)
    # (a) marks per step; each step reads the previous step's unmarked output
    text = sents
    step1_unknown: set[str] = set()
    for n, mode in enumerate(chain):
        plain = translate([mode], text, marks_on=False)
        marked = translate([mode], text, marks_on=True)
        row.step_marks.append(marks("\n".join(marked), "\n".join(plain)))
        if n == 0:
            step1_unknown = unknown_words("\n".join(marked))
        else:
            row.new_unknown += sum(1 for w in re.findall(r"\*([^\W_][\w'-]*)", "\n".join(marked))
                                   if w.casefold() not in step1_unknown)
        text = plain
    row.output = text
    # (b) gold entities whose English form is in the translation
    gold = eval_ner.load_gold()
    by_doc: dict[str, str] = {}
    for stem, out in zip(stems, text, strict=True):
        by_doc[stem] = by_doc.get(stem, " ") + fold(out)
    for stem, g in gold.items():
        if stem not in by_doc:
            continue
        for eid, forms in sorted(g.en_forms.items()):
            if eid in g.optional_ids or not forms:
                continue
            row.gold += 1
            if any(f" {f} " in by_doc[stem] for f in forms):
                row.found += 1
            else:
                row.misses.append(f"{stem[:3]}:{eid}")
    # (c) speed: one batch, piped and one mode after the other
    batch = sents * repeat
    row.n_speed, row.words_speed = len(batch), row.words * repeat
    best = {True: float("inf"), False: float("inf")}
    for _ in range(reps):  # alternated, best of reps: the machine's noise only slows down
        for piped in (True, False):
            t = time.perf_counter()
            translate(chain, batch, marks_on=False, piped=piped)
            best[piped] = min(best[piped], time.perf_counter() - t)
    row.piped_s, row.serial_s = best[True], best[False]
    # the door: what the engine's normalisation of ’ and non-breaking spaces changes
    raw = translate(chain, sents, marks_on=False, typographic=False)
    row.door_diff = sum(1 for a, b in zip(raw, text, strict=True) if a.split() != b.split())
    row.door_examples = [(s, a, b) for s, a, b in zip(sents, raw, text, strict=True)
                         if a.split() != b.split()]
    return row


def ner_recall(pivot: str, seeds: Path) -> str:
    """English NER (spaCy) on this pivot's translation, scored as tools/eval_ner.py does."""
    gold = eval_ner.load_gold()
    paths = sorted(p for p in seeds.glob("*.txt") if p.stem in gold)
    fr, en = eval_ner.annotators("spacy")
    docs = eval_ner.article_documents(paths, gold)
    eval_ner.run_pipeline(docs, fr, en, apertium.ApertiumTranslator(pivot))
    r = eval_ner.evaluate(docs, gold, pivot)
    return (f"en NER P {r.en.precision:.3f} R {r.en.recall:.3f} F1 {r.en.f1:.3f} "
            f"({r.en.found}/{r.en.gold}); cross-lingual records {r.links.share:.3f}")


def per100(n: int, words: int) -> str:
    return f"{100 * n / words:5.2f}"


def table(rows: list[Row]) -> str:
    head = (f"{'pivot':<5} {'modes':<17} {'unk/100 s1':>10} {'s2':>5} {'s2 new':>6} "
            f"{'@/# s1':>7} {'@/# s2':>7} {'entities':>9} {'w/s piped':>9} {'serial':>7} "
            f"{'door':>5}")
    lines = [head, "-" * len(head)]
    for r in rows:
        s1, s2 = r.step_marks
        lines.append(
            f"{r.pivot:<5} {'|'.join(apertium.PIVOTS[r.pivot]):<17} "
            f"{per100(s1['*'], r.words):>10} {per100(s2['*'], r.words):>5} "
            f"{per100(r.new_unknown, r.words):>6} "
            f"{s1['@']:>3}/{s1['#']:<3} {s2['@']:>3}/{s2['#']:<3} "
            f"{r.found:>4}/{r.gold:<4} {r.words_speed / r.piped_s:9.0f} "
            f"{r.words_speed / r.serial_s:7.0f} {r.door_diff:>5}")
    lines.append("")
    for r in rows:
        lines.append(f"{r.pivot}: {r.packages}")
        lines.append(f"    {r.n_speed} sentences, {r.words_speed} words in one batch: piped "
                     f"{r.piped_s:.2f} s ({r.n_speed / r.piped_s:.0f} sentences/s), serial "
                     f"{r.serial_s:.2f} s ({r.n_speed / r.serial_s:.0f} sentences/s)")
        lines.append(f"    entities missed: {', '.join(r.misses) or '-'}")
        for src, raw, door in r.door_examples:
            lines.append(f"    door: {src[:70]}...\n      as is:  {raw[:90]}\n      "
                         f"door:   {door[:90]}")
        if r.ner:
            lines.append(f"    {r.ner}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=Path, default=eval_ner.SEEDS_DIR)
    ap.add_argument("--pivot", action="append", choices=list(apertium.PIVOTS),
                    help="pivots to measure (default: every installed one)")
    ap.add_argument("--repeat", type=int, default=10,
                    help="copies of the sentences in the speed batch (default 10)")
    ap.add_argument("--reps", type=int, default=3, help="timing runs, best kept (default 3)")
    ap.add_argument("--examples", type=int, default=0, help="sentences to show side by side")
    ap.add_argument("--ner", action="store_true", help="also score English NER (spaCy)")
    args = ap.parse_args(argv)

    pivots = args.pivot or apertium.installed_pivots()
    missing = [p for p in apertium.PIVOTS if p not in apertium.installed_pivots()]
    for p in missing:
        print(f"{p}: not installed (apt-get install {' '.join(apertium.DEBIAN_PACKAGES[p])})",
              file=sys.stderr)
    if not pivots:
        return 1
    sents, stems = load_sentences(args.seeds)
    rows = []
    for pivot in pivots:
        row = measure(pivot, sents, stems, args.repeat, args.reps)
        if args.ner:
            row.ner = ner_recall(pivot, args.seeds)
        rows.append(row)
    words = sum(len(s.split()) for s in sents)
    print(f"{len(sents)} article sentences, {words} French words "
          f"(unknown and marks per 100 source words; @/# are counts; entities: gold "
          f"entities whose English form is in the translation; door: sentences that translate "
          f"differently without mapping ’ to ' and non-breaking spaces to spaces)\n")
    print(table(rows))
    if args.examples:
        step = max(1, len(sents) // args.examples)
        for i in range(0, len(sents), step)[: args.examples]:
            print(f"\nfr  {sents[i]}")
            for r in rows:
                print(f"{r.pivot:<3} {r.output[i]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
