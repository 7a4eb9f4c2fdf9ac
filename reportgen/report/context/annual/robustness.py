"""Chapter 8: how sure the ranks are (Monte Carlo, Sobol) and the statistical audit."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from reportgen import formatting
from reportgen.index.uncertainty import UncertaintySpec
from reportgen.pipeline import EditionResult
from reportgen.report import charts, theme
from reportgen.report.context.annual.base import Chapter, short_names
from reportgen.report.context.common import ChartBook, CityLabel, FigureView, source_line
from reportgen.report.context.words import interval_label, interval_words


@dataclass(frozen=True)
class SensitivityRow:
    name: str
    alternatives: str
    first: str
    total: str


@dataclass(frozen=True)
class ConsistencyRow:
    name: str
    count: str
    alpha: str
    pc1: str
    flags: str


@dataclass(frozen=True)
class WeightRow:
    name: str
    parent: str
    nominal: str
    effective: str


@dataclass(frozen=True)
class RobustnessChapter(Chapter):
    intro: tuple[str, ...]
    intervals: FigureView | None
    sensitivity_rows: tuple[SensitivityRow, ...]
    sensitivity_note: str
    audit_text: tuple[str, ...]
    pillar_rows: tuple[ConsistencyRow, ...]
    weight_rows: tuple[WeightRow, ...]
    correlations: FigureView | None


FACTOR_LABELS = {
    "imputation": "Imputation method",
    "winsorisation": "Winsorisation limit",
    "normalisation": "Normalisation method",
    "weights": "Weights (random noise)",
    "aggregation": "Aggregation method",
    "drop_indicator": "Dropping one indicator",
}


def _alternatives_text(spec: UncertaintySpec, factor: str) -> str:
    value = getattr(spec, factor)
    if factor == "weights" and value is not None:
        return f"±{value.noise:.0%} uniform at levels {', '.join(str(x) for x in value.levels)}"
    if factor == "drop_indicator":
        return "each scored indicator in turn"
    if factor == "winsorisation":
        return ", ".join(str(v) for v in value)
    return "; ".join(", ".join(f"{k}={v}" for k, v in alt.items()) for alt in value)


def code_names(result: EditionResult) -> dict[str, str]:
    """Printed names of indicators (short), pillars, dimensions (their codes) and the index."""
    levels = result.labels
    names = {str(k): str(v) for k, v in result.panel.indicators["short_name"].items()}
    names.update({p: levels.name(p) for p in levels.pillars})
    names.update({d: d for d in levels.dimensions})
    names[levels.index] = levels.index
    return names


def _list(names: Mapping[str, str], codes: Iterable[Any]) -> str:
    return ", ".join(names.get(str(c), str(c)) for c in codes)


def _count_sentence(count: int, what: str, names: str) -> str:
    # "No indicator ...", never "0 indicators ...: none".
    if count == 0:
        return f"No indicator {what}."
    if count == 1:
        return f"One indicator {what}: {names}."
    return f"{count} indicators {what}: {names}."


def _interval_figure(
    result: EditionResult, labels: Mapping[str, CityLabel], book: ChartBook
) -> tuple[FigureView, str]:
    mc = result.uncertainty
    assert mc is not None
    levels = result.labels
    names = short_names(labels)
    spec = mc.spec
    summary = mc.rank_summary(levels.index)
    low_col, high_col = spec.interval_columns
    frame = pd.DataFrame(
        {
            "city_id": summary.index.astype(str),
            "label": [names[c] for c in summary.index],
            "nominal": summary["nominal"].to_numpy(float),
            "median": summary["median"].to_numpy(float),
            "low": summary[low_col].to_numpy(float),
            "high": summary[high_col].to_numpy(float),
        }
    )
    widths = frame["high"] - frame["low"]
    factors = ", ".join(FACTOR_LABELS[f].lower() for f in spec.factors())
    text = (
        f"A rank depends on choices that reasonable analysts could make differently. The "
        f"index was rebuilt {spec.n:,} times (seed {spec.seed}), each time drawing at random "
        f"among the alternatives for: {factors}. The median city's {interval_label(spec)} rank "
        f"range spans {widths.median():.0f} places; the widest spans {widths.max():.0f} "
        f"({names[frame.loc[widths.idxmax(), 'city_id']]})."
    )
    chart = charts.interval_chart(
        frame,
        title=f"{levels.index} rank and its {interval_label(spec)} interval",
        source=source_line(result),
        highlight=result.edition.spotlight_city,
    )
    figure = book.add(
        chart,
        "Chart of each city's nominal and median rank with a bar from its "
        f"{interval_words(spec)} rank across the Monte Carlo replications.",
    )
    return figure, text


def _with_interval(row: pd.Series, name: str) -> str:
    """'0.01 (−0.05 to 0.06)': a Sobol estimate with its bootstrap 95% interval, so that noise
    (a first-order index above its total-order one) reads as noise."""
    low, high = row.get(f"{name}_low"), row.get(f"{name}_high")
    text = formatting.score(row[name], 2)
    if low is None or high is None or pd.isna(low) or pd.isna(high):
        return text
    return f"{text} ({formatting.score(low, 2)} to {formatting.score(high, 2)})"


def _sensitivity_rows(result: EditionResult) -> tuple[SensitivityRow, ...]:
    mc = result.uncertainty
    if mc is None or mc.sensitivity is None or mc.sensitivity.empty:
        return ()
    return tuple(
        SensitivityRow(
            name=FACTOR_LABELS.get(str(factor), str(factor)),
            alternatives=_alternatives_text(mc.spec, str(factor)),
            first=_with_interval(row, "first_order"),
            total=_with_interval(row, "total_order"),
        )
        for factor, row in mc.sensitivity.iterrows()
    )


def robustness_chapter(
    result: EditionResult, labels: Mapping[str, CityLabel], book: ChartBook, number: int
) -> RobustnessChapter:
    names = code_names(result)
    intro: list[str] = []
    sections: list[tuple[str, str]] = []
    intervals = None
    if result.uncertainty is not None:
        intervals, text = _interval_figure(result, labels, book)
        intro.append(text)
        sections.append(("intervals", "Rank intervals"))
    else:
        intro.append(
            "The uncertainty analysis was not run for this build (no uncertain inputs "
            "declared in the edition file)."
        )
    sensitivity = _sensitivity_rows(result)
    if sensitivity:
        sections.append(("sensitivity", "Which choices move the ranks"))

    audit = result.audit
    assert audit is not None, "compute_edition runs the audit"
    pillar_rows = []
    consistency = audit.consistency
    for _, row in consistency[consistency["level"] == 2].iterrows():
        several = row["n_indicators"] > 1
        pillar_rows.append(
            ConsistencyRow(
                name=names.get(str(row["code"]), str(row["code"])),
                count=str(row["n_indicators"]),
                alpha=formatting.score(row["cronbach_alpha"], 2) if several else "–",
                pc1=formatting.percent(row["pc1_share"]) if several else "–",
                flags="α below 0.7" if several and not row["alpha_ok"] else "",
            )
        )
    parent = audit.parent_correlations
    # A pillar's only indicator trivially correlates 1 with it: judge pillars of two or more.
    shared = ~parent["only_child"].astype(bool)
    weak = parent[(parent["flag"] == "weak") & (parent["level"] == 1) & shared]
    redundant = parent[(parent["flag"] == "redundant") & (parent["level"] == 1) & shared]
    treated = result.index.treatment_log
    n_treated = int((treated.get("treatment", pd.Series(dtype=str)).fillna("none") != "none").sum())
    audit_text = (
        f"The audit follows JRC practice. {n_treated} indicators were treated for outliers (see "
        "Methodology). "
        + _count_sentence(
            len(weak), "correlates weakly with its pillar (r < 0.3)", _list(names, weak["code"])
        )
        + " "
        + _count_sentence(
            len(redundant),
            "is nearly redundant with its pillar (r > 0.92)",
            _list(names, redundant["code"]),
        ),
        "Pillars with several indicators should be internally consistent (Cronbach's α ≥ 0.7) "
        "and dominated by one principal component.",
    )
    effective = audit.effective_weights
    weight_rows = tuple(
        WeightRow(
            names.get(str(row["code"]), str(row["code"])),
            names.get(str(row["parent"]), str(row["parent"])),
            formatting.percent(row["nominal"]),
            formatting.percent(row["effective"]),
        )
        for _, row in effective[
            (effective["level"] == 2) & (effective["parent_level"] == 3)
        ].iterrows()
    )
    assert result.correlations is not None, "compute_edition computes the correlations"
    corr = result.correlations.copy()
    corr.index = [names.get(str(c), str(c)) for c in corr.index]
    corr.columns = corr.index
    heat = charts.heatmap_chart(
        corr,
        title="Correlations between pillars and dimensions",
        source=source_line(result),
        value_title="Pearson r",
        domain=(-1, 1),
        scheme=theme.DIVERGING_SCHEME,
        decimals=2,
        cell_height=22,
        width=560,
    )
    correlations = book.add(
        heat, "Heatmap of Pearson correlations between the pillar scores and the two dimensions."
    )
    sections.append(("audit", "Statistical audit"))
    return RobustnessChapter(
        template="robustness.html",
        anchor="robustness",
        title=f"{number}. Robustness and audit",
        sections=tuple(sections),
        intro=tuple(intro),
        intervals=intervals,
        sensitivity_rows=sensitivity,
        sensitivity_note=(
            "Sobol sensitivity indices of the mean absolute rank shift from the nominal "
            "ranking (Saltelli design, Jansen estimators), with bootstrap 95% intervals in "
            "brackets. First order: share of the variance due to the choice alone; total order: "
            "including its interactions. A small first-order index can exceed its total-order "
            "one by estimation noise; the intervals show when it does."
        )
        if sensitivity
        else "",
        audit_text=audit_text,
        pillar_rows=tuple(pillar_rows),
        weight_rows=weight_rows,
        correlations=correlations,
    )
