"""Vega-Lite specs for the site: the interactive plane of the edition's two dimensions (tooltips,
links, live data)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from reportgen.labels import Labels
from reportgen.report import charts, theme

VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
PLANE_DATA = "cities"  # the named dataset the what-if replaces in the live chart
PLANE_HEIGHT = 430
LABEL_ALL_UP_TO = 40  # beyond this many cities only the best ranked are named on the plane
LABELLED_AT_SCALE = 12
_NOMINAL_WIDTH = 640  # label placement assumes the desktop width; phones get the same offsets


@dataclass(frozen=True)
class PlaneAxes:
    """How the plane names its axes and the rank it reports: codes and names from the edition.

    The data rows name the axes generically (``x``, ``y``, ``rank``); only what a reader sees
    carries the codes.
    """

    x: str
    y: str
    index: str
    x_title: str
    y_title: str

    @classmethod
    def of(cls, levels: Labels) -> PlaneAxes:
        return cls(
            x=levels.x,
            y=levels.y,
            index=levels.index,
            x_title=f"{levels.name(levels.x)} ({levels.x} score, 0-100)",
            y_title=f"{levels.name(levels.y)} ({levels.y} score, 0-100)",
        )


def house_config() -> dict[str, Any]:
    """The PDF charts' fonts, sizes and colours (report.charts._config) as a spec config."""
    return {
        "font": theme.BODY_FONT,
        "background": "white",
        "padding": 4,
        "view": {"stroke": None},
        "title": {
            "font": theme.BODY_FONT,
            "fontSize": 14,
            "fontWeight": "bold",
            "anchor": "start",
            "color": theme.TEXT_COLOUR,
            "subtitleColor": theme.SUBTLE_TEXT_COLOUR,
            "subtitleFontSize": 11,
            "offset": 8,
        },
        "axis": {
            "labelFont": theme.BODY_FONT,
            "titleFont": theme.BODY_FONT,
            "labelFontSize": 11,
            "titleFontSize": 12,
            "titleFontWeight": "normal",
            "labelColor": theme.SUBTLE_TEXT_COLOUR,
            "titleColor": theme.TEXT_COLOUR,
            "gridColor": theme.GRID_COLOUR,
            "domainColor": theme.MUTED_COLOUR,
            "tickColor": theme.MUTED_COLOUR,
        },
    }


def plane_spec(
    points: pd.DataFrame,
    *,
    axes: PlaneAxes,
    x_threshold: float,
    y_threshold: float,
    regions: Sequence[charts.StageRegion],
    hrefs: Mapping[str, str],
    highlight: str | None = None,
    title: str = "",
) -> dict[str, Any]:
    """The plane as on the PDF, plus a tooltip and a link per city, drawn from one named
    dataset (``cities``) so the what-if can move the points without rebuilding the chart.

    ``points`` has columns city_id, label, name, x, y, stage, rank (the rank on the index).
    """
    data = points.reset_index(drop=True)
    x_domain = charts._domain(data["x"], x_threshold)  # same axis ranges as the PDF plane
    y_domain = charts._domain(data["y"], y_threshold)
    data["highlight"] = data["city_id"] == highlight if highlight else False
    if highlight:
        named = data["highlight"]
    elif len(data) > LABEL_ALL_UP_TO:
        # Placement is quadratic in labels, and a thousand names are unreadable anyway: name
        # the best ranked; the tooltip and the table name every city.
        named = data["rank"].rank(method="first") <= LABELLED_AT_SCALE
    else:
        named = pd.Series(True, index=data.index)
    data["label"] = data["label"].where(named, "")
    placement = pd.DataFrame({"dx": 6.0, "dy": 0.0, "align": "left"}, index=data.index)
    placement.loc[named] = charts._place_labels(
        data[named], x_domain, y_domain, _NOMINAL_WIDTH, PLANE_HEIGHT
    )
    data = pd.concat([data, placement], axis=1)
    keys = [
        (str(a), float(dx), float(dy))
        for a, dx, dy in data[["align", "dx", "dy"]].itertuples(index=False)
    ]
    groups = sorted(set(keys))
    group_of = {g: i for i, g in enumerate(groups)}
    data["group"] = [group_of[k] for k in keys]
    rows = [
        {
            "city_id": str(r.city_id),
            "label": str(r.label),
            "name": str(r.name),
            "stage": str(r.stage),
            "x": float(r.x),
            "y": float(r.y),
            "rank": int(r.rank),
            "href": hrefs.get(str(r.city_id), ""),
            "description": point_description(
                axes, str(r.name), float(r.x), float(r.y), str(r.stage), int(r.rank)
            ),
            "highlight": bool(r.highlight),
            "group": int(r.group),
        }
        for r in data.itertuples(index=False)
    ]
    x = {
        "field": "x",
        "type": "quantitative",
        "title": axes.x_title,
        "scale": {"domain": list(x_domain), "nice": False},
    }
    y = {
        "field": "y",
        "type": "quantitative",
        "title": axes.y_title,
        "scale": {"domain": list(y_domain), "nice": False},
    }
    layers: list[dict[str, Any]] = [
        *_region_layers(regions, x_domain, y_domain),
        {
            "data": {"values": [{"v": x_threshold}]},
            "mark": {"type": "rule", "strokeDash": [4, 3], "color": theme.SUBTLE_TEXT_COLOUR},
            "encoding": {"x": {"field": "v", "type": "quantitative"}},
        },
        {
            "data": {"values": [{"v": y_threshold}]},
            "mark": {"type": "rule", "strokeDash": [4, 3], "color": theme.SUBTLE_TEXT_COLOUR},
            "encoding": {"y": {"field": "v", "type": "quantitative"}},
        },
        {
            "mark": {
                "type": "circle",
                "opacity": 0.95,
                "stroke": "white",
                "strokeWidth": 0.8,
                "cursor": "pointer",
                "clip": True,
            },
            "encoding": {
                "x": x,
                "y": y,
                "color": {
                    "condition": {"test": "datum.highlight", "value": theme.HIGHLIGHT_COLOUR},
                    "value": theme.OVERALL_COLOUR,
                },
                "size": {"condition": {"test": "datum.highlight", "value": 170}, "value": 70},
                "href": {"field": "href", "type": "nominal"},
                "description": {"field": "description", "type": "nominal"},
                "tooltip": [
                    {"field": "name", "type": "nominal", "title": "City"},
                    {"field": "stage", "type": "nominal", "title": "Stage"},
                    {"field": "x", "type": "quantitative", "title": axes.x, "format": ".1f"},
                    {"field": "y", "type": "quantitative", "title": axes.y, "format": ".1f"},
                    {"field": "rank", "type": "ordinal", "title": f"{axes.index} rank"},
                ],
            },
        },
    ]
    for i, (align, dx, dy) in enumerate(groups):
        layers.append(
            {
                # Named so that narrow screens can drop the names placed for a wide plane.
                "name": f"highlight-labels-{i}" if highlight else f"city-labels-{i}",
                "transform": [{"filter": f"datum.group == {i}"}],
                "mark": {
                    "type": "text",
                    "align": align,
                    "baseline": "middle",
                    "dx": dx,
                    "dy": dy,
                    "fontSize": 10.5,
                    "clip": True,
                },
                "encoding": {
                    "x": {"field": "x", "type": "quantitative"},
                    "y": {"field": "y", "type": "quantitative"},
                    "text": {"field": "label", "type": "nominal"},
                    "color": {
                        "condition": {"test": "datum.highlight", "value": theme.HIGHLIGHT_COLOUR},
                        "value": theme.TEXT_COLOUR,
                    },
                },
            }
        )
    spec: dict[str, Any] = {
        "$schema": VEGA_LITE_SCHEMA,
        "width": "container",
        "height": PLANE_HEIGHT,
        "autosize": {"type": "fit-x", "contains": "padding"},
        "data": {"name": PLANE_DATA},
        "datasets": {PLANE_DATA: rows},
        "layer": layers,
        "config": house_config(),
    }
    if title:
        spec["title"] = {"text": title}
    return spec


def point_description(axes: PlaneAxes, name: str, x: float, y: float, stage: str, rank: int) -> str:
    """What a screen reader says for a point (whatif.js words it the same after a what-if)."""
    return f"{name}: {axes.x} {x:.1f}, {axes.y} {y:.1f}, {stage}, {axes.index} rank {rank}"


def _region_layers(
    regions: Sequence[charts.StageRegion],
    x_domain: tuple[float, float],
    y_domain: tuple[float, float],
) -> list[dict[str, Any]]:
    if not regions:
        return []
    rects = []
    for r in regions:
        left = r.x_low <= x_domain[0]
        bottom = r.y_high < y_domain[1]
        rects.append(
            {
                "stage": r.name,
                "colour": r.colour,
                "x": max(r.x_low, x_domain[0]),
                "x2": min(r.x_high, x_domain[1]),
                "y": max(r.y_low, y_domain[0]),
                "y2": min(r.y_high, y_domain[1]),
                # Name each region in its outer corner, away from the crowded thresholds.
                "lx": max(r.x_low, x_domain[0]) + 1 if left else min(r.x_high, x_domain[1]) - 1,
                "ly": max(r.y_low, y_domain[0]) + 2 if bottom else min(r.y_high, y_domain[1]) - 2,
                "align": "left" if left else "right",
            }
        )
    colour = {"field": "colour", "type": "nominal", "scale": None}
    layers: list[dict[str, Any]] = [
        {
            "data": {"values": rects},
            "mark": {"type": "rect", "opacity": 0.08},
            "encoding": {
                "x": {"field": "x", "type": "quantitative"},
                "x2": {"field": "x2"},
                "y": {"field": "y", "type": "quantitative"},
                "y2": {"field": "y2"},
                "color": colour,
            },
        }
    ]
    for align in ("left", "right"):
        subset = [r for r in rects if r["align"] == align]
        if subset:
            layers.append(
                {
                    "data": {"values": subset},
                    "mark": {
                        "type": "text",
                        "align": align,
                        "baseline": "middle",
                        "fontSize": 11,
                        "fontWeight": "bold",
                    },
                    "encoding": {
                        "x": {"field": "lx", "type": "quantitative"},
                        "y": {"field": "ly", "type": "quantitative"},
                        "text": {"field": "stage", "type": "nominal"},
                        "color": colour,
                    },
                }
            )
    return layers


def for_screen(spec: dict[str, Any], *, row_height: float = 1.6) -> dict[str, Any]:
    """A PDF chart spec restyled for a screen: the page's heading replaces its title, text is
    larger, rows taller, and it fills its column."""
    out = {k: v for k, v in spec.items() if k != "title"}
    config = dict(out.get("config", {}))
    config["axis"] = {**config.get("axis", {}), "labelFontSize": 12, "titleFontSize": 12}
    config["legend"] = {
        **config.get("legend", {}),
        "labelFontSize": 12,
        "symbolSize": 80,
        "direction": "vertical",  # two entries side by side overflow a phone
    }
    out["config"] = config
    if isinstance(out.get("height"), (int, float)):
        out["height"] = round(out["height"] * row_height)
    _widen_axis_labels(out)
    out["width"] = "container"
    out["autosize"] = {"type": "fit-x", "contains": "padding"}
    return out


def _widen_axis_labels(spec: Any, limit: int = 170) -> None:
    """Room for whole pillar names: the PDF's narrow column cuts them."""
    if isinstance(spec, dict):
        axis = spec.get("axis")
        if isinstance(axis, dict) and "labelLimit" in axis:
            axis["labelLimit"] = max(int(axis["labelLimit"]), limit)
        for value in spec.values():
            _widen_axis_labels(value, limit)
    elif isinstance(spec, list):
        for value in spec:
            _widen_axis_labels(value, limit)
