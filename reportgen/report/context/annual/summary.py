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
)


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
    result: EditionResult, labels: Mapping[str, CityLabel], book: ChartBook, number: int
) -> SummaryChapter:
    levels = result.labels
    scores, stages = result.scores, result.stages
    names = short_names(labels)
    spotlight = result.edition.spotlight_city
    figures = [
        KeyFigure(str(len(scores)), "cities scored"),
        KeyFigure(str(len(result.index.framework.indicators)), "indicators in the index"),
        KeyFigure(str(stages["stage_id"].nunique()), "development stages", "tdp"),
    ]
    if spotlight is not None and spotlight in stages.index:
        figures.append(
            KeyFigure(str(stages.at[spotlight, "stage_name"]), f"stage of {names[spotlight]}", "hl")
        )
    story = result.analysis.story.items if result.analysis is not None else ()
    findings = tuple(
        FindingView(
            kind=TOPIC_CLASS.get(item.topic, "data"),
            city_name="",
            sentence=item.sentence,
            caveats=tuple(item.caveats),
            show_city=False,
        )
        for item in story
    )
    plane = plane_figure(book, result, labels, highlight=spotlight, height=520)
    return SummaryChapter(
        template="summary.html",
        anchor="summary",
        title=f"{number}. Executive summary",
        sections=(("findings", "The edition in brief"), ("plane", f"The {levels.plane} plane")),
        lead=(),
        key_figures=tuple(figures),
        findings=findings,
        plane_heading=f"The {levels.plane} plane",
        plane=plane,
    )
