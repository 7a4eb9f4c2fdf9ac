"""Peer medians computed in batches: against hand-computed medians and the full statistics."""

from __future__ import annotations

import numpy as np

from reportgen.analysis.findings.peerstats import peer_medians, peer_stats

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
