"""The stage table: every per-document stage, in order, with what it reads and writes.

Start here. A run reads each input into a :class:`~pipeline.document.Document` (its
``source`` and raw ``original.text``), then the stages below run over batches of documents,
in this order. Each stage declares, in the spirit of spaCy's ``requires``/``assigns``:

* ``requires``: the document fields it reads (made by ingest or an earlier stage);
* ``assigns``: the fields it writes;
* ``engines``: the engines it needs (keys the run context knows: rules, nlp-fr, nlp-en, mt),
  loaded on first use; the stage is left out when one was not chosen (``analyse`` uses
  nlp-en too, for English originals, when it was chosen);
* ``selected_by``: the user-facing stages (``--stages``) that must all be selected for it to run;
* ``applies``: which documents it runs on (the others pass through untouched);
* ``batched``: whether it takes the whole batch at once (engines see many texts) or one
  document at a time (a failure is then that document's alone without any retry).

The table is checked once, when this module is imported: a stage never comes before what it
requires. The runner (pipeline/run/worker.py), tools/bench.py and tools/eval_ner.py all run
stages from this table. After the per-document stages come the run-level steps ``corpus``
and ``validate`` (pipeline/run/corpus.py, pipeline/run/validation.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from pipeline.document import Document, Note
from pipeline.engines.base import Annotator, Translator
from pipeline.ingest import units
from pipeline.ingest.units import Loaded
from pipeline.stages import analyse, clean, link, translate
from pipeline.stages.limits import bounded
from pipeline.tei import codec as tei

#: The stages a user selects (``--stages``/``--skip``); tei, corpus and validate make the
#: archive. ``OPTIONAL`` ones may be left out.
USER_STAGES = ("clean", "analyse", "translate", "link", "tei", "corpus", "validate")
OPTIONAL = ("analyse", "translate", "link", "validate")
#: Languages an original can be analysed in, with the engine key that analyses it.
ANALYSED_LANGS = {"fr": "nlp-fr", "en": "nlp-en"}
#: What ingest puts on a fresh document before any stage runs.
INGEST_ASSIGNS = frozenset({"id", "source", "notes", "original.text"})


class StageContext(Protocol):
    """What a stage may use besides its documents (one per process, see pipeline/run)."""

    @property
    def user_stages(self) -> tuple[str, ...]:
        """The user-facing stages selected for this run."""
        ...

    def has_engine(self, key: str) -> bool:
        """Whether an engine was chosen for ``key`` (without loading it)."""
        ...

    def annotator(self, key: str) -> Annotator: ...

    def translator(self) -> Translator: ...

    def rules(self) -> clean.Rules: ...

    def translation_cache(self) -> translate.TranslationCache: ...

    def run_info(self) -> tei.RunInfo: ...

    def ingested(self, doc: Document) -> Loaded | None:
        """What ingest read for the document besides its text (format metadata...)."""
        ...

    def emit(self, doc: Document, data: bytes) -> None:
        """Hand one document's TEI bytes to the driver (which writes the file)."""
        ...


StageFn = Callable[[list[Document], StageContext], None]


@dataclass(frozen=True)
class Stage:
    name: str
    requires: frozenset[str]
    assigns: frozenset[str]
    fn: StageFn
    engines: tuple[str, ...] = ()
    selected_by: tuple[str, ...] = ()
    applies: Callable[[Document, StageContext], bool] = lambda doc, ctx: True
    batched: bool = True

    def selected(self, ctx: StageContext) -> bool:
        return (all(s in ctx.user_stages for s in self.selected_by)
                and all(ctx.has_engine(k) for k in self.engines))


# ---------------------------------------------------------------- the stages' functions


def clean_stage(docs: list[Document], ctx: StageContext) -> None:
    """Cut boilerplate, find paragraphs and the language; put what the input's format (or
    a sidecar table) knows over cleaning's guesses; say what a non-French one gets."""
    for doc in docs:
        loaded = ctx.ingested(doc)
        rules = ctx.rules() if loaded is None else units.cleaning_rules(ctx.rules(), loaded)
        clean.clean(doc, doc.original.text, rules)
        if loaded is not None:
            units.apply_known(doc, loaded)
            doc.removed[:0] = loaded.removed  # what reading the format removed comes first
        _language_notes(doc, ctx)


def _language_notes(doc: Document, ctx: StageContext) -> None:
    """Say what a non-French original gets: no translation; analysis only with a model."""
    lang = doc.original.lang
    if lang == "fr":
        return
    if "translate" in ctx.user_stages:
        doc.notes.append(Note("not-translated", f"the article is in {lang}, not French: "
                                                "kept as it is, not translated"))
    key = ANALYSED_LANGS.get(lang)
    if "analyse" in ctx.user_stages and (key is None or not ctx.has_engine(key)):
        doc.notes.append(Note("not-analysed", f"no analysis model for {lang}: kept as text "
                                              "only (no sentences, tokens or entities)"))


def analyse_stage(docs: list[Document], ctx: StageContext) -> None:
    """Each language with its own model."""
    for lang, key in ANALYSED_LANGS.items():
        group = [d for d in docs if d.original.lang == lang]
        if group:
            analyse.analyse_original(group, bounded(ctx.annotator(key)))


def _analysable(doc: Document, ctx: StageContext) -> bool:
    key = ANALYSED_LANGS.get(doc.original.lang)
    return key is not None and ctx.has_engine(key)


def translate_stage(docs: list[Document], ctx: StageContext) -> None:
    translate.translate(docs, ctx.translator(), ctx.translation_cache())


def analyse_translation_stage(docs: list[Document], ctx: StageContext) -> None:
    analyse.analyse_translation(docs, bounded(ctx.annotator("nlp-en")))


def link_stage(docs: list[Document], ctx: StageContext) -> None:
    for doc in docs:
        link.link(doc)


def tei_stage(docs: list[Document], ctx: StageContext) -> None:
    """Serialise; the driver writes the bytes (atomically) where the plan says."""
    run = ctx.run_info()
    for doc in docs:
        ctx.emit(doc, tei.tei_bytes(doc, run=run))


ORIGINAL_ANALYSIS = frozenset({"original.sentences", "original.tokens", "original.mentions"})

TABLE: tuple[Stage, ...] = (
    Stage("clean", requires=frozenset({"source", "original.text"}),
          assigns=frozenset({"original.text", "original.paragraphs", "original.lang", "meta",
                             "removed", "notes"}),
          fn=clean_stage, engines=("rules",), batched=False),
    Stage("analyse", requires=frozenset({"original.text", "original.paragraphs",
                                         "original.lang"}),
          assigns=ORIGINAL_ANALYSIS, fn=analyse_stage, engines=("nlp-fr",),
          selected_by=("analyse",), applies=_analysable),
    # names: the original's mentions are protected and projected as English mentions
    Stage("translate", requires=frozenset({"original.sentences", "original.lang",
                                           "original.mentions"}),
          assigns=frozenset({"translation", "translation.sentences", "translation.mentions",
                             "notes"}),
          fn=translate_stage, engines=("mt",), selected_by=("translate",),
          applies=lambda doc, ctx: doc.original.lang == "fr"),  # only French is translated
    Stage("analyse-en", requires=frozenset({"translation.sentences"}),
          assigns=frozenset({"translation.tokens", "translation.mentions"}),
          fn=analyse_translation_stage, engines=("nlp-en",),
          selected_by=("analyse", "translate"),
          applies=lambda doc, ctx: doc.translation is not None),
    Stage("link", requires=frozenset({"original.mentions"}),
          assigns=frozenset({"records", "original.mentions", "translation.mentions"}),
          fn=link_stage, selected_by=("link",), batched=False),
    Stage("tei", requires=frozenset({"source", "original.paragraphs", "meta"}),
          assigns=frozenset({"tei"}), fn=tei_stage),
)


def check_order(stages: tuple[Stage, ...], given: frozenset[str] = INGEST_ASSIGNS) -> None:
    """Raise ValueError when a stage requires a field no earlier stage (or ingest) assigns."""
    made = set(given)
    for stage in stages:
        missing = stage.requires - made
        if missing:
            raise ValueError(f"stage {stage.name!r} requires {', '.join(sorted(missing))}, "
                             "which no earlier stage assigns")
        made |= stage.assigns


check_order(TABLE)
BY_NAME: Mapping[str, Stage] = {s.name: s for s in TABLE}


class GivenEngines:
    """A StageContext over engines the caller already holds (tools, tests): nothing is
    loaded or written; TEI bytes are kept in :attr:`tei`."""

    def __init__(self, *, annotators: Mapping[str, Annotator] | None = None,
                 translator: Translator | None = None,
                 cache: translate.TranslationCache | None = None,
                 rules: clean.Rules | None = None, run: tei.RunInfo | None = None,
                 user_stages: tuple[str, ...] = USER_STAGES) -> None:
        self._annotators = dict(annotators or {})
        self._translator = translator
        self._cache = cache
        self._rules = rules
        self._run = run
        self._user_stages = user_stages
        self.tei: dict[str, bytes] = {}

    @property
    def user_stages(self) -> tuple[str, ...]:
        return self._user_stages

    def has_engine(self, key: str) -> bool:
        return (key == "rules" or key in self._annotators
                or (key == "mt" and self._translator is not None))

    def annotator(self, key: str) -> Annotator:
        return self._annotators[key]

    def translator(self) -> Translator:
        if self._translator is None:
            raise LookupError("no translator was given")
        return self._translator

    def rules(self) -> clean.Rules:
        if self._rules is None:
            self._rules = clean.load_rules()
        return self._rules

    def translation_cache(self) -> translate.TranslationCache:
        if self._cache is None:
            self._cache = translate.TranslationCache(None)
        return self._cache

    def run_info(self) -> tei.RunInfo:
        if self._run is None:
            raise LookupError("no RunInfo was given")
        return self._run

    def ingested(self, doc: Document) -> Loaded | None:
        return None

    def emit(self, doc: Document, data: bytes) -> None:
        self.tei[doc.id] = data


def run_stages(docs: list[Document], ctx: StageContext, names: tuple[str, ...]) -> None:
    """Run the named stages (in the table's order, when selected) over the documents, as the
    runner does but without its failure isolation: a failure raises (tools, tests)."""
    for stage in TABLE:
        if stage.name in names and stage.selected(ctx):
            chosen = [d for d in docs if stage.applies(d, ctx)]
            if chosen:
                stage.fn(chosen, ctx)
