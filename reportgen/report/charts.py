"""Altair chart builders (pure: frames in, chart out) and the one SVG exporter."""

from __future__ import annotations

import functools
import hashlib
import json
import math
import threading
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, cast

import altair as alt
import numpy as np
import pandas as pd
from altair.utils.schemapi import debug_mode

from reportgen.report import theme
from reportgen.report.i18n import ENGLISH, Translator, chart_font_directories

# Chart sizes in CSS px at 96 dpi: the A4 text block is about 170 mm = 640 px wide.
FULL_WIDTH = 600
HALF_WIDTH = 290


def chart_font(tr: Translator = ENGLISH) -> str:
    """The charts' font: the bundled Latin font, or the language's own (CJK fonts carry Latin)."""
    return tr.lang.body_fonts[0] if tr.lang.body_fonts else theme.BODY_FONT


def _config(chart: Any, tr: Translator = ENGLISH) -> Any:
    """House style: fonts, sizes and colours shared by every chart.

    Set in one assignment on the chart the builder has just made: Altair's chained
    ``configure_*`` calls rebuild (and re-check) the whole layered chart once per call, which
    was a third of a brief's chart-building time. The config objects are fixed code, checked
    against the Vega-Lite schema by the chart tests, so they skip Altair's per-object check.
    """
    font = chart_font(tr)
    with debug_mode(False):
        chart.config = alt.Config(
            font=font,
            background="white",
            padding=4,
            view=alt.ViewConfig(stroke=None),
            title=alt.TitleConfig(
                font=font,
                fontSize=12,
                fontWeight="bold",
                anchor="start",
                color=theme.TEXT_COLOUR,
                subtitleColor=theme.SUBTLE_TEXT_COLOUR,
                subtitleFontSize=9,
                offset=8,
            ),
            axis=alt.AxisConfig(
                labelFont=font,
                titleFont=font,
                labelFontSize=9,
                titleFontSize=9.5,
                titleFontWeight="normal",
                labelColor=theme.SUBTLE_TEXT_COLOUR,
                titleColor=theme.TEXT_COLOUR,
                gridColor=theme.GRID_COLOUR,
                domainColor=theme.MUTED_COLOUR,
                tickColor=theme.MUTED_COLOUR,
            ),
            legend=alt.LegendConfig(
                labelFont=font,
                titleFont=font,
                labelFontSize=9,
                titleFontSize=9,
                orient="bottom",
                direction="horizontal",
                symbolSize=60,
            ),
        )
    return chart


def _layered(layers: Sequence[Any], **properties: Any) -> Any:
    """``alt.layer(...).resolve_scale(...).properties(...)`` as one construction: Altair
    rebuilds (and deep-copies) a layered chart at each of those steps."""
    return alt.LayerChart(layer=list(layers), **properties)


_Builder = TypeVar("_Builder", bound=Callable[..., Any])


def _unchecked(builder: _Builder) -> _Builder:
    """Run a chart builder without Altair checking each object against the Vega-Lite schema as
    it is made (a jsonschema run per axis, scale or title). Builders are fixed code; the chart
    tests check every builder's whole spec against the schema instead. (The switch is
    Altair's, process-wide: builders running in two threads at once could leave it off, which
    only skips checks.)"""

    @functools.wraps(builder)
    def build(*args: Any, **kwargs: Any) -> Any:
        with debug_mode(False):
            return builder(*args, **kwargs)

    return cast(_Builder, build)


def inline_values(frame: pd.DataFrame) -> dict[str, Sequence[dict[str, Any]]]:
    """A frame as Vega-Lite inline data, ``{"values": records}``, the same records Altair's
    own conversion makes (NaN and infinities as null, numpy scalars as Python ones).

    Altair sanitises a copy of the frame column by column with pandas, which was half the time
    of turning a chart into its spec; this reads each column once. Anything unusual (extension
    dtypes, dates, non-string column names) goes through Altair's conversion unchanged.
    Inline values also skip Altair's 5,000-row guard for notebooks: a plane of 10,000 cities
    is a large chart, not an error.
    """
    simple = not isinstance(frame.columns, pd.MultiIndex)
    simple = simple and all(isinstance(name, str) for name in frame.columns)
    if not simple or not all(_plain_dtype(dtype) for dtype in frame.dtypes):
        return _altair_values(frame)
    names = list(frame.columns)
    columns = []
    for name in names:
        column = frame[name]
        values = column.tolist()
        if column.dtype.kind == "f":
            values = [v if math.isfinite(v) else None for v in values]
        elif column.dtype.kind == "O" or isinstance(column.dtype, pd.StringDtype):
            missing = column.isna().tolist()
            values = [
                None if gone else v.tolist() if isinstance(v, np.ndarray) else v
                for v, gone in zip(values, missing, strict=True)
            ]
        columns.append(values)
    records = [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]
    # A tuple, not a list: Altair deep-copies lists and dicts each time it rebuilds a layered
    # chart (three times per chart), but passes tuples by reference, and serialises them as
    # lists. ``chart_spec`` turns them back into lists. (A single empty row stays a list:
    # Altair names exactly ``[{}]`` "empty".)
    return {"values": records if records == [{}] else tuple(records)}


def _plain_dtype(dtype: Any) -> bool:
    """Numbers, booleans, Python objects and strings: what ``inline_values`` converts itself."""
    if isinstance(dtype, pd.StringDtype):
        return True
    return isinstance(dtype, np.dtype) and dtype.kind in "fiubO"


def _altair_values(frame: pd.DataFrame) -> dict[str, Sequence[dict[str, Any]]]:
    from altair.utils.data import to_values

    values: dict[str, Sequence[dict[str, Any]]] = to_values(frame)  # type: ignore[assignment]
    return values


def _chart(frame: pd.DataFrame) -> Any:
    """``alt.Chart`` over a frame's rows, converted once (see ``inline_values``)."""
    return alt.Chart(inline_values(frame))


@dataclass(frozen=True)
class StageRegion:
    """A rectangle of the plane belonging to one stage (scores 0-100)."""

    name: str
    colour: str
    x_low: float
    x_high: float
    y_low: float
    y_high: float


def _place_labels(
    points: pd.DataFrame,
    x_scale: tuple[float, float],
    y_scale: tuple[float, float],
    width: float,
    height: float,
    font_px: float = 8.5,
) -> pd.DataFrame:
    """Greedy label placement: try right, left, above, below each point, avoid earlier labels.

    Returns dx, dy (px) and text alignment per point so 30 names stay legible on one plane.
    """

    def to_px(x: float, y: float) -> tuple[float, float]:
        px = (x - x_scale[0]) / (x_scale[1] - x_scale[0]) * width
        py = height - (y - y_scale[0]) / (y_scale[1] - y_scale[0]) * height
        return px, py

    placed: list[tuple[float, float, float, float]] = []
    marks = [to_px(x, y) for x, y in zip(points["x"], points["y"], strict=True)]
    rows = []
    # Label the most crowded points first so they get the best positions.
    order = sorted(
        range(len(points)),
        key=lambda i: -sum(1 for m in marks if math.dist(m, marks[i]) < 40),
    )
    choice: dict[int, tuple[float, float, str]] = {}
    for i in order:
        label = str(points["label"].iloc[i])
        w = _text_width(label, font_px) + 2
        h = font_px + 2
        px, py = marks[i]
        candidates = [
            (6.0, 0.0, "left"),
            (-6.0, 0.0, "right"),
            (0.0, -9.0, "center"),
            (0.0, 10.0, "center"),
            (6.0, -8.0, "left"),
            (-6.0, -8.0, "right"),
            (6.0, 8.0, "left"),
            (-6.0, 8.0, "right"),
        ]
        best: tuple[float, tuple[float, float, str], tuple[float, float, float, float]] | None = (
            None
        )
        for dx, dy, align in candidates:
            x0 = px + dx if align == "left" else px + dx - w if align == "right" else px - w / 2
            box = (x0, py + dy - h / 2, x0 + w, py + dy + h / 2)
            overlap = sum(_overlap(box, other) for other in placed)
            overlap += sum(
                _overlap(box, (mx - 3, my - 3, mx + 3, my + 3))
                for j, (mx, my) in enumerate(marks)
                if j != i
            )
            outside = max(0.0, -box[0]) + max(0.0, box[2] - width) + max(0.0, -box[1])
            outside += max(0.0, box[3] - height)
            cost = overlap + 50 * outside
            if best is None or cost < best[0] - 1e-9:
                best = (cost, (dx, dy, align), box)
        assert best is not None
        placed.append(best[2])
        choice[i] = best[1]
    for i in range(len(points)):
        dx, dy, align = choice[i]
        rows.append({"dx": dx, "dy": dy, "align": align})
    return pd.DataFrame(rows, index=points.index, columns=["dx", "dy", "align"])


def _text_width(label: str, font_px: float) -> float:
    """Estimated width of a label: half an em per Latin letter, a full em per CJK character."""
    wide = sum(1 for c in label if unicodedata.east_asian_width(c) in ("W", "F"))
    return 0.5 * font_px * (len(label) - wide) + font_px * wide


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    return max(0.0, width) * max(0.0, height)


# Above this many cities the plane draws the others as counted cells, not dots. A brief's plane
# is 300 x 250 px, a dot about 7 px across: past 200 dots they overlap along the diagonal where
# the scores cluster, so a reader can no longer count them, and each dot is an SVG element
# WeasyPrint lays out (1,000 of them made a brief at 1,000 cities 1.4x slower than at 300).
# At or below it the dots are at most 200 elements, no more than a grid's 400 cells, so
# switching earlier would lose exact positions for nothing; 30 cities stay dots.
PLANE_DENSITY_ABOVE = 200
# Cell side in score points: axes run in steps of 10 (``_domain``), so cells of 5 split each
# tick interval in two and never straddle a tick; on the full 0-100 plane that is a 20 x 20 grid
# (at most 400 cells, whatever the number of cities), cells 13-15 px wide in a brief.
PLANE_CELL = 5.0


def plane_uses_density(n_cities: int) -> bool:
    """Whether a plane of this many cities draws them as counted cells (see ``plane_chart``)."""
    return n_cities > PLANE_DENSITY_ABOVE


def plane_density(
    points: pd.DataFrame,
    x_domain: tuple[float, float],
    y_domain: tuple[float, float],
    cell: float = PLANE_CELL,
) -> pd.DataFrame:
    """Cities per cell of a ``cell`` x ``cell`` grid over the plane: columns x, x2, y, y2
    (the cell's edges) and count, one row per cell holding at least one city.

    Cells are closed below and open above, ``[x, x2)``, so a city on an edge is counted once,
    in the cell above it; the last cell on each axis also holds the domain's upper end. A city
    without both scores is not on the plane and not counted (a dot would not be drawn either).
    """
    x = points["x"].to_numpy(dtype=float)
    y = points["y"].to_numpy(dtype=float)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    n_x = max(1, math.ceil((x_domain[1] - x_domain[0]) / cell - 1e-9))
    n_y = max(1, math.ceil((y_domain[1] - y_domain[0]) / cell - 1e-9))
    column = np.clip(np.floor((x - x_domain[0]) / cell), 0, n_x - 1).astype(int)
    row = np.clip(np.floor((y - y_domain[0]) / cell), 0, n_y - 1).astype(int)
    counts = np.bincount(column * n_y + row, minlength=n_x * n_y)
    occupied = np.flatnonzero(counts)
    x_low = x_domain[0] + (occupied // n_y) * cell
    y_low = y_domain[0] + (occupied % n_y) * cell
    return pd.DataFrame(
        {
            "x": x_low,
            "x2": np.minimum(x_low + cell, x_domain[1]),
            "y": y_low,
            "y2": np.minimum(y_low + cell, y_domain[1]),
            "count": counts[occupied],
        }
    )


def _density_layer(
    density: pd.DataFrame,
    x_domain: tuple[float, float],
    y_domain: tuple[float, float],
    tr: Translator,
    *,
    other: bool,
) -> Any:
    """The counted cells, light grey to mid grey from zero to the fullest cell, with a legend."""
    _ = tr.gettext
    most = int(density["count"].max()) if len(density) else 1
    return (
        _chart(density)
        .mark_rect(strokeWidth=0)
        .encode(
            x=alt.X("x:Q", scale=alt.Scale(domain=list(x_domain), nice=False)),
            x2=alt.X2("x2:Q"),
            y=alt.Y("y:Q", scale=alt.Scale(domain=list(y_domain), nice=False)),
            y2=alt.Y2("y2:Q"),
            # From zero, so a cell's shade is proportional to its count; the lightest shade is
            # still darker than the page, so a cell of one city shows.
            color=alt.Color(
                "count:Q",
                scale=alt.Scale(
                    domain=[0, most], range=[theme.GRID_COLOUR, theme.MUTED_COLOUR], nice=False
                ),
                legend=alt.Legend(
                    title=_("Other cities per cell") if other else _("Cities per cell"),
                    # Swatches, not a gradient bar: poppler-based viewers drop a gradient
                    # this small at screen resolutions (seen at 60-200 dpi).
                    type="symbol",
                    symbolType="square",
                    symbolStrokeWidth=0,
                    values=_legend_counts(most),
                    format="d",
                ),
            ),
        )
    )


def _legend_counts(most: int) -> list[int]:
    """Counts to show in the legend: one city (the lightest cell drawn, as an empty cell is not
    drawn at all), round steps, and the fullest cell's count, e.g. 1, 10, 20, 27."""
    step = next(
        step
        for step in (10**power * unit for power in range(12) for unit in (1, 2, 5))
        if most / step <= 3
    )
    middle = [k for k in range(step, most, step) if k > 1 and most - k >= step / 2]
    return sorted({1, *middle, most})


def _density_note(tr: Translator, *, other: bool) -> str:
    """What a shaded cell means, for the chart's subtitle."""
    _ = tr.gettext
    note = (
        _("Shaded cells: number of other cities in each {cell} × {cell}-point cell")
        if other
        else _("Shaded cells: number of cities in each {cell} × {cell}-point cell")
    )
    return note.format(cell=f"{PLANE_CELL:g}")


@_unchecked
def plane_chart(
    points: pd.DataFrame,
    *,
    x_threshold: float,
    y_threshold: float,
    x_title: str,
    y_title: str,
    regions: Sequence[StageRegion] = (),
    title: str = "Cities on the plane",
    subtitle: str = "",
    source: str = "",
    highlight: str | None = None,
    width: int = FULL_WIDTH,
    height: int = 430,
    label_all: bool = True,
    tr: Translator = ENGLISH,
) -> Any:
    """Scatter of cities by their two dimension scores with stage regions and threshold lines.

    ``points`` has columns city_id, label, x, y, stage (stage name). Above
    ``PLANE_DENSITY_ABOVE`` cities (``plane_uses_density``) the cities other than the
    highlighted one are drawn as shaded cells counting them (``plane_density``), not as dots,
    and only the highlighted city is named: the chart's size no longer grows with the cities.
    """
    data = points.copy()
    x_domain = _domain(data["x"], x_threshold)
    y_domain = _domain(data["y"], y_threshold)
    pad_x = (x_domain[1] - x_domain[0]) * 0.015
    pad_y = (y_domain[1] - y_domain[0]) * 0.03
    data["is_highlight"] = data["city_id"] == highlight if highlight else False
    density = None
    shown_alone = bool(data["is_highlight"].any())  # the cells count the *other* cities
    if plane_uses_density(len(data)):
        density = plane_density(data[~data["is_highlight"]], x_domain, y_domain)
        # Names a reader can tell apart do not survive 200+ cities on one plane (and placing
        # them is quadratic): only the highlighted city stays a dot, with its name.
        data = data[data["is_highlight"]]
        label_all = False
    if label_all or not highlight:
        placement = _place_labels(data, x_domain, y_domain, width, height)
    else:
        # Only the highlighted city is named: place its label, leave the others' text empty
        # (placement is quadratic in the number of labels, which matters at 1,000 cities).
        data = data.assign(label=data["label"].where(data["is_highlight"], ""))
        placement = pd.DataFrame({"dx": 6.0, "dy": 0.0, "align": "left"}, index=data.index)
        named = data[data["is_highlight"]]
        placement.loc[named.index] = _place_labels(named, x_domain, y_domain, width, height)
    data = pd.concat([data, placement], axis=1)

    x = alt.X(
        "x:Q",
        title=x_title,
        scale=alt.Scale(domain=list(x_domain), nice=False),
    )
    y = alt.Y(
        "y:Q",
        title=y_title,
        scale=alt.Scale(domain=list(y_domain), nice=False),
    )
    layers: list[Any] = []
    if regions:
        region_frame = pd.DataFrame(
            [
                {
                    "stage": r.name,
                    "x": max(r.x_low, x_domain[0]),
                    "x2": min(r.x_high, x_domain[1]),
                    "y": max(r.y_low, y_domain[0]),
                    "y2": min(r.y_high, y_domain[1]),
                    "colour": r.colour,
                    # Name each region in its outer corner, away from the crowded thresholds.
                    "lx": max(r.x_low, x_domain[0]) + pad_x
                    if r.x_low <= x_domain[0]
                    else min(r.x_high, x_domain[1]) - pad_x,
                    "ly": min(r.y_high, y_domain[1]) - pad_y
                    if r.y_high >= y_domain[1]
                    else max(r.y_low, y_domain[0]) + pad_y,
                    "align": "left" if r.x_low <= x_domain[0] else "right",
                }
                for r in regions
            ]
        )
        layers.append(
            _chart(region_frame)
            .mark_rect(opacity=0.07)
            .encode(
                x=alt.X("x:Q", scale=alt.Scale(domain=list(x_domain), nice=False)),
                x2=alt.X2("x2:Q"),  # typed: inline data cannot be inspected for a type
                y=alt.Y("y:Q", scale=alt.Scale(domain=list(y_domain), nice=False)),
                y2=alt.Y2("y2:Q"),
                color=alt.Color("colour:N", scale=None),
            )
        )
    if density is not None:
        # Over the stage tints, so a count has one shade in every region; under the names.
        layers.append(_density_layer(density, x_domain, y_domain, tr, other=shown_alone))
    if regions:
        for align in ("left", "right"):
            subset = region_frame[region_frame["align"] == align]
            if subset.empty:
                continue
            layers.append(
                _chart(subset)
                .mark_text(
                    align=align,
                    baseline="middle",
                    fontSize=9.5,
                    fontWeight="bold",
                )
                .encode(
                    x=alt.X("lx:Q"),
                    y=alt.Y("ly:Q"),
                    text=alt.Text("stage:N"),
                    color=alt.Color("colour:N", scale=None),
                )
            )
    rules = pd.DataFrame({"value": [x_threshold]})
    layers.append(
        _chart(rules)
        .mark_rule(strokeDash=[4, 3], color=theme.SUBTLE_TEXT_COLOUR, strokeWidth=0.8)
        .encode(x=alt.X("value:Q"))
    )
    rules_y = pd.DataFrame({"value": [y_threshold]})
    layers.append(
        _chart(rules_y)
        .mark_rule(strokeDash=[4, 3], color=theme.SUBTLE_TEXT_COLOUR, strokeWidth=0.8)
        .encode(y=alt.Y("value:Q"))
    )
    base = _chart(data)
    layers.append(
        base.mark_circle(size=46, opacity=0.95, stroke="white", strokeWidth=0.6).encode(
            x=x,
            y=y,
            color=alt.Color(
                "is_highlight:N",
                legend=None,
                scale=alt.Scale(
                    domain=[False, True], range=[theme.OVERALL_COLOUR, theme.HIGHLIGHT_COLOUR]
                ),
            ),
            size=alt.Size(
                "is_highlight:N",
                legend=None,
                scale=alt.Scale(domain=[False, True], range=[40, 110]),
            ),
        )
    )
    alignments: tuple[Literal["left", "right", "center"], ...] = ("left", "right", "center")
    # Text marks only for the names printed: an empty mark per unnamed city still becomes an
    # SVG element that WeasyPrint lays out (a thousand of them in a brief at 1,000 cities).
    named = data[data["label"].astype(str) != ""]
    for align in alignments:
        subset = named[named["align"] == align]
        for (dx, dy), group in subset.groupby(["dx", "dy"], sort=True):
            layers.append(
                _chart(group)
                .mark_text(
                    align=align,
                    baseline="middle",
                    dx=float(dx),
                    dy=float(dy),
                    fontSize=8.5,
                )
                .encode(
                    x=alt.X("x:Q"),
                    y=alt.Y("y:Q"),
                    text=alt.Text("label:N"),
                    color=alt.Color(
                        "is_highlight:N",
                        legend=None,
                        scale=alt.Scale(
                            domain=[False, True], range=[theme.TEXT_COLOUR, theme.HIGHLIGHT_COLOUR]
                        ),
                    ),
                )
            )
    subtitle_lines = _subtitle(subtitle, source, tr)
    if density is not None:
        subtitle_lines.insert(1 if subtitle else 0, _density_note(tr, other=shown_alone))
    chart = _layered(
        layers,
        resolve=alt.Resolve(scale=alt.ScaleResolveMap(color="independent")),
        width=width,
        height=height,
        title=alt.TitleParams(text=title, subtitle=subtitle_lines),
    )
    return _config(chart, tr)


def _domain(values: pd.Series, threshold: float) -> tuple[float, float]:
    """Axis range on the 0-100 scale, trimmed to the data in steps of 10 so clusters spread out."""
    low = min(float(values.min()), threshold)
    high = max(float(values.max()), threshold)
    return max(0.0, math.floor((low - 3) / 10) * 10), min(100.0, math.ceil((high + 3) / 10) * 10)


def _subtitle(subtitle: str, source: str, tr: Translator = ENGLISH) -> list[str]:
    source_text = tr.gettext("Source: {source}").format(source=source) if source else ""
    return [line for line in (subtitle, source_text) if line]


@_unchecked
def ranking_chart(
    scores: pd.DataFrame,
    *,
    dimensions: tuple[str, str],
    title: str = "",
    source: str = "",
    highlight: str | None = None,
    width: int = FULL_WIDTH,
    tr: Translator = ENGLISH,
) -> Any:
    """Horizontal bars of the index score, with the two dimensions as dots, best city on top.

    ``scores`` has columns city_id, label, index, x, y; ``dimensions`` names x and y.
    """
    x_name, y_name = dimensions
    order = scores.sort_values(["index", "label"], ascending=[False, True])["label"].tolist()
    long = scores.rename(columns={"x": x_name, "y": y_name}).melt(
        id_vars=["city_id", "label"],
        value_vars=[x_name, y_name],
        var_name="dimension",
        value_name="score",
    )
    y = alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=160))
    bars = (
        _chart(scores.assign(is_highlight=scores["city_id"] == highlight))
        .mark_bar(height=9, color=theme.MUTED_TINT)
        .encode(
            x=alt.X("index:Q", title=tr.gettext("Score (0-100)"), scale=alt.Scale(domain=[0, 100])),
            y=y,
            color=alt.condition(
                alt.datum.is_highlight,
                alt.value(theme.HIGHLIGHT_COLOUR),
                alt.value(theme.MUTED_TINT),
            ),
            # The highlight colour, lightened, so the dimension dots stay readable on it.
            opacity=alt.condition(alt.datum.is_highlight, alt.value(0.4), alt.value(1.0)),
        )
    )
    dots = (
        _chart(long)
        .mark_point(filled=True, size=34)
        .encode(
            x="score:Q",
            y=y,
            color=alt.Color(
                "dimension:N",
                scale=alt.Scale(
                    domain=[x_name, y_name], range=[theme.TDP_COLOUR, theme.ECC_COLOUR]
                ),
                legend=alt.Legend(title=tr.gettext("Dimension score (bar: overall)")),
            ),
            shape=alt.Shape(
                "dimension:N",
                scale=alt.Scale(domain=[x_name, y_name], range=["circle", "diamond"]),
            ),
        )
    )
    height = max(120, 13 * len(scores))
    chart = _layered(
        [bars, dots],
        width=width - 170,
        height=height,
        title=alt.TitleParams(
            text=title,
            subtitle=_subtitle("", source, tr),
        ),
    )
    return _config(chart, tr)


@_unchecked
def heatmap_chart(
    matrix: pd.DataFrame,
    *,
    title: str,
    source: str = "",
    value_title: str = "Score (0-100)",
    domain: tuple[float, float] = (0, 100),
    scheme: Any = theme.SEQUENTIAL_SCHEME,
    width: int = FULL_WIDTH,
    row_order: Sequence[str] | None = None,
    col_order: Sequence[str] | None = None,
    cell_height: int = 12,
    decimals: int = 0,
    tr: Translator = ENGLISH,
) -> Any:
    """Cells coloured by value, numbers printed inside; rows and columns keep the given order."""
    long = (
        matrix.rename_axis(index="row", columns="col")
        .stack(future_stack=True)
        .rename("value")
        .reset_index()
    )
    long["text"] = long["value"].map(lambda v: "" if pd.isna(v) else f"{v:.{decimals}f}")
    rows = list(row_order) if row_order is not None else list(matrix.index)
    cols = list(col_order) if col_order is not None else list(matrix.columns)
    lo, hi = domain
    long["dark"] = (long["value"] - lo) / (hi - lo) > 0.62
    base = _chart(long).encode(
        x=alt.X(
            "col:N",
            sort=cols,
            title=None,
            axis=alt.Axis(orient="top", labelAngle=-35, labelLimit=120),
        ),
        y=alt.Y("row:N", sort=rows, title=None, axis=alt.Axis(labelLimit=150)),
    )
    cells = base.mark_rect(stroke="white", strokeWidth=0.6).encode(
        color=alt.Color(
            "value:Q",
            scale=alt.Scale(scheme=scheme, domain=list(domain)),
            legend=alt.Legend(title=value_title, gradientLength=160),
        ),
    )
    text = base.mark_text(fontSize=7.5).encode(
        text="text:N",
        color=alt.condition(alt.datum.dark, alt.value("white"), alt.value(theme.TEXT_COLOUR)),
    )
    chart = _layered(
        [cells, text],
        width=min(width - 170, 72 * len(cols)),
        height=cell_height * len(rows),
        title=alt.TitleParams(text=title, subtitle=_subtitle("", source, tr)),
    )
    return _config(chart, tr)


@_unchecked
def profile_chart(
    profile: pd.DataFrame,
    *,
    city_label: str,
    peer_label: str,
    title: str,
    source: str = "",
    width: int = HALF_WIDTH,
    label_width: int = 175,
    tr: Translator = ENGLISH,
) -> Any:
    """Dot plot of a city's pillar scores against its peer-group median (the brief's profile).

    ``profile`` has columns pillar (label), dimension (TDP/ECC), city, peers.
    """
    order = profile["pillar"].tolist()
    y = alt.Y("pillar:N", sort=order, title=None, axis=alt.Axis(labelLimit=label_width))
    x_scale = alt.Scale(domain=[0, 100])
    link = (
        _chart(profile)
        .mark_rule(color=theme.MUTED_COLOUR, strokeWidth=1.2)
        .encode(
            x=alt.X("city:Q", scale=x_scale, title=tr.gettext("Pillar score (0-100)")),
            x2="peers:Q",
            y=y,
        )
    )
    long = profile.melt(
        id_vars=["pillar", "dimension"],
        value_vars=["city", "peers"],
        var_name="who",
        value_name="score",
    )
    long["who"] = long["who"].map({"city": city_label, "peers": peer_label})
    dots = (
        _chart(long)
        .mark_point(filled=True, size=55, opacity=1)
        .encode(
            x=alt.X("score:Q", scale=x_scale),
            y=y,
            color=alt.Color(
                "who:N",
                scale=alt.Scale(
                    domain=[city_label, peer_label],
                    range=[theme.HIGHLIGHT_COLOUR, theme.MUTED_COLOUR],
                ),
                legend=alt.Legend(title=None, labelLimit=300),
            ),
            shape=alt.Shape(
                "who:N",
                scale=alt.Scale(domain=[city_label, peer_label], range=["circle", "diamond"]),
                legend=None,
            ),
        )
    )
    chart = _layered(
        [link, dots],
        width=width - label_width,
        height=15 * len(profile),
        title=alt.TitleParams(text=title, subtitle=_subtitle("", source, tr)),
    )
    return _config(chart, tr)


@_unchecked
def interval_chart(
    intervals: pd.DataFrame,
    *,
    title: str,
    source: str = "",
    highlight: str | None = None,
    width: int = FULL_WIDTH,
    tr: Translator = ENGLISH,
) -> Any:
    """Rank intervals: bar from the 5th to the 95th percentile rank, dots at nominal and median.

    ``intervals`` has columns city_id, label, nominal, median, low, high.
    """
    order = intervals.sort_values(["nominal", "label"])["label"].tolist()
    data = intervals.assign(is_highlight=intervals["city_id"] == highlight)
    y = alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=160))
    n = int(max(intervals["high"].max(), intervals["nominal"].max()))
    x_scale = alt.Scale(domain=[0.5, n + 0.5], nice=False)
    bar = (
        _chart(data)
        .mark_rule(strokeWidth=5, opacity=0.45)
        .encode(
            x=alt.X(
                "low:Q",
                scale=x_scale,
                title=tr.gettext("Rank (1 = best); bar: 5th-95th percentile"),
            ),
            x2="high:Q",
            y=y,
            color=alt.condition(
                alt.datum.is_highlight,
                alt.value(theme.HIGHLIGHT_COLOUR),
                alt.value(theme.TDP_COLOUR),
            ),
        )
    )
    long = data.melt(
        id_vars=["label"], value_vars=["nominal", "median"], var_name="rank_kind", value_name="rank"
    )
    nominal, median = tr.gettext("Nominal rank"), tr.gettext("Median rank")
    long["rank_kind"] = long["rank_kind"].map({"nominal": nominal, "median": median})
    dots = (
        _chart(long)
        .mark_point(filled=True, size=30)
        .encode(
            x=alt.X("rank:Q", scale=x_scale),
            y=y,
            shape=alt.Shape(
                "rank_kind:N",
                scale=alt.Scale(domain=[nominal, median], range=["circle", "stroke"]),
                legend=alt.Legend(title=None),
            ),
            color=alt.value(theme.OVERALL_COLOUR),
        )
    )
    chart = _layered(
        [bar, dots],
        width=width - 170,
        height=max(120, 13 * len(intervals)),
        title=alt.TitleParams(text=title, subtitle=_subtitle("", source, tr)),
    )
    return _config(chart, tr)


@_unchecked
def bar_chart(
    values: pd.DataFrame,
    *,
    title: str,
    value_title: str,
    source: str = "",
    highlight: str | None = None,
    width: int = HALF_WIDTH,
    colour: str = theme.OVERALL_COLOUR,
    tr: Translator = ENGLISH,
) -> Any:
    """Simple horizontal bars (columns city_id, label, value), largest on top."""
    data = values.assign(is_highlight=values["city_id"] == highlight)
    order = data.sort_values(["value", "label"], ascending=[False, True])["label"].tolist()
    chart = (
        _chart(data)
        .mark_bar(height=8)
        .encode(
            x=alt.X("value:Q", title=value_title),
            y=alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=140)),
            color=alt.condition(
                alt.datum.is_highlight, alt.value(theme.HIGHLIGHT_COLOUR), alt.value(colour)
            ),
        )
        .properties(
            width=width - 140,
            height=12 * len(data),
            title=alt.TitleParams(text=title, subtitle=_subtitle("", source, tr)),
        )
    )
    return _config(chart, tr)


_SVG_CACHE: dict[str, str] = {}
_SVG_LOCK = threading.Lock()
_FONTS_REGISTERED: set[str] = set()


def _register_fonts(vlc: Any, family: str) -> None:
    """Show vl-convert the folder of a language's font (found with fontconfig), once per
    process, so it measures labels with the font the PDF prints them in."""
    for folder in chart_font_directories(family):
        with _SVG_LOCK:
            if folder in _FONTS_REGISTERED:
                continue
            _FONTS_REGISTERED.add(folder)
        vlc.register_font_directory(folder)


def chart_spec(chart: Any) -> Mapping[str, Any]:
    """The Vega-Lite dict of a chart (what tests assert on and what workers render).

    Builders are fixed code, validated by the tests; skipping Altair's per-call JSON-schema
    validation here makes a brief's charts several times cheaper to build.
    """
    spec: dict[str, Any] = chart.to_dict(validate=False)
    if "datasets" in spec:  # inline data travels as tuples (see inline_values)
        spec["datasets"] = {name: list(rows) for name, rows in spec["datasets"].items()}
    return spec


def spec_hash(spec: Mapping[str, Any]) -> str:
    """Stable hash of a Vega-Lite spec (Altair names inline datasets by content hash)."""
    return hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode()).hexdigest()[:20]


def to_svg(spec: Mapping[str, Any]) -> str:
    """Render a Vega-Lite spec to SVG with vl-convert, once per distinct spec in this process."""
    import vl_convert as vlc

    key = spec_hash(spec)
    with _SVG_LOCK:
        cached = _SVG_CACHE.get(key)
    if cached is not None:
        return cached
    font = str(spec.get("config", {}).get("font", theme.BODY_FONT))
    if font != theme.BODY_FONT:
        _register_fonts(vlc, font)
    svg: str = vlc.vegalite_to_svg(dict(spec))
    with _SVG_LOCK:
        _SVG_CACHE[key] = svg
    return svg
