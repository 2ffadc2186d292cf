"""Planning a run: find the inputs, list their documents with ids, tell what is up to date.

An output is up to date when its input (bytes, and what changes how they are read), the code
and rules, the selected stages, the engines' fingerprints and the run's date are those the
manifest recorded for it and its file is still the one written: it is then skipped without
loading any model.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pipeline import __version__
from pipeline.errors import ConfigError
from pipeline.ingest import sidecar
from pipeline.ingest.files import relative_paths, relative_to_root, scan
from pipeline.ingest.units import Options, Unit, describe_inputs
from pipeline.ingest.units import plan as plan_units
from pipeline.run.faults import hand_edited, move_edited_aside
from pipeline.run.folder import source_records
from pipeline.run.manifest import Manifest
from pipeline.run.report import DocResult
from pipeline.run.settings import Settings

PACKAGE_DIR = Path(__file__).parent.parent


@dataclass(frozen=True)
class WorkItem:
    """One document to make: its unit (file, record), id, output path and input state."""

    path: str
    id: str
    out: str
    duplicate_of: str | None = None
    unit: Unit | None = None  # which document of the file, its format
    state: str = ""  # the input's cache key (Unit.state)
    rel: str = ""  # the path the TEI records: relative to the input root (run/folder.py)


@dataclass
class Plan:
    units: list[Unit]
    options: Options
    tei_dir: Path
    todo: list[WorkItem] = field(default_factory=list)
    skipped: dict[str, DocResult] = field(default_factory=dict)
    states: dict[str, str] = field(default_factory=dict)
    sources: dict[str, dict[str, str]] = field(default_factory=dict)  # run/folder.py
    skipped_inputs: list[dict[str, str]] = field(default_factory=list)
    inputs: list[dict[str, Any]] = field(default_factory=list)


def code_fingerprint() -> str:
    """Hash of the package's code and data: a change of rules or code makes outputs stale."""
    h = hashlib.sha256(__version__.encode())
    for f in sorted(PACKAGE_DIR.rglob("*")):
        if f.is_file() and f.suffix in (".py", ".toml") and "__pycache__" not in f.parts:
            h.update(f.relative_to(PACKAGE_DIR).as_posix().encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def config_fingerprint(settings: Settings, engines: dict[str, str]) -> str:
    """``engines``: key -> fingerprint of the chosen engines."""
    data = {
        "code": code_fingerprint(),
        "stages": list(settings.stages),
        "engines": dict(sorted(engines.items())),
        "epoch": settings.environment.source_date_epoch,
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def sha256_file(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def ingest_options(settings: Settings) -> Options:
    """How inputs are read: JSON field names and the sidecar metadata tables."""
    tables = sidecar.tables_for(settings.inputs, settings.metadata)
    return Options(settings.json_fields, tuple(str(t) for t in tables))


def make_plan(settings: Settings, tei_dir: Path, manifest: Manifest, config: str,
              notes: list[str] | None = None) -> Plan:
    """Every document, in order: to do, or skipped as up to date (ConfigError: none found).

    A TEI file whose bytes differ from what the manifest recorded (edited by hand) is kept
    aside as ``<name>.edited-<time>`` with a warning in ``notes``, then regenerated.
    """
    found = scan(settings.inputs, settings.follow_symlinks)
    if not found.paths:
        raise ConfigError("no input files found")
    options = ingest_options(settings)
    paths = found.paths
    rels = relative_paths(paths)  # spelling-independent: labels, cache keys
    units, summaries = plan_units(paths, options)  # one per file, WARC or JSON record
    units = [replace(u, label=rels[Path(u.path)] + u.label[len(u.path):]) for u in units]
    for summary in summaries:
        summary.file = rels.get(Path(summary.file), summary.file)
    plan = Plan(units, options, tei_dir,
                skipped_inputs=[{"path": relative_to_root(p, paths), "reason": why}
                                for p, why in found.skipped],
                inputs=describe_inputs(summaries), sources=source_records(units))
    seen_hashes: dict[str, str] = {}
    for unit in units:
        out_path = tei_dir / f"{unit.id}.xml"
        if out_path.parent != tei_dir or not unit.id.startswith("art-"):  # ids are slugs
            raise ConfigError(f"internal: id {unit.id!r} would leave {tei_dir}")
        digest = unit.sha256  # streamed: bounded memory whatever the file's size
        state = plan.states[unit.id] = unit.state(options)
        dup = seen_hashes.setdefault(digest, unit.id) if digest and not unit.error else None
        item = WorkItem(unit.path, unit.id, str(out_path), dup if dup != unit.id else None,
                        unit, state, rels[Path(unit.path)])
        entry = manifest.entry(unit.id)
        if hand_edited(entry, sha256_file(out_path)):
            move_edited_aside(out_path, notes if notes is not None else [])
        skipped = _up_to_date(item, unit, entry, config, settings.force)
        if skipped is not None:
            plan.skipped[unit.id] = skipped
        else:
            plan.todo.append(item)
    return plan


def _up_to_date(item: WorkItem, unit: Unit, entry: dict[str, Any], config: str,
                force: bool) -> DocResult | None:
    """The skipped document's result, from the manifest, when its output is up to date."""
    fresh = (
        not force
        and entry.get("input") == item.state
        and entry.get("config") == config
        and entry.get("file") == unit.label
        and entry.get("status") == "ok"
        and sha256_file(Path(item.out)) == entry.get("output")
    )
    if not fresh:
        return None
    return DocResult(item.id, unit.label, "skipped", output=item.out,
                     output_sha256=entry["output"], input_sha256=unit.sha256,
                     notes=entry.get("notes", []), engines=entry.get("engines", []),
                     applications=entry.get("applications", []))
