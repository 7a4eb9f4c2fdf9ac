"""reportgen: a two-dimension composite index of leading tech cities, published as PDF.

From a notebook::

    from reportgen import load_dataset, load_edition, compute_edition
    result = compute_edition(load_dataset(Path("data")), load_edition(Path("data/edition.yaml")))
    result.scores.sort_values("Overall", ascending=False)
"""

from reportgen.config import Edition, load_edition
from reportgen.data.load import Dataset, load_dataset
from reportgen.errors import InputError, Problem, ReportgenError
from reportgen.index import Build, IndexData, IndexResult, run
from reportgen.pipeline import EditionResult, compute_edition

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
