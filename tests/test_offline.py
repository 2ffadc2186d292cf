"""Offline: a whole run (every stage, real engines) opens no network connection.

The run goes in a subprocess whose Python has its sockets blocked: ``connect``,
``connect_ex``, ``sendto``, ``create_connection`` and name resolution on internet
sockets raise, and every attempt is logged (so an attempt that some library swallowed
still fails the test). The guard is installed by the ``-c`` wrapper and by a
``sitecustomize`` module for any Python child. Where the machine allows, the same run
goes under ``unshare -n`` too: a network namespace with no interface but loopback, which
also covers the non-Python programs (Apertium, jing).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.engines import apertium

GUARD = r'''
"""Block network sockets in this process (installed by tests/test_offline.py)."""
import os
import socket

_LOG = os.environ.get("NETGUARD_LOG", "")
_NET = {getattr(socket, n) for n in ("AF_INET", "AF_INET6", "AF_PACKET") if hasattr(socket, n)}


def _refuse(what):
    if _LOG:
        with open(_LOG, "a", encoding="utf-8") as fh:
            fh.write(f"{os.getpid()} {what}\n")
    raise OSError(f"network access blocked by the offline test: {what}")


def install():
    if getattr(socket, "_netguard", False):
        return
    socket._netguard = True
    real = socket.socket

    class GuardedSocket(real):
        def connect(self, address):
            if self.family in _NET:
                _refuse(f"connect {address!r}")
            return super().connect(address)

        def connect_ex(self, address):
            if self.family in _NET:
                _refuse(f"connect_ex {address!r}")
            return super().connect_ex(address)

        def sendto(self, *args):
            if self.family in _NET:
                _refuse(f"sendto {args[-1]!r}")
            return super().sendto(*args)

    def getaddrinfo(host, *args, **kwargs):
        _refuse(f"getaddrinfo {host!r}")

    def create_connection(address, *args, **kwargs):
        _refuse(f"create_connection {address!r}")

    socket.socket = GuardedSocket
    socket.getaddrinfo = getaddrinfo
    socket.gethostbyname = lambda host: _refuse(f"gethostbyname {host!r}")
    socket.create_connection = create_connection
'''

SITECUSTOMIZE = "import netguard\nnetguard.install()\n"

WRAPPER = r'''
import os, socket, sys
import netguard
netguard.install()
# self-test: the guard is active (this attempt is logged, then the log is reset)
try:
    socket.create_connection(("127.0.0.1", 9), timeout=1)
except OSError as exc:
    assert "blocked by the offline test" in str(exc), exc
else:
    raise SystemExit("the network guard is not active")
open(os.environ["NETGUARD_LOG"], "w").close()
from pipeline.cli import main
sys.exit(main(sys.argv[1:]))
'''


def _unshare_works() -> str | None:
    """None when `unshare -n` can run here, else why not."""
    if shutil.which("unshare") is None:
        return "unshare is not installed"
    for cmd in (["unshare", "-n", "true"], ["unshare", "-rn", "true"]):
        try:
            if subprocess.run(cmd, capture_output=True, timeout=10, check=False).returncode == 0:
                return None
        except (OSError, subprocess.TimeoutExpired):
            pass
    return "unshare -n is not permitted here (no user or network namespaces)"


def _unshare_prefix() -> list[str]:
    ok = subprocess.run(["unshare", "-n", "true"], capture_output=True, check=False)
    return ["unshare", "-n"] if ok.returncode == 0 else ["unshare", "-rn"]


@pytest.fixture(scope="module")
def offline_run(tmp_path_factory: pytest.TempPathFactory, seed_files: list[Path]) -> dict:
    if not apertium.is_available():
        pytest.skip("Apertium fr->es->en is not installed")
    root = tmp_path_factory.mktemp("offline")
    guard = root / "guard"
    guard.mkdir()
    (guard / "netguard.py").write_text(GUARD, encoding="utf-8")
    (guard / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    inp = root / "in"
    inp.mkdir()
    for seed in seed_files[:2]:
        shutil.copy(seed, inp / seed.name)
    log = root / "net.log"
    why_not = _unshare_works()
    prefix = [] if why_not else _unshare_prefix()
    pythonpath = os.pathsep.join(p for p in [str(guard), os.environ.get("PYTHONPATH", "")] if p)
    env = {**os.environ, "PYTHONPATH": pythonpath, "NETGUARD_LOG": str(log),
           "SOURCE_DATE_EPOCH": "1700000000"}
    out = root / "output"
    cmd = [*prefix, sys.executable, "-c", WRAPPER, "run", str(inp), "-o", str(out), "-q",
           "--force"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300,
                          check=False, cwd=Path(__file__).resolve().parent.parent)
    return {"proc": proc, "out": out, "log": log, "unshare": why_not, "cmd": cmd}


def test_a_full_run_with_sockets_blocked_succeeds(offline_run: dict) -> None:
    proc = offline_run["proc"]
    assert proc.returncode == 0, proc.stderr[-3000:]
    attempts = offline_run["log"].read_text(encoding="utf-8")
    assert attempts == "", f"network access attempted:\n{attempts}"
    report = json.loads((offline_run["out"] / "report.json").read_text(encoding="utf-8"))
    assert report["summary"]["ok"] == 2 and report["summary"]["failed"] == 0
    assert set(report["engines"]) == {"nlp-fr", "mt", "nlp-en"}  # every engine was used
    assert set(report["model_load_seconds"]) >= {"nlp-fr", "mt", "nlp-en"}
    assert report["validation"]["problems"] == []
    assert len(list((offline_run["out"] / "tei").glob("*.xml"))) == 2


def test_the_same_run_had_no_network_namespace(offline_run: dict) -> None:
    if offline_run["unshare"]:
        pytest.skip(f"sockets were blocked, but not under unshare -n: {offline_run['unshare']}")
    assert offline_run["cmd"][0] == "unshare"
    assert offline_run["proc"].returncode == 0, offline_run["proc"].stderr[-3000:]


def test_the_guard_really_blocks(tmp_path: Path) -> None:
    """The guard itself, in this process's own terms (no engine needed)."""
    guard = tmp_path / "netguard.py"
    guard.write_text(GUARD, encoding="utf-8")
    log = tmp_path / "log"
    code = ("import socket, netguard; netguard.install()\n"
            "for f in (lambda: socket.create_connection(('example.org', 80)),\n"
            "          lambda: socket.getaddrinfo('example.org', 80),\n"
            "          lambda: socket.socket().connect(('127.0.0.1', 9)),\n"
            "          lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM)"
            ".sendto(b'x', ('127.0.0.1', 9))):\n"
            "    try:\n        f()\n    except OSError:\n        pass\n"
            "    else:\n        raise SystemExit('not blocked')\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          text=True, env={**os.environ, "NETGUARD_LOG": str(log)}, check=False)
    assert proc.returncode == 0, proc.stderr
    assert len(log.read_text(encoding="utf-8").splitlines()) == 4


def test_html_warc_and_json_inputs_are_read_with_the_network_cut(tmp_path: Path) -> None:
    """trafilatura is never asked to fetch: pages with URLs read under the same guard."""
    from scrapes import PARAS, jsonl_lines, page, two_page_warc

    guard = tmp_path / "guard"
    guard.mkdir()
    (guard / "netguard.py").write_text(GUARD, encoding="utf-8")
    (guard / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    inp = tmp_path / "in"
    inp.mkdir()
    (inp / "page.html").write_text(page(), encoding="utf-8")
    two_page_warc(inp / "crawl.warc.gz")
    (inp / "items.jsonl").write_text(jsonl_lines([
        {"html": page(), "url": "https://www.exemple-journal.fr/a"},
        {"text": "\n\n".join(PARAS), "url": "https://www.exemple-journal.fr/b"}]),
        encoding="utf-8")
    log = tmp_path / "net.log"
    why_not = _unshare_works()
    prefix = [] if why_not else _unshare_prefix()
    pythonpath = os.pathsep.join(p for p in [str(guard), os.environ.get("PYTHONPATH", "")] if p)
    env = {**os.environ, "PYTHONPATH": pythonpath, "NETGUARD_LOG": str(log),
           "SOURCE_DATE_EPOCH": "1700000000"}
    out = tmp_path / "output"
    cmd = [*prefix, sys.executable, "-c", WRAPPER, "run", str(inp), "-o", str(out), "-q",
           "--stages", "clean,tei,corpus"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300,
                          check=False, cwd=Path(__file__).resolve().parent.parent)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert log.read_text(encoding="utf-8") == "", "network access attempted"
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["summary"]["ok"] == 5 and report["summary"]["failed"] == 0
