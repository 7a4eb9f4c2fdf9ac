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
    finding_view,
    plane_figure,
    select_findings,
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


def summary_chapter(
    result: EditionResult,
    labels: Mapping[str, CityLabel],
    book: ChartBook,
    number: int,
    tr: Translator = ENGLISH,
) -> SummaryChapter:
    _ = tr.gettext
    levels = tr.labels(result.labels)
    index, x, y = levels.index, levels.x, levels.y
    scores, stages = result.scores, result.stages
    names = short_names(labels)
    leader = scores[index].idxmax()
    x_leader, y_leader = scores[x].idxmax(), scores[y].idxmax()
    counts = stages["stage_name"].value_counts()
    ids = dict(zip(stages["stage_name"], stages["stage_id"], strict=True))
    stage_count = _("{n} {stage}")
    stage_list = tr.join(
        [
            stage_count.format(n=n, stage=stage_name(result, str(ids[name]), tr))
            for name, n in counts.items()
        ]
    )
    corr = scores[x].corr(scores[y], method="spearman")
    lead = (
        _(
            "{leader} leads the {year} edition with an overall score of {score}. {x_leader} has "
            "the highest {x_name} ({x_score}) and {y_leader} the highest {y_name} ({y_score})."
        ).format(
            leader=names[leader],
            year=result.year,
            score=f"{scores.at[leader, index]:.1f}",
            x_leader=names[x_leader],
            x_name=levels.name(x),
            x_score=f"{scores.at[x_leader, x]:.1f}",
            y_leader=names[y_leader],
            y_name=levels.name(y),
            y_score=f"{scores.at[y_leader, y]:.1f}",
        ),
        _(
            "Across the {n} cities the two dimensions are only loosely related (Spearman rank "
            "correlation {corr}): a large technology base does not by itself bring prosperity, "
            "affordability and liveability. The cities fall into {stages} development stages: "
            "{stage_list}."
        ).format(n=len(scores), corr=f"{corr:.2f}", stages=len(counts), stage_list=stage_list),
    )
    spotlight = result.edition.spotlight_city
    figures = [
        KeyFigure(str(len(scores)), _("cities scored")),
        KeyFigure(str(len(result.index.framework.indicators)), _("indicators in the index")),
        KeyFigure(f"{corr:.2f}", _("rank correlation of {x} and {y}").format(x=x, y=y), "tdp"),
    ]
    if spotlight is not None and spotlight in stages.index:
        figures.append(
            KeyFigure(
                stage_name(result, str(stages.at[spotlight, "stage_id"]), tr),
                _("stage of {city}").format(city=names[spotlight]),
                "hl",
            )
        )
    findings = tuple(
        finding_view(f, names, False) for f in select_findings(result, "executive_summary")
    )
    plane = plane_figure(book, result, labels, highlight=spotlight, height=560, tr=tr)
    plane_heading = _("The {plane} plane").format(plane=levels.plane)
    return SummaryChapter(
        template="summary.html",
        anchor="summary",
        title=_("{number}. Executive summary").format(number=number),
        sections=(("findings", _("Key findings")), ("plane", plane_heading)),
        lead=lead,
        key_figures=tuple(figures),
        findings=findings,
        plane_heading=plane_heading,
        plane=plane,
    )
