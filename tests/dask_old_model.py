"""Dask worker preload (tests/test_dask_executor.py): this worker's French model is another
build than the driver's, as on a node where someone installed a different version.

Loaded with ``dask worker --preload tests/dask_old_model.py``; it changes what the worker's
engine resolution reports (the fingerprint), nothing else.
"""

from __future__ import annotations

from dataclasses import replace

from pipeline.run import context
from pipeline.run.context import ChosenEngines
from pipeline.run.settings import Settings

#: The real resolution (dask may import a preload file twice: patch once).
_resolve = getattr(context.resolve_engines, "original", context.resolve_engines)


def _other_build(settings: Settings) -> ChosenEngines:
    chosen = _resolve(settings)
    if chosen.has("nlp-fr"):
        spec = chosen.annotators["nlp-fr"]
        other = replace(spec, fingerprint=spec.fingerprint + "+other-build")
        chosen = replace(chosen, annotators={**chosen.annotators, "nlp-fr": other})
    return chosen


_other_build.original = _resolve  # type: ignore[attr-defined]
context.resolve_engines = _other_build
