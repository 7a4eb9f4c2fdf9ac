"""Monte Carlo uncertainty and Sobol sensitivity of ranks over a build's modelling choices.

**Inputs.** Each declared uncertain input is one factor of the analysis: imputation,
winsorisation limit and normalisation alternatives (upstream choices), multiplicative weight
noise at some levels, aggregation alternatives and dropping one indicator at a time
(downstream choices). Every factor is driven by uniform draws on [0, 1): a discrete choice
among K alternatives takes ``floor(u K)``; a weight of a perturbed level is multiplied by
``1 + noise (2u - 1)``, i.e. uniform ±noise as COINr's ``get_noisy_weights`` (the aggregator
rescales each parent's weights to sum to 1); ``drop_indicator`` chooses among "none" and each
indicator (a dropped indicator gets weight 0, so its pillar averages the others).

**Nominal.** The nominal build is the build given, run once with :func:`reportgen.index.run`;
alternatives describe the distribution of replications and need not contain the nominal.

**Sample design.** With ``seed`` a ``numpy.random.default_rng(seed)`` draws matrix A (N × D, D
uniform columns over all factors) and, for a sensitivity analysis, then matrix B (N × D). The
rank intervals use the N rows of A. For Sobol indices (Saltelli 2002/2010) each factor i (a
group of columns: one for a choice, one per perturbed weight) also gets A_B^i, A with factor i's
columns taken from B, so N × (d + 2) builds are evaluated. The output is the mean absolute rank
shift over units against the nominal ranks, per code (as COINr and the JRC audits do). With
V the variance of f over A and B, Jansen's estimators give
``S_i = (V - mean((f(B) - f(A_B^i))²) / 2) / V`` and ``ST_i = mean((f(A) - f(A_B^i))²) / (2 V)``.

**Vectorised.** Replications are an array axis. Each distinct upstream combination is built
once with the engine's own :func:`run` (aggregation left out) and cached; replications are then
grouped by (upstream combination, aggregation alternative) and aggregated level by level with
the engine's :func:`aggregate_level_kernel`, weights stacked as ``(replications, parents,
children)``. Levels whose weights do not vary are aggregated once per group and broadcast.
Ranks come from the engine's :func:`rank_kernel` on the stacked scores.

**Memory.** Replications are evaluated in chunks of rows (``chunk_rows``) and reduced as they
go: the Sobol output (mean absolute rank shift) is kept per build, not the build's scores; the
ranks of the N rows of A are kept as float32 (ranks are integers, exact in float32 up to 2^24
units), and scores only for the codes a caller asks for (``keep_scores``, e.g. the two
dimensions that stage probabilities read), at float64 so that thresholds compare exactly as in
the nominal build. Every row's result depends on that row alone, so the chunk size changes no
bit of any summary (tested).

**Means that need positive values.** A geometric (or harmonic) aggregation alternative meets
non-positive normalised values on skewed data, e.g. a z-score below ``-m/s``. COINr stops there;
the JRC audits rescale so that the minimum is positive. A replication does the latter: when
any normalised value it aggregates is not positive, the constant ``1 - min`` is added to every
normalised value of that replication (all indicators alike, so a z-score's common scale is
kept; the minimum becomes 1, as COINr's Box-Cox ``makepos``). The constant is recorded per
replication in ``choices["positive_shift"]`` (0 when none was needed). The nominal build is
never shifted: there, such a value is an error that names the fix.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from reportgen.errors import MethodError
from reportgen.index.build import Build, run
from reportgen.index.framework import Framework, IndexData
from reportgen.index.kernels import (
    AGGREGATORS,
    aggregate_level_kernel,
    nanquantile_kernel,
    rank_kernel,
)
from reportgen.index.sobol import SobolDesign, saltelli_design, sobol_bootstrap, sobol_indices
from reportgen.index.steps import AggregateSpec

__all__ = [
    "FACTOR_NAMES",
    "SobolDesign",
    "UncertaintyResult",
    "UncertaintySpec",
    "WeightNoiseSpec",
    "quantile_column",
    "quantile_label",
    "run_uncertainty",
    "saltelli_design",
    "sobol_indices",
]

FloatArray = npt.NDArray[np.float64]
Float32Array = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]

#: Cells of scores (replications x units x aggregates) evaluated at once: 32 MB at float64.
CHUNK_CELLS = 1 << 22
# Chunks evaluated at once: two keep a 2-core machine busy; more add memory, not speed here.
_THREADS = min(2, os.cpu_count() or 1)

#: Factors in the order they take columns of the sample matrices.
FACTOR_NAMES: tuple[str, ...] = (
    "imputation",
    "winsorisation",
    "normalisation",
    "weights",
    "aggregation",
    "drop_indicator",
)
_UPSTREAM = {"imputation": "impute", "winsorisation": "treat", "normalisation": "normalise"}


def _percent(q: float) -> str:
    return f"{q * 100:.10g}"


def quantile_column(q: float) -> str:
    """Summary column of a rank quantile: ``p05`` for 0.05, ``p90`` for 0.9, ``p2.5`` for 0.025."""
    text = _percent(q)
    return f"p{text.zfill(2) if text.isdigit() else text}"


def quantile_label(low: float, high: float) -> str:
    """The printed name of an interval: ``5-95%`` for (0.05, 0.95)."""
    return f"{_percent(low)}-{_percent(high)}%"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class WeightNoiseSpec(_Frozen):
    """Uniform multiplicative noise ±``noise`` on the weights of every code at ``levels``."""

    levels: tuple[int, ...] = Field(min_length=1)
    noise: float = Field(default=0.25, ge=0, lt=1)


def _as_alternatives(value: Any) -> Any:
    """Accept ``geometric`` as shorthand for ``{method: geometric}``."""
    if isinstance(value, list | tuple):
        return [{"method": v} if isinstance(v, str) else v for v in value]
    return value


class UncertaintySpec(_Frozen):
    """The edition's ``uncertainty:`` section: replications, seed and the uncertain inputs.

    Each alternative is a mapping of parameters of one build step (as in the build's YAML) that
    replaces the build's own; ``winsorisation`` lists ``treat.winmax`` values.
    """

    n: int = Field(default=1000, ge=2, description="replications; Sobol base sample size")
    seed: int = Field(default=20260101, ge=0)
    imputation: tuple[dict[str, Any], ...] = ()
    winsorisation: tuple[int, ...] = ()
    normalisation: tuple[dict[str, Any], ...] = ()
    weights: WeightNoiseSpec | None = None
    aggregation: tuple[dict[str, Any], ...] = ()
    drop_indicator: bool = False
    sensitivity: bool = Field(
        default=False, description="also estimate Sobol indices: n × (d + 2) builds"
    )
    quantiles: tuple[float, float] = Field(
        default=(0.05, 0.95), description="rank interval printed: lower and upper quantile"
    )

    @model_validator(mode="after")
    def _quantiles_ordered(self) -> UncertaintySpec:
        low, high = self.quantiles
        if not 0 < low < 0.5 < high < 1:
            raise ValueError(f"quantiles must satisfy 0 < low < 0.5 < high < 1; got {low}, {high}")
        return self

    @property
    def interval_columns(self) -> tuple[str, str]:
        """Columns of :meth:`UncertaintyResult.rank_summary` holding the interval's ends."""
        return quantile_column(self.quantiles[0]), quantile_column(self.quantiles[1])

    @property
    def interval_label(self) -> str:
        """The interval as pages print it, e.g. ``5-95%``."""
        return quantile_label(*self.quantiles)

    @field_validator("imputation", "normalisation", "aggregation", mode="before")
    @classmethod
    def _alternatives(cls, v: Any) -> Any:
        return _as_alternatives(v)

    @field_validator("winsorisation")
    @classmethod
    def _winmax(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        if any(k < 0 for k in v):
            raise ValueError("winsorisation limits must be ≥ 0")
        return v

    def factors(self) -> tuple[str, ...]:
        """Names of the declared inputs, in sampling order."""
        declared = {
            "imputation": bool(self.imputation),
            "winsorisation": bool(self.winsorisation),
            "normalisation": bool(self.normalisation),
            "weights": self.weights is not None,
            "aggregation": bool(self.aggregation),
            "drop_indicator": self.drop_indicator,
        }
        return tuple(name for name in FACTOR_NAMES if declared[name])


# --------------------------------------------------------------------------------------------
# The analysis
# --------------------------------------------------------------------------------------------


def _label(params: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in params.items())


@dataclass(frozen=True)
class UncertaintyResult:
    """Replicated ranks (and chosen scores), their summaries, and sensitivity indices.

    ``ranks`` is a float32 (n, units, codes) array over the Monte Carlo sample (rows of A),
    ``codes`` the framework's aggregates; ``scores`` is (n, units, score codes) at float64 for
    the ``score_codes`` kept (all codes unless ``run_uncertainty`` was told otherwise).
    ``choices`` records each replication's inputs. With ``spec.sensitivity``, ``sensitivity``
    holds the Sobol indices of the top code (the index, as COINr reports them), indexed by
    input, columns ``first_order``, ``total_order`` and their 95% bootstrap intervals
    (``first_order_low`` ...); ``sensitivity_by_code`` holds them for every aggregate asked for
    (``run_uncertainty``'s ``sensitivity_codes``; all by default).
    """

    spec: UncertaintySpec
    units: pd.Index
    codes: tuple[str, ...]
    nominal_scores: pd.DataFrame
    nominal_ranks: pd.DataFrame
    scores: FloatArray
    ranks: Float32Array
    choices: pd.DataFrame
    sensitivity: pd.DataFrame | None
    sensitivity_by_code: pd.DataFrame | None
    score_codes: tuple[str, ...] = field(default=())
    # Summaries already made: findings and publications ask for the same ones (each sorts
    # every replication of a code).
    _summaries: dict[str, pd.DataFrame] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def _column(self, code: str, among: tuple[str, ...] | None = None) -> int:
        known = self.codes if among is None else among
        try:
            return known.index(code)
        except ValueError:
            if code in self.codes:
                raise KeyError(
                    f"scores of {code!r} were not kept; pass keep_scores=[..., {code!r}] to "
                    f"run_uncertainty (kept: {', '.join(known) or 'none'})"
                ) from None
            raise KeyError(
                f"{code!r} is not an aggregate; known: {', '.join(self.codes)}"
            ) from None

    def draws(self, code: str) -> FloatArray:
        """Scores of ``code``, replications × units (units in :attr:`units` order)."""
        return self.scores[:, :, self._column(code, self.score_codes)]

    def rank_draws(self, code: str) -> FloatArray:
        """Ranks of ``code`` (1 = best, ties at the minimum), replications × units."""
        return self.ranks[:, :, self._column(code)].astype(np.float64)

    def rank_summary(self, code: str) -> pd.DataFrame:
        """Per unit: nominal, median and mean rank, and the ranks at ``spec.quantiles``.

        Columns ``nominal, median, mean`` and :attr:`UncertaintySpec.interval_columns`
        (``p05, p95`` by default); quantiles interpolate linearly (numpy's default).
        """
        made = self._summaries.get(code)
        if made is None:
            made = self._summaries[code] = self._rank_summary(code)
        return made.copy()

    def _rank_summary(self, code: str) -> pd.DataFrame:
        ranks = self.rank_draws(code)
        low_q, high_q = self.spec.quantiles
        low_col, high_col = self.spec.interval_columns
        missing = np.isnan(ranks).any()
        low, median, high = nanquantile_kernel(ranks, (low_q, 0.5, high_q))
        mean = np.nanmean(ranks, axis=0) if missing else ranks.mean(axis=0)
        return pd.DataFrame(
            {
                "nominal": self.nominal_ranks[code],
                "median": median,
                "mean": mean,
                low_col: low,
                high_col: high,
            },
            index=self.units,
        )

    def summary(self, codes: Sequence[str] | None = None) -> pd.DataFrame:
        """Long table (code, unit, nominal, median, mean, low, high) for ``codes`` (default all)."""
        frames = []
        for code in codes or self.codes:
            table = self.rank_summary(code).rename_axis("unit").reset_index()
            table.insert(0, "code", code)
            frames.append(table)
        return pd.concat(frames, ignore_index=True)


@dataclass(frozen=True)
class _Plan:
    """What each uniform column drives, for one build on one framework."""

    factors: tuple[str, ...]
    groups: tuple[slice, ...]
    upstream: dict[str, list[dict[str, Any]]]  # factor -> overrides of each alternative
    aggregation: tuple[AggregateSpec, ...]
    noise_codes: dict[int, tuple[str, ...]]  # perturbed level -> codes, in metadata order
    indicators: tuple[str, ...]

    @property
    def width(self) -> int:
        return self.groups[-1].stop if self.groups else 0


def _aggregate_spec(build: Build) -> AggregateSpec:
    spec = build.step("aggregate")
    if spec is None:
        raise MethodError("uncertainty: the build has no aggregate step")
    return spec


def _plan(build: Build, spec: UncertaintySpec, framework: Framework) -> _Plan:
    factors = spec.factors()
    upstream: dict[str, list[dict[str, Any]]] = {}
    for name, step in _UPSTREAM.items():
        alternatives: Sequence[Mapping[str, Any]]
        if name == "winsorisation":
            alternatives = [{"winmax": k} for k in spec.winsorisation]
        else:
            alternatives = getattr(spec, name)
        upstream[name] = [{f"{step}.{k}": v for k, v in alt.items()} for alt in alternatives]
        for overrides in upstream[name]:
            build.with_overrides(overrides)  # fail early, naming the bad parameter
    aggregation = tuple(
        _aggregate_spec(build.with_overrides({f"aggregate.{k}": v for k, v in alt.items()}))
        for alt in spec.aggregation
    ) or (_aggregate_spec(build),)
    noise_codes: dict[int, tuple[str, ...]] = {}
    if spec.weights is not None:
        for level in spec.weights.levels:
            if not 1 <= level < framework.n_levels:
                raise MethodError(
                    f"uncertainty: weight noise level {level} must be between 1 and "
                    f"{framework.n_levels - 1} (the top level has no weight)"
                )
            noise_codes[level] = framework.codes_at(level)
    widths = {
        name: sum(len(c) for c in noise_codes.values()) if name == "weights" else 1
        for name in factors
    }
    groups, start = [], 0
    for name in factors:
        groups.append(slice(start, start + widths[name]))
        start += widths[name]
    return _Plan(
        factors=factors,
        groups=tuple(groups),
        upstream=upstream,
        aggregation=aggregation,
        noise_codes=noise_codes,
        indicators=framework.indicators,
    )


def _choice(u: FloatArray, k: int) -> IntArray:
    return np.minimum((u * k).astype(np.int64), k - 1)


@dataclass(frozen=True)
class _Decoded:
    upstream: IntArray  # (R, 3) alternative index per upstream factor, -1 = nominal
    aggregation: IntArray  # (R,)
    multipliers: dict[int, FloatArray]  # level -> (R, codes at level)
    dropped: IntArray  # (R,) indicator position, -1 = none


def _decode(plan: _Plan, spec: UncertaintySpec, u: FloatArray) -> _Decoded:
    rows = u.shape[0]
    column = dict(zip(plan.factors, plan.groups, strict=True))
    upstream = np.full((rows, len(_UPSTREAM)), -1, dtype=np.int64)
    for j, name in enumerate(_UPSTREAM):
        if name in column:
            upstream[:, j] = _choice(u[:, column[name].start], len(plan.upstream[name]))
    aggregation = (
        _choice(u[:, column["aggregation"].start], len(plan.aggregation))
        if "aggregation" in column
        else np.zeros(rows, dtype=np.int64)
    )
    multipliers: dict[int, FloatArray] = {}
    if spec.weights is not None:
        start = column["weights"].start
        for level, codes in plan.noise_codes.items():
            block = u[:, start : start + len(codes)]
            multipliers[level] = 1.0 + spec.weights.noise * (2.0 * block - 1.0)
            start += len(codes)
    dropped = (
        _choice(u[:, column["drop_indicator"].start], len(plan.indicators) + 1) - 1
        if "drop_indicator" in column
        else np.full(rows, -1, dtype=np.int64)
    )
    return _Decoded(upstream, aggregation, multipliers, dropped)


def _combo_label(plan: _Plan, combo: tuple[int, ...]) -> str:
    parts = [
        _label(plan.upstream[name][index])
        for name, index in zip(_UPSTREAM, combo, strict=True)
        if index >= 0
    ]
    return "; ".join(parts) or "nominal"


def _upstream_build(build: Build, plan: _Plan, key: tuple[int, ...]) -> Build:
    overrides: dict[str, Any] = {}
    for name, index in zip(_UPSTREAM, key, strict=True):
        if index >= 0:
            overrides.update(plan.upstream[name][index])
    varied = build.with_overrides(overrides) if overrides else build
    # Aggregation is done in batch; leaving it out also avoids failing on a nominal method
    # (e.g. geometric) that an upstream alternative's scale would not allow.
    return Build(steps=tuple(s for s in varied.steps if s.step != "aggregate"))


def _evaluate(
    build: Build,
    data: IndexData,
    plan: _Plan,
    spec: UncertaintySpec,
    u: FloatArray,
    units: pd.Index,
    cache: dict[tuple[int, ...], FloatArray],
) -> tuple[FloatArray, FloatArray]:
    """Scores (R, units, aggregates) of the builds described by the rows of ``u``, and the
    constant each row added to its normalised values so that its mean could take them."""
    framework = data.framework
    decoded = _decode(plan, spec, u)
    n_levels = framework.n_levels
    codes = framework.aggregates
    position = {c: i for i, c in enumerate(codes)}
    out = np.empty((u.shape[0], len(units), len(codes)))
    shifts = np.zeros(u.shape[0])

    combos, combo_of_row = np.unique(decoded.upstream, axis=0, return_inverse=True)
    combo_of_row = combo_of_row.reshape(-1)
    group_key = combo_of_row * len(plan.aggregation) + decoded.aggregation
    for key in np.unique(group_key):
        rows = np.flatnonzero(group_key == key)
        combo = tuple(int(i) for i in combos[key // len(plan.aggregation)])
        agg = plan.aggregation[int(key % len(plan.aggregation))]
        if combo not in cache:
            normalised = run(_upstream_build(build, plan, combo), data).datasets["normalised"]
            cache[combo] = normalised.reindex(index=units, columns=list(plan.indicators)).to_numpy(
                dtype=float
            )
        below: FloatArray = cache[combo][None]
        shift = _positive_shift(cache[combo], agg.method)
        if shift:
            below = below + shift
            shifts[rows] = shift
        for level in range(2, n_levels + 1):
            weights = framework.weight_matrix(level, agg.weights)[None]
            factor: FloatArray | None = None
            if level - 1 in decoded.multipliers:
                factor = decoded.multipliers[level - 1][rows]
            if level == 2 and (decoded.dropped[rows] >= 0).any():
                keep = np.ones((rows.size, len(plan.indicators)))
                hit = np.flatnonzero(decoded.dropped[rows] >= 0)
                keep[hit, decoded.dropped[rows][hit]] = 0.0
                factor = keep if factor is None else factor * keep
            if factor is not None:
                weights = weights * factor[:, None, :]
            try:
                values = aggregate_level_kernel(below, weights, agg.method, agg.dat_thresh)
            except MethodError as err:
                raise MethodError(
                    f"uncertainty: {agg.method} aggregation at level {level} fails on the "
                    f"upstream choice {_combo_label(plan, combo)}: {err}"
                ) from None
            parents = framework.aggregation_order(level)
            start = position[parents[0]]  # a level's aggregates are contiguous in `codes`
            out[rows, :, start : start + len(parents)] = values
            below = values[..., [parents.index(c) for c in framework.codes_at(level)]]
    return out, shifts


def _positive_shift(normalised: FloatArray, method: str) -> float:
    """``1 - min`` when a mean that rejects some values meets a value ≤ 0, else 0."""
    if AGGREGATORS[method].invalid is None:
        return 0.0
    available = normalised[~np.isnan(normalised)]
    if available.size == 0 or available.min() > 0:
        return 0.0
    return 1.0 - float(available.min())


def _ranks(scores: FloatArray) -> FloatArray:
    """Competition ranks over units (axis -2): 1 = highest score, ties at the minimum."""
    return rank_kernel(-scores)


def _choices_table(
    plan: _Plan, spec: UncertaintySpec, u: FloatArray, shifts: FloatArray
) -> pd.DataFrame:
    decoded = _decode(plan, spec, u)
    table: dict[str, Any] = {}
    for j, name in enumerate(_UPSTREAM):
        if name in plan.factors:
            alternatives = (
                [str(k) for k in spec.winsorisation]
                if name == "winsorisation"
                else [_label(a) for a in getattr(spec, name)]
            )
            table[name] = np.asarray(alternatives, dtype=object)[decoded.upstream[:, j]]
    if "aggregation" in plan.factors:
        table["aggregation"] = np.asarray([_label(a) for a in spec.aggregation], dtype=object)[
            decoded.aggregation
        ]
    for level, codes in plan.noise_codes.items():
        for code, column in zip(codes, decoded.multipliers[level].T, strict=True):
            table[f"weight_factor.{code}"] = column
    if "drop_indicator" in plan.factors:
        names = np.asarray(["", *plan.indicators], dtype=object)
        table["drop_indicator"] = names[decoded.dropped + 1]
    if any(AGGREGATORS[agg.method].invalid is not None for agg in plan.aggregation):
        table["positive_shift"] = shifts
    return pd.DataFrame(table, index=pd.RangeIndex(u.shape[0], name="replication"))


def _chunk_rows(units: int, codes: int, chunk_rows: int | None) -> int:
    if chunk_rows is not None:
        if chunk_rows < 1:
            raise ValueError("chunk_rows must be ≥ 1")
        return chunk_rows
    return max(1, CHUNK_CELLS // max(1, units * codes))


def _one_row_per_upstream(plan: _Plan, spec: UncertaintySpec, u: FloatArray) -> FloatArray:
    """One design row for each upstream combination the design uses (evaluating them fills
    the cache of normalised data)."""
    decoded = _decode(plan, spec, u)
    _, first = np.unique(decoded.upstream, axis=0, return_index=True)
    return u[np.sort(first)]


def _sensitivity_codes(
    codes: tuple[str, ...], top: str, chosen: Sequence[str] | None
) -> tuple[str, ...]:
    """The aggregates whose Sobol indices are estimated, in framework order; always the top."""
    if chosen is None:
        return codes
    unknown = [c for c in chosen if c not in codes]
    if unknown:
        raise KeyError(
            f"sensitivity_codes: {', '.join(unknown)} not aggregates ({', '.join(codes)})"
        )
    wanted = {top, *chosen}
    return tuple(c for c in codes if c in wanted)


def _mean_rank_shift(ranks: FloatArray, nominal: FloatArray) -> FloatArray:
    """Mean absolute rank shift over units against the nominal ranks: (R, codes).

    A code can be missing for every unit (its only indicator dropped): NaN there, and NaN
    Sobol indices for that code.
    """
    moved = np.abs(ranks - nominal[None])
    counted = (~np.isnan(moved)).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(np.isnan(moved), 0.0, moved).sum(axis=1) / counted


def _sensitivity_table(
    codes: tuple[str, ...],
    factors: tuple[str, ...],
    design: SobolDesign,
    shift: FloatArray,
    seed: int,
) -> pd.DataFrame:
    parts = design.split(shift)
    first, total = sobol_indices(*parts)
    first_lo, first_hi, total_lo, total_hi = sobol_bootstrap(*parts, seed=seed)
    columns = {
        "first_order": first,
        "total_order": total,
        "first_order_low": first_lo,
        "first_order_high": first_hi,
        "total_order_low": total_lo,
        "total_order_high": total_hi,
    }
    return pd.DataFrame(
        {
            "code": np.repeat(codes, len(factors)),
            "input": np.tile(factors, len(codes)),
            **{name: values.T.reshape(-1) for name, values in columns.items()},
        }
    )


def run_uncertainty(
    build: Build,
    data: IndexData,
    spec: UncertaintySpec,
    *,
    keep_scores: Sequence[str] | None = None,
    sensitivity_codes: Sequence[str] | None = None,
    chunk_rows: int | None = None,
    threads: int | None = None,
) -> UncertaintyResult:
    """Replicate the build over the declared uncertain inputs; rank intervals and Sobol indices.

    ``keep_scores`` names the aggregates whose score draws the caller reads (default: all);
    ranks of every aggregate are always kept. ``sensitivity_codes`` names the aggregates whose
    Sobol indices are estimated (default: all; the top code always is): the design's extra
    rows are ranked on these codes only, which is most of the work at thousands of units.
    ``chunk_rows`` bounds the builds evaluated at once (default: about :data:`CHUNK_CELLS`
    score cells) and ``threads`` how many chunks run at once (default: two, or one on a
    single core); neither changes a bit of the result.
    """
    framework = data.framework
    nominal = run(build, data)
    units = nominal.scores.index
    codes = framework.aggregates
    kept = tuple(codes) if keep_scores is None else tuple(keep_scores)
    unknown = [c for c in kept if c not in codes]
    if unknown:
        raise KeyError(f"keep_scores: {', '.join(unknown)} not aggregates ({', '.join(codes)})")
    kept_at = [codes.index(c) for c in kept]
    explained = _sensitivity_codes(codes, framework.top, sensitivity_codes)
    explained_at = [codes.index(c) for c in explained]
    nominal_scores = nominal.scores[list(codes)]
    nominal_ranks = nominal.ranks[list(codes)]
    plan = _plan(build, spec, framework)

    rng = np.random.default_rng(spec.seed)
    a = rng.random((spec.n, plan.width))
    sobol = spec.sensitivity and bool(plan.factors)
    design = saltelli_design(a, rng.random((spec.n, plan.width)), plan.groups) if sobol else None
    matrix = design.matrix if design is not None else a
    n_rows = matrix.shape[0]
    step = _chunk_rows(len(units), len(codes), chunk_rows)

    cache: dict[tuple[int, ...], FloatArray] = {}
    ranks = np.empty((spec.n, len(units), len(codes)), dtype=np.float32)
    scores = np.empty((spec.n, len(units), len(kept)))
    shifts = np.zeros(spec.n)
    rank_shift = np.empty((n_rows, len(explained))) if design is not None else None
    nominal_array = nominal_ranks.to_numpy(dtype=float, na_value=np.nan)[:, explained_at]

    def replicate(start: int) -> None:
        stop = min(start + step, n_rows)
        chunk_scores, chunk_shifts = _evaluate(
            build, data, plan, spec, matrix[start:stop], units, cache
        )
        # Rows of A (the Monte Carlo sample itself) are ranked on every code; the design's
        # other rows only on the codes whose sensitivity is estimated.
        m = max(min(stop, spec.n) - start, 0)
        sample_ranks = _ranks(chunk_scores[:m])
        design_ranks = _ranks(chunk_scores[m:][..., explained_at])
        if rank_shift is not None:
            rank_shift[start : start + m] = _mean_rank_shift(
                sample_ranks[..., explained_at], nominal_array
            )
            rank_shift[start + m : stop] = _mean_rank_shift(design_ranks, nominal_array)
        if m:
            ranks[start : start + m] = sample_ranks
            scores[start : start + m] = chunk_scores[:m][..., kept_at]
            shifts[start : start + m] = chunk_shifts[:m]

    # Each upstream alternative is built once, before the chunks share the cache; the chunks
    # then run on `threads` threads (numpy's sorts and array arithmetic release the GIL) and
    # each writes only its own rows, so the result is the same bits for any thread count.
    _evaluate(build, data, plan, spec, _one_row_per_upstream(plan, spec, matrix), units, cache)
    starts = range(0, n_rows, step)
    workers = max(1, min(threads if threads is not None else _THREADS, len(starts)))
    if workers == 1:
        for start in starts:
            replicate(start)
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for _ in pool.map(replicate, starts):
                pass

    sensitivity: pd.DataFrame | None = None
    by_code: pd.DataFrame | None = None
    if design is not None and rank_shift is not None:
        by_code = _sensitivity_table(explained, plan.factors, design, rank_shift, spec.seed)
        top = by_code[by_code["code"] == framework.top]
        sensitivity = top.set_index("input").drop(columns="code")
    return UncertaintyResult(
        spec=spec,
        units=units,
        codes=codes,
        nominal_scores=nominal_scores,
        nominal_ranks=nominal_ranks,
        scores=scores,
        ranks=ranks,
        choices=_choices_table(plan, spec, a, shifts),
        sensitivity=sensitivity,
        sensitivity_by_code=by_code,
        score_codes=kept,
    )
