"""Names through MT, before and after the translate stage handles them (issue 15).

On the seeds (gold: tests/data/gold_entities.toml) it prints, for the plain engine output
("before": ``translate(..., names=False)``) and the stage as shipped ("after"):

* name survival: share of gold French PER/LOC/ORG mentions (each occurrence in a
  sentence) whose expected English form (or, for a person, the name as written) is in
  the aligned English sentence;
* English NER P/R/F1, cross-lingual share and link precision (tools/eval_ner.py);
* pivot-language words per 1,000 English words: words of the English text that a Spanish
  analyser (Apertium es-fr) knows and the English one (eng-spa) does not, that are not in
  the French source sentence (names projected from the French are not counted);
  unmarked French words per 1,000: words of the French source left in the English,
  unknown to the English analyser, lower-case, not marked <foreign>; foreign-marked
  words per 1,000;
* the unknown-word rate of each Apertium step (per 100 words of what the step read;
  placeholders excluded).

With ``--heldout`` it also scores tests/data/heldout_names.toml (French sentences whose
English originals are known): names of the original intact in the output, and chrF against
the original, before and after. ``--heldout FILE`` scores another set of the same format
(tests/data/heldout_names2.toml); ``--no-seeds`` skips the seeds rows.

    python tools/eval_names.py [--heldout [FILE]] [--no-seeds] [-v]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

import eval_ner as ev  # noqa: E402

from pipeline.document import (  # noqa: E402
    FOREIGN,
    PARA_SEP,
    PROJECTION,
    Document,
    Paragraph,
    Side,
    Source,
)
from pipeline.engines import apertium  # noqa: E402
from pipeline.stages import analyse, link  # noqa: E402
from pipeline.stages import translate as mt  # noqa: E402

HELDOUT_FILE = ROOT / "tests" / "data" / "heldout_names.toml"
#: Apertium's English analyser (eng-spa) and a Spanish one that knows what fr-es writes
#: (es-fr: spa-eng's own analyser lacks exactly the words that leak).
ENGLISH = Path("/usr/share/apertium/apertium-eng-spa/eng-spa.automorf.bin")
SPANISH = Path("/usr/share/apertium/apertium-fr-es/es-fr.automorf.bin")
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_PLACEHOLDER = re.compile(r"^(?:Zq|Xv|Qz)[a-z]+xq?$")
KINDS = ("PER", "LOC", "ORG")


class Recorder:
    """The engine, recording what the stage sends to it (output untouched)."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.name = engine.name
        self.sent: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.engine, name)

    def translate_marked(self, texts: list[str]) -> list[str]:
        self.sent += texts
        return list(self.engine.translate_marked(texts))


@dataclass
class Row:
    variant: str
    survived: int = 0
    names: int = 0
    english_words: int = 0
    pivot: list[str] = field(default_factory=list)
    french: list[str] = field(default_factory=list)
    foreign: int = 0
    steps: list[tuple[int, int]] = field(default_factory=list)  # (unknown, words) per step
    ner: ev.Result | None = None
    chrf: float | None = None
    lost: list[str] = field(default_factory=list)

    def per_1000(self, n: int) -> float:
        return 1000 * n / self.english_words if self.english_words else 0.0


# ---------------------------------------------------------------------------- words


def _analyser_unknown(words: list[str], automorf: Path) -> set[str]:
    """The words an Apertium analyser does not know."""
    if not words or not automorf.is_file():
        return set()
    data = "\n".join(words) + "\n"
    out = subprocess.run(["lt-proc", "-w", str(automorf)], input=data, capture_output=True,
                         text=True, check=False).stdout
    return {m.group(1) for m in re.finditer(r"\^([^/$]*)/\*", out)}


def leftover_words(doc: Document, row: Row) -> None:
    """Count pivot-language and unmarked French words in a document's English side."""
    assert doc.translation is not None
    by_id = {s.id: s for s in doc.original.sentences()}
    cands: list[tuple[str, bool]] = []  # (word, occurs in the French source)
    for sent in doc.translation.sentences():
        if sent.untranslated:
            continue
        src = by_id.get(sent.corresp or "")
        source = {w.casefold() for w in _WORD.findall(src.text)} if src else set()
        covered = [(m.start, m.end) for m in sent.mentions if m.label == FOREIGN]
        row.foreign += len(covered)
        covered += [(m.start, m.end) for m in sent.mentions if m.method == PROJECTION]
        for hit in _WORD.finditer(sent.text):
            a = sent.start + hit.start()
            if any(s <= a < e for s, e in covered) or not hit.group()[:1].islower():
                continue
            cands.append((hit.group(), hit.group().casefold() in source))
        row.english_words += len(_WORD.findall(sent.text))
    words = sorted({w for w, _ in cands})
    not_english = _analyser_unknown(words, ENGLISH)
    not_spanish = _analyser_unknown(words, SPANISH)
    for w, in_source in cands:
        if w not in not_english:
            continue
        if in_source:
            row.french.append(w)
        elif w not in not_spanish:
            row.pivot.append(w)


def step_rates(texts: list[str], chain: list[str]) -> list[tuple[int, int]]:
    """(unknown words, words) read at each step of the chain, placeholders excluded."""
    lines = [apertium.door(t) for t in texts if t.strip()]
    rates = []
    for mode in chain:
        data = apertium.SEPARATOR.join(lines) + "\n"
        marked = apertium.run_chain([mode], data, marks=True)
        plain = apertium.run_chain([mode], data)
        words = [w for w in _WORD.findall(data) if not _PLACEHOLDER.match(w)]
        unknown = [w for w in re.findall(r"(?<![\w*])[*@](\w+)", marked)
                   if not _PLACEHOLDER.match(w)]
        rates.append((len(unknown), len(words)))
        lines = [line for line in plain.split("\n") if line.strip()]
    return rates


# ---------------------------------------------------------------------------- seeds


def raw_gold(path: Path = ev.GOLD_FILE) -> tuple[dict[str, Any], dict[str, Any]]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return data["entity"], data["doc"]


def _present(form: str, text: str) -> bool:
    pattern = re.escape(form.replace("’", "'")).replace("'", "['’]")
    return re.search(rf"(?<!\w){pattern}(?!\w)", text, re.IGNORECASE) is not None


def survival(doc: Document, entities: dict[str, Any], spec: dict[str, Any], row: Row) -> None:
    """Gold French PER/LOC/ORG occurrences whose English form is in the aligned sentence."""
    assert doc.translation is not None
    by_src = {s.corresp: s for s in doc.translation.sentences()}
    for sent in doc.original.sentences():
        target = by_src.get(sent.id)
        if target is None or target.untranslated:
            continue
        for eid, *forms in spec.get("forms", []):
            ent = entities[eid]
            if ent["type"] not in KINDS:
                continue
            for form in forms:
                surfaces = [f for f in form.split("|") if _present(f, sent.text)]
                if not surfaces:
                    continue
                wanted = list(ent.get("en", [])) + (surfaces if ent["type"] == "PER" else [])
                row.names += 1
                if any(_present(w, target.text) for w in wanted):
                    row.survived += 1
                else:
                    row.lost.append(f"{doc.id[4:7]}: {surfaces[0]} -> {target.text[:90]}")
                break


def seeds_row(variant: str, names: bool, fr: Any, en: Any, engine: Any) -> Row:
    gold = ev.load_gold()
    entities, specs = raw_gold()
    paths = sorted(p for p in ev.SEEDS_DIR.glob("*.txt") if p.stem in gold)
    docs = ev.article_documents(paths, gold)
    analyse.analyse_original(docs, fr)
    rec = Recorder(engine)
    mt.translate(docs, rec, mt.TranslationCache(None), names=names)  # type: ignore[arg-type]
    analyse.analyse_translation(docs, en)
    for doc in docs:
        link.link(doc)
    row = Row(variant, ner=ev.evaluate(docs, gold, variant))
    for doc in docs:
        survival(doc, entities, specs[Path(doc.source.filename).stem], row)
        leftover_words(doc, row)
    row.steps = step_rates(rec.sent, engine.chain)
    return row


# ---------------------------------------------------------------------------- held-out


def chrf(hyps: list[str], refs: list[str], n: int = 6, beta: float = 2.0) -> float:
    """Corpus chrF (character n-grams 1..6, spaces removed, beta 2), as sacrebleu computes it."""
    match = [0] * n
    hyp_total = [0] * n
    ref_total = [0] * n
    for hyp, ref in zip(hyps, refs, strict=True):
        h, r = hyp.replace(" ", ""), ref.replace(" ", "")
        for k in range(1, n + 1):
            hc = Counter(h[i : i + k] for i in range(len(h) - k + 1))
            rc = Counter(r[i : i + k] for i in range(len(r) - k + 1))
            match[k - 1] += sum((hc & rc).values())
            hyp_total[k - 1] += sum(hc.values())
            ref_total[k - 1] += sum(rc.values())
    precision = sum(m / t for m, t in zip(match, hyp_total, strict=True) if t) / n
    recall = sum(m / t for m, t in zip(match, ref_total, strict=True) if t) / n
    if not precision + recall:
        return 0.0
    return (1 + beta**2) * precision * recall / (beta**2 * precision + recall)


def heldout_docs(items: list[dict[str, Any]]) -> list[Document]:
    docs = []
    for n, item in enumerate(items, 1):
        doc = Document(f"art-h{n:02d}", Source(f"h{n}.txt", f"h{n}.txt", "0" * 64, 0))
        text = item["fr"]
        doc.original = Side("fr", text, [Paragraph(f"art-h{n:02d}.fr.p1", 0, len(text))])
        docs.append(doc)
    return docs


def heldout_row(variant: str, names: bool, fr: Any, en: Any, engine: Any,
                items: list[dict[str, Any]]) -> Row:
    docs = heldout_docs(items)
    analyse.analyse_original(docs, fr)
    mt.translate(docs, engine, mt.TranslationCache(None), names=names)
    analyse.analyse_translation(docs, en)
    row = Row(variant)
    hyps = []
    for doc, item in zip(docs, items, strict=True):
        assert doc.translation is not None
        out = doc.translation.text.replace(PARA_SEP, " ")
        hyps.append(out)
        for name in item["names"]:
            row.names += 1
            if _present(name, out):
                row.survived += 1
            else:
                row.lost.append(f"{doc.id}: {name} -> {out[:100]}")
        leftover_words(doc, row)
    row.chrf = chrf(hyps, [i["en"] for i in items])
    return row


# ---------------------------------------------------------------------------- main


def table(rows: list[Row]) -> str:
    head = (f"{'variant':<18} {'names':>13} {'en P':>6} {'en R':>6} {'en F1':>6} "
            f"{'x-ling':>6} {'linkP':>6} {'pivot/1k':>8} {'fr/1k':>6} {'foreign/1k':>10} "
            f"{'unk% s1':>7} {'unk% s2':>7} {'chrF':>6}")
    lines = [head, "-" * len(head)]
    for r in rows:
        s = f"{r.survived}/{r.names}={r.survived / r.names:.3f}" if r.names else "-"
        ner = r.ner
        en = f"{ner.en.precision:6.3f} {ner.en.recall:6.3f} {ner.en.f1:6.3f}" if ner else \
            f"{'-':>6} {'-':>6} {'-':>6}"
        links = f"{ner.links.share:6.3f} {ner.links.precision:6.3f}" if ner else \
            f"{'-':>6} {'-':>6}"
        steps = " ".join(f"{100 * u / w:7.2f}" if w else f"{'-':>7}" for u, w in r.steps) \
            if r.steps else f"{'-':>7} {'-':>7}"
        chrf_text = f"{r.chrf:6.3f}" if r.chrf is not None else f"{'-':>6}"
        lines.append(f"{r.variant:<18} {s:>13} {en} {links} {r.per_1000(len(r.pivot)):8.2f} "
                     f"{r.per_1000(len(r.french)):6.2f} {r.per_1000(r.foreign):10.2f} "
                     f"{steps} {chrf_text}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--heldout", nargs="?", const=HELDOUT_FILE, type=Path, metavar="FILE",
                    help="also score held-out sentences (default file: %(const)s)")
    ap.add_argument("--no-seeds", action="store_true", help="skip the seeds rows")
    ap.add_argument("-v", "--verbose", action="store_true", help="list lost names and words")
    args = ap.parse_args(argv)
    fr, en = ev.annotators("spacy")
    engine = apertium.ApertiumTranslator()
    rows = [] if args.no_seeds else [seeds_row("seeds before", False, fr, en, engine),
                                     seeds_row("seeds after", True, fr, en, engine)]
    if args.heldout:
        items = tomllib.loads(args.heldout.read_text(encoding="utf-8"))["sentence"]
        rows += [heldout_row("held-out before", False, fr, en, engine, items),
                 heldout_row("held-out after", True, fr, en, engine, items)]
    print(table(rows))
    if args.verbose:
        for r in rows:
            print(f"[{r.variant}] lost names ({len(r.lost)}):", *r.lost, sep="\n    ")
            print(f"[{r.variant}] pivot words: {sorted(Counter(r.pivot).items())}")
            print(f"[{r.variant}] unmarked French words: {sorted(Counter(r.french).items())}")
    engine.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
