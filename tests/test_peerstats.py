"""Peer medians computed in batches: against hand-computed medians and the full statistics."""

from __future__ import annotations

import numpy as np

from reportgen.analysis.findings.peerstats import (
    PeerSets,
    leave_one_out_median,
    peer_medians,
    peer_stats,
)
from reportgen.analysis.findings.records import Comparison, Pool
from reportgen.analysis.peers import PeerGroup

NAN = np.nan


def test_peer_medians_by_hand() -> None:
    # Rows 0-3 are one group (each compared with the other three), row 4 with rows 0 and 1.
    values = np.array(
        [
            [1.0, 10.0],
            [2.0, NAN],
            [4.0, 30.0],
            [8.0, 40.0],
            [100.0, 50.0],
        ]
    )
    members = {0: [1, 2, 3], 1: [0, 2, 3], 2: [0, 1, 3], 3: [0, 1, 2], 4: [0, 1]}
    got = peer_medians(values, members)
    want = np.array(
        [
            [4.0, 35.0],  # median(2, 4, 8); median(30, 40): the missing value is skipped
            [4.0, 30.0],  # median(1, 4, 8); median(10, 30, 40)
            [2.0, 25.0],  # median(1, 2, 8); median(10, 40)
            [2.0, 20.0],  # median(1, 2, 4); median(10, 30)
            [1.5, 10.0],  # median(1, 2); median(10)
        ]
    )
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got, peer_stats(values, members).value)


def test_peer_medians_equal_the_full_statistics_on_random_groups() -> None:
    rng = np.random.default_rng(3)
    values = rng.normal(size=(40, 25))
    values[rng.random(values.shape) < 0.1] = NAN
    groups = rng.integers(0, 4, size=40)
    members = {
        r: [p for p in range(40) if groups[p] == groups[r] and p != r] for r in range(0, 40, 3)
    }
    members[1] = [0, 2, 5]  # an ad hoc group
    members[4] = []  # no peers: NaN
    got = peer_medians(values, members)
    np.testing.assert_array_equal(got, peer_stats(values, members).value)
    assert np.isnan(got[4]).all()
    assert np.isnan(got[2]).all()  # not asked for


def test_peer_sets_from_shared_pools_equal_explicit_peer_lists() -> None:
    # Four stages as pools (each city compared with the rest of its stage) and a top-3 pool
    # that most cities are outside of: the same statistics as explicit per-city peer lists.
    rng = np.random.default_rng(11)
    cities = [f"c{i}" for i in range(30)]
    position = {c: i for i, c in enumerate(cities)}
    stage = rng.integers(0, 4, size=30)
    stages = {s: tuple(c for c, t in zip(cities, stage, strict=True) if t == s) for s in range(4)}
    values = rng.normal(size=(30, 6))
    values[rng.random(values.shape) < 0.15] = NAN
    for groups in (
        {
            c: PeerGroup("same_stage", "S", stages[t], f"s:{t}", c)
            for c, t in zip(cities, stage, strict=True)
        },
        {c: PeerGroup("top_n", "top-3", ("c0", "c1", "c2"), "top", c) for c in cities},
    ):
        sets = PeerSets.of_groups(groups, position)
        explicit = {
            position[c]: [position[m] for m in g.members if m in position]
            for c, g in groups.items()
        }
        a, b = peer_stats(values, sets), peer_stats(values, explicit)
        for name in ("value", "worst", "n", "n_censored", "year_min", "year_max"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
        for r in (0, 5, 29):
            assert sorted(sets.peers_of(r)) == sorted(explicit[r])
        only = sets.only([3, 7])
        assert sorted(only.rows()) == [3, 7]
        np.testing.assert_array_equal(
            peer_medians(values, only)[[3, 7]], peer_stats(values, explicit).value[[3, 7]]
        )


def test_a_comparison_is_keyed_by_its_pool_digest_not_a_copy_of_it() -> None:
    small = Pool(("a", "b", "c"))
    large = Pool(tuple(f"c{i}" for i in range(5000)))
    assert len(repr(Comparison("same_stage", "S", large, "c1"))) < 120
    assert Comparison("same_stage", "S", small, "b").members == ("a", "c")
    # The digest follows the members: a changed pool is a changed key.
    assert Pool(("a", "b", "c")).key == small.key
    assert Pool(("a", "b", "d")).key != small.key
    assert repr(Pool(("a", "b", "d"))) != repr(small)


def test_leave_one_out_median_equals_the_median_of_the_others() -> None:
    rng = np.random.default_rng(5)
    values = rng.normal(size=(9, 40)).round(1)  # rounding makes ties
    values[rng.random(values.shape) < 0.2] = NAN
    drop = rng.random(values.shape) < 0.5
    got = leave_one_out_median(values, drop)
    for r in range(values.shape[0]):
        for j in range(values.shape[1]):
            column = values[:, j]
            keep = ~np.isnan(column)
            if drop[r, j]:
                keep[r] = False
            want = np.median(column[keep]) if keep.any() else NAN
            np.testing.assert_array_equal(got[r, j], want)


def test_leave_one_out_median_of_complete_columns_equals_the_median_of_the_others() -> None:
    # Columns without gaps take a selection shortcut (order statistics, not a sort): every size
    # from 2 rows, with many ties, must still give the median of the other values, bit for bit.
    rng = np.random.default_rng(11)
    for n in (2, 3, 4, 5, 6, 7, 30, 31):
        values = rng.integers(0, 4, size=(n, 60)).astype(float)  # ties everywhere
        values[:, :20] = rng.normal(size=(n, 20))  # and columns without
        drop = rng.random(values.shape) < 0.5
        got = leave_one_out_median(values, drop)
        for r in range(n):
            for j in range(values.shape[1]):
                keep = np.ones(n, bool)
                keep[r] = not drop[r, j]
                np.testing.assert_array_equal(got[r, j], np.median(values[keep, j]))
