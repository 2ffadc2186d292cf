"""stanza backend, used when its resources are on disk ($STANZA_RESOURCES_DIR).

A run never downloads: the pipeline is built with ``download_method=None``.
`python -m pipeline models install stanza` fetches the resources when online.

The resources folder is stanza's own layout: ``resources.json`` names each language's
default package per processor and its dependencies (pretrained vectors, character
language models); the weights are ``{lang}/{processor}/{package}.pt``. Every file the
pipeline will load is listed by :func:`model_files`, hashed into the engine's fingerprint
(a changed model recomputes the documents it analysed) and named, with its checksum, in
the TEI header.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from pipeline.document import Application, Mention, Sentence, Token
from pipeline.errors import ConfigError
from pipeline.stages.labels import map_label
from pipeline.stages.mentions import refine

#: Processors the backend asks for; mwt only where the language has multi-word tokens.
PROCESSORS = ("tokenize", "mwt", "pos", "lemma", "ner")
#: First bytes of a torch file: the legacy pickle format stanza writes, or a zip archive.
_TORCH_LEGACY = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19"
_ZIP = b"PK\x03\x04"


def resources_dir() -> Path:
    """$STANZA_RESOURCES_DIR, else stanza's own default (one rule, in install.py)."""
    from pipeline.engines.install import stanza_resources_dir

    return stanza_resources_dir()


def _resources(root: Path) -> dict[str, Any]:
    try:
        data = json.loads((root / "resources.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _lang_block(resources: dict[str, Any], lang: str) -> tuple[str, dict[str, Any]]:
    """The language's block of resources.json, following aliases (``{}`` when absent)."""
    seen: set[str] = set()
    block = resources.get(lang)
    while isinstance(block, dict) and "alias" in block and lang not in seen:
        seen.add(lang)
        lang = str(block["alias"])
        block = resources.get(lang)
    return lang, block if isinstance(block, dict) else {}


def default_packages(lang: str) -> dict[str, str]:
    """The language's default processor packages, from resources.json ({} when unreadable)."""
    _, block = _lang_block(_resources(resources_dir()), lang)
    found = block.get("default_processors", {})
    return {k: str(v) for k, v in found.items()} if isinstance(found, dict) else {}


@dataclass(frozen=True)
class ModelFile:
    """One file the pipeline loads: a processor's model or one of its dependencies."""

    processor: str  # tokenize, mwt, pos, lemma, ner, pretrain, forward_charlm, ...
    package: str
    path: Path
    needed_by: str  # the processor that loads it


def model_files(lang: str, root: Path | None = None) -> list[ModelFile]:
    """Every model file of ``lang``'s default processors, in loading order (none: [])."""
    root = root or resources_dir()
    lang, block = _lang_block(_resources(root), lang)
    defaults = block.get("default_processors") or {}
    files: list[ModelFile] = []
    for proc in PROCESSORS:
        if proc not in defaults:
            continue
        package = str(defaults[proc])
        entry = (block.get(proc) or {}).get(package) or {}
        for dep in entry.get("dependencies", []):
            dep_model, dep_pkg = str(dep["model"]), str(dep["package"])
            path = root / lang / dep_model / f"{dep_pkg}.pt"
            if all(f.path != path for f in files):
                files.append(ModelFile(dep_model, dep_pkg, path, proc))
        files.append(ModelFile(proc, package, root / lang / proc / f"{package}.pt", proc))
    return files


def processors_for(lang: str) -> list[str]:
    """The processors to load: mwt only when the language's resources have one."""
    defaults = default_packages(lang)
    return [p for p in PROCESSORS if p != "mwt" or "mwt" in defaults]


def is_available(lang: str) -> bool:
    """True when every processor's default model (and its dependencies) is on disk.

    Checking the NER model alone is not enough: a pipeline missing its tokenizer would
    fail at load time instead of letting the run fall back to spaCy.
    """
    return not missing(lang)


def missing(lang: str) -> list[str]:
    """What stanza would need to download for ``lang`` (paths; empty when complete)."""
    from pipeline.engines.install import stanza_missing

    return stanza_missing(lang, resources_dir(), PROCESSORS)


@lru_cache(maxsize=64)
def _file_sha256_cached(path: str, size: int, mtime_ns: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def file_sha256(path: Path) -> str:
    """sha256 of a model file (hashed once per process while its size and mtime hold)."""
    st = path.stat()
    return _file_sha256_cached(str(path), st.st_size, st.st_mtime_ns)


def check_files(lang: str) -> list[str]:
    """Model files that are not torch files (truncated downloads, wrong files): why each."""
    problems = []
    for f in model_files(lang):
        try:
            with f.path.open("rb") as fh:
                head = fh.read(len(_TORCH_LEGACY))
        except OSError as exc:
            problems.append(f"{f.path}: {exc.strerror or exc}")
            continue
        if not (head == _TORCH_LEGACY or head.startswith(_ZIP)):
            problems.append(f"{f.path}: not a stanza/torch model file")
    return problems


def fingerprint(lang: str) -> str:
    """stanza's version and every model file's checksum: the cache key of its output."""
    import importlib.metadata

    h = hashlib.sha256(importlib.metadata.version("stanza").encode())
    root = resources_dir()
    for f in model_files(lang, root):
        h.update(f"{f.path.relative_to(root).as_posix()}={file_sha256(f.path)}\n".encode())
    return f"stanza:{lang}:{h.hexdigest()[:24]}"


def _unreadable_models(lang: str) -> list[str]:
    """On a failed load only: which model files torch itself cannot read, and why."""
    import torch

    bad = []
    for f in model_files(lang):
        try:
            torch.load(str(f.path), map_location="cpu", weights_only=True)
        except Exception as exc:  # any reason makes the file unusable
            first = (str(exc).splitlines() or [""])[0][:200]
            bad.append(f"{f.path} ({type(exc).__name__}{': ' + first if first else ''})")
    return bad


def _load_pipeline(lang: str, processors: list[str], use_gpu: bool) -> Any:
    """stanza.Pipeline from the resources folder; any failure is a configuration error."""
    import stanza  # type: ignore[import-untyped]

    try:
        return stanza.Pipeline(lang, dir=str(resources_dir()), processors=",".join(processors),
                               download_method=None, use_gpu=use_gpu, logging_level="WARN")
    except Exception as exc:  # torch, pickle and stanza errors alike
        bad = _unreadable_models(lang)
        what = "; ".join(bad) if bad else f"{type(exc).__name__}: {exc}"
        raise ConfigError(
            f"stanza could not load its {lang!r} models from {resources_dir()}: {what}. "
            f"Reinstall them (python -m pipeline models install stanza {lang}) "
            "or run with --ner spacy"
        ) from None


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
        self.packages = default_packages(lang)
        self.processors = processors_for(lang)
        # One pipeline for both entry points: analyse_sentences joins whatever sentences
        # stanza finds in a text back into the one sentence it was given.
        self.nlp = _load_pipeline(lang, self.processors, use_gpu)
        self._apps = self._applications()

    def _applications(self) -> list[Application]:
        """stanza itself, then each model file (the NER model last: exports name it)."""
        root = resources_dir()
        release = str(_resources(root).get("resources_version", self.version))
        layer = f"ner-{self.lang}"
        apps = [Application(
            "stanza", self.version, layer,
            f"Stanford stanza, {self.lang} processors {', '.join(self.processors)}",
            extra={"packages": ", ".join(f"{p}={self.packages.get(p, '?')}"
                                         for p in self.processors)},
        )]
        files = sorted(model_files(self.lang, root), key=lambda f: f.processor == "ner")
        for f in files:
            apps.append(Application(
                f"stanza-{self.lang}-{f.processor}-{f.package}", release, layer,
                f"stanza {f.processor} model {f.package!r}"
                + (f" (for {f.needed_by})" if f.needed_by != f.processor else ""),
                sha256=file_sha256(f.path),
                extra={"processor": f.processor, "package": f.package,
                       "file": f.path.relative_to(root).as_posix()},
            ))
        return apps

    def applications(self) -> list[Application]:
        return list(self._apps)

    def _run(self, texts: list[str]) -> list[Any]:
        import stanza

        docs = [stanza.Document([], text=t) for t in texts]
        return list(self.nlp(docs)) if docs else []

    def split_and_analyse(self, texts: list[str]) -> list[list[Sentence]]:
        return [[self._sentence(doc, s) for s in doc.sentences] for doc in self._run(texts)]

    def analyse_sentences(self, texts: list[str]) -> list[Sentence]:
        out = []
        for doc in self._run(texts):
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


def convert_tokens(text: str, tok: Any) -> list[Token]:
    """One stanza token as the pipeline's tokens (offsets into ``text``).

    A multi-word token (« du » = de + le) becomes one Token per syntactic word, all on the
    surface span; ``Token.text`` is the word's own form. The TEI writer turns words that
    share a span into ``<w>du<w norm="de" .../><w norm="le" .../></w>``.
    """
    # From the offsets, not from stanza's misc field: the text decides.
    space_after = tok.end_char < len(text) and text[tok.end_char].isspace()
    words = tok.words
    if len(words) == 1:
        w = words[0]
        return [Token(tok.start_char, tok.end_char, text[tok.start_char : tok.end_char],
                      w.lemma or "", w.upos or "", w.feats or "", space_after)]
    return [Token(tok.start_char, tok.end_char, w.text or "", w.lemma or "", w.upos or "",
                  w.feats or "", space_after) for w in words]


def convert_sentence(text: str, sent: Any) -> Sentence:
    """One stanza sentence as the pipeline's Sentence (offsets into ``text``)."""
    tokens = [t for tok in sent.tokens for t in convert_tokens(text, tok)]
    mentions = []
    for ent in sent.ents:
        label = map_label(ent.type)
        if label:
            mentions.append(Mention(ent.start_char, ent.end_char, label,
                                    text[ent.start_char : ent.end_char], ent.type))
    start, end = sent.tokens[0].start_char, sent.tokens[-1].end_char
    return Sentence("", start, end, text[start:end], tokens, mentions)


def bare_pipeline(lang: str) -> Any:
    """stanza.Pipeline as the backend builds it, for measuring the backend's overhead."""
    return _load_pipeline(lang, processors_for(lang), use_gpu=False)

