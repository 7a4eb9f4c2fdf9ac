"""One edition, computed once: data → index → uncertainty → stages → findings (no rendering)."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from reportgen.analysis.findings import (
    Finding,
    FindingInputs,
    FindingsResult,
    ScoreDraws,
    analyse,
    findings_before_monte_carlo,
)
from reportgen.analysis.stages import (
    assign_stages,
    check_stages,
    next_stage_levers,
    stage_probabilities,
)
from reportgen.config import Edition, override_build, what_if_changes
from reportgen.data.coverage import data_years
from reportgen.data.load import Dataset
from reportgen.data.panel import Panel, make_panel
from reportgen.data.shared import SHARED_MODES, apply_shared_values
from reportgen.errors import InputError, Problem
from reportgen.index import Build, Framework, IndexData, IndexResult, run
from reportgen.index.stats import AuditResult, audit
from reportgen.index.steps import IMPUTERS
from reportgen.index.uncertainty import UncertaintyResult, UncertaintySpec, run_uncertainty
from reportgen.labels import Labels, edition_labels
from reportgen.screening import ScreenedOut, ranked_panel, screened_out

LEVEL_NAMES = ("Indicator", "Pillar", "Dimension", "Index")


def index_indicators(indicators: pd.DataFrame) -> pd.DataFrame:
    """Rows of indicators.csv that enter the index (role 'index' with a positive weight)."""
    mask = (indicators["role"] == "index") & (indicators["weight"].astype(float) > 0)
    return indicators[mask]


def make_framework(edition: Edition, indicators: pd.DataFrame) -> Framework:
    """The engine's hierarchy: indicators → pillars → TDP/ECC → overall, weights from the files."""
    spec = edition.framework
    rows: list[dict[str, Any]] = []
    for _, ind in index_indicators(indicators).iterrows():
        denominator = ind.get("denominator")
        rows.append(
            {
                "code": ind["indicator_id"],
                "name": ind["name"],
                "level": 1,
                "parent": ind["pillar"],
                "weight": float(ind["weight"]),
                "direction": float(ind["direction"]),
                "denominator": denominator
                if isinstance(denominator, str) and denominator
                else None,
            }
        )
    used_pillars = {r["parent"] for r in rows}
    for pillar in spec.pillars:
        if pillar.id in used_pillars:
            rows.append(
                {
                    "code": pillar.id,
                    "name": pillar.name,
                    "level": 2,
                    "parent": pillar.dimension,
                    "weight": pillar.weight,
                    "direction": np.nan,
                    "denominator": None,
                }
            )
    for dimension in spec.dimensions:
        rows.append(
            {
                "code": dimension.id,
                "name": dimension.name,
                "level": 3,
                "parent": spec.index_name,
                "weight": dimension.weight,
                "direction": np.nan,
                "denominator": None,
            }
        )
    rows.append(
        {
            "code": spec.index_name,
            "name": spec.index_name,
            "level": 4,
            "parent": None,
            "weight": 1.0,
            "direction": np.nan,
            "denominator": None,
        }
    )
    return Framework.from_meta(pd.DataFrame(rows), LEVEL_NAMES)


def make_index_data(panel: Panel, framework: Framework) -> IndexData:
    """Panel values of the framework's indicators for every city, with unit attributes."""
    cities = panel.cities
    indicators = list(framework.indicators)
    values = panel.values.reindex(columns=indicators)
    bounds = panel.bounds.reindex(columns=indicators)
    units = pd.DataFrame(
        {
            "region": cities["region"].astype(str),
            "population": pd.to_numeric(cities["population"], errors="coerce").astype(float),
        },
        index=values.index,
    )
    return IndexData(values=values, units=units, framework=framework, bounds=bounds)


def apply_overrides(
    build: Build, overrides: Iterable[str], city_ids: Sequence[str] | None = None
) -> Build:
    """--set STEP.PARAM=VALUE, as typed on the command line (city ids checked when given)."""
    return override_build(build, tuple(overrides), city_ids)


@dataclass(frozen=True)
class YearResult:
    """The index of one data year.

    ``panel`` holds the cities in the index only, so every count, rank "of N" and coverage a
    publication prints is over the ranked cities; the cities the screen removed are listed in
    ``screened_out`` with their coverage (``index.data`` keeps every city, for re-runs).
    """

    year: int
    panel: Panel
    index: IndexResult
    screened_out: tuple[ScreenedOut, ...] = ()


@dataclass(frozen=True)
class EditionResult:
    """Everything the publications print, computed once."""

    edition: Edition
    dataset: Dataset
    build: Build
    current: YearResult
    previous: YearResult | None
    uncertainty: UncertaintyResult | None
    stages: pd.DataFrame
    stage_probabilities: pd.DataFrame | None
    findings: tuple[Finding, ...]
    # Computed here so that publications only print: the JRC-style audit of the build, and per
    # city below the top stage the pillars that would lift it furthest towards the next one.
    audit: AuditResult | None = None
    levers: pd.DataFrame | None = None
    # Pearson correlations between the pillar and dimension scores, for the audit chapter.
    correlations: pd.DataFrame | None = None
    shared_ranks: pd.DataFrame | None = None  # index rank per shared_values treatment
    # Themes, every brief's selection, the spotlight, the executive summary's story.
    analysis: FindingsResult | None = None
    # The same analysis worded in each other language of the edition, by tag (filled by
    # reportgen.report.i18n.with_translations while the full Monte Carlo is at hand).
    translations: Mapping[str, FindingsResult] = dataclasses.field(default_factory=dict)
    # Per pillar: the first and last year of the scored values and the oldest year allowed.
    data_years: pd.DataFrame | None = None

    @property
    def data_span(self) -> tuple[int, int] | None:
        """The oldest and newest year of the scored values this edition prints."""
        if self.data_years is None or self.data_years.empty:
            return None
        first, last = self.data_years["first_year"].min(), self.data_years["last_year"].max()
        return None if pd.isna(first) or pd.isna(last) else (int(first), int(last))

    @property
    def labels(self) -> Labels:
        return edition_labels(self.edition)

    @property
    def year(self) -> int:
        return self.current.year

    @property
    def screened_out(self) -> tuple[ScreenedOut, ...]:
        """Cities of the data that the coverage screen left out of this edition's index."""
        return self.current.screened_out

    @property
    def what_if(self) -> tuple[str, ...]:
        """The parameters (``STEP.PARAM=VALUE``) where this build departs from the edition file;
        empty for the official edition."""
        return what_if_changes(self.edition.build, self.build)

    @property
    def index(self) -> IndexResult:
        return self.current.index

    @property
    def panel(self) -> Panel:
        return self.current.panel

    @property
    def scores(self) -> pd.DataFrame:
        return self.current.index.scores

    @property
    def ranks(self) -> pd.DataFrame:
        return self.current.index.ranks

    def rank_interval(self, code: str) -> pd.DataFrame | None:
        """Monte Carlo rank summary per city (columns ``interval_columns`` hold the interval's
        ends), if it ran."""
        if self.uncertainty is None:
            return None
        return self.uncertainty.rank_summary(code)

    @property
    def interval_columns(self) -> tuple[str, str]:
        """Columns of ``rank_interval`` holding the interval's ends (``p05``, ``p95``)."""
        return interval_columns(self.edition.uncertainty)

    @property
    def interval_label(self) -> str:
        """The rank interval as pages print it, from the uncertainty settings (``5–95%``)."""
        return interval_label(self.edition.uncertainty)


def previous_vintages(dataset: Dataset, year: int, max_age: int) -> Dataset:
    """The data as the previous edition had it: each (city, indicator) pair that has two or more
    observations in the window loses its latest one; single-vintage pairs stay as they are.

    Sources date their releases in their own way (ARWU 2025, Numbeo 2025, unicorns 2024), so a
    calendar cut-off one year back would leave most of them unchanged; this compares each series
    with its own previous release.
    """
    obs = dataset.observations
    in_window = obs["year"].between(year - max_age, year).fillna(False).astype(bool)
    window = obs[in_window]
    latest = window.groupby(["city_id", "indicator_id"])["year"].transform("max")
    vintages = window.groupby(["city_id", "indicator_id"])["year"].transform("nunique")
    drop = window.index[(window["year"] == latest) & (vintages > 1)]
    return dataclasses.replace(dataset, observations=obs.drop(index=drop))


def compute_year(
    dataset: Dataset, edition: Edition, build: Build, year: int, shared_values: str | None = None
) -> YearResult:
    mode = edition.shared_values if shared_values is None else shared_values
    panel = apply_shared_values(make_panel(dataset, year, edition.max_data_age), mode)
    framework = make_framework(edition, panel.indicators.reset_index())
    index = run(build, make_index_data(panel, framework))
    return YearResult(
        year=year,
        panel=ranked_panel(panel, index.scores.index),
        index=index,
        screened_out=screened_out(index, panel.cities),
    )


def shared_value_ranks(
    dataset: Dataset, edition: Edition, build: Build, year: int, code: str | None = None
) -> pd.DataFrame | None:
    """city x treatment (whole, split, drop): the rank on `code` (default: the overall index)
    under each shared_values treatment; None when no value is shared in that year."""
    panel = make_panel(dataset, year, edition.max_data_age)
    if not panel.shared.to_numpy().any():
        return None
    code = edition.framework.index_name if code is None else code
    ranks = {
        mode: compute_year(dataset, edition, build, year, mode).index.ranks[code]
        for mode in SHARED_MODES
    }
    return pd.DataFrame(ranks)


def interval_columns(spec: UncertaintySpec) -> tuple[str, str]:
    """The rank-summary columns holding the printed interval's ends (``p05``, ``p95``)."""
    return spec.interval_columns


def interval_label(spec: UncertaintySpec) -> str:
    """``5–95%`` for quantiles (0.05, 0.95): the words every page prints beside an interval."""
    return spec.interval_label.replace("-", "–")


def _rank_bounds(
    uncertainty: UncertaintyResult | None, codes: Iterable[str]
) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    if uncertainty is None:
        return None, None
    summaries = {c: uncertainty.rank_summary(c) for c in codes if c in uncertainty.codes}
    low_column, high_column = uncertainty.spec.interval_columns
    low = {c: summary[low_column] for c, summary in summaries.items()}
    high = {c: summary[high_column] for c, summary in summaries.items()}
    return pd.DataFrame(low), pd.DataFrame(high)


# While the Monte Carlo's threads run numpy beside findings written in Python, each numpy call
# that returns must win the interpreter lock back from the findings; Python's default turn of
# 5 ms made the Monte Carlo take twice as long beside them as alone (1,000 cities).
_GIL_TURN_S = 0.001


@contextmanager
def _short_gil_turns() -> Iterator[None]:
    previous = sys.getswitchinterval()
    sys.setswitchinterval(min(previous, _GIL_TURN_S))
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


def compute_edition(
    dataset: Dataset,
    edition: Edition,
    *,
    year: int | None = None,
    overrides: Iterable[str] = (),
    uncertainty: bool = True,
    previous: bool = True,
) -> EditionResult:
    """The index for the edition year (and the previous one), its robustness and findings."""
    year = edition.year if year is None else year
    available = set(dataset.observations["year"].dropna().astype(int))
    if not any(y <= year for y in available):
        raise InputError(
            [
                Problem(
                    dataset.files.get("observations", "observations.csv"),
                    f"no observations for year {year} or the {edition.max_data_age} years before",
                    column="year",
                    found=str(year),
                    expected=f"a year with data ({min(available)}-{max(available)})"
                    if available
                    else "data",
                )
            ]
        )
    build = apply_overrides(edition.build, overrides, list(dataset.cities["city_id"].astype(str)))
    current = compute_year(dataset, edition, build, year)
    labels = edition_labels(edition)
    axes = (labels.x, labels.y)
    # The Monte Carlo needs only this year's index: it runs on a thread of its own (numpy
    # releases the GIL) while this one computes what does not depend on it.
    with ThreadPoolExecutor(max_workers=1) as background, _short_gil_turns():
        replicating = None
        if uncertainty and edition.uncertainty.n > 0 and edition.uncertainty.factors():
            # The plane's two dimensions (stage probabilities) and the pillars (how often a
            # pillar finding holds); float32 draws of these few codes stay small at thousands
            # of cities. Sobol indices are printed for the index only: the design's extra
            # rows need no other code's ranks.
            replicating = background.submit(
                run_uncertainty,
                build,
                current.index.data,
                edition.uncertainty,
                keep_scores=(*axes, *current.index.framework.codes_at(2)),
                sensitivity_codes=(),
            )
        try:
            prior = _previous_year(dataset, edition, build, year, available, previous)
            side = _side_results(dataset, edition, build, year, current)
            scores = current.index.scores
            stages = assign_stages(scores, edition.stages, axes=axes)
            stage_problems = check_stages(edition.stages, scores, axes=axes, plane=False)
            early = None
            if not stage_problems:
                # Indicator findings read nothing of the Monte Carlo, and pillar findings only
                # their robustness (added once it is done): both are made while it runs.
                without_mc = finding_inputs(current, prior, edition, None, None, None, None)
                early = findings_before_monte_carlo(without_mc, stages, edition.findings)
        except Exception:
            if replicating is not None:
                replicating.result()  # the Monte Carlo's own error, if any, is reported first
            raise
        mc = replicating.result() if replicating is not None else None

    if stage_problems:
        raise InputError(
            Problem(edition.source, m, row=edition.line_of("stages"), column="stages")
            for m in stage_problems
        )
    probabilities = None
    if mc is not None:
        probabilities = stage_probabilities(mc.draws(axes[0]), mc.draws(axes[1]), edition.stages)
        if isinstance(probabilities, pd.DataFrame):
            probabilities.index = mc.units
    rank_low, rank_high = _rank_bounds(mc, scores.columns)
    inputs = finding_inputs(current, prior, edition, rank_low, rank_high, probabilities, mc)
    analysis = analyse(
        inputs,
        stages,
        edition.findings,
        spotlight_city=edition.spotlight_city,
        early=early,
    )
    levers = next_stage_levers(scores, stages, inputs.pillars, axes=axes)
    return EditionResult(
        edition=edition,
        dataset=dataset,
        build=build,
        current=current,
        previous=prior,
        uncertainty=mc,
        stages=stages,
        stage_probabilities=probabilities,
        findings=analysis.findings,
        levers=levers,
        analysis=analysis,
        **side,
    )


def _previous_year(
    dataset: Dataset,
    edition: Edition,
    build: Build,
    year: int,
    available: set[int],
    previous: bool,
) -> YearResult | None:
    """The index of the edition's previous year (or previous vintage), if asked for and there
    is data for it."""
    previous_year = edition.previous_year if year == edition.year else year - 1
    if not previous or previous_year is None or not any(y <= previous_year for y in available):
        return None
    if edition.previous_data == "previous_vintage":
        earlier = previous_vintages(dataset, year, edition.max_data_age)
        return dataclasses.replace(compute_year(earlier, edition, build, year), year=previous_year)
    return compute_year(dataset, edition, build, previous_year)


def _side_results(
    dataset: Dataset, edition: Edition, build: Build, year: int, current: YearResult
) -> dict[str, Any]:
    """What publications print beside the findings: the audit, correlations, shared-value
    ranks and data years (none depends on the Monte Carlo)."""
    return {
        "audit": audit(current.index),
        "correlations": score_correlations(current.index, edition),
        "shared_ranks": shared_value_ranks(dataset, edition, build, year),
        "data_years": data_years(current.panel),
    }


def finding_inputs_of(result: EditionResult) -> FindingInputs:
    """What the findings engine read for this edition, rebuilt from the result: to word the
    findings again (in another language) with the same numbers. Needs the full Monte Carlo."""
    rank_low, rank_high = _rank_bounds(result.uncertainty, result.scores.columns)
    return finding_inputs(
        result.current,
        result.previous,
        result.edition,
        rank_low,
        rank_high,
        result.stage_probabilities,
        result.uncertainty,
    )


def score_draws(mc: UncertaintyResult | None) -> ScoreDraws | None:
    """The Monte Carlo replications findings read for robustness (None without a Monte Carlo)."""
    if mc is None:
        return None
    # Only the codes whose scores the Monte Carlo kept; ranks are kept for every aggregate.
    return ScoreDraws(
        units=tuple(str(u) for u in mc.units),
        codes=tuple(mc.score_codes or mc.codes),
        draw=mc.draws,
        rank_codes=tuple(mc.codes),
        rank_draw=mc.rank_draws,
    )


def score_correlations(index: IndexResult, edition: Edition) -> pd.DataFrame:
    """Pearson correlations of the pillar scores and the dimension scores, pillars first."""
    codes = [*index.framework.codes_at(2), *(d.id for d in edition.framework.dimensions)]
    return index.scores[codes].corr()


def finding_inputs(
    current: YearResult,
    prior: YearResult | None,
    edition: Edition,
    rank_low: pd.DataFrame | None,
    rank_high: pd.DataFrame | None,
    probabilities: pd.DataFrame | None,
    mc: UncertaintyResult | None = None,
) -> FindingInputs:
    """What the findings engine reads, assembled from the year results and the edition."""
    panel, index = current.panel, current.index
    indicators = panel.indicators.copy()
    pillars = pd.DataFrame(
        [
            {"pillar": p.id, "name": p.name, "dimension": p.dimension, "weight": p.weight}
            for p in edition.framework.pillars
            if p.id in index.scores.columns
        ]
    ).set_index("pillar")
    imputed = index.imputed_mask.reindex(
        index=panel.values.index, columns=panel.values.columns, fill_value=False
    )
    impute = current.index.build.step("impute")
    labels = edition_labels(edition)
    return FindingInputs(
        scores=index.scores,
        ranks=index.ranks,
        values=panel.values,
        indicators=indicators,
        cities=panel.cities,
        pillars=pillars,
        years=panel.years.astype(float),
        sources=panel.sources,
        imputed=imputed.astype(bool),
        bounded=panel.bounds,
        shared=panel.shared.astype(bool),
        shared_with=panel.shared_with,
        previous_scores=prior.index.scores if prior else None,
        previous_ranks=prior.index.ranks if prior else None,
        rank_low=rank_low,
        rank_high=rank_high,
        rank_quantiles=edition.uncertainty.quantiles,
        stage_probabilities=probabilities,
        pillar_weights=pillars["weight"].astype(float),
        index=index,
        previous_index=prior.index if prior else None,
        draws=score_draws(mc),
        imputation=IMPUTERS[impute.method].description if impute is not None else "",
        index_code=labels.index,
        axes=(labels.x, labels.y),
        year=current.year,
        dimension_names={d.id: d.name for d in edition.framework.dimensions},
    )
