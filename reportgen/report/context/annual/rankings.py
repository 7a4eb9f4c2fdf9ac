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
    stage_name,
)
from reportgen.report.context.words import interval_label, interval_words
from reportgen.report.i18n import ENGLISH, Translator


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


def ranking_rows(
    result: EditionResult, labels: Mapping[str, CityLabel], tr: Translator = ENGLISH
) -> tuple[RankRow, ...]:
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
            stage=stage_name(result, str(stages.at[city_id, "stage_id"]), tr),
            stage_class=classes.get(str(stages.at[city_id, "stage_id"]), "stage-6"),
            overall=formatting.score(scores.at[city_id, index]),
            interval=interval_text(result, index, city_id),
            tdp=formatting.score(scores.at[city_id, x]),
            tdp_rank=formatting.rank(ranks.at[city_id, x]),
            ecc=formatting.score(scores.at[city_id, y]),
            ecc_rank=formatting.rank(ranks.at[city_id, y]),
            change=rank_change_text(result, index, city_id, tr),
            is_spotlight=city_id == spotlight,
        )
        for city_id in order
    )


def ranking_header(result: EditionResult, tr: Translator = ENGLISH) -> RankingHeader:
    levels = result.labels
    interval = ""
    if result.uncertainty is not None:
        interval = interval_label(result.uncertainty.spec)
    return RankingHeader(tr.name(levels.index, levels.index), levels.x, levels.y, interval)


def rankings_chapter(
    result: EditionResult,
    labels: Mapping[str, CityLabel],
    book: ChartBook,
    number: int,
    tr: Translator = ENGLISH,
) -> RankingsChapter:
    _ = tr.gettext
    levels = result.labels
    index_name = tr.name(levels.index, levels.index)
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
        title=_("{index} score and its two dimensions").format(index=index_name),
        source=source_line(result, tr),
        highlight=result.edition.spotlight_city,
        tr=tr,
    )
    fig = book.add(
        chart,
        _(
            "Bar chart of the {index} score of every city, best first, with its {x} and {y} "
            "scores as dots."
        ).format(index=index_name.lower(), x=levels.x, y=levels.y),
    )
    intro = (
        _(
            "Cities are ranked by the {index} score, the weighted mean of the two dimensions. "
            "Ranks are competition ranks: tied cities share the better rank."
        ).format(index=index_name.lower()),
    )
    note = _("Scores run from 0 to 100 within this edition's set of cities.")
    if result.uncertainty is not None:
        spec = result.uncertainty.spec
        note += _(
            " The rank range is the {interval} of the city's rank over {n} Monte Carlo "
            "replications of the modelling choices (see Robustness)."
        ).format(interval=interval_words(spec, tr), n=tr.integer(spec.n))
    if result.previous is not None:
        note += _(" Change: places gained (▲) or lost (▼) since the {year} edition.").format(
            year=result.previous.year
        )
    return RankingsChapter(
        template="rankings.html",
        anchor="rankings",
        title=_("{number}. Rankings").format(number=number),
        sections=(("table", _("Ranking table")), ("chart", _("Scores at a glance"))),
        intro=intro,
        table_note=note,
        chart=fig,
    )
