"""Oracle tests: the engine reproduces COINr 1.1.14's ASEM build step by step to 1e-9."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from reportgen.index import Build, IndexData, IndexResult, run
from reportgen.index.coinr import read_csv_exact

FIXTURES = Path(__file__).parent / "fixtures" / "coinr-asem"
LEVEL_NAMES = ("Indicator", "Pillar", "Sub-index", "Index")
TOL = 1e-9


def read_oracle(name: str) -> pd.DataFrame:
    return read_csv_exact(FIXTURES / f"{name}.csv")


def assert_same_frame(got: pd.DataFrame, expected: pd.DataFrame, tol: float = TOL) -> None:
    """Same rows and columns (by name, in the same order), values within ``tol``, NaN alike."""
    assert list(got.columns) == list(expected.columns)
    assert sorted(got.index) == sorted(expected.index)
    got = got.loc[expected.index, expected.columns]
    a, b = got.to_numpy(dtype=float), expected.to_numpy(dtype=float)
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    worst = np.nanmax(np.abs(a - b)) if a.size else 0.0
    assert worst <= tol, f"largest difference {worst:g}"


@pytest.fixture
def data(asem_data: IndexData) -> IndexData:
    return asem_data


@pytest.fixture
def build(asem_build: Build) -> Build:
    return asem_build


@pytest.fixture
def result(asem_result: IndexResult) -> IndexResult:
    return asem_result


def test_raw_data_has_coinr_shape(data: IndexData) -> None:
    assert data.values.shape == (51, 49)
    assert int(data.values.isna().sum().sum()) == 63
    assert {"EurAsia_group", "Population", "uName"} <= set(data.units.columns)
    assert data.framework.direction.eq(-1).sum() == 14


@pytest.mark.parametrize(
    ("dataset", "oracle"),
    [
        ("denominated", "default_denominated"),
        ("imputed", "default_imputed"),
        ("screened", "default_screened"),
        ("treated", "default_treated"),
        ("normalised", "default_normalised"),
        ("aggregated", "default_aggregated"),
    ],
)
def test_step_dataset_matches_coinr(result: IndexResult, dataset: str, oracle: str) -> None:
    assert_same_frame(result.datasets[dataset], read_oracle(oracle).set_index("uCode"))


def test_denominate_leaves_lao_energy_indicators_missing(result: IndexResult) -> None:
    assert int(result.datasets["denominated"].isna().sum().sum()) == 65
    assert result.datasets["denominated"].loc["LAO", ["Elec", "Gas"]].isna().all()


def test_imputation_masks(result: IndexResult) -> None:
    assert int(result.imputed_mask.to_numpy().sum()) == 65
    assert not result.bound_limited_mask.to_numpy().any()
    assert result.removed_units == ()


def test_treatment_log_matches_coinr(result: IndexResult) -> None:
    expected = read_oracle("default_treatment_log").set_index("iCode")
    got = result.treatment_log.set_index("iCode")
    assert list(got.index) == list(expected.index)
    assert [c for c in got.columns if c in expected.columns] == list(expected.columns)
    for column in expected.columns:
        want, have = expected[column], got[column]
        assert (want.isna() == have.isna()).all(), column
        present = want.notna()
        if column.endswith(".Pass"):
            assert (want[present].astype(bool) == have[present].astype(bool)).all(), column
        elif column == "winsorise.nwin":
            assert (want[present].astype(int) == have[present].astype(int)).all()
        else:
            np.testing.assert_allclose(
                have[present].astype(float), want[present], rtol=1e-12, atol=0
            )
    winsorised = got.index[got["treatment"] == "winsorise"]
    assert len(winsorised) == 15
    assert got["treatment"].isin(["none", "winsorise"]).all()  # the log fallback is never used


def test_results_table_matches_coinr(result: IndexResult) -> None:
    expected = read_oracle("default_results_full")
    got = result.results_table()
    assert list(got.columns) == list(expected.columns)
    assert list(got["uCode"]) == list(expected["uCode"])
    assert list(got["uName"]) == list(expected["uName"])
    assert list(got["Rank"]) == list(expected["Rank"])
    numeric = expected.columns[3:]
    # The oracle file is rounded to 12 decimals; round ours the same way (plus float slack).
    diff = np.abs(
        got[numeric].to_numpy(dtype=float).round(12) - expected[numeric].to_numpy(dtype=float)
    )
    assert diff.max() <= 1e-12 + 1e-13


def test_scores_and_ranks(result: IndexResult) -> None:
    assert list(result.scores.columns) == list(result.framework.aggregates)
    assert result.ranks["Index"].dtype == np.int64
    expected = read_oracle("default_results_full").set_index("uCode")["Rank"]
    assert (result.rank("Index").loc[expected.index] == expected).all()
    assert result.score("Index").idxmax() == "CHE"
    assert list(result.level(3).columns) == ["Conn", "Sust"]


@pytest.mark.parametrize(
    ("variant", "overrides"),
    [
        ("zscore_amean", {"normalise.method": "zscore", "normalise.mean_sd": [10, 2]}),
        ("minmax_gmean", {"normalise.range": [1, 100], "aggregate.method": "geometric"}),
        ("rank_amean", {"normalise.method": "rank"}),
    ],
)
def test_variants_match_coinr(
    build: Build, data: IndexData, variant: str, overrides: dict[str, object]
) -> None:
    result = run(build.with_overrides(overrides), data)
    assert_same_frame(result.aggregated, read_oracle(f"variant_{variant}").set_index("uCode"))


def test_rank_normalisation_keeps_winsorisation_ties(build: Build, data: IndexData) -> None:
    # Winsorised points are tied; with ties at the minimum the top of the column repeats.
    result = run(build.with_overrides({"normalise.method": "rank"}), data)
    ranks = result.datasets["normalised"]["Bord"]
    assert ranks.duplicated().any()
    assert ranks.min() == 1
