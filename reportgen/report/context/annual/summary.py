"""Chapter 1: the executive summary, the edition's story on one page."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from reportgen.pipeline import EditionResult
from reportgen.report.context.annual.base import Chapter, short_names
from reportgen.report.context.common import (
    ChartBook,
    CityLabel,
    FigureView,
    FindingView,
    KeyFigure,
    plane_figure,
    stage_name,
)
from reportgen.report.i18n import ENGLISH, Translator


@dataclass(frozen=True)
class SummaryChapter(Chapter):
    lead: tuple[str, ...]
    key_figures: tuple[KeyFigure, ...]
    findings: tuple[FindingView, ...]
    plane_heading: str
    plane: FigureView


# Bullet colour of each story topic (the classes the findings lists use).
TOPIC_CLASS = {
    "leader": "strength",
    "dimensions": "data",
    "stages": "stage",
    "movers": "mover",
    "spotlight": "gap",
}


def summary_chapter(
    result: EditionResult,
    labels: Mapping[str, CityLabel],
    book: ChartBook,
    number: int,
    tr: Translator = ENGLISH,
) -> SummaryChapter:
    _ = tr.gettext
    levels = tr.labels(result.labels)
    scores, stages = result.scores, result.stages
    names = short_names(labels)
    spotlight = result.edition.spotlight_city
    figures = [
        KeyFigure(str(len(scores)), _("cities scored")),
        KeyFigure(str(len(result.index.framework.indicators)), _("indicators in the index")),
        KeyFigure(str(stages["stage_id"].nunique()), _("development stages"), "tdp"),
    ]
    if spotlight is not None and spotlight in stages.index:
        figures.append(
            KeyFigure(
                stage_name(result, str(stages.at[spotlight, "stage_id"]), tr),
                _("stage of {city}").format(city=names[spotlight]),
                "hl",
            )
        )
    story = result.analysis.story.items if result.analysis is not None else ()
    findings = tuple(
        FindingView(
            kind=TOPIC_CLASS.get(item.topic, "data"),
            city_name="",
            sentence=item.sentence,
            caveats=tuple(dict.fromkeys(item.caveats)),  # each caveat once
            show_city=False,
        )
        for item in story
    )
    plane = plane_figure(book, result, labels, highlight=spotlight, height=520, tr=tr)
    plane_heading = _("The {plane} plane").format(plane=levels.plane)
    return SummaryChapter(
        template="summary.html",
        anchor="summary",
        title=_("{number}. Executive summary").format(number=number),
        sections=(("findings", _("The edition in brief")), ("plane", plane_heading)),
        lead=(),
        key_figures=tuple(figures),
        findings=findings,
        plane_heading=plane_heading,
        plane=plane,
    )
