"""A real Label Studio reads the export: SDK validation, then a server round trip.

Slow (marked): the first run installs ``label-studio`` into its own virtual environment
under the cache folder (``$NEWSCORPUS_CACHE`` or ``~/.cache/newscorpus``: ``ls-venv-<version>``,
about 3 minutes and 1 GB) and reuses it afterwards; the server's data folder is kept there
too, so later starts skip the database set-up (about 70 s the first time, under 10 s
after). When the install fails (no package index), the tests are skipped with the reason.

The server is bound to 127.0.0.1 on a free port, with no calls home (see
shared/docs/clients.md), and stopped at the end.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_export import french_only, sample_document, write_tei_files

from pipeline import export as ex

pytestmark = pytest.mark.slow

LS_VERSION = "1.23.2"
INSTALL_TIMEOUT = 1200  # s, pip install label-studio (about 3 min on a warm index)
START_TIMEOUT = 300  # s, until /health answers (about 70 s on an empty data folder)
REQUEST_TIMEOUT = 60  # s, one API call
USER, PASSWORD, TOKEN = "newscorpus@example.com", "newscorpus-test-pw", "newscorpus-test-token"


def cache_dir() -> Path:
    if os.environ.get("NEWSCORPUS_CACHE"):
        return Path(os.environ["NEWSCORPUS_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "newscorpus"


def _log(message: str) -> None:
    print(f"[labelstudio] {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@pytest.fixture(scope="module")
def ls_venv() -> Path:
    """Label Studio's own virtual environment: made once, reused while complete."""
    venv = cache_dir() / f"ls-venv-{LS_VERSION}"
    done = venv / ".complete"
    with _locked(cache_dir() / "ls-venv.lock"):
        if done.is_file():
            return venv
        shutil.rmtree(venv, ignore_errors=True)  # an interrupted install
        t0 = time.monotonic()
        try:
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True,
                           capture_output=True, timeout=300)
            pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q",
                   "--disable-pip-version-check"]
            proc = subprocess.run([*pip, f"label-studio=={LS_VERSION}"], capture_output=True,
                                  text=True, timeout=INSTALL_TIMEOUT)
        except (subprocess.SubprocessError, OSError) as exc:
            shutil.rmtree(venv, ignore_errors=True)
            pytest.skip(f"cannot install label-studio {LS_VERSION}: {exc}")
        if proc.returncode != 0:
            shutil.rmtree(venv, ignore_errors=True)
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            pytest.skip(f"cannot install label-studio {LS_VERSION} with pip: {' / '.join(tail)}")
        done.write_text(LS_VERSION + "\n", encoding="utf-8")
        _log(f"installed label-studio {LS_VERSION} in {time.monotonic() - t0:.0f} s")
    return venv


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("ls-export")
    paths = write_tei_files(base / "tei", [sample_document(), french_only()])
    result = ex.export(paths, "labelstudio", "both", base / "out")
    assert result.ok, result.failed
    return base / "out" / "labelstudio"


def _tasks(folder: Path) -> list[dict]:
    return [t for f in sorted(folder.glob("*.json"))
            for t in json.loads(f.read_text(encoding="utf-8"))]


def test_sdk_validates_config_and_predictions(ls_venv: Path, exported: Path) -> None:
    """label-studio-sdk's LabelInterface (installed with label-studio) accepts the config
    and every prediction region."""
    script = r"""
import json, sys
from pathlib import Path
from label_studio_sdk.label_interface import LabelInterface
folder = Path(sys.argv[1])
li = LabelInterface((folder / "config.xml").read_text(encoding="utf-8"))
li.validate()
report = {"labels": sorted(li.get_control("label").labels), "errors": [], "regions": 0}
for f in sorted(folder.glob("*.json")):
    for task in json.loads(f.read_text(encoding="utf-8")):
        for obj in li.objects:
            assert task["data"].get(obj.value_name) is not None, obj.value_name
        for pred in task["predictions"]:
            report["errors"] += li.validate_prediction(pred, return_errors=True)
            report["regions"] += len(pred["result"])
print(json.dumps(report))
"""
    for lang in ("fr", "en"):
        proc = subprocess.run([str(ls_venv / "bin" / "python"), "-c", script,
                               str(exported / lang)], capture_output=True, text=True,
                              timeout=300)
        assert proc.returncode == 0, proc.stderr[-3000:]
        report = json.loads(proc.stdout.strip().splitlines()[-1])
        assert report["errors"] == []
        assert report["labels"] == sorted(["PER", "LOC", "ORG", "MISC"])
        assert report["regions"] == sum(len(t["predictions"][0]["result"])
                                        for t in _tasks(exported / lang)) > 0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: no proxy


def _call(url: str, method: str = "GET", body: object = None, token: str | None = None
          ) -> object:
    data = json.dumps(body).encode("utf-8") if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Token {token}")
    with _OPENER.open(req, timeout=REQUEST_TIMEOUT) as resp:
        raw = resp.read()
    return json.loads(raw) if raw else None


def _tail(path: Path, n: int = 40) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-n:])
    except OSError:
        return "(no log)"


@pytest.fixture(scope="module")
def server(ls_venv: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = cache_dir() / f"ls-data-{LS_VERSION}"
    data.mkdir(parents=True, exist_ok=True)
    log = tmp_path_factory.mktemp("ls-log") / "label-studio.log"
    port = _free_port()
    env = {**os.environ, "LABEL_STUDIO_BASE_DATA_DIR": str(data),
           "LATEST_VERSION_CHECK": "false", "SENTRY_DSN": "", "FRONTEND_SENTRY_DSN": "",
           "COLLECT_ANALYTICS": "false", "LABEL_STUDIO_USERNAME": USER,
           "LABEL_STUDIO_PASSWORD": PASSWORD, "LABEL_STUDIO_USER_TOKEN": TOKEN,
           "PYTHONUNBUFFERED": "1"}
    cmd = [str(ls_venv / "bin" / "label-studio"), "start", "--no-browser",
           "--internal-host", "127.0.0.1", "--port", str(port), "--data-dir", str(data),
           "--enable-legacy-api-token"]
    url = f"http://127.0.0.1:{port}"
    t0 = time.monotonic()
    with open(log, "wb") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"label-studio exited with {proc.returncode}:\n{_tail(log)}")
            if time.monotonic() - t0 > START_TIMEOUT:
                pytest.fail(f"label-studio not up after {START_TIMEOUT} s:\n{_tail(log)}")
            try:
                if _call(f"{url}/health") == {"status": "UP"}:
                    break
            except (urllib.error.URLError, OSError, ValueError):
                pass
            time.sleep(1)
        _log(f"server up on port {port} in {time.monotonic() - t0:.0f} s")
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


def _strip_ids(region: dict) -> dict:
    return {k: v for k, v in region.items() if k != "id"}


def test_server_imports_tasks_with_predictions(server: str, exported: Path) -> None:
    t0 = time.monotonic()
    for lang in ("fr", "en"):
        config = (exported / lang / "config.xml").read_text(encoding="utf-8")
        tasks = _tasks(exported / lang)
        project = _call(f"{server}/api/projects", "POST",
                        {"title": f"newscorpus export test ({lang})", "label_config": config},
                        TOKEN)
        pid = project["id"]
        try:
            answer = _call(f"{server}/api/projects/{pid}/import", "POST", tasks, TOKEN)
            assert answer["task_count"] == len(tasks)
            assert answer["prediction_count"] == len(tasks)
            got = _call(f"{server}/api/tasks?project={pid}&fields=all&page_size=1000",
                        token=TOKEN)
            got = got["tasks"] if isinstance(got, dict) else got
            assert len(got) == len(tasks)
            by_doc = {t["data"]["doc_id"]: t for t in got}
            for task in tasks:
                back = by_doc[task["data"]["doc_id"]]
                assert back["data"] == task["data"]
                (pred,) = back["predictions"]
                (sent,) = task["predictions"]
                assert pred["model_version"] == sent["model_version"]
                assert [_strip_ids(r) for r in pred["result"]] == \
                    [_strip_ids(r) for r in sent["result"]]
                assert [r["id"] for r in pred["result"]] == [r["id"] for r in sent["result"]]
                text = back["data"]["text"]
                for region in pred["result"]:
                    value = region["value"]
                    assert text[value["start"]:value["end"]] == value["text"]
                # the other reading path: predictions of the task
                preds = _call(f"{server}/api/predictions?task={back['id']}", token=TOKEN)
                assert [p["result"] for p in preds] == [pred["result"]]
        finally:
            with contextlib.suppress(urllib.error.URLError, OSError):
                _call(f"{server}/api/projects/{pid}", "DELETE", token=TOKEN)
    _log(f"project, import and read-back in {time.monotonic() - t0:.1f} s")

