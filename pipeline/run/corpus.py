"""The corpus step: ``corpus.xml``, the teiCorpus that includes every article of tei/.

Runs into one folder accumulate (pipeline/run/folder.py): the corpus lists this run's good
articles and the ones kept from earlier runs, by file name.
"""

from __future__ import annotations

import time
from pathlib import Path

from pipeline.document import Application
from pipeline.run.manifest import Manifest
from pipeline.run.report import DocResult
from pipeline.tei import codec as tei

GOOD = ("ok", "skipped", "kept")


def _listed(r: DocResult) -> bool:
    """In the corpus: a good article, or one that failed by the pipeline's fault (an
    internal error) and keeps the output an earlier run made (pipeline/run/faults.py)."""
    return bool(r.output) and (r.status in GOOD or r.status == "failed")


def good_outputs(ordered: list[DocResult]) -> list[Path]:
    return sorted((Path(r.output) for r in ordered if r.output and _listed(r)),
                  key=lambda p: p.name)


def corpus_changed(manifest: Manifest, corpus_path: Path, good: list[Path],
                   anything_done: bool) -> bool:
    """Whether the corpus root must be written again (new documents, new set of files)."""
    return (anything_done or not corpus_path.exists()
            or manifest.get("corpus_inputs", None) != [p.name for p in good])


def write_corpus(ordered: list[DocResult], good: list[Path], corpus_path: Path,
                 run: tei.RunInfo, manifest: Manifest) -> float:
    """Write corpus.xml (atomic) with the applications of the good articles; seconds spent."""
    t0 = time.perf_counter()
    # In the corpus's order (the files' names), not the run's: the same tei/ gives the
    # same corpus whichever batch came last.
    listed = sorted((r for r in ordered if _listed(r)),
                    key=lambda r: Path(r.output or "").name)
    apps = [Application(**a) for r in listed for a in r.applications]
    tei.write_corpus(good, corpus_path, run=run, apps=apps)
    manifest.set("corpus_inputs", [p.name for p in good])
    return round(time.perf_counter() - t0, 4)


def remove_corpus(corpus_path: Path, manifest: Manifest) -> None:
    """Every article was pruned: no corpus lists them."""
    corpus_path.unlink()
    manifest.data.pop("corpus_inputs", None)
