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
    stage_name,
)
from reportgen.report.i18n import ENGLISH, Translator


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


def lever_rows(
    result: EditionResult, names: Mapping[str, str], tr: Translator = ENGLISH
) -> tuple[LeverRow, ...]:
    """Per city below the top stage: points short of the next stage and the two largest levers."""
    levels = tr.labels(result.labels)
    levers = result.levers
    if levers is None or levers.empty:
        return ()
    stages = result.stages
    rows = []
    for city_id in result.scores[levels.index].sort_values(ascending=False).index:
        target_id = str(stages.at[city_id, "target_stage_id"] or "")
        target_id = "" if target_id == "nan" else target_id
        target = stage_name(result, target_id, tr) if target_id else ""
        mine = levers[(levers["city_id"] == city_id) & (levers["dimension_gain"] > 0.05)]
        if not target or mine.empty:
            continue
        top = mine.sort_values("lever_rank").head(2)
        text = tr.gettext("; ").join(
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
            LeverRow(
                names[city_id],
                stage_name(result, str(stages.at[city_id, "stage_id"]), tr),
                target,
                shortfall,
                text,
            )
        )
    return tuple(rows)


def _rule_text(band: Any, axis: str, threshold: float, tr: Translator = ENGLISH) -> str:
    if band == "high":
        return f"{axis} ≥ {threshold:.1f}"
    if band == "low":
        return f"{axis} < {threshold:.1f}"
    if band == "any":
        return tr.gettext("any {axis}").format(axis=axis)
    lo, hi = band
    return tr.gettext("{axis} in [{low}, {high})").format(axis=axis, low=lo, high=hi)


def _member(name: str, city_id: str, result: EditionResult) -> str:
    """A stage member's name, with the share of runs that keep it there when that is borderline."""
    table = result.stage_probabilities
    if table is None or city_id not in table.index:
        return name
    share = float(table.at[city_id, str(result.stages.at[city_id, "stage_id"])])
    if share >= result.edition.findings.borderline_probability:
        return name
    return f"{name} ({share:.0%})"


def stages_chapter(
    result: EditionResult,
    labels: Mapping[str, CityLabel],
    book: ChartBook,
    number: int,
    tr: Translator = ENGLISH,
) -> StagesChapter:
    _ = tr.gettext
    levels = tr.labels(result.labels)
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
                name=tr.name(stage.id, stage.name),
                css_class=classes[stage.id],
                rule=_("; ").join(
                    (
                        _rule_text(stage.rule.tdp, levels.x, x_cut, tr),
                        _rule_text(stage.rule.ecc, levels.y, y_cut, tr),
                    )
                ),
                description=tr.description(stage.id, stage.description),
                members=tr.join([_member(names[c], c, result) for c in ordered])
                or _("none this edition"),
            )
        )
    thresholds = stages_spec.thresholds
    intro = [
        _(
            "Each city's stage follows from where it sits on the {plane} plane. The typology is "
            "declared in the edition file: the {x} axis is cut at the {x_rule} ({x_cut}) and the "
            "{y} axis at the {y_rule} ({y_cut}) of this edition's cities, so a stage describes a "
            "city's position relative to its peers."
        ).format(
            plane=levels.plane,
            x=levels.x,
            x_rule=_threshold_word(thresholds.tdp, tr),
            x_cut=f"{x_cut:.1f}",
            y=levels.y,
            y_rule=_threshold_word(thresholds.ecc, tr),
            y_cut=f"{y_cut:.1f}",
        ),
    ]
    if result.stage_probabilities is not None:
        intro.append(
            _(
                "The probability that each city belongs to its stage, over the Monte Carlo "
                "replications of the modelling choices, is printed in its brief; a city whose "
                "stage holds in fewer than {share} of them is borderline, and its share is "
                "printed beside its name below."
            ).format(share=f"{result.edition.findings.borderline_probability:.0%}")
        )
    levers = lever_rows(result, names, tr)
    plane = plane_figure(
        book,
        result,
        labels,
        height=430,
        title=_("Development stages on the {plane} plane").format(plane=levels.plane),
        tr=tr,
    )
    return StagesChapter(
        template="stages.html",
        anchor="stages",
        title=_("{number}. Development stages").format(number=number),
        sections=(("typology", _("The stages")),)
        + ((("levers", _("What separates cities from the next stage")),) if levers else ()),
        intro=tuple(intro),
        plane=plane,
        stages=tuple(rows),
        levers=levers,
        levers_note=_(
            "Each lever raises one pillar to the median of the cities already in the next "
            "stage and shows how much the dimension score would gain (weighted arithmetic mean "
            "of pillars)."
        ),
    )


def _threshold_word(rule: Any, tr: Translator) -> str:
    """'median' or 'mean' (a threshold rule's name), or the number of a fixed threshold."""
    text = str(rule)
    words = {"median": tr.gettext("median"), "mean": tr.gettext("mean")}
    if text in words:
        return words[text]
    if text.startswith("p") and text[1:].isdigit() and not tr.is_source:
        return tr.gettext("{n}th percentile").format(n=text[1:])
    return text
