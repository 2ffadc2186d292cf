"""Apertium backend (Debian packages, rule-based): French -> English through a pivot.

There is no direct fr-en pair, so two Apertium modes are chained; :data:`PIVOTS` lists the
pivots Debian packages (es, ca, eo) best first, as tools/eval_pivots.py measured them on the
seeds (es: as good as ca for NER at 2.2 times its speed; eo clearly last). The measurements
and the modes that were tried and rejected are in tools/apertium_experiments.py.

Line protocol. Sentences go in one batch per call, separated by an EMPTY line: a single
newline is only a blank to the transfer rules, which move words across it; an empty line
ends the chunk and no word crosses it. Characters special to Apertium's stream format are
escaped by its own txt deformatter; the door (:func:`door`) only turns what would break a
line (other line breaks, control characters) into spaces, and ’ and non-breaking spaces
into ' and spaces (without it, one seed sentence per pivot translates worse). Should an
output ever not have one line per sentence, the batch is split in halves and retried, down
to single sentences: translations never shift.

Long-lived processes. Starting a mode costs ~0.35 s, so each mode's programs are started
once and kept (:class:`ModeServer`) in Apertium's null-flush mode (``-z``): a batch goes in
followed by NUL and its translation comes back followed by NUL. The ``apertium`` script
cannot serve this way (its txt deformatter/reformatter read to end of file), so the mode's
programs run as ``apertium-wblank-mode -z MODE`` writes them and destxt/retxt run once per
batch around them, exactly as in ``apertium -u MODE``: the output is byte for byte the
per-batch one (tests/test_apertium.py). Programs that carry state from one block to the next
(:data:`STATEFUL`) start afresh for each batch. A batch that times out or comes back
malformed kills its chain and is run the per-batch way (:func:`run_chain`); after
:data:`MAX_SERVER_FAILURES` failures the engine stays on the per-batch path.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import selectors
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pipeline.document import Application
from pipeline.engines.base import EngineSpec, Translator
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
PROTOCOL = "3"  # 3: the last step marks unknown words (UNKNOWN)
BATCH_SIZE = 200  # sentences per Apertium call: amortises its start-up (~0.3 s a mode)
SEPARATOR = "\n\n"  # an empty line between sentences: words never cross it
PERSISTENT = True  # keep each mode's programs running, null-flush mode (module docstring)
REQUEST_TIMEOUT = 60.0  # seconds for one batch through one mode, plus 1 s per 2 KB of input
MAX_SERVER_FAILURES = 3  # then the engine goes back to one `apertium` call per batch

# Line breaks other than "\n" and control characters would end or corrupt a line inside
# Apertium (or in Python's view of it): they become spaces.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Typographic characters the analysers read worse than their ASCII forms (see the module
# docstring): normalised at the engine's door, not in the archive.
#: What :meth:`ApertiumTranslator.translate_marked` puts before a word the last step of
#: the chain did not know (Apertium's ``*`` and ``@`` marks, which are ambiguous with the
#: same characters in the text: a sentence that holds one has that mark left alone).
UNKNOWN = "\ue01e"  # private use: not whitespace to str.split(), unlike \x1e
_MARK = re.compile(r"(?<![\w*@#])([*@#]+)(?=\w)")
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


def run_chain(chain: list[str], data: str, *, marks: bool = False,
              marks_last: bool = False) -> str:
    """Run Apertium modes one after the other over plain text; returns the last one's output.

    ``marks`` keeps Apertium's marks (* unknown word, @ transfer, # generation error),
    ``marks_last`` only those of the last mode (the earlier ones' output is then exactly
    what the last one would get without marks).
    """
    last = len(chain) - 1
    for i, mode in enumerate(chain):
        cmd = ["apertium", *([] if marks or (marks_last and i == last) else ["-u"]), mode]
        proc = subprocess.run(cmd, input=data.encode("utf-8"), capture_output=True,
                              check=False)
        if proc.returncode != 0:
            err = proc.stderr.decode("utf-8", "replace").strip()[:300]
            raise RuntimeError(f"{' '.join(cmd)} failed: {err}")
        data = proc.stdout.decode("utf-8", "replace")
    return data


_LOCALE: dict[str, str] = {}


def _utf8_env() -> dict[str, str]:
    """The environment the ``apertium`` script gives its programs: a UTF-8 LC_CTYPE."""
    if "LC_CTYPE" not in _LOCALE:
        proc = subprocess.run(["locale", "-a"], capture_output=True, text=True, check=False)
        names = [n for n in proc.stdout.split() if re.search(r"utf[.-]*8", n, re.I)]
        _LOCALE["LC_CTYPE"] = names[0] if names else "C.UTF-8"
    return {**os.environ, "LC_CTYPE": _LOCALE["LC_CTYPE"]}


def _filter(cmd: list[str], data: bytes) -> bytes:
    proc = subprocess.run(cmd, input=data, capture_output=True, check=False, env=_utf8_env())
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip()[:300]
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {err}")
    return proc.stdout


#: Programs that carry state from one NUL-delimited block to the next: the HMM tagger
#: (measured: 1-2 of 131 seed sentences tagged differently after another batch; the
#: Viterbi scores run on across the NUL); Constraint Grammar, untested, treated alike.
#: These start afresh for every batch (~10 ms), as in ``apertium -u MODE``.
STATEFUL = ("apertium-tagger", "cg-proc")


def mode_segments(mode_file: Path) -> list[tuple[str, str]] | None:
    """The mode's programs as ``apertium -z`` would run them, cut around :data:`STATEFUL`
    ones: ("serve", null-flush script) for each run of stateless programs, ("spawn", plain
    script) for each stateful program; None when Apertium cannot tell (no wblank-mode)."""
    if shutil.which("apertium-wblank-mode") is None or shutil.which("bash") is None:
        return None
    scripts = []
    for flags in (["-z"], []):
        proc = subprocess.run(["apertium-wblank-mode", *flags, str(mode_file)],
                              capture_output=True, text=True, check=False)
        if proc.returncode != 0 or not proc.stdout.strip():
            return None
        scripts.append([part.strip() for part in proc.stdout.strip().split(" | ")])
    flushing, plain = scripts
    if len(flushing) != len(plain) or any("|" in part for part in flushing + plain):
        return None
    segments: list[tuple[str, str]] = []
    run: list[str] = []
    for z_part, part in zip(flushing, plain, strict=True):
        if part.split()[0] in STATEFUL:
            if run:
                segments.append(("serve", " | ".join(run)))
                run = []
            segments.append(("spawn", part))
        else:
            run.append(z_part)
    if run:
        segments.append(("serve", " | ".join(run)))
    return segments


def _script_args(script: str, *, marks: bool = False) -> list[str]:
    """A mode script run by bash: $1 the generator's option (-g marks unknown words, -n not),
    $2 the tagger's (none), as the ``apertium`` script passes them."""
    return ["bash", "-c", script, "apertium-mode", "-g" if marks else "-n", ""]


class ModeServer:
    """One Apertium mode kept running in null-flush mode: a block in, its output back.

    :meth:`request` takes deformatted text (apertium-destxt's output) and returns the mode's
    output, as ``apertium -u MODE`` would pass it to apertium-retxt. Raises RuntimeError or
    TimeoutError when the programs die, hang or answer out of step; the server is then dead
    (:meth:`kill`) and must not be used again.
    """

    def __init__(self, mode: str, script: str, *, marks: bool = False) -> None:
        self.mode = mode
        self.err = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            _script_args(script, marks=marks),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.err,
            env=_utf8_env(), start_new_session=True,  # its own group: killed all together
        )
        self.owner = os.getpid()
        self.requests = 0
        os.set_blocking(self.proc.stdin.fileno(), False)  # type: ignore[union-attr]

    def alive(self) -> bool:
        return self.owner == os.getpid() and self.proc.poll() is None

    def request(self, data: bytes, timeout: float | None = None) -> bytes:
        if not self.alive():
            if self.owner == os.getpid() and self.proc.returncode is not None:
                raise RuntimeError(self._died())  # exited before this request: say why
            raise RuntimeError(f"Apertium {self.mode} server is not running")
        if timeout is None:
            timeout = REQUEST_TIMEOUT + len(data) / 2000
        payload = memoryview(data.replace(b"\0", b" ") + b"\0")
        stdin, stdout = self.proc.stdin, self.proc.stdout
        assert stdin is not None and stdout is not None
        deadline = time.monotonic() + timeout
        out = bytearray()
        sent = 0
        with selectors.DefaultSelector() as sel:
            sel.register(stdout, selectors.EVENT_READ)
            sel.register(stdin, selectors.EVENT_WRITE)
            writing = True
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    self.kill()
                    raise TimeoutError(f"Apertium {self.mode} gave no answer in {timeout:.0f} s")
                for key, _ in sel.select(left):
                    if key.fileobj is stdin:
                        sent = self._write(payload, sent)
                        if sent == len(payload):
                            sel.unregister(stdin)
                            writing = False
                        continue
                    if self._read(out, writing):
                        self.requests += 1
                        return bytes(out[:-1])

    def _write(self, payload: memoryview, sent: int) -> int:
        """Write what the pipe takes of the rest of the request; returns the bytes sent."""
        stdin = self.proc.stdin
        assert stdin is not None
        try:
            return sent + os.write(stdin.fileno(), payload[sent : sent + 65536])
        except (BrokenPipeError, BlockingIOError):
            if self.proc.poll() is not None:
                raise RuntimeError(self._died()) from None
            return sent

    def _read(self, out: bytearray, writing: bool) -> bool:
        """Read what the answer has so far into ``out``; True when it is complete."""
        stdout = self.proc.stdout
        assert stdout is not None
        chunk = os.read(stdout.fileno(), 65536)
        if not chunk:
            raise RuntimeError(self._died())
        out += chunk
        if not out.endswith(b"\0"):
            return False
        if writing or out.count(b"\0") != 1:
            self.kill()  # an answer to something else: out of step
            raise RuntimeError(f"Apertium {self.mode}: unexpected NUL in output")
        return True

    def _died(self) -> str:
        self.kill(close_files=False)
        try:
            self.err.seek(0)
            text = self.err.read().decode("utf-8", "replace").strip()[:300]
        except (OSError, ValueError):
            text = ""
        self._close_files()
        return f"Apertium {self.mode} server exited ({self.proc.returncode}): {text}"

    def kill(self, *, close_files: bool = True) -> None:
        if self.owner != os.getpid():
            return  # a forked copy: the processes belong to the parent
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                self.proc.kill()
        self.proc.wait()
        if close_files:
            self._close_files()

    def end_input(self) -> None:
        """Close the programs' input: they finish and exit (see :meth:`close`)."""
        if self.owner != os.getpid():
            return
        try:
            self.proc.stdin.close()  # type: ignore[union-attr]
        except OSError:
            pass

    def close(self, wait: float = 5.0) -> None:
        """End of input: the programs finish and exit; killed if they do not in time."""
        if self.owner != os.getpid():
            return
        self.end_input()
        try:
            self.proc.wait(wait)
        except subprocess.TimeoutExpired:
            pass
        self.kill()

    def _close_files(self) -> None:
        for f in (self.proc.stdin, self.proc.stdout, self.err):
            try:
                if f is not None:
                    f.close()
            except OSError:
                pass


class ServerChain:
    """A chain's modes, each as ``apertium -u MODE`` runs it: destxt, the mode's programs
    (long-lived :class:`ModeServer`s, stateful ones started per batch), retxt."""

    def __init__(self, modes: list[str], segments: list[list[tuple[str, str]]], *,
                 marks_last: bool = False) -> None:
        self.steps: list[list[ModeServer | list[str]]] = []
        self.servers: list[ModeServer] = []
        try:
            for n, (mode, parts) in enumerate(zip(modes, segments, strict=True)):
                marks = marks_last and n == len(modes) - 1  # the generator's -g
                steps: list[ModeServer | list[str]] = []
                for kind, script in parts:
                    if kind == "serve":
                        server = ModeServer(mode, script, marks=marks)
                        self.servers.append(server)
                        steps.append(server)
                    else:
                        steps.append(_script_args(script, marks=marks))
                self.steps.append(steps)
        except BaseException:
            self.kill()
            raise

    def alive(self) -> bool:
        return all(s.alive() for s in self.servers)

    def run(self, data: str, upto: int | None = None) -> str:
        """The text through the chain's modes (the first ``upto`` of them when given)."""
        raw = data.encode("utf-8")
        for steps in self.steps[:upto]:
            raw = _filter(["apertium-destxt"], raw)
            for step in steps:
                raw = step.request(raw) if isinstance(step, ModeServer) else _filter(step, raw)
            raw = _filter(["apertium-retxt"], raw)
        return raw.decode("utf-8", "replace")

    def kill(self) -> None:
        for s in self.servers:
            s.kill()

    def end_input(self) -> None:
        for s in self.servers:
            s.end_input()

    def close(self) -> None:
        self.end_input()  # every program at once, then wait for each
        for s in self.servers:
            s.close()


def _close_chains(chains: list[ServerChain]) -> None:
    """Close chains: every program's input first, so they all exit at once (closing one
    after the other took ~50 ms per program, ~0.5 s for the three pivots' chains)."""
    for chain in chains:
        chain.end_input()
    while chains:
        chains.pop().close()


def mark_unknown(text: str, source: str) -> str:
    """Apertium's marks in one output line as :data:`UNKNOWN` (``*`` unknown word, ``@``
    no transfer entry) or dropped (``#`` generation error: the lemma is English); a mark
    character that also occurs in the source sentence is taken as text."""
    def repl(m: re.Match[str]) -> str:
        marks = m.group(1)
        if any(c in source for c in marks):
            return marks
        return UNKNOWN if ("*" in marks or "@" in marks) else ""
    return _MARK.sub(repl, text)


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
    protects_names = True  # placeholders pass through the chain; unknown words are marked

    def __init__(self, pivot: str | None = None, *, workers: int = 2,
                 persistent: bool | None = None) -> None:
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
        self.last_split: list[int] = []  # never: Apertium has no input limit
        self._sha256: str | None = None
        self._fingerprint: str | None = None
        # Long-lived processes (module docstring): idle chains, one per thread at most.
        segments = [mode_segments(m) for m in self.mode_files]
        self.segments: list[list[tuple[str, str]]] = [s for s in segments if s]
        use = PERSISTENT if persistent is None else persistent
        self.persistent = use and len(self.segments) == len(self.chain)
        self.server_failures = 0  # batches the servers failed (run the per-batch way)
        self.last_server_error = ""
        self._idle: list[ServerChain] = []
        self._lock = threading.Lock()
        self._finalizer = weakref.finalize(self, _close_chains, self._idle)
        self._fallbacks: list[ApertiumTranslator] | None = None

    def _data_sha256(self) -> str:
        """Checksum of the compiled language data each mode uses (files named in the .mode);
        computed once per engine (the translate stage asks for it for every document)."""
        if self._sha256 is None:
            self._sha256 = self._hash_data()
        return self._sha256

    def _hash_data(self) -> str:
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
        if self._fingerprint is None:  # dpkg-query runs: once per engine, not per chunk
            self._fingerprint = fingerprint_for(self.pivot)
        return self._fingerprint

    def _call(self, lines: list[str], upto: int | None = None) -> list[str]:
        """Translate one batch; exactly one output line per input line, in order. Through
        the whole chain, words its last step did not know come back after :data:`UNKNOWN`;
        with ``upto``, through the first ``upto`` modes only, without marks."""
        clean = [door(s) for s in lines]
        todo = [i for i, s in enumerate(clean) if s]
        result = [""] * len(lines)
        if not todo:
            return result
        batch = [clean[i] for i in todo]
        out = self._run(SEPARATOR.join(batch) + "\n", upto)
        got = split_lines(out, len(batch))
        if got is None:
            if len(batch) == 1:  # one sentence: whatever came back is its translation
                got = [" ".join(out.split())]
            else:
                self.retries += 1
                half = len(batch) // 2
                return self._merge(lines, todo, self._call(batch[:half], upto)
                                   + self._call(batch[half:], upto))
        if upto is None:
            got = [mark_unknown(text, source) for text, source in zip(got, batch, strict=True)]
        return self._merge(lines, todo, got)

    @staticmethod
    def _merge(lines: list[str], todo: list[int], got: list[str]) -> list[str]:
        result = [""] * len(lines)
        for i, text in zip(todo, got, strict=True):
            result[i] = text
        return result

    def _run(self, data: str, upto: int | None = None) -> str:
        """One batch through the chain: long-lived servers if they work, else `apertium`."""
        if self.persistent:
            chain = self._take()
            try:
                if chain is None:
                    chain = ServerChain(self.chain, self.segments, marks_last=True)
                out = chain.run(data, upto)
            except (OSError, RuntimeError, TimeoutError, ValueError) as exc:
                if chain is not None:
                    chain.kill()
                with self._lock:
                    self.server_failures += 1
                    self.last_server_error = str(exc)[:300]
                    if self.server_failures >= MAX_SERVER_FAILURES:
                        self.persistent = False
            else:
                with self._lock:
                    self._idle.append(chain)
                return out
        return run_chain(self.chain[:upto], data, marks_last=upto is None)

    def _take(self) -> ServerChain | None:
        with self._lock:
            while self._idle:
                chain = self._idle.pop()
                if chain.alive():
                    return chain
                chain.kill()  # died while idle, or a forked copy of the parent's
        return None

    def translate(self, sentences: list[str]) -> list[str]:
        """English for each sentence, as ``apertium -u`` writes it (no marks)."""
        return [t.replace(UNKNOWN, "") for t in self.translate_marked(sentences)]

    def translate_marked(self, sentences: list[str]) -> list[str]:
        """As :meth:`translate`, with :data:`UNKNOWN` before each word the chain's last step
        did not know (a source word passed through, or a pivot-language word)."""
        return self._batches(sentences, None)

    def first_step(self, texts: list[str]) -> list[str]:
        """The texts through the chain's first mode only (French -> pivot language)."""
        return self._batches(texts, 1)

    def first_step_engine(self) -> Callable[[list[str]], list[str]] | None:
        return self.first_step

    def fallbacks(self) -> list[ApertiumTranslator]:
        """Engines of the other installed pivots, in order of preference (made once)."""
        if self._fallbacks is None:
            self._fallbacks = [ApertiumTranslator(p, workers=1, persistent=self.persistent)
                               for p in installed_pivots() if p != self.pivot]
        return self._fallbacks

    def _batches(self, sentences: list[str], upto: int | None) -> list[str]:
        if not sentences:
            return []
        call = functools.partial(self._call, upto=upto)
        size = max(1, min(BATCH_SIZE, -(-len(sentences) // max(1, self.workers))))
        batches = [sentences[i : i + size] for i in range(0, len(sentences), size)]
        if len(batches) == 1 or self.workers <= 1:
            return [line for batch in map(call, batches) for line in batch]
        # Apertium runs in its own processes: threads keep both cores busy.
        with ThreadPoolExecutor(self.workers) as pool:
            return [line for batch in pool.map(call, batches) for line in batch]

    def set_threads(self, threads: int) -> None:
        """Batches in flight at once (each in its own Apertium processes)."""
        self.workers = max(1, threads)

    def close(self) -> None:
        """Stop the long-lived processes (idle ones; they also stop with this process): the
        input of every chain, the other pivots' included, is closed before any is waited for."""
        engines = [self, *(self._fallbacks or [])]
        for engine in engines:
            with engine._lock:
                for chain in engine._idle:
                    chain.end_input()
        for engine in engines:
            with engine._lock:
                _close_chains(engine._idle)


def spec(workers: int = 2) -> EngineSpec[Translator] | None:
    """The installed engine (best pivot first), not loaded; None without Apertium."""
    pivot = available_pivot()
    if pivot is None:
        return None
    return EngineSpec("mt", "apertium", fingerprint_for(pivot),
                      lambda: ApertiumTranslator(pivot, workers=workers))
