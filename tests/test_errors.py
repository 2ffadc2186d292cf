"""Codes of notes and document errors are an enum: a typo is an error where it is made."""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest

from pipeline.document import Note
from pipeline.errors import CODES, Code, ConfigError, DocumentError


def test_a_typo_in_a_code_is_an_error() -> None:
    with pytest.raises(ValueError, match="not-translatd"):
        Note("not-translatd", "kept as it is")
    with pytest.raises(ValueError, match="too-larg"):
        DocumentError("big", "too-larg")


def test_codes_are_plain_strings_in_reports() -> None:
    note = Note("duplicate", "same bytes as art-a")
    assert note.code is Code.DUPLICATE and note.code == "duplicate"
    assert json.loads(json.dumps(asdict(note))) == {"code": "duplicate",
                                                    "message": "same bytes as art-a"}
    assert DocumentError("x").code == "document-error" and ConfigError("x").code == "config-error"
    assert DocumentError("x", "empty").code is Code.EMPTY


def test_every_documented_code_is_a_code() -> None:
    assert set(CODES) <= {c.value for c in Code}
