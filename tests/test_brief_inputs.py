"""A brief reads only its declared inputs (BriefInputs), and its key covers every one of them."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import TINY_FILES

from reportgen.analysis.findings.records import Draft
from reportgen.app import Inputs, compute
from reportgen.data.load import Dataset
from reportgen.data.panel import Panel
from reportgen.index import IndexResult
from reportgen.pipeline import EditionResult, YearResult
from reportgen.publish.digest import Digest
from reportgen.publish.plan import brief_input_hashes, brief_tasks
from reportgen.report.context.brief import build_brief, build_brief_context
from reportgen.report.context.inputs import (
    BriefCity,
    BriefInputs,
    BriefShared,
    brief_inputs,
    city_labels,
    leave_one_out_medians,
)

UNCERTAINTY = "uncertainty:\n  n: 32\n  seed: 5\n  weights: {levels: [2, 3], noise: 0.25}\n"
# What a builder must never reach: the computed edition and its parts.
UNDECLARED = (EditionResult, YearResult, IndexResult, Panel, Dataset)


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> EditionResult:
    folder = tmp_path_factory.mktemp("tiny")
    for name, text in TINY_FILES.items():
        extra = UNCERTAINTY if name == "edition.yaml" else ""
        (folder / name).write_text(text + extra, encoding="utf-8")
    return compute(Inputs(data=folder))


@pytest.fixture(scope="module")
def inputs(result: EditionResult) -> dict[str, BriefInputs]:
    return brief_inputs(result, list(result.scores.index), city_labels(result, False))


def _walk(value: Any, seen: set[int]) -> Iterator[Any]:
    if id(value) in seen:
        return
    seen.add(id(value))
    yield value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _walk(getattr(value, f.name), seen)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _walk(item, seen)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _walk(item, seen)


def test_the_declared_inputs_hold_no_computed_edition(inputs: dict[str, BriefInputs]) -> None:
    for brief in inputs.values():
        assert not [v for v in _walk(brief, set()) if isinstance(v, UNDECLARED)]


def test_the_builder_reads_nothing_but_its_inputs(
    inputs: dict[str, BriefInputs], result: EditionResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = {c: Digest().add("c", build_brief(i)).hexdigest() for c, i in inputs.items()}

    def forbidden(self: Any, name: str) -> Any:
        raise AssertionError(f"the brief builder read {type(self).__name__}.{name}")

    # If the builder reached the computed edition some other way (a global, a cache, a
    # closure), it would trip over one of these.
    for kind in UNDECLARED:
        monkeypatch.setattr(kind, "__getattribute__", forbidden)
    built = {c: Digest().add("c", build_brief(i)).hexdigest() for c, i in inputs.items()}
    monkeypatch.undo()
    assert built == expected
    # and it is the same brief as the one built from the edition directly
    labels = city_labels(result, False)
    direct = build_brief_context(result, "london", labels=labels)
    assert Digest().add("c", direct).hexdigest() == expected["london"]


def _perturbed(value: Any) -> Any:
    """The same kind of value, changed."""
    if isinstance(value, pd.DataFrame):
        changed = value.copy()
        first = changed.iloc[0, 0]
        numeric = pd.api.types.is_numeric_dtype(changed.dtypes.iloc[0])
        changed.iloc[0, 0] = first + 7 if numeric else f"{first}-changed"
        return changed
    if isinstance(value, np.ndarray):
        changed = value.astype(float).copy()
        changed.flat[0] = 7.0 if np.isnan(changed.flat[0]) else changed.flat[0] + 7
        return changed
    if isinstance(value, str):
        return value + "-changed"
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    if value is None:
        return 0.5
    if isinstance(value, tuple):
        if value and isinstance(value[0], str):
            return (value[0] + "-changed", *value[1:])
        return (*value, "extra") if not value else value[:-1]
    if isinstance(value, dict):
        first = next(iter(value))
        return {**value, first: dataclasses.replace(value[first], name="Changed")}
    if isinstance(value, Draft):  # words not made yet: change the words it makes
        return _perturbed(value.get())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        # a findings record: change its first text field
        name = next(
            f.name for f in dataclasses.fields(value) if isinstance(getattr(value, f.name), str)
        )
        return dataclasses.replace(value, **{name: getattr(value, name) + " changed"})
    if hasattr(value, "model_copy"):  # a pydantic model: change its first text field
        name = next(n for n, v in value if isinstance(v, str))
        return value.model_copy(update={name: getattr(value, name) + " changed"})
    raise TypeError(type(value))


@pytest.mark.parametrize("part", ["shared", "city"])
def test_every_declared_input_is_in_the_key(inputs: dict[str, BriefInputs], part: str) -> None:
    brief = inputs["london"]

    def key(shared: BriefShared, city: BriefCity) -> str:
        return brief_input_hashes(
            shared, {"london": city}, pdf_variant="pdf/ua-1", with_chinese=False
        )["london"]

    base = key(brief.shared, brief.city)
    target = getattr(brief, part)
    for name, changed in _each_field_changed(target):
        parts = {"shared": brief.shared, "city": brief.city, part: changed}
        assert key(parts["shared"], parts["city"]) != base, f"{part}.{name} is not keyed"


def _each_field_changed(inputs: Any) -> Iterator[tuple[str, Any]]:
    """``inputs`` with one (possibly nested) field changed at a time (derived fields, made
    by the record itself from the others, change with them)."""
    for f in dataclasses.fields(inputs):
        if not f.init:
            continue
        value = getattr(inputs, f.name)
        if f.name == "findings" and not value:
            continue
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            for name, inner in _each_field_changed(value):
                yield f"{f.name}.{name}", dataclasses.replace(inputs, **{f.name: inner})
        else:
            yield f.name, dataclasses.replace(inputs, **{f.name: _perturbed(value)})


def test_plan_keys_are_the_digests_of_the_declared_inputs(
    result: EditionResult, inputs: dict[str, BriefInputs], tmp_path: Path
) -> None:
    tasks = brief_tasks(result, tmp_path, list(inputs), pdf_variant="pdf/ua-1", with_chinese=False)
    shared = next(iter(inputs.values())).shared
    keys = brief_input_hashes(
        shared, {c: i.city for c, i in inputs.items()}, pdf_variant="pdf/ua-1", with_chinese=False
    )
    assert {t.name: t.input_hash for t in tasks} == keys


def test_leave_one_out_medians_match_a_direct_computation() -> None:
    rng = np.random.default_rng(3)
    block = rng.normal(size=(9, 5))
    block[rng.random(block.shape) < 0.3] = np.nan
    block[:, 4] = [1, 1, 2, 2, 2, np.nan, 3, 3, 1]  # ties
    got = leave_one_out_medians(block)
    for row in range(block.shape[0]):
        others = np.delete(block, row, axis=0)
        for column in range(block.shape[1]):
            values = others[:, column][np.isfinite(others[:, column])]
            want = np.median(values) if len(values) >= 3 else np.nan
            np.testing.assert_equal(got[row, column], want)
