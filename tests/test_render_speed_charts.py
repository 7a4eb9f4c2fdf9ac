"""The chart shortcuts taken for render speed give the specs Altair's own path gives."""

from __future__ import annotations

import math
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import pytest
from altair.utils.data import to_values
from test_charts import BUILDERS

from reportgen.report import charts


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_every_builder_spec_is_valid_vega_lite(name: str) -> None:
    # Builders skip Altair's per-object schema check (charts._unchecked); the whole spec is
    # checked here instead, so a wrong property still fails a test.
    chart = BUILDERS[name]()
    chart.to_dict(validate=True)


def mixed_frame() -> pd.DataFrame:
    index = pd.Index([10, 11, 12, 13])  # the index is not data
    return pd.DataFrame(
        {
            "label": pd.Series(["Zürich", None, "São Paulo", "北京"], index=index, dtype="str"),
            "objects": pd.Series(["a", None, float("nan"), 3], index=index, dtype=object),
            "score": [1.5, float("nan"), math.inf, -math.inf],
            "rank": np.array([1, 2, 3, 4], dtype=np.int64),
            "small": np.array([1, 2, 3, 4], dtype=np.uint8),
            "flag": [True, False, True, False],
        },
        index=index,
    )


def test_inline_values_are_the_records_altair_makes() -> None:
    frame = mixed_frame()
    ours = charts.inline_values(frame)
    theirs = to_values(frame)
    assert list(ours["values"]) == theirs["values"]
    first, second = ours["values"][0], ours["values"][1]
    assert first == {
        "label": "Zürich",
        "objects": "a",
        "score": 1.5,
        "rank": 1,
        "small": 1,
        "flag": True,
    }
    assert second["label"] is None
    assert second["objects"] is None
    assert second["score"] is None
    assert ours["values"][2]["objects"] is None  # NaN in an object column
    assert [row["score"] for row in ours["values"]] == [1.5, None, None, None]
    # Plain Python scalars, so the spec serialises to JSON and pickles without numpy.
    assert {type(v) for row in ours["values"] for v in row.values()} == {
        str,
        float,
        int,
        bool,
        type(None),
    }


def test_inline_values_hands_unusual_frames_to_altair() -> None:
    dated = pd.DataFrame({"when": pd.to_datetime(["2026-01-02", "2026-03-04"])})
    assert list(charts.inline_values(dated)["values"]) == to_values(dated)["values"]
    categorical = pd.DataFrame({"stage": pd.Categorical(["a", None, "b"])})
    assert list(charts.inline_values(categorical)["values"]) == to_values(categorical)["values"]


def test_a_chart_over_inline_values_has_the_spec_of_a_chart_over_the_frame() -> None:
    frame = mixed_frame().drop(columns="objects")

    def chart(data: Any) -> Any:
        return (
            alt.Chart(data)
            .mark_point()
            .encode(x=alt.X("score:Q"), y=alt.Y("label:N"), color=alt.Color("flag:N"))
        )

    layered_ours = charts._layered([chart(charts.inline_values(frame))], width=100)
    layered_theirs = alt.layer(chart(frame)).properties(width=100)
    assert charts.chart_spec(layered_ours) == layered_theirs.to_dict(validate=False)
    # and the datasets are lists again, as Altair writes them
    spec = charts.chart_spec(layered_ours)
    assert all(isinstance(rows, list) for rows in spec["datasets"].values())


def test_house_style_config_is_what_the_configure_calls_gave() -> None:
    frame = pd.DataFrame({"x": [1.0, 2.0]})
    ours = charts._config(alt.Chart(frame).mark_point().encode(x="x:Q"))
    font = charts.chart_font()
    theirs = (
        alt.Chart(frame)
        .mark_point()
        .encode(x="x:Q")
        .configure(font=font, background="white", padding=4)
        .configure_view(stroke=None)
        .configure_title(font=font, fontSize=12, fontWeight="bold", anchor="start")
    )
    config = charts.chart_spec(ours)["config"]
    expected = theirs.to_dict(validate=False)["config"]
    assert (
        config["view"]
        == expected["view"]
        == {
            "continuousWidth": 300,
            "continuousHeight": 300,
            "stroke": None,
        }
    )
    assert {k: config[k] for k in ("font", "background", "padding")} == {
        "font": font,
        "background": "white",
        "padding": 4,
    }
    assert config["axis"]["labelFontSize"] == 9
    assert config["legend"]["orient"] == "bottom"
