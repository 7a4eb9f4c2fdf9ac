"""Chapters 3 and 4: one per dimension, its pillars, their leaders and a heatmap of scores."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from reportgen import formatting
from reportgen.pipeline import EditionResult
from reportgen.report import charts
from reportgen.report.context.annual.base import Chapter, short_names
from reportgen.report.context.common import ChartBook, CityLabel, FigureView, source_line


@dataclass(frozen=True)
class PillarRow:
    name: str
    description: str
    weight: str
    indicators: tuple[str, ...]
    leaders: tuple[str, ...]
    median: str


@dataclass(frozen=True)
class DimensionChapter(Chapter):
    intro: tuple[str, ...]
    pillars: tuple[PillarRow, ...]
    heatmap: FigureView
    short: str
    css_class: str


def dimension_chapter(
    result: EditionResult,
    dimension: str,
    labels: Mapping[str, CityLabel],
    book: ChartBook,
    number: int,
) -> DimensionChapter:
    levels = result.labels
    framework = result.index.framework
    pillars = [p for p in levels.pillars_of(dimension) if p in framework.codes_at(2)]
    weights = {p.id: p.weight for p in result.edition.framework.pillars}
    names = short_names(labels)
    scores = result.scores
    indicator_names = result.panel.indicators["short_name"]
    rows = []
    for pillar in pillars:
        top = scores[pillar].sort_values(ascending=False).head(3)
        rows.append(
            PillarRow(
                name=levels.name(pillar),
                description=levels.descriptions.get(pillar, ""),
                weight=f"{weights[pillar]:g}",
                indicators=tuple(
                    str(indicator_names.get(i, i)) for i in framework.children(pillar)
                ),
                leaders=tuple(f"{names[c]} ({v:.0f})" for c, v in top.items()),
                median=formatting.score(scores[pillar].median()),
            )
        )
    order = scores.sort_values(dimension, ascending=False).index
    matrix = scores.loc[order, [*pillars, dimension]].copy()
    matrix.index = [names[c] for c in order]
    matrix.columns = [levels.name(p) for p in pillars] + [dimension]
    heat = charts.heatmap_chart(
        matrix,
        title=f"{dimension} pillar scores by city",
        source=source_line(result),
        value_title="Score (0-100)",
        cell_height=12,
    )
    fig = book.add(
        heat,
        f"Heatmap of {len(pillars)} {dimension} pillar scores and the {dimension} "
        f"score for {len(order)} cities, sorted by {dimension}.",
    )
    leader = scores[dimension].idxmax()
    intro = (
        levels.descriptions.get(dimension, ""),
        f"{names[leader]} leads {dimension} with {scores.at[leader, dimension]:.1f}; the median "
        f"city scores {scores[dimension].median():.1f}. The dimension combines "
        f"{len(pillars)} pillars with the weights below.",
    )
    return DimensionChapter(
        template="dimension.html",
        anchor=dimension.lower(),
        title=f"{number}. {levels.name(dimension)}",
        sections=(("pillars", "Pillars and leaders"), ("heatmap", "Pillar scores by city")),
        intro=intro,
        pillars=tuple(rows),
        heatmap=fig,
        short=dimension,
        css_class=f"dim-{dimension.lower()}",
    )
