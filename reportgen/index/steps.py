"""Build steps (denominate, impute, screen, treat, normalise, aggregate): specs, methods, steps.

Each step kind has a registry mapping a method name to a :class:`Method`: the function that
runs it and the sentence that describes it (for the methodology text). Adding a normalisation
(say) is one function and one line in ``NORMALISERS``; specs reject unknown names when they
are validated, before any data is read. The numeric kernels live in
:mod:`reportgen.index.kernels` and the outlier treatment in :mod:`reportgen.index.treatment`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator, model_validator

from reportgen.errors import MethodError
from reportgen.index.framework import Framework
from reportgen.index.kernels import (
    AGGREGATORS,
    Aggregator,
    BoolArray,
    FloatArray,
    Method,
    _nanmean,
    aggregate_level_kernel,
    arithmetic_mean_kernel,
    borda_kernel,
    boxcox_kernel,
    geometric_mean_kernel,
    goalposts_kernel,
    harmonic_mean_kernel,
    kurt_kernel,
    log_ct_kernel,
    minmax_kernel,
    percentile_kernel,
    rank_kernel,
    skew_kernel,
    target_kernel,
    zscore_kernel,
)
from reportgen.index.treatment import FALLBACKS, TREATMENTS, treat

__all__ = [
    "AGGREGATORS",
    "DENOMINATORS",
    "IMPUTERS",
    "NORMALISERS",
    "SCREENERS",
    "STEP_NAMES",
    "TREATMENTS",
    "AggregateSpec",
    "Aggregator",
    "DenominateSpec",
    "ImputeOutcome",
    "ImputeSpec",
    "Imputer",
    "Method",
    "NormaliseSpec",
    "ScreenSpec",
    "StepSpec",
    "TreatSpec",
    "aggregate",
    "aggregate_level_kernel",
    "arithmetic_mean_kernel",
    "borda_kernel",
    "boxcox_kernel",
    "denominate",
    "geometric_mean_kernel",
    "goalposts_kernel",
    "harmonic_mean_kernel",
    "impute",
    "kurt_kernel",
    "log_ct_kernel",
    "minmax_kernel",
    "normalise",
    "percentile_kernel",
    "rank_kernel",
    "registry_for",
    "screen",
    "skew_kernel",
    "target_kernel",
    "treat",
    "zscore_kernel",
]

STEP_NAMES: tuple[str, ...] = ("denominate", "impute", "screen", "treat", "normalise", "aggregate")


# --------------------------------------------------------------------------------------------
# Methods: one function per method name, registered with its description
# --------------------------------------------------------------------------------------------


def _divide(x: FloatArray, denominators: FloatArray, scale: float) -> FloatArray:
    with np.errstate(invalid="ignore", divide="ignore"):
        out = x / denominators
        return out * scale if scale != 1.0 else out


DENOMINATORS: Mapping[str, Method[Callable[[FloatArray, FloatArray, float], FloatArray]]] = (
    MappingProxyType({"divide": Method(_divide, "x / denominator * scale")})
)

# An imputer returns the fill value of every cell: (values, missing, group labels) -> fill.
ImputeFn = Callable[[FloatArray, BoolArray, "pd.Series | None"], FloatArray]


@dataclass(frozen=True)
class Imputer(Method[ImputeFn]):
    """An imputation method; ``grouped`` ones need the spec's ``group`` column."""

    grouped: bool = False


def _fill_none(x: FloatArray, missing: BoolArray, groups: pd.Series | None) -> FloatArray:
    return np.full_like(x, np.nan)


def _fill_mean(x: FloatArray, missing: BoolArray, groups: pd.Series | None) -> FloatArray:
    stat = _nanmean(np.where(missing, np.nan, x), ~missing)
    return np.broadcast_to(stat, x.shape)


def _fill_median(x: FloatArray, missing: BoolArray, groups: pd.Series | None) -> FloatArray:
    has = ~missing.all(axis=0)
    stat = np.full((1, x.shape[1]), np.nan)
    stat[0, has] = np.nanmedian(np.where(missing, np.nan, x)[:, has], axis=0)
    return np.broadcast_to(stat, x.shape)


def _fill_group_mean(x: FloatArray, missing: BoolArray, groups: pd.Series | None) -> FloatArray:
    assert groups is not None  # guaranteed by Imputer.grouped
    return _group_fill(x, groups, "mean")


def _fill_group_median(x: FloatArray, missing: BoolArray, groups: pd.Series | None) -> FloatArray:
    assert groups is not None
    return _group_fill(x, groups, "median")


#: Imputation methods by name: a new one is a function above and a line here.
IMPUTERS: Mapping[str, Imputer] = MappingProxyType(
    {
        "none": Imputer(_fill_none, "leave missing values missing"),
        "mean": Imputer(_fill_mean, "mean of the indicator's observed values"),
        "median": Imputer(_fill_median, "median of the indicator's observed values"),
        "group_mean": Imputer(
            _fill_group_mean, "mean of the observed values in the unit's group", grouped=True
        ),
        "group_median": Imputer(
            _fill_group_median, "median of the observed values in the unit's group", grouped=True
        ),
    }
)

# A screener says which units (rows) a spec keeps, before force_include / force_exclude.
ScreenFn = Callable[[FloatArray, "ScreenSpec"], BoolArray]


def _keep_all(x: FloatArray, spec: ScreenSpec) -> BoolArray:
    return np.ones(len(x), dtype=bool)


def _keep_by_na(x: FloatArray, spec: ScreenSpec) -> BoolArray:
    return np.asarray((~np.isnan(x)).mean(axis=1) >= spec.dat_thresh)


def _keep_by_zeros(x: FloatArray, spec: ScreenSpec) -> BoolArray:
    return np.asarray((x != 0).mean(axis=1) >= spec.nonzero_thresh)  # NaN counts as non-zero


def _keep_by_na_and_zeros(x: FloatArray, spec: ScreenSpec) -> BoolArray:
    return _keep_by_na(x, spec) & _keep_by_zeros(x, spec)


#: Unit screens by name: a new one is a function above and a line here.
SCREENERS: Mapping[str, Method[ScreenFn]] = MappingProxyType(
    {
        "none": Method(_keep_all, "keep every unit"),
        "byNA": Method(
            _keep_by_na, "keep units whose share of available indicators is at least dat_thresh"
        ),
        "byzeros": Method(
            _keep_by_zeros,
            "keep units whose share of non-zero indicators is at least nonzero_thresh",
        ),
        "byNAandzeros": Method(_keep_by_na_and_zeros, "apply both byNA and byzeros"),
    }
)


@dataclass(frozen=True)
class _Columns:
    """What a normaliser knows of the columns: codes, directions (±1) and the framework."""

    codes: list[str]
    direction: FloatArray
    framework: Framework


# A normaliser maps direction-adjusted values to the common scale.
NormaliseFn = Callable[[FloatArray, "NormaliseSpec", _Columns], FloatArray]


def _scaled(unit: FloatArray, spec: NormaliseSpec) -> FloatArray:
    """A [0, 1] score stretched to the spec's range."""
    lo, hi = spec.range
    return unit * (hi - lo) + lo


def _n_minmax(x: FloatArray, spec: NormaliseSpec, cols: _Columns) -> FloatArray:
    return minmax_kernel(x, *spec.range)


def _n_zscore(x: FloatArray, spec: NormaliseSpec, cols: _Columns) -> FloatArray:
    return zscore_kernel(x, spec.mean_sd[0], spec.mean_sd[1])


def _n_rank(x: FloatArray, spec: NormaliseSpec, cols: _Columns) -> FloatArray:
    return rank_kernel(x)


def _n_borda(x: FloatArray, spec: NormaliseSpec, cols: _Columns) -> FloatArray:
    return borda_kernel(x)


def _n_percentile(x: FloatArray, spec: NormaliseSpec, cols: _Columns) -> FloatArray:
    return _scaled(percentile_kernel(x), spec)


def _n_goalposts(x: FloatArray, spec: NormaliseSpec, cols: _Columns) -> FloatArray:
    posts = spec.goalposts or {}
    missing = [c for c in cols.codes if c not in posts]
    if missing:
        raise MethodError(f"normalise: no goalposts for {', '.join(missing)}")
    raw = np.array([posts[c] for c in cols.codes], dtype=float)  # (worst, best) in raw units
    worst, best = raw[:, 0] * cols.direction, raw[:, 1] * cols.direction
    cap = True if spec.cap is None else spec.cap
    return _scaled(goalposts_kernel(x, worst, best, cap), spec)


def _n_target(x: FloatArray, spec: NormaliseSpec, cols: _Columns) -> FloatArray:
    target = _by_indicator(cols.framework.target_array(), cols.framework, cols.codes)
    if np.isnan(target).any():
        missing = [c for c, t in zip(cols.codes, target, strict=True) if np.isnan(t)]
        raise MethodError(f"normalise: no target for {', '.join(missing)}")
    cap = False if spec.cap is None else spec.cap
    return _scaled(target_kernel(x, target * cols.direction, cap), spec)


#: Normalisation methods by name: a new one is a function above and a line here.
NORMALISERS: Mapping[str, Method[NormaliseFn]] = MappingProxyType(
    {
        "minmax": Method(_n_minmax, "linear to range [l, u]"),
        "zscore": Method(_n_zscore, "mean and sample sd to mean_sd [m, s]"),
        "rank": Method(_n_rank, "rank, 1 = worst, ties at the minimum"),
        "borda": Method(_n_borda, "rank - 1"),
        "percentile": Method(_n_percentile, "percentile rank, scaled to range"),
        "goalposts": Method(_n_goalposts, "position between goalposts [lo, hi], scaled to range"),
        "target": Method(
            _n_target, "distance from the worst value to the framework target, scaled to range"
        ),
    }
)


# COINr function names accepted as synonyms, so a COINr user's log reads across.
COINR_ALIASES: Mapping[str, str] = MappingProxyType(
    {
        "i_mean": "mean",
        "i_median": "median",
        "i_mean_grp": "group_mean",
        "i_median_grp": "group_median",
        "log_CT": "log_ct",
        "n_minmax": "minmax",
        "n_zscore": "zscore",
        "n_rank": "rank",
        "n_borda": "borda",
        "n_prank": "percentile",
        "n_goalposts": "goalposts",
        "n_dist2targ": "target",
        "a_amean": "arithmetic",
        "a_gmean": "geometric",
        "a_hmean": "harmonic",
    }
)


def _check_method(value: Any, registry: Mapping[str, Any], step: str) -> str:
    name = COINR_ALIASES.get(str(value), str(value))
    if name not in registry:
        raise ValueError(f"unknown {step} method {value!r}; valid: {', '.join(registry)}")
    return name


# --------------------------------------------------------------------------------------------
# Specs
# --------------------------------------------------------------------------------------------


class StepSpec(BaseModel):
    """Common base: frozen, unknown keys rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class DenominateSpec(StepSpec):
    """Divide indicators by unit columns (framework ``denominator``), then multiply by ``scale``."""

    step: Literal["denominate"] = "denominate"
    method: str = "divide"
    scale: float = 1.0
    denominators: dict[str, str] | None = None  # indicator -> unit column; replaces the framework's

    @field_validator("method", mode="before")
    @classmethod
    def _method(cls, v: Any) -> str:
        return _check_method(v, DENOMINATORS, "denominate")


class ImputeSpec(StepSpec):
    """Fill missing values column by column; observed values never change."""

    step: Literal["impute"] = "impute"
    method: str = "mean"
    group: str | None = None  # unit attribute column for group_* methods

    @field_validator("method", mode="before")
    @classmethod
    def _method(cls, v: Any) -> str:
        return _check_method(v, IMPUTERS, "impute")

    @model_validator(mode="after")
    def _group_needed(self) -> ImputeSpec:
        if IMPUTERS[self.method].grouped and not self.group:
            raise ValueError(f"impute method {self.method!r} needs a group column (group: ...)")
        return self


class ScreenSpec(StepSpec):
    """Drop units with too little data (COINr ``Screen``)."""

    step: Literal["screen"] = "screen"
    method: str = Field(default="byNA", validation_alias=AliasChoices("method", "unit_screen"))
    dat_thresh: float = Field(default=2 / 3, ge=0, le=1)
    nonzero_thresh: float = Field(default=0.05, ge=0, le=1)
    force_include: tuple[str, ...] = ()
    force_exclude: tuple[str, ...] = ()

    @field_validator("method", mode="before")
    @classmethod
    def _method(cls, v: Any) -> str:
        return _check_method(v, SCREENERS, "screen")


class TreatSpec(StepSpec):
    """Outlier treatment per indicator, triggered by |skew| ≥ skew_thresh and kurt ≥ kurt_thresh.

    ``winsorise`` moves the extreme points in at most ``winmax`` points; if the indicator still
    fails, ``fallback`` (``log_ct`` or ``none``) is applied to the original values. ``log``,
    ``log_ct`` and ``boxcox`` transform failing indicators (all indicators when ``force``).
    ``indicators`` overrides any of these parameters for single indicator codes.
    """

    step: Literal["treat"] = "treat"
    method: str = "winsorise"
    winmax: int = Field(default=5, ge=0)
    skew_thresh: float = 2.0
    kurt_thresh: float = 3.5
    fallback: str = "log_ct"
    lambda_: float = Field(default=1.0, alias="lambda")
    makepos: bool = True
    force: bool = False
    exclude: tuple[str, ...] = ()
    indicators: dict[str, dict[str, Any]] = Field(default_factory=dict)

    @field_validator("method", mode="before")
    @classmethod
    def _method(cls, v: Any) -> str:
        return _check_method(v, TREATMENTS, "treat")

    @field_validator("fallback", mode="before")
    @classmethod
    def _fallback(cls, v: Any) -> str:
        return _check_method(v, FALLBACKS, "treat fallback")

    @model_validator(mode="after")
    def _overrides_valid(self) -> TreatSpec:
        for code, params in self.indicators.items():
            if "indicators" in params or "exclude" in params:
                raise ValueError(f"per-indicator treat settings for {code} cannot nest")
            self.spec_for(code)
        return self

    def spec_for(self, code: str) -> TreatSpec:
        """The settings that apply to one indicator."""
        params = self.indicators.get(code)
        if not params:
            return self
        base = self.model_dump(by_alias=True, exclude={"indicators", "exclude"})
        return TreatSpec.model_validate({**base, **params})


class NormaliseSpec(StepSpec):
    """Bring indicators to a common scale after multiplying by their direction."""

    step: Literal["normalise"] = "normalise"
    method: str = "minmax"
    range: tuple[float, float] = (0.0, 100.0)
    mean_sd: tuple[float, float] = (0.0, 1.0)
    goalposts: dict[str, tuple[float, float]] | None = None  # indicator -> (worst, best) raw units
    cap: bool | None = None  # goalposts default True, target default False (as COINr)
    directions: bool = True

    @field_validator("method", mode="before")
    @classmethod
    def _method(cls, v: Any) -> str:
        return _check_method(v, NORMALISERS, "normalise")


class AggregateSpec(StepSpec):
    """Aggregate level by level with framework weights (``weights`` overrides some)."""

    step: Literal["aggregate"] = "aggregate"
    method: str = "arithmetic"
    weights: dict[str, float] | None = None
    dat_thresh: float | None = Field(default=None, ge=0, le=1)

    @field_validator("method", mode="before")
    @classmethod
    def _method(cls, v: Any) -> str:
        return _check_method(v, AGGREGATORS, "aggregate")


AnyStepSpec = Annotated[
    DenominateSpec | ImputeSpec | ScreenSpec | TreatSpec | NormaliseSpec | AggregateSpec,
    Field(discriminator="step"),
]


# --------------------------------------------------------------------------------------------
# Step functions (pandas wrappers around the methods)
# --------------------------------------------------------------------------------------------


def _frame(values: FloatArray, like: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(values, index=like.index, columns=like.columns)


def denominate(
    values: pd.DataFrame,
    spec: DenominateSpec,
    framework: Framework,
    units: pd.DataFrame,
) -> pd.DataFrame:
    """Divide each indicator that has a denominator by that unit column."""
    mapping: Mapping[str, str | None] = (
        spec.denominators if spec.denominators is not None else framework.denominator_map()
    )
    columns = {code: col for code, col in mapping.items() if col is not None and code in values}
    unknown = sorted({c for c in columns.values() if c not in units.columns})
    if unknown:
        raise MethodError(f"denominate: unit table has no column {', '.join(map(repr, unknown))}")
    if not columns:
        return values
    out = values.to_numpy(dtype=float, copy=True)
    position = {c: i for i, c in enumerate(values.columns)}
    idx = [position[c] for c in columns]
    table = units if units.index.equals(values.index) else units.loc[values.index]
    needed = sorted(set(columns.values()))
    source = table[needed].to_numpy(dtype=float)
    denoms = source[:, [needed.index(c) for c in columns.values()]]
    out[:, idx] = DENOMINATORS[spec.method].apply(out[:, idx], denoms, spec.scale)
    return _frame(out, values)


@dataclass(frozen=True)
class ImputeOutcome:
    """Imputed values and where they came from."""

    values: pd.DataFrame
    imputed_mask: pd.DataFrame
    bound_limited_mask: pd.DataFrame


def _group_fill(x: FloatArray, labels: pd.Series, how: str) -> FloatArray:
    codes, _ = pd.factorize(labels, use_na_sentinel=True)
    n_groups = int(codes.max()) + 1 if codes.size else 0
    fill = np.full_like(x, np.nan)
    if n_groups == 0:
        return fill
    if how == "mean":
        mask = ~np.isnan(x)
        onehot = (codes[:, None] == np.arange(n_groups)[None, :]).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            means = (onehot.T @ np.where(mask, x, 0.0)) / (onehot.T @ mask.astype(float))
        stats = means
    else:
        stats = np.full((n_groups, x.shape[1]), np.nan)
        for g in range(n_groups):  # a handful of groups; nanmedian has no grouped form
            rows = x[codes == g]
            has = ~np.isnan(rows).all(axis=0)
            if has.any():
                stats[g, has] = np.nanmedian(rows[:, has], axis=0)
    valid = codes >= 0
    fill[valid] = stats[codes[valid]]
    return fill


def impute(
    values: pd.DataFrame,
    spec: ImputeSpec,
    framework: Framework,
    units: pd.DataFrame,
    bounds: pd.DataFrame | None = None,
) -> ImputeOutcome:
    """Fill NaN cells; never past a bound (clipped in the indicator's direction)."""
    x = values.to_numpy(dtype=float)
    missing = np.isnan(x)
    no_bound = np.zeros_like(missing)
    if spec.method == "none" or not missing.any():
        return ImputeOutcome(values, _frame(no_bound, values), _frame(no_bound, values))
    imputer = IMPUTERS[spec.method]
    groups = None
    if imputer.grouped:
        if spec.group not in units.columns:
            raise MethodError(f"impute: unit table has no group column {spec.group!r}")
        groups = units.loc[values.index, str(spec.group)]
    out = np.where(missing, imputer.apply(x, missing, groups), x)
    limited = no_bound
    if bounds is not None:
        direction = _by_indicator(framework.direction_array(), framework, list(values.columns))
        b = bounds.reindex(index=values.index, columns=values.columns).to_numpy(dtype=float)
        # "Better" means larger after multiplying by direction; a bound caps the imputed value.
        limited = missing & ~np.isnan(b) & ~np.isnan(out) & (out * direction > b * direction)
        out = np.where(limited, b, out)
    imputed = missing & ~np.isnan(out)
    return ImputeOutcome(_frame(out, values), _frame(imputed, values), _frame(limited, values))


def screen(values: pd.DataFrame, spec: ScreenSpec) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Keep the units with enough data; return the kept values and the removed unit ids."""
    keep = SCREENERS[spec.method].apply(values.to_numpy(dtype=float), spec).copy()
    index = values.index
    keep |= index.isin(spec.force_include)
    keep &= ~index.isin(spec.force_exclude)
    return values.loc[keep], tuple(index[~keep])


def _by_indicator(array: FloatArray, framework: Framework, codes: list[str]) -> FloatArray:
    """A per-indicator framework array in the column order of a frame."""
    if tuple(codes) == framework.indicators:
        return array
    position = {c: i for i, c in enumerate(framework.indicators)}
    return array[[position[c] for c in codes]]


def normalise(values: pd.DataFrame, spec: NormaliseSpec, framework: Framework) -> pd.DataFrame:
    """Multiply by direction, then scale each indicator with the chosen method."""
    codes = list(values.columns)
    direction = (
        _by_indicator(framework.direction_array(), framework, codes)
        if spec.directions
        else np.ones(len(codes))
    )
    x = values.to_numpy(dtype=float) * direction
    out = NORMALISERS[spec.method].apply(x, spec, _Columns(codes, direction, framework))
    return _frame(out, values)


def aggregate(normalised: pd.DataFrame, spec: AggregateSpec, framework: Framework) -> pd.DataFrame:
    """Indicators, then every aggregate level by level (COINr's Aggregated layout)."""
    if spec.weights:
        unknown = [c for c in spec.weights if c not in framework.meta.index]
        if unknown:
            raise MethodError(f"aggregate: weights given for unknown codes {', '.join(unknown)}")
    blocks: list[FloatArray] = [normalised.to_numpy(dtype=float)]
    names: list[str] = list(normalised.columns)
    below = normalised[list(framework.indicators)].to_numpy(dtype=float)
    for level in range(2, framework.n_levels + 1):
        weights = framework.weight_matrix(level, spec.weights)
        parents = framework.aggregation_order(level)
        try:
            values = aggregate_level_kernel(below, weights, spec.method, spec.dat_thresh)
        except MethodError:
            raise MethodError(
                _named_failure(below, weights, spec.method, normalised.index, framework, level)
            ) from None
        blocks.append(values)
        names.extend(parents)
        # The next level's children are this level's codes in metadata order.
        order = [parents.index(c) for c in framework.codes_at(level)]
        below = values[:, order]
    return pd.DataFrame(np.hstack(blocks), index=normalised.index, columns=names)


def _named_failure(
    x: FloatArray,
    weights: FloatArray,
    method: str,
    units: pd.Index,
    framework: Framework,
    level: int,
) -> str:
    aggregator = AGGREGATORS[method]
    assert aggregator.invalid is not None  # only methods that reject values fail
    test = aggregator.invalid(x)
    bad = ((test & ~np.isnan(x)).astype(float) @ (weights != 0).T.astype(float)) > 0
    unit_pos, parent_pos = np.argwhere(bad)[0]
    parent = framework.aggregation_order(level)[parent_pos]
    children = framework.codes_at(level - 1)
    offending = [
        children[j]
        for j in range(len(children))
        if weights[parent_pos, j] != 0 and test[unit_pos, j] and not np.isnan(x[unit_pos, j])
    ]
    return (
        f"aggregate: {method} mean of {parent} for unit {units[unit_pos]} needs "
        f"{aggregator.need}; {', '.join(offending)} is "
        f"{x[unit_pos, children.index(offending[0])]:g}"
    )


def registry_for(step: str) -> Mapping[str, Method[Any]]:
    """The method registry of a step kind (name -> function and description)."""
    registries: dict[str, Mapping[str, Any]] = {
        "denominate": DENOMINATORS,
        "impute": IMPUTERS,
        "screen": SCREENERS,
        "treat": TREATMENTS,
        "normalise": NORMALISERS,
        "aggregate": AGGREGATORS,
    }
    return registries[step]
