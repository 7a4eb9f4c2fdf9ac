"""Reading and checking the input files (load, validate) and the panel of one edition year."""

from reportgen.data.load import Dataset, load_dataset
from reportgen.data.panel import Panel, make_panel

__all__ = ["Dataset", "Panel", "load_dataset", "make_panel"]
