"""Test helper: a Dask scheduler and worker processes on 127.0.0.1 (the "nodes"), then one
pipeline command pointed at them; prints one JSON line with what happened.

    python tests/dask_nodes.py --workers 2 [--preload-last FILE] [--kill-after N] \\
        [--local] -- run INPUT -o OUT ...

The scheduler and each worker are separate processes (``python -m dask scheduler`` /
``python -m dask worker``, no nanny, one thread, no dashboard), as on separate machines; the
command runs as ``python -m pipeline`` with DASK_SCHEDULER_ADDRESS set. ``--kill-after N``
SIGKILLs the first worker once N TEI files are written (mid-run). ``--local`` starts no
cluster (the command starts its own LocalCluster). tests/test_dask_executor.py runs this
under ``unshare -n`` with only loopback up, so nothing can leave the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_nodes(n: int, preload_last: str | None) -> tuple[str, list[subprocess.Popen[bytes]]]:
    """A scheduler and n workers; returns when all n have joined."""
    from distributed import Client

    address = f"tcp://127.0.0.1:{free_port()}"
    env = {**os.environ, "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "2"}
    procs = [subprocess.Popen([sys.executable, "-m", "dask", "scheduler", "--host", "127.0.0.1",
                               "--port", address.rsplit(":", 1)[1], "--no-dashboard"],
                              env=env, stderr=subprocess.DEVNULL)]
    for i in range(n):
        extra = ["--preload", preload_last] if preload_last and i == n - 1 else []
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "dask", "worker", address, "--host", "127.0.0.1",
             "--nthreads", "1", "--no-nanny", "--no-dashboard", "--name", f"node{i}", *extra],
            env=env, stderr=subprocess.DEVNULL))
    with Client(address, timeout=60) as client:
        client.wait_for_workers(n, timeout=120)
    return address, procs


def run_command(command: list[str], env: dict[str, str], out: Path | None,
                kill_after: int, victim: subprocess.Popen[bytes] | None) -> dict[str, object]:
    t0 = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", *command], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    killed = False
    while kill_after and victim is not None and out is not None and proc.poll() is None:
        if len(list((out / "tei").glob("*.xml"))) >= kill_after:
            victim.send_signal(signal.SIGKILL)
            killed = True
            break
        time.sleep(0.2)
    stdout, stderr = proc.communicate(timeout=900)
    return {"rc": proc.returncode, "seconds": round(time.monotonic() - t0, 2),
            "killed": killed, "stdout": stdout.decode(), "stderr": stderr.decode()}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--preload-last")
    ap.add_argument("--kill-after", type=int, default=0)
    ap.add_argument("--local", action="store_true")
    ap.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    command = [c for c in args.command if c != "--"]
    out = Path(command[command.index("-o") + 1]) if "-o" in command else None
    env = dict(os.environ)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        if not args.local:
            env["DASK_SCHEDULER_ADDRESS"], procs = start_nodes(args.workers, args.preload_last)
        victim = procs[1] if len(procs) > 1 else None
        result = run_command(command, env, out, args.kill_after, victim)
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
