"""The interfaces that stages use; each engine module implements one of them."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from pipeline.document import Application, Sentence


@runtime_checkable
class Translator(Protocol):
    """Sentence-level machine translation, source language -> English."""

    name: str  # "argos" | "apertium"

    def applications(self) -> list[Application]:
        """Programs and models that make the translation (for the TEI header)."""
        ...

    def fingerprint(self) -> str:
        """Engine + model identity and version; the translation cache keys on it."""
        ...

    def translate(self, sentences: list[str]) -> list[str]:
        """Translate a batch: exactly one output string per input sentence, in order."""
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
