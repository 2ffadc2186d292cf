"""The MT engine registry is a table: auto takes the first installed engine in the table's
order, a named one or a clear error; the run's folders (read once) are honoured."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from pipeline.engines import apertium, registry
from pipeline.engines.registry import EnginePaths, choose_annotator, choose_translator
from pipeline.errors import ConfigError
from pipeline.run.settings import RunEnvironment

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic_argos import build_package_dir


def test_the_tables_say_the_order_auto_tries() -> None:
    assert list(registry.TRANSLATORS) == ["argos", "apertium"]
    with pytest.raises(ConfigError, match="unknown MT engine 'moses'"):
        choose_translator("moses")
    with pytest.raises(ConfigError, match="unknown NER backend 'flair'"):
        choose_annotator("flair", "fr")


def test_argos_from_the_given_folder_wins_over_apertium(tmp_path: Path) -> None:
    empty = EnginePaths(argos_packages=tmp_path / "none")
    if apertium.is_available():
        assert choose_translator(paths=empty).name == "apertium"
    with pytest.raises(ConfigError, match="--mt argos: no French->English Argos package"):
        choose_translator("argos", paths=empty)
    build_package_dir(tmp_path / "packages" / "translate-fr_en-synthetic")
    found = choose_translator(paths=EnginePaths(argos_packages=tmp_path / "packages"))
    assert found.name == "argos" and found.fingerprint.startswith("argos:")


def test_the_environment_is_read_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(tmp_path / "a"))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    env = RunEnvironment.from_os()
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(tmp_path / "changed"))
    assert env.engine_paths() == EnginePaths(tmp_path / "a")
    assert env.as_environ() == {"SOURCE_DATE_EPOCH": "1700000000"}
