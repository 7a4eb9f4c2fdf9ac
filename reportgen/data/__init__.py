"""Reading and checking the input files (load, validate) and the panel of one edition year."""

from reportgen.data.citation import Citation, citation, observation_citations
from reportgen.data.coverage import coverage, data_years
from reportgen.data.load import Dataset, load_dataset
from reportgen.data.panel import Panel, make_panel
from reportgen.data.shared import SHARED_MODES, apply_shared_values

__all__ = [
    "SHARED_MODES",
    "Citation",
    "Dataset",
    "Panel",
    "apply_shared_values",
    "citation",
    "coverage",
    "data_years",
    "load_dataset",
    "make_panel",
    "observation_citations",
]
