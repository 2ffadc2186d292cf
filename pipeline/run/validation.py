"""The validate step: tei_all and cross-file checks over what the run leaves.

Articles validated before and unchanged since are not schema-checked again (their ids are
still compared); nothing is validated again when no output changed.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from pipeline.run.manifest import Manifest
from pipeline.run.report import DocResult


def validate_outputs(ordered: list[DocResult], good: list[Path], corpus_path: Path,
                     manifest: Manifest, changed: bool) -> tuple[dict[str, Any], float | None]:
    """The validation record (kept in the manifest) and the seconds spent (None: reused)."""
    validation: dict[str, Any] = manifest.get("validation", {})
    state = hashlib.sha256("".join(sorted(
        (r.output_sha256 or "") for r in ordered)).encode()).hexdigest()
    if not changed and validation.get("state") == state:
        return validation, None
    from pipeline.tei.validate import validate

    t0 = time.perf_counter()
    shas = {r.output: r.output_sha256 for r in ordered if r.output}
    before: dict[str, str] = manifest.get("valid_files", {})
    known = [p for p in good if before.get(str(p)) == shas.get(str(p))]
    fresh = [p for p in good if p not in known]
    problems = validate(fresh + ([corpus_path] if corpus_path.exists() else []),
                        known_valid=known)
    seconds = round(time.perf_counter() - t0, 4)
    bad = {p.path for p in problems}
    manifest.set("valid_files", {str(p): shas[str(p)] for p in good
                                 if str(p) not in bad and shas.get(str(p))})
    validation = {"state": state, "files": len(good) + 1, "schema_checked": len(fresh) + 1,
                  "problems": [asdict(p) for p in problems]}
    return validation, seconds
