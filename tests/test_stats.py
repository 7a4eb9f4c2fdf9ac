"""Audit statistics: COINr oracle (get_stats, get_corr, get_cronbach) and JRC audit tables."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from reportgen.index import Build, IndexData, IndexResult, run
from reportgen.index.coinr import read_csv_exact
from reportgen.index.stats import (
    audit,
    correlation_flags,
    correlation_pvalues,
    correlations,
    coverage,
    cronbach_alpha,
    effective_weights,
    indicator_stats,
    kurtosis,
    parent_correlations,
    pca_first_share,
    skewness,
)

FIXTURES = Path(__file__).parent / "fixtures" / "coinr-asem"
LEVEL_NAMES = ("Indicator", "Pillar", "Sub-index", "Index")
RTOL = 1e-12


def oracle(name: str, index: str | None = "uCode") -> pd.DataFrame:
    frame = read_csv_exact(FIXTURES / f"{name}.csv")
    return frame.set_index(index) if index else frame


@pytest.fixture(scope="module")
def data(asem_data: IndexData) -> IndexData:
    return asem_data


@pytest.fixture(scope="module")
def result(asem_result: IndexResult) -> IndexResult:
    return asem_result


def scalar(value: object) -> float:
    """A table cell as a float (pandas-stubs types cells as any scalar)."""
    return float(cast(float, value))


def assert_close(got: pd.DataFrame, expected: pd.DataFrame, rtol: float = RTOL) -> None:
    got = got.loc[expected.index, expected.columns]
    a, b = got.to_numpy(dtype=float), expected.to_numpy(dtype=float)
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-15)


# ---------------------------------------------------------------------------------- oracle


def test_indicator_stats_match_coinr_get_stats(data: IndexData) -> None:
    expected = oracle("stats_raw", "iCode")
    got = indicator_stats(data.values)
    assert list(got.columns) == list(expected.columns)
    assert list(got.index) == list(expected.index)
    counts = [c for c in expected.columns if c.startswith("N.")]
    flags = [c for c in expected.columns if c.startswith("Flag.")]
    floats = [c for c in expected.columns if c not in counts + flags]
    assert_close(got[floats], expected[floats])
    pd.testing.assert_frame_equal(got[counts], expected[counts], check_dtype=False)
    pd.testing.assert_frame_equal(got[flags], expected[flags], check_dtype=False)
    assert set(got.loc[got["Flag.Unique"] == "LOW"].index) == {
        "Tariff",
        "TIRcon",
        "RTAs",
        "Visa",
        "Poverty",
    }


@pytest.mark.parametrize(
    ("name", "pval"), [("corr_aggregated_l1_l2", 0.05), ("corr_aggregated_l1_l2_nopval", 0.0)]
)
def test_correlations_match_coinr_get_corr(name: str, pval: float) -> None:
    aggregated = oracle("default_aggregated")
    expected = oracle(name, "iCode")
    got = correlations(
        aggregated[list(expected.index)], aggregated[list(expected.columns)], pval=pval
    )
    assert_close(got, expected)


def test_pvalue_mask_blanks_exactly_the_insignificant(data: IndexData) -> None:
    aggregated = oracle("default_aggregated")
    expected = oracle("corr_aggregated_l1_l2", "iCode")
    p = correlation_pvalues(aggregated[list(expected.index)], aggregated[list(expected.columns)])
    assert (expected.isna() == (p > 0.05)).all().all()
    assert int(expected.isna().sum().sum()) > 100  # the mask is not vacuous


def test_cronbach_alpha_matches_coinr_get_cronbach() -> None:
    normalised = oracle("default_normalised")
    meta = oracle("asem_iMeta", None)
    pillars = set(meta.loc[meta["Parent"] == "Conn", "iCode"])
    conn = list(meta.loc[(meta["Level"] == 1) & meta["Parent"].isin(pillars), "iCode"])
    assert len(conn) == 30
    expected = scalar(oracle("cronbach_conn", "group").at["Conn", "alpha"])
    assert cronbach_alpha(normalised[conn]) == pytest.approx(expected, rel=RTOL)


def test_audit_of_the_real_build_agrees_with_the_oracle(result: IndexResult) -> None:
    report = audit(result)
    expected = scalar(oracle("cronbach_conn", "group").at["Conn", "alpha"])
    conn = report.consistency.set_index("code").loc["Conn"]
    assert conn["n_indicators"] == 30
    assert conn["cronbach_alpha"] == pytest.approx(expected, rel=1e-9)
    corr = report.parent_correlations
    pillar_corr = oracle("corr_aggregated_l1_l2", "iCode")
    for row in corr[corr["level"] == 1].itertuples():
        reference = scalar(pillar_corr.at[row.code, row.parent])
        r = scalar(row.r)
        assert (np.isnan(r) and np.isnan(reference)) or r == pytest.approx(reference, rel=1e-9)


# ---------------------------------------------------------------------------------- units


def test_skew_and_kurtosis_type_2_on_small_samples() -> None:
    x = np.array([1.0, 2.0, 3.0, 10.0, np.nan])
    # By hand: deviations -3, -2, -1, 6; sums of powers 50, 180, 1394 (type 2 = SAS G1, G2).
    g1 = np.sqrt(4) * 180 / 50**1.5 * np.sqrt(4 * 3) / 2
    g2 = ((4 + 1) * (4 * 1394 / 50**2 - 3) + 6) * 3 / (2 * 1)
    assert skewness(x) == pytest.approx(g1, rel=1e-14)
    assert kurtosis(x) == pytest.approx(g2, rel=1e-14)
    assert skewness(x) == pytest.approx(sps.skew(x[:4], bias=False), rel=1e-12)
    assert kurtosis(x) == pytest.approx(sps.kurtosis(x[:4], bias=False), rel=1e-12)
    assert np.isnan(skewness(np.array([1.0, 2.0])))
    assert np.isnan(kurtosis(np.array([1.0, 2.0, 3.0])))


def test_correlations_pairwise_complete_and_flags() -> None:
    frame = pd.DataFrame(
        {
            "a": [1.0, 2.0, 3.0, 4.0, 5.0, np.nan],
            "b": [2.0, 4.1, 5.9, 8.2, 9.9, 100.0],
            "c": [5.0, 1.0, 4.0, 2.0, 3.0, 0.0],
        }
    )
    corr = correlations(frame, pval=0)
    complete = frame.dropna()
    assert corr.at["a", "b"] == pytest.approx(
        np.corrcoef(complete["a"], complete["b"])[0, 1], rel=1e-14
    )
    assert corr.at["a", "a"] == pytest.approx(1.0)
    flags = correlation_flags(corr.loc[["a"], ["b", "c"]])
    assert flags.loc[("a", "b"), "flag"] == "redundant"
    assert flags.loc[("a", "c"), "flag"] == "weak"
    masked = correlations(frame[["a"]], frame[["c"]], pval=0.05)
    assert np.isnan(scalar(masked.at["a", "c"]))


def test_pca_first_share_bounds() -> None:
    rng = np.random.default_rng(1)
    z = rng.normal(size=(200, 1))
    same = pd.DataFrame(np.hstack([z, 2 * z + 1, -z]), columns=list("abc"))
    assert pca_first_share(same) == pytest.approx(1.0)
    independent = pd.DataFrame(rng.normal(size=(5000, 4)), columns=list("abcd"))
    assert pca_first_share(independent) == pytest.approx(0.25, abs=0.03)


def test_coverage_counts_missing_values(data: IndexData) -> None:
    cov = coverage(data.values)
    assert int(cov.indicators["n_missing"].sum()) == 63
    assert int(cov.units["n_missing"].sum()) == 63
    assert cov.indicators.at["ConSpeed", "n_available"] == 43
    assert cov.units["share"].between(0, 1).all()


def test_effective_weights_sum_to_one_and_follow_linear_contributions(result: IndexResult) -> None:
    table = effective_weights(result, 1)
    sums = table.groupby("parent")[["effective", "nominal"]].sum()
    np.testing.assert_allclose(sums.to_numpy(), 1.0, rtol=1e-12)
    assert table.loc["Ship", "nominal"] == pytest.approx(1 / 8)
    # Indicators within the dimension: nominal = indicator share × pillar share.
    deep = effective_weights(result, 1, 3)
    assert deep.loc["LPI", "parent"] == "Conn"
    assert deep.loc["LPI", "nominal"] == pytest.approx(1 / 8 * 1 / 5)
    assert deep.groupby("parent")["effective"].sum().to_numpy() == pytest.approx([1.0, 1.0])
    np.testing.assert_allclose(table["main_effect"], table["correlation"] ** 2)
    with pytest.raises(ValueError, match="level"):
        effective_weights(result, 4)


def test_effective_weights_see_a_dominant_child() -> None:
    """Nominal 1/3 each, but a child with 10x the spread drives the parent."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(500, 3)) * np.array([10.0, 1.0, 1.0])
    meta = pd.DataFrame(
        {
            "code": ["x1", "x2", "x3", "P"],
            "name": ["x1", "x2", "x3", "P"],
            "level": [1, 1, 1, 2],
            "parent": ["P", "P", "P", None],
            "weight": [1.0, 1.0, 1.0, 1.0],
            "direction": [1, 1, 1, np.nan],
        }
    )
    from reportgen.index import Framework

    framework = Framework.from_meta(meta, ("Indicator", "Index"))
    units = pd.Index([f"u{i}" for i in range(500)])
    values = pd.DataFrame(x, index=units, columns=["x1", "x2", "x3"])
    data = IndexData(values=values, units=pd.DataFrame(index=units), framework=framework)
    build = Build.model_validate([{"step": "aggregate", "method": "arithmetic"}])
    table = effective_weights(run(build, data), 1)
    assert scalar(table.at["x1", "effective"]) > 0.95
    assert scalar(table.at["x1", "ratio"]) > 2.5


def test_audit_tables_cover_the_jrc_checklist(result: IndexResult) -> None:
    report = audit(result)
    tables = report.tables()
    assert list(tables) == [
        "indicator_stats",
        "coverage_indicators",
        "coverage_units",
        "skew_kurt",
        "indicator_correlations",
        "parent_correlations",
        "consistency",
        "effective_weights",
    ]
    skew = report.skew_kurt
    # 15 indicators are winsorised in the default build and every one passes afterwards.
    assert int(skew["out_before"].sum()) >= 15
    assert not skew["out_after"].any()
    corr = report.parent_correlations
    assert len(corr) == 49 + 8 + 2
    assert set(corr["flag"]) <= {"", "weak", "redundant"}
    assert (corr.loc[corr["flag"] == "weak", "r"].fillna(-1) < 0.3).all()
    assert set(report.consistency["code"]) == set(result.framework.aggregates)
    assert report.indicator_correlations.shape == (49, 49)
    assert set(report.effective_weights["parent_level"]) == {2, 3, 4}


# ---------------------------------------------------------------------------------- issue 15


def test_audit_counts_only_the_units_the_index_ranks(data: IndexData) -> None:
    """A unit the screen removes is in no audit table: 51 ASEM units, one excluded -> 50."""
    build = Build.from_yaml((FIXTURES / "build.yaml").read_text(encoding="utf-8"))
    dropped = str(data.values.index[0])
    result = run(build.with_overrides({"screen.force_exclude": [dropped]}), data)
    assert dropped in result.removed_units
    report = audit(result)
    ranked = len(result.scores)
    assert ranked == len(data.values) - len(result.removed_units)
    assert len(report.coverage.units) == ranked
    assert dropped not in report.coverage.units.index
    totals = report.coverage.indicators["n_available"] + report.coverage.indicators["n_missing"]
    assert (totals == ranked).all()
    # get_stats' availability counts are over the ranked units too.
    raw = data.values.loc[result.scores.index, list(result.framework.indicators)]
    expected = indicator_stats(raw)
    pd.testing.assert_frame_equal(report.indicator_stats, expected)


def test_an_only_child_is_never_flagged_redundant() -> None:
    """Pillar P2 has one indicator c, so r(c, P2) = 1 by construction: not 'redundant'. P1's
    two indicators a and b: a = P1 exactly up to a tiny b share -> r > 0.92, redundant."""
    values = pd.DataFrame(
        {
            "a": [1.0, 2.0, 3.0, 4.0, 5.0],
            "b": [2.0, 1.0, 2.0, 1.0, 2.0],
            "c": [5.0, 3.0, 4.0, 1.0, 2.0],
        }
    )
    values["P1"] = 0.95 * values["a"] + 0.05 * values["b"]
    values["P2"] = values["c"]
    table = parent_correlations(values, {"a": "P1", "b": "P1", "c": "P2"}).set_index("code")
    assert table.loc["c", "r"] == pytest.approx(1.0)
    assert table.loc["c", "flag"] == ""
    assert bool(table.loc["c", "only_child"])
    assert table.loc["a", "flag"] == "redundant"
    assert not bool(table.loc["a", "only_child"])
