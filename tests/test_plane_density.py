"""The plane at scale: past ``PLANE_DENSITY_ABOVE`` cities the others are counted in cells
(each once, summing to the cities drawn), only the highlighted city stays a dot, the chart says
what a shaded cell means, and its SVG stops growing with the cities."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import pytest
from test_charts import layers, mark_type, rows

from reportgen.report import charts, i18n, theme
from reportgen.report.i18n import ENGLISH, Translator

REGIONS = [
    charts.StageRegion("Balanced leader", theme.stage_colour(0), 30, 100, 50, 100),
    charts.StageRegion("Growth-driven", theme.stage_colour(1), 30, 100, 0, 50),
    charts.StageRegion("Co-benefit-led", theme.stage_colour(2), 0, 30, 50, 100),
    charts.StageRegion("Emerging", theme.stage_colour(3), 0, 30, 0, 50),
]
HIGHLIGHT = "city_0007"
SUBTITLE = "Dashed lines: stage thresholds (TDP 30.0, ECC 50.0)"
SOURCE = "Test Index 2026, reportgen"
NOTE = "Shaded cells: number of other cities in each 5 × 5-point cell"


def cities(n: int, seed: int = 3) -> pd.DataFrame:
    """``n`` cities spread over the whole plane, with one at each corner so every size has the
    same 0-100 axes (and so the same axis marks)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 100, n).round(1)
    y = rng.uniform(0, 100, n).round(1)
    x[:2], y[:2] = (0.0, 100.0), (0.0, 100.0)
    return pd.DataFrame(
        {
            "city_id": [f"city_{i:04d}" for i in range(n)],
            "label": [f"City {i}" for i in range(n)],
            "x": x,
            "y": y,
            "stage": "Emerging",
        }
    )


def plane(points: pd.DataFrame, highlight: str | None = HIGHLIGHT, **options: Any) -> Any:
    settings: dict[str, Any] = {
        "x_threshold": 30.0,
        "y_threshold": 50.0,
        "x_title": "TDP",
        "y_title": "ECC",
        "regions": REGIONS,
        "subtitle": SUBTITLE,
        "source": SOURCE,
        "highlight": highlight,
        "width": 300,
        "height": 250,
        "label_all": False,
    }
    return charts.plane_chart(points, **(settings | options))


def density_layers(spec: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [
        layer
        for layer in layers(spec)
        if layer.get("encoding", {}).get("color", {}).get("field") == "count"
    ]


def point_rows(spec: Mapping[str, Any]) -> list[dict[str, Any]]:
    (circles,) = [layer for layer in layers(spec) if mark_type(layer) == "circle"]
    return rows(spec, circles)


def named(spec: Mapping[str, Any]) -> list[str]:
    return [
        row["label"]
        for layer in layers(spec)
        if layer.get("encoding", {}).get("text", {}).get("field") == "label"
        for row in rows(spec, layer)
    ]


def subtitle(spec: Mapping[str, Any]) -> list[str]:
    return list(spec["title"]["subtitle"])


# ---------------------------------------------------------------------------------------------
# counting cities in cells


def test_a_city_on_a_cell_edge_is_counted_once_in_the_cell_above_it() -> None:
    points = pd.DataFrame(
        {
            "x": [0.0, 5.0, 4.999, 10.0, 100.0, 95.0, 40.0],
            "y": [0.0, 5.0, 5.0, 5.0, 100.0, 99.9, 60.0],
        }
    )
    cells = charts.plane_density(points, (0.0, 100.0), (0.0, 100.0))
    counted = {(row.x, row.x2, row.y, row.y2): row.count for row in cells.itertuples(index=False)}
    assert counted == {
        (0.0, 5.0, 0.0, 5.0): 1,  # the origin
        (5.0, 10.0, 5.0, 10.0): 1,  # (5, 5): on four cells' corner, in the one above-right
        (0.0, 5.0, 5.0, 10.0): 1,  # (4.999, 5)
        (10.0, 15.0, 5.0, 10.0): 1,
        (95.0, 100.0, 95.0, 100.0): 2,  # the domain's top end is in the last cell, closed
        (40.0, 45.0, 60.0, 65.0): 1,
    }
    assert cells["count"].sum() == len(points)


def test_cells_follow_the_axis_range_and_skip_cities_without_both_scores() -> None:
    points = pd.DataFrame(
        {"x": [20.0, 24.9, 25.0, np.nan, 70.0], "y": [30.0, 34.0, 30.0, 50.0, np.nan]}
    )
    cells = charts.plane_density(points, (20.0, 60.0), (30.0, 80.0))
    assert cells.to_dict("records") == [
        {"x": 20.0, "x2": 25.0, "y": 30.0, "y2": 35.0, "count": 2},
        {"x": 25.0, "x2": 30.0, "y": 30.0, "y2": 35.0, "count": 1},
    ]


def test_counts_add_up_to_the_cities_and_never_exceed_a_20_by_20_grid() -> None:
    points = cities(5_000)
    cells = charts.plane_density(points, (0.0, 100.0), (0.0, 100.0))
    assert cells["count"].sum() == 5_000
    assert len(cells) == 400  # 5,000 uniform cities fill every cell of the 0-100 plane
    assert (cells["count"] > 0).all()


# ---------------------------------------------------------------------------------------------
# the chart


def test_at_the_bundled_size_the_plane_is_one_dot_per_city_as_before() -> None:
    spec = charts.chart_spec(plane(cities(30)))
    assert density_layers(spec) == []
    assert len(point_rows(spec)) == 30
    assert subtitle(spec) == [SUBTITLE, f"Source: {SOURCE}"]
    assert "count" not in str(spec)
    assert named(spec) == ["City 7"]
    every_name = charts.chart_spec(plane(cities(30), label_all=True))
    assert sorted(named(every_name)) == sorted(f"City {i}" for i in range(30))


def test_the_switch_is_past_the_threshold() -> None:
    at = charts.PLANE_DENSITY_ABOVE
    assert at >= 100  # far above the 30 bundled cities
    assert density_layers(charts.chart_spec(plane(cities(at)))) == []
    assert len(density_layers(charts.chart_spec(plane(cities(at + 1))))) == 1


def test_at_1000_cities_the_others_are_counted_and_only_the_highlighted_city_is_a_dot() -> None:
    spec = charts.chart_spec(plane(cities(1_000)))
    (density,) = density_layers(spec)
    cells = rows(spec, density)
    assert sum(cell["count"] for cell in cells) == 999
    assert len(cells) <= 400
    dots = point_rows(spec)
    assert [(d["city_id"], d["is_highlight"]) for d in dots] == [(HIGHLIGHT, True)]
    assert named(spec) == ["City 7"]
    # Stage regions, their names and both threshold rules are still drawn.
    marks = [mark_type(layer) for layer in layers(spec)]
    assert marks.count("rule") == 2
    region_names = {
        row["stage"]
        for layer in layers(spec)
        if layer.get("encoding", {}).get("text", {}).get("field") == "stage"
        for row in rows(spec, layer)
    }
    assert region_names == {r.name for r in REGIONS}
    # Drawn over the stage tints (one shade per count everywhere), under the dot.
    order = [id(layer) for layer in layers(spec)]
    tints = next(
        layer for layer in layers(spec) if mark_type(layer) == "rect" and layer is not density
    )
    circles = next(layer for layer in layers(spec) if mark_type(layer) == "circle")
    assert order.index(id(tints)) < order.index(id(density)) < order.index(id(circles))


def test_labelling_every_city_does_not_bring_back_1000_names() -> None:
    spec = charts.chart_spec(plane(cities(1_000), label_all=True))
    assert sum(cell["count"] for cell in rows(spec, density_layers(spec)[0])) == 999
    assert named(spec) == ["City 7"]


def test_without_a_highlighted_city_every_city_is_counted() -> None:
    spec = charts.chart_spec(plane(cities(1_000), highlight=None, label_all=True))
    assert sum(cell["count"] for cell in rows(spec, density_layers(spec)[0])) == 1_000
    assert point_rows(spec) == []
    assert named(spec) == []
    assert subtitle(spec) == [
        SUBTITLE,
        "Shaded cells: number of cities in each 5 × 5-point cell",
        f"Source: {SOURCE}",
    ]
    assert density_layers(spec)[0]["encoding"]["color"]["legend"]["title"] == "Cities per cell"


def test_the_chart_says_what_a_shaded_cell_means() -> None:
    spec = charts.chart_spec(plane(cities(1_000)))
    assert subtitle(spec) == [SUBTITLE, NOTE, f"Source: {SOURCE}"]
    (density,) = density_layers(spec)
    colour = density["encoding"]["color"]
    assert colour["legend"]["title"] == "Other cities per cell"
    most = max(cell["count"] for cell in rows(spec, density))
    # Shades from zero, so a shade is proportional to its count; the legend runs from a single
    # city (an empty cell is not drawn) to the fullest cell.
    assert colour["scale"]["domain"] == [0, most]
    assert colour["scale"]["range"] == [theme.GRID_COLOUR, theme.MUTED_COLOUR]
    values = colour["legend"]["values"]
    assert values[0] == 1
    assert values[-1] == most
    assert values == sorted(set(values))


@pytest.fixture(scope="module")
def chinese() -> Translator:
    return i18n.translator(None, "zh-Hant")


def test_the_shaded_cell_note_is_translated(chinese: Translator) -> None:
    spec = charts.chart_spec(plane(cities(1_000), subtitle="", source="", tr=chinese))
    assert subtitle(spec) == ["陰影方格：每個 5 × 5 分方格內的其他城市數目"]
    (density,) = density_layers(spec)
    assert density["encoding"]["color"]["legend"]["title"] == "每格其他城市數目"
    assert ENGLISH.gettext(NOTE) == NOTE


def svg_marks(chart: Any) -> int:
    svg = charts.to_svg(charts.chart_spec(chart))
    return len(re.findall(r"<(?:path|circle|rect|line|text)\b", svg))


def test_the_svg_stops_growing_with_the_cities() -> None:
    def parts(n: int) -> tuple[int, int, int]:
        chart = plane(cities(n))
        spec = charts.chart_spec(chart)
        (density,) = density_layers(spec)
        legend_entries = len(density["encoding"]["color"]["legend"]["values"])
        return svg_marks(chart), len(rows(spec, density)), legend_entries

    marks_1000, cells_1000, legend_1000 = parts(1_000)
    marks_3000, cells_3000, legend_3000 = parts(3_000)
    # Everything but the cells and the legend's swatch-and-label pairs is the same drawing.
    fixed_1000 = marks_1000 - cells_1000 - 2 * legend_1000
    fixed_3000 = marks_3000 - cells_3000 - 2 * legend_3000
    assert fixed_1000 == fixed_3000
    # So the whole is bounded by the grid, whatever the number of cities.
    assert max(cells_1000, cells_3000) <= 400
    assert marks_3000 <= fixed_3000 + 400 + 2 * 4
    assert marks_1000 < 1_000 / 2


def test_the_density_plane_is_valid_vega_lite() -> None:
    # The builder skips Altair's per-object checks (charts._unchecked): check the whole spec.
    plane(cities(1_000)).to_dict(validate=True)
    plane(cities(1_000), highlight=None).to_dict(validate=True)
