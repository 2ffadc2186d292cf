"""Measure entity recognition and cross-lingual linking on the seeds against the gold list.

Runs the pipeline's own stages over each seed's article text: clean (boilerplate cut),
French analysis, Apertium translation, English analysis of the translation, link. Then
scores the result against tests/data/gold_entities.toml (hand-verified; its header says
what counts as an entity and what the scoring units are) and prints one row per backend
and language:

    python tools/eval_ner.py                  # every backend that is installed
    python tools/eval_ner.py --backend spacy -v   # list the misses and false alarms

The functions are also used by tests/test_ner_quality.py (the quality gate).
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from pipeline.document import (  # noqa: E402
    ENTITY_TYPES,
    PARA_SEP,
    Document,
    Mention,
    Paragraph,
    Side,
)
from pipeline.ingest.files import make_ids, read_source  # noqa: E402
from pipeline.stages import translate as mt  # noqa: E402
from pipeline.stages.link import normalise  # noqa: E402
from pipeline.stages.table import GivenEngines, run_stages  # noqa: E402

GOLD_FILE = ROOT / "tests" / "data" / "gold_entities.toml"
SEEDS_DIR = ROOT / "seeds"


# ---------------------------------------------------------------------------- gold


@dataclass(frozen=True)
class Unit:
    """One thing to find: a French form (alternative spans) or an entity's English forms."""

    entity: str
    accepted: frozenset[str]  # normalised forms
    types: frozenset[str]
    optional: bool = False
    label: str = ""  # what to print for a miss


@dataclass
class GoldDoc:
    stem: str
    fr: list[Unit] = field(default_factory=list)
    en: list[Unit] = field(default_factory=list)
    skip: list[str] = field(default_factory=list)
    #: entity id -> its normalised French forms here (for links), optional ones included
    fr_forms: dict[str, set[str]] = field(default_factory=dict)
    #: entity id -> its normalised correct English forms
    en_forms: dict[str, set[str]] = field(default_factory=dict)
    optional_ids: set[str] = field(default_factory=set)


def load_gold(path: Path = GOLD_FILE) -> dict[str, GoldDoc]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    entities: dict[str, dict[str, Any]] = data["entity"]
    gold: dict[str, GoldDoc] = {}
    for stem, spec in data["doc"].items():
        g = GoldDoc(stem, skip=list(spec.get("skip", [])))
        rows = [(r, False) for r in spec.get("forms", [])] + \
               [(r, True) for r in spec.get("optional", [])]
        rows += [([eid], False) for eid in spec.get("en_only", [])]
        for row, optional in rows:
            eid, forms = row[0], row[1:]
            ent = entities[eid]  # KeyError: a typo in the gold file
            types = frozenset([ent["type"], *ent.get("types", [])])
            for form in forms:
                accepted = frozenset(normalise(f) for f in form.split("|"))
                g.fr.append(Unit(eid, accepted, types, optional, form))
                g.fr_forms.setdefault(eid, set()).update(accepted)
            en = {normalise(f) for f in ent.get("en", [])}
            g.en_forms[eid] = en
            # Detection on the English side also accepts a name the MT left as it was.
            g.en.append(Unit(eid, frozenset(en | g.fr_forms.get(eid, set())), types, optional,
                             ent.get("en", [eid])[0]))
            if optional:
                g.optional_ids.add(eid)
        gold[stem] = g
    return gold


# ---------------------------------------------------------------------------- documents


def article_documents(paths: list[Path], gold: dict[str, GoldDoc]) -> list[Document]:
    """Each seed's article text, cut by the clean stage (or by the gold's skip list)."""
    try:
        from pipeline.stages import clean as cleaner
    except ImportError:  # the clean stage is not there yet
        cleaner = None
    rules = cleaner.load_rules() if cleaner else None
    ids = make_ids(paths)
    docs = []
    for path in paths:
        source, text = read_source(path)
        doc = Document(id=ids[path], source=source)
        if cleaner is not None:
            doc.original.text = text
            run_stages([doc], GivenEngines(rules=rules), ("clean",))
        else:
            _split_article(doc, text, gold[path.stem].skip)
        docs.append(doc)
    return docs


def _split_article(doc: Document, text: str, skip: list[str]) -> None:
    paras = [" ".join(p.split()) for p in text.split("\n\n")]
    paras = [p for p in paras if p and not any(p.startswith(s) for s in skip)]
    side = Side("fr", PARA_SEP.join(paras))
    pos = 0
    for n, p in enumerate(paras, 1):
        side.paragraphs.append(Paragraph(f"{doc.id}.fr.p{n}", pos, pos + len(p)))
        pos += len(p) + len(PARA_SEP)
    doc.original = side


def run_pipeline(docs: list[Document], fr: Any, en: Any | None, translator: Any | None,
                 cache: mt.TranslationCache | None = None) -> None:
    """analyse -> translate -> analyse the translation -> link, from the stage table."""
    annotators = {"nlp-fr": fr, **({"nlp-en": en} if en is not None else {})}
    with_mt = translator is not None and en is not None
    ctx = GivenEngines(annotators=annotators, translator=translator if with_mt else None,
                       cache=cache)
    run_stages(docs, ctx, ("analyse", "translate", "analyse-en", "link"))


# ---------------------------------------------------------------------------- scoring


@dataclass
class Score:
    tp: int = 0  # predictions that match a gold unit
    pred: int = 0  # predictions, less those matching an optional unit
    found: int = 0  # gold units found
    gold: int = 0  # gold units (not optional)
    misses: list[str] = field(default_factory=list)
    false: list[str] = field(default_factory=list)

    def add(self, other: Score) -> None:
        self.tp += other.tp
        self.pred += other.pred
        self.found += other.found
        self.gold += other.gold
        self.misses += other.misses
        self.false += other.false

    @property
    def precision(self) -> float:
        return self.tp / self.pred if self.pred else 0.0

    @property
    def recall(self) -> float:
        return self.found / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def predictions(mentions: Iterable[Mention]) -> dict[tuple[str, str], str]:
    """Unique (normalised form, type) -> one surface form, for the entity types only."""
    out: dict[tuple[str, str], str] = {}
    for m in mentions:
        if m.label in ENTITY_TYPES:
            out.setdefault((normalise(m.text), m.label), m.text)
    return out


def score(units: list[Unit], preds: dict[tuple[str, str], str], where: str = "") -> Score:
    s = Score(gold=sum(1 for u in units if not u.optional))
    found: set[int] = set()
    for (form, label), surface in sorted(preds.items()):
        hits = [i for i, u in enumerate(units) if not u.optional and form in u.accepted
                and label in u.types]
        if hits:
            s.tp += 1
            s.pred += 1
            found.update(hits)
        elif any(u.optional and form in u.accepted for u in units):
            continue  # neither right nor wrong
        else:
            s.pred += 1
            s.false.append(f"{where}{surface} ({label})")
    s.found = len(found)
    s.misses = [f"{where}{u.label} ({'/'.join(sorted(u.types))})" for i, u in enumerate(units)
                if not u.optional and i not in found]
    return s


def mentions_of(side: Side | None) -> list[Mention]:
    return [m for s in side.sentences() for m in s.mentions] if side else []


@dataclass
class Links:
    entities: int = 0  # gold entities with French and English forms (not optional)
    linked: int = 0  # ... whose French forms share a record with a correct English form
    fragmented: int = 0  # ... whose French forms are spread over several records
    pairs: int = 0  # (fr form, en form) pairs inside records, judged
    right_pairs: int = 0  # ... whose English form names the same gold entity (maybe truncated)
    unjudged: int = 0  # pairs where neither side is a gold entity
    impure: int = 0  # records whose French forms name different gold entities
    misses: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)

    def add(self, other: Links) -> None:
        for name in ("entities", "linked", "fragmented", "pairs", "right_pairs", "unjudged",
                     "impure", "misses", "wrong"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def share(self) -> float:
        return self.linked / self.entities if self.entities else 0.0

    @property
    def precision(self) -> float:
        return self.right_pairs / self.pairs if self.pairs else 0.0


def _referents(form: str, by_en: dict[str, set[str]]) -> set[str]:
    """Gold entities an English form names: exactly, else as a truncated span whose words
    all belong to one form of the entity ("Mohammed Shia" of Mohammed Shia al-Sudani)."""
    if form in by_en:
        return by_en[form]
    words = set(form.split()) - {"al", "the", "of"}
    if not words:
        return set()
    return {e for f, ents in by_en.items() if words <= set(f.split()) for e in ents}


def score_links(doc: Document, g: GoldDoc) -> Links:
    out = Links()
    by_fr: dict[str, set[str]] = {}
    for eid, forms in g.fr_forms.items():
        for f in forms:
            by_fr.setdefault(f, set()).add(eid)
    by_en: dict[str, set[str]] = {}
    for u in g.en:
        for f in u.accepted:
            by_en.setdefault(f, set()).add(u.entity)
    where = f"{g.stem[:3]}: "
    for rec in doc.records:
        _score_record(rec, by_fr, by_en, where, out)
    for eid, forms in g.fr_forms.items():
        if eid in g.optional_ids or not g.en_forms.get(eid):
            continue
        out.entities += 1
        recs = [r for r in doc.records
                if any(normalise(f) in forms for f in r.forms.get("fr", []))]
        if len(recs) > 1:
            out.fragmented += 1
        if any(normalise(e) in g.en_forms[eid] for r in recs for e in r.forms.get("en", [])):
            out.linked += 1
        else:
            got = sorted({e for r in recs for e in r.forms.get("en", [])})
            out.misses.append(f"{where}{eid}: en {got or 'none'}")
    return out


def _score_record(rec: Any, by_fr: dict[str, set[str]], by_en: dict[str, set[str]],
                  where: str, out: Links) -> None:
    """One record: is it pure, and is each of its (French, English) pairs right?"""
    fr_forms = [normalise(f) for f in rec.forms.get("fr", [])]
    named = set().union(*(by_fr.get(f, set()) for f in fr_forms)) if fr_forms else set()
    if len(named) > 1:
        out.impure += 1
    for f, raw_f in zip(fr_forms, rec.forms.get("fr", []), strict=True):
        for raw_e in rec.forms.get("en", []):
            ef, ee = by_fr.get(f, set()), _referents(normalise(raw_e), by_en)
            if not ef and not ee:
                out.unjudged += 1
                continue
            out.pairs += 1
            if ef & ee:
                out.right_pairs += 1
            else:
                out.wrong.append(f"{where}« {raw_f} » ~ \"{raw_e}\"")


@dataclass
class Result:
    backend: str
    fr: Score
    en: Score
    links: Links


def evaluate(docs: list[Document], gold: dict[str, GoldDoc], backend: str) -> Result:
    res = Result(backend, Score(), Score(), Links())
    for doc in docs:
        g = gold[Path(doc.source.filename).stem]
        where = f"{g.stem[:3]}: "
        res.fr.add(score(g.fr, predictions(mentions_of(doc.original)), where))
        if doc.translation is not None:
            res.en.add(score(g.en, predictions(mentions_of(doc.translation)), where))
            res.links.add(score_links(doc, g))
    return res


def table(results: list[Result]) -> str:
    lines = [f"{'backend':<12} {'lang':<4} {'P':>6} {'R':>6} {'F1':>6}   tp/pred  found/gold",
             "-" * 54]
    for r in results:
        for lang, s in (("fr", r.fr), ("en", r.en)):
            if s.gold:
                lines.append(f"{r.backend:<12} {lang:<4} {s.precision:6.3f} {s.recall:6.3f} "
                             f"{s.f1:6.3f}   {s.tp:>3}/{s.pred:<4} {s.found:>3}/{s.gold}")
    for r in results:
        k = r.links
        if k.entities:
            lines.append(
                f"{r.backend}: cross-lingual records {k.share:.3f} ({k.linked}/{k.entities} gold "
                f"entities); link precision {k.precision:.3f} ({k.right_pairs}/{k.pairs} "
                f"fr-en pairs, {k.unjudged} unjudged); fragmented {k.fragmented}, "
                f"impure records {k.impure}")
    return "\n".join(lines)


def details(r: Result) -> str:
    parts = []
    for title, items in (("fr misses", r.fr.misses), ("fr false", r.fr.false),
                         ("en misses", r.en.misses), ("en false", r.en.false),
                         ("no cross-lingual record", r.links.misses),
                         ("wrong links", r.links.wrong)):
        parts.append(f"[{r.backend}] {title} ({len(items)}):")
        parts += [f"    {i}" for i in items]
    return "\n".join(parts)


# ---------------------------------------------------------------------------- main


def annotators(backend: str) -> tuple[Any, Any]:
    from pipeline.engines.registry import choose_annotator

    return (choose_annotator(backend, "fr").factory(),
            choose_annotator(backend, "en").factory())


def main(argv: list[str] | None = None) -> int:
    from pipeline.engines import stanza_nlp
    from pipeline.engines.apertium import ApertiumTranslator
    from pipeline.errors import ConfigError

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--backend", choices=["all", "spacy", "stanza"], default="all")
    ap.add_argument("--seeds", type=Path, default=SEEDS_DIR)
    ap.add_argument("--gold", type=Path, default=GOLD_FILE)
    ap.add_argument("--cache", type=Path, help="translation cache (sqlite) to reuse")
    ap.add_argument("--ablation", action="store_true",
                    help="also score the bare model (no span conventions, no gazetteer) and "
                    "the conventions without the gazetteer")
    ap.add_argument("-v", "--verbose", action="store_true", help="list misses and false alarms")
    args = ap.parse_args(argv)

    gold = load_gold(args.gold)
    paths = sorted(p for p in args.seeds.glob("*.txt") if p.stem in gold)
    backends = ["spacy", "stanza"] if args.backend == "all" else [args.backend]
    try:
        translator: Any = ApertiumTranslator()
    except ConfigError as exc:
        print(f"no English side: {exc}", file=sys.stderr)
        translator = None
    cache = mt.TranslationCache(args.cache)
    results = []
    for backend in backends:
        if backend == "stanza" and not (stanza_nlp.is_available("fr")
                                        and stanza_nlp.is_available("en")):
            print(f"stanza: no resources in {stanza_nlp.resources_dir()}, skipped",
                  file=sys.stderr)
            continue
        fr, en = annotators(backend)
        variants = [("", True, True)]
        if args.ablation:
            variants = [("-bare", False, False), ("-conv", False, True), *variants]
        for suffix, gazetteer, conventions in variants:
            for nlp in (fr, en):
                nlp.gazetteer, nlp.conventions = gazetteer, conventions
            docs = article_documents(paths, gold)
            run_pipeline(docs, fr, en, translator, cache)
            results.append(evaluate(docs, gold, backend + suffix))
    print(table(results))
    if args.verbose:
        for r in results:
            print(details(r))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
