"""Properties of the index engine that must hold for any data (issue 8, item 5).

Each property runs the real build (``reportgen.index.run``) on small random frameworks and
data drawn by hypothesis. Kernel-level checks (rank_kernel against scipy, impute on one
frame) live in test_index_steps.py; these go through whole builds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from reportgen.index import Build, Framework, IndexData, competition_ranks, run
from reportgen.index.steps import NormaliseSpec, normalise

NAN = np.nan
INDICATORS = ("a", "b", "c", "d")
# a, b -> pillar P; c, d -> pillar Q; P, Q -> index I.
PARENTS = {"a": "P", "b": "P", "c": "Q", "d": "Q", "P": "I", "Q": "I"}
ANCESTORS = {"a": ("P", "I"), "b": ("P", "I"), "c": ("Q", "I"), "d": ("Q", "I")}
PROPERTY = settings(max_examples=50, deadline=None)

DrawFn = Callable[[st.SearchStrategy[Any]], Any]


def framework(weights: dict[str, float], directions: dict[str, int]) -> Framework:
    codes = [*INDICATORS, "P", "Q", "I"]
    meta = pd.DataFrame(
        {
            "code": codes,
            "name": codes,
            "level": [1, 1, 1, 1, 2, 2, 3],
            "parent": [PARENTS.get(c) for c in codes],
            "weight": [weights.get(c, 1.0) for c in codes],
            "direction": [directions.get(c, NAN) for c in codes],
        }
    )
    return Framework.from_meta(meta, ["Indicator", "Pillar", "Index"])


def build(*, impute: str = "mean", normalise_method: str = "minmax") -> Build:
    return Build.from_list(
        [
            {"step": "impute", "method": impute, **({"group": "g"} if "group" in impute else {})},
            {"step": "normalise", "method": normalise_method},
            {"step": "aggregate", "method": "arithmetic"},
        ]
    )


@st.composite
def frameworks(draw: DrawFn) -> Framework:
    weights = {
        code: draw(st.sampled_from([0.5, 1.0, 2.0, 3.0])) for code in (*INDICATORS, "P", "Q", "I")
    }
    directions = {code: draw(st.sampled_from([1, -1])) for code in INDICATORS}
    return framework(weights, directions)


@st.composite
def panels(
    draw: DrawFn,
    *,
    whole: bool = False,
    missing: bool = True,
    min_cities: int = 3,
    max_cities: int = 8,
) -> IndexData:
    """Values for 3-8 cities; ``whole`` draws integers (exact sums, so exact ties), ``missing``
    blanks some cells but leaves every indicator at least two observed values."""
    n = draw(st.integers(min_cities, max_cities))
    element = (
        st.integers(-1000, 1000).map(float)
        if whole
        else st.floats(-1e6, 1e6, allow_nan=False, allow_subnormal=False)
    )
    columns: dict[str, list[float]] = {}
    for code in INDICATORS:
        column = draw(st.lists(element, min_size=n, max_size=n))
        if missing:
            holes = draw(st.lists(st.booleans(), min_size=n, max_size=n))
            kept = [i for i in range(n) if not holes[i]]
            if len(kept) >= 2:
                column = [NAN if holes[i] else v for i, v in enumerate(column)]
        columns[code] = column
    ids = [f"city{i}" for i in range(n)]
    values = pd.DataFrame(columns, index=ids)
    units = pd.DataFrame({"g": [("x", "y")[i % 2] for i in range(n)]}, index=ids)
    return IndexData(values=values, units=units, framework=draw(frameworks()))


def with_values(data: IndexData, values: pd.DataFrame) -> IndexData:
    return IndexData(values=values, units=data.units.loc[values.index], framework=data.framework)


# --------------------------------------------------------------------------- normalisation


@PROPERTY
@given(
    data=panels(),
    lo=st.floats(-1e3, 1e3),
    width=st.floats(1e-3, 1e3),
    method=st.sampled_from(["minmax", "percentile"]),
)
def test_normalised_values_stay_in_range(
    data: IndexData, lo: float, width: float, method: str
) -> None:
    hi = lo + width
    spec = NormaliseSpec(method=method, range=(lo, hi))
    out = normalise(data.values, spec, data.framework)
    slack = 1e-9 * (abs(lo) + abs(hi))
    for code in INDICATORS:
        raw, scaled = data.values[code], out[code]
        if raw.dropna().nunique() < 2:
            continue  # a constant indicator has no scale; covered by the data checks
        assert scaled.isna().equals(raw.isna()), "normalising must not create or fill gaps"
        kept = scaled.dropna()
        assert (kept >= lo - slack).all(), (code, kept, lo)
        assert (kept <= hi + slack).all(), (code, kept, hi)
        assert kept.min() == pytest.approx(lo, abs=slack + 1e-12)
        if method == "minmax":  # percentile ranks of a tie at the top stay below 1 (COINr)
            assert kept.max() == pytest.approx(hi, abs=slack + 1e-12)


@PROPERTY
@given(
    data=panels(whole=True),
    code=st.sampled_from(INDICATORS),
    scale=st.floats(1e-3, 1e3),
    shift=st.floats(-1e3, 1e3),
)
def test_minmax_is_invariant_to_positive_linear_rescaling(
    data: IndexData, code: str, scale: float, shift: float
) -> None:
    """Rescaling an indicator (a unit change: dollars to millions, °C to °F) changes nothing
    after min-max, and so (mean imputation being linear) no score changes either."""
    assume(data.values[code].dropna().nunique() >= 2)
    rescaled = data.values.copy()
    rescaled[code] = rescaled[code] * scale + shift
    spec = NormaliseSpec(method="minmax")
    before = normalise(data.values, spec, data.framework)
    after = normalise(rescaled, spec, data.framework)
    np.testing.assert_allclose(after.to_numpy(), before.to_numpy(), rtol=0, atol=1e-7)
    scores_before = run(build(), data).scores
    scores_after = run(build(), with_values(data, rescaled)).scores
    np.testing.assert_allclose(scores_after.to_numpy(), scores_before.to_numpy(), atol=1e-7)


# --------------------------------------------------------------------------- whole builds


def clear_of_ties(scores: pd.Series, tolerance: float = 1e-9) -> pd.Series:
    """Cities whose score is not within ``tolerance`` of another city's score."""
    values = scores.to_numpy(dtype=float)
    close = np.abs(values[:, None] - values[None, :]) <= tolerance
    return pd.Series(close.sum(axis=1) == 1, index=scores.index)


@PROPERTY
@given(data=panels(whole=True), seed=st.randoms(use_true_random=False))
def test_permuting_cities_permutes_scores_and_ranks(data: IndexData, seed: Any) -> None:
    """The order of rows in cities.csv changes nobody's score or rank. (Ranks of cities tied
    to within rounding are checked by the xfail test below.)"""
    order = list(data.values.index)
    seed.shuffle(order)
    shuffled = with_values(data, data.values.loc[order])
    for impute in ("mean", "median", "group_mean"):
        first = run(build(impute=impute), data)
        second = run(build(impute=impute), shuffled)
        assert list(second.scores.index) == order
        pd.testing.assert_frame_equal(
            second.datasets["imputed"].loc[first.scores.index], first.datasets["imputed"]
        )
        moved = second.scores.loc[first.scores.index]
        pd.testing.assert_frame_equal(moved, first.scores, check_exact=False, atol=1e-9)
        for code in first.scores.columns:
            clear = clear_of_ties(first.scores[code])
            pd.testing.assert_series_equal(
                second.ranks.loc[first.ranks.index, code][clear], first.ranks[code][clear]
            )


def _seven_cities() -> IndexData:
    """Five identical cities; found by hypothesis: with this BLAS the fifth scored 1 ulp higher
    than the other four and ranked 2nd while they ranked 3rd."""
    ids = [f"city{i}" for i in range(7)]
    values = pd.DataFrame(
        {"a": [0, 0, 0, 0, 0, 0, 1], "b": [0] * 7, "c": [0] * 7, "d": [0, 0, 0, 0, 0, -1, 8]},
        index=ids,
        dtype=float,
    )
    fw = framework(
        {"a": 0.5, "b": 0.5, "c": 0.5, "d": 0.5, "P": 1, "Q": 3, "I": 0.5},
        {"a": -1, "b": 1, "c": 1, "d": 1},
    )
    return IndexData(values=values, units=pd.DataFrame({"g": ["x"] * 7}, index=ids), framework=fw)


@st.composite
def panels_with_twins(draw: DrawFn) -> IndexData:
    """A panel in which one city's row appears several times, at random places."""
    data = draw(panels(whole=True, max_cities=6))
    values = data.values
    twin = values.iloc[[draw(st.integers(0, len(values) - 1))]]
    copies = draw(st.integers(1, 6))
    rows = [values] + [twin.set_axis([f"twin{i}"]) for i in range(copies)]
    stacked = pd.concat(rows)
    stacked = stacked.iloc[draw(st.permutations(range(len(stacked))))]
    units = pd.DataFrame({"g": ["x"] * len(stacked)}, index=stacked.index)
    return IndexData(values=stacked, units=units, framework=data.framework)


@PROPERTY
@example(data=_seven_cities())
@given(data=panels_with_twins())
def test_cities_with_identical_data_get_identical_scores_and_ranks(data: IndexData) -> None:
    """A score depends only on the city's own data, never on where its row is: twins tie."""
    result = run(build(), data)
    groups = data.values.fillna(np.inf).groupby(list(INDICATORS), sort=False).groups
    for members in groups.values():
        if len(members) < 2:
            continue
        for code in result.scores.columns:
            assert result.scores.loc[members, code].nunique(dropna=False) == 1, code
            assert result.ranks.loc[members, code].nunique(dropna=False) == 1, code


@PROPERTY
@given(
    data=panels(),
    city=st.integers(0, 7),
    code=st.sampled_from(INDICATORS),
    start=st.floats(-1e6, 1e6),
    gain=st.floats(1e-3, 1e6),
)
def test_improving_an_indicator_never_lowers_the_city_score(
    data: IndexData, city: int, code: str, start: float, gain: float
) -> None:
    """Positive weights, arithmetic means: a better value (in the indicator's direction) can
    only raise the city's pillar, dimension and index scores; the rest of its scores stay."""
    ids = list(data.values.index)
    city_id = ids[city % len(ids)]
    direction = float(data.framework.direction[code])
    worse = data.values.copy()
    worse.at[city_id, code] = start
    better = worse.copy()
    better.at[city_id, code] = start + direction * gain
    before = run(build(), with_values(data, worse)).scores.loc[city_id]
    after = run(build(), with_values(data, better)).scores.loc[city_id]
    for aggregate in ANCESTORS[code]:
        if not np.isnan(before[aggregate]):
            assert after[aggregate] >= before[aggregate] - 1e-9, (aggregate, before, after)
    for other in {"P", "Q"} - set(ANCESTORS[code]):
        assert after[other] == before[other] or (np.isnan(after[other]) and np.isnan(before[other]))


@PROPERTY
@given(data=panels(), impute=st.sampled_from(["mean", "median", "group_mean", "group_median"]))
def test_imputation_through_a_build_keeps_observed_values_and_bounds(
    data: IndexData, impute: str
) -> None:
    """Observed values reach normalisation untouched; an imputed value never passes the
    city's bound (a top-N list's last value) in the indicator's direction."""
    raw = data.values
    bounds = pd.DataFrame(NAN, index=raw.index, columns=raw.columns)
    for code in INDICATORS:
        observed = raw[code].dropna()
        if len(observed):
            bounds.loc[raw[code].isna(), code] = float(observed.median())
    bounded = IndexData(values=raw, units=data.units, framework=data.framework, bounds=bounds)
    result = run(build(impute=impute), bounded)
    imputed = result.datasets["imputed"]
    observed_cells = raw.notna()
    pd.testing.assert_frame_equal(imputed[observed_cells], raw[observed_cells])
    assert not (result.imputed_mask & observed_cells).any().any()
    assert not (result.bound_limited_mask & ~result.imputed_mask).any().any()
    direction = data.framework.direction
    for code in INDICATORS:
        filled = result.imputed_mask[code]
        gap = (imputed.loc[filled, code] - bounds.loc[filled, code]) * direction[code]
        assert (gap <= 1e-9 * (1 + bounds[code].abs().max())).all(), (code, gap)


# --------------------------------------------------------------------------- ranks


@PROPERTY
@given(
    scores=st.lists(
        st.tuples(
            st.sampled_from([0.0, 12.5, 50.0, 50.0, 99.9, 100.0, NAN]),
            st.floats(0, 100, allow_nan=False) | st.just(NAN),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_ranks_are_competition_ranks(scores: list[tuple[float, float]]) -> None:
    """Rank = 1 + the number of cities with a strictly higher score: tied cities share the
    best (smallest) rank and the next rank is skipped; a city without a score has no rank."""
    frame = pd.DataFrame(
        scores, columns=["Overall", "TDP"], index=[f"c{i}" for i in range(len(scores))]
    )
    ranks = competition_ranks(frame)
    for column in frame.columns:
        values = frame[column].to_numpy()
        for i, value in enumerate(values):
            rank = ranks[column].iloc[i]
            if np.isnan(value):
                assert pd.isna(rank)
            else:
                assert rank == 1 + int(np.sum(values[~np.isnan(values)] > value))
        present = values[~np.isnan(values)]
        if len(present):
            assert ranks[column].min() == 1
