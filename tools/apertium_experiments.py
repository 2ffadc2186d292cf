"""Apertium: what was measured, and the modes that were tried and rejected.

pipeline/engines/apertium.py keeps the path that runs; this module keeps the record of how it
was chosen and the code of the alternatives, so that they can be re-measured on another
machine (tools/eval_pivots.py times the piped chain against the serial one).

Pivots. Debian 12 packages three; ``tools/eval_pivots.py`` measured them on the seeds'
article sentences (112 sentences, 3387 French words; Apertium 3.8.3, 2 CPU cores) without a
reference translation:

    pivot  modes             unknown per 100 words    gold entities  words/s, one batch
                             step 1  step 2  new(*)   in English     of 1120 sentences
    es     fr-es | spa-eng    3.25    3.90    1.21     96/111         10700
    ca     fra-cat | cat-eng  1.83    2.66    1.27     99/111          4800
    eo     fr-eo | eo-en      2.51    4.78    3.01     84/111         10400
    (*) unknown at step 2 and not already unknown at step 1

English NER on each translation (spaCy, scored by tools/eval_ner.py): es P .748 R .775
F1 .761; ca P .746 R .802 F1 .773; eo P .661 R .622 F1 .641.

eo is clearly last: Esperantised names stay untranslated at step 2 ("Bagdado", "Gazao",
"Hizbulaho": 27 gold entities missed) and its generator fails on numbers (37 "#" marks).
ca and es are close: ca leaves fewer words unknown (3.1 against 4.5 per 100 words end to end)
and finds 3 more gold entities (+.012 NER F1), but is 2.2 times slower (Constraint Grammar
stages), needs three more packages (cg3, apertium-separable, apertium-anaphora) and reads
no better (« à » -> "at" throughout: "go at removing", "at a context"; Catalan left in:
"aixeca", "pròximament"; es leaves Spanish and French in as well: "próximamente",
"hésitation"). fr->es->en stays the default: at a third of the speed a margin of 3 entities
out of 111 does not pay. ``available_pivot`` prefers es, then ca, then eo among the
installed pairs (``PIVOTS`` is in that order); pass ``pivot="ca"`` to choose ca.

Line protocol. A single newline between sentences let the transfer rules move words across
it when a sentence has no final punctuation: fr-eo turned « ... se poursuit » + the next
line into "maintain to" / "himself United States ...". With an empty line between sentences
no word crosses (checked on all seed sentences against one call per sentence: what still
differs is a word choice the tagger makes from the previous sentence). Characters special to
Apertium's stream format ([ ] \\ ^ $ / < > @ * # { }) come back unchanged (all three pivots).

Door normalisation. Without it, one sentence per pivot translates worse: a non-breaking space
breaks multiword units (fr-es: « À cet égard » -> "To this consideration" instead of "In
this regard") and fra-cat misreads a capital « S’ » (« S’exprimant » -> "If expressing"
instead of "Expressing"). Otherwise ’ reads as ' in all three pivots and « » guillemets and
non-breaking spaces pass through unchanged.

Rejected: the modes piped at once (:func:`run_chain_piped`). Each mode is already a pipeline
of about ten processes; running the two modes at once (stdout of one into stdin of the other)
was no faster on 2 cores (es 3.31 s piped, 3.15 s one after the other, for 1120 sentences;
ca 7.15 against 6.99 s), so the engine runs them one after the other.

Rejected: interleaved batches (:func:`interleaved_batches`): dealing sentences out to the
threads' batches in turn, so that batches of a list sorted by length take about as long as
one another. Measured on 1,501 sentences: no clear gain (noise of +-15 %), and it changes
the batches (so the tagger's context).

Kept: long-lived processes. Starting a mode costs ~0.35 s (its ten programs load their
transducers), ~0.7 s per batch for the chain: 1.34-1.46x the direct engine on the bench's
sentences. Hence the null-flush servers of apertium.py. The ``apertium`` script itself
cannot serve this way (checked with Apertium 3.8.3): apertium-destxt and apertium-retxt keep
reading to end of file, and its gawk wrapper (``RS="\\0|\\n"``) holds back a block until the
next one arrives. The HMM tagger carries state across NUL-delimited blocks (1-2 of 131 seed
sentences tagged differently after another batch), so it starts afresh for each batch.
"""

from __future__ import annotations

import subprocess
import tempfile
import threading
from typing import IO


def run_chain_piped(chain: list[str], data: str, *, marks: bool = False) -> str:
    """Run Apertium modes at once, each one's stdout feeding the next one's stdin.

    Same output as ``apertium.run_chain`` (tests/test_apertium_experiments.py).
    """
    args = [["apertium", *([] if marks else ["-u"]), mode] for mode in chain]
    errors = [tempfile.TemporaryFile() for _ in args]
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for cmd, err in zip(args, errors, strict=True):
            stdin = procs[-1].stdout if procs else subprocess.PIPE
            procs.append(subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=err))
            previous_out = procs[-2].stdout if len(procs) > 1 else None
            if previous_out is not None:
                previous_out.close()  # the next one owns it
        first_in, last_out = procs[0].stdin, procs[-1].stdout
        assert first_in is not None and last_out is not None

        def feed() -> None:
            try:
                first_in.write(data.encode("utf-8"))
            except BrokenPipeError:
                pass  # the process died; its status and stderr say why
            finally:
                first_in.close()

        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
        out = last_out.read()
        writer.join()
        for proc in procs:
            proc.wait()
        _raise_last_failure(args, procs, errors)
        return out.decode("utf-8", "replace")
    finally:
        _reap(procs, errors)


def _raise_last_failure(args: list[list[str]], procs: list[subprocess.Popen[bytes]],
                        errors: list[IO[bytes]]) -> None:
    """The last one that failed: an earlier one only lost its reader (SIGPIPE)."""
    for cmd, proc, err in reversed(list(zip(args, procs, errors, strict=True))):
        if proc.returncode != 0:
            err.seek(0)
            text = err.read().decode("utf-8", "replace").strip()[:300]
            raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {text}")


def _reap(procs: list[subprocess.Popen[bytes]],
          errors: list[IO[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
    for err in errors:
        err.close()


def interleaved_batches(sentences: list[str], n: int) -> list[list[str]]:
    """Deal sentences out to n batches in turn (the rejected INTERLEAVE mode)."""
    return [sentences[i::n] for i in range(n)]


def merge_interleaved(batches: list[list[str]]) -> list[str]:
    """The inverse of :func:`interleaved_batches`: outputs back in input order."""
    n = len(batches)
    out = [""] * sum(len(b) for b in batches)
    for i, batch in enumerate(batches):
        out[i::n] = batch
    return out
