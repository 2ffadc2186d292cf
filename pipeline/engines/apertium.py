"""Apertium backend (Debian packages, rule-based): French -> English through a pivot.

There is no direct fr-en pair; fr->es->en is the default pivot (see README for the
measurement). One call per batch: the sentences go in one per line, and Apertium's
plain-text format keeps line breaks, so line i of the output is sentence i.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pipeline.document import Application
from pipeline.errors import ConfigError

#: Pivot chains, each a list of Apertium mode names; the first installed one wins.
PIVOTS = {
    "es": ["fr-es", "spa-eng"],
    "eo": ["fr-eo", "eo-en"],
    "ca": ["fr-ca", "cat-eng"],
}
DEBIAN_PACKAGES = {"es": ["apertium-fr-es", "apertium-eng-spa"]}
BATCH_SIZE = 200  # sentences per Apertium call: amortises its start-up (~0.3 s)

# Apertium's French analyser reads the ASCII apostrophe only ("qu’ils" loses "ils"),
# so typographic characters are normalised at the engine's door, not in the archive.
_DOOR = str.maketrans({"\u2019": "'", "\u2018": "'", "\u00a0": " ", "\u202f": " ", "\u2009": " "})


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
    """Engine identity for the translation cache: Apertium and its language data versions."""
    packages = DEBIAN_PACKAGES.get(pivot, [])
    versions = ",".join(f"{p}={_dpkg_version(p)}" for p in ["apertium", *packages])
    return f"apertium:{'|'.join(PIVOTS[pivot])}:{versions}"


def available_pivot() -> str | None:
    if shutil.which("apertium") is None:
        return None
    modes = _modes()
    for pivot, chain in PIVOTS.items():
        if all(m in modes for m in chain):
            return pivot
    return None


def is_available() -> bool:
    return available_pivot() is not None


class ApertiumTranslator:
    name = "apertium"

    def __init__(self, pivot: str | None = None, *, workers: int = 2) -> None:
        chosen = pivot or available_pivot()
        if chosen is None or chosen not in PIVOTS:
            raise ConfigError(
                "Apertium with a French->English pivot is not installed. Install it with: "
                "sudo apt-get install apertium apertium-fr-es apertium-eng-spa"
            )
        self.pivot: str = chosen
        self.chain = PIVOTS[chosen]
        modes = _modes()
        missing = [m for m in self.chain if m not in modes]
        if missing:
            raise ConfigError(f"Apertium modes missing: {', '.join(missing)}")
        self.mode_files = [modes[m] for m in self.chain]
        self.workers = workers
        self.version = _dpkg_version("apertium")
        self.packages = {p: _dpkg_version(p) for p in DEBIAN_PACKAGES.get(self.pivot, [])}

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
        data = "\n".join(s.translate(_DOOR).replace("\n", " ") for s in lines) + "\n"
        for mode in self.chain:
            proc = subprocess.run(
                ["apertium", "-u", mode], input=data, capture_output=True, text=True, check=False
            )
            if proc.returncode != 0:
                raise RuntimeError(f"apertium {mode} failed: {proc.stderr.strip()[:300]}")
            data = proc.stdout
        out = data.split("\n")
        if out and out[-1] == "":
            out.pop()
        if len(out) != len(lines):
            raise RuntimeError(f"apertium returned {len(out)} lines for {len(lines)} sentences")
        return [o.strip() for o in out]

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
