"""The engines of one process, and what a stage sees while it runs (its StageContext).

:class:`ProcessEngines` holds every engine this process loaded, keyed by what it is (its
fingerprint), so a second run in the same process (tests, the benchmark) loads nothing
twice; it also resolves which engines the settings choose, once (that runs dpkg-query and
hashes model files). There is one per process (:func:`process_engines`), made on first use:
workers of any executor get theirs from it.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pipeline import __version__
from pipeline.document import Document
from pipeline.engines.base import Annotator, EngineSpec, Translator
from pipeline.engines.registry import choose_annotator, choose_translator
from pipeline.errors import ConfigError
from pipeline.ingest.units import Loaded
from pipeline.run.settings import RunEnvironment, Settings
from pipeline.stages import clean
from pipeline.stages.translate import TranslationCache
from pipeline.tei import codec as tei


@dataclass(frozen=True)
class ChosenEngines:
    """The engines a run's settings choose, not loaded (keys: nlp-fr, nlp-en, mt)."""

    annotators: dict[str, EngineSpec[Annotator]] = field(default_factory=dict)
    translator: EngineSpec[Translator] | None = None
    order: tuple[str, ...] = ()  # keys in the order they were chosen (the report's order)

    def has(self, key: str) -> bool:
        return key in self.order

    def fingerprint(self, key: str) -> str:
        if key == "mt" and self.translator is not None:
            return self.translator.fingerprint
        return self.annotators[key].fingerprint

    def fingerprints(self) -> dict[str, str]:
        """Key -> fingerprint, sorted by key (what the up-to-date check compares)."""
        return {k: self.fingerprint(k) for k in sorted(self.order)}

    def in_order(self) -> dict[str, str]:
        return {k: self.fingerprint(k) for k in self.order}

    def notes(self) -> dict[str, str]:
        """Why an engine is not the preferred one (a fallback), by key."""
        specs = {**self.annotators, **({"mt": self.translator} if self.translator else {})}
        return {k: specs[k].note for k in self.order if specs[k].note}


def resolve_engines(settings: Settings) -> ChosenEngines:
    """Pick engines for the selected stages (ConfigError, exit 2, when one is missing)."""
    paths = settings.environment.engine_paths()
    annotators: dict[str, EngineSpec[Annotator]] = {}
    translator: EngineSpec[Translator] | None = None
    order: list[str] = []
    if "analyse" in settings.stages:
        annotators["nlp-fr"] = choose_annotator(settings.ner, "fr", settings.fr_model)
        order.append("nlp-fr")
    if "translate" in settings.stages:
        translator = choose_translator(settings.mt, paths=paths)
        order.append("mt")
        if "analyse" in settings.stages:
            annotators["nlp-en"] = choose_annotator(settings.ner, "en", settings.en_model)
            order.append("nlp-en")
    elif "analyse" in settings.stages:
        # English originals are analysed too; without the model they are kept as text.
        try:
            annotators["nlp-en"] = choose_annotator(settings.ner, "en", settings.en_model)
            order.append("nlp-en")
        except ConfigError:
            pass
    return ChosenEngines(annotators, translator, tuple(order))


def fingerprints(chosen: ChosenEngines) -> dict[str, str]:
    """Key -> fingerprint of the chosen engines, sorted by key (what workers must match)."""
    return chosen.fingerprints()


class ProcessEngines:
    """Engines loaded in this process, loaded on first use and kept."""

    def __init__(self) -> None:
        #: (engine key, fingerprint) -> the loaded engine
        self.annotators: dict[tuple[str, str], Annotator] = {}
        self.translators: dict[tuple[str, str], Translator] = {}
        #: (engine key, seconds) for each load, in order: a chunk reports the loads it made.
        self.loads: list[tuple[str, float]] = []
        self._specs: dict[tuple[object, ...], ChosenEngines] = {}
        self._caches: dict[Path, TranslationCache] = {}
        self._rules: clean.Rules | None = None
        #: Threads an MT engine may use (None: its own default). Pool workers get 1: with
        #: one worker per core, engine threads on top only compete for the cores.
        self.mt_threads: int | None = None

    @property
    def loaded(self) -> dict[tuple[str, str], Annotator | Translator]:
        """Every engine loaded in this process, by (key, fingerprint)."""
        return {**self.annotators, **self.translators}

    def specs(self, settings: Settings,
              expected: dict[str, str] | None = None) -> ChosenEngines:
        """The engines the settings choose; resolved again when ``expected`` (key ->
        fingerprint, what the driver resolved) differs from what this process knows."""
        key = settings.engine_key()
        known = self._specs.get(key)
        if known is None or (expected is not None and known.fingerprints() != expected):
            known = self._specs[key] = resolve_engines(settings)
        return known

    def resolve(self, settings: Settings) -> ChosenEngines:
        """Resolve afresh (the driver, once per run) and remember for this process."""
        specs = self._specs[settings.engine_key()] = resolve_engines(settings)
        return specs

    def annotator(self, key: str, spec: EngineSpec[Annotator]) -> Annotator:
        ident = (key, spec.fingerprint)
        if ident not in self.annotators:
            t0 = time.perf_counter()
            self.annotators[ident] = spec.factory()
            self.loads.append((key, round(time.perf_counter() - t0, 3)))
        return self.annotators[ident]

    def translator(self, spec: EngineSpec[Translator]) -> Translator:
        ident = ("mt", spec.fingerprint)
        if ident not in self.translators:
            t0 = time.perf_counter()
            engine = spec.factory()
            if self.mt_threads is not None:
                engine.set_threads(self.mt_threads)
            self.translators[ident] = engine
            self.loads.append(("mt", round(time.perf_counter() - t0, 3)))
        return self.translators[ident]

    def rules(self) -> clean.Rules:
        if self._rules is None:
            t0 = time.perf_counter()
            self._rules = clean.load_rules()
            self.loads.append(("rules", round(time.perf_counter() - t0, 3)))
        return self._rules

    def cache(self, path: Path) -> TranslationCache:
        if path not in self._caches:
            self._caches[path] = TranslationCache(path)
        return self._caches[path]

    def forget_cache(self, path: Path, fresh: TranslationCache) -> None:
        """Drop a cache held for ``path`` that is no longer the file there (an earlier
        run's, since set aside as damaged): the next use opens the rebuilt one."""
        held = self._caches.get(path)
        if held is not None and held.inode != fresh.inode:
            held.close()
            del self._caches[path]

    def cache_notes(self) -> list[str]:
        """What the caches of this process had to do (a damaged file set aside), once."""
        notes = [n for cache in self._caches.values() for n in cache.notes]
        for cache in self._caches.values():
            cache.notes.clear()
        return notes


@functools.cache
def process_engines() -> ProcessEngines:
    """This process's engines (one object per process; a forked worker makes its own)."""
    return ProcessEngines()


def run_info_for(environment: RunEnvironment) -> tei.RunInfo:
    """The run's date: SOURCE_DATE_EPOCH when set (byte-identical outputs), else today.

    Today is cut to the day so that reruns on one day still give identical files.
    """
    def today() -> datetime:
        return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)

    return tei.RunInfo.from_environment(command="pipeline run", version=__version__,
                                        clock=today,
                                        environ=environment.as_environ())


class ChunkContext:
    """The StageContext of one chunk: the run's settings, this process's engines, and
    the TEI bytes the chunk's documents produced (for the driver to write)."""

    def __init__(self, settings: Settings, engines: ProcessEngines,
                 expected: dict[str, str] | None = None) -> None:
        self.settings = settings
        self.engines = engines
        self.specs = engines.specs(settings, expected)
        self.tei: dict[str, bytes] = {}
        self.loaded: dict[str, Loaded] = {}  # what ingest read, per document id
        self._run_info: tei.RunInfo | None = None

    @property
    def user_stages(self) -> tuple[str, ...]:
        return self.settings.stages

    def has_engine(self, key: str) -> bool:
        return key == "rules" or self.specs.has(key)

    def annotator(self, key: str) -> Annotator:
        return self.engines.annotator(key, self.specs.annotators[key])

    def translator(self) -> Translator:
        if self.specs.translator is None:
            raise ConfigError("no MT engine was chosen for this run")
        return self.engines.translator(self.specs.translator)

    def rules(self) -> clean.Rules:
        return self.engines.rules()

    def translation_cache(self) -> TranslationCache:
        return self.engines.cache(self.settings.cache_root / "mt.sqlite")

    def run_info(self) -> tei.RunInfo:
        if self._run_info is None:
            self._run_info = run_info_for(self.settings.environment)
        return self._run_info

    def ingested(self, doc: Document) -> Loaded | None:
        return self.loaded.get(doc.id)

    def emit(self, doc: Document, data: bytes) -> None:
        self.tei[doc.id] = data
