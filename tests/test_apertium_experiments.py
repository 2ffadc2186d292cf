"""The rejected Apertium modes kept in tools/apertium_experiments.py still do what they say:
the piped chain gives the serial chain's output; interleaved batches come back in order."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from pipeline.engines import apertium

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import apertium_experiments
from test_apertium import nasty_batch


@pytest.mark.skipif(not apertium.is_available(), reason="Apertium is not installed")
def test_piped_and_serial_chains_agree() -> None:
    chain = apertium.PIVOTS[apertium.available_pivot() or "es"]
    data = apertium.SEPARATOR.join(apertium.door(s) for s in nasty_batch(20)) + "\n"
    assert apertium_experiments.run_chain_piped(chain, data) == apertium.run_chain(chain, data)
    with pytest.raises(RuntimeError, match="no-such-mode"):
        apertium_experiments.run_chain_piped(["fr-es", "no-such-mode"], "Bonjour.\n")


def test_interleaved_batches_come_back_in_order() -> None:
    sentences = [f"s{i}" for i in range(11)]
    batches = apertium_experiments.interleaved_batches(sentences, 3)
    assert batches[0] == ["s0", "s3", "s6", "s9"]
    assert apertium_experiments.merge_interleaved(batches) == sentences
