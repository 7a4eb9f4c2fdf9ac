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
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from reportgen.errors import MethodError
from reportgen.index.build import Build, run
from reportgen.index.framework import Framework, IndexData
from reportgen.index.steps import AggregateSpec, aggregate_level_kernel, rank_kernel

__all__ = [
    "FACTOR_NAMES",
    "SobolDesign",
    "UncertaintyResult",
    "UncertaintySpec",
    "WeightNoiseSpec",
    "run_uncertainty",
    "saltelli_design",
    "sobol_indices",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

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
QUANTILES = (0.05, 0.5, 0.95)


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
# Sobol design and estimators (generic: any vectorised model of uniform inputs)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SobolDesign:
    """Saltelli's sample: rows ``[A; B; A_B^1; ...; A_B^d]`` of N rows each, D columns."""

    n: int
    groups: tuple[slice, ...]
    matrix: FloatArray  # (n (d + 2), D)

    def split(self, f: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Model output rows (axis 0) into f(A) (N, ...), f(B) (N, ...), f(A_B) (d, N, ...)."""
        n, d = self.n, len(self.groups)
        return f[:n], f[n : 2 * n], f[2 * n :].reshape((d, n, *f.shape[1:]))


def saltelli_design(a: FloatArray, b: FloatArray, groups: Sequence[slice]) -> SobolDesign:
    """Stack A, B and each A_B^i (A with the columns of group i taken from B)."""
    blocks = [a, b]
    for group in groups:
        ab = a.copy()
        ab[:, group] = b[:, group]
        blocks.append(ab)
    return SobolDesign(n=a.shape[0], groups=tuple(groups), matrix=np.vstack(blocks))


def sobol_indices(
    f_a: FloatArray, f_b: FloatArray, f_ab: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """First-order and total Sobol indices by Jansen's estimators.

    ``f_a``, ``f_b``: (N, ...) outputs on A and B; ``f_ab``: (d, N, ...) on each A_B^i.
    Returns two (d, ...) arrays; NaN where the output does not vary.
    """
    variance = np.var(np.concatenate([f_a, f_b]), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        first = (variance - 0.5 * np.mean((f_b - f_ab) ** 2, axis=1)) / variance
        total = 0.5 * np.mean((f_a - f_ab) ** 2, axis=1) / variance
    return first, total


# --------------------------------------------------------------------------------------------
# The analysis
# --------------------------------------------------------------------------------------------


def _label(params: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in params.items())


@dataclass(frozen=True)
class UncertaintyResult:
    """Replicated scores and ranks, their summaries, and sensitivity indices.

    ``scores`` and ``ranks`` are (n, units, codes) arrays over the Monte Carlo sample (rows of
    A); ``codes`` are the framework's aggregates; ``choices`` records each replication's inputs.
    With ``spec.sensitivity``, ``sensitivity`` holds the Sobol indices of the top code (the
    index, as COINr reports them), indexed by input, columns ``first_order`` and
    ``total_order``; ``sensitivity_by_code`` holds them for every aggregate (long table).
    """

    spec: UncertaintySpec
    units: pd.Index
    codes: tuple[str, ...]
    nominal_scores: pd.DataFrame
    nominal_ranks: pd.DataFrame
    scores: FloatArray
    ranks: FloatArray
    choices: pd.DataFrame
    sensitivity: pd.DataFrame | None
    sensitivity_by_code: pd.DataFrame | None

    def _column(self, code: str) -> int:
        try:
            return self.codes.index(code)
        except ValueError:
            raise KeyError(
                f"{code!r} is not an aggregate; known: {', '.join(self.codes)}"
            ) from None

    def draws(self, code: str) -> FloatArray:
        """Scores of ``code``, replications × units (units in :attr:`units` order)."""
        return self.scores[:, :, self._column(code)]

    def rank_draws(self, code: str) -> FloatArray:
        """Ranks of ``code`` (1 = best, ties at the minimum), replications × units."""
        return self.ranks[:, :, self._column(code)]

    def rank_summary(self, code: str) -> pd.DataFrame:
        """Per unit: nominal, median and mean rank, 5th and 95th percentile ranks."""
        ranks = self.rank_draws(code)
        quantile = np.nanquantile if np.isnan(ranks).any() else np.quantile
        p05, median, p95 = quantile(ranks, QUANTILES, axis=0)
        mean = np.nanmean(ranks, axis=0) if np.isnan(ranks).any() else ranks.mean(axis=0)
        return pd.DataFrame(
            {
                "nominal": self.nominal_ranks[code],
                "median": median,
                "mean": mean,
                "p05": p05,
                "p95": p95,
            },
            index=self.units,
        )

    def summary(self, codes: Sequence[str] | None = None) -> pd.DataFrame:
        """Long table (code, unit, nominal, median, mean, p05, p95) for ``codes`` (default all)."""
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
) -> FloatArray:
    """Scores (R, units, aggregates) of the builds described by the rows of ``u``."""
    framework = data.framework
    decoded = _decode(plan, spec, u)
    n_levels = framework.n_levels
    codes = framework.aggregates
    position = {c: i for i, c in enumerate(codes)}
    out = np.empty((u.shape[0], len(units), len(codes)))

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
    return out


def _ranks(scores: FloatArray) -> FloatArray:
    """Competition ranks over units (axis -2): 1 = highest score, ties at the minimum."""
    return rank_kernel(-scores)


def _choices_table(plan: _Plan, spec: UncertaintySpec, u: FloatArray) -> pd.DataFrame:
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
    return pd.DataFrame(table, index=pd.RangeIndex(u.shape[0], name="replication"))


def run_uncertainty(build: Build, data: IndexData, spec: UncertaintySpec) -> UncertaintyResult:
    """Replicate the build over the declared uncertain inputs; rank intervals and Sobol indices."""
    framework = data.framework
    nominal = run(build, data)
    units = nominal.scores.index
    codes = framework.aggregates
    nominal_scores = nominal.scores[list(codes)]
    nominal_ranks = nominal.ranks[list(codes)]
    plan = _plan(build, spec, framework)

    rng = np.random.default_rng(spec.seed)
    a = rng.random((spec.n, plan.width))
    cache: dict[tuple[int, ...], FloatArray] = {}
    sensitivity: pd.DataFrame | None = None
    by_code: pd.DataFrame | None = None
    if spec.sensitivity and plan.factors:
        b = rng.random((spec.n, plan.width))
        design = saltelli_design(a, b, plan.groups)
        scores_all = _evaluate(build, data, plan, spec, design.matrix, units, cache)
        ranks_all = _ranks(scores_all)
        nominal_array = nominal_ranks.to_numpy(dtype=float, na_value=np.nan)
        # Mean absolute rank shift over units, per build and code. A code can be missing for
        # every unit (its only indicator dropped): NaN there, and NaN indices for that code.
        moved = np.abs(ranks_all - nominal_array[None])
        counted = (~np.isnan(moved)).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            shift = np.where(np.isnan(moved), 0.0, moved).sum(axis=1) / counted  # (R, codes)
        first, total = sobol_indices(*design.split(shift))
        by_code = pd.DataFrame(
            {
                "code": np.repeat(codes, len(plan.factors)),
                "input": np.tile(plan.factors, len(codes)),
                "first_order": first.T.reshape(-1),
                "total_order": total.T.reshape(-1),
            }
        )
        top = by_code[by_code["code"] == framework.top]
        sensitivity = top.set_index("input")[["first_order", "total_order"]]
        scores, ranks = scores_all[: spec.n], ranks_all[: spec.n]
    else:
        scores = _evaluate(build, data, plan, spec, a, units, cache)
        ranks = _ranks(scores)
    return UncertaintyResult(
        spec=spec,
        units=units,
        codes=codes,
        nominal_scores=nominal_scores,
        nominal_ranks=nominal_ranks,
        scores=scores,
        ranks=ranks,
        choices=_choices_table(plan, spec, a),
        sensitivity=sensitivity,
        sensitivity_by_code=by_code,
    )
