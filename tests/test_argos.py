"""The Argos engine on a real (synthetic, random-weight) package: loading, batching,
alignment, length limits and provenance. The package is built offline by
tests/synthetic_argos.py and installed with our own safe installer."""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.engines.argos import (
    ArgosTranslator,
    find_installed,
    is_available,
    position_limits,
    split_tokens,
)
from pipeline.engines.install import install_argos
from pipeline.errors import ConfigError

try:
    from synthetic_argos import MAX_POSITIONS, build_synthetic_argos
except ImportError:  # tests/ not on sys.path (importlib import mode)
    from tests.synthetic_argos import MAX_POSITIONS, build_synthetic_argos

ROOT = Path(__file__).resolve().parent.parent

FRENCH = [
    "Le président de la République a annoncé une réforme des retraites.",
    "Bonjour.",
    "Les manifestants se sont rassemblés à Paris samedi, selon la préfecture de police.",
    "« Nous ne céderons pas », a déclaré la porte-parole.",
    "Le taux de chômage a baissé de 0,3 % au troisième trimestre.",
    "L'Assemblée nationale examinera le texte.",
    "Non.",
]


def corpus(n: int) -> list[str]:
    """n French sentences of varied lengths (so sorting by length reorders them)."""
    return [" ".join([FRENCH[i % len(FRENCH)]] * (1 + i % 3)) for i in range(n)]


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A packages folder holding the synthetic fr->en package 1.0."""
    build = tmp_path_factory.mktemp("build")
    archive = build_synthetic_argos(build, package_version="1.0")
    pkgs = tmp_path_factory.mktemp("argos") / "packages"
    install_argos(archive, pkgs)
    return pkgs


@pytest.fixture(scope="module")
def package_dir(packages: Path) -> Path:
    found = find_installed("fr", "en", packages)
    assert found is not None
    return found


@pytest.fixture(scope="module")
def translator(package_dir: Path) -> ArgosTranslator:
    engine = ArgosTranslator(package_dir)
    yield engine
    engine.close()


def test_find_installed_and_available(packages: Path, package_dir: Path, monkeypatch) -> None:
    assert package_dir.parent == packages
    assert (package_dir / "metadata.json").is_file()
    assert find_installed("en", "fr", packages) is None
    assert is_available("fr", "en", packages)
    assert ArgosTranslator.is_available(packages_dir=packages)
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(packages))
    assert ArgosTranslator.find_installed() == package_dir
    assert ArgosTranslator(None).package_dir == package_dir


def test_nothing_installed_is_a_clear_config_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    assert find_installed("fr", "en", missing) is None
    assert not is_available("fr", "en", missing)
    assert not missing.exists()  # looking never creates folders
    with pytest.raises(ConfigError, match="models install argos"):
        ArgosTranslator(packages_dir=missing)


def test_import_and_lookup_create_no_folders(tmp_path: Path) -> None:
    """Unlike argostranslate.settings, our module has no side effects on import."""
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARGOS_", "XDG_"))}
    env.update(HOME=str(home), PYTHONPATH=str(ROOT))
    code = (
        "from pipeline.engines import argos; "
        "assert argos.find_installed() is None; "
        "assert not argos.is_available()"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=ROOT)
    assert list(home.iterdir()) == []


def test_translate_one_output_per_sentence_in_order(translator: ArgosTranslator) -> None:
    sentences = corpus(7)
    out = translator.translate(sentences)
    assert len(out) == len(sentences)
    assert all(isinstance(s, str) for s in out)
    # Alignment: each sentence alone gives the same output as inside the batch.
    for i in (0, 3, 6):
        assert translator.translate([sentences[i]]) == [out[i]]


@pytest.mark.parametrize("n", [1, 33, 100])
def test_batch_sizes(translator: ArgosTranslator, n: int) -> None:
    sentences = corpus(n)
    out = translator.translate(sentences)
    assert len(out) == n
    # Same outputs whatever the batching: chunks of 7 give the same list.
    chunked = [t for i in range(0, n, 7) for t in translator.translate(sentences[i : i + 7])]
    assert chunked == out
    # Sentences with equal text get equal output, wherever they sit in the batch.
    first: dict[str, str] = {}
    for src, tgt in zip(sentences, out, strict=True):
        assert first.setdefault(src, tgt) == tgt


def test_empty_inputs(translator: ArgosTranslator) -> None:
    assert translator.translate([]) == []
    assert translator.translate(["", "   ", "Bonjour."])[:2] == ["", ""]


def test_overlong_sentence_gives_one_output(translator: ArgosTranslator) -> None:
    assert translator.input_budget == MAX_POSITIONS - 2
    long = " ".join(FRENCH * 6)  # hundreds of tokens, far over the 64 positions
    assert len(translator._sp.encode(long)) > 3 * translator.input_budget
    out = translator.translate(["Bonjour.", long, "Non."])
    assert len(out) == 3
    assert translator.last_split == [1]
    assert out[1]
    assert translator.translate(["Non."]) == [out[2]]
    assert translator.last_split == []


def test_limits_read_from_model(package_dir: Path, translator: ArgosTranslator) -> None:
    limits = position_limits(package_dir / "model" / "model.bin")
    assert limits == {"encoder": MAX_POSITIONS, "decoder": MAX_POSITIONS}
    assert 0 < translator.output_cap < MAX_POSITIONS


def test_model_without_position_table(tmp_path: Path) -> None:
    """No stored table: the soft budget applies and decoding is not capped."""
    archive = build_synthetic_argos(tmp_path, name="nopos", max_positions=None)
    dest = install_argos(archive, tmp_path / "pkgs")
    engine = ArgosTranslator(dest, max_input_tokens=40)
    assert position_limits(dest / "model" / "model.bin") == {}
    assert (engine.input_budget, engine.output_cap) == (40, 0)
    assert len(engine.translate(["Bonjour.", "Non.", " ".join(FRENCH * 3)])) == 3
    assert engine.last_split == [2]


def test_metadata_max_input_length_is_respected(tmp_path: Path, package_dir: Path) -> None:
    meta = json.loads((package_dir / "metadata.json").read_text(encoding="utf-8"))
    copy = install_argos(package_dir, tmp_path / "pkgs")
    meta["max_input_length"] = 10
    (copy / "metadata.json").write_text(json.dumps(meta), encoding="utf-8")
    engine = ArgosTranslator(copy)
    assert engine.input_budget == 10
    out = engine.translate([FRENCH[0], FRENCH[2]])
    assert len(out) == 2 and engine.last_split == [0, 1]


def test_provenance(translator: ArgosTranslator, package_dir: Path) -> None:
    apps = {a.ident: a for a in translator.applications()}
    assert {a.layer for a in apps.values()} == {"mt"}
    assert apps["argostranslate"].version == importlib.metadata.version("argostranslate")
    assert apps["ctranslate2"].version == importlib.metadata.version("ctranslate2")
    model = apps["translate-fr_en"]
    digest = hashlib.sha256((package_dir / "model" / "model.bin").read_bytes()).hexdigest()
    assert model.sha256 == digest
    assert model.version == "1.0"
    spm = hashlib.sha256((package_dir / "sentencepiece.model").read_bytes()).hexdigest()
    assert model.extra["sentencepiece_sha256"] == spm
    fp = translator.fingerprint()
    assert fp.startswith("argos|") and "package=translate-fr_en" in fp
    assert "version=1.0" in fp and digest in fp


def test_fingerprint_changes_with_version_and_settings(
    tmp_path: Path, translator: ArgosTranslator, package_dir: Path
) -> None:
    archive = build_synthetic_argos(tmp_path, package_version="1.1")
    newer = install_argos(archive, tmp_path / "pkgs")
    other = ArgosTranslator(newer)
    assert other.sha256 == translator.sha256  # same weights, only the version differs
    assert other.fingerprint() != translator.fingerprint()
    assert "version=1.1" in other.fingerprint()
    assert ArgosTranslator(package_dir, beam_size=4).fingerprint() != translator.fingerprint()
    # find_installed prefers the newer version when both sit in one folder.
    install_argos(package_dir, tmp_path / "pkgs")
    assert find_installed("fr", "en", tmp_path / "pkgs") == newer


def test_wrong_pair_and_broken_package(tmp_path: Path, package_dir: Path) -> None:
    with pytest.raises(ConfigError, match="not en->fr"):
        ArgosTranslator(package_dir, from_code="en", to_code="fr")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "metadata.json").write_text('{"from_code": "fr", "to_code": "en"}', "utf-8")
    with pytest.raises(ConfigError, match=r"model\.bin"):
        ArgosTranslator(broken)


@settings(max_examples=200, deadline=None)
@given(
    tokens=st.lists(st.sampled_from(["\u2581le", "s", ",", "\u2581chat", ".", "x", "\u2581"])),
    budget=st.integers(min_value=1, max_value=12),
)
def test_split_tokens_property(tokens: list[str], budget: int) -> None:
    parts = split_tokens(tokens, budget)
    assert [t for part in parts for t in part] == tokens
    assert all(0 < len(part) <= budget for part in parts)
