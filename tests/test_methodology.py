"""The methodology text is generated from the build, so it follows every parameter change."""

from __future__ import annotations

from pathlib import Path

from reportgen.config import load_edition
from reportgen.index import Build
from reportgen.report.methodology import build_rows, describe_build

EDITION = Path(__file__).resolve().parent.parent / "data" / "edition.yaml"


def _build() -> Build:
    return load_edition(EDITION).build


def test_build_rows_print_every_parameter_of_every_step_without_yaml() -> None:
    build = _build().with_overrides({"treat.winmax": 4, "normalise.method": "zscore"})
    rows = build_rows(build)
    assert [r[0] for r in rows] == [s["step"] for s in build.to_list()]
    treat = next(r for r in rows if r[0] == "treat")
    assert treat[1] == "winsorise"
    assert "winmax = 4" in treat[2]
    normalise = next(r for r in rows if r[0] == "normalise")
    assert normalise[1] == "zscore"
    for row in rows:
        assert "{" not in row[2]  # no YAML or dict syntax
        assert ":" not in row[2]


def test_text_follows_the_parameters() -> None:
    base = {s.title: s.text for s in describe_build(_build())}
    assert "up to 3 points" in base["Outliers"]
    assert "0 to 100" in base["Normalisation"]
    assert "weighted arithmetic mean" in base["Aggregation"]
    assert "at least 50%" in base["Coverage screen"]

    changed = _build().with_overrides(
        {
            "treat.winmax": 5,
            "normalise.method": "zscore",
            "normalise.mean_sd": [10, 2],
            "aggregate.method": "geometric",
            "impute.method": "mean",
        }
    )
    text = {s.title: s.text for s in describe_build(changed)}
    assert "up to 5 points" in text["Outliers"]
    assert "mean 10 and standard deviation 2" in text["Normalisation"]
    assert "weighted geometric mean" in text["Aggregation"]
    assert "the mean of the cities" in text["Missing values"]


def test_steps_are_described_in_build_order() -> None:
    titles = [s.title for s in describe_build(_build())]
    assert titles == [
        "Coverage screen",
        "Missing values",
        "Outliers",
        "Normalisation",
        "Aggregation",
    ]
