"""reportgen: a two-dimension composite index of leading tech cities, published as PDF.

From a notebook::

    from reportgen import load_dataset, load_edition, compute_edition
    result = compute_edition(load_dataset(Path("data")), load_edition(Path("data/edition.yaml")))
    result.scores.sort_values("Overall", ascending=False)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reportgen.config import Edition, load_edition
    from reportgen.data.load import Dataset, load_dataset
    from reportgen.errors import InputError, Problem, ReportgenError
    from reportgen.index import Build, IndexData, IndexResult, run
    from reportgen.pipeline import EditionResult, compute_edition

# Imported on first use, so that `reportgen --help` does not load pandas and the engine.
_HOMES = {
    "Edition": "reportgen.config",
    "load_edition": "reportgen.config",
    "Dataset": "reportgen.data.load",
    "load_dataset": "reportgen.data.load",
    "InputError": "reportgen.errors",
    "Problem": "reportgen.errors",
    "ReportgenError": "reportgen.errors",
    "Build": "reportgen.index",
    "IndexData": "reportgen.index",
    "IndexResult": "reportgen.index",
    "run": "reportgen.index",
    "EditionResult": "reportgen.pipeline",
    "compute_edition": "reportgen.pipeline",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'reportgen' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)


__all__ = [
    "Build",
    "Dataset",
    "Edition",
    "EditionResult",
    "IndexData",
    "IndexResult",
    "InputError",
    "Problem",
    "ReportgenError",
    "compute_edition",
    "load_dataset",
    "load_edition",
    "run",
]
