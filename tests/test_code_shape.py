"""The shape of the code: no function in the package is over 60 lines (the developers' guide;
long functions were where the runner hid its stage order). Measured on the syntax tree, from
the ``def`` line (decorators excluded) to the function's last line, docstring included."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "pipeline"
MAX_LINES = 60


def function_lengths(root: Path) -> list[tuple[str, int]]:
    """(file:line name, length) of every function and method under ``root``."""
    found = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                where = f"{path.relative_to(root.parent)}:{node.lineno} {node.name}"
                found.append((where, length))
    return found


def test_no_function_is_over_sixty_lines() -> None:
    lengths = function_lengths(PACKAGE)
    assert len(lengths) > 500  # the whole package was read
    long = [f"{where} ({n} lines)" for where, n in lengths if n > MAX_LINES]
    assert not long, "functions over 60 lines: " + ", ".join(long)


def test_the_measure_counts_lines_of_a_function(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    body = "\n".join(f"    x{i} = {i}" for i in range(61))
    (pkg / "m.py").write_text(f"def long():\n{body}\n\n\ndef short():\n    return 1\n")
    assert function_lengths(pkg) == [("pkg/m.py:1 long", 62), ("pkg/m.py:65 short", 2)]
