"""Choosing engines by what is installed, without loading them.

A choice is an :class:`~pipeline.engines.base.EngineSpec`: a name, a cheap fingerprint (so
the runner can tell whether outputs are up to date before loading anything) and a factory
that loads the engine when a stage first needs it. MT engines are a table
(:data:`TRANSLATORS`, each row the ``spec`` function of the engine's module); ``auto``
takes the first installed one in its order.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pipeline.engines import apertium, argos, spacy_nlp, stanza_nlp
from pipeline.engines.base import Annotator, EngineSpec, Translator
from pipeline.errors import ConfigError

__all__ = ["TRANSLATORS", "EnginePaths", "EngineSpec", "choose_annotator", "choose_translator"]

log = logging.getLogger(__name__)

MT_FIX = (
    "No French->English MT engine is installed. Either\n"
    "  - install Apertium (Debian): sudo apt-get install apertium apertium-fr-es apertium-eng-spa\n"
    "  - or install an Argos package: python -m pipeline models install argos PATH.argosmodel\n"
    "    (or without PATH, online, from the Argos index)"
)


@dataclass(frozen=True)
class EnginePaths:
    """Where engines' models are (None: each engine's default, from the environment)."""

    argos_packages: Path | None = None


#: MT engines, in the order ``auto`` tries them: each module's ``spec`` says whether it is
#: installed.
TRANSLATORS: dict[str, Callable[[EnginePaths], EngineSpec[Translator] | None]] = {
    "argos": lambda paths: argos.spec(paths.argos_packages),
    "apertium": lambda paths: apertium.spec(),
}


def choose_translator(choice: str = "auto", *,
                      paths: EnginePaths | None = None) -> EngineSpec[Translator]:
    """argos when a fr->en package is installed, else Apertium; ConfigError when neither."""
    if choice != "auto" and choice not in TRANSLATORS:
        raise ConfigError(f"unknown MT engine {choice!r} (choose auto, argos or apertium)")
    for name in TRANSLATORS if choice == "auto" else [choice]:
        found = TRANSLATORS[name](paths or EnginePaths())
        if found is not None:
            return found
    if choice == "argos":
        raise ConfigError("--mt argos: no French->English Argos package is installed.\n"
                          + MT_FIX)
    raise ConfigError(("--mt apertium: " if choice == "apertium" else "") + MT_FIX)


def choose_annotator(choice: str, lang: str, model: str | None = None
                     ) -> EngineSpec[Annotator]:
    """stanza when its resources are complete, else spaCy (with a note when stanza was
    partly installed); ConfigError when stanza's model files are damaged."""
    note = ""
    if choice in ("auto", "stanza"):
        stanza_spec, note = _stanza_spec(choice, lang)
        if stanza_spec is not None:
            return stanza_spec
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
    return EngineSpec("nlp", "spacy", fp, lambda: spacy_nlp.SpacyAnnotator(lang, name), note)


def _stanza_spec(choice: str, lang: str) -> tuple[EngineSpec[Annotator] | None, str]:
    """stanza's spec when all its files are there; else None and why (for the report)."""
    root = stanza_nlp.resources_dir()
    gaps = stanza_nlp.missing(lang)
    if not gaps:
        bad = stanza_nlp.check_files(lang)
        if bad:
            raise ConfigError(
                f"stanza model files for {lang!r} are damaged: {'; '.join(bad)}. Reinstall "
                f"them (python -m pipeline models install stanza {lang}) or run with "
                "--ner spacy"
            )
        return EngineSpec("nlp", "stanza", stanza_nlp.fingerprint(lang),
                          lambda: stanza_nlp.StanzaAnnotator(lang)), ""
    if choice == "stanza":
        raise ConfigError(
            f"--ner stanza: no stanza resources for {lang!r} in {root} (missing: "
            f"{', '.join(gaps[:5])}); run `python -m pipeline models install stanza "
            f"{lang}` where the network allows"
        )
    if not (root / "resources.json").is_file() or any("not in resources.json" in g
                                                       for g in gaps):
        return None, ""  # stanza not installed for this language: spaCy is the plain choice
    note = (f"stanza resources for {lang!r} in {root} are incomplete (missing: "
            f"{', '.join(gaps)}); {lang} analysed with spaCy")
    log.warning(note)
    return None, note
