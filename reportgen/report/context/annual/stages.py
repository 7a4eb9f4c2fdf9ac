"""Chapter 5: the development stages on the plane and what separates cities from the next."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from reportgen.pipeline import EditionResult
from reportgen.report.context.annual.base import Chapter, short_names
from reportgen.report.context.common import (
    ChartBook,
    CityLabel,
    FigureView,
    plane_figure,
    stage_classes,
)


@dataclass(frozen=True)
class StageRow:
    name: str
    css_class: str
    rule: str
    description: str
    members: str


@dataclass(frozen=True)
class LeverRow:
    city: str
    stage: str
    target: str
    shortfall: str
    text: str


@dataclass(frozen=True)
class StagesChapter(Chapter):
    intro: tuple[str, ...]
    plane: FigureView
    stages: tuple[StageRow, ...]
    levers: tuple[LeverRow, ...]
    levers_note: str


def lever_rows(result: EditionResult, names: Mapping[str, str]) -> tuple[LeverRow, ...]:
    """Per city below the top stage: points short of the next stage and the two largest levers."""
    levels = result.labels
    levers = result.levers
    if levers is None or levers.empty:
        return ()
    stages = result.stages
    rows = []
    for city_id in result.scores[levels.index].sort_values(ascending=False).index:
        target = str(stages.at[city_id, "target_stage_name"] or "")
        mine = levers[(levers["city_id"] == city_id) & (levers["dimension_gain"] > 0.05)]
        if not target or mine.empty:
            continue
        top = mine.sort_values("lever_rank").head(2)
        text = "; ".join(
            f"{levels.name(r.pillar)} {r.pillar_score:.0f} → {r.peer_median:.0f} "
            f"(+{r.dimension_gain:.1f} {r.dimension})"
            for r in top.itertuples()
        )
        shortfall = " + ".join(
            f"{v:.1f} {d}"
            for d, v in (
                (levels.x, stages.at[city_id, "tdp_shortfall"]),
                (levels.y, stages.at[city_id, "ecc_shortfall"]),
            )
            if pd.notna(v) and v > 0
        )
        rows.append(
            LeverRow(names[city_id], str(stages.at[city_id, "stage_name"]), target, shortfall, text)
        )
    return tuple(rows)


def _rule_text(band: Any, axis: str, threshold: float) -> str:
    if band == "high":
        return f"{axis} ≥ {threshold:.1f}"
    if band == "low":
        return f"{axis} < {threshold:.1f}"
    if band == "any":
        return f"any {axis}"
    lo, hi = band
    return f"{axis} in [{lo}, {hi})"


def stages_chapter(
    result: EditionResult, labels: Mapping[str, CityLabel], book: ChartBook, number: int
) -> StagesChapter:
    levels = result.labels
    stages_spec = result.edition.stages
    stages = result.stages
    names = short_names(labels)
    classes = stage_classes(result)
    x_cut = float(stages["tdp_threshold"].iloc[0])
    y_cut = float(stages["ecc_threshold"].iloc[0])
    rows = []
    for stage in stages_spec.stages:
        members = stages.index[stages["stage_id"] == stage.id]
        ordered = result.scores.loc[members, levels.index].sort_values(ascending=False).index
        rows.append(
            StageRow(
                name=stage.name,
                css_class=classes[stage.id],
                rule=(
                    f"{_rule_text(stage.rule.tdp, levels.x, x_cut)}; "
                    f"{_rule_text(stage.rule.ecc, levels.y, y_cut)}"
                ),
                description=stage.description,
                members=", ".join(names[c] for c in ordered) or "none this edition",
            )
        )
    thresholds = stages_spec.thresholds
    intro = [
        f"Each city's stage follows from where it sits on the {levels.plane} plane. The "
        f"typology is declared in the edition file: the {levels.x} axis is cut at the "
        f"{thresholds.tdp} ({x_cut:.1f}) and the {levels.y} axis at the {thresholds.ecc} "
        f"({y_cut:.1f}) of this edition's cities, so a stage describes a city's position "
        "relative to its peers.",
    ]
    if result.stage_probabilities is not None:
        intro.append(
            "The probability that each city belongs to its stage, over the Monte Carlo "
            "replications of the modelling choices, is printed in its brief."
        )
    levers = lever_rows(result, names)
    plane = plane_figure(
        book, result, labels, height=430, title=f"Development stages on the {levels.plane} plane"
    )
    return StagesChapter(
        template="stages.html",
        anchor="stages",
        title=f"{number}. Development stages",
        sections=(("typology", "The stages"),)
        + ((("levers", "What separates cities from the next stage"),) if levers else ()),
        intro=tuple(intro),
        plane=plane,
        stages=tuple(rows),
        levers=levers,
        levers_note="Each lever raises one pillar to the median of the cities "
        "already in the next stage and shows how much the dimension "
        "score would gain (weighted arithmetic mean of pillars).",
    )
