"""stanza backend, used when its resources are on disk ($STANZA_RESOURCES_DIR).

A run never downloads: the pipeline is built with ``download_method=None``.
`python -m pipeline models install stanza` fetches the resources when online.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from pipeline.document import Application, Mention, Sentence, Token
from pipeline.errors import ConfigError
from pipeline.labels import map_label

PROCESSORS = "tokenize,mwt,pos,lemma,ner"


def resources_dir() -> Path:
    default = Path.home() / "stanza_resources"
    return Path(os.environ.get("STANZA_RESOURCES_DIR", str(default)))


def is_available(lang: str) -> bool:
    """True when resources.json and the language's default NER model are on disk."""
    root = resources_dir()
    index = root / "resources.json"
    if not index.is_file() or not (root / lang).is_dir():
        return False
    try:
        resources = json.loads(index.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    ner = resources.get(lang, {}).get("default_processors", {}).get("ner")
    return bool(ner) and (root / lang / "ner" / f"{ner}.pt").is_file()


class StanzaAnnotator:
    name = "stanza"

    def __init__(self, lang: str, *, use_gpu: bool = False) -> None:
        if not is_available(lang):
            raise ConfigError(
                f"stanza resources for {lang!r} are not in {resources_dir()}; "
                f"run `python -m pipeline models install stanza` where the network allows"
            )
        import stanza

        self.lang = lang
        self.version = stanza.__version__
        processors = PROCESSORS if lang == "fr" else PROCESSORS.replace("mwt,", "")
        self.nlp = stanza.Pipeline(
            lang,
            dir=str(resources_dir()),
            processors=processors,
            download_method=None,
            use_gpu=use_gpu,
            logging_level="WARN",
        )
        self._presplit = stanza.Pipeline(
            lang,
            dir=str(resources_dir()),
            processors=processors,
            tokenize_no_ssplit=True,
            download_method=None,
            use_gpu=use_gpu,
            logging_level="WARN",
        )

    def applications(self) -> list[Application]:
        return [Application("stanza", self.version, f"ner-{self.lang}", "Stanford stanza",
                            extra={"resources": str(resources_dir())})]

    def _run(self, nlp: Any, texts: list[str]) -> list[Any]:
        import stanza

        docs = [stanza.Document([], text=t) for t in texts]
        return list(nlp(docs)) if docs else []

    def split_and_analyse(self, texts: list[str]) -> list[list[Sentence]]:
        return [[_sentence(doc, s) for s in doc.sentences] for doc in self._run(self.nlp, texts)]

    def analyse_sentences(self, texts: list[str]) -> list[Sentence]:
        out = []
        for doc in self._run(self._presplit, texts):
            sents = [_sentence(doc, s) for s in doc.sentences]
            first, last = sents[0], sents[-1]
            out.append(Sentence("", first.start, last.end, doc.text[first.start : last.end],
                                [t for s in sents for t in s.tokens],
                                [m for s in sents for m in s.mentions]))
        return out


def _sentence(doc: Any, sent: Any) -> Sentence:
    tokens = []
    for tok in sent.tokens:
        words = tok.words
        # A multi-word token (du = de + le) keeps the surface form; its analysis joins the parts.
        tokens.append(Token(
            start=tok.start_char, end=tok.end_char, text=tok.text,
            lemma="+".join(w.lemma or "" for w in words),
            upos="+".join(w.upos or "" for w in words),
            feats="|".join(w.feats for w in words if w.feats) if len(words) == 1 else "",
            space_after=not (tok.spaces_after == "" and "SpaceAfter=No" in (tok.misc or "")),
        ))
    mentions = []
    for ent in sent.ents:
        label = map_label(ent.type)
        if label:
            mentions.append(Mention(ent.start_char, ent.end_char, label, ent.text, ent.type))
    start, end = sent.tokens[0].start_char, sent.tokens[-1].end_char
    return Sentence("", start, end, doc.text[start:end], tokens, mentions)
