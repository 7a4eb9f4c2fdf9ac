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
)


@dataclass(frozen=True)
class SummaryChapter(Chapter):
    lead: tuple[str, ...]
    key_figures: tuple[KeyFigure, ...]
    findings: tuple[FindingView, ...]
    plane_heading: str
    plane: FigureView


def summary_chapter(
    result: EditionResult, labels: Mapping[str, CityLabel], book: ChartBook, number: int
) -> SummaryChapter:
    levels = result.labels
    index, x, y = levels.index, levels.x, levels.y
    scores, stages = result.scores, result.stages
    names = short_names(labels)
    leader = scores[index].idxmax()
    x_leader, y_leader = scores[x].idxmax(), scores[y].idxmax()
    counts = stages["stage_name"].value_counts()
    stage_list = ", ".join(f"{n} {name}" for name, n in counts.items())
    corr = scores[x].corr(scores[y], method="spearman")
    lead = (
        f"{names[leader]} leads the {result.year} edition with an overall score of "
        f"{scores.at[leader, index]:.1f}. {names[x_leader]} has the highest "
        f"{levels.name(x)} ({scores.at[x_leader, x]:.1f}) and {names[y_leader]} the "
        f"highest {levels.name(y)} ({scores.at[y_leader, y]:.1f}).",
        f"Across the {len(scores)} cities the two dimensions are only loosely related (Spearman "
        f"rank correlation {corr:.2f}): a large technology base does not by itself bring "
        f"prosperity, affordability and liveability. The cities fall into {len(counts)} "
        f"development stages: {stage_list}.",
    )
    spotlight = result.edition.spotlight_city
    figures = [
        KeyFigure(str(len(scores)), "cities scored"),
        KeyFigure(str(len(result.index.framework.indicators)), "indicators in the index"),
        KeyFigure(f"{corr:.2f}", f"rank correlation of {x} and {y}", "tdp"),
    ]
    if spotlight is not None and spotlight in stages.index:
        figures.append(
            KeyFigure(str(stages.at[spotlight, "stage_name"]), f"stage of {names[spotlight]}", "hl")
        )
    findings = tuple(
        finding_view(f, names, False) for f in select_findings(result, "executive_summary")
    )
    plane = plane_figure(book, result, labels, highlight=spotlight, height=560)
    return SummaryChapter(
        template="summary.html",
        anchor="summary",
        title=f"{number}. Executive summary",
        sections=(("findings", "Key findings"), ("plane", f"The {levels.plane} plane")),
        lead=lead,
        key_figures=tuple(figures),
        findings=findings,
        plane_heading=f"The {levels.plane} plane",
        plane=plane,
    )
