"""The one palette and type scale shared by charts, the annual report and the briefs."""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

# Okabe & Ito (2008) colour-blind-safe palette; each colour keeps one meaning everywhere.
TDP_COLOUR: Final = "#0072B2"  # blue: Technology Development Potential
ECC_COLOUR: Final = "#009E73"  # bluish green: Ecosystem Co-Benefit Capacity
OVERALL_COLOUR: Final = "#1F2A44"  # ink navy: overall score, titles
HIGHLIGHT_COLOUR: Final = "#D55E00"  # vermillion: the city a page is about
MUTED_COLOUR: Final = "#9AA3AE"  # grey: everyone else
GRID_COLOUR: Final = "#E3E6EA"
MUTED_TINT: Final = "#C9D3DF"  # light fill behind dots (ranking bars)
TEXT_COLOUR: Final = "#1B1F24"
SUBTLE_TEXT_COLOUR: Final = "#5B6573"

# Stage colours in the order stages are declared (up to six stages).
STAGE_COLOURS: Final = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#F0E442")

# Sequential scale for heatmaps (light to dark blue), readable in greyscale too.
SEQUENTIAL_SCHEME: Final = "blues"
DIVERGING_SCHEME: Final = "blueorange"

BODY_FONT: Final = "Source Sans Pro"
HEADING_FONT: Final = "Source Serif Pro"
CJK_FONT_FAMILIES: Final = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
)

CSS_VARIABLES: Final = MappingProxyType(
    {
        "--tdp": TDP_COLOUR,
        "--ecc": ECC_COLOUR,
        "--overall": OVERALL_COLOUR,
        "--highlight": HIGHLIGHT_COLOUR,
        "--muted": MUTED_COLOUR,
        "--grid": GRID_COLOUR,
        "--text": TEXT_COLOUR,
        "--subtle": SUBTLE_TEXT_COLOUR,
        **{f"--stage-{i + 1}": colour for i, colour in enumerate(STAGE_COLOURS)},
    }
)


def stage_colour(position: int) -> str:
    """Colour of the stage declared at ``position`` (0-based)."""
    return STAGE_COLOURS[position % len(STAGE_COLOURS)]


def css_root_block() -> str:
    """CSS custom properties so the stylesheet uses the same colours as the charts."""
    body = "".join(f"{name}:{value};" for name, value in CSS_VARIABLES.items())
    return f":root{{{body}}}"
