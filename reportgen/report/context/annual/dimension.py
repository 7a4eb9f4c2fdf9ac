"""Chapters 3 and 4: one per dimension, its pillars, their leaders and a heatmap of scores."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from reportgen import formatting
from reportgen.pipeline import EditionResult
from reportgen.report import charts
from reportgen.report.context.annual.base import Chapter, short_names
from reportgen.report.context.common import ChartBook, CityLabel, FigureView, source_line
from reportgen.report.i18n import ENGLISH, Translator


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
    tr: Translator = ENGLISH,
) -> DimensionChapter:
    _ = tr.gettext
    levels = tr.labels(result.labels)
    framework = result.index.framework
    pillars = [p for p in levels.pillars_of(dimension) if p in framework.codes_at(2)]
    weights = {p.id: p.weight for p in result.edition.framework.pillars}
    names = short_names(labels)
    scores = result.scores
    indicators = result.panel.indicators
    rows = []
    for pillar in pillars:
        top = scores[pillar].sort_values(ascending=False).head(3)
        rows.append(
            PillarRow(
                name=levels.name(pillar),
                description=levels.descriptions.get(pillar, ""),
                weight=f"{weights[pillar]:g}",
                indicators=tuple(
                    tr.indicator(i, indicators.loc[i]).short_name
                    if i in indicators.index
                    else str(i)
                    for i in framework.children(pillar)
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
        title=_("{dimension} pillar scores by city").format(dimension=dimension),
        source=source_line(result, tr),
        value_title=_("Score (0-100)"),
        cell_height=12,
        tr=tr,
    )
    fig = book.add(
        heat,
        _(
            "Heatmap of {n} {dimension} pillar scores and the {dimension} score for {cities} "
            "cities, sorted by {dimension}."
        ).format(n=len(pillars), dimension=dimension, cities=len(order)),
    )
    leader = scores[dimension].idxmax()
    intro = (
        levels.descriptions.get(dimension, ""),
        _(
            "{leader} leads {dimension} with {score}; the median city scores {median}. The "
            "dimension combines {n} pillars with the weights below."
        ).format(
            leader=names[leader],
            dimension=dimension,
            score=f"{scores.at[leader, dimension]:.1f}",
            median=f"{scores[dimension].median():.1f}",
            n=len(pillars),
        ),
    )
    return DimensionChapter(
        template="dimension.html",
        anchor=dimension.lower(),
        title=_("{number}. {name}").format(number=number, name=levels.name(dimension)),
        sections=(("pillars", _("Pillars and leaders")), ("heatmap", _("Pillar scores by city"))),
        intro=intro,
        pillars=tuple(rows),
        heatmap=fig,
        short=dimension,
        css_class=f"dim-{dimension.lower()}",
    )
