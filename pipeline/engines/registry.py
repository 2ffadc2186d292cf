"""Choosing engines by what is installed, without loading them.

A choice is an :class:`EngineSpec`: a name, a cheap fingerprint (so the runner can tell
whether outputs are up to date before loading anything) and a factory that loads the
engine when a stage first needs it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pipeline.engines import apertium, spacy_nlp, stanza_nlp
from pipeline.errors import ConfigError

MT_FIX = (
    "No French->English MT engine is installed. Either\n"
    "  - install Apertium (Debian): sudo apt-get install apertium apertium-fr-es apertium-eng-spa\n"
    "  - or install an Argos package: python -m pipeline models install argos PATH.argosmodel\n"
    "    (or without PATH, online, from the Argos index)"
)


@dataclass
class EngineSpec:
    kind: str  # "mt" | "nlp"
    name: str
    fingerprint: str
    factory: Callable[[], Any]


def choose_translator(choice: str = "auto", *, workers: int = 2) -> EngineSpec:
    """argos when a fr->en package is installed, else Apertium; ConfigError when neither."""
    from pipeline.engines import argos

    if choice in ("auto", "argos"):
        pkg = argos.find_installed("fr", "en")
        if pkg is not None:
            meta = argos.read_metadata(pkg)
            weights = argos.sha256_file(pkg / "model" / "model.bin")
            fp = f"argos:{argos.package_code(meta)}:{meta.get('package_version', '?')}:{weights}"
            return EngineSpec("mt", "argos", fp, lambda: argos.ArgosTranslator(pkg))
        if choice == "argos":
            raise ConfigError("--mt argos: no French->English Argos package is installed.\n"
                              + MT_FIX)
    if choice in ("auto", "apertium"):
        pivot = apertium.available_pivot()
        if pivot is not None:
            return EngineSpec("mt", "apertium", apertium.fingerprint_for(pivot),
                              lambda: apertium.ApertiumTranslator(pivot, workers=workers))
        raise ConfigError(("--mt apertium: " if choice == "apertium" else "") + MT_FIX)
    raise ConfigError(f"unknown MT engine {choice!r} (choose auto, argos or apertium)")


def choose_annotator(choice: str, lang: str, model: str | None = None) -> EngineSpec:
    """stanza when its resources are on disk, else spaCy."""
    if choice in ("auto", "stanza") and stanza_nlp.is_available(lang):
        root = stanza_nlp.resources_dir()
        fp = "stanza:" + hashlib.sha256((root / "resources.json").read_bytes()).hexdigest()[:16]
        return EngineSpec("nlp", "stanza", fp, lambda: stanza_nlp.StanzaAnnotator(lang))
    if choice == "stanza":
        raise ConfigError(
            f"--ner stanza: no stanza resources for {lang!r} in {stanza_nlp.resources_dir()}; "
            "run `python -m pipeline models install stanza` where the network allows"
        )
    if choice not in ("auto", "spacy"):
        raise ConfigError(f"unknown NER backend {choice!r} (choose auto, stanza or spacy)")
    name = model or spacy_nlp.DEFAULT_MODELS.get(lang)
    if name is None or not spacy_nlp.is_available(name):
        raise ConfigError(
            f"no NLP model for {lang!r}: spaCy model {name!r} is not installed "
            f"(pip install {str(name).replace('_', '-')}, or run `make setup`)"
        )
    meta_path = spacy_nlp.model_dir(name)
    assert meta_path is not None
    meta = json.loads((meta_path / "meta.json").read_text(encoding="utf-8"))
    fp = f"spacy:{name}:{meta.get('version')}"
    return EngineSpec("nlp", "spacy", fp, lambda: spacy_nlp.SpacyAnnotator(lang, name))
