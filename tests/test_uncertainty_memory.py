"""Monte Carlo kept lean: chunked evaluation changes no bit, ranks float32, scores on request;
the printed interval follows the quantile setting; Sobol noise is shown by its interval."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from reportgen.index import Build, IndexData
from reportgen.index.coinr import read_coinr
from reportgen.index.sobol import saltelli_design, sobol_bootstrap, sobol_indices
from reportgen.index.uncertainty import (
    UncertaintyResult,
    UncertaintySpec,
    WeightNoiseSpec,
    quantile_column,
    quantile_label,
    run_uncertainty,
)

FIXTURES = Path(__file__).parent / "fixtures" / "coinr-asem"
SET_UP = UncertaintySpec(
    n=40,
    winsorisation=(1, 3, 5),
    normalisation=(
        {"method": "minmax", "range": [1, 100]},
        {"method": "zscore", "mean_sd": [10, 2]},
    ),
    weights=WeightNoiseSpec(levels=(2, 3), noise=0.25),
    aggregation=({"method": "arithmetic"}, {"method": "geometric"}),
    drop_indicator=True,
    sensitivity=True,
)


@pytest.fixture(scope="module")
def data() -> IndexData:
    return read_coinr(FIXTURES / "asem_iData.csv", FIXTURES / "asem_iMeta.csv")


@pytest.fixture(scope="module")
def build() -> Build:
    return Build.from_yaml((FIXTURES / "build.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def whole(build: Build, data: IndexData) -> UncertaintyResult:
    return run_uncertainty(build, data, SET_UP, chunk_rows=10_000, threads=1)


@pytest.mark.parametrize(("chunk_rows", "threads"), [(1, 1), (7, 2), (40, 3), (7, 1)])
def test_chunk_size_and_threads_change_no_bit(
    build: Build, data: IndexData, whole: UncertaintyResult, chunk_rows: int, threads: int
) -> None:
    chunked = run_uncertainty(build, data, SET_UP, chunk_rows=chunk_rows, threads=threads)
    np.testing.assert_array_equal(chunked.ranks, whole.ranks)
    np.testing.assert_array_equal(chunked.scores, whole.scores)
    assert chunked.summary().equals(whole.summary())
    assert chunked.choices.equals(whole.choices)
    assert chunked.sensitivity_by_code is not None
    assert chunked.sensitivity_by_code.equals(whole.sensitivity_by_code)


@pytest.mark.parametrize("chunk_rows", [7, 10_000])
def test_sensitivity_of_chosen_codes_only_equals_the_full_table(
    build: Build, data: IndexData, whole: UncertaintyResult, chunk_rows: int
) -> None:
    # The design's extra rows ranked on fewer codes: the indices asked for are unchanged
    # (to the bit), the rest are not estimated, the Monte Carlo sample is untouched.
    lean = run_uncertainty(build, data, SET_UP, sensitivity_codes=("Conn",), chunk_rows=chunk_rows)
    assert whole.sensitivity_by_code is not None
    assert lean.sensitivity_by_code is not None
    top = data.framework.top
    assert set(lean.sensitivity_by_code["code"]) == {"Conn", top}
    expected = whole.sensitivity_by_code[whole.sensitivity_by_code["code"].isin(["Conn", top])]
    pd.testing.assert_frame_equal(
        lean.sensitivity_by_code.reset_index(drop=True), expected.reset_index(drop=True)
    )
    assert lean.sensitivity is not None
    assert lean.sensitivity.equals(whole.sensitivity)
    np.testing.assert_array_equal(lean.ranks, whole.ranks)
    with pytest.raises(KeyError, match="Nope"):
        run_uncertainty(build, data, SET_UP, sensitivity_codes=("Nope",))


def test_ranks_are_float32_and_scores_only_those_asked_for(
    build: Build, data: IndexData, whole: UncertaintyResult
) -> None:
    lean = run_uncertainty(build, data, SET_UP, keep_scores=("Conn", "Sust"))
    units, codes = len(whole.units), len(whole.codes)
    assert lean.ranks.dtype == np.float32
    assert lean.ranks.nbytes == SET_UP.n * units * codes * 4
    assert lean.scores.shape == (SET_UP.n, units, 2)
    np.testing.assert_array_equal(lean.draws("Sust"), whole.draws("Sust"))
    # Ranks are integers: float32 holds them exactly, so summaries are today's to the bit.
    assert lean.rank_draws("Index").dtype == np.float64
    assert lean.rank_summary("Index").equals(whole.rank_summary("Index"))
    with pytest.raises(KeyError, match="scores of 'Index' were not kept; pass keep_scores"):
        lean.draws("Index")
    with pytest.raises(KeyError, match="not aggregates"):
        run_uncertainty(build, data, SET_UP, keep_scores=("LPI",))


def _hand_result(spec: UncertaintySpec) -> UncertaintyResult:
    """Five replications of two units, ranks written out so that quantiles are hand-checkable."""
    units = pd.Index(["a", "b"])
    ranks = np.array([[1, 2], [1, 2], [2, 1], [3, 1], [5, 1]], dtype=np.float32)[:, :, None]
    nominal = pd.DataFrame({"Index": [1.0, 2.0]}, index=units)
    return UncertaintyResult(
        spec=spec,
        units=units,
        codes=("Index",),
        nominal_scores=nominal,
        nominal_ranks=nominal,
        scores=np.empty((5, 2, 0)),
        ranks=ranks,
        choices=pd.DataFrame(index=range(5)),
        sensitivity=None,
        sensitivity_by_code=None,
    )


def test_summary_columns_follow_the_quantile_setting() -> None:
    """Unit a ranks 1, 1, 2, 3, 5. Linear interpolation at q sits at position 4q of the sorted
    draws: q = 0.1 -> position 0.4, between 1 and 1 -> 1.0; q = 0.9 -> position 3.6, 3 + 0.6 x
    (5 - 3) = 4.2; q = 0.05 -> 1.0; q = 0.95 -> position 3.8, 3 + 0.8 x 2 = 4.6; the median 2."""
    default = _hand_result(UncertaintySpec()).rank_summary("Index")
    assert list(default.columns) == ["nominal", "median", "mean", "p05", "p95"]
    assert default.loc["a", "p05"] == pytest.approx(1.0)
    assert default.loc["a", "p95"] == pytest.approx(4.6)
    assert default.loc["a", "median"] == 2.0
    assert default.loc["a", "mean"] == pytest.approx(12 / 5)

    spec = UncertaintySpec(quantiles=(0.1, 0.9))
    wide = _hand_result(spec).rank_summary("Index")
    assert list(wide.columns) == ["nominal", "median", "mean", "p10", "p90"]
    assert spec.interval_columns == ("p10", "p90")
    assert spec.interval_label == "10-90%"
    assert wide.loc["a", "p10"] == pytest.approx(1.0)
    assert wide.loc["a", "p90"] == pytest.approx(4.2)
    # Unit b ranks 2, 2, 1, 1, 1: sorted 1, 1, 1, 2, 2 -> p90 at position 3.6 = 2.0.
    assert wide.loc["b", "p90"] == pytest.approx(2.0)
    assert "p05" not in wide.columns  # a reader still asking for p05 fails loudly


def test_quantile_names_and_validation() -> None:
    assert UncertaintySpec().interval_label == "5-95%"
    assert quantile_column(0.05) == "p05"
    assert quantile_column(0.025) == "p2.5"
    assert quantile_label(0.025, 0.975) == "2.5-97.5%"
    with pytest.raises(ValueError, match=r"0 < low < 0\.5 < high < 1"):
        UncertaintySpec(quantiles=(0.9, 0.1))


def test_a_small_first_order_above_total_order_is_estimator_noise() -> None:
    """f = 10 x1 + x2 + 0.3 x3 on uniform inputs (additive: S_i = ST_i = a_i^2 / sum a^2).
    x3's share is 0.09 / 101.09 = 0.00089. At N = 1,000 Jansen's first-order estimate of x3
    swings with sd 0.033 over seeds (it is V minus a term close to V) while its total-order
    estimate has sd 0.00004 (measured, 20 seeds); so S_3 > ST_3 happens by chance (7 of 20
    seeds), and the bootstrap interval covers the true value."""
    coef = np.array([10.0, 1.0, 0.3])
    truth = coef**2 / (coef**2).sum()
    above, covered = 0, 0
    for seed in range(20):
        rng = np.random.default_rng(seed)
        design = saltelli_design(
            rng.random((1000, 3)), rng.random((1000, 3)), [slice(i, i + 1) for i in range(3)]
        )
        parts = design.split(design.matrix @ coef)
        first, total = sobol_indices(*parts)
        lo, hi, _, _ = sobol_bootstrap(*parts, seed=seed, resamples=100)
        assert abs(total[2] - truth[2]) < 2e-4  # the tiny factor's total order: tight
        above += int(first[2] > total[2])
        covered += int(lo[2] <= truth[2] <= hi[2])
    assert above >= 3  # first order above total order for the tiny factor, by noise alone
    assert covered >= 17  # ~95% intervals
