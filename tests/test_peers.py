"""Peer groups: one array comparison per group, the same members whether asked city by city
or for many cities at once."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reportgen.analysis.peers import BUILTIN_GROUPS, PeerIndex, resolve_group, resolve_groups

STAGES = pd.DataFrame(
    {
        "stage_id": ["lead", "lead", "grow", "grow", "grow", "new"],
        "stage_name": ["Leader", "Leader", "Growth", "Growth", "Growth", "Emerging"],
        "target_stage_id": ["", "", "lead", "lead", "lead", "grow"],
        "target_stage_name": ["", "", "Leader", "Leader", "Leader", "Growth"],
    },
    index=pd.Index(["a", "b", "c", "d", "e", "f"], name="city_id"),
)
CITIES = pd.DataFrame(
    {"region": ["Europe", "Asia", "Europe", "Asia", None, "Europe"]}, index=STAGES.index
)
RANKS = pd.DataFrame({"Overall": [1.0, 2.0, 3.0, np.nan, 5.0, 6.0]}, index=STAGES.index)
NAMED = {"pair": ("A pair", ["a", "f"])}


def group(group_id: str, city_id: str) -> tuple[str, ...] | None:
    found = resolve_group(
        group_id, city_id, stages=STAGES, cities=CITIES, ranks=RANKS, top_n=3, named=NAMED
    )
    return None if found is None else found.members


def test_members_by_hand() -> None:
    assert group("same_stage", "c") == ("d", "e")
    assert group("next_stage", "c") == ("a", "b")
    assert group("next_stage", "a") == ("b",)  # the top stage compares with itself
    assert group("same_region", "a") == ("c", "f")
    assert group("same_region", "e") is None  # no region
    assert group("top_n", "b") == ("a", "c")  # d's rank is missing: not in the top 3
    assert group("all", "f") == ("a", "b", "c", "d", "e")
    assert group("pair", "a") == ("f",)
    assert group("same_stage", "nowhere") is None
    with pytest.raises(KeyError, match="unknown peer group"):
        group("neighbours", "a")


def test_many_cities_at_once_equal_one_by_one() -> None:
    cities = list(STAGES.index)
    for group_id in (*BUILTIN_GROUPS, "pair"):
        batch = resolve_groups(
            group_id, cities, stages=STAGES, cities=CITIES, ranks=RANKS, top_n=3, named=NAMED
        )
        index = PeerIndex(STAGES, CITIES, RANKS, 3, NAMED)
        for city_id in cities:
            one = resolve_group(
                group_id, city_id, stages=STAGES, cities=CITIES, ranks=RANKS, top_n=3, named=NAMED
            )
            assert batch[city_id] == one == index.group(group_id, city_id)


def test_peer_median_bounds_by_hand() -> None:
    """Peers 10, 20, 30 and a censored 40 (absent from a top list, so at most 40): the median
    is 25 if the censored peer is at its best, (10 + 20) / 2 = 15 at its worst."""
    from reportgen.analysis.peers import peer_median

    median = peer_median([10.0, 20.0, np.nan, 30.0, 40.0], [False, False, False, False, True])
    assert (median.value, median.worst, median.n, median.n_censored) == (25.0, 15.0, 4, 1)
    assert not median.exact
    ranks = peer_median([3.0, 5.0, 9.0], [False, False, True], direction=-1.0)
    assert (ranks.value, ranks.worst) == (5.0, 5.0)  # a rank can only be worse: 3, 5, +inf
    assert ranks.exact
