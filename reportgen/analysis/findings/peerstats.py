"""Peer medians for every city and column at once: leave-one-out medians by sorting once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.intp]


@dataclass(frozen=True)
class PeerStats:
    """Per city x column, over the city's usable peers: the median with censored peers at their
    bound (`value`) and at the worst case (`worst`), counts and the range of their years."""

    value: FloatArray
    worst: FloatArray
    n: IntArray
    n_censored: IntArray
    year_min: FloatArray
    year_max: FloatArray


def _loo_median(values: FloatArray, drop: BoolArray) -> FloatArray:
    """Median of each column's non-NaN values, leaving out row `r`'s value for output row `r`
    where `drop[r, j]`: rows x columns in, rows x columns out, from one sort per column."""
    order = np.argsort(values, axis=0, kind="stable")  # NaN last
    ranked = np.take_along_axis(values, order, axis=0)
    position = np.empty_like(order)
    np.put_along_axis(position, order, np.arange(values.shape[0])[:, None], axis=0)
    count = (~np.isnan(values)).sum(axis=0)  # per column
    removed = drop & ~np.isnan(values)
    m = count[np.newaxis, :] - removed.astype(int)  # values left, per row and column
    lo_q, hi_q = (m - 1) // 2, m // 2

    def pick(q: IntArray) -> FloatArray:
        # q-th of the remaining values is the q-th sorted one, or the next if the dropped one
        # came at or before it.
        index = np.where(removed & (q >= position), q + 1, q)
        index = np.clip(index, 0, values.shape[0] - 1)
        return np.take_along_axis(ranked, index, axis=0)

    out = (pick(lo_q) + pick(hi_q)) / 2.0
    return np.where(m > 0, out, np.nan)


def _loo_extreme(values: FloatArray, drop: BoolArray, largest: bool) -> FloatArray:
    """Min (or max) of each column's non-NaN values, leaving row r's out where drop[r, j]."""
    filled = np.where(np.isnan(values), -np.inf if largest else np.inf, values)
    order = np.argsort(-filled if largest else filled, axis=0, kind="stable")
    first = np.take_along_axis(filled, order[:1], axis=0)[0]
    second = (
        np.take_along_axis(filled, order[1:2], axis=0)[0]
        if values.shape[0] > 1
        else np.full(first.shape, np.nan)
    )
    is_first = order[0][np.newaxis, :] == np.arange(values.shape[0])[:, None]
    out = np.where(drop & is_first, second, first[np.newaxis, :])
    return np.where(np.isfinite(out), out, np.nan)


def _batch(
    rows: IntArray,
    leave_out: IntArray | None,
    values: FloatArray,
    censored: BoolArray,
    usable: BoolArray,
    floor: FloatArray,
    years: FloatArray,
) -> tuple[FloatArray, ...]:
    """Stats over `rows`; with `leave_out` (positions within `rows`), one output row per
    left-out row, else a single row."""
    v = np.where(usable[rows], values[rows], np.nan)
    c = censored[rows] & usable[rows]
    worst_v = np.where(c, floor[np.newaxis, :], v)
    y = np.where(usable[rows], years[rows], np.nan)
    if leave_out is None:
        drop = np.zeros(v.shape, bool)
        first = slice(0, 1)
        n = (~np.isnan(v)).sum(axis=0, keepdims=True)
        k = c.sum(axis=0, keepdims=True)
        return (
            _loo_median(v, drop)[first],
            _loo_median(worst_v, drop)[first],
            n,
            k,
            _loo_extreme(y, drop, False)[first],
            _loo_extreme(y, drop, True)[first],
        )
    drop = np.zeros(v.shape, bool)
    drop[leave_out] = True
    value = _loo_median(v, drop)[leave_out]
    worst = _loo_median(worst_v, drop)[leave_out]
    own_usable = ~np.isnan(v[leave_out])
    n = (~np.isnan(v)).sum(axis=0)[np.newaxis, :] - own_usable
    k = c.sum(axis=0)[np.newaxis, :] - c[leave_out]
    ymin = _loo_extreme(y, drop, False)[leave_out]
    ymax = _loo_extreme(y, drop, True)[leave_out]
    return value, worst, n, k, ymin, ymax


def _batches(
    members: Mapping[int, Sequence[int]],
) -> list[tuple[list[int], IntArray, IntArray | None]]:
    """(output rows, the rows their stats run over, positions left out or None) per batch.

    Rows that share the same peers are computed once; rows whose peers are a common set minus
    themselves (a stage's members) share one sort with each row left out in turn.
    """
    by_members: dict[tuple[int, ...], list[int]] = defaultdict(list)
    for row, peers in members.items():
        by_members[tuple(sorted(peers))].append(row)
    batches: list[tuple[list[int], IntArray, IntArray | None]] = []
    by_base: dict[tuple[int, ...], list[int]] = defaultdict(list)
    for peers, rows in by_members.items():
        if not peers:
            continue  # no peers: the stats stay NaN, the counts 0
        if len(rows) > 1:
            batches.append((rows, np.array(peers, dtype=np.intp), None))
        else:
            by_base[tuple(sorted({*peers, rows[0]}))].append(rows[0])
    for base, rows in by_base.items():
        where = {r: k for k, r in enumerate(base)}
        leave = np.array([where[r] for r in rows], dtype=np.intp)
        batches.append((rows, np.array(base, dtype=np.intp), leave))
    return batches


def peer_stats(
    values: FloatArray,
    members: Mapping[int, Sequence[int]],
    *,
    censored: BoolArray | None = None,
    usable: BoolArray | None = None,
    directions: FloatArray | None = None,
    years: FloatArray | None = None,
) -> PeerStats:
    """Peer statistics for the rows in `members` (row -> its peers' rows, itself excluded).

    Rows that share the same peers are computed once; rows whose peers are a common set minus
    themselves (a stage's members) share one sort. Rows not in `members` get NaN.
    """
    shape = values.shape
    censored = np.zeros(shape, bool) if censored is None else censored
    usable = ~np.isnan(values) if usable is None else usable & ~np.isnan(values)
    directions = np.ones(shape[1]) if directions is None else directions
    years = np.full(shape, np.nan) if years is None else years
    floor = np.where(directions >= 0, -np.inf, np.inf)
    out = [np.full(shape, np.nan) for _ in range(6)]
    for rows, peers, leave in _batches(members):
        stats = _batch(peers, leave, values, censored, usable, floor, years)
        for array, stat in zip(out, stats, strict=True):
            array[rows] = stat
    value, worst, n, k, ymin, ymax = out
    return PeerStats(
        value=value,
        worst=worst,
        n=np.nan_to_num(n).astype(np.intp),
        n_censored=np.nan_to_num(k).astype(np.intp),
        year_min=ymin,
        year_max=ymax,
    )


def peer_medians(values: FloatArray, members: Mapping[int, Sequence[int]]) -> FloatArray:
    """`peer_stats(values, members).value` alone (no bounds, counts or years): the peer median
    of every column for the rows in `members`, NaN elsewhere. For wide inputs such as
    replications as columns, where the other statistics would be most of the work."""
    out = np.full(values.shape, np.nan)
    for rows, peers, leave in _batches(members):
        v = values[peers]
        drop = np.zeros(v.shape, bool)
        if leave is None:
            out[rows] = _loo_median(v, drop)[:1]
        else:
            drop[leave] = True
            out[rows] = _loo_median(v, drop)[leave]
    return out
