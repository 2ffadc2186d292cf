"""Train tiny real stanza models offline, for tests, and lay them out as stanza resources.

No stanza model can be downloaded on these machines (docs/models.md), so the tests train
their own with stanza's training code (``stanza.models.tokenizer``, ``mwt_expander``,
``tagger``, ``lemmatizer``, ``ner_tagger``) on a few dozen sentences written for the tests,
and write the folder ``stanza.Pipeline(..., download_method=None, dir=...)`` loads:

    resources.json
    fr/tokenize/tiny.pt  fr/mwt/tiny.pt  fr/pos/tiny.pt  fr/lemma/tiny.pt  fr/ner/tiny.pt
    fr/pretrain/tiny.pt  (random word vectors over the training vocabulary)
    en/...               (the same without mwt)

The sentences come from templates filled with names, so every word the tests analyse was
seen in training: the models are small and trained for a few hundred steps, enough to
reproduce their training data (« du » = de + le, « au » = à + le, « des » = de + les, the
PER/LOC/ORG names), not to analyse new text well. They prove that real stanza models load
and run through the backend, not quality.

Run as a script to build one by hand: ``python tests/synthetic_stanza.py OUT_DIR``.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import itertools
import json
import logging
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

#: Package name of every processor (and the pretrain) in resources.json.
PACKAGE = "tiny"
#: Processors trained per language (English has no multi-word tokens).
PROCESSORS = {"fr": ("tokenize", "mwt", "pos", "lemma", "ner"),
              "en": ("tokenize", "pos", "lemma", "ner")}
LANG_NAMES = {"fr": "French", "en": "English"}
#: Dimension of the random pretrained vectors.
VECTOR_DIM = 16

_DET_M = "Definite=Def|Gender=Masc|Number=Sing|PronType=Art"
_DET_F = "Definite=Def|Gender=Fem|Number=Sing|PronType=Art"
_DET_P = "Definite=Def|Number=Plur|PronType=Art"
_PART = "Gender=Masc|Number=Sing|Tense=Past|VerbForm=Part"

#: form -> (lemma, UPOS, UD features); sentence-initial capitals are their own entries.
LEXICON: dict[str, dict[str, tuple[str, str, str]]] = {
    "fr": {
        "a": ("avoir", "AUX", "Mood=Ind|Number=Sing|Person=3|Tense=Pres|VerbForm=Fin"),
        "ont": ("avoir", "AUX", "Mood=Ind|Number=Plur|Person=3|Tense=Pres|VerbForm=Fin"),
        "est": ("être", "AUX", "Mood=Ind|Number=Sing|Person=3|Tense=Pres|VerbForm=Fin"),
        "sont": ("être", "AUX", "Mood=Ind|Number=Plur|Person=3|Tense=Pres|VerbForm=Fin"),
        "rencontré": ("rencontrer", "VERB", _PART), "annoncé": ("annoncer", "VERB", _PART),
        "déclaré": ("déclarer", "VERB", _PART), "visité": ("visiter", "VERB", _PART),
        "manifesté": ("manifester", "VERB", _PART), "prévu": ("prévoir", "VERB", _PART),
        "arrivé": ("arriver", "VERB", _PART),
        "réunis": ("réunir", "VERB", "Gender=Masc|Number=Plur|Tense=Past|VerbForm=Part"),
        "travaille": ("travailler", "VERB",
                      "Mood=Ind|Number=Sing|Person=3|Tense=Pres|VerbForm=Fin"),
        "le": ("le", "DET", _DET_M), "Le": ("le", "DET", _DET_M),
        "la": ("le", "DET", _DET_F), "La": ("le", "DET", _DET_F),
        "les": ("le", "DET", _DET_P), "Les": ("le", "DET", _DET_P),
        "l'": ("le", "DET", "Definite=Def|Number=Sing|PronType=Art"),
        "chef": ("chef", "NOUN", "Gender=Masc|Number=Sing"),
        "porte-parole": ("porte-parole", "NOUN", "Number=Sing"),
        "retrait": ("retrait", "NOUN", "Gender=Masc|Number=Sing"),
        "retour": ("retour", "NOUN", "Gender=Masc|Number=Sing"),
        "troupes": ("troupe", "NOUN", "Gender=Fem|Number=Plur"),
        "soldats": ("soldat", "NOUN", "Gender=Masc|Number=Plur"),
        "dirigeants": ("dirigeant", "NOUN", "Gender=Masc|Number=Plur"),
        "habitants": ("habitant", "NOUN", "Gender=Masc|Number=Plur"),
        "président": ("président", "NOUN", "Gender=Masc|Number=Sing"),
        "ministre": ("ministre", "NOUN", "Number=Sing"),
        "siège": ("siège", "NOUN", "Gender=Masc|Number=Sing"),
        "besoin": ("besoin", "NOUN", "Gender=Masc|Number=Sing"),
        "mardi": ("mardi", "NOUN", "Gender=Masc|Number=Sing"),
        "samedi": ("samedi", "NOUN", "Gender=Masc|Number=Sing"),
        "de": ("de", "ADP", ""), "à": ("à", "ADP", ""), "en": ("en", "ADP", ""),
        "depuis": ("depuis", "ADP", ""), "devant": ("devant", "ADP", ""),
        "Selon": ("selon", "ADP", ""), "selon": ("selon", "ADP", ""),
        "se": ("se", "PRON", "Person=3|PronType=Prs|Reflex=Yes"),
        "et": ("et", "CCONJ", ""), "que": ("que", "SCONJ", ""),
        ",": (",", "PUNCT", ""), ".": (".", "PUNCT", ""),
    },
    "en": {
        "The": ("the", "DET", "Definite=Def|PronType=Art"),
        "the": ("the", "DET", "Definite=Def|PronType=Art"),
        "met": ("meet", "VERB", "Mood=Ind|Tense=Past|VerbForm=Fin"),
        "visited": ("visit", "VERB", "Mood=Ind|Tense=Past|VerbForm=Fin"),
        "announced": ("announce", "VERB", "Mood=Ind|Tense=Past|VerbForm=Fin"),
        "works": ("work", "VERB", "Mood=Ind|Number=Sing|Person=3|Tense=Pres|VerbForm=Fin"),
        "said": ("say", "VERB", "Mood=Ind|Tense=Past|VerbForm=Fin"),
        "head": ("head", "NOUN", "Number=Sing"), "soldiers": ("soldier", "NOUN", "Number=Plur"),
        "leaders": ("leader", "NOUN", "Number=Plur"),
        "spokesman": ("spokesman", "NOUN", "Number=Sing"),
        "withdrawal": ("withdrawal", "NOUN", "Number=Sing"),
        "troops": ("troop", "NOUN", "Number=Plur"),
        "Tuesday": ("Tuesday", "PROPN", "Number=Sing"),
        "Saturday": ("Saturday", "PROPN", "Number=Sing"),
        "of": ("of", "ADP", ""), "in": ("in", "ADP", ""), "at": ("at", "ADP", ""),
        "for": ("for", "ADP", ""), "on": ("on", "ADP", ""), "and": ("and", "CCONJ", ""),
        "that": ("that", "SCONJ", ""), "need": ("need", "VERB", "VerbForm=Inf"),
        "will": ("will", "AUX", "VerbForm=Fin"), "stay": ("stay", "VERB", "VerbForm=Inf"),
        ",": (",", "PUNCT", ""), ".": (".", "PUNCT", ""),
    },
}

#: Contractions: surface -> its syntactic words (lemma, UPOS, features); the form is the lemma.
MWT: dict[str, dict[str, tuple[tuple[str, str, str], ...]]] = {
    "fr": {
        "du": (("de", "ADP", ""), ("le", "DET", _DET_M)),
        "au": (("à", "ADP", ""), ("le", "DET", _DET_M)),
        "des": (("de", "ADP", ""), ("les", "DET", _DET_P)),
    },
    "en": {},
}

#: Names by template slot, and the NER tag of each slot. English uses OntoNotes labels
#: (PERSON, GPE), as stanza's English models do, so the label table's mapping is exercised.
NAMES: dict[str, dict[str, list[str]]] = {
    "fr": {
        "PER": ["Lloyd Austin", "Marie Dupont", "Jean Martin", "Sophie Bernard", "Ali Hassan"],
        "LOC": ["Paris", "Lyon", "Bagdad", "Irak", "Marseille"],
        "ORGM": ["Pentagone", "Sénat", "Parlement"],  # take du / au
        "ORGF": ["OTAN", "Unesco", "Renault"],
    },
    "en": {
        "PERSON": ["Lloyd Austin", "Mary Smith", "John Baker", "Ali Hassan"],
        "GPE": ["Paris", "London", "Baghdad", "Iraq"],
        "ORG": ["Pentagon", "NATO", "Senate"],
    },
}
TAGS = {"PER": "PER", "LOC": "LOC", "ORGM": "ORG", "ORGF": "ORG", "PERSON": "PERSON",
        "GPE": "GPE", "ORG": "ORG"}

#: Sentence templates: tokens separated by spaces; "l'" joins the next token, "," and "."
#: join the previous one.
TEMPLATES: dict[str, list[str]] = {
    "fr": [
        "{PER} a rencontré le chef du {ORGM} à {LOC} .",
        "Le porte-parole du {ORGM} a annoncé le retrait des troupes .",
        "{PER} travaille au {ORGM} depuis mardi .",
        "Les dirigeants de l' {ORGF} se sont réunis à {LOC} .",
        "Selon {PER} , le retour des soldats en {LOC} est prévu .",
        "{PER} et {PER} ont visité {LOC} samedi .",
        "Le président de l' {ORGF} a déclaré que {LOC} a besoin des soldats .",
        "Les habitants de {LOC} ont manifesté devant le siège du {ORGM} .",
        "Le ministre {PER} est arrivé au {ORGM} .",
    ],
    "en": [
        "{PERSON} met the head of the {ORG} in {GPE} .",
        "The spokesman of the {ORG} announced the withdrawal of the troops .",
        "{PERSON} works for the {ORG} in {GPE} .",
        "{PERSON} and {PERSON} visited {GPE} on Saturday .",
        "The leaders of {ORG} said that the soldiers will stay in {GPE} .",
    ],
}


@dataclass
class Tok:
    """One surface token of a training sentence and its syntactic words."""

    form: str
    words: list[tuple[str, str, str, str]]  # form, lemma, UPOS, features
    ner: str = "O"
    space_after: bool = True


@dataclass
class Sent:
    tokens: list[Tok] = field(default_factory=list)

    def text(self) -> str:
        return "".join(t.form + (" " if t.space_after else "") for t in self.tokens).rstrip()


def _word_tokens(lang: str, form: str) -> Tok:
    if form in MWT[lang]:
        return Tok(form, [(lemma, lemma, upos, feats) for lemma, upos, feats in MWT[lang][form]])
    lemma, upos, feats = LEXICON[lang][form]
    return Tok(form, [(form, lemma, upos, feats)])


def _name_tokens(name: str, label: str) -> list[Tok]:
    parts = name.split()
    return [Tok(p, [(p, p, "PROPN", "")], ("B-" if i == 0 else "I-") + label)
            for i, p in enumerate(parts)]


def fill(lang: str, template: str, draw: dict[str, Iterator[str]]) -> Sent:
    """One sentence from a template, each slot's name drawn from ``draw[slot]``."""
    sent = Sent()
    for piece in template.split():
        if piece.startswith("{"):
            slot = piece.strip("{}")
            sent.tokens += _name_tokens(next(draw[slot]), TAGS[slot])
        else:
            sent.tokens.append(_word_tokens(lang, piece))
    for prev, tok in zip(sent.tokens, sent.tokens[1:], strict=False):
        if prev.form.endswith("'") or tok.form in (",", "."):
            prev.space_after = False
    sent.tokens[-1].space_after = False
    return sent


def sentences(lang: str, per_template: int, seed: int) -> list[Sent]:
    """``per_template`` sentences from each template, in a seeded order.

    Each template cycles through every slot's names from a seeded starting point, so with
    ``per_template`` at least the longest name list every name occurs in every template.
    """
    rng = random.Random(seed)
    out: list[Sent] = []
    for template in TEMPLATES[lang]:
        draw: dict[str, Iterator[str]] = {
            slot: itertools.islice(itertools.cycle(names), rng.randrange(len(names)), None)
            for slot, names in NAMES[lang].items()}
        out += [fill(lang, template, draw) for _ in range(per_template)]
    rng.shuffle(out)
    return out


def entities(sent: Sent) -> list[tuple[str, str]]:
    """The sentence's names and tags: what a model that reproduces its data finds."""
    found: list[tuple[str, str]] = []
    for tok in sent.tokens:
        if tok.ner.startswith("B-"):
            found.append((tok.form, tok.ner[2:]))
        elif tok.ner.startswith("I-"):
            found[-1] = (found[-1][0] + " " + tok.form, found[-1][1])
    return found


def to_conllu(sents: list[Sent]) -> str:
    """CoNLL-U with range lines for contractions, SpaceAfter=No, a chain as the tree."""
    lines: list[str] = []
    for n, sent in enumerate(sents, 1):
        lines += [f"# sent_id = {n}", f"# text = {sent.text()}"]
        i = 0
        for tok in sent.tokens:
            misc = "_" if tok.space_after else "SpaceAfter=No"
            if len(tok.words) > 1:
                lines.append(f"{i + 1}-{i + len(tok.words)}\t{tok.form}" + "\t_" * 7
                             + f"\t{misc}")
            for form, lemma, upos, feats in tok.words:
                i += 1
                head, rel = (0, "root") if i == 1 else (i - 1, "dep")
                word_misc = misc if len(tok.words) == 1 else "_"
                lines.append(f"{i}\t{form}\t{lemma}\t{upos}\t_\t{feats or '_'}\t{head}\t{rel}"
                             f"\t_\t{word_misc}")
        lines.append("")
    return "\n".join(lines) + "\n"


def to_bio(sents: list[Sent]) -> str:
    """Token per line, tab, BIO tag; blank line between sentences (CoNLL-2003 style)."""
    return "".join("".join(f"{t.form}\t{t.ner}\n" for t in s.tokens) + "\n" for s in sents)


def to_text(sents: list[Sent], per_paragraph: int = 4) -> str:
    """The raw text the CoNLL-U was made from: paragraphs of a few sentences."""
    paras = [" ".join(s.text() for s in sents[i : i + per_paragraph])
             for i in range(0, len(sents), per_paragraph)]
    return "\n\n".join(paras) + "\n"


# -- training, with stanza's own entry points ---------------------------------------------


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """stanza's trainers log every step and print; keep the test output readable."""
    import stanza.models._training_logging  # noqa: F401  (sets INFO when first imported)

    logger = logging.getLogger("stanza")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        logger.setLevel(level)


@dataclass
class Corpus:
    """The training files of one language, written under ``work``."""

    lang: str
    work: Path
    train: list[Sent]
    dev: list[Sent]

    def path(self, name: str) -> Path:
        return self.work / name

    def write(self) -> None:
        self.work.mkdir(parents=True, exist_ok=True)
        for split, sents in (("train", self.train), ("dev", self.dev)):
            self.path(f"{split}.conllu").write_text(to_conllu(sents), encoding="utf-8")
            self.path(f"{split}.txt").write_text(to_text(sents), encoding="utf-8")
            self.path(f"{split}.bio").write_text(to_bio(sents), encoding="utf-8")

    def vocabulary(self) -> list[str]:
        words = {w[0] for s in self.train + self.dev for t in s.tokens for w in t.words}
        words |= {t.form for s in self.train + self.dev for t in s.tokens}
        return sorted(words | {w.lower() for w in words})

    def common(self, name: str) -> list[str]:
        return ["--shorthand", f"{self.lang}_tiny", "--save_dir", str(self.work / name),
                "--save_name", f"{PACKAGE}.pt", "--cpu", "--seed", "1234"]


def write_pretrain(corpus: Corpus, dest: Path, seed: int = 7) -> Path:
    """Random vectors over the vocabulary, read and saved by stanza's Pretrain."""
    from stanza.models.common.pretrain import Pretrain

    rng = random.Random(seed)
    words = corpus.vocabulary()
    vec = corpus.path("vectors.txt")
    with vec.open("w", encoding="utf-8") as fh:
        fh.write(f"{len(words)} {VECTOR_DIM}\n")
        for w in words:
            fh.write(w + " " + " ".join(f"{rng.uniform(-1, 1):.4f}" for _ in range(VECTOR_DIM))
                     + "\n")
    dest.parent.mkdir(parents=True, exist_ok=True)
    Pretrain(str(dest), str(vec), max_vocab=-1).load()  # writes dest
    return dest


def train_tokenize(corpus: Corpus, steps: int = 300) -> Path:
    from stanza.models import tokenizer
    from stanza.utils.datasets import prepare_tokenizer_data

    for split in ("train", "dev"):
        prepare_tokenizer_data.main([
            str(corpus.path(f"{split}.txt")), str(corpus.path(f"{split}.conllu")),
            "-o", str(corpus.path(f"{split}.labels")),
            "-m", str(corpus.path(f"{split}.mwt.json"))])
    tokenizer.main([
        "--txt_file", str(corpus.path("train.txt")),
        "--label_file", str(corpus.path("train.labels")),
        "--dev_txt_file", str(corpus.path("dev.txt")),
        "--dev_label_file", str(corpus.path("dev.labels")),
        "--lang", corpus.lang, "--steps", str(steps), "--eval_steps", str(steps + 1),
        "--emb_dim", "16", "--hidden_dim", "32", "--batch_size", "16", "--max_seqlen", "80",
        "--lr0", "0.01", "--dropout", "0", "--unit_dropout", "0", "--tok_noise", "0",
        *corpus.common("tokenize")])
    return corpus.work / "tokenize" / f"{PACKAGE}.pt"


def train_mwt(corpus: Corpus, epochs: int = 2) -> Path:
    from stanza.models import mwt_expander

    mwt_expander.main([
        "--train_file", str(corpus.path("train.conllu")),
        "--eval_file", str(corpus.path("dev.conllu")),
        "--gold_file", str(corpus.path("dev.conllu")),
        "--output_file", str(corpus.path("mwt.pred.conllu")), "--lang", corpus.lang,
        "--num_epoch", str(epochs), "--hidden_dim", "16", "--emb_dim", "8",
        *corpus.common("mwt")])
    return corpus.work / "mwt" / f"{PACKAGE}.pt"


def train_pos(corpus: Corpus, pretrain: Path, steps: int = 150) -> Path:
    from stanza.models import tagger

    tagger.main([
        "--train_file", str(corpus.path("train.conllu")),
        "--eval_file", str(corpus.path("dev.conllu")),
        "--output_file", str(corpus.path("pos.pred.conllu")),
        "--wordvec_pretrain_file", str(pretrain), "--lang", corpus.lang,
        "--max_steps", str(steps), "--eval_interval", str(steps + 1), "--fix_eval_interval",
        "--hidden_dim", "32", "--char_hidden_dim", "32", "--deep_biaff_hidden_dim", "32",
        "--composite_deep_biaff_hidden_dim", "16", "--word_emb_dim", "16",
        "--char_emb_dim", "16", "--tag_emb_dim", "8", "--transformed_dim", "16",
        "--num_layers", "1", "--batch_size", "32", "--word_cutoff", "1",
        "--dropout", "0", "--word_dropout", "0", "--augment_nopunct", "0",
        *corpus.common("pos")])
    return corpus.work / "pos" / f"{PACKAGE}.pt"


def train_lemma(corpus: Corpus, epochs: int = 2) -> Path:
    from stanza.models import lemmatizer

    lemmatizer.main([
        "--train_file", str(corpus.path("train.conllu")),
        "--eval_file", str(corpus.path("dev.conllu")),
        "--gold_file", str(corpus.path("dev.conllu")),
        "--output_file", str(corpus.path("lemma.pred.conllu")),
        "--num_epoch", str(epochs), "--hidden_dim", "16", "--emb_dim", "8", "--pos_dim", "8",
        *corpus.common("lemma")])
    return corpus.work / "lemma" / f"{PACKAGE}.pt"


def train_ner(corpus: Corpus, pretrain: Path, steps: int = 200) -> Path:
    from stanza.models import ner_tagger
    from stanza.utils.datasets.ner import prepare_ner_file

    for split in ("train", "dev"):
        prepare_ner_file.process_dataset(str(corpus.path(f"{split}.bio")),
                                         str(corpus.path(f"{split}.ner.json")))
    ner_tagger.main([
        "--train_file", str(corpus.path("train.ner.json")),
        "--eval_file", str(corpus.path("dev.ner.json")),
        "--wordvec_pretrain_file", str(pretrain),
        "--max_steps", str(steps), "--eval_interval", str(steps + 1),
        "--hidden_dim", "32", "--char_hidden_dim", "16", "--char_emb_dim", "16",
        "--batch_size", "16", "--optim", "adam", "--lr", "0.01", "--dropout", "0",
        # no LR schedule: stanza 1.10.1 passes ReduceLROnPlateau a `verbose` torch 2.13 lacks
        "--lr_decay", "0",
        "--word_dropout", "0", *corpus.common("ner")])
    return corpus.work / "ner" / f"{PACKAGE}.pt"


# -- the resources folder -----------------------------------------------------------------


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()  # stanza's own download check


def resources_entry(lang: str, root: Path) -> dict[str, object]:
    """The language's block of resources.json, as stanza's own file has it."""
    procs = PROCESSORS[lang]
    pretrain = [{"model": "pretrain", "package": PACKAGE}]
    entry: dict[str, object] = {"lang_name": LANG_NAMES[lang]}
    for proc in (*procs, "pretrain"):
        block: dict[str, object] = {"md5": _md5(root / lang / proc / f"{PACKAGE}.pt")}
        if proc in ("pos", "ner"):
            block["dependencies"] = pretrain
        entry[proc] = {PACKAGE: block}
    defaults = {proc: PACKAGE for proc in procs}
    entry["default_processors"] = defaults
    entry["default_dependencies"] = {"pretrain": PACKAGE}
    entry["packages"] = {"default": dict(defaults)}
    return entry


def write_resources_json(root: Path, langs: list[str]) -> Path:
    from stanza.resources.common import DEFAULT_RESOURCES_VERSION

    resources: dict[str, object] = {lang: resources_entry(lang, root) for lang in langs}
    resources["url"] = "http://127.0.0.1/unused/{lang}/{filename}"  # never fetched offline
    resources["resources_version"] = DEFAULT_RESOURCES_VERSION
    path = root / "resources.json"
    path.write_text(json.dumps(resources, indent=2, sort_keys=True), encoding="utf-8")
    return path


def train_language(lang: str, root: Path, work: Path) -> dict[str, float]:
    """Train every processor of ``lang`` and copy its model into ``root``; seconds each."""
    corpus = Corpus(lang, work / lang, sentences(lang, 5, seed=1), sentences(lang, 1, seed=2))
    corpus.write()
    seconds: dict[str, float] = {}

    def timed(name: str, fn: object, *args: object) -> Path:
        t0 = time.perf_counter()
        out: Path = fn(*args)  # type: ignore[operator]
        seconds[name] = time.perf_counter() - t0
        dest = root / lang / name / f"{PACKAGE}.pt"
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(out.read_bytes())
        return dest

    pretrain = timed("pretrain", write_pretrain, corpus, corpus.path("pretrain.pt"))
    timed("tokenize", train_tokenize, corpus)
    if "mwt" in PROCESSORS[lang]:
        timed("mwt", train_mwt, corpus)
    timed("pos", train_pos, corpus, pretrain)
    timed("lemma", train_lemma, corpus)
    timed("ner", train_ner, corpus, pretrain)
    return seconds


def build_stanza_resources(root: Path, langs: tuple[str, ...] = ("fr", "en")) -> dict[str, float]:
    """Train and lay out the resources folder at ``root``; returns seconds per step."""
    import torch

    root.mkdir(parents=True, exist_ok=True)
    work = root.parent / f".{root.name}-training"
    seconds: dict[str, float] = {}
    threads = torch.get_num_threads()
    # One thread: the models are tiny, and on a busy machine two threads spin against each
    # other (measured here under load: 60 tokenizer steps took 13 s with one, 100 s with two).
    torch.set_num_threads(1)
    try:
        with _quiet():
            for lang in langs:
                for name, sec in train_language(lang, root, work).items():
                    seconds[f"{lang}/{name}"] = sec
        write_resources_json(root, list(langs))
    finally:
        torch.set_num_threads(threads)
    return seconds


if __name__ == "__main__":
    t0 = time.perf_counter()
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "stanza_resources")
    for step, sec in build_stanza_resources(out).items():
        print(f"{step:14s} {sec:6.2f} s")
    print(f"{'total':14s} {time.perf_counter() - t0:6.2f} s -> {out}")
