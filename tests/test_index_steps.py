"""Each method on tiny hand-computed data, and the kernels' broadcasting contract."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats

from reportgen.errors import InputError, MethodError
from reportgen.index import Build, Framework, IndexData, competition_ranks, kernels, run, steps

NAN = np.nan


def framework(
    directions: tuple[int, ...] = (1, 1, 1), targets: tuple[float, ...] | None = None
) -> Framework:
    """Three indicators a, b, c; a and b under pillar P, c under Q; P and Q under the index."""
    meta = pd.DataFrame(
        {
            "code": ["a", "b", "c", "P", "Q", "I"],
            "name": ["A", "B", "C", "Pillar P", "Pillar Q", "Index"],
            "level": [1, 1, 1, 2, 2, 3],
            "parent": ["P", "P", "Q", "I", "I", None],
            "weight": [1.0, 3.0, 1.0, 1.0, 1.0, 1.0],
            "direction": [*directions, NAN, NAN, NAN],
            "denominator": ["pop", None, None, None, None, None],
            "target": [*(targets or (NAN, NAN, NAN)), NAN, NAN, NAN],
        }
    )
    return Framework.from_meta(meta, ["Indicator", "Pillar", "Index"])


def frame(columns: dict[str, list[float]]) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    return pd.DataFrame(columns, index=[f"u{i}" for i in range(n)], dtype=float)


# ---------------------------------------------------------------- framework


def test_framework_helpers() -> None:
    fw = framework()
    assert fw.indicators == ("a", "b", "c")
    assert fw.codes_at(2) == ("P", "Q")
    assert fw.children("P") == ("a", "b")
    assert fw.parent("a") == "P"
    assert fw.parent("I") is None
    assert fw.level_of("Q") == 2
    assert fw.n_levels == 3
    assert fw.top == "I"
    assert fw.weights["b"] == 3.0
    assert list(fw.direction) == [1.0, 1.0, 1.0]
    heavier = fw.with_weights({"a": 5})
    assert heavier.weights["a"] == 5
    assert fw.weights["a"] == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"parent": ["P", "P", "Z", "I", "I", None]}, "parent is not a code"),
        ({"direction": [1, 2, 1, NAN, NAN, NAN]}, "direction of b"),
        ({"level": [1, 1, 1, 2, 2, 4]}, "without gaps"),
        ({"code": ["a", "a", "c", "P", "Q", "I"]}, "more than once"),
    ],
)
def test_framework_rejects_bad_meta(change: dict[str, list[object]], message: str) -> None:
    meta = framework().meta.reset_index()
    for column, values in change.items():
        meta[column] = values
    with pytest.raises(InputError, match=message):
        Framework.from_meta(meta, ["Indicator", "Pillar", "Index"])


# ---------------------------------------------------------------- statistics


def test_skew_and_kurt_match_type2_estimators() -> None:
    rng = np.random.default_rng(1)
    x = rng.lognormal(size=(40, 3))
    x[3, 1] = NAN
    for j in range(3):
        col = x[:, j][~np.isnan(x[:, j])]
        assert steps.skew_kernel(x)[j] == pytest.approx(stats.skew(col, bias=False), rel=1e-12)
        assert steps.kurt_kernel(x)[j] == pytest.approx(stats.kurtosis(col, bias=False), rel=1e-12)
    assert np.isnan(steps.skew_kernel(np.array([[1.0], [2.0]])))[0]
    assert np.isnan(steps.kurt_kernel(np.array([[1.0], [2.0], [4.0]])))[0]


# ---------------------------------------------------------------- normalisation kernels


def test_minmax_and_zscore_kernels() -> None:
    x = np.array([[1.0, 10.0], [2.0, NAN], [4.0, 30.0]])
    np.testing.assert_allclose(steps.minmax_kernel(x, 0, 100), [[0, 0], [100 / 3, NAN], [100, 100]])
    np.testing.assert_allclose(steps.minmax_kernel(x, 1, 100)[:, 0], [1, 34, 100])
    z = steps.zscore_kernel(x, 10, 2)
    sd = np.std([1.0, 2.0, 4.0], ddof=1)
    np.testing.assert_allclose(z[:, 0], (np.array([1, 2, 4]) - 7 / 3) / sd * 2 + 10)
    np.testing.assert_allclose(z[[0, 2], 1], [10 - np.sqrt(2), 10 + np.sqrt(2)])
    assert np.isnan(z[1, 1])


def test_rank_ties_take_the_minimum_and_nan_is_kept() -> None:
    x = np.array([[3.0], [1.0], [3.0], [NAN], [2.0], [5.0]])
    np.testing.assert_array_equal(steps.rank_kernel(x)[:, 0], [3, 1, 3, NAN, 2, 5])
    np.testing.assert_array_equal(steps.borda_kernel(x)[:, 0], [2, 0, 2, NAN, 1, 4])
    np.testing.assert_allclose(steps.percentile_kernel(x)[:, 0], [0.5, 0, 0.5, NAN, 0.25, 1])


def test_rank_decides_ties_on_exact_doubles() -> None:
    x = np.array([[5.1], [5.1 + 2**-50], [5.1]])
    np.testing.assert_array_equal(steps.rank_kernel(x)[:, 0], [1, 3, 1])


def test_goalposts_and_target_kernels() -> None:
    x = np.array([[0.0], [5.0], [12.0]])
    np.testing.assert_allclose(steps.goalposts_kernel(x, 2.0, 10.0)[:, 0], [0, 0.375, 1])
    np.testing.assert_allclose(
        steps.goalposts_kernel(x, 2.0, 10.0, cap=False)[:, 0], [-0.25, 0.375, 1.25]
    )
    np.testing.assert_allclose(steps.target_kernel(x, 10.0)[:, 0], [0, 0.5, 1.2])
    np.testing.assert_allclose(steps.target_kernel(x, 10.0, cap=True)[:, 0], [0, 0.5, 1])


def test_normalise_applies_direction_first() -> None:
    fw = framework(directions=(1, -1, 1), targets=(4.0, 1.0, 9.0))
    values = frame({"a": [0, 2, 4], "b": [1, 2, 3], "c": [1, 5, 9]})
    out = steps.normalise(values, steps.NormaliseSpec(method="minmax"), fw)
    np.testing.assert_allclose(out["b"], [100, 50, 0])
    ranks = steps.normalise(values, steps.NormaliseSpec(method="rank"), fw)
    np.testing.assert_allclose(ranks["b"], [3, 2, 1])
    # target of b is 1 (lower is better): (max - x) / (max - target)
    tgt = steps.normalise(values, steps.NormaliseSpec(method="target", range=(0, 1)), fw)
    np.testing.assert_allclose(tgt["b"], [1, 0.5, 0])
    np.testing.assert_allclose(tgt["a"], [0, 0.5, 1])
    posts = {"a": (0.0, 2.0), "b": (3.0, 1.0), "c": (1.0, 5.0)}
    gp = steps.normalise(values, steps.NormaliseSpec(method="goalposts", goalposts=posts), fw)
    np.testing.assert_allclose(gp["a"], [0, 100, 100])
    np.testing.assert_allclose(gp["b"], [100, 50, 0])
    with pytest.raises(MethodError, match="no goalposts for c"):
        steps.normalise(
            values,
            steps.NormaliseSpec(method="goalposts", goalposts={"a": (0, 1), "b": (0, 1)}),
            fw,
        )
    with pytest.raises(MethodError, match="no target"):
        steps.normalise(values, steps.NormaliseSpec(method="target"), framework())


# ---------------------------------------------------------------- aggregation kernels


def test_arithmetic_mean_drops_missing_children_with_their_weights() -> None:
    x = np.array([[10.0, 20.0], [NAN, 20.0], [NAN, NAN]])
    w = np.array([1.0, 3.0])
    np.testing.assert_allclose(steps.arithmetic_mean_kernel(x, w), [17.5, 20.0, NAN])


def test_geometric_and_harmonic_means() -> None:
    x = np.array([[1.0, 4.0], [2.0, NAN]])
    w = np.array([1.0, 1.0])
    np.testing.assert_allclose(steps.geometric_mean_kernel(x, w), [2.0, 2.0])
    np.testing.assert_allclose(steps.harmonic_mean_kernel(x, w), [1.6, 2.0])
    # COINr rejects negatives only for the geometric mean.
    np.testing.assert_allclose(steps.harmonic_mean_kernel(np.array([[-1.0, 2.0]]), w), [-4.0])
    with pytest.raises(MethodError, match="values > 0"):
        steps.geometric_mean_kernel(np.array([[0.0, 1.0]]), w)
    with pytest.raises(MethodError, match="non-zero"):
        steps.harmonic_mean_kernel(np.array([[0.0, 1.0]]), w)


def test_level_kernel_dat_thresh() -> None:
    x = np.array([[1.0, NAN, NAN], [1.0, 2.0, NAN]])
    weights = np.array([[1.0, 1.0, 1.0]])
    out = steps.aggregate_level_kernel(x, weights, "arithmetic", dat_thresh=0.5)
    np.testing.assert_allclose(out[:, 0], [NAN, 1.5])


def test_kernels_broadcast_over_replications() -> None:
    rng = np.random.default_rng(7)
    stack = rng.normal(size=(6, 30, 15))
    stack[2, 4, 3] = NAN
    w = rng.uniform(0.5, 2, size=(6, 15))
    mm = steps.minmax_kernel(stack, 0, 100)
    zs = steps.zscore_kernel(stack, 10, 2)
    rk = steps.rank_kernel(stack)
    am = steps.arithmetic_mean_kernel(mm, w)
    assert am.shape == (6, 30)
    for r in range(6):
        np.testing.assert_allclose(mm[r], steps.minmax_kernel(stack[r], 0, 100))
        np.testing.assert_allclose(zs[r], steps.zscore_kernel(stack[r], 10, 2))
        np.testing.assert_array_equal(rk[r], steps.rank_kernel(stack[r]))
        np.testing.assert_allclose(am[r], steps.arithmetic_mean_kernel(mm[r], w[r]))
    lo = np.zeros((6, 15))
    hi = np.full((6, 15), 10.0)
    np.testing.assert_allclose(steps.minmax_kernel(stack, lo, hi), mm / 10)


# ---------------------------------------------------------------- step functions


def test_denominate_with_scale() -> None:
    fw = framework()
    values = frame({"a": [10, 20], "b": [1, 2], "c": [3, 4]})
    units = pd.DataFrame({"pop": [2.0, 4.0]}, index=values.index)
    out = steps.denominate(values, steps.DenominateSpec(scale=1000), fw, units)
    np.testing.assert_allclose(out["a"], [5000, 5000])
    pd.testing.assert_series_equal(out["b"], values["b"])
    with pytest.raises(MethodError, match="no column 'pop'"):
        steps.denominate(values, steps.DenominateSpec(), fw, pd.DataFrame(index=values.index))


def test_impute_mean_median_and_groups() -> None:
    fw = framework()
    values = frame({"a": [1, NAN, 3, 10, NAN], "b": [1, 2, 3, 4, 5], "c": [NAN, 1, 2, NAN, NAN]})
    units = pd.DataFrame({"g": ["x", "x", "x", "y", "y"]}, index=values.index)
    mean = steps.impute(values, steps.ImputeSpec(method="mean"), fw, units).values
    assert mean.loc["u1", "a"] == pytest.approx(14 / 3)
    median = steps.impute(values, steps.ImputeSpec(method="median"), fw, units).values
    assert median.loc["u1", "a"] == 3
    grp = steps.impute(values, steps.ImputeSpec(method="group_mean", group="g"), fw, units)
    assert grp.values.loc["u1", "a"] == 2
    assert grp.values.loc["u4", "a"] == 10
    assert grp.values.loc["u0", "c"] == 1.5
    # group y has no c at all: stays missing and is not flagged as imputed
    assert np.isnan(grp.values.loc["u3", "c"])
    assert not grp.imputed_mask.loc["u3", "c"]
    assert grp.imputed_mask.to_numpy().sum() == 3
    gmed = steps.impute(
        values, steps.ImputeSpec(method="group_median", group="g"), fw, units
    ).values
    assert gmed.loc["u1", "a"] == 2
    pd.testing.assert_frame_equal(
        grp.values.where(~grp.imputed_mask), values.where(~grp.imputed_mask)
    )
    none = steps.impute(values, steps.ImputeSpec(method="none"), fw, units)
    assert none.values.isna().sum().sum() == 5


def test_impute_never_passes_a_bound() -> None:
    fw = framework(directions=(1, -1, 1))
    # a: VC capital, a missing city has at most 2 (the 20th value); b: a rank, missing ≥ 51.
    values = frame({"a": [1, 9, NAN, NAN], "b": [3, 70, NAN, 5], "c": [1, 2, 3, 4]})
    bounds = frame({"a": [NAN, NAN, 2, 100], "b": [NAN, NAN, 51, NAN], "c": [NAN] * 4})
    out = steps.impute(
        values, steps.ImputeSpec(method="mean"), fw, pd.DataFrame(index=values.index), bounds
    )
    assert out.values.loc["u2", "a"] == 2  # mean 5 capped down to the bound
    assert out.values.loc["u3", "a"] == 5  # bound 100 does not bind
    assert out.values.loc["u2", "b"] == 51  # mean 26 is a better rank than 51: capped up
    assert out.bound_limited_mask.loc["u2", ["a", "b"]].all()
    assert out.bound_limited_mask.to_numpy().sum() == 2
    assert out.imputed_mask.to_numpy().sum() == 3


def test_bounds_flow_through_run_and_denomination() -> None:
    fw = framework()
    values = frame({"a": [10, 30, NAN], "b": [1, 2, 3], "c": [1, 2, 3]})
    bounds = frame({"a": [NAN, NAN, 8], "b": [NAN] * 3, "c": [NAN] * 3})
    units = pd.DataFrame({"pop": [1.0, 1.0, 2.0]}, index=values.index)
    data = IndexData(values=values, units=units, framework=fw, bounds=bounds)
    result = run(Build.model_validate([{"step": "denominate"}, {"step": "impute"}]), data)
    assert result.datasets["imputed"].loc["u2", "a"] == 4  # bound 8 / population 2
    assert result.bound_limited_mask.loc["u2", "a"]


def test_screen_by_missing_share() -> None:
    values = frame({"a": [1, NAN, NAN], "b": [1, 2, NAN], "c": [0, 0, 3]})
    kept, removed = steps.screen(values, steps.ScreenSpec(dat_thresh=0.6))
    assert list(kept.index) == ["u0", "u1"]
    assert removed == ("u2",)
    kept, removed = steps.screen(values, steps.ScreenSpec(dat_thresh=0.6, force_include=("u2",)))
    assert removed == ()
    kept, removed = steps.screen(values, steps.ScreenSpec(method="byzeros", nonzero_thresh=0.5))
    assert removed == ()
    kept, removed = steps.screen(values, steps.ScreenSpec(method="byzeros", nonzero_thresh=0.9))
    assert removed == ("u0", "u1")


def _outlier_column() -> pd.DataFrame:
    base = [1.0, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0, 5.5, 6.0, 6.5, 7.0]
    return frame({"a": [*base, 60.0, 60.0], "b": list(np.arange(14.0)), "c": list(np.arange(14.0))})


def test_winsorise_moves_tied_extremes_together() -> None:
    values = _outlier_column()
    treated, log = steps.treat(values, steps.TreatSpec(), framework())
    row = log.set_index("iCode").loc["a"]
    assert not row["check_SkewKurt0.Pass"]
    assert row["winsorise.nwin"] == 2
    assert row["check_SkewKurt1.Pass"]
    assert row["treatment"] == "winsorise"
    assert list(treated["a"].iloc[-2:]) == [7.0, 7.0]
    pd.testing.assert_series_equal(treated["b"], values["b"])
    assert "check_SkewKurt2.Pass" not in log.columns


def test_winsorise_falls_back_to_log_of_the_original_values() -> None:
    values = frame({"a": list(2.0 ** np.arange(20)), "b": list(np.arange(20.0)), "c": [1.0] * 20})
    treated, log = steps.treat(values, steps.TreatSpec(winmax=1), framework())
    row = log.set_index("iCode").loc["a"]
    assert row["winsorise.nwin"] == 1
    assert not row["check_SkewKurt1.Pass"]
    assert row["treatment"] == "log_ct"
    x = values["a"].to_numpy()
    expected = np.log(x - x.min() + 0.01 * (x.max() - x.min()))
    np.testing.assert_allclose(treated["a"], expected, rtol=0, atol=1e-12)
    assert row["check_SkewKurt2.Skew"] == pytest.approx(stats.skew(expected, bias=False))
    # A constant column has no skew; it is left alone.
    assert log.set_index("iCode").loc["c", "treatment"] == "none"
    unchanged, log = steps.treat(values, steps.TreatSpec(winmax=1, fallback="none"), framework())
    assert log.set_index("iCode").loc["a", "treatment"] == "winsorise"
    assert unchanged["a"].iloc[-1] == values["a"].iloc[-2]


def test_plain_transforms_and_per_indicator_settings() -> None:
    values = _outlier_column()
    fw = framework()
    logged, _ = steps.treat(values, steps.TreatSpec(method="log"), fw)
    np.testing.assert_allclose(logged["a"], np.log(values["a"]))
    forced, _ = steps.treat(values + 1, steps.TreatSpec(method="log", force=True), fw)
    np.testing.assert_allclose(forced["b"], np.log(values["b"] + 1))
    with pytest.raises(MethodError, match="log of b needs values > 0; unit u0"):
        steps.treat(values, steps.TreatSpec(method="log", force=True), fw)
    bc, _ = steps.treat(values, steps.TreatSpec(method="boxcox", lambda_=0.5), fw)
    shifted = values["a"] - values["a"].min() + 1
    np.testing.assert_allclose(bc["a"], (shifted**0.5 - 1) / 0.5)
    spec = steps.TreatSpec(indicators={"a": {"method": "log_ct"}}, exclude=("b",))
    _, log = steps.treat(values, spec, fw)
    assert log.set_index("iCode").loc["a", "treatment"] == "log_ct"
    assert log.set_index("iCode").loc["b", "treatment"] == "excluded"
    none, _ = steps.treat(values, steps.TreatSpec(method="none"), fw)
    pd.testing.assert_frame_equal(none, values)


def test_aggregate_uses_framework_weights_and_overrides() -> None:
    fw = framework()
    norm = frame({"a": [0, 100], "b": [100, 0], "c": [50, 50]})
    out = steps.aggregate(norm, steps.AggregateSpec(), fw)
    assert list(out.columns) == ["a", "b", "c", "P", "Q", "I"]
    np.testing.assert_allclose(out["P"], [75, 25])  # b weighs 3
    np.testing.assert_allclose(out["I"], [62.5, 37.5])
    equal = steps.aggregate(norm, steps.AggregateSpec(weights={"b": 1, "Q": 3}), fw)
    np.testing.assert_allclose(equal["P"], [50, 50])
    np.testing.assert_allclose(equal["I"], [50, 50])
    with pytest.raises(MethodError, match="unknown codes z"):
        steps.aggregate(norm, steps.AggregateSpec(weights={"z": 1}), fw)


def test_geometric_aggregation_names_unit_and_code() -> None:
    norm = frame({"a": [1, 0], "b": [1, 2], "c": [3, 4]})
    with pytest.raises(MethodError, match=r"geometric mean of P for unit u1 .* a is 0"):
        steps.aggregate(norm, steps.AggregateSpec(method="geometric"), framework())
    with pytest.raises(MethodError, match=r"harmonic mean of P for unit u1"):
        steps.aggregate(norm, steps.AggregateSpec(method="harmonic"), framework())


def test_competition_ranks_share_the_minimum() -> None:
    scores = pd.DataFrame({"I": [50.0, 70.0, 70.0, 10.0, 70.0]})
    assert list(competition_ranks(scores)["I"]) == [4, 1, 1, 5, 1]
    with_gap = competition_ranks(pd.DataFrame({"I": [1.0, NAN, 3.0]}))["I"]
    assert str(with_gap.dtype) == "Int64"
    assert list(with_gap.astype(object)) == [2, pd.NA, 1]


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.float64, (12, 3), elements=st.integers(-3, 3).map(float)),
    arrays(np.bool_, (12, 3)),
)
def test_rank_kernel_matches_scipy_min_ranks(x: np.ndarray, holes: np.ndarray) -> None:
    x = np.where(holes, NAN, x)
    got = steps.rank_kernel(x)
    for j in range(3):
        keep = ~np.isnan(x[:, j])
        want = stats.rankdata(x[keep, j], method="min")
        np.testing.assert_array_equal(got[keep, j], want)
        assert np.isnan(got[~keep, j]).all()


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, (4, 9, 3), elements=st.integers(-2, 2).map(float) | st.just(NAN)))
def test_rank_kernel_ranks_a_batch_as_each_slice_alone(x: np.ndarray) -> None:
    # Replications are ranked in one call; each must equal its own ranking.
    batch = kernels.rank_kernel(x)
    assert batch.shape == x.shape
    for r in range(x.shape[0]):
        np.testing.assert_array_equal(batch[r], kernels.rank_kernel(x[r]))


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.float64, (7, 5), elements=st.floats(-1e3, 1e3) | st.just(NAN)),
    st.sampled_from([0.05, 0.5, (0.05, 0.5, 0.95), (0.9, 0.1)]),
)
def test_nanquantile_kernel_equals_numpy_bit_for_bit(x: np.ndarray, q: object) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
        want = np.nanquantile(x, q, axis=0)
    np.testing.assert_array_equal(kernels.nanquantile_kernel(x, q), want)  # type: ignore[arg-type]


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, (10, 3), elements=st.floats(-1e6, 1e6) | st.just(NAN)))
def test_imputation_never_changes_observed_values(x: np.ndarray) -> None:
    values = pd.DataFrame(x, columns=["a", "b", "c"], index=[f"u{i}" for i in range(10)])
    units = pd.DataFrame({"g": list("xxxxxyyyyy")}, index=values.index)
    for method in ("mean", "median", "group_mean", "group_median"):
        out = steps.impute(values, steps.ImputeSpec(method=method, group="g"), framework(), units)
        observed = values.notna()
        pd.testing.assert_frame_equal(out.values[observed], values[observed])
        assert (out.imputed_mask == (values.isna() & out.values.notna())).all().all()
