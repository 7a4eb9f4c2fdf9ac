"""Chapter 2: the ranking table and the scores at a glance."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from reportgen import formatting
from reportgen.pipeline import EditionResult
from reportgen.report import charts
from reportgen.report.context.annual.base import Chapter
from reportgen.report.context.common import (
    ChartBook,
    CityLabel,
    FigureView,
    interval_text,
    rank_change_text,
    source_line,
    stage_classes,
)
from reportgen.report.context.words import interval_label, interval_words


@dataclass(frozen=True)
class RankRow:
    rank: str
    city: CityLabel
    stage: str
    stage_class: str
    overall: str
    interval: str
    tdp: str
    tdp_rank: str
    ecc: str
    ecc_rank: str
    change: str
    is_spotlight: bool


@dataclass(frozen=True)
class RankingHeader:
    """Column heads of the ranking table, from the edition's level names."""

    index: str
    x: str
    y: str
    interval: str


@dataclass(frozen=True)
class RankingsChapter(Chapter):
    intro: tuple[str, ...]
    table_note: str
    chart: FigureView


def ranking_rows(result: EditionResult, labels: Mapping[str, CityLabel]) -> tuple[RankRow, ...]:
    levels = result.labels
    index, x, y = levels.index, levels.x, levels.y
    scores, ranks, stages = result.scores, result.ranks, result.stages
    classes = stage_classes(result)
    order = (
        scores.assign(_r=ranks[index], _n=[labels[c].name for c in scores.index])
        .sort_values(["_r", "_n"])
        .index
    )
    spotlight = result.edition.spotlight_city
    return tuple(
        RankRow(
            rank=formatting.rank(ranks.at[city_id, index]),
            city=labels[city_id],
            stage=str(stages.at[city_id, "stage_name"]),
            stage_class=classes.get(str(stages.at[city_id, "stage_id"]), "stage-6"),
            overall=formatting.score(scores.at[city_id, index]),
            interval=interval_text(result, index, city_id),
            tdp=formatting.score(scores.at[city_id, x]),
            tdp_rank=formatting.rank(ranks.at[city_id, x]),
            ecc=formatting.score(scores.at[city_id, y]),
            ecc_rank=formatting.rank(ranks.at[city_id, y]),
            change=rank_change_text(result, index, city_id),
            is_spotlight=city_id == spotlight,
        )
        for city_id in order
    )


def ranking_header(result: EditionResult) -> RankingHeader:
    levels = result.labels
    interval = ""
    if result.uncertainty is not None:
        interval = interval_label(result.uncertainty.spec)
    return RankingHeader(levels.index, levels.x, levels.y, interval)


def rankings_chapter(
    result: EditionResult, labels: Mapping[str, CityLabel], book: ChartBook, number: int
) -> RankingsChapter:
    levels = result.labels
    scores = result.scores
    frame = pd.DataFrame(
        {
            "city_id": scores.index,
            "label": [labels[c].short_name for c in scores.index],
            "index": scores[levels.index].to_numpy(),
            "x": scores[levels.x].to_numpy(),
            "y": scores[levels.y].to_numpy(),
        }
    )
    chart = charts.ranking_chart(
        frame,
        dimensions=(levels.x, levels.y),
        title=f"{levels.index} score and its two dimensions",
        source=source_line(result),
        highlight=result.edition.spotlight_city,
    )
    fig = book.add(
        chart,
        f"Bar chart of the {levels.index.lower()} score of every city, best first, with its "
        f"{levels.x} and {levels.y} scores as dots.",
    )
    intro = (
        f"Cities are ranked by the {levels.index.lower()} score, the weighted mean of the "
        "two dimensions. Ranks are competition ranks: tied cities share the better rank.",
    )
    note = "Scores run from 0 to 100 within this edition's set of cities."
    if result.uncertainty is not None:
        spec = result.uncertainty.spec
        note += (
            f" The rank range is the {interval_words(spec)} of the city's rank over "
            f"{spec.n:,} Monte Carlo replications of the modelling choices (see Robustness)."
        )
    if result.previous is not None:
        note += f" Change: places gained (▲) or lost (▼) since the {result.previous.year} edition."
    return RankingsChapter(
        template="rankings.html",
        anchor="rankings",
        title=f"{number}. Rankings",
        sections=(("table", "Ranking table"), ("chart", "Scores at a glance")),
        intro=intro,
        table_note=note,
        chart=fig,
    )
