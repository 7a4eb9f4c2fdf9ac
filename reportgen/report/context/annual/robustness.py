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
from reportgen.report.i18n import ENGLISH, Translator


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


def factor_labels(tr: Translator = ENGLISH) -> dict[str, str]:
    """FACTOR_LABELS in ``tr``'s language (each a literal msgid, so extraction finds it)."""
    _ = tr.gettext
    return {
        "imputation": _("Imputation method"),
        "winsorisation": _("Winsorisation limit"),
        "normalisation": _("Normalisation method"),
        "weights": _("Weights (random noise)"),
        "aggregation": _("Aggregation method"),
        "drop_indicator": _("Dropping one indicator"),
    }


def _alternatives_text(spec: UncertaintySpec, factor: str, tr: Translator = ENGLISH) -> str:
    value = getattr(spec, factor)
    if factor == "weights" and value is not None:
        return tr.gettext("±{noise} uniform at levels {levels}").format(
            noise=tr.percent(value.noise), levels=", ".join(str(x) for x in value.levels)
        )
    if factor == "drop_indicator":
        return tr.gettext("each scored indicator in turn")
    if factor == "winsorisation":
        return ", ".join(str(v) for v in value)
    return "; ".join(", ".join(f"{k}={v}" for k, v in alt.items()) for alt in value)


def code_names(result: EditionResult, tr: Translator = ENGLISH) -> dict[str, str]:
    """Printed names of indicators (short), pillars, dimensions (their codes) and the index."""
    levels = tr.labels(result.labels)
    indicators = result.panel.indicators
    if tr.is_source:
        names = {str(k): str(v) for k, v in indicators["short_name"].items()}
    else:
        names = {str(k): tr.indicator(str(k), row).short_name for k, row in indicators.iterrows()}
    names.update({p: levels.name(p) for p in levels.pillars})
    names.update({d: d for d in levels.dimensions})
    names[levels.index] = levels.name(levels.index)
    return names


def _list(names: Mapping[str, str], codes: Iterable[Any], tr: Translator = ENGLISH) -> str:
    return tr.join([names.get(str(c), str(c)) for c in codes])


def _weak_sentence(count: int, names: str, tr: Translator) -> str:
    # "No indicator ...", never "0 indicators ...: none".
    _ = tr.gettext
    if count == 0:
        return _("No indicator correlates weakly with its pillar (r < 0.3).")
    if count == 1:
        return _("One indicator correlates weakly with its pillar (r < 0.3): {names}.").format(
            names=names
        )
    # The English keeps its printed wording (a test holds English output byte-identical).
    return _("{n} indicators correlates weakly with its pillar (r < 0.3): {names}.").format(
        n=count, names=names
    )


def _redundant_sentence(count: int, names: str, tr: Translator) -> str:
    _ = tr.gettext
    if count == 0:
        return _("No indicator is nearly redundant with its pillar (r > 0.92).")
    if count == 1:
        return _("One indicator is nearly redundant with its pillar (r > 0.92): {names}.").format(
            names=names
        )
    return _("{n} indicators is nearly redundant with its pillar (r > 0.92): {names}.").format(
        n=count, names=names
    )


def _interval_figure(
    result: EditionResult, labels: Mapping[str, CityLabel], book: ChartBook, tr: Translator
) -> tuple[FigureView, str]:
    _ = tr.gettext
    mc = result.uncertainty
    assert mc is not None
    levels = result.labels
    index_name = tr.name(levels.index, levels.index)
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
    labels_ = factor_labels(tr)
    factors = tr.join([labels_[f].lower() for f in spec.factors()])
    text = _(
        "A rank depends on choices that reasonable analysts could make differently. The index "
        "was rebuilt {n} times (seed {seed}), each time drawing at random among the alternatives "
        "for: {factors}. The median city's {interval} rank range spans {median} places; the "
        "widest spans {widest} ({city})."
    ).format(
        n=tr.integer(spec.n),
        seed=spec.seed,
        factors=factors,
        interval=interval_label(spec),
        median=f"{widths.median():.0f}",
        widest=f"{widths.max():.0f}",
        city=names[frame.loc[widths.idxmax(), "city_id"]],
    )
    chart = charts.interval_chart(
        frame,
        title=_("{index} rank and its {interval} interval").format(
            index=index_name, interval=interval_label(spec)
        ),
        source=source_line(result, tr),
        highlight=result.edition.spotlight_city,
        tr=tr,
    )
    figure = book.add(
        chart,
        _(
            "Chart of each city's nominal and median rank with a bar from its {interval} rank "
            "across the Monte Carlo replications."
        ).format(interval=interval_words(spec, tr)),
    )
    return figure, text


def _with_interval(row: pd.Series, name: str, tr: Translator = ENGLISH) -> str:
    """'0.01 (−0.05 to 0.06)': a Sobol estimate with its bootstrap 95% interval, so that noise
    (a first-order index above its total-order one) reads as noise."""
    low, high = row.get(f"{name}_low"), row.get(f"{name}_high")
    text = formatting.score(row[name], 2)
    if low is None or high is None or pd.isna(low) or pd.isna(high):
        return text
    return tr.gettext("{value} ({low} to {high})").format(
        value=text, low=formatting.score(low, 2), high=formatting.score(high, 2)
    )


def _sensitivity_rows(
    result: EditionResult, tr: Translator = ENGLISH
) -> tuple[SensitivityRow, ...]:
    mc = result.uncertainty
    if mc is None or mc.sensitivity is None or mc.sensitivity.empty:
        return ()
    labels = factor_labels(tr)
    return tuple(
        SensitivityRow(
            name=labels.get(str(factor), str(factor)),
            alternatives=_alternatives_text(mc.spec, str(factor), tr),
            first=_with_interval(row, "first_order", tr),
            total=_with_interval(row, "total_order", tr),
        )
        for factor, row in mc.sensitivity.iterrows()
    )


def robustness_chapter(
    result: EditionResult,
    labels: Mapping[str, CityLabel],
    book: ChartBook,
    number: int,
    tr: Translator = ENGLISH,
) -> RobustnessChapter:
    _ = tr.gettext
    names = code_names(result, tr)
    intro: list[str] = []
    sections: list[tuple[str, str]] = []
    intervals = None
    if result.uncertainty is not None:
        intervals, text = _interval_figure(result, labels, book, tr)
        intro.append(text)
        sections.append(("intervals", _("Rank intervals")))
    else:
        intro.append(
            _(
                "The uncertainty analysis was not run for this build (no uncertain inputs "
                "declared in the edition file)."
            )
        )
    sensitivity = _sensitivity_rows(result, tr)
    if sensitivity:
        sections.append(("sensitivity", _("Which choices move the ranks")))

    audit = result.audit
    assert audit is not None, "compute_edition runs the audit"
    pillar_rows = []
    consistency = audit.consistency
    for _row_id, row in consistency[consistency["level"] == 2].iterrows():
        several = row["n_indicators"] > 1
        pillar_rows.append(
            ConsistencyRow(
                name=names.get(str(row["code"]), str(row["code"])),
                count=str(row["n_indicators"]),
                alpha=formatting.score(row["cronbach_alpha"], 2) if several else "–",
                pc1=tr.percent(row["pc1_share"]) if several else "–",
                flags=_("α below 0.7") if several and not row["alpha_ok"] else "",
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
        tr.sentences(
            [
                _(
                    "The audit follows JRC practice. {n} indicators were treated for outliers "
                    "(see Methodology)."
                ).format(n=n_treated),
                _weak_sentence(len(weak), _list(names, weak["code"], tr), tr),
                _redundant_sentence(len(redundant), _list(names, redundant["code"], tr), tr),
            ]
        ),
        _(
            "Pillars with several indicators should be internally consistent (Cronbach's α ≥ "
            "0.7) and dominated by one principal component."
        ),
    )
    effective = audit.effective_weights
    weight_rows = tuple(
        WeightRow(
            names.get(str(row["code"]), str(row["code"])),
            names.get(str(row["parent"]), str(row["parent"])),
            tr.percent(row["nominal"]),
            tr.percent(row["effective"]),
        )
        for _row_id, row in effective[
            (effective["level"] == 2) & (effective["parent_level"] == 3)
        ].iterrows()
    )
    assert result.correlations is not None, "compute_edition computes the correlations"
    corr = result.correlations.copy()
    corr.index = [names.get(str(c), str(c)) for c in corr.index]
    corr.columns = corr.index
    heat = charts.heatmap_chart(
        corr,
        title=_("Correlations between pillars and dimensions"),
        source=source_line(result, tr),
        value_title=_("Pearson r"),
        domain=(-1, 1),
        scheme=theme.DIVERGING_SCHEME,
        decimals=2,
        cell_height=22,
        width=560,
        tr=tr,
    )
    correlations = book.add(
        heat,
        _("Heatmap of Pearson correlations between the pillar scores and the two dimensions."),
    )
    sections.append(("audit", _("Statistical audit")))
    return RobustnessChapter(
        template="robustness.html",
        anchor="robustness",
        title=_("{number}. Robustness and audit").format(number=number),
        sections=tuple(sections),
        intro=tuple(intro),
        intervals=intervals,
        sensitivity_rows=sensitivity,
        sensitivity_note=_(
            "Sobol sensitivity indices of the mean absolute rank shift from the nominal ranking "
            "(Saltelli design, Jansen estimators), with bootstrap 95% intervals in brackets. "
            "First order: share of the variance due to the choice alone; total order: including "
            "its interactions. A small first-order index can exceed its total-order one by "
            "estimation noise; the intervals show when it does."
        )
        if sensitivity
        else "",
        audit_text=audit_text,
        pillar_rows=tuple(pillar_rows),
        weight_rows=weight_rows,
        correlations=correlations,
    )
