"""The Apertium engine's line protocol with real Apertium: one output line per sentence, in
order, whatever characters the sentences hold; and the pieces that need no Apertium."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from pipeline.engines import apertium

needs_apertium = pytest.mark.skipif(not apertium.is_available(),
                                    reason="Apertium with a fr->en pivot is not installed")

SPECIAL = "[]\\^$/<>@*#{}"

# Sentences full of what Apertium's stream format treats specially, and of what could end
# a line: 50 of them, each tagged with its number so a shifted line shows.
NASTY_TEMPLATES = [
    "Le prix [estimé] est de {n} $ selon l'AFP.",
    "Le chemin C:\\dossier\\{n} est vide \\",
    "Il a écrit 3^{n} et $x$ au tableau",
    "La réponse {n} / 2 est <b>fausse</b> @AFP *urgent* #Irak",
    "{{note {n}}} [[lien]] ^$^$ \\\\ //",
    "[",
    "] {n}",
    "\\",
    "^{n}$",
    "Bagdad <{n}> a répondu : « non ».",
    "Le soldat n°{n} se poursuit",  # no final punctuation: words must not cross lines
    "Il a dit\u00a0: «\u00a0Nous partirons\u00a0!\u00a0» et {n}\u202f000 soldats",
    "Une ligne\rcassée {n}\u2028en\u2029trois\x0bmorceaux\x0c.",
    "Les États-Unis ont déclaré qu’ils réduiraient leurs effectifs de {n} %.",
    "@ * # {n}",
    "Washington/Bagdad : {n} [conseillers] <militaires>",
    "Le mot\\nnouvelle-ligne {n} reste sur sa ligne.",
]


def nasty_batch(size: int = 50) -> list[str]:
    out = []
    for n in range(size):
        out.append(NASTY_TEMPLATES[n % len(NASTY_TEMPLATES)].replace("{n}", str(100 + n)))
    return out


def test_split_lines_needs_exactly_one_line_per_sentence() -> None:
    assert apertium.split_lines("a\n\nb  c\n", 2) == ["a", "b c"]
    assert apertium.split_lines("a\n\n\n", 2) == ["a", ""]
    assert apertium.split_lines("a\nb\n", 2) is None  # a single newline: not the separator
    assert apertium.split_lines("a\n\nb\n\nc\n", 2) is None
    assert apertium.split_lines("a\nx\nb\n", 2) is None


def test_door_keeps_one_line_and_normalises_typography() -> None:
    assert apertium.door(" a\nb\rc\u2028d\x00e\u0085f ") == "a b c d e f"
    assert apertium.door("qu’ils\u00a0: «\u202fnon\u202f»") == "qu'ils : « non »"
    assert apertium.door("qu’ils", typographic=False) == "qu’ils"


def test_pivots_name_their_packages() -> None:
    assert set(apertium.PIVOTS) == set(apertium.DEBIAN_PACKAGES)
    assert next(iter(apertium.PIVOTS)) == "es"  # the measured default (tools/eval_pivots.py)
    for pivot in apertium.PIVOTS:
        assert f":p{apertium.PROTOCOL}:" in apertium.fingerprint_for(pivot)


@needs_apertium
@pytest.mark.parametrize("pivot", list(apertium.PIVOTS))
def test_special_characters_never_shift_lines(pivot: str) -> None:
    if pivot not in apertium.installed_pivots():
        pytest.skip(f"pivot {pivot} is not installed "
                    f"({' '.join(apertium.DEBIAN_PACKAGES[pivot])})")
    engine = apertium.ApertiumTranslator(pivot, workers=1)
    src = nasty_batch(50)
    assert all(any(c in s for c in SPECIAL) or "\u00a0" in s or "’" in s or "\r" in s
               or "se poursuit" in s for s in src)
    out = engine.translate(src)
    assert len(out) == len(src)
    assert engine.retries == 0  # the protocol held without splitting the batch
    for s, t in zip(src, out, strict=True):
        assert "\n" not in t
        numbers = [w for w in s.replace("\u202f", " ").split() if w.strip("^$<>%.").isdigit()]
        for number in numbers:  # each sentence's own number comes back on its own line
            assert number.strip("^$<>%.") in t.replace(",", ""), (s, t)
    # the same sentences one at a time give the same words: nothing moved between lines
    for i in (0, 9, 10, 11, 12, 16):
        alone = engine.translate([src[i]])[0]
        assert alone.lower().split() == out[i].lower().split(), (src[i], alone, out[i])


@needs_apertium
def test_blank_and_whitespace_sentences_keep_their_place() -> None:
    engine = apertium.ApertiumTranslator(workers=1)
    src = ["Bonjour.", "", "   ", "\n", "Bagdad est la capitale de l'Irak."]
    out = engine.translate(src)
    assert out[1:4] == ["", "", ""]
    assert out[0] and "Baghdad" in out[4]


@needs_apertium
@pytest.mark.parametrize("persistent", [True, False])
def test_a_misaligned_output_is_retried_in_halves(monkeypatch: pytest.MonkeyPatch,
                                                  persistent: bool) -> None:
    engine = apertium.ApertiumTranslator(workers=1, persistent=persistent)
    real = engine._run
    calls = []

    def flaky(data: str, upto: int | None = None) -> str:
        calls.append(data.count(apertium.SEPARATOR) + 1)
        out = real(data, upto)
        return out.replace("\n\n", "\n", 1) if len(calls) == 1 else out  # drop one separator

    monkeypatch.setattr(engine, "_run", flaky)
    src = ["Bonjour.", "Bagdad est la capitale de l'Irak.", "Les États-Unis.", "Merci."]
    out = engine.translate(src)
    assert len(out) == 4 and engine.retries == 1 and calls[0] == 4
    assert "Baghdad" in out[1] and "United States" in out[2]
    engine.close()


# ---------------------------------------------------------------- long-lived processes


def seed_sentences() -> list[str]:
    """Sentences of the seed articles (a rough split: enough to exercise the tagger)."""
    sents = []
    for path in sorted((Path(__file__).parent.parent / "seeds").glob("*.txt")):
        for para in path.read_text(encoding="utf-8").split("\n\n"):
            for s in re.split(r"(?<=[.!?»])\s+(?=[A-ZÀ-Ý«\"])", para.strip()):
                if len(s.split()) >= 3:
                    sents.append(s)
    return sents


def test_a_server_answers_block_by_block_and_times_out() -> None:
    echo = apertium.ModeServer("echo", "cat")
    assert echo.request(b"abc") == b"abc"
    assert echo.request(b"a\0b\n" * 20000) == b"a b\n" * 20000  # bigger than a pipe buffer
    assert echo.requests == 2
    echo.close()
    assert echo.proc.poll() is not None
    mute = apertium.ModeServer("mute", "cat > /dev/null")
    with pytest.raises(TimeoutError):
        mute.request(b"abc", timeout=0.3)
    assert mute.proc.poll() is not None and not mute.alive()
    dead = apertium.ModeServer("dead", "echo broken >&2; exit 3")
    with pytest.raises(RuntimeError, match=r"exited.*broken"):
        dead.request(b"abc", timeout=10)


@needs_apertium
def test_mode_segments_restart_the_stateful_programs() -> None:
    mode = apertium._modes()["fr-es"]
    segments = apertium.mode_segments(mode)
    assert segments is not None
    assert [kind for kind, _ in segments] == ["serve", "spawn", "serve"]
    assert segments[1][1].startswith("apertium-tagger") and " -z" not in segments[1][1]
    assert " -z" in segments[0][1] and " -z" in segments[2][1]


@needs_apertium
def test_long_lived_processes_translate_as_one_call_per_batch() -> None:
    sents = seed_sentences()
    assert len(sents) > 100
    random.Random(1).shuffle(sents)
    fresh = apertium.ApertiumTranslator(workers=2, persistent=False)
    kept = apertium.ApertiumTranslator(workers=2, persistent=True)
    assert kept.persistent
    batches = [sents[i : i + 10] for i in range(0, len(sents), 10)]
    expected = [t for b in batches for t in fresh.translate(b)]
    # the same batches twice, then all at once: earlier batches never change later ones
    # (within one batch the tagger reads on from sentence to sentence, on either path)
    for _ in range(2):
        assert [t for b in batches for t in kept.translate(b)] == expected
    assert kept.translate(sents) == fresh.translate(sents)
    assert kept.server_failures == 0
    chains = list(kept._idle)
    assert chains and all(s.requests > 0 for c in chains for s in c.servers)
    kept.close()
    assert all(s.proc.poll() is not None for c in chains for s in c.servers)
    assert not kept._idle


@needs_apertium
def test_a_failing_server_falls_back_and_restarts(monkeypatch: pytest.MonkeyPatch) -> None:
    src = ["Bonjour.", "Bagdad est la capitale de l'Irak.", "Les États-Unis."]
    engine = apertium.ApertiumTranslator(workers=1)
    good = engine.translate(src)
    first = engine._idle[0]
    first.kill()  # died while idle: replaced without a failure
    assert engine.translate(src) == good and engine.server_failures == 0
    assert engine._idle[0] is not first
    real = apertium.ModeServer.request
    failures = {"left": 1}

    def broken(self: apertium.ModeServer, data: bytes, timeout: float | None = None) -> bytes:
        if failures["left"]:
            failures["left"] -= 1
            self.kill()
            raise RuntimeError("out of step")
        return real(self, data, timeout)

    monkeypatch.setattr(apertium.ModeServer, "request", broken)
    assert engine.translate(src) == good  # the per-batch path took over
    assert engine.server_failures == 1 and engine.persistent
    assert engine.translate(src) == good and engine.server_failures == 1  # a new chain
    failures["left"] = 10**6  # null-flush never works: back to one call per batch for good
    for _ in range(apertium.MAX_SERVER_FAILURES):
        assert engine.translate(src) == good
    assert not engine.persistent and "out of step" in engine.last_server_error
    engine.close()


@needs_apertium
def test_run_chain_keeps_marks_on_request() -> None:
    chain = apertium.PIVOTS[apertium.available_pivot() or "es"]
    marked = apertium.run_chain(chain, "Le chat de Zzyzxq.\n", marks=True)
    assert "*Zzyzxq" in marked
    assert "*" not in apertium.run_chain(chain, "Le chat de Zzyzxq.\n")


@needs_apertium
def test_a_failing_mode_raises_with_its_error() -> None:
    with pytest.raises(RuntimeError, match="no-such-mode"):
        apertium.run_chain(["fr-es", "no-such-mode"], "Bonjour.\n")
