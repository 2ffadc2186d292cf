"""Neural MT with an installed Argos Translate package, run through CTranslate2 directly.

We load the package folder ourselves (``model/`` with CTranslate2, ``sentencepiece.model``,
``metadata.json``) instead of going through ``argostranslate.translate`` because:

* argos's sentence splitters fetch files from the network at first use; we hand the model
  whole sentences that the analyse stage already split;
* ``import argostranslate.settings`` creates folders in the home directory; importing this
  module must have no side effects;
* we need our own batching across documents, a hard input-length budget (one output per
  input sentence, always) and provenance (versions and checksums) for the TEI header.

The decoding follows argos (``replace_unknowns``, ``length_penalty=0.2``, the package's
``target_prefix``), so the output matches what argos would produce for the same sentence.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import re
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipeline.document import Application
from pipeline.engines.base import EngineSpec, Translator
from pipeline.errors import ConfigError

#: Default beam size. Beam 2 keeps most of what beam search buys over greedy decoding
#: (fewer dropped words and loops) at about half of beam 4's cost. Measured on an OPUS-MT
#: fr-en-shaped model (random weights, int8, 2 workers x 1 thread, batches of 32, output
#: fixed at 1.1x the source, 2 CPU cores): greedy 748 words/s, beam 2 411, beam 4 217.
DEFAULT_BEAM_SIZE = 2
#: Sentences per CTranslate2 batch: models.md measured 32, sorted by length, as the sweet spot.
DEFAULT_BATCH_SIZE = 32
#: Soft input budget in sentencepiece tokens: Transformer NMT models are trained on sentences
#: well under this; longer inputs are cut at a clause or word boundary and the parts joined.
DEFAULT_MAX_INPUT_TOKENS = 256
#: Used when neither metadata nor the model says how many positions it has.
FALLBACK_POSITIONS = 512

_SPM_WORD = "\u2581"  # sentencepiece's word-start marker
_CLAUSE_END = (",", ";", ":", ".", "!", "?", ")", "»", "\u2014", "\u2013")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")


def default_packages_dir() -> Path:
    """Argos's packages folder as argostranslate.settings computes it, without creating it.

    Order: ``ARGOS_PACKAGES_DIR``, the ``ARGOS_PACKAGES_DIR`` key of argos's settings.json,
    then ``$XDG_DATA_HOME/argos-translate/packages`` (``~/.local/share`` by default).
    """
    env = os.environ.get("ARGOS_PACKAGES_DIR")
    if env:
        return Path(env).expanduser()
    home = Path.home()
    if "SNAP" in os.environ and os.environ.get("SNAP_USER_DATA"):
        home = Path(os.environ["SNAP_USER_DATA"])
    config_home = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config")
    settings = config_home / "argos-translate" / "settings.json"
    try:
        value = json.loads(settings.read_text(encoding="utf-8")).get("ARGOS_PACKAGES_DIR")
        if isinstance(value, str) and value:
            return Path(value).expanduser()
    except (OSError, ValueError, AttributeError):
        pass
    data_home = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    return data_home / "argos-translate" / "packages"


def read_metadata(package_dir: Path) -> dict[str, Any]:
    """The package's metadata.json as a dict (ConfigError when missing or malformed)."""
    path = package_dir / "metadata.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{package_dir}: not an Argos package (no metadata.json)") from None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: unreadable metadata ({exc})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: metadata is not a JSON object")
    return data


def package_code(meta: dict[str, Any]) -> str:
    """The argospm name of a package ("translate-fr_en"), as argos derives it."""
    code = meta.get("code")
    if isinstance(code, str) and _SAFE_NAME.match(code):
        return code
    kind = str(meta.get("type") or "translate")
    src, tgt = meta.get("from_code"), meta.get("to_code")
    return f"{kind}-{src}_{tgt}" if src and tgt else kind


def translates(meta: dict[str, Any], from_code: str, to_code: str) -> bool:
    """True when package metadata describes a from_code -> to_code translation package."""
    if str(meta.get("type") or "translate") != "translate":
        return False
    return from_code in _codes(meta, "from") and to_code in _codes(meta, "to")


def _codes(meta: dict[str, Any], side: str) -> set[str]:
    """Language codes of one side; values of the wrong shape (third-party JSON) count for
    nothing rather than raising."""
    one, many = meta.get(f"{side}_code"), meta.get(f"{side}_codes")
    codes = {one} if isinstance(one, str) else set()
    if isinstance(many, list):
        codes.update(c for c in many if isinstance(c, str))
    return codes


def _version_key(version: str) -> tuple[int, Any]:
    try:
        from packaging.version import Version

        return (1, Version(version))
    except Exception:  # packaging missing or version not PEP 440
        return (0, version)


def find_installed(
    from_code: str = "fr", to_code: str = "en", packages_dir: Path | None = None
) -> Path | None:
    """The installed package translating from_code -> to_code, newest version first.

    Reads folders only (no network, creates nothing); skips hidden folders, which are
    our installer's work in progress.
    """
    root = packages_dir if packages_dir is not None else default_packages_dir()
    try:
        entries = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    except OSError:
        return None
    found: list[tuple[tuple[int, Any], str, Path]] = []
    for entry in entries:
        try:
            meta = read_metadata(entry)
        except ConfigError:
            continue
        if translates(meta, from_code, to_code) and (entry / "model").is_dir():
            version = str(meta.get("package_version") or "")
            found.append((_version_key(version), entry.name, entry))
    if not found:
        return None
    # PEP 440 versions rank above others, so Version and str are never compared.
    return max(found, key=lambda item: (item[0], item[1]))[2]


def is_available(
    from_code: str = "fr", to_code: str = "en", packages_dir: Path | None = None
) -> bool:
    """True when CTranslate2 and sentencepiece import and a matching package is installed."""
    if importlib.util.find_spec("ctranslate2") is None:
        return False
    if importlib.util.find_spec("sentencepiece") is None:
        return False
    return find_installed(from_code, to_code, packages_dir) is not None


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in chunks (model.bin can be hundreds of MB)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _dist_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def position_limits(model_bin: Path) -> dict[str, int]:
    """Rows of the position-encoding tables in a CTranslate2 model.bin, by scope.

    CTranslate2 fails ("No position encodings are defined for positions >= N") when a
    sequence outruns a stored table, so the input and output budgets must stay under it.
    Reads the variable headers and seeks over the data; returns {} for formats it does
    not know (then the model computes sinusoids on the fly and has no such limit).
    """
    rows: dict[str, int] = {}
    try:
        with model_bin.open("rb") as f:

            def u(fmt: str) -> int:
                size = struct.calcsize(fmt)
                raw = f.read(size)
                if len(raw) != size:
                    raise EOFError
                return int(struct.unpack("<" + fmt, raw)[0])

            def string() -> str:
                length = u("H")
                return f.read(length).rstrip(b"\0").decode("utf-8", "replace")

            if u("I") not in (5, 6):  # binary versions whose layout we know
                return {}
            string()  # spec name
            u("I")  # spec revision
            for _ in range(u("I")):
                name = string()
                rank = u("B")
                shape = [u("I") for _ in range(rank)]
                u("B")  # dtype
                f.seek(u("I"), os.SEEK_CUR)
                if shape:
                    rows[name] = shape[0]
            # Identical tables are stored once; the other scope is an alias of it.
            for _ in range(u("I")):
                alias, target = string(), string()
                if target in rows:
                    rows[alias] = rows[target]
    except (OSError, EOFError, struct.error, UnicodeError):
        return {}
    suffix = "/position_encodings/encodings"
    return {name.split("/", 1)[0]: n for name, n in rows.items() if name.endswith(suffix)}


def split_tokens(tokens: list[str], budget: int) -> list[list[str]]:
    """Cut a token list into parts of at most ``budget`` tokens.

    Prefers a cut after a clause mark in the second half of the window, then before a
    word start, so each part stays a plausible phrase; a hard cut is the last resort.
    """
    budget = max(1, budget)
    parts: list[list[str]] = []
    rest = tokens
    while len(rest) > budget:
        cut = 0
        low = max(1, budget // 2)
        for i in range(budget, low - 1, -1):  # cut before rest[i]
            if rest[i - 1].endswith(_CLAUSE_END):
                cut = i
                break
        if not cut:
            for i in range(budget, low - 1, -1):
                if rest[i].startswith(_SPM_WORD):
                    cut = i
                    break
        cut = cut or budget
        parts.append(rest[:cut])
        rest = rest[cut:]
    if rest:
        parts.append(rest)
    return parts


class ArgosTranslator:
    """French -> English with an Argos package (see the Translator protocol)."""

    name = "argos"
    protects_names = False  # sentences go whole to the model; no unknown-word marks

    def __init__(
        self,
        package_dir: Path | None = None,
        *,
        from_code: str = "fr",
        to_code: str = "en",
        beam_size: int = DEFAULT_BEAM_SIZE,
        batch_size: int = DEFAULT_BATCH_SIZE,
        inter_threads: int = 2,
        intra_threads: int = 1,
        compute_type: str = "int8",
        device: str = "cpu",
        max_input_tokens: int = DEFAULT_MAX_INPUT_TOKENS,
        packages_dir: Path | None = None,
    ) -> None:
        """Check the package now (clear ConfigError at start-up); load the model lazily."""
        if package_dir is None:
            package_dir = find_installed(from_code, to_code, packages_dir)
            if package_dir is None:
                where = packages_dir if packages_dir is not None else default_packages_dir()
                raise ConfigError(
                    f"no Argos {from_code}->{to_code} package installed in {where}; "
                    "install one with `python -m pipeline models install argos FILE.argosmodel`"
                )
        self.package_dir = Path(package_dir)
        self.meta = read_metadata(self.package_dir)
        if not translates(self.meta, from_code, to_code):
            raise ConfigError(
                f"{self.package_dir}: package translates {self.meta.get('from_code')}->"
                f"{self.meta.get('to_code')}, not {from_code}->{to_code}"
            )
        self.model_dir = self.package_dir / "model"
        self.model_bin = self.model_dir / "model.bin"
        self.sp_path = self.package_dir / "sentencepiece.model"
        self._check_files()
        if beam_size < 1 or batch_size < 1 or max_input_tokens < 2:
            raise ConfigError("beam_size and batch_size must be >= 1, max_input_tokens >= 2")
        self.from_code, self.to_code = from_code, to_code
        self.beam_size = beam_size
        self.batch_size = batch_size
        self.inter_threads = inter_threads
        self.intra_threads = intra_threads
        self.compute_type = compute_type
        self.device = device
        self.target_prefix = str(self.meta.get("target_prefix") or "")
        self.input_budget, self.output_cap = self._budgets(max_input_tokens)
        # One limit for every batch, so a sentence's output never depends on its neighbours
        # (the translation cache relies on that): twice the input budget, under the table.
        self.max_decoding_length = 2 * self.input_budget + 10
        if self.output_cap:
            self.max_decoding_length = min(self.max_decoding_length, self.output_cap)
        #: Indices (into the last ``translate`` call's input) of sentences that were too
        #: long for the model and were translated in parts (report code "mt-length").
        self.last_split: list[int] = []
        self._translator: Any = None
        self._sp: Any = None
        self._sha256: str | None = None
        self._sp_sha256: str | None = None

    def _check_files(self) -> None:
        """A CTranslate2 model and a sentencepiece tokenizer, or a clear ConfigError."""
        if not self.model_bin.is_file():
            raise ConfigError(f"{self.package_dir}: no CTranslate2 model (model/model.bin)")
        if not self.sp_path.is_file():
            what = "a BPE tokenizer" if (self.package_dir / "bpe.model").exists() else "none"
            raise ConfigError(
                f"{self.package_dir}: needs sentencepiece.model (found {what}; "
                "BPE packages are not supported)"
            )

    @classmethod
    def find_installed(
        cls, from_code: str = "fr", to_code: str = "en", packages_dir: Path | None = None
    ) -> Path | None:
        """See :func:`find_installed`."""
        return find_installed(from_code, to_code, packages_dir)

    @classmethod
    def is_available(
        cls, from_code: str = "fr", to_code: str = "en", packages_dir: Path | None = None
    ) -> bool:
        """See :func:`is_available`."""
        return is_available(from_code, to_code, packages_dir)

    # -- limits ---------------------------------------------------------------------------

    def _budgets(self, max_input_tokens: int) -> tuple[int, int]:
        """Input tokens per segment and the output-length cap, from metadata and model.

        A package may state ``max_input_length`` (tokens) in metadata.json or in
        model/config.json; otherwise the stored position tables bound it.
        """
        config: dict[str, Any] = {}
        try:
            loaded = json.loads((self.model_dir / "config.json").read_text(encoding="utf-8"))
            config = loaded if isinstance(loaded, dict) else {}
        except (OSError, ValueError):
            pass
        specials = (
            1
            + int(bool(config.get("add_source_bos")))
            + int(bool(config.get("add_source_eos", True)))
        )
        limits = position_limits(self.model_bin)
        enc_positions = limits.get("encoder", 0)
        dec_positions = limits.get("decoder", 0)
        declared = [
            int(v)
            for v in (self.meta.get("max_input_length"), config.get("max_input_length"))
            if isinstance(v, int) and v > 0
        ]
        hard = min(declared + ([enc_positions - specials] if enc_positions else []), default=0)
        budget = min(max_input_tokens, hard) if hard else max_input_tokens
        # The decoder start token takes position 0 and a target prefix one more.
        # 0: no stored decoder table (sinusoids computed on the fly), nothing to outrun.
        cap = max(1, dec_positions - 2 - int(bool(self.target_prefix))) if dec_positions else 0
        return max(1, budget), cap

    # -- loading --------------------------------------------------------------------------

    def _load(self) -> None:
        if self._translator is not None:
            return
        try:
            import ctranslate2
            import sentencepiece
        except ImportError as exc:
            raise ConfigError(f"argos engine needs ctranslate2 and sentencepiece: {exc}") from None
        self._sp = sentencepiece.SentencePieceProcessor(model_file=str(self.sp_path))
        self._translator = ctranslate2.Translator(
            str(self.model_dir),
            device=self.device,
            compute_type=self.compute_type,
            inter_threads=self.inter_threads,
            intra_threads=self.intra_threads,
        )

    # -- provenance -----------------------------------------------------------------------

    @property
    def sha256(self) -> str:
        """SHA-256 of model/model.bin (computed once)."""
        if self._sha256 is None:
            self._sha256 = sha256_file(self.model_bin)
        return self._sha256

    @property
    def sentencepiece_sha256(self) -> str:
        if self._sp_sha256 is None:
            self._sp_sha256 = sha256_file(self.sp_path)
        return self._sp_sha256

    @property
    def package_code(self) -> str:
        return package_code(self.meta)

    @property
    def package_version(self) -> str:
        return str(self.meta.get("package_version") or "unknown")

    def applications(self) -> list[Application]:
        """argostranslate (package format), CTranslate2 (inference) and the model package."""
        return [
            Application(
                ident="argostranslate",
                version=_dist_version("argostranslate"),
                layer="mt",
                label="Argos Translate package format; sentences decoded with CTranslate2",
            ),
            Application(
                ident="ctranslate2",
                version=_dist_version("ctranslate2"),
                layer="mt",
                label="CTranslate2 inference engine",
                extra={"sentencepiece": _dist_version("sentencepiece")},
            ),
            Application(
                ident=self.package_code,
                version=self.package_version,
                layer="mt",
                label=(
                    f"Argos Translate {self.meta.get('from_name') or self.from_code} -> "
                    f"{self.meta.get('to_name') or self.to_code} neural MT model"
                ),
                sha256=self.sha256,
                extra={
                    "file": "model/model.bin",
                    "package_dir": self.package_dir.name,
                    "argos_version": str(self.meta.get("argos_version") or ""),
                    "sentencepiece_sha256": self.sentencepiece_sha256,
                    "beam_size": str(self.beam_size),
                    "compute_type": self.compute_type,
                    "max_input_tokens": str(self.input_budget),
                },
            ),
        ]

    def fingerprint(self) -> str:
        """Everything that changes the output: package identity and decoding settings."""
        return "|".join(
            [
                "argos",
                f"package={self.package_code}",
                f"version={self.package_version}",
                f"sha256={self.sha256}",
                f"spm={self.sentencepiece_sha256[:16]}",
                f"beam={self.beam_size}",
                f"compute={self.compute_type}",
                f"max_input={self.input_budget}",
                f"ctranslate2={_dist_version('ctranslate2')}",
            ]
        )

    # -- translation ----------------------------------------------------------------------

    def translate(self, sentences: list[str]) -> list[str]:
        """One English string per input sentence, in order; blank inputs give ""."""
        self.last_split = []
        if not sentences:
            return []
        self._load()
        tokenized: list[list[str]] = self._sp.encode(list(sentences), out_type=str)
        # Segments: (sentence index, tokens); over-long sentences give several.
        owners: list[int] = []
        segments: list[list[str]] = []
        for index, tokens in enumerate(tokenized):
            if not tokens:
                continue
            parts = split_tokens(tokens, self.input_budget)
            if len(parts) > 1:
                self.last_split.append(index)
            owners.extend([index] * len(parts))
            segments.extend(parts)
        outputs = self._translate_segments(segments)
        pieces: list[list[str]] = [[] for _ in sentences]
        for owner, text in zip(owners, outputs, strict=True):
            if text:
                pieces[owner].append(text)
        return [" ".join(parts) for parts in pieces]

    def _translate_segments(self, segments: list[list[str]]) -> list[str]:
        """Sorted by length, batches of ``batch_size`` sent asynchronously so every
        CTranslate2 worker (``inter_threads``) gets work; results put back in order."""
        order = sorted(range(len(segments)), key=lambda i: len(segments[i]))
        pending: list[tuple[list[int], list[Any]]] = []
        for start in range(0, len(order), self.batch_size):
            ids = order[start : start + self.batch_size]
            batch = [segments[i] for i in ids]
            prefix = [[self.target_prefix] for _ in batch] if self.target_prefix else None
            results = self._translator.translate_batch(
                batch,
                target_prefix=prefix,
                beam_size=self.beam_size,
                num_hypotheses=1,
                length_penalty=0.2,
                replace_unknowns=True,
                max_input_length=0,  # we already cut to the budget: never truncate silently
                max_decoding_length=self.max_decoding_length,
                asynchronous=True,
            )
            pending.append((ids, results))
        out: list[str] = [""] * len(segments)
        for ids, results in pending:
            for i, result in zip(ids, results, strict=True):
                out[i] = self._detokenize(result.result().hypotheses[0])
        return out

    def _detokenize(self, tokens: list[str]) -> str:
        if self.target_prefix and tokens[:1] == [self.target_prefix]:
            tokens = tokens[1:]
        return str(self._sp.decode(tokens)).strip()

    def translate_marked(self, sentences: list[str]) -> list[str]:
        """The model marks nothing: the same as :meth:`translate`."""
        return self.translate(sentences)

    def first_step_engine(self) -> Callable[[list[str]], list[str]] | None:
        return None  # no pivot

    def fallbacks(self) -> list[Translator]:
        return []

    def set_threads(self, threads: int) -> None:
        """CTranslate2's parallel batches (inter_threads); only before the model is loaded."""
        if self._translator is None:
            self.inter_threads = max(1, threads)

    def close(self) -> None:
        """Free the model (CTranslate2 holds it in native memory)."""
        self._translator = None
        self._sp = None


def spec(packages_dir: Path | None = None) -> EngineSpec[Translator] | None:
    """The installed fr->en package (in ``packages_dir``, else argos's default folder), not
    loaded; None when there is none."""
    pkg = find_installed("fr", "en", packages_dir)
    if pkg is None:
        return None
    meta = read_metadata(pkg)
    weights = sha256_file(pkg / "model" / "model.bin")
    fp = f"argos:{package_code(meta)}:{meta.get('package_version', '?')}:{weights}"
    return EngineSpec("mt", "argos", fp, lambda: ArgosTranslator(pkg))
