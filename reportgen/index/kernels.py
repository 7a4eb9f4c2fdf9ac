"""Numeric kernels of the build steps, and the aggregation methods registry.

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
* ``nanquantile_kernel(a, q)``: ``np.nanquantile(a, q, axis=0)``, bit for bit, but sorting
  whole columns at once where they hold no NaN (numpy goes column by column).
* ``aggregate_level_kernel(x, weights, method)``: every parent of a level at once, with
  ``weights`` shaped ``(..., parents, children)`` (0 where a code is not a child).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Generic, TypeVar

import numpy as np
import numpy.typing as npt

from reportgen.errors import MethodError

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

__all__ = [
    "AGGREGATORS",
    "Aggregator",
    "Method",
    "aggregate_level_kernel",
    "arithmetic_mean_kernel",
    "borda_kernel",
    "boxcox_kernel",
    "geometric_mean_kernel",
    "goalposts_kernel",
    "harmonic_mean_kernel",
    "kurt_kernel",
    "log_ct_kernel",
    "minmax_kernel",
    "nanquantile_kernel",
    "percentile_kernel",
    "rank_kernel",
    "skew_kernel",
    "target_kernel",
    "zscore_kernel",
]

F = TypeVar("F", bound=Callable[..., object])


@dataclass(frozen=True)
class Method(Generic[F]):
    """A registry entry: the function a method name runs, and the sentence describing it."""

    apply: F
    description: str


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
    # Sort along a contiguous last axis (about twice as fast as along a strided one) and
    # scatter back with flat indices (faster than take/put_along_axis on large batches).
    rows = np.ascontiguousarray(np.moveaxis(x, -2, -1))
    n = rows.shape[-1]
    if rows.size == 0:
        return x.copy()
    flat = rows.reshape(-1, n)
    # Order within a tie does not matter (a block takes its first position), so the faster
    # unstable sort is fine; NaN sorts last either way.
    order = np.argsort(flat, axis=-1)
    index = (order + (np.arange(flat.shape[0]) * n)[:, None]).ravel()
    ordered = flat.ravel()[index].reshape(flat.shape)
    starts_block = np.empty(ordered.shape, dtype=bool)
    starts_block[:, :1] = True
    np.not_equal(ordered[:, 1:], ordered[:, :-1], out=starts_block[:, 1:])
    position = np.broadcast_to(np.arange(1.0, n + 1.0), ordered.shape)
    ranked = np.maximum.accumulate(np.where(starts_block, position, 0.0), axis=-1)
    ranked[np.isnan(ordered)] = np.nan
    out = np.empty(flat.size)
    out[index] = ranked.ravel()
    return np.moveaxis(out.reshape(rows.shape), -1, -2)


def nanquantile_kernel(a: npt.ArrayLike, q: float | tuple[float, ...]) -> FloatArray:
    """``np.nanquantile(a, q, axis=0)`` with the same bits, fast on wide arrays.

    numpy's nanquantile interpolates each column in a Python-level loop (seconds for a
    replications x thousands-of-cities array); columns without NaN give the same value
    through ``np.quantile``, which works on all of them at once.
    """
    values = np.asarray(a)
    gappy = np.isnan(values).any(axis=0)
    if not gappy.any():
        return np.asarray(np.quantile(values, q, axis=0))
    out = np.asarray(np.quantile(np.where(gappy, 0.0, values), q, axis=0))
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN column stays NaN
        out[..., gappy] = np.nanquantile(values[:, gappy], q, axis=0)
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


# An aggregator turns (x, mask, wt) into parent values before the shared weight rescaling:
# ``x`` (..., units, children) with NaN, ``mask`` its available cells, ``wt`` (..., children,
# parents) the weights, ``weight_sum`` the weight of each parent's available children.
AggregateFn = Callable[[FloatArray, BoolArray, FloatArray, FloatArray], FloatArray]


@dataclass(frozen=True)
class Aggregator(Method[AggregateFn]):
    """An aggregation method; ``invalid`` marks the child values it cannot take (None: any)."""

    invalid: Callable[[FloatArray], BoolArray] | None = None
    need: str = ""


def _arithmetic(x: FloatArray, mask: BoolArray, wt: FloatArray, wsum: FloatArray) -> FloatArray:
    return _weighted_sum(np.where(mask, x, 0.0), wt) / wsum


def _geometric(x: FloatArray, mask: BoolArray, wt: FloatArray, wsum: FloatArray) -> FloatArray:
    return np.exp(_weighted_sum(np.log(np.where(mask, x, 1.0)), wt) / wsum)


def _harmonic(x: FloatArray, mask: BoolArray, wt: FloatArray, wsum: FloatArray) -> FloatArray:
    return wsum / _weighted_sum(np.where(mask, 1.0 / np.where(mask, x, 1.0), 0.0), wt)


def _not_positive(x: FloatArray) -> BoolArray:
    return np.asarray(x <= 0)


def _zero(x: FloatArray) -> BoolArray:
    return np.asarray(x == 0)


#: Aggregation methods by name: a new one is a function above and a line here.
AGGREGATORS: Mapping[str, Aggregator] = MappingProxyType(
    {
        "arithmetic": Aggregator(_arithmetic, "weighted arithmetic mean"),
        "geometric": Aggregator(
            _geometric,
            "weighted geometric mean (values must be > 0)",
            invalid=_not_positive,
            need="values > 0",
        ),
        "harmonic": Aggregator(
            _harmonic,
            "weighted harmonic mean (values must be non-zero)",
            invalid=_zero,
            need="non-zero values",
        ),
    }
)


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
    aggregator = AGGREGATORS.get(method)
    if aggregator is None:
        raise MethodError(f"unknown aggregation {method!r}; valid: {', '.join(AGGREGATORS)}")
    x = np.asarray(x, dtype=float)
    weights = np.asarray(weights, dtype=float)
    mask = ~np.isnan(x)
    wt = np.swapaxes(weights, -1, -2)
    members = np.swapaxes(weights != 0, -1, -2).astype(float)
    maskf = mask.astype(float)
    weight_sum = _weighted_sum(maskf, wt)
    with np.errstate(invalid="ignore", divide="ignore"):
        if aggregator.invalid is not None:
            bad = ((mask & aggregator.invalid(x)).astype(float) @ members) > 0
            if bad.any():
                raise MethodError(_locate(bad, f"{method} mean needs {aggregator.need}"))
        out = aggregator.apply(x, mask, wt, weight_sum)
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


def _skew_kurt(x: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Skew and kurtosis of each column in one pass over the central sums."""
    n, s2, s3, s4 = _central_sums(np.asarray(x, dtype=float))
    with np.errstate(invalid="ignore", divide="ignore"):
        skew = np.sqrt(n) * s3 / s2**1.5 * np.sqrt(n * (n - 1)) / (n - 2)
        kurt = ((n + 1) * (n * s4 / (s2 * s2) - 3) + 6) * (n - 1) / ((n - 2) * (n - 3))
    return np.where(n < 3, np.nan, skew)[..., 0, :], np.where(n < 4, np.nan, kurt)[..., 0, :]
