"""Build steps (denominate, impute, screen, treat, normalise, aggregate): specs and kernels.

Numeric kernels are pure numpy on arrays shaped ``(..., units, indicators)``: statistics run
down axis -2 and every leading axis is a replication, so a ``(1000, 51, 49)`` stack is
normalised or aggregated in one call. NaN marks a missing value throughout.

Kernels (exported for the Monte Carlo engine):

* ``skew_kernel(x)``, ``kurt_kernel(x)``: e1071 type-2 skewness / excess kurtosis per column.
* ``minmax_kernel(x, lo, hi)``: ``(x - min) / (max - min) * (hi - lo) + lo``.
* ``zscore_kernel(x, m, s)``: ``(x - mean) / sd * s + m`` with the sample sd.
* ``rank_kernel(x)``: ranks with ties at their minimum, 1 = lowest, NaN kept.
* ``borda_kernel(x)``: ``rank - 1``; ``percentile_kernel(x)``: ``(rank - 1) / (n - 1)``.
* ``goalposts_kernel(x, lo, hi, cap)``: ``(x - lo) / (hi - lo)``, clipped to [0, 1] if ``cap``.
* ``target_kernel(x, target, cap)``: ``(x - min) / (target - min)``, capped at 1 if ``cap``.
* ``log_ct_kernel(x)``: ``ln(x - min + 0.01 (max - min))``; ``boxcox_kernel(x, lam)``.
* ``arithmetic_mean_kernel(x, w)``, ``geometric_mean_kernel(x, w)``,
  ``harmonic_mean_kernel(x, w)``: ``x`` is ``(..., units, children)``, ``w`` is
  ``(..., children)``; missing children are dropped with their weights.
* ``aggregate_level_kernel(x, weights, method)``: every parent of a level at once, with
  ``weights`` shaped ``(..., parents, children)`` (0 where a code is not a child).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Annotated, Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator, model_validator

from reportgen.errors import MethodError
from reportgen.index.framework import Framework

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

__all__ = [
    "AGGREGATORS",
    "IMPUTERS",
    "NORMALISERS",
    "SCREENERS",
    "STEP_NAMES",
    "TREATMENTS",
    "AggregateSpec",
    "DenominateSpec",
    "ImputeOutcome",
    "ImputeSpec",
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
    "screen",
    "skew_kernel",
    "target_kernel",
    "treat",
    "zscore_kernel",
]

STEP_NAMES: tuple[str, ...] = ("denominate", "impute", "screen", "treat", "normalise", "aggregate")


# --------------------------------------------------------------------------------------------
# Kernels
# --------------------------------------------------------------------------------------------


def _column(value: float | FloatArray) -> FloatArray:
    """A per-indicator parameter (scalar or ``(..., indicators)``) made to broadcast on axis -2."""
    arr = np.asarray(value, dtype=float)
    return arr if arr.ndim == 0 else arr[..., None, :]


def _count(mask: BoolArray) -> FloatArray:
    return mask.sum(axis=-2, keepdims=True).astype(float)


def _nanmin(x: FloatArray) -> FloatArray:
    # Filling with +inf instead of np.nanmin avoids its all-NaN warning and is faster.
    return np.where(np.isnan(x), np.inf, x).min(axis=-2, keepdims=True)


def _nanmax(x: FloatArray) -> FloatArray:
    return np.where(np.isnan(x), -np.inf, x).max(axis=-2, keepdims=True)


def _nanmean(x: FloatArray, mask: BoolArray) -> FloatArray:
    n = _count(mask)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(mask, x, 0.0).sum(axis=-2, keepdims=True) / n


def _central_sums(x: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    mask = ~np.isnan(x)
    n = _count(mask)
    dev = np.where(mask, x - _nanmean(x, mask), 0.0)
    dev2 = dev * dev
    return (
        n,
        dev2.sum(axis=-2, keepdims=True),
        (dev2 * dev).sum(axis=-2, keepdims=True),
        (dev2 * dev2).sum(axis=-2, keepdims=True),
    )


def skew_kernel(x: FloatArray) -> FloatArray:
    """Sample skewness (e1071 type 2) of each column over the available values; NaN if n < 3."""
    return _skew_kurt(x)[0]


def kurt_kernel(x: FloatArray) -> FloatArray:
    """Sample excess kurtosis (e1071 type 2) of each column; NaN if n < 4."""
    return _skew_kurt(x)[1]


def minmax_kernel(
    x: FloatArray, lo: float | FloatArray = 0.0, hi: float | FloatArray = 100.0
) -> FloatArray:
    """Scale each column linearly so its minimum is ``lo`` and its maximum ``hi``."""
    x = np.asarray(x, dtype=float)
    mn, mx = _nanmin(x), _nanmax(x)
    lo_, hi_ = _column(lo), _column(hi)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (x - mn) / (mx - mn) * (hi_ - lo_) + lo_


def zscore_kernel(
    x: FloatArray, m: float | FloatArray = 0.0, s: float | FloatArray = 1.0
) -> FloatArray:
    """Standardise each column to mean ``m`` and sample standard deviation ``s``."""
    x = np.asarray(x, dtype=float)
    mask = ~np.isnan(x)
    n = _count(mask)
    mean = _nanmean(x, mask)
    dev = np.where(mask, x - mean, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.sqrt((dev * dev).sum(axis=-2, keepdims=True) / (n - 1))
        return (x - mean) / sd * _column(s) + _column(m)


def rank_kernel(x: FloatArray) -> FloatArray:
    """Rank each column from 1 (lowest); ties share their smallest rank; NaN stays NaN."""
    x = np.asarray(x, dtype=float)
    # Order within a tie does not matter (a block takes its first position), so the faster
    # unstable sort is fine; NaN sorts last either way.
    order = np.argsort(x, axis=-2)
    ordered = np.take_along_axis(x, order, axis=-2)
    n = x.shape[-2]
    position = np.arange(n, dtype=float).reshape((n, 1))
    starts_block = np.ones(ordered.shape, dtype=bool)
    starts_block[..., 1:, :] = ordered[..., 1:, :] != ordered[..., :-1, :]
    block_start = np.maximum.accumulate(np.where(starts_block, position, 0.0), axis=-2)
    ranked = np.where(np.isnan(ordered), np.nan, block_start + 1.0)
    out = np.empty_like(ranked)
    np.put_along_axis(out, order, ranked, axis=-2)
    return out


def borda_kernel(x: FloatArray) -> FloatArray:
    """Borda score: the number of units strictly below (rank - 1)."""
    return rank_kernel(x) - 1.0


def percentile_kernel(x: FloatArray) -> FloatArray:
    """Percentile rank in [0, 1]: ``(rank - 1) / (n_available - 1)``."""
    x = np.asarray(x, dtype=float)
    n = _count(~np.isnan(x))
    with np.errstate(invalid="ignore", divide="ignore"):
        return (rank_kernel(x) - 1.0) / (n - 1.0)


def goalposts_kernel(
    x: FloatArray, lo: float | FloatArray, hi: float | FloatArray, cap: bool = True
) -> FloatArray:
    """Position between goalposts: 0 at ``lo``, 1 at ``hi``; clipped to [0, 1] when ``cap``."""
    lo_, hi_ = _column(lo), _column(hi)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (np.asarray(x, dtype=float) - lo_) / (hi_ - lo_)
    return np.clip(out, 0.0, 1.0) if cap else out


def target_kernel(x: FloatArray, target: float | FloatArray, cap: bool = False) -> FloatArray:
    """Distance to target: 0 at the column minimum, 1 at ``target``; capped at 1 when ``cap``."""
    x = np.asarray(x, dtype=float)
    mn = _nanmin(x)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (x - mn) / (_column(target) - mn)
    return np.minimum(out, 1.0) if cap else out


def log_ct_kernel(x: FloatArray) -> FloatArray:
    """COINr's ``log_CT``: ``ln(x - min + 0.01 (max - min))``, defined for any sign of x."""
    x = np.asarray(x, dtype=float)
    mn, mx = _nanmin(x), _nanmax(x)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.log(x - mn + 0.01 * (mx - mn))


def boxcox_kernel(x: FloatArray, lam: float, makepos: bool = True) -> FloatArray:
    """Box-Cox transform; with ``makepos`` the column is first shifted to a minimum of 1."""
    x = np.asarray(x, dtype=float)
    if makepos:
        x = x - _nanmin(x) + 1.0
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.log(x) if lam == 0 else (x**lam - 1.0) / lam


def aggregate_level_kernel(
    x: FloatArray,
    weights: FloatArray,
    method: str = "arithmetic",
    dat_thresh: float | None = None,
) -> FloatArray:
    """Aggregate children ``x (..., units, children)`` into parents ``(..., units, parents)``.

    ``weights (..., parents, children)`` holds each parent's child weights (0 for non-children).
    Missing children are dropped with their weights (the rest are rescaled); a parent with no
    available child is NaN, as is one whose share of available children is below ``dat_thresh``.
    Geometric means reject values ≤ 0 and harmonic means zeros (COINr stops on both).
    """
    x = np.asarray(x, dtype=float)
    weights = np.asarray(weights, dtype=float)
    mask = ~np.isnan(x)
    wt = np.swapaxes(weights, -1, -2)
    members = np.swapaxes(weights != 0, -1, -2).astype(float)
    maskf = mask.astype(float)
    weight_sum = _weighted_sum(maskf, wt)
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "arithmetic":
            out = _weighted_sum(np.where(mask, x, 0.0), wt) / weight_sum
        elif method == "geometric":
            bad = ((mask & (x <= 0)).astype(float) @ members) > 0
            if bad.any():
                raise MethodError(_locate(bad, "geometric mean needs values > 0"))
            out = np.exp(_weighted_sum(np.log(np.where(mask, x, 1.0)), wt) / weight_sum)
        elif method == "harmonic":
            bad = ((mask & (x == 0)).astype(float) @ members) > 0
            if bad.any():
                raise MethodError(_locate(bad, "harmonic mean needs non-zero values"))
            out = weight_sum / _weighted_sum(np.where(mask, 1.0 / np.where(mask, x, 1.0), 0.0), wt)
        else:
            raise MethodError(f"unknown aggregation {method!r}; valid: {', '.join(AGGREGATORS)}")
        out = np.where(weight_sum > 0, out, np.nan)
        if dat_thresh is not None:
            share = (maskf @ members) / members.sum(axis=-2, keepdims=True)
            out = np.where(share < dat_thresh, np.nan, out)
    return out


def _weighted_sum(a: FloatArray, wt: FloatArray) -> FloatArray:
    """``a (..., units, children) · wt (..., children, parents)``, summed row by row.

    A matrix product (BLAS) may round a row differently depending on its position in the
    block, so two cities with identical data could score one ulp apart and rank differently.
    Summing each parent's children with numpy's reduction gives every row the same result.
    """
    parents = wt.shape[-1]
    lead = np.broadcast_shapes(a.shape[:-2], wt.shape[:-2])
    out = np.empty((*lead, a.shape[-2], parents))
    flat = (wt != 0).reshape(-1, wt.shape[-2], parents).any(axis=0)
    for p in range(parents):
        idx = np.flatnonzero(flat[:, p])
        if idx.size == 0:
            out[..., p] = 0.0
            continue
        w = wt[..., idx, p][..., np.newaxis, :]
        out[..., p] = (a[..., idx] * w).sum(axis=-1)
    return out


def _locate(bad: BoolArray, message: str) -> str:
    where = np.argwhere(bad)[0]
    return f"{message} (unit position {where[-2]}, parent position {where[-1]})"


def arithmetic_mean_kernel(x: FloatArray, w: FloatArray) -> FloatArray:
    """Weighted arithmetic mean over the last axis (children); ``w`` is ``(..., children)``."""
    return aggregate_level_kernel(x, np.asarray(w, dtype=float)[..., None, :], "arithmetic")[..., 0]


def geometric_mean_kernel(x: FloatArray, w: FloatArray) -> FloatArray:
    """Weighted geometric mean over axis -1; raises MethodError on any value ≤ 0."""
    return aggregate_level_kernel(x, np.asarray(w, dtype=float)[..., None, :], "geometric")[..., 0]


def harmonic_mean_kernel(x: FloatArray, w: FloatArray) -> FloatArray:
    """Weighted harmonic mean over axis -1; raises MethodError on any zero."""
    return aggregate_level_kernel(x, np.asarray(w, dtype=float)[..., None, :], "harmonic")[..., 0]


# --------------------------------------------------------------------------------------------
# Registries: method name -> description (the step functions dispatch on these names)
# --------------------------------------------------------------------------------------------

DENOMINATORS: Mapping[str, str] = MappingProxyType({"divide": "x / denominator * scale"})
IMPUTERS: Mapping[str, str] = MappingProxyType(
    {
        "none": "leave missing values missing",
        "mean": "mean of the indicator's observed values",
        "median": "median of the indicator's observed values",
        "group_mean": "mean of the observed values in the unit's group",
        "group_median": "median of the observed values in the unit's group",
    }
)
SCREENERS: Mapping[str, str] = MappingProxyType(
    {
        "none": "keep every unit",
        "byNA": "keep units whose share of available indicators is at least dat_thresh",
        "byzeros": "keep units whose share of non-zero indicators is at least nonzero_thresh",
        "byNAandzeros": "apply both byNA and byzeros",
    }
)
TREATMENTS: Mapping[str, str] = MappingProxyType(
    {
        "none": "leave indicators unchanged",
        "winsorise": "winsorise until skew and kurtosis pass, else fall back (log_ct)",
        "log": "natural log (values must be > 0)",
        "log_ct": "ln(x - min + 0.01 (max - min))",
        "boxcox": "Box-Cox transform with parameter lambda",
    }
)
NORMALISERS: Mapping[str, str] = MappingProxyType(
    {
        "minmax": "linear to range [l, u]",
        "zscore": "mean and sample sd to mean_sd [m, s]",
        "rank": "rank, 1 = worst, ties at the minimum",
        "borda": "rank - 1",
        "percentile": "percentile rank, scaled to range",
        "goalposts": "position between goalposts [lo, hi], scaled to range",
        "target": "distance from the worst value to the framework target, scaled to range",
    }
)
AGGREGATORS: Mapping[str, str] = MappingProxyType(
    {
        "arithmetic": "weighted arithmetic mean",
        "geometric": "weighted geometric mean (values must be > 0)",
        "harmonic": "weighted harmonic mean (values must be non-zero)",
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


def _check_method(value: Any, registry: Mapping[str, str], step: str) -> str:
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
        if self.method.startswith("group_") and not self.group:
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
        return _check_method(v, {"log_ct": "", "none": ""}, "treat fallback")

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
# Step functions (pandas wrappers around the kernels)
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
    with np.errstate(invalid="ignore", divide="ignore"):
        out[:, idx] = out[:, idx] / denoms
        if spec.scale != 1.0:
            out[:, idx] = out[:, idx] * spec.scale
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
    if spec.method in ("mean", "median"):
        observed = np.where(missing, np.nan, x)
        if spec.method == "mean":
            stat = _nanmean(observed, ~missing)
        else:
            has = ~missing.all(axis=0)
            stat = np.full((1, x.shape[1]), np.nan)
            stat[0, has] = np.nanmedian(observed[:, has], axis=0)
        fill = np.broadcast_to(stat, x.shape)
    else:
        if spec.group not in units.columns:
            raise MethodError(f"impute: unit table has no group column {spec.group!r}")
        fill = _group_fill(x, units.loc[values.index, str(spec.group)], spec.method.split("_")[1])
    out = np.where(missing, fill, x)
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
    if spec.method == "none":
        keep = np.ones(len(values), dtype=bool)
    else:
        x = values.to_numpy(dtype=float)
        keep = np.ones(len(values), dtype=bool)
        if spec.method in ("byNA", "byNAandzeros"):
            keep &= (~np.isnan(x)).mean(axis=1) >= spec.dat_thresh
        if spec.method in ("byzeros", "byNAandzeros"):
            keep &= (x != 0).mean(axis=1) >= spec.nonzero_thresh  # NaN counts as non-zero
    index = values.index
    keep |= index.isin(spec.force_include)
    keep &= ~index.isin(spec.force_exclude)
    return values.loc[keep], tuple(index[~keep])


def _skew_kurt(x: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Skew and kurtosis of each column in one pass over the central sums."""
    n, s2, s3, s4 = _central_sums(np.asarray(x, dtype=float))
    with np.errstate(invalid="ignore", divide="ignore"):
        skew = np.sqrt(n) * s3 / s2**1.5 * np.sqrt(n * (n - 1)) / (n - 2)
        kurt = ((n + 1) * (n * s4 / (s2 * s2) - 3) + 6) * (n - 1) / ((n - 2) * (n - 3))
    return np.where(n < 3, np.nan, skew)[..., 0, :], np.where(n < 4, np.nan, kurt)[..., 0, :]


def _check(x: FloatArray, spec: TreatSpec) -> tuple[BoolArray, FloatArray, FloatArray]:
    """(pass, skew, kurt) per column; an undefined statistic passes (nothing to treat)."""
    skew, kurt = _skew_kurt(x)
    fails = (np.abs(skew) >= spec.skew_thresh) & (kurt >= spec.kurt_thresh)
    return ~fails, skew, kurt


def _check_vector(v: FloatArray, spec: TreatSpec) -> tuple[bool, float, float]:
    """:func:`_check` for one vector of available values (the winsorisation loop's hot path)."""
    n = float(v.size)
    if n < 3:
        return True, np.nan, np.nan
    d = v - v.sum() / n
    d2 = d * d
    s2, s3 = d2.sum(), (d2 * d).sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        skew = float(np.sqrt(n) * s3 / s2**1.5 * np.sqrt(n * (n - 1)) / (n - 2))
        kurt = (
            float(
                ((n + 1) * (n * (d2 * d2).sum() / (s2 * s2) - 3) + 6)
                * (n - 1)
                / ((n - 2) * (n - 3))
            )
            if n >= 4
            else np.nan
        )
    fails = abs(skew) >= spec.skew_thresh and kurt >= spec.kurt_thresh
    return not fails, skew, kurt


def _winsorise(x: FloatArray, spec: TreatSpec) -> tuple[FloatArray, int]:
    """Winsorise one column (shape (n, 1)) as COINr does; return it and ``nwin``."""
    y = x.copy()
    col = y[:, 0]
    available = ~np.isnan(col)
    v = col[available]  # work on the available values; positions are restored at the end
    high = low = 0
    nwin = 0
    while nwin < spec.winmax:
        passed, skew, _ = _check_vector(v, spec)
        if passed:
            break
        if skew >= 0:
            extreme = v == v.max()
            if extreme.all():
                break
            v[extreme] = v[~extreme].max()
            high = int(extreme.sum())
        else:
            extreme = v == v.min()
            if extreme.all():
                break
            v[extreme] = v[~extreme].min()
            low = int(extreme.sum())
        nwin = high + low
    col[available] = v
    return y, nwin


def _transform(
    x: FloatArray, spec: TreatSpec, method: str, code: str, index: pd.Index
) -> FloatArray:
    if method == "log_ct":
        return log_ct_kernel(x)
    if method == "boxcox":
        return boxcox_kernel(x, spec.lambda_, spec.makepos)
    bad = ~np.isnan(x[:, 0]) & (x[:, 0] <= 0)
    if bad.any():
        raise MethodError(f"treat: log of {code} needs values > 0; unit {index[bad][0]} is not")
    return np.log(x)


class _CheckColumns:
    """One ``check_SkewKurt`` block of the treatment log, filled indicator by indicator."""

    def __init__(self, n: int) -> None:
        self.passed = np.zeros(n, dtype=bool)
        self.skew = np.full(n, np.nan)
        self.kurt = np.full(n, np.nan)
        self.ran = np.zeros(n, dtype=bool)

    def record(self, j: int, check: tuple[bool, float, float]) -> bool:
        self.passed[j], self.skew[j], self.kurt[j] = check
        self.ran[j] = True
        return check[0]

    def columns(self, stage: int) -> dict[str, Any]:
        prefix = f"check_SkewKurt{stage}"
        return {
            f"{prefix}.Pass": pd.arrays.BooleanArray(self.passed, ~self.ran),
            f"{prefix}.Skew": self.skew,
            f"{prefix}.Kurt": self.kurt,
        }


def _check_column(x: FloatArray, spec: TreatSpec) -> tuple[bool, float, float]:
    column = x[:, 0]
    return _check_vector(column[~np.isnan(column)], spec)


def treat(
    values: pd.DataFrame, spec: TreatSpec, framework: Framework
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Treat outliers per indicator; return the treated values and COINr's ``Dets_Table``.

    The log has one row per indicator: the check before treatment, the number of winsorised
    points, the check after it, the check after a fallback transform (only when one ran) and a
    ``treatment`` column naming what was applied.
    """
    del framework  # treatment is in the indicators' own direction, as COINr
    x = values.to_numpy(dtype=float)
    out = x.copy()
    codes = list(values.columns)
    n = len(codes)
    pass0, skew0, kurt0 = _check(x, spec)
    check0, check1, check2 = _CheckColumns(n), _CheckColumns(n), _CheckColumns(n)
    check0.passed[:], check0.skew[:], check0.kurt[:], check0.ran[:] = pass0, skew0, kurt0, True
    nwin = np.zeros(n, dtype=np.int64)
    nwin_ran = np.zeros(n, dtype=bool)
    treatment = np.full(n, "none", dtype=object)
    # Only failing indicators (or ones with their own settings) need a Python-level look.
    todo = [
        j
        for j, code in enumerate(codes)
        if code not in spec.exclude and (code in spec.indicators or not pass0[j] or spec.force)
    ]
    treatment[[j for j, c in enumerate(codes) if c in spec.exclude]] = "excluded"
    for j in todo:
        code = codes[j]
        s = spec.spec_for(code)
        column = x[:, j : j + 1]
        passed0 = check0.record(j, _check_column(column, s)) if s is not spec else bool(pass0[j])
        if s.method == "none" or (passed0 and not s.force):
            continue
        if s.method == "winsorise":
            treated, nwin[j] = _winsorise(column, s)
            nwin_ran[j] = True
            treatment[j] = "winsorise"
            if not check1.record(j, _check_column(treated, s)) and s.fallback != "none":
                # COINr falls back on the original vector, not the winsorised one.
                treated = _transform(column, s, s.fallback, code, values.index)
                check2.record(j, _check_column(treated, s))
                treatment[j] = s.fallback
        else:
            treated = _transform(column, s, s.method, code, values.index)
            check1.record(j, _check_column(treated, s))
            treatment[j] = s.method
        out[:, j] = treated[:, 0]
    log: dict[str, Any] = {"iCode": pd.array(codes, dtype="str"), **check0.columns(0)}
    log["winsorise.nwin"] = pd.arrays.IntegerArray(nwin, ~nwin_ran)
    log.update(check1.columns(1))
    if check2.ran.any():
        log.update(check2.columns(2))
    log["treatment"] = treatment
    return _frame(out, values), pd.DataFrame(log)


def _by_indicator(array: FloatArray, framework: Framework, codes: list[str]) -> FloatArray:
    """A per-indicator framework array in the column order of a frame."""
    if tuple(codes) == framework.indicators:
        return array
    position = {c: i for i, c in enumerate(framework.indicators)}
    return array[[position[c] for c in codes]]


def normalise(values: pd.DataFrame, spec: NormaliseSpec, framework: Framework) -> pd.DataFrame:
    """Multiply by direction, then scale each indicator with the chosen method."""
    x = values.to_numpy(dtype=float)
    codes = list(values.columns)
    direction = (
        _by_indicator(framework.direction_array(), framework, codes)
        if spec.directions
        else np.ones(len(codes))
    )
    x = x * direction
    lo, hi = spec.range
    method = spec.method
    if method == "minmax":
        out = minmax_kernel(x, lo, hi)
    elif method == "zscore":
        out = zscore_kernel(x, spec.mean_sd[0], spec.mean_sd[1])
    elif method == "rank":
        out = rank_kernel(x)
    elif method == "borda":
        out = borda_kernel(x)
    elif method == "percentile":
        out = percentile_kernel(x) * (hi - lo) + lo
    elif method == "goalposts":
        posts = spec.goalposts or {}
        missing = [c for c in codes if c not in posts]
        if missing:
            raise MethodError(f"normalise: no goalposts for {', '.join(missing)}")
        raw = np.array([posts[c] for c in codes], dtype=float)  # (worst, best) in raw units
        worst, best = raw[:, 0] * direction, raw[:, 1] * direction
        cap = True if spec.cap is None else spec.cap
        out = goalposts_kernel(x, worst, best, cap) * (hi - lo) + lo
    else:  # target
        target = _by_indicator(framework.target_array(), framework, codes)
        if np.isnan(target).any():
            missing = [c for c, t in zip(codes, target, strict=True) if np.isnan(t)]
            raise MethodError(f"normalise: no target for {', '.join(missing)}")
        cap = False if spec.cap is None else spec.cap
        out = target_kernel(x, target * direction, cap) * (hi - lo) + lo
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
    test = (x <= 0) if method == "geometric" else (x == 0)
    bad = ((test & ~np.isnan(x)).astype(float) @ (weights != 0).T.astype(float)) > 0
    unit_pos, parent_pos = np.argwhere(bad)[0]
    parent = framework.aggregation_order(level)[parent_pos]
    children = framework.codes_at(level - 1)
    offending = [
        children[j]
        for j in range(len(children))
        if weights[parent_pos, j] != 0 and test[unit_pos, j] and not np.isnan(x[unit_pos, j])
    ]
    need = "values > 0" if method == "geometric" else "non-zero values"
    return (
        f"aggregate: {method} mean of {parent} for unit {units[unit_pos]} needs {need}; "
        f"{', '.join(offending)} is {x[unit_pos, children.index(offending[0])]:g}"
    )


def registry_for(step: str) -> Mapping[str, str]:
    """The method registry of a step kind."""
    return {
        "denominate": DENOMINATORS,
        "impute": IMPUTERS,
        "screen": SCREENERS,
        "treat": TREATMENTS,
        "normalise": NORMALISERS,
        "aggregate": AGGREGATORS,
    }[step]
