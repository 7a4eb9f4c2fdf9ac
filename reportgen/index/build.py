"""The build as data: an ordered tuple of step specs, YAML round-trip, overrides, and ``run``."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any, Literal, overload

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from reportgen.errors import MethodError
from reportgen.index.framework import IndexData
from reportgen.index.result import DATASET_NAMES, IndexResult, competition_ranks
from reportgen.index.steps import (
    STEP_NAMES,
    AggregateSpec,
    AnyStepSpec,
    DenominateSpec,
    ImputeSpec,
    NormaliseSpec,
    ScreenSpec,
    StepSpec,
    TreatSpec,
    aggregate,
    denominate,
    impute,
    normalise,
    screen,
    treat,
)

__all__ = ["Build", "parse_override", "run"]

_SPEC_TYPES: dict[str, type[BaseModel]] = {
    "denominate": DenominateSpec,
    "impute": ImputeSpec,
    "screen": ScreenSpec,
    "treat": TreatSpec,
    "normalise": NormaliseSpec,
    "aggregate": AggregateSpec,
}


def _suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"{hint} (valid: {', '.join(choices)})"


def _validation_message(err: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'build'}: {e['msg'].removeprefix('Value error, ')}"
        for e in err.errors()
    )


class Build(BaseModel):
    """An ordered, frozen list of step specs; validates from a list or ``{"steps": [...]}``."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    steps: tuple[AnyStepSpec, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _accept_list(cls, data: Any) -> Any:
        if isinstance(data, list | tuple):
            return {"steps": list(data)}
        return data

    @model_validator(mode="after")
    def _in_order(self) -> Build:
        kinds = [s.step for s in self.steps]
        if len(set(kinds)) != len(kinds):
            raise ValueError(f"each step may appear once; got {kinds}")
        # Screening may also come before imputation, so that it judges the data as reported.
        core = [k for k in kinds if k != "screen"]
        in_order = core == sorted(core, key=STEP_NAMES.index)
        if "screen" in kinds and "denominate" in kinds:
            in_order &= kinds.index("screen") > kinds.index("denominate")
        if "screen" in kinds and "treat" in kinds:
            in_order &= kinds.index("screen") < kinds.index("treat")
        if not in_order:
            raise ValueError(
                f"steps must follow the order {', '.join(STEP_NAMES)} (screen may also come "
                f"before impute); got {kinds}"
            )
        return self

    @classmethod
    def from_list(cls, steps: list[Mapping[str, Any]]) -> Build:
        return cls.model_validate(steps)

    @classmethod
    def from_yaml(cls, text: str) -> Build:
        """Parse a YAML list of step mappings (or a mapping with ``steps``)."""
        try:
            return cls.model_validate(yaml.safe_load(text) or [])
        except ValidationError as err:
            raise MethodError(f"invalid build: {_validation_message(err)}") from None

    def to_list(self) -> list[dict[str, Any]]:
        """Plain data (lists, numbers, strings): every parameter, defaults included."""
        return [
            {"step": s.step, **s.model_dump(mode="json", by_alias=True, exclude={"step"})}
            for s in self.steps
        ]

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_list(), sort_keys=False, allow_unicode=True)

    @overload
    def step(self, name: Literal["denominate"]) -> DenominateSpec | None: ...
    @overload
    def step(self, name: Literal["impute"]) -> ImputeSpec | None: ...
    @overload
    def step(self, name: Literal["screen"]) -> ScreenSpec | None: ...
    @overload
    def step(self, name: Literal["treat"]) -> TreatSpec | None: ...
    @overload
    def step(self, name: Literal["normalise"]) -> NormaliseSpec | None: ...
    @overload
    def step(self, name: Literal["aggregate"]) -> AggregateSpec | None: ...
    @overload
    def step(self, name: str) -> StepSpec | None: ...
    def step(self, name: str) -> StepSpec | None:
        """The spec of one step kind, or None when the build lacks it."""
        return next((s for s in self.steps if s.step == name), None)

    def with_overrides(self, overrides: Mapping[str, Any]) -> Build:
        """A new Build with ``STEP.PARAM[.KEY]`` parameters replaced (e.g. ``treat.winmax``)."""
        steps = [s.model_dump(by_alias=True) for s in self.steps]
        for key, value in overrides.items():
            parts = key.split(".")
            if len(parts) < 2 or not all(parts):
                raise MethodError(f"override {key!r} must look like STEP.PARAM=VALUE")
            name, param, rest = parts[0], parts[1], parts[2:]
            if name not in STEP_NAMES:
                raise MethodError(
                    f"override {key!r}: unknown step {name!r}{_suggest(name, list(STEP_NAMES))}"
                )
            target = next((s for s in steps if s["step"] == name), None)
            if target is None:
                present = [s["step"] for s in steps]
                raise MethodError(
                    f"override {key!r}: the build has no {name} step (it has {present})"
                )
            params = _param_names(name)
            if param not in params:
                raise MethodError(
                    f"override {key!r}: unknown {name} parameter {param!r}{_suggest(param, params)}"
                )
            if param == "unit_screen":
                param = "method"
            if param == "step":
                raise MethodError(f"override {key!r}: the step kind cannot be changed")
            if not rest:
                target[param] = value
                continue
            container = target.get(param)
            container = dict(container) if isinstance(container, Mapping) else {}
            node = container
            for part in rest[:-1]:
                child = node.get(part)
                node[part] = dict(child) if isinstance(child, Mapping) else {}
                node = node[part]
            node[rest[-1]] = value
            target[param] = container
        try:
            return Build.model_validate(steps)
        except ValidationError as err:
            raise MethodError(f"invalid override: {_validation_message(err)}") from None


def _param_names(step: str) -> list[str]:
    fields = _SPEC_TYPES[step].model_fields
    names = [info.alias or name for name, info in fields.items() if name != "step"]
    return [*names, "unit_screen"] if step == "screen" else names


def parse_override(text: str) -> tuple[str, Any]:
    """Split ``STEP.PARAM=VALUE`` and parse VALUE as YAML; ``1,100`` becomes ``[1, 100]``."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or "." not in key:
        raise MethodError(f"override {text!r} must look like STEP.PARAM=VALUE")
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
        if isinstance(value, str) and "," in value and not raw.strip().startswith(("'", '"')):
            value = yaml.safe_load(f"[{raw}]")
    except yaml.YAMLError as err:
        raise MethodError(f"override {text!r}: cannot parse value ({err})") from None
    return key, value


def run(build: Build, data: IndexData) -> IndexResult:
    """Apply the build's steps in order to the data; pure, no I/O."""
    framework = data.framework
    values = data.values
    datasets: dict[str, pd.DataFrame] = {"raw": values}
    empty = pd.DataFrame(False, index=values.index, columns=values.columns)
    imputed_mask, bound_limited_mask = empty, empty
    treatment_log: pd.DataFrame | None = None
    removed: tuple[str, ...] = ()
    bounds = data.bounds
    aggregated: pd.DataFrame | None = None
    for spec in build.steps:
        if isinstance(spec, DenominateSpec):
            values = denominate(values, spec, framework, data.units)
            if bounds is not None:
                bounds = denominate(bounds, spec, framework, data.units)
            datasets["denominated"] = values
        elif isinstance(spec, ImputeSpec):
            outcome = impute(values, spec, framework, data.units, bounds)
            values = outcome.values
            imputed_mask, bound_limited_mask = outcome.imputed_mask, outcome.bound_limited_mask
            datasets["imputed"] = values
        elif isinstance(spec, ScreenSpec):
            values, removed = screen(values, spec)
            if bounds is not None:
                bounds = bounds.loc[values.index]
            datasets["screened"] = values
        elif isinstance(spec, TreatSpec):
            values, treatment_log = treat(values, spec, framework)
            datasets["treated"] = values
        elif isinstance(spec, NormaliseSpec):
            values = normalise(values, spec, framework)
            datasets["normalised"] = values
        elif isinstance(spec, AggregateSpec):
            try:
                aggregated = aggregate(values, spec, framework)
            except MethodError as err:
                raise MethodError(f"{err}{_positive_hint(build)}") from None
    previous = datasets["raw"]
    for name in DATASET_NAMES[1:-1]:
        previous = datasets.setdefault(name, previous)
    if aggregated is None:
        aggregated = datasets["normalised"]
    datasets["aggregated"] = aggregated
    ordered = {name: datasets[name] for name in DATASET_NAMES}
    scores = aggregated[[c for c in framework.aggregates if c in aggregated.columns]]
    return IndexResult(
        datasets=ordered,
        imputed_mask=imputed_mask,
        bound_limited_mask=bound_limited_mask,
        treatment_log=treatment_log if treatment_log is not None else _untreated_log(framework),
        removed_units=removed,
        scores=scores,
        ranks=competition_ranks(scores),
        build=build,
        framework=framework,
        data=data,
    )


def _positive_hint(build: Build) -> str:
    """How to make every normalised value positive, for a geometric or harmonic mean.

    The engine does not shift values itself in a nominal build: the published numbers must
    follow from the build as written. (Monte Carlo replications do shift; see uncertainty.)
    """
    spec = build.step("normalise")
    if spec is None:
        return ""
    if spec.method == "minmax":
        lo, hi = spec.range
        fix = f"normalise.range=1,{hi:g}" if hi > 1 else "normalise.range=1,100"
        return (
            f" (min-max to [{lo:g}, {hi:g}] puts each indicator's lowest unit at {lo:g}); "
            f"start the range above 0: --set {fix}"
        )
    return (
        f" ({spec.method} normalisation can give values ≤ 0); min-max to a range starting "
        "above 0 instead: --set normalise.method=minmax --set normalise.range=1,100"
    )


def _untreated_log(framework: Any) -> pd.DataFrame:
    return pd.DataFrame({"iCode": list(framework.indicators), "treatment": "none"})
