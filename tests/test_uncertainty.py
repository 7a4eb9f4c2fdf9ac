"""Monte Carlo uncertainty and Sobol sensitivity: spec, exactness vs run(), COINr vignette."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from pydantic import ValidationError
from scipy.stats import spearmanr

from reportgen.errors import MethodError
from reportgen.index import Build, IndexData, run
from reportgen.index.uncertainty import (
    UncertaintyResult,
    UncertaintySpec,
    run_uncertainty,
    saltelli_design,
    sobol_indices,
)

FIXTURES = Path(__file__).parent / "fixtures" / "coinr-asem"
LEVEL_NAMES = ("Indicator", "Pillar", "Sub-index", "Index")

# COINr's sensitivity vignette on ASEM; the nominal is the coin's own (default) build:
# winmax 5, minmax(0, 100), arithmetic mean.
VIGNETTE_YAML = """\
n: 100
seed: 20260101
winsorisation: [1, 2, 3, 4, 5]
normalisation:
  - {method: minmax, range: [1, 100]}
  - {method: zscore, mean_sd: [10, 2]}
weights: {levels: [2, 3], noise: 0.25}
aggregation: [arithmetic, geometric]
"""


@pytest.fixture(scope="module")
def data(asem_data: IndexData) -> IndexData:
    return asem_data


@pytest.fixture(scope="module")
def build(asem_build: Build) -> Build:
    return asem_build


@pytest.fixture(scope="module")
def vignette() -> UncertaintySpec:
    return UncertaintySpec.model_validate(yaml.safe_load(VIGNETTE_YAML))


@pytest.fixture(scope="module")
def vignette_result(build: Build, data: IndexData, vignette: UncertaintySpec) -> UncertaintyResult:
    return run_uncertainty(build, data, vignette)


# ---------------------------------------------------------------------------------- spec


def test_spec_defaults_and_yaml(vignette: UncertaintySpec) -> None:
    default = UncertaintySpec()
    assert (default.n, default.seed, default.factors()) == (1000, 20260101, ())
    assert vignette.aggregation == ({"method": "arithmetic"}, {"method": "geometric"})
    assert vignette.factors() == ("winsorisation", "normalisation", "weights", "aggregation")
    assert UncertaintySpec.model_validate(vignette.model_dump()) == vignette
    with pytest.raises(ValidationError, match="extra"):
        UncertaintySpec.model_validate({"n": 10, "noise": 0.2})
    with pytest.raises(ValidationError):
        UncertaintySpec(weights={"levels": [2], "noise": 1.5})  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        UncertaintySpec(winsorisation=(-1,))


def test_bad_inputs_fail_before_any_replication(build: Build, data: IndexData) -> None:
    with pytest.raises(MethodError, match="unknown normalise parameter 'rnage'"):
        run_uncertainty(build, data, UncertaintySpec(n=5, normalisation=({"rnage": [1, 2]},)))
    with pytest.raises(MethodError, match="weight noise level 4"):
        run_uncertainty(build, data, UncertaintySpec(n=5, weights={"levels": (4,)}))  # type: ignore[arg-type]


# ------------------------------------------------------------------------- exactness


def test_nominal_ranks_are_the_builds_own(
    build: Build, data: IndexData, vignette_result: UncertaintyResult
) -> None:
    nominal = run(build, data)
    assert vignette_result.codes == nominal.framework.aggregates
    assert vignette_result.nominal_ranks.equals(nominal.ranks[list(vignette_result.codes)])
    summary = vignette_result.rank_summary("Index")
    assert (summary["nominal"] == nominal.ranks["Index"]).all()


def test_no_uncertainty_reproduces_the_nominal_build_exactly(build: Build, data: IndexData) -> None:
    spec = UncertaintySpec(
        n=40,
        winsorisation=(5,),
        normalisation=({"method": "minmax", "range": [0, 100]},),
        weights={"levels": (1, 2, 3), "noise": 0.0},  # type: ignore[arg-type]
        aggregation=({"method": "arithmetic"},),
    )
    result = run_uncertainty(build, data, spec)
    nominal = result.nominal_scores.to_numpy(dtype=float)
    np.testing.assert_array_equal(result.scores, np.broadcast_to(nominal, result.scores.shape))
    ranks = result.nominal_ranks.to_numpy(dtype=float)
    np.testing.assert_array_equal(result.ranks, np.broadcast_to(ranks, result.ranks.shape))


def _equivalent_build(build: Build, result: UncertaintyResult, i: int, weights: Any) -> Build:
    """The full build that replication ``i`` stands for, from its recorded choices."""
    choice = result.choices.iloc[i]
    spec = result.spec
    overrides: dict[str, Any] = {"treat.winmax": int(choice["winsorisation"])}
    norm = {", ".join(f"{k}={v}" for k, v in a.items()): a for a in spec.normalisation}
    overrides.update({f"normalise.{k}": v for k, v in norm[choice["normalisation"]].items()})
    overrides["aggregate.method"] = choice["aggregation"].removeprefix("method=")
    factors = {
        c.removeprefix("weight_factor."): float(choice[c])
        for c in result.choices.columns
        if c.startswith("weight_factor.")
    }
    overrides["aggregate.weights"] = {c: float(weights[c]) * f for c, f in factors.items()}
    if spec.drop_indicator and choice["drop_indicator"]:
        overrides["aggregate.weights"][choice["drop_indicator"]] = 0.0
    return build.with_overrides(overrides)


def test_each_replication_is_the_run_of_its_perturbed_build(
    build: Build, data: IndexData, vignette: UncertaintySpec
) -> None:
    spec = vignette.model_copy(update={"n": 12, "drop_indicator": True})
    result = run_uncertainty(build, data, spec)
    weights = data.framework.weights
    for i in range(spec.n):
        full = run(_equivalent_build(build, result, i, weights), data)
        expected = full.scores[list(result.codes)].to_numpy(dtype=float)
        np.testing.assert_allclose(result.scores[i], expected, rtol=1e-12, atol=1e-12)
        np.testing.assert_array_equal(
            result.ranks[i], full.ranks[list(result.codes)].to_numpy(float)
        )


def test_same_seed_same_bits_other_seed_other_draws(
    build: Build, data: IndexData, vignette: UncertaintySpec, vignette_result: UncertaintyResult
) -> None:
    again = run_uncertainty(build, data, vignette)
    np.testing.assert_array_equal(again.scores, vignette_result.scores)
    assert again.choices.equals(vignette_result.choices)
    other = run_uncertainty(build, data, vignette.model_copy(update={"seed": 1}))
    assert not np.array_equal(other.scores, vignette_result.scores)


# ------------------------------------------------------------- COINr vignette set-up


def test_vignette_distribution(
    build: Build, data: IndexData, vignette: UncertaintySpec, vignette_result: UncertaintyResult
) -> None:
    """COINr's vignette set-up, N=100. R's random stream differs from numpy's, so, as issue 9
    asks, compare distributions: a second independent stream (as COINr's would be) must give
    medians within 1 rank for ≥ 90% of units and strongly correlated 5-95% interval widths.

    Against the nominal (arithmetic, minmax 0-100) the medians move: geometric means and
    z-scores in half the replications shift them. Measured at N=10,000: 72.5% of units within
    1 rank, 92% within 2; so that is asserted, not "within 1 for 90%".
    """
    mine = vignette_result.rank_summary("Index")
    other = run_uncertainty(build, data, vignette.model_copy(update={"seed": 1})).rank_summary(
        "Index"
    )
    assert ((mine["median"] - other["median"]).abs() <= 1).mean() >= 0.9
    widths = mine["p95"] - mine["p05"]
    rho = spearmanr(widths, other["p95"] - other["p05"])[0]
    assert rho > 0.5
    shift = (mine["median"] - mine["nominal"]).abs()
    assert (shift <= 1).mean() >= 0.7
    assert (shift <= 2).mean() >= 0.9
    assert (mine["p05"] <= mine["median"]).all()
    assert (mine["median"] <= mine["p95"]).all()
    assert widths.max() > 5  # the set-up is genuinely uncertain
    # Stable, highly ranked units stay put (Switzerland is first in every replication).
    assert mine.loc["CHE", "p95"] == 1


def test_draws_and_summary_shapes(vignette_result: UncertaintyResult) -> None:
    draws = vignette_result.draws("Conn")
    assert draws.shape == (100, 51)
    assert vignette_result.rank_draws("Index").min() == 1
    table = vignette_result.summary(["Conn", "Sust", "Index"])
    assert list(table.columns) == ["code", "unit", "nominal", "median", "mean", "p05", "p95"]
    assert len(table) == 3 * 51
    assert set(vignette_result.choices["winsorisation"]) == {"1", "2", "3", "4", "5"}
    with pytest.raises(KeyError, match="not an aggregate"):
        vignette_result.draws("LPI")


# -------------------------------------------------------------------------- Sobol


def test_sobol_recovers_a_linear_model() -> None:
    """Y = Σ a_i X_i, X_i ~ U(0, 1) independent: S_i = ST_i = a_i² / Σ a_j²."""
    rng = np.random.default_rng(7)
    a_coef = np.array([4.0, 2.0, 1.0, 0.0])
    n = 20_000
    design = saltelli_design(
        rng.random((n, 4)), rng.random((n, 4)), [slice(i, i + 1) for i in range(4)]
    )
    first, total = sobol_indices(*design.split(design.matrix @ a_coef))
    expected = a_coef**2 / np.sum(a_coef**2)
    np.testing.assert_allclose(first, expected, atol=0.02)
    np.testing.assert_allclose(total, expected, atol=0.02)


def test_sobol_recovers_ishigami_with_a_grouped_factor() -> None:
    """Ishigami (a=7, b=0.1) on [-π, π]³; x1 and x3 also tried as one group (S = ST_1 + ST_3
    minus nothing: they interact only with each other, so the group's S equals its ST)."""
    rng = np.random.default_rng(11)
    n = 50_000

    def ishigami(u: np.ndarray) -> np.ndarray:
        x = (2 * u - 1) * np.pi
        return np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])

    a, b = rng.random((n, 3)), rng.random((n, 3))
    design = saltelli_design(a, b, [slice(0, 1), slice(1, 2), slice(2, 3)])
    first, total = sobol_indices(*design.split(ishigami(design.matrix)))
    np.testing.assert_allclose(first, [0.3139, 0.4424, 0.0], atol=0.03)
    np.testing.assert_allclose(total, [0.5576, 0.4424, 0.2437], atol=0.03)
    grouped = saltelli_design(a, b, [slice(0, 1), slice(1, 2)])  # x1 alone, x2 alone
    assert grouped.matrix.shape == (4 * n, 3)
    both = saltelli_design(a[:, [0, 2, 1]], b[:, [0, 2, 1]], [slice(0, 2), slice(2, 3)])
    f13, t13 = sobol_indices(*both.split(ishigami(both.matrix[:, [0, 2, 1]])))
    np.testing.assert_allclose([f13[0], t13[0]], [0.5576, 0.5576], atol=0.03)


def test_sensitivity_of_the_vignette_set_up(
    build: Build, data: IndexData, vignette: UncertaintySpec, vignette_result: UncertaintyResult
) -> None:
    spec = vignette.model_copy(update={"sensitivity": True})
    result = run_uncertainty(build, data, spec)
    # Rank intervals use the rows of A, which do not depend on the sensitivity design.
    np.testing.assert_array_equal(result.scores, vignette_result.scores)
    table = result.sensitivity_by_code
    assert table is not None
    assert result.sensitivity is not None
    assert len(table) == len(result.codes) * 4
    index = table[table["code"] == "Index"].set_index("input")
    assert list(index.index) == ["winsorisation", "normalisation", "weights", "aggregation"]
    assert result.sensitivity.equals(index.drop(columns="code"))
    # Each estimate lies within its own 95% bootstrap interval.
    for name in ("first_order", "total_order"):
        assert (index[f"{name}_low"] <= index[name]).all()
        assert (index[name] <= index[f"{name}_high"]).all()
    assert (index["total_order"] > -0.1).all()
    assert (index["total_order"] < 1.5).all()
    # Pillars are aggregated from unweighted-noise indicators: pillar-level weights (level 2)
    # only enter above the pillars, so they cannot move a pillar's ranks at all.
    pillar = table[(table["code"] == "Physical") & (table["input"] == "weights")]
    assert float(pillar["total_order"].iloc[0]) == 0.0


def test_a_geometric_replication_shifts_zeros_to_positive(build: Build, data: IndexData) -> None:
    """A geometric mean of minmax(0, 100) meets zeros. COINr stops; a replication adds
    1 - min = 1 to every normalised value and records it, which is exactly min-max to
    [1, 101] (same operations, same bits)."""
    spec = UncertaintySpec(n=5, aggregation=({"method": "geometric"},), winsorisation=(2,))
    result = run_uncertainty(build, data, spec)
    assert (result.choices["positive_shift"] == 1.0).all()
    shifted = build.with_overrides(
        {"treat.winmax": 2, "normalise.range": [1, 101], "aggregate.method": "geometric"}
    )
    expected = run(shifted, data).scores[list(result.codes)].to_numpy()
    for i in range(spec.n):
        np.testing.assert_array_equal(result.scores[i], expected)
    hint = r"start the range above 0: --set normalise.range=1,100"
    with pytest.raises(MethodError, match=hint):
        run(build.with_overrides({"aggregate.method": "geometric"}), data)


def test_the_monte_carlo_overlap_gives_the_interpreter_lock_back_and_restores_its_turn() -> None:
    # Findings in Python run beside the Monte Carlo's numpy threads with shorter interpreter
    # turns; the caller's setting comes back afterwards, also when the computation fails.
    import sys

    from reportgen.pipeline import _GIL_TURN_S, _short_gil_turns

    def failing_edition() -> None:
        with _short_gil_turns():
            assert sys.getswitchinterval() == _GIL_TURN_S
            raise RuntimeError("the edition failed")

    before = sys.getswitchinterval()
    assert before > _GIL_TURN_S  # Python's default, 5 ms
    with pytest.raises(RuntimeError, match="the edition failed"):
        failing_edition()
    assert sys.getswitchinterval() == before
