"""stanza backend, used when its resources are on disk ($STANZA_RESOURCES_DIR).

A run never downloads: the pipeline is built with ``download_method=None``.
`python -m pipeline models install stanza` fetches the resources when online.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from pipeline.document import Application, Mention, Sentence, Token
from pipeline.errors import ConfigError
from pipeline.stages.labels import map_label
from pipeline.stages.mentions import refine

PROCESSORS = "tokenize,mwt,pos,lemma,ner"


def resources_dir() -> Path:
    """$STANZA_RESOURCES_DIR, else stanza's own default (one rule, in models.py)."""
    from pipeline.engines.install import stanza_resources_dir

    return stanza_resources_dir()


def default_packages(lang: str) -> dict[str, str]:
    """The language's default processor packages, from resources.json ({} when unreadable)."""
    try:
        resources = json.loads((resources_dir() / "resources.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    found = resources.get(lang, {}).get("default_processors", {})
    return {k: v if isinstance(v, str) else str(v) for k, v in found.items()}


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def is_available(lang: str) -> bool:
    """True when every processor's default model (and its dependencies) is on disk.

    Checking the NER model alone is not enough: a pipeline missing its tokenizer would
    fail at load time instead of letting the run fall back to spaCy.
    """
    from pipeline.engines.install import stanza_available

    return stanza_available(lang, resources_dir(), PROCESSORS.split(","))


class StanzaAnnotator:
    name = "stanza"

    def __init__(self, lang: str, *, use_gpu: bool = False, gazetteer: bool = True,
                 conventions: bool = True) -> None:
        if not is_available(lang):
            raise ConfigError(
                f"stanza resources for {lang!r} are not in {resources_dir()}; "
                f"run `python -m pipeline models install stanza` where the network allows"
            )
        import stanza

        self.lang = lang
        self.gazetteer = gazetteer  # data/aliases.toml names as mentions (pipeline.stages.mentions)
        self.conventions = conventions  # span conventions of data/labels.toml
        self.version = stanza.__version__
        processors = PROCESSORS if lang == "fr" else PROCESSORS.replace("mwt,", "")
        self.packages = default_packages(lang)
        # One pipeline for both entry points: analyse_sentences joins whatever sentences
        # stanza finds in a text back into the one sentence it was given.
        self.nlp = stanza.Pipeline(
            lang,
            dir=str(resources_dir()),
            processors=processors,
            download_method=None,
            use_gpu=use_gpu,
            logging_level="WARN",
        )

    def applications(self) -> list[Application]:
        ner = self.packages.get("ner", "")
        model = resources_dir() / self.lang / "ner" / f"{ner}.pt"
        return [Application(
            "stanza", self.version, f"ner-{self.lang}",
            f"Stanford stanza, {self.lang} processors "
            + ", ".join(f"{k}={v}" for k, v in sorted(self.packages.items())),
            sha256=_file_sha256(model) if model.is_file() else None,
            extra={"resources": str(resources_dir())},
        )]

    def _run(self, nlp: Any, texts: list[str]) -> list[Any]:
        import stanza

        docs = [stanza.Document([], text=t) for t in texts]
        return list(nlp(docs)) if docs else []

    def split_and_analyse(self, texts: list[str]) -> list[list[Sentence]]:
        return [[self._sentence(doc, s) for s in doc.sentences]
                for doc in self._run(self.nlp, texts)]

    def analyse_sentences(self, texts: list[str]) -> list[Sentence]:
        out = []
        for doc in self._run(self.nlp, texts):
            sents = [self._sentence(doc, s) for s in doc.sentences]
            if not sents:  # nothing but spaces
                out.append(Sentence("", 0, 0, ""))
                continue
            first, last = sents[0], sents[-1]
            out.append(Sentence("", first.start, last.end, doc.text[first.start : last.end],
                                [t for s in sents for t in s.tokens],
                                [m for s in sents for m in s.mentions]))
        return out

    def _sentence(self, doc: Any, sent: Any) -> Sentence:
        out = convert_sentence(doc.text, sent)
        out.mentions = refine(doc.text, out.tokens, out.mentions, self.lang,
                              gazetteer=self.gazetteer, conventions=self.conventions)
        return out


def convert_sentence(text: str, sent: Any) -> Sentence:
    """One stanza sentence as the pipeline's Sentence (offsets into ``text``)."""
    tokens = []
    for tok in sent.tokens:
        words = tok.words
        # A multi-word token (du = de + le) keeps the surface form; its analysis joins the parts.
        tokens.append(Token(
            start=tok.start_char, end=tok.end_char, text=tok.text,
            lemma="+".join(w.lemma or "" for w in words),
            upos="+".join(w.upos or "" for w in words),
            feats=(words[0].feats or "") if len(words) == 1 else "",
            # From the offsets, not from stanza's misc field: the text decides.
            space_after=tok.end_char < len(text) and text[tok.end_char].isspace(),
        ))
    mentions = []
    for ent in sent.ents:
        label = map_label(ent.type)
        if label:
            mentions.append(Mention(ent.start_char, ent.end_char, label,
                                    text[ent.start_char : ent.end_char], ent.type))
    start, end = sent.tokens[0].start_char, sent.tokens[-1].end_char
    return Sentence("", start, end, text[start:end], tokens, mentions)
