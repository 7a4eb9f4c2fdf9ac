"""Method registries: every name maps to a function and a description; adding one is one line."""

from __future__ import annotations

from types import MappingProxyType

import numpy as np
import pandas as pd
import pytest

from reportgen.index import steps
from reportgen.index.kernels import Method
from reportgen.index.steps import STEP_NAMES, NormaliseSpec, normalise, registry_for


@pytest.mark.parametrize("step", STEP_NAMES)
def test_every_method_has_a_function_and_a_description(step: str) -> None:
    registry = registry_for(step)
    assert registry
    for name, method in registry.items():
        assert isinstance(method, Method), name
        assert callable(method.apply), name
        assert method.description.strip(), name


def test_a_new_normaliser_is_one_function_and_one_registry_line(
    monkeypatch: pytest.MonkeyPatch, asem_framework_and_values: tuple[object, pd.DataFrame]
) -> None:
    framework, values = asem_framework_and_values

    def halve(x: np.ndarray, spec: NormaliseSpec, cols: object) -> np.ndarray:
        return x / 2

    extended = MappingProxyType(
        {**steps.NORMALISERS, "halve": Method(halve, "half of the value, direction applied")}
    )
    monkeypatch.setattr(steps, "NORMALISERS", extended)
    spec = NormaliseSpec(method="halve", directions=False)
    out = normalise(values, spec, framework)  # type: ignore[arg-type]
    np.testing.assert_array_equal(out.to_numpy(), values.to_numpy() / 2)


def test_unknown_method_names_the_registry() -> None:
    with pytest.raises(ValueError, match="unknown normalise method 'minimax'; valid: minmax"):
        NormaliseSpec(method="minimax")


@pytest.fixture
def asem_framework_and_values() -> tuple[object, pd.DataFrame]:
    from pathlib import Path

    from reportgen.index.coinr import read_coinr

    fixtures = Path(__file__).parent / "fixtures" / "coinr-asem"
    data = read_coinr(fixtures / "asem_iData.csv", fixtures / "asem_iMeta.csv")
    return data.framework, data.values
