"""Build a larger, varied French news corpus from the seeds' paragraphs (for benchmarks).

Every article is a title, a date and a few body paragraphs drawn from the seeds, each
varied so that the translation cache and duplicate detection do not hide the work:
sentences are shuffled within a paragraph and mixed across paragraphs, names of people
and cities are swapped from fixed lists, numbers are replaced and sentences get varied
openings. Article ``i`` depends only on ``(seed, i)``, so a corpus of 1,000 articles
starts with the 100 articles of the smaller one, and two builds are byte-identical.

    python tools/make_corpus.py OUT_DIR -n 1000 [--words 200] [--seed 1] [--seeds seeds]
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))

from pipeline.document import Document, Mention, Paragraph, Sentence, Side, Source  # noqa: E402
from pipeline.stages.langid import detect_language  # noqa: E402

MIN_WORDS = 15  # shorter seed paragraphs are menus, captions and bylines
SKIP_PREFIXES = ("PHOTO", "PLUS", "Votre adresse", "Laisser", "Pour en savoir", "Savoir plus",
                 "EN SAVOIR", "date ")

PERSONS = [
    "Joe Biden", "Donald Trump", "Lloyd Austin", "Mohammed Shia al-Sudani",
    "Mustafa Al-Kadhimi", "Sabrina Singh", "Fareed Yasseen", "Ali Mamouri", "Soleimani",
    "Biden", "Trump", "Austin",
]
CITIES = ["Washington", "Bagdad", "Davos", "Erbil", "Damas", "Téhéran", "Beyrouth"]
NEW_PERSONS = [
    "Claire Dumont", "Karim Benali", "Sophie Marchand", "Jean-Luc Moreau", "Amina Haddad",
    "Pierre Lefèvre", "Nadia Rahmani", "François Girard", "Leïla Mansour", "Thomas Roux",
    "Hélène Garnier", "Youssef El Amrani", "Isabelle Fournier", "Marc Aubert", "Samira Kaci",
    "Antoine Mercier", "Julie Bonnet", "Rachid Ouali", "Camille Perrin", "Olivier Chevalier",
    "Fatima Zerrouki", "Nicolas Lambert", "Élise Faure", "Hugo Masson", "Inès Belkacem",
    "Laurent Caron", "Mariam Diallo", "Vincent Robin", "Chloé Gauthier", "Bruno Renaud",
]
NEW_CITIES = [
    "Paris", "Lyon", "Marseille", "Genève", "Bruxelles", "Montréal", "Dakar", "Tunis",
    "Alger", "Rabat", "Amman", "Le Caire", "Istanbul", "Berlin", "Madrid", "Rome", "Vienne",
    "Doha", "Riyad", "Ankara", "Nicosie", "Athènes", "Lisbonne", "Varsovie",
]
TIMES = [
    "", "", "Mardi, ", "Mercredi, ", "Vendredi, ", "Dimanche soir, ", "Lundi matin, ",
    "Dans la soirée, ", "Quelques heures plus tard, ", "Au même moment, ", "Cette semaine, ",
    "Jeudi dernier, ", "Samedi, ", "La veille, ", "En début de journée, ",
]
ATTRIBUTIONS = [
    "", "", "selon une source diplomatique, ", "par ailleurs, ", "de son côté, ",
    "dans ce contexte, ", "d'après plusieurs observateurs, ", "en outre, ", "toutefois, ",
    "pour sa part, ", "selon la presse locale, ", "à en croire les analystes, ",
    "officiellement, ", "en revanche, ", "selon des sources sécuritaires, ",
]
CLOSINGS = [
    "", "", " a-t-on appris de source officielle", " selon un communiqué",
    " d'après les médias locaux", " selon plusieurs témoins", " a indiqué un porte-parole",
    " a précisé un responsable", " selon l'agence de presse officielle",
    " d'après un diplomate en poste dans la région", " ont rapporté des journalistes",
]
MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre"]
LOWER_STARTERS = {"Le", "La", "Les", "Un", "Une", "Des", "Cette", "Ce", "Ces", "Il", "Elle",
                  "Ils", "Elles", "Cela", "Plusieurs", "Quelque", "Quelques", "Plus", "Dans",
                  "Depuis", "Selon", "Après", "Avec", "Pendant", "Au", "Aux", "Du", "De"}
_SENT_END = re.compile(r"(?<=[.!?])\s+(?=[«\"“A-ZÀ-ÖØ-Ý])")
_NUMBER = re.compile(r"\d+")
_PERSON_RE = re.compile("|".join(re.escape(p) for p in sorted(PERSONS, key=len, reverse=True)))
_CITY_RE = re.compile(r"\b(" + "|".join(re.escape(c) for c in CITIES) + r")\b")


@dataclass
class Pool:
    paragraphs: list[list[str]]  # sentences of each usable body paragraph
    titles: list[str]


def load_pool(seeds: Path) -> Pool:
    """Body paragraphs (French, long enough, not boilerplate) split into sentences."""
    paragraphs: list[list[str]] = []
    titles: list[str] = []
    seen: set[str] = set()
    for f in sorted(seeds.glob("*.txt")):
        for block in f.read_text(encoding="utf-8").split("\n\n"):
            text = " ".join(block.split())
            words = len(text.split())
            if not text or text in seen or text.startswith(SKIP_PREFIXES):
                continue
            seen.add(text)
            if 8 <= words < MIN_WORDS + 10 and not text.endswith((".", "»", "\"")):
                titles.append(text)
                continue
            if words < MIN_WORDS or detect_language(text)[0] not in ("fr", "und"):
                continue
            paragraphs.append([s for s in _SENT_END.split(text) if s.strip()])
    if not paragraphs:
        raise SystemExit(f"no usable paragraphs in {seeds}")
    return Pool(paragraphs, titles or [" ".join(p[0].split()[:12]) for p in paragraphs])


def _vary_sentence(s: str, rng: random.Random, people: dict[str, str],
                   cities: dict[str, str]) -> str:
    s = _PERSON_RE.sub(lambda m: people.setdefault(m.group(0), rng.choice(NEW_PERSONS)), s)
    s = _CITY_RE.sub(lambda m: cities.setdefault(m.group(0), rng.choice(NEW_CITIES)), s)

    def number(m: re.Match[str]) -> str:
        digits = m.group(0)
        if len(digits) == 4 and digits[:2] in ("19", "20"):
            return str(rng.randint(1995, 2025))
        low = 10 ** (len(digits) - 1) if len(digits) > 1 else 1
        return str(rng.randint(low, 10 ** len(digits) - 1))

    s = _NUMBER.sub(number, s)
    when, who = rng.choice(TIMES), rng.choice(ATTRIBUTIONS)
    opening = (when + who) if when else who[:1].upper() + who[1:]
    first, _, rest = s.partition(" ")
    if opening and first.strip("'’") in LOWER_STARTERS and rest:
        s = opening + first[0].lower() + first[1:] + " " + rest
    elif opening and first.startswith(("L'", "L’")):
        s = opening + "l" + s[1:]
    closing = rng.choice(CLOSINGS)
    if closing and s.endswith(".") and not s.endswith(".."):
        s = s[:-1] + "," + closing + "."
    elif closing and s.endswith(("»", '"', "”")):
        s = s + "," + closing + "."
    return s


def make_article(pool: Pool, index: int, *, seed: int = 1, words: int = 200) -> str:
    """One article's text (deterministic in seed and index)."""
    rng = random.Random(f"bench-corpus:{seed}:{index}")
    people: dict[str, str] = {}
    cities: dict[str, str] = {}
    title = _vary_sentence(rng.choice(pool.titles), rng, people, cities).rstrip(".")
    date = f"{rng.randint(1, 28)} {rng.choice(MONTHS)} {rng.randint(2015, 2025)}"
    paras: list[str] = []
    total = 0
    while total < words:
        sents = list(rng.choice(pool.paragraphs))
        if rng.random() < 0.4:  # mix in sentences of another paragraph
            sents += rng.sample(rng.choice(pool.paragraphs), 1)
        rng.shuffle(sents)
        keep = sents[: max(1, min(len(sents), rng.randint(2, 4)))]
        text = " ".join(_vary_sentence(s, rng, people, cities) for s in keep)
        paras.append(text)
        total += len(text.split())
    return "\n\n".join([title, date, *paras]) + "\n"


def build(out: Path, n: int, *, seed: int = 1, words: int = 200,
          seeds: Path = ROOT / "seeds") -> list[Path]:
    """Write articles bench_00000.txt ... into out (made if missing); returns the paths."""
    pool = load_pool(seeds)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        p = out / f"bench_{i:05d}.txt"
        data = make_article(pool, i, seed=seed, words=words).encode("utf-8")
        if not p.exists() or p.read_bytes() != data:  # keep mtimes of unchanged files
            p.write_bytes(data)
        paths.append(p)
    for extra in sorted(out.glob("bench_*.txt")):
        if extra not in paths:
            extra.unlink()
    return paths


def stats(paths: list[Path]) -> dict[str, float]:
    """Articles, words, paragraphs and the share of distinct sentences (cache-proofing)."""
    sentences: list[str] = []
    words = paras = 0
    for p in paths:
        blocks = p.read_text(encoding="utf-8").split("\n\n")[2:]
        paras += len(blocks)
        for b in blocks:
            words += len(b.split())
            sentences += _SENT_END.split(b.strip())
    return {
        "articles": len(paths),
        "words": words,
        "words_per_article": round(words / max(1, len(paths)), 1),
        "paragraphs": paras,
        "sentences": len(sentences),
        "distinct_sentences": round(len(set(sentences)) / max(1, len(sentences)), 3),
    }



def long_document(lines: int, names: int, seed: int = 16) -> Document:
    """One document of ``lines`` one-sentence paragraphs, each naming one of ``names``
    made-up people, with an aligned English side naming the same person: the shape of a
    scrape of 50,000 short lines after analysis, without the models."""
    rng = random.Random(seed)
    people = list(dict.fromkeys(
        "".join(rng.choice("bcdfgklmnprstvz") + rng.choice("aeiou") for _ in range(4)).title()
        for _ in range(3 * names)))[:names]
    sides = []
    for lang in ("fr", "en"):
        side = Side(lang)
        pos = 0
        for i in range(lines):
            name = people[(i * 7919) % names]
            text = f"{name} parle."
            sent = Sentence(f"d.{lang}.p{i}.s1", pos, pos + len(text), text,
                            mentions=[Mention(pos, pos + len(name), "PER", name)],
                            corresp=f"d.fr.p{i}.s1" if lang == "en" else None)
            side.paragraphs.append(Paragraph(f"d.{lang}.p{i}", pos, sent.end,
                                             sentences=[sent]))
            pos = sent.end + 2
        sides.append(side)
    doc = Document(id="d", source=Source(path="d.txt", filename="d.txt", sha256="", size=0))
    doc.original, doc.translation = sides
    return doc


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("-n", type=int, default=100, help="number of articles")
    ap.add_argument("--words", type=int, default=200, help="body words per article (about)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--seeds", type=Path, default=ROOT / "seeds")
    args = ap.parse_args(argv)
    paths = build(args.out, args.n, seed=args.seed, words=args.words, seeds=args.seeds)
    print(stats(paths))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
