"""Apertium backend (Debian packages, rule-based): French -> English through a pivot.

There is no direct fr-en pair, so two Apertium modes are chained. Debian 12 packages three
pivots; ``tools/eval_pivots.py`` measured them on the seeds' article sentences (112
sentences, 3387 French words; Apertium 3.8.3, 2 CPU cores) without a reference translation:

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
out of 111 does not pay. :func:`available_pivot` prefers es, then ca, then eo among the
installed pairs (``PIVOTS`` is in that order); pass ``pivot="ca"`` to choose ca.

Line protocol. Sentences go in one batch per call, separated by an EMPTY line. Apertium's
plain-text format keeps line breaks, but a single newline is only a blank to the transfer
rules, which move words across it when a sentence has no final punctuation: fr-eo turned
« ... se poursuit » + the next line into "maintain to" / "himself United States ...". An
empty line ends the chunk and no word crosses it (checked on all seed sentences against one
call per sentence: what still differs is a word choice the tagger makes from the previous
sentence). Characters special to Apertium's stream format ([ ] \\ ^ $ / < > @ * # { })
are escaped by its own txt deformatter and come back unchanged (tests/test_apertium.py,
all three pivots); the door only turns what would break a line (other line breaks, control
characters) into spaces. Should an output ever not have one line per sentence, the batch is
split in halves and retried, down to single sentences: translations never shift.

Door normalisation. Kept, on the evidence of the seeds: without it, one sentence per pivot
translates worse. A non-breaking space breaks multiword units (fr-es: « À cet égard » ->
"To this consideration" instead of "In this regard") and fra-cat misreads a capital « S’ »
(« S’exprimant » -> "If expressing" instead of "Expressing"). Otherwise ’ reads as ' in all
three pivots (« qu’ils », « l’Irak », « aujourd’hui » translate alike) and « » guillemets
and non-breaking spaces pass through unchanged.

Processes. Each mode is already a pipeline of about ten processes. Running the two modes at
once (stdout of one into stdin of the other, :func:`run_chain` with ``piped=True``) was no
faster on 2 cores (es 3.31 s piped, 3.15 s one after the other, for 1120 sentences; ca 7.15
against 6.99 s), so the modes run one after the other (``PIPED``); tools/eval_pivots.py
times both, to re-check on a machine with more cores.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pipeline.document import Application
from pipeline.errors import ConfigError

#: Pivot chains, each a list of Apertium mode names, in order of preference (measured by
#: tools/eval_pivots.py): the first installed one wins.
PIVOTS = {
    "es": ["fr-es", "spa-eng"],
    "ca": ["fra-cat", "cat-eng"],
    "eo": ["fr-eo", "eo-en"],
}
#: The Debian packages that hold each pivot's language data (apt pulls in the tools they
#: need: apertium, lttoolbox, apertium-lex-tools; cg3, apertium-separable and
#: apertium-anaphora for ca).
DEBIAN_PACKAGES = {
    "es": ["apertium-fr-es", "apertium-eng-spa"],
    "ca": ["apertium-fra-cat", "apertium-eng-cat"],
    "eo": ["apertium-eo-fr", "apertium-eo-en"],
}
#: Bumped whenever the way sentences are fed to Apertium changes: it is part of the cache key.
PROTOCOL = "2"
PIPED = False  # run a chain's modes at once: no faster on 2 cores (module docstring)
BATCH_SIZE = 200  # sentences per Apertium call: amortises its start-up (~0.3 s a mode)
SEPARATOR = "\n\n"  # an empty line between sentences: words never cross it

# Line breaks other than "\n" and control characters would end or corrupt a line inside
# Apertium (or in Python's view of it): they become spaces.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Typographic characters the analysers read worse than their ASCII forms (see the module
# docstring): normalised at the engine's door, not in the archive.
_DOOR = str.maketrans({"\u2019": "'", "\u2018": "'", "\u00a0": " ", "\u202f": " ",
                       "\u2009": " "})


def _modes() -> dict[str, Path]:
    """Installed Apertium modes: name -> .mode file (what `apertium -l` lists)."""
    found: dict[str, Path] = {}
    for root in (Path("/usr/share/apertium/modes"), Path("/usr/local/share/apertium/modes")):
        if root.is_dir():
            for mode in sorted(root.glob("*.mode")):
                found.setdefault(mode.stem, mode)
    return found


def _dpkg_version(package: str) -> str:
    if shutil.which("dpkg-query") is None:
        return "unknown"
    proc = subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True, check=False
    )
    return proc.stdout.strip() or "unknown"


def fingerprint_for(pivot: str) -> str:
    """Engine identity for the translation cache: protocol, Apertium and its data versions."""
    packages = DEBIAN_PACKAGES.get(pivot, [])
    versions = ",".join(f"{p}={_dpkg_version(p)}" for p in ["apertium", *packages])
    return f"apertium:p{PROTOCOL}:{'|'.join(PIVOTS[pivot])}:{versions}"


def installed_pivots() -> list[str]:
    """Pivots whose modes are all installed, best first."""
    if shutil.which("apertium") is None:
        return []
    modes = _modes()
    return [p for p, chain in PIVOTS.items() if all(m in modes for m in chain)]


def available_pivot() -> str | None:
    pivots = installed_pivots()
    return pivots[0] if pivots else None


def is_available() -> bool:
    return available_pivot() is not None


def door(sentence: str, *, typographic: bool = True) -> str:
    """What Apertium gets for one sentence: one line, no control characters, trimmed;
    with ``typographic``, ’ ‘ as ' and non-breaking or thin spaces as spaces."""
    text = _CONTROL.sub(" ", sentence)
    return (text.translate(_DOOR) if typographic else text).strip()


def run_chain(chain: list[str], data: str, *, marks: bool = False, piped: bool = True) -> str:
    """Run Apertium modes one after the other over plain text; returns the last one's output.

    ``marks`` keeps Apertium's marks (* unknown word, @ transfer, # generation error);
    ``piped`` runs the modes at once, each one's stdout feeding the next one's stdin.
    """
    args = [["apertium", *([] if marks else ["-u"]), mode] for mode in chain]
    if not piped:
        for cmd in args:
            proc = subprocess.run(cmd, input=data.encode("utf-8"), capture_output=True,
                                  check=False)
            if proc.returncode != 0:
                err = proc.stderr.decode("utf-8", "replace").strip()[:300]
                raise RuntimeError(f"{' '.join(cmd)} failed: {err}")
            data = proc.stdout.decode("utf-8", "replace")
        return data
    errors = [tempfile.TemporaryFile() for _ in args]
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for cmd, err in zip(args, errors, strict=True):
            stdin = procs[-1].stdout if procs else subprocess.PIPE
            procs.append(subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=err))
            if len(procs) > 1:
                procs[-2].stdout.close()  # type: ignore[union-attr]  # the next one owns it
        first = procs[0]

        def feed() -> None:
            try:
                first.stdin.write(data.encode("utf-8"))  # type: ignore[union-attr]
            except BrokenPipeError:
                pass  # the process died; its status and stderr say why
            finally:
                first.stdin.close()  # type: ignore[union-attr]

        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
        out = procs[-1].stdout.read()  # type: ignore[union-attr]
        writer.join()
        for proc in procs:
            proc.wait()
        # the last one that failed: an earlier one only lost its reader (SIGPIPE)
        for cmd, proc, err in reversed(list(zip(args, procs, errors, strict=True))):
            if proc.returncode != 0:
                err.seek(0)
                text = err.read().decode("utf-8", "replace").strip()[:300]
                raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {text}")
        return out.decode("utf-8", "replace")
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
        for err in errors:
            err.close()


def split_lines(out: str, n: int) -> list[str] | None:
    """The n sentences of an output made with :data:`SEPARATOR`; None if it does not fit."""
    if out.endswith("\n"):
        out = out[:-1]
    lines = out.split("\n")
    if len(lines) != 2 * n - 1 or any(line.strip() for line in lines[1::2]):
        return None
    return [" ".join(line.split()) for line in lines[0::2]]


class ApertiumTranslator:
    name = "apertium"

    def __init__(self, pivot: str | None = None, *, workers: int = 2) -> None:
        chosen = pivot or available_pivot()
        if chosen is None or chosen not in PIVOTS:
            raise ConfigError(
                "Apertium with a French->English pivot is not installed. Install it with: "
                "sudo apt-get install apertium " + " ".join(DEBIAN_PACKAGES["es"])
            )
        self.pivot: str = chosen
        self.chain = PIVOTS[chosen]
        modes = _modes()
        missing = [m for m in self.chain if m not in modes]
        if missing:
            raise ConfigError(f"Apertium modes missing: {', '.join(missing)} (install "
                              f"{' '.join(DEBIAN_PACKAGES[chosen])})")
        self.mode_files = [modes[m] for m in self.chain]
        self.workers = workers
        self.version = _dpkg_version("apertium")
        self.packages = {p: _dpkg_version(p) for p in DEBIAN_PACKAGES.get(self.pivot, [])}
        self.retries = 0  # batches whose output did not fit and were split

    def _data_sha256(self) -> str:
        """Checksum of the compiled language data each mode uses (files named in the .mode)."""
        h = hashlib.sha256()
        for mode in self.mode_files:
            text = mode.read_text(encoding="utf-8")
            h.update(text.encode())
            for word in sorted(set(text.replace("'", " ").split())):
                p = Path(word)
                if p.is_absolute() and p.is_file():
                    h.update(p.read_bytes())
        return h.hexdigest()

    def applications(self) -> list[Application]:
        return [
            Application(
                "apertium",
                self.version,
                "mt",
                f"Apertium rule-based MT, pivot {' | '.join(self.chain)}",
                sha256=self._data_sha256(),
                extra=self.packages,
            )
        ]

    def fingerprint(self) -> str:
        return fingerprint_for(self.pivot)

    def _call(self, lines: list[str]) -> list[str]:
        """Translate one batch; exactly one output line per input line, in order."""
        clean = [door(s) for s in lines]
        todo = [i for i, s in enumerate(clean) if s]
        result = [""] * len(lines)
        if not todo:
            return result
        batch = [clean[i] for i in todo]
        out = run_chain(self.chain, SEPARATOR.join(batch) + "\n", piped=PIPED)
        got = split_lines(out, len(batch))
        if got is None:
            if len(batch) == 1:  # one sentence: whatever came back is its translation
                got = [" ".join(out.split())]
            else:
                self.retries += 1
                half = len(batch) // 2
                got = self._call(batch[:half]) + self._call(batch[half:])
        for i, text in zip(todo, got, strict=True):
            result[i] = text
        return result

    def translate(self, sentences: list[str]) -> list[str]:
        if not sentences:
            return []
        size = max(1, min(BATCH_SIZE, -(-len(sentences) // max(1, self.workers))))
        batches = [sentences[i : i + size] for i in range(0, len(sentences), size)]
        if len(batches) == 1 or self.workers <= 1:
            results = [self._call(b) for b in batches]
        else:  # Apertium runs in its own processes: threads keep both cores busy.
            with ThreadPoolExecutor(self.workers) as pool:
                results = list(pool.map(self._call, batches))
        return [line for batch in results for line in batch]

    def close(self) -> None:
        pass
