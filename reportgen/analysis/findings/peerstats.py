"""Peer medians for every city and column at once: leave-one-out medians by sorting once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from reportgen.analysis.peers import PeerGroup

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


def leave_one_out_median(values: FloatArray, drop: BoolArray) -> FloatArray:
    """Median of each column's non-NaN values, leaving out row `r`'s value for output row `r`
    where `drop[r, j]`: rows x columns in, rows x columns out, from one sort per column.

    Columns are sorted as contiguous rows of the transpose (replications as columns make
    thousands of long columns: sorting along a strided axis took twice as long).
    """
    if values.shape[0] > 1 and not np.isnan(values).any():
        return _complete_leave_one_out_median(values, drop)
    vt = np.ascontiguousarray(values.T)
    cols, n = vt.shape
    removed = np.ascontiguousarray((drop & ~np.isnan(values)).T)
    order = np.argsort(vt, axis=1, kind="stable")  # NaN last
    flat_order = (order + (np.arange(cols) * n)[:, None]).ravel()
    ranked = vt.ravel()[flat_order].reshape(cols, n)
    position = np.empty(cols * n, dtype=np.intp)  # each value's place in its sorted column
    position[flat_order] = np.tile(np.arange(n), cols)
    position = position.reshape(cols, n)
    count = n - np.isnan(vt).sum(axis=1)  # per column
    m = count[:, np.newaxis] - removed  # values left, per column and row
    lo_q, hi_q = (m - 1) // 2, m // 2

    def pick(q: IntArray) -> FloatArray:
        # q-th of the remaining values is the q-th sorted one, or the next if the dropped one
        # came at or before it.
        index = np.where(removed & (q >= position), q + 1, q)
        np.clip(index, 0, n - 1, out=index)
        return np.take_along_axis(ranked, index, axis=1)

    out = (pick(lo_q) + pick(hi_q)) / 2.0
    return np.where(m > 0, out, np.nan).T


def _complete_leave_one_out_median(values: FloatArray, drop: BoolArray) -> FloatArray:
    """`leave_one_out_median` of columns without NaN (n > 1 rows), by selection, not sorting.

    Every column then has the same n values, so the medians need only the order statistics
    around the middle, which `np.partition` finds in linear time. Leaving out a value v, the
    q-th of the others is the q-th of all if v is above it, else the next one (with ties, the
    same value either way). The same two values are averaged as by sorting: the same bits.
    """
    n = values.shape[0]
    wanted = sorted(
        {(n - 2) // 2, (n - 1) // 2, n // 2, (n - 1) // 2 + 1, n // 2 + 1} & set(range(n))
    )
    part = np.partition(np.ascontiguousarray(values.T), wanted, axis=1)
    order_stat = {k: part[:, k][np.newaxis, :] for k in wanted}
    full = (order_stat[(n - 1) // 2] + order_stat[n // 2]) / 2.0

    def of_others(q: int) -> FloatArray:
        return np.where(values <= order_stat[q], order_stat[q + 1], order_stat[q])

    left_out = (of_others((n - 2) // 2) + of_others((n - 1) // 2)) / 2.0
    return np.where(drop, left_out, full)


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
            leave_one_out_median(v, drop)[first],
            leave_one_out_median(worst_v, drop)[first],
            n,
            k,
            _loo_extreme(y, drop, False)[first],
            _loo_extreme(y, drop, True)[first],
        )
    drop = np.zeros(v.shape, bool)
    drop[leave_out] = True
    value = leave_one_out_median(v, drop)[leave_out]
    worst = leave_one_out_median(worst_v, drop)[leave_out]
    own_usable = ~np.isnan(v[leave_out])
    n = (~np.isnan(v)).sum(axis=0)[np.newaxis, :] - own_usable
    k = c.sum(axis=0)[np.newaxis, :] - c[leave_out]
    ymin = _loo_extreme(y, drop, False)[leave_out]
    ymax = _loo_extreme(y, drop, True)[leave_out]
    return value, worst, n, k, ymin, ymax


Batch = tuple[IntArray, IntArray, IntArray | None]


@dataclass(frozen=True)
class PeerSets:
    """Who each output row is compared with, as batches that share one sort each.

    A batch is (output rows, the rows its statistics run over, positions left out): rows with
    the same peers share one median (no positions left out); the members of a pool compared
    with the rest of it (a stage's cities) share one sort, each row left out in turn. Built
    from peer groups by their shared pools (`of_groups`, linear in the cities) or from explicit
    peer lists (`of_members`).
    """

    batches: tuple[Batch, ...]

    @classmethod
    def of_members(cls, members: Mapping[int, Sequence[int]]) -> PeerSets:
        """From row -> its peers' rows (itself excluded)."""
        by_members: dict[tuple[int, ...], list[int]] = defaultdict(list)
        for row, peers in members.items():
            by_members[tuple(sorted(peers))].append(row)
        batches: list[Batch] = []
        by_base: dict[tuple[int, ...], list[int]] = defaultdict(list)
        for peers, rows in by_members.items():
            if not peers:
                continue  # no peers: the stats stay NaN, the counts 0
            if len(rows) > 1:
                batches.append((_rows(rows), _rows(peers), None))
            else:
                by_base[tuple(sorted({*peers, rows[0]}))].append(rows[0])
        for base, rows in by_base.items():
            where = {r: k for k, r in enumerate(base)}
            batches.append((_rows(rows), _rows(base), _rows([where[r] for r in rows])))
        return cls(tuple(batches))

    @classmethod
    def of_groups(cls, groups: Mapping[str, PeerGroup], position: Mapping[str, int]) -> PeerSets:
        """From each city's peer group: cities sharing a pool share its rows, read once."""
        by_pool: dict[str, list[str]] = defaultdict(list)
        pools: dict[str, tuple[str, ...]] = {}
        for city_id, group in groups.items():
            if city_id in position:
                key = group.pool_key
                by_pool[key].append(city_id)
                pools[key] = group.pool
        batches: list[Batch] = []
        for key, cities in by_pool.items():
            base = [position[m] for m in pools[key] if m in position]
            where = {r: k for k, r in enumerate(base)}
            inside = [position[c] for c in cities if position[c] in where]
            outside = [position[c] for c in cities if position[c] not in where]
            if outside and base:
                batches.append((_rows(outside), _rows(base), None))
            if inside and len(base) > 1:
                leave = _rows([where[r] for r in inside])
                batches.append((_rows(inside), _rows(base), leave))
        return cls(tuple(batches))

    def rows(self) -> IntArray:
        """Every output row with peers."""
        parts = [out for out, _, _ in self.batches]
        return np.concatenate(parts) if parts else np.zeros(0, np.intp)

    def only(self, rows: Iterable[int]) -> PeerSets:
        """The same comparisons for the output rows in `rows` only."""
        wanted = np.asarray(sorted({int(r) for r in rows}), dtype=np.intp)
        batches: list[Batch] = []
        for out, base, leave in self.batches:
            keep = np.isin(out, wanted)
            if keep.any():
                batches.append((out[keep], base, None if leave is None else leave[keep]))
        return PeerSets(tuple(batches))

    def peers_of(self, row: int) -> IntArray:
        """The rows `row` is compared with (itself excluded); empty without peers."""
        found = self._where.get(row)
        if found is None:
            return np.zeros(0, np.intp)
        batch, k = found
        _, base, leave = self.batches[batch]
        return base if leave is None else np.delete(base, leave[k])

    @cached_property
    def _where(self) -> dict[int, tuple[int, int]]:
        # Output row -> (its batch, its place in the batch), read once for every lookup.
        return {
            int(r): (b, k) for b, (out, _, _) in enumerate(self.batches) for k, r in enumerate(out)
        }


def _rows(values: Sequence[int]) -> IntArray:
    return np.asarray(values, dtype=np.intp)


def peer_stats(
    values: FloatArray,
    members: Mapping[int, Sequence[int]] | PeerSets,
    *,
    censored: BoolArray | None = None,
    usable: BoolArray | None = None,
    directions: FloatArray | None = None,
    years: FloatArray | None = None,
) -> PeerStats:
    """Peer statistics for the rows in `members` (row -> its peers' rows, itself excluded, or
    `PeerSets`); rows not in it get NaN."""
    shape = values.shape
    censored = np.zeros(shape, bool) if censored is None else censored
    usable = ~np.isnan(values) if usable is None else usable & ~np.isnan(values)
    directions = np.ones(shape[1]) if directions is None else directions
    years = np.full(shape, np.nan) if years is None else years
    floor = np.where(directions >= 0, -np.inf, np.inf)
    out = [np.full(shape, np.nan) for _ in range(6)]
    for rows, peers, leave in _peer_sets(members).batches:
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


def peer_medians(values: FloatArray, members: Mapping[int, Sequence[int]] | PeerSets) -> FloatArray:
    """`peer_stats(values, members).value` alone (no bounds, counts or years): the peer median
    of every column for the rows in `members`, NaN elsewhere. For wide inputs such as
    replications as columns, where the other statistics would be most of the work."""
    out = np.full(values.shape, np.nan)
    for rows, peers, leave in _peer_sets(members).batches:
        v = values[peers]
        drop = np.zeros(v.shape, bool)
        if leave is None:
            out[rows] = leave_one_out_median(v, drop)[:1]
        else:
            drop[leave] = True
            out[rows] = leave_one_out_median(v, drop)[leave]
    return out


def _peer_sets(members: Mapping[int, Sequence[int]] | PeerSets) -> PeerSets:
    return members if isinstance(members, PeerSets) else PeerSets.of_members(members)
