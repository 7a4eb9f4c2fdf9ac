"""What every page shares: links, page metadata, city pages, the plane."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from reportgen.pipeline import EditionResult
from reportgen.report.context.common import (
    CityLabel,
    city_labels,
    meta_of,
    stage_regions,
)
from reportgen.web import charts as web_charts


def level_class(code: str) -> str:
    """A level's CSS class (index, dimension): its code in lower case, as the stylesheet names
    them for the bundled edition; a renamed edition falls back to the unstyled default."""
    return re.sub(r"[^a-z0-9_-]+", "-", code.lower()).strip("-")


@dataclass(frozen=True)
class NavLink:
    label: str
    href: str
    current: bool


@dataclass(frozen=True)
class PageMeta:
    """What every page's layout prints: title, language, links and the path back to the root."""

    title: str
    description: str
    language: str
    root: str  # "" on top-level pages, "../" on city pages
    site_title: str
    edition_line: str
    nav: tuple[NavLink, ...]


@dataclass(frozen=True)
class Figure:
    """A chart the page embeds (its spec travels in the page's JSON block) and its text."""

    chart_id: str
    alt: str
    css_class: str = ""


@dataclass(frozen=True)
class PdfLinks:
    """Where the PDFs are, relative to the site folder; empty when none were published."""

    annual: str = ""
    briefs: Mapping[str, str] = field(default_factory=dict)


def city_slug(city_id: str) -> str:
    """A file name for a city page: ids are data, so anything beyond [a-z0-9_-] is replaced."""
    slug = re.sub(r"[^a-z0-9_-]+", "-", city_id.lower()).strip("-")
    return slug or "city"


def city_pages(result: EditionResult) -> dict[str, str]:
    """city_id -> page path relative to the site root, unique even when slugs collide."""
    pages: dict[str, str] = {}
    taken: set[str] = set()
    for city_id in result.scores.index.astype(str):
        slug, n = city_slug(city_id), 2
        candidate = slug
        while candidate in taken:
            candidate, n = f"{slug}-{n}", n + 1
        taken.add(candidate)
        pages[city_id] = f"cities/{candidate}.html"
    return pages


def page_meta(result: EditionResult, title: str, current: str, root: str) -> PageMeta:
    meta = meta_of(result, "Web edition")
    links = (("Ranking", "index.html"), ("Methodology", "methodology.html"), ("Data", "data.html"))
    return PageMeta(
        title=title,
        description=meta.subject,
        language=meta.language,
        root=root,
        site_title=meta.running_title,
        edition_line=meta.edition_line,
        nav=tuple(NavLink(label, root + href, href == current) for label, href in links),
    )


def labels_for(result: EditionResult) -> dict[str, CityLabel]:
    # Browsers fall back to the reader's CJK fonts, so Chinese names are always printed.
    return city_labels(result, with_chinese=True)


def plane_points(result: EditionResult, labels: Mapping[str, CityLabel]) -> pd.DataFrame:
    """One row per city: the plane's axis scores as x and y, and the rank on the index."""
    stages, levels = result.stages, result.labels
    return pd.DataFrame(
        {
            "city_id": stages.index.astype(str),
            "label": [labels[str(c)].short_name for c in stages.index],
            "name": [labels[str(c)].name for c in stages.index],
            "x": stages[levels.x].to_numpy(float),
            "y": stages[levels.y].to_numpy(float),
            "stage": stages["stage_name"].astype(str).to_numpy(),
            "rank": result.ranks[levels.index].reindex(stages.index).to_numpy(),
        }
    )


def plane(
    result: EditionResult,
    labels: Mapping[str, CityLabel],
    hrefs: Mapping[str, str],
    highlight: str | None = None,
) -> tuple[Figure, dict[str, Any]]:
    levels = result.labels
    x, y = levels.x, levels.y
    first = result.stages.iloc[0]
    # The stage columns keep their historical names; they hold the x and y axes' thresholds.
    x_cut, y_cut = float(first["tdp_threshold"]), float(first["ecc_threshold"])
    spec = web_charts.plane_spec(
        plane_points(result, labels),
        axes=web_charts.PlaneAxes.of(levels),
        x_threshold=x_cut,
        y_threshold=y_cut,
        regions=stage_regions(result),
        hrefs=hrefs,
        highlight=highlight,
    )
    n = len(result.stages)
    alt = (
        f"Scatter plot of {n} cities by {x} score (horizontal) and {y} score (vertical), with "
        f"stage thresholds at {x} {x_cut:.1f} and {y} {y_cut:.1f}"
        + (
            f"; {labels[highlight].short_name} highlighted at {x} "
            f"{result.stages.at[highlight, x]:.1f}, "
            f"{y} {result.stages.at[highlight, y]:.1f}"
            if highlight
            else ". The ranking table below lists the same scores"
        )
        + "."
    )
    chart_id = "plane"
    return Figure(chart_id, alt, "plane"), {chart_id: spec}
