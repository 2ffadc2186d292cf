"""The interfaces that stages use; each engine module implements one of them.

Each engine module also describes itself: its ``spec(...)`` says whether the engine is
installed and returns an :class:`EngineSpec` (a cheap fingerprint and a factory that loads
it), or None. pipeline/engines/registry.py is the table of those functions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar, runtime_checkable

from pipeline.document import Application, Sentence

E = TypeVar("E", covariant=True)


@dataclass(frozen=True)
class EngineSpec(Generic[E]):
    """An installed engine, not loaded: the runner tells from ``fingerprint`` whether outputs
    are up to date without loading anything; ``factory`` loads it when a stage needs it."""

    kind: str  # "mt" | "nlp"
    name: str
    fingerprint: str
    factory: Callable[[], E]
    note: str = ""  # why this engine and not the preferred one (a fallback), for the report


@runtime_checkable
class Translator(Protocol):
    """Sentence-level machine translation, source language -> English."""

    name: str  # "argos" | "apertium"
    #: Whether :meth:`translate_marked` keeps name placeholders and marks unknown words, so
    #: the translate stage protects names and resolves unknown words (stages/entities.py).
    protects_names: bool
    #: Indices (into the last ``translate`` call's input) of sentences over the model's input
    #: limit that were translated in parts (report code ``mt-length``).
    last_split: list[int]

    def applications(self) -> list[Application]:
        """Programs and models that make the translation (for the TEI header)."""
        ...

    def fingerprint(self) -> str:
        """Engine + model identity and version; the translation cache keys on it."""
        ...

    def translate(self, sentences: list[str]) -> list[str]:
        """Translate a batch: exactly one output string per input sentence, in order."""
        ...

    def translate_marked(self, sentences: list[str]) -> list[str]:
        """As :meth:`translate`, with unknown words marked where the engine can mark them."""
        ...

    def first_step_engine(self) -> Callable[[list[str]], list[str]] | None:
        """Texts through the first step of a pivot chain only (None: no pivot)."""
        ...

    def fallbacks(self) -> Sequence[Translator]:
        """Engines to try for words this one did not know (other pivots), best first."""
        ...

    def set_threads(self, threads: int) -> None:
        """Use at most ``threads`` threads for its own parallel work (before the first batch).

        A worker process gets 1: with one worker per core, threads on top only compete.
        """
        ...

    def close(self) -> None: ...


@runtime_checkable
class Annotator(Protocol):
    """Sentences, tokens, lemmas, UPOS, features and entity mentions for one language."""

    name: str  # "spacy" | "stanza"
    lang: str

    def applications(self) -> list[Application]: ...

    def split_and_analyse(self, texts: list[str]) -> list[list[Sentence]]:
        """Analyse paragraphs, finding sentence boundaries.

        Returns, for each text, its sentences; all offsets are relative to that text,
        ``Sentence.id`` is left empty (the stage assigns ids).
        """
        ...

    def analyse_sentences(self, texts: list[str]) -> list[Sentence]:
        """Analyse texts that are each exactly one sentence (no splitting)."""
        ...
