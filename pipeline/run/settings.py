"""What a run is asked to do: the settings, and the environment read once at start.

Both are plain, picklable values: the driver makes them once (the command line) and hands
them to every worker, whichever executor runs the work.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.engines.registry import EnginePaths
from pipeline.stages.table import USER_STAGES


@dataclass(frozen=True)
class RunEnvironment:
    """The environment variables the pipeline reads, read once (:meth:`from_os`)."""

    #: The only clock in the output (byte-identical reruns); "" when unset.
    source_date_epoch: str = ""
    #: DASK_SCHEDULER_ADDRESS: the cluster ``--executor dask`` uses when --scheduler is not
    #: given ("" : a LocalCluster on this machine).
    dask_scheduler: str = ""
    #: Where Argos packages are (ARGOS_PACKAGES_DIR, argos's settings, XDG_DATA_HOME).
    argos_packages: Path | None = None

    @classmethod
    def from_os(cls, environ: Mapping[str, str] | None = None) -> RunEnvironment:
        """Read the variables now (the engines' folders as their own rules find them)."""
        from pipeline.engines import argos

        env = os.environ if environ is None else environ
        return cls(source_date_epoch=env.get("SOURCE_DATE_EPOCH", "").strip(),
                   dask_scheduler=env.get("DASK_SCHEDULER_ADDRESS", "").strip(),
                   argos_packages=argos.default_packages_dir())

    def engine_paths(self) -> EnginePaths:
        return EnginePaths(self.argos_packages)

    def as_environ(self) -> dict[str, str]:
        """The variables, as the mapping RunInfo.from_environment reads."""
        return {"SOURCE_DATE_EPOCH": self.source_date_epoch} if self.source_date_epoch else {}


@dataclass
class Settings:
    inputs: list[str]
    output: Path
    stages: tuple[str, ...] = USER_STAGES
    mt: str = "auto"
    ner: str = "auto"
    fr_model: str | None = None
    en_model: str | None = None
    force: bool = False
    jobs: int = 0  # 0: decide from the amount of work
    chunk_size: int = 32
    verbosity: int = 0  # -1 quiet, 0 normal, 1 verbose
    cache_dir: Path | None = None  # default: OUTPUT/.cache
    follow_symlinks: bool = False  # read links in input folders that point outside them
    json_fields: str = ""  # --json-fields text=body,url=link
    metadata: Path | None = None  # --metadata FILE.csv (default: metadata.csv in an input folder)
    prune: bool = False  # drop articles of earlier runs whose input file is gone
    executor: str = "local"  # local (processes here) | dask (pipeline/run/dask_executor.py)
    scheduler: str = ""  # --scheduler tcp://HOST:PORT (default: the environment's, else local)
    chunk_timeout: float = 900.0  # seconds a chunk may take on a Dask worker before it fails
    environment: RunEnvironment = field(default_factory=RunEnvironment.from_os)

    @property
    def scheduler_address(self) -> str:
        """The Dask scheduler to use: --scheduler, else DASK_SCHEDULER_ADDRESS, else ""."""
        return self.scheduler or self.environment.dask_scheduler

    @property
    def cache_root(self) -> Path:
        return self.cache_dir or self.output / ".cache"

    def engine_key(self) -> tuple[object, ...]:
        """What decides the engines: runs with equal keys share them in a process."""
        return (tuple(self.stages), self.mt, self.ner, self.fr_model, self.en_model,
                self.environment.engine_paths())
