"""Effective weights of indicators and pillars, and score changes split into their causes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from reportgen.index.result import IndexResult

FloatArray = npt.NDArray[np.float64]


def _aggregate_weights(index: IndexResult) -> dict[str, float] | None:
    spec = index.build.step("aggregate")
    return None if spec is None else spec.weights


def effective_weights(index: IndexResult, code: str | None = None) -> pd.DataFrame:
    """City x code: each code's share of `code`'s score (default the index), cities' rows apart.

    A parent's score is the weighted mean of its available children, so a child's local share
    is its weight over the weights of the children the city has; the effective weight is the
    product of local shares from `code` down. Exact for arithmetic means; for other means it is
    the weight the aggregation applies to the (transformed) child.
    """
    fw = index.framework
    aggregated = index.aggregated
    top = fw.top if code is None else code
    start = fw.level_of(top)
    weights = _aggregate_weights(index)
    current = pd.DataFrame(1.0, index=aggregated.index, columns=[top])
    blocks = [current]
    for level in range(start, 1, -1):
        parents = list(fw.aggregation_order(level))
        children = list(fw.codes_at(level - 1))
        matrix = fw.weight_matrix(level, weights)  # parents x children
        available = aggregated.reindex(columns=children).notna().to_numpy(float)
        local = matrix[np.newaxis, :, :] * available[:, np.newaxis, :]  # city x parent x child
        with np.errstate(invalid="ignore", divide="ignore"):
            local = local / local.sum(axis=2, keepdims=True)
        local = np.nan_to_num(local)
        above = current.reindex(columns=parents, fill_value=0.0).to_numpy(float)
        below = np.einsum("cp,cpk->ck", above, local)
        current = pd.DataFrame(below, index=aggregated.index, columns=children)
        blocks.append(current)
    return pd.concat(blocks, axis=1)


def _affine_map(treated: FloatArray, normalised: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Per column (a, b) with normalised = a + b * treated where the normalisation is affine
    (min-max, z-score); NaN where it is not (ranks, percentiles) or cannot be identified."""
    x = np.where(np.isnan(normalised), np.nan, treated)
    with np.errstate(invalid="ignore", divide="ignore"):
        i_lo = np.nanargmin(np.where(np.isnan(x), np.inf, x), axis=0)
        i_hi = np.nanargmax(np.where(np.isnan(x), -np.inf, x), axis=0)
        cols = np.arange(x.shape[1])
        x_lo, x_hi = x[i_lo, cols], x[i_hi, cols]
        n_lo, n_hi = normalised[i_lo, cols], normalised[i_hi, cols]
        b = (n_hi - n_lo) / (x_hi - x_lo)
        a = n_lo - b * x_lo
        fitted = a + b * x
        scale = np.nanmax(np.abs(normalised), axis=0) + 1.0
        err = np.nanmax(np.abs(fitted - normalised), axis=0)
    affine = np.isfinite(b) & (err <= 1e-9 * scale)
    return np.where(affine, a, np.nan), np.where(affine, b, np.nan)


@dataclass(frozen=True)
class Decomposition:
    """A score change between editions split into its causes, city x indicator (score points).

    change = own.sum(1) + rescaling.sum(1) + reweighting + residual, exactly: `own` is each
    indicator's effective weight x the change of its normalised value had the scale stayed at
    this edition's; `rescaling` is the rest of that change, from other cities moving the
    normalisation bounds; `reweighting` comes from an indicator present in one edition only;
    `residual` is what a non-arithmetic aggregation leaves (0 for arithmetic means).
    """

    code: str
    change: pd.Series
    own: pd.DataFrame
    rescaling: pd.DataFrame
    reweighting: pd.Series
    residual: pd.Series
    weights: pd.DataFrame
    raw: pd.DataFrame
    previous_raw: pd.DataFrame


def decompose(current: IndexResult, previous: IndexResult, code: str) -> Decomposition:
    """How each city's score on `code` changed from `previous` to `current`, by indicator."""
    cities = [c for c in current.aggregated.index if c in previous.aggregated.index]
    indicators = [i for i in current.framework.indicators if i in previous.aggregated.columns]
    w_now = effective_weights(current, code).reindex(index=cities, columns=indicators).fillna(0.0)
    w_then = effective_weights(previous, code).reindex(index=cities, columns=indicators).fillna(0.0)
    n_now = current.datasets["normalised"].reindex(index=cities, columns=indicators)
    n_then = previous.datasets["normalised"].reindex(index=cities, columns=indicators)
    t_now = current.datasets["treated"].reindex(index=cities, columns=indicators)
    t_then = previous.datasets["treated"].reindex(index=cities, columns=indicators)
    a, b = _affine_map(t_now.to_numpy(float), n_now.to_numpy(float))
    # The previous value on this edition's scale: what the city would score had only it changed.
    at_now_scale = a + b * t_then.to_numpy(float)
    affine = np.isfinite(at_now_scale)
    nn, nt = n_now.to_numpy(float), n_then.to_numpy(float)
    wn, wt = w_now.to_numpy(float), w_then.to_numpy(float)
    both = ~np.isnan(nn) & ~np.isnan(nt)
    own_delta = np.where(affine, nn - at_now_scale, nn - nt)
    rescale_delta = np.where(affine, at_now_scale - nt, 0.0)
    own = np.where(both, wn * own_delta, 0.0)
    rescaling = np.where(both, wn * rescale_delta, 0.0)
    # wn*nn - wt*nt = wn*(nn - nt) + (wn - wt)*nt; one-edition indicators enter whole.
    reweight = np.where(both, (wn - wt) * nt, 0.0)
    reweight += np.where(~np.isnan(nn) & np.isnan(nt), wn * np.nan_to_num(nn), 0.0)
    reweight -= np.where(np.isnan(nn) & ~np.isnan(nt), wt * np.nan_to_num(nt), 0.0)
    change = current.aggregated[code].reindex(cities) - previous.aggregated[code].reindex(cities)
    explained = own.sum(axis=1) + rescaling.sum(axis=1) + reweight.sum(axis=1)
    return Decomposition(
        code=code,
        change=change,
        own=pd.DataFrame(own, index=cities, columns=indicators),
        rescaling=pd.DataFrame(rescaling, index=cities, columns=indicators),
        reweighting=pd.Series(reweight.sum(axis=1), index=cities),
        residual=change - explained,
        weights=w_now,
        raw=current.datasets["raw"].reindex(index=cities, columns=indicators),
        previous_raw=previous.datasets["raw"].reindex(index=cities, columns=indicators),
    )
