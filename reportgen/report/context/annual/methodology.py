"""Chapter 9: the methodology, generated from the build so the text cannot disagree with it."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from reportgen import formatting
from reportgen.pipeline import EditionResult
from reportgen.report.context.annual.base import Chapter
from reportgen.report.context.annual.data_choices import (
    ChoiceText,
    DataYearRow,
    data_choices,
    data_year_rows,
)
from reportgen.report.context.annual.robustness import code_names
from reportgen.report.i18n import ENGLISH, Translator
from reportgen.report.methodology import StepText, build_rows, describe_build


@dataclass(frozen=True)
class FrameworkRow:
    dimension: str
    pillar: str
    indicator: str
    direction: str
    weight: str
    role: str


@dataclass(frozen=True)
class TreatedRow:
    name: str
    skew0: str
    kurt0: str
    treatment: str
    skew1: str
    kurt1: str


@dataclass(frozen=True)
class BuildRow:
    step: str
    method: str
    parameters: str


@dataclass(frozen=True)
class MethodologyChapter(Chapter):
    intro: tuple[str, ...]
    framework_rows: tuple[FrameworkRow, ...]
    steps: tuple[StepText, ...]
    treated_rows: tuple[TreatedRow, ...]
    build_rows: tuple[BuildRow, ...]
    choices: tuple[ChoiceText, ...]
    data_years: tuple[DataYearRow, ...]
    salience: tuple[str, ...]


def _framework_rows(result: EditionResult, tr: Translator) -> tuple[FrameworkRow, ...]:
    _ = tr.gettext
    levels = tr.labels(result.labels)
    indicators = result.panel.indicators
    pillar_order = list(levels.pillars)
    ordered = sorted(
        indicators.index,
        key=lambda i: (
            pillar_order.index(indicators.at[i, "pillar"])
            if indicators.at[i, "pillar"] in pillar_order
            else len(pillar_order),
            indicators.at[i, "role"] != "index",
            str(i),
        ),
    )
    rows = []
    for indicator_id in ordered:
        row = indicators.loc[indicator_id]
        scored = row["role"] == "index" and float(row["weight"]) > 0
        pillar = str(row["pillar"])
        rows.append(
            FrameworkRow(
                dimension=str(row["dimension"]),
                pillar=levels.name(pillar) if pillar in pillar_order else "",
                indicator=tr.indicator(str(indicator_id), row).name,
                direction="+" if float(row["direction"]) > 0 else "−",
                weight=f"{float(row['weight']):g}" if scored else "–",
                role=_("scored") if scored else _("context only"),
            )
        )
    return tuple(rows)


def _treated_rows(result: EditionResult, tr: Translator) -> tuple[TreatedRow, ...]:
    _ = tr.gettext
    log = result.index.treatment_log
    if "treatment" not in log.columns:
        return ()
    names = code_names(result, tr)
    rows = []
    for _row_id, row in log[log["treatment"].fillna("none") != "none"].iterrows():
        code = str(row["iCode"])
        treatment = str(row["treatment"])
        if treatment == "winsorise":
            treatment = _("winsorised ({n} points)").format(n=int(row["winsorise.nwin"]))
        elif treatment == "log_ct":
            treatment = _("log transform")
        skew1 = row.get("check_SkewKurt1.Skew")
        kurt1 = row.get("check_SkewKurt1.Kurt")
        if "check_SkewKurt2.Skew" in log.columns and not pd.isna(row.get("check_SkewKurt2.Skew")):
            skew1, kurt1 = row["check_SkewKurt2.Skew"], row["check_SkewKurt2.Kurt"]
        rows.append(
            TreatedRow(
                names.get(code, code),
                formatting.score(row["check_SkewKurt0.Skew"], 2),
                formatting.score(row["check_SkewKurt0.Kurt"], 2),
                treatment,
                formatting.score(skew1, 2),
                formatting.score(kurt1, 2),
            )
        )
    return tuple(rows)


def methodology_chapter(
    result: EditionResult, number: int, tr: Translator = ENGLISH
) -> MethodologyChapter:
    _ = tr.gettext
    levels = tr.labels(result.labels)
    weight = _("{dimension} weight {weight}")
    weights = _("; ").join(
        weight.format(dimension=d.id, weight=f"{d.weight:g}")
        for d in result.edition.framework.dimensions
    )
    intro = (
        _(
            "The index follows the OECD/JRC Handbook on Constructing Composite Indicators, and "
            "its engine reproduces the COINr reference implementation to within 10⁻⁹ on COINr's "
            "own example. Indicators are grouped into pillars, pillars into the two dimensions, "
            "and the dimensions into the {index} score ({weights})."
        ).format(index=levels.name(levels.index).lower(), weights=weights),
        _(
            "Context indicators are printed in the briefs and the annex but do not enter the "
            "scores: their coverage is too low, or they overlap with a scored indicator."
        ),
    )
    return MethodologyChapter(
        template="methodology.html",
        anchor="methodology",
        title=_("{number}. Methodology").format(number=number),
        sections=(
            ("framework", _("Framework and weights")),
            ("data", _("Data choices")),
            ("steps", _("How the index is built")),
            ("findings", _("How findings are chosen")),
        ),
        intro=intro,
        framework_rows=_framework_rows(result, tr),
        steps=tuple(describe_build(result.build, tr)),
        treated_rows=_treated_rows(result, tr),
        build_rows=tuple(BuildRow(*row) for row in build_rows(result.build)),
        choices=data_choices(result, tr),
        data_years=data_year_rows(result, tr),
        salience=tuple(result.analysis.salience_method) if result.analysis is not None else (),
    )
