"""Chart builders, asserted on their Vega-Lite specs: title, axis titles with units, a source
line, the theme's highlight colour on the highlighted city, and only the house palette."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pandas as pd
import pytest

from reportgen.report import charts, theme

OKABE_ITO = {"#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000"}
NEUTRALS = {
    theme.OVERALL_COLOUR,
    theme.MUTED_COLOUR,
    theme.MUTED_TINT,
    theme.GRID_COLOUR,
    theme.TEXT_COLOUR,
    theme.SUBTLE_TEXT_COLOUR,
    "#FFFFFF",
}
SOURCE = "Test Index 2026, reportgen"
HIGHLIGHT = "hong_kong"

CITIES = pd.DataFrame(
    {
        "city_id": ["hong_kong", "shenzhen", "singapore", "london", "zurich"],
        "label": ["Hong Kong", "Shenzhen", "Singapore", "London", "Zurich"],
        "TDP": [44.4, 43.7, 23.7, 41.1, 10.5],
        "ECC": [47.3, 54.7, 68.5, 54.2, 75.1],
        "Overall": [45.8, 49.2, 46.1, 47.7, 42.8],
        "stage": [
            "Growth-driven",
            "Growth-driven",
            "Balanced leader",
            "Growth-driven",
            "Co-benefit-led",
        ],
    }
)
REGIONS = [
    charts.StageRegion("Balanced leader", theme.stage_colour(0), 30, 100, 50, 100),
    charts.StageRegion("Growth-driven", theme.stage_colour(1), 30, 100, 0, 50),
    charts.StageRegion("Co-benefit-led", theme.stage_colour(2), 0, 30, 50, 100),
    charts.StageRegion("Emerging", theme.stage_colour(3), 0, 30, 0, 50),
]


def plane() -> Any:
    return charts.plane_chart(
        CITIES[["city_id", "label", "TDP", "ECC", "stage"]].rename(
            columns={"TDP": "x", "ECC": "y"}
        ),
        x_threshold=30.0,
        y_threshold=50.0,
        x_title="Technology Development Potential (TDP score, 0-100)",
        y_title="Ecosystem Co-Benefit Capacity (ECC score, 0-100)",
        title="Cities on the TDP × ECC plane",
        regions=REGIONS,
        source=SOURCE,
        highlight=HIGHLIGHT,
    )


def ranking() -> Any:
    return charts.ranking_chart(
        CITIES[["city_id", "label", "Overall", "TDP", "ECC"]].rename(
            columns={"Overall": "index", "TDP": "x", "ECC": "y"}
        ),
        dimensions=("TDP", "ECC"),
        title="Overall score and its two dimensions",
        source=SOURCE,
        highlight=HIGHLIGHT,
    )


def heatmap() -> Any:
    matrix = CITIES.set_index("label")[["TDP", "ECC", "Overall"]]
    return charts.heatmap_chart(matrix, title="Pillar scores by city", source=SOURCE)


def profile() -> Any:
    frame = pd.DataFrame(
        {
            "pillar": ["TDP · Science", "TDP · Venture capital", "ECC · Openness"],
            "dimension": ["TDP", "TDP", "ECC"],
            "city": [51.0, 23.5, 80.0],
            "peers": [40.0, 58.8, 30.0],
        }
    )
    return charts.profile_chart(
        frame,
        city_label="Hong Kong",
        peer_label="median of peers",
        title="Pillar profile",
        source=SOURCE,
    )


def intervals() -> Any:
    frame = CITIES[["city_id", "label"]].assign(
        nominal=[3, 1, 2, 4, 5], median=[3, 1, 2, 4, 5], low=[2, 1, 1, 3, 4], high=[5, 2, 3, 5, 5]
    )
    return charts.interval_chart(
        frame, title="Overall rank and its 5-95% interval", source=SOURCE, highlight=HIGHLIGHT
    )


def bars() -> Any:
    frame = CITIES[["city_id", "label"]].assign(value=[31.2, 99.0, 72.7, 150.0, 20.0])
    return charts.bar_chart(
        frame,
        title="Venture capital raised",
        value_title="USD bn (6 years)",
        source=SOURCE,
        highlight=HIGHLIGHT,
    )


BUILDERS: dict[str, Callable[[], Any]] = {
    "plane": plane,
    "ranking": ranking,
    "heatmap": heatmap,
    "profile": profile,
    "intervals": intervals,
    "bars": bars,
}
HIGHLIGHTING = ["plane", "ranking", "profile", "intervals", "bars"]


def spec_of(name: str) -> Mapping[str, Any]:
    return charts.chart_spec(BUILDERS[name]())


# ---------------------------------------------------------------------------------------------
# reading specs


def layers(spec: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Every unit spec (one mark) of a possibly layered spec."""
    if "layer" in spec:
        for layer in spec["layer"]:
            yield from layers(layer)
    elif "mark" in spec:
        yield spec


def mark_type(layer: Mapping[str, Any]) -> str:
    mark = layer["mark"]
    return str(mark if isinstance(mark, str) else mark["type"])


def rows(spec: Mapping[str, Any], layer: Mapping[str, Any]) -> list[dict[str, Any]]:
    data = layer.get("data") or spec.get("data") or {}
    if "values" in data:
        return list(data["values"])
    return list(spec.get("datasets", {}).get(data.get("name"), []))


def colour_of(layer: Mapping[str, Any], row: Mapping[str, Any]) -> str | None:
    """The colour a mark gets for one data row: value, condition, scale or field."""
    channel = layer.get("encoding", {}).get("color")
    if channel is None:
        mark = layer["mark"]
        return mark.get("color") if isinstance(mark, dict) else None
    if "condition" in channel:
        test = channel["condition"]["test"]
        match = re.fullmatch(r"datum\.(\w+)|datum\['(\w+)'\]", test)
        assert match, f"cannot evaluate condition {test!r}"
        field = match[1] or match[2]
        return channel["condition"]["value"] if row.get(field) else channel.get("value")
    if "value" in channel:
        return str(channel["value"])
    value = row.get(channel["field"])
    scale = channel.get("scale", {})
    if scale is None:
        return str(value)
    if "domain" in scale and "range" in scale:
        return str(scale["range"][scale["domain"].index(value)])
    return None


def axis_titles(spec: Mapping[str, Any]) -> list[str]:
    titles = []
    for layer in layers(spec):
        for channel in ("x", "y"):
            encoding = layer.get("encoding", {}).get(channel, {})
            if encoding.get("type") == "quantitative" and encoding.get("title"):
                titles.append(encoding["title"])
    return titles


def legend_titles(spec: Mapping[str, Any]) -> list[str]:
    out = []
    for layer in layers(spec):
        legend = layer.get("encoding", {}).get("color", {}).get("legend") or {}
        if legend.get("title"):
            out.append(legend["title"])
    return out


# ---------------------------------------------------------------------------------------------
# every builder


@pytest.mark.parametrize("name", BUILDERS)
def test_spec_is_vega_lite_with_a_title(name: str) -> None:
    spec = spec_of(name)
    assert "vega-lite" in spec["$schema"]
    title = spec["title"]
    assert (title["text"] if isinstance(title, dict) else title).strip()


@pytest.mark.parametrize("name", BUILDERS)
def test_spec_has_a_source_line(name: str) -> None:
    subtitle = spec_of(name)["title"]["subtitle"]
    lines = [subtitle] if isinstance(subtitle, str) else list(subtitle)
    assert f"Source: {SOURCE}" in lines


@pytest.mark.parametrize("name", BUILDERS)
def test_value_axes_state_their_units(name: str) -> None:
    spec = spec_of(name)
    # heatmaps have category axes; their values are explained by the colour legend's title
    titles = axis_titles(spec) or legend_titles(spec)
    assert titles
    for title in titles:
        assert re.search(r"\(.+\)", title), f"no unit in axis title {title!r}"


@pytest.mark.parametrize("name", list(HIGHLIGHTING))
def test_highlighted_city_is_drawn_in_the_theme_highlight_colour(name: str) -> None:
    spec = spec_of(name)
    highlighted, others = set(), set()
    for layer in layers(spec):
        for row in rows(spec, layer):
            if "city_id" in row:
                is_target = row["city_id"] == HIGHLIGHT
            elif "who" in row:  # the profile chart: the city against its peers
                is_target = row["who"] == "Hong Kong"
            else:
                continue
            colour = colour_of(layer, row)
            (highlighted if is_target else others).add(colour)
    assert theme.HIGHLIGHT_COLOUR in highlighted
    assert theme.HIGHLIGHT_COLOUR not in others


@pytest.mark.parametrize("name", list(BUILDERS))
def test_colours_come_from_the_okabe_ito_palette_and_theme_neutrals(name: str) -> None:
    text = json.dumps(spec_of(name))
    colours = {c.upper() for c in re.findall(r"#[0-9A-Fa-f]{6}\b", text)}
    assert colours - OKABE_ITO - NEUTRALS == set()
    schemes = set(re.findall(r'"scheme": "([^"]+)"', text))
    assert schemes <= {theme.SEQUENTIAL_SCHEME, theme.DIVERGING_SCHEME}


# ---------------------------------------------------------------------------------------------
# one builder at a time


def test_theme_colours_are_okabe_ito() -> None:
    assert {theme.TDP_COLOUR, theme.ECC_COLOUR, theme.HIGHLIGHT_COLOUR} <= OKABE_ITO
    assert set(theme.STAGE_COLOURS) <= OKABE_ITO
    assert len({theme.TDP_COLOUR, theme.ECC_COLOUR, theme.HIGHLIGHT_COLOUR}) == 3
    assert theme.CSS_VARIABLES["--highlight"] == theme.HIGHLIGHT_COLOUR
    assert f"--tdp:{theme.TDP_COLOUR}" in theme.css_root_block()


def test_plane_draws_stage_regions_in_stage_colours_and_threshold_lines() -> None:
    spec = spec_of("plane")
    region_rows = [
        row for layer in layers(spec) if mark_type(layer) == "rect" for row in rows(spec, layer)
    ]
    assert {row["stage"]: row["colour"] for row in region_rows} == {
        r.name: r.colour for r in REGIONS
    }
    rule_values = [
        row["value"]
        for layer in layers(spec)
        if mark_type(layer) == "rule"
        for row in rows(spec, layer)
    ]
    assert sorted(rule_values) == [30.0, 50.0]


def test_plane_labels_every_city_or_only_the_highlighted_one() -> None:
    def labels(chart: Any) -> set[str]:
        spec = charts.chart_spec(chart)
        return {
            row["label"]
            for layer in layers(spec)
            for row in rows(spec, layer)
            if "label" in row
            and "city_id" in row
            and layer.get("encoding", {}).get("text", {}).get("field") == "label"
            and row["label"]
        }

    points = CITIES[["city_id", "label", "TDP", "ECC", "stage"]].rename(
        columns={"TDP": "x", "ECC": "y"}
    )
    assert labels(plane()) == set(CITIES["label"])
    only = charts.plane_chart(
        points,
        x_threshold=30,
        y_threshold=50,
        x_title="TDP",
        y_title="ECC",
        highlight=HIGHLIGHT,
        label_all=False,
    )
    assert labels(only) == {"Hong Kong"}


def test_ranking_chart_lists_the_best_city_first() -> None:
    spec = spec_of("ranking")
    sorts = [layer["encoding"]["y"].get("sort") for layer in layers(spec)]
    expected = CITIES.sort_values("Overall", ascending=False)["label"].tolist()
    assert expected in sorts


def test_spec_hash_is_stable_and_tells_charts_apart() -> None:
    assert charts.spec_hash(spec_of("plane")) == charts.spec_hash(spec_of("plane"))
    assert charts.spec_hash(spec_of("plane")) != charts.spec_hash(spec_of("ranking"))


def test_svg_export_is_vector_and_cached() -> None:
    spec = spec_of("bars")
    svg = charts.to_svg(spec)
    assert svg.lstrip().startswith("<svg")
    assert "<image" not in svg
    assert "Venture capital raised" in svg
    assert charts.to_svg(spec) is svg
