"""Build specs: validation, YAML round-trip, overrides from the command line, and run()."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from pydantic import ValidationError

from reportgen.errors import MethodError
from reportgen.index import Build, Framework, IndexData, parse_override, run
from reportgen.index.steps import ImputeSpec, NormaliseSpec, TreatSpec

FIXTURES = Path(__file__).parent / "fixtures" / "coinr-asem"


@pytest.fixture
def asem_build() -> Build:
    return Build.from_yaml((FIXTURES / "build.yaml").read_text(encoding="utf-8"))


def test_build_validates_from_list_or_mapping() -> None:
    steps = [{"step": "normalise", "method": "zscore"}, {"step": "aggregate"}]
    assert Build.model_validate(steps) == Build.model_validate({"steps": steps})
    assert Build.model_validate(steps).steps[0].method == "zscore"


def test_yaml_round_trip(asem_build: Build) -> None:
    text = asem_build.to_yaml()
    again = Build.from_yaml(text)
    assert again == asem_build
    assert again.to_list() == asem_build.to_list()
    assert yaml.safe_load(text)[4] == {
        "step": "normalise",
        "method": "minmax",
        "range": [0.0, 100.0],
        "mean_sd": [0.0, 1.0],
        "goalposts": None,
        "cap": None,
        "directions": True,
    }


def test_unknown_method_fails_at_validation_with_valid_names() -> None:
    with pytest.raises(
        ValidationError, match=r"unknown normalise method 'minmux'; valid: minmax, zscore"
    ):
        Build.model_validate([{"step": "normalise", "method": "minmux"}])
    with pytest.raises(MethodError, match="unknown aggregate method"):
        Build.from_yaml("- step: aggregate\n  method: median\n")


def test_unknown_step_and_extra_params_are_rejected() -> None:
    with pytest.raises(ValidationError):
        Build.model_validate([{"step": "smooth"}])
    with pytest.raises(ValidationError):
        Build.model_validate([{"step": "treat", "winmaks": 3}])


def test_steps_must_be_in_pipeline_order() -> None:
    with pytest.raises(ValidationError, match="order"):
        Build.model_validate([{"step": "aggregate"}, {"step": "normalise"}])


def test_coinr_names_are_accepted() -> None:
    build = Build.model_validate(
        [
            {"step": "impute", "method": "i_mean_grp", "group": "g"},
            {"step": "screen", "unit_screen": "byNA", "dat_thresh": 0.9},
            {"step": "normalise", "method": "n_minmax"},
            {"step": "aggregate", "method": "a_gmean"},
        ]
    )
    assert [s.method for s in build.steps] == ["group_mean", "byNA", "minmax", "geometric"]


def test_group_methods_need_a_group() -> None:
    with pytest.raises(ValidationError, match="needs a group column"):
        ImputeSpec(method="group_mean")


def test_with_overrides_returns_a_new_build(asem_build: Build) -> None:
    changed = asem_build.with_overrides(
        {"normalise.method": "zscore", "treat.winmax": 3, "aggregate.method": "geometric"}
    )
    assert changed is not asem_build
    assert asem_build.step("treat").winmax == 5
    assert changed.step("treat").winmax == 3
    assert changed.step("normalise").method == "zscore"
    assert changed.step("aggregate").method == "geometric"


def test_nested_override_sets_one_weight(asem_build: Build) -> None:
    changed = asem_build.with_overrides({"aggregate.weights.Conn": 2})
    assert changed.step("aggregate").weights == {"Conn": 2.0}


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("normalize.method", "did you mean 'normalise'"),
        ("treat.winmx", "did you mean 'winmax'"),
        ("noise", "STEP.PARAM"),
    ],
)
def test_bad_override_keys(asem_build: Build, key: str, message: str) -> None:
    with pytest.raises(MethodError, match=message):
        asem_build.with_overrides({key: 1})


def test_override_of_absent_step() -> None:
    with pytest.raises(MethodError, match="has no treat step"):
        Build.model_validate([{"step": "aggregate"}]).with_overrides({"treat.winmax": 1})


def test_override_with_bad_method_value(asem_build: Build) -> None:
    with pytest.raises(MethodError, match="valid: minmax"):
        asem_build.with_overrides({"normalise.method": "nope"})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("normalise.range=1,100", ("normalise.range", [1, 100])),
        ("normalise.range=[1, 100]", ("normalise.range", [1, 100])),
        ("treat.winmax=3", ("treat.winmax", 3)),
        ("screen.dat_thresh=0.5", ("screen.dat_thresh", 0.5)),
        ("normalise.method=zscore", ("normalise.method", "zscore")),
        ("normalise.directions=false", ("normalise.directions", False)),
        ("aggregate.weights.Conn=2", ("aggregate.weights.Conn", 2)),
    ],
)
def test_parse_override(text: str, expected: tuple[str, object]) -> None:
    assert parse_override(text) == expected


def test_parse_override_needs_equals() -> None:
    with pytest.raises(MethodError):
        parse_override("normalise.method")


def test_treat_per_indicator_settings_validate() -> None:
    spec = TreatSpec(indicators={"A": {"method": "log_ct"}})
    assert spec.spec_for("A").method == "log_ct"
    assert spec.spec_for("B") is spec
    with pytest.raises(ValidationError):
        TreatSpec(indicators={"A": {"method": "cube"}})


def test_treat_lambda_alias() -> None:
    build = Build.model_validate([{"step": "treat", "method": "boxcox", "lambda": 0.5}])
    assert build.step("treat").lambda_ == 0.5
    assert build.to_list()[0]["lambda"] == 0.5
    assert build.with_overrides({"treat.lambda": 0}).step("treat").lambda_ == 0


def test_run_is_pure_and_fills_absent_steps() -> None:
    meta = pd.DataFrame(
        {
            "code": ["a", "b", "top"],
            "name": ["A", "B", "Top"],
            "level": [1, 1, 2],
            "parent": ["top", "top", None],
            "weight": [1.0, 1.0, 1.0],
            "direction": [1, -1, np.nan],
        }
    )
    framework = Framework.from_meta(meta, ["Indicator", "Index"])
    values = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [3.0, np.nan, 1.0]}, index=["x", "y", "z"])
    data = IndexData(values=values, units=pd.DataFrame(index=values.index), framework=framework)
    before = values.copy()
    build = Build.model_validate([{"step": "impute"}, NormaliseSpec(), {"step": "aggregate"}])
    result = run(build, data)
    pd.testing.assert_frame_equal(values, before)
    assert list(result.datasets) == [
        "raw",
        "denominated",
        "imputed",
        "screened",
        "treated",
        "normalised",
        "aggregated",
    ]
    assert result.datasets["denominated"] is result.datasets["raw"]
    assert result.datasets["screened"] is result.datasets["imputed"]
    assert result.datasets["treated"] is result.datasets["imputed"]
    assert result.imputed_mask.loc["y", "b"]
    assert list(result.aggregated.columns) == ["a", "b", "top"]
    # b imputed to 2 (mean); normalised b (direction -1): x 0, y 50, z 100; a: 0, 50, 100.
    np.testing.assert_allclose(result.score("top"), [0.0, 50.0, 100.0])
    assert list(result.rank("top")) == [3, 2, 1]
    assert list(result.treatment_log["treatment"]) == ["none", "none"]
    assert list(result.results_table().columns) == ["uCode", "Rank", "top", "a", "b"]
