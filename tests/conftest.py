"""Shared fixtures. Heavier, module-specific fixtures live in their test modules."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return ROOT / "seeds"


@pytest.fixture(scope="session")
def seed_files(seeds_dir: Path) -> list[Path]:
    return sorted(seeds_dir.glob("*.txt"))


# spaCy models load in ~5-10 s: one instance of each per test session, shared by
# test_annotate.py and test_ner_quality.py. Tests must not change their settings for good.
@pytest.fixture(scope="session")
def nlp_fr():
    from pipeline.engines.spacy_nlp import SpacyAnnotator

    return SpacyAnnotator("fr")


@pytest.fixture(scope="session")
def nlp_en():
    from pipeline.engines.spacy_nlp import SpacyAnnotator

    return SpacyAnnotator("en")


# Tiny real stanza models (tests/synthetic_stanza.py): trained once per session with
# stanza's own training code; French and English together take about 27 s of CPU time
# (more wall time on a busy machine).
@pytest.fixture(scope="session")
def stanza_resources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    try:
        from synthetic_stanza import build_stanza_resources
    except ImportError:  # run from the repository root as a package
        from tests.synthetic_stanza import build_stanza_resources

    root = tmp_path_factory.mktemp("stanza") / "stanza_resources"
    build_stanza_resources(root)
    return root
