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
from datetime import UTC, datetime
from pathlib import Path

from pipeline import __version__
from pipeline.document import Document
from pipeline.engines.base import Annotator, Translator
from pipeline.engines.registry import EngineSpec, choose_annotator, choose_translator
from pipeline.errors import ConfigError
from pipeline.ingest.units import Loaded
from pipeline.run.settings import RunEnvironment, Settings
from pipeline.stages import clean
from pipeline.stages.translate import TranslationCache
from pipeline.tei import codec as tei


def resolve_engines(settings: Settings) -> dict[str, EngineSpec]:
    """Pick engines for the selected stages (ConfigError, exit 2, when one is missing)."""
    specs: dict[str, EngineSpec] = {}
    if "analyse" in settings.stages:
        specs["nlp-fr"] = choose_annotator(settings.ner, "fr", settings.fr_model)
    if "translate" in settings.stages:
        specs["mt"] = choose_translator(settings.mt)
        if "analyse" in settings.stages:
            specs["nlp-en"] = choose_annotator(settings.ner, "en", settings.en_model)
    elif "analyse" in settings.stages:
        # English originals are analysed too; without the model they are kept as text.
        try:
            specs["nlp-en"] = choose_annotator(settings.ner, "en", settings.en_model)
        except ConfigError:
            pass
    return specs


def fingerprints(specs: dict[str, EngineSpec]) -> dict[str, str]:
    return {k: v.fingerprint for k, v in sorted(specs.items())}


class ProcessEngines:
    """Engines loaded in this process, loaded on first use and kept."""

    def __init__(self) -> None:
        self.loaded: dict[tuple[str, str], object] = {}
        #: (engine key, seconds) for each load, in order: a chunk reports the loads it made.
        self.loads: list[tuple[str, float]] = []
        self._specs: dict[tuple[object, ...], dict[str, EngineSpec]] = {}
        self._caches: dict[Path, TranslationCache] = {}
        self._rules: clean.Rules | None = None
        #: Threads an MT engine may use (None: its own default). Pool workers get 1: with
        #: one worker per core, engine threads on top only compete for the cores.
        self.mt_threads: int | None = None

    def specs(self, settings: Settings,
              expected: dict[str, str] | None = None) -> dict[str, EngineSpec]:
        """The engines the settings choose; resolved again when ``expected`` (key ->
        fingerprint, what the driver resolved) differs from what this process knows."""
        key = settings.engine_key()
        known = self._specs.get(key)
        if known is None or (expected is not None and fingerprints(known) != expected):
            known = self._specs[key] = resolve_engines(settings)
        return known

    def resolve(self, settings: Settings) -> dict[str, EngineSpec]:
        """Resolve afresh (the driver, once per run) and remember for this process."""
        specs = self._specs[settings.engine_key()] = resolve_engines(settings)
        return specs

    def _load(self, key: str, spec: EngineSpec) -> object:
        ident = (key, spec.fingerprint)
        if ident not in self.loaded:
            t0 = time.perf_counter()
            engine = spec.factory()
            if key == "mt" and self.mt_threads is not None:
                engine.set_threads(self.mt_threads)
            self.loaded[ident] = engine
            self.loads.append((key, round(time.perf_counter() - t0, 3)))
        return self.loaded[ident]

    def annotator(self, key: str, spec: EngineSpec) -> Annotator:
        engine = self._load(key, spec)
        assert isinstance(engine, Annotator)
        return engine

    def translator(self, spec: EngineSpec) -> Translator:
        engine = self._load("mt", spec)
        assert isinstance(engine, Translator)
        return engine

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
        return key == "rules" or key in self.specs

    def annotator(self, key: str) -> Annotator:
        return self.engines.annotator(key, self.specs[key])

    def translator(self) -> Translator:
        return self.engines.translator(self.specs["mt"])

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
