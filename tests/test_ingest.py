"""Odd inputs are named, never silent (issue 16): links leaving the input folder, special
files, hidden names, a FIFO named directly, and UTF-8 with a few bad sequences."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.errors import ConfigError
from pipeline.ingest import files as ingest
from pipeline.ingest.files import input_root, relative_paths

TEXT = ("Le président de la République a annoncé jeudi une réforme des retraites, "
        "selon un communiqué publié à Paris.\n\nLes syndicats ont appelé à manifester.\n")


def _folder(tmp_path: Path) -> Path:
    inp = tmp_path / "in"
    inp.mkdir()
    (inp / "a.txt").write_text(TEXT, encoding="utf-8")
    (inp / "link.txt").symlink_to("/etc/passwd")
    (inp / "inside.txt").symlink_to(inp / "a.txt")
    (inp / "zero.txt").symlink_to("/dev/zero")
    os.mkfifo(inp / "pipe.txt")
    (inp / "..txt").write_text(TEXT, encoding="utf-8")
    (inp / "..\\..\\evil.txt").write_text(TEXT, encoding="utf-8")
    (inp / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    return inp


def test_folder_entries_not_read_are_listed_with_a_reason(tmp_path: Path) -> None:
    inp = _folder(tmp_path)
    found = ingest.scan([str(inp)])
    assert [p.name for p in found.paths] == ["a.txt"]  # inside.txt is the same file
    why = {Path(p).name: reason for p, reason in found.skipped}
    assert "outside the input folder" in why["link.txt"] and "/etc/passwd" in why["link.txt"]
    assert "--follow-symlinks" in why["link.txt"]
    assert "character device" in why["zero.txt"]
    assert "FIFO" in why["pipe.txt"]
    assert "hidden" in why["..txt"] and "hidden" in why["..\\..\\evil.txt"]
    assert "not a text file" in why["photo.jpg"]
    followed = ingest.scan([str(inp)], follow_symlinks=True)
    assert [p.name for p in followed.paths] == ["a.txt", "link.txt"]
    assert "zero.txt" in {Path(p).name for p, _ in followed.skipped}  # never a device


def test_a_fifo_or_device_named_directly_is_not_a_regular_file(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    with pytest.raises(ConfigError, match=r"not a regular file \(FIFO\)"):
        ingest.scan([str(fifo)])
    with pytest.raises(ConfigError, match=r"not a regular file \(character device\)"):
        ingest.scan(["/dev/zero"])
    with pytest.raises(ConfigError, match="input not found"):
        ingest.scan([str(tmp_path / "missing.txt")])


def test_skipped_inputs_reach_the_report_and_the_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    inp = _folder(tmp_path)
    out = tmp_path / "out"
    code = main(["run", str(inp), "-o", str(out), "--stages", "clean,tei,corpus"])
    assert code == 0
    err = capsys.readouterr().err
    assert "skipped input" in err and "link.txt" in err
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    skipped = {Path(s["path"]).name for s in report["skipped_inputs"]}
    assert {"link.txt", "zero.txt", "pipe.txt", "..txt"} <= skipped
    assert b"root:" not in b"".join(p.read_bytes() for p in (out / "tei").iterdir())
    fifo = tmp_path / "direct.txt"
    os.mkfifo(fifo)
    assert main(["run", str(fifo), "-o", str(tmp_path / "o2"), "--stages", "clean"]) == 2
    assert "not a regular file (FIFO)" in capsys.readouterr().err


def _cesu8(ch: str) -> bytes:
    """A character beyond the BMP as CESU-8 writes it: two encoded surrogates."""
    units = ch.encode("utf-16-be")
    return b"".join(chr(int.from_bytes(units[i:i + 2])).encode("utf-8", "surrogatepass")
                    for i in (0, 2))


def test_one_cesu8_emoji_does_not_flip_a_utf8_file_into_cp1252() -> None:
    data = TEXT.encode() + _cesu8("\U0001F600") + b" fin.\n"
    text, encoding, how = ingest.decode(data)
    assert encoding == "utf-8" and "président" in text and "Ã" not in text
    assert "2 invalid byte sequence(s) replaced by U+FFFD" in how  # one per surrogate
    assert text.count("\ufffd") == 2
    no_accent = b"Hello " + _cesu8("\U0001F600") + b" world"
    assert ingest.decode(no_accent)[1] == "utf-8"


def test_legacy_text_is_still_read_as_legacy() -> None:
    fr = "Le ministère a déclaré jeudi qu’il était « prêt » à négocier."
    assert ingest.decode(fr.encode("cp1252"))[:2] == (fr, "cp1252")
    assert ingest.decode("été à Noël".encode("latin-1"))[1] == "iso-8859-1"


def test_input_root_and_relative_paths(tmp_path: Path) -> None:
    (tmp_path / "a" / "x").mkdir(parents=True)
    (tmp_path / "b").mkdir()
    files = [tmp_path / "a" / "x" / "1.txt", tmp_path / "b" / "2.txt"]
    assert input_root(files) == tmp_path.resolve()
    assert relative_paths(files) == {files[0]: "a/x/1.txt", files[1]: "b/2.txt"}
    os.symlink(tmp_path / "a" / "x" / "1.txt", tmp_path / "b" / "alias.txt")
    link = tmp_path / "b" / "alias.txt"  # a symlinked file keeps its own name
    assert relative_paths([link]) == {link: "alias.txt"}
