"""Plain-language description of a build, so the methodology chapter cannot disagree with it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reportgen.index import Build


@dataclass(frozen=True)
class StepText:
    title: str
    text: str


def _range(values: Any) -> str:
    lo, hi = values
    return f"{lo:g} to {hi:g}"


def _impute(spec: Any) -> StepText:
    method = spec.method
    how = {
        "mean": "the mean of the cities that report the indicator",
        "median": "the median of the cities that report the indicator",
        "group_mean": f"the mean of the reporting cities in the same {spec.group}",
        "group_median": f"the median of the reporting cities in the same {spec.group}",
        "none": "nothing: missing values stay missing and aggregation skips them",
    }.get(method, method)
    return StepText(
        "Missing values",
        f"Each missing value is replaced by {how}, indicator by indicator; observed values are "
        "never changed. A city below a published top-N ranking is known to rank below its last "
        "place, so its estimate is capped there. Every estimate is printed in italics and "
        "marked 'imp.' in the briefs, the spotlight and the exports.",
    )


def _screen(spec: Any) -> StepText:
    return StepText(
        "Coverage screen",
        f"A city is ranked only if it reports at least {spec.dat_thresh:.0%} of the scored "
        "indicators before imputation.",
    )


def _denominate(spec: Any) -> StepText:
    return StepText(
        "Scaling by size",
        "Indicators with a denominator are divided by it (for example by population, to read "
        f"per resident), with a scale factor of {spec.scale:g}.",
    )


def _treat(spec: Any) -> StepText:
    if spec.method == "winsorise":
        fallback = (
            "a logarithmic transformation of the original values"
            if spec.fallback == "log_ct"
            else "no further treatment"
        )
        text = (
            "An indicator whose distribution has absolute skewness of at least "
            f"{spec.skew_thresh:g} and kurtosis of at least {spec.kurt_thresh:g} is treated for "
            "outliers: the most "
            f"extreme value is moved to the next one, repeatedly, up to {spec.winmax} points, "
            f"until the indicator passes. If it still fails, {fallback} is used instead "
            "(the JRC/COINr rule)."
        )
    elif spec.method == "none":
        text = "No outlier treatment is applied."
    else:
        text = f"Outliers are treated with the {spec.method} transformation."
    return StepText("Outliers", text)


def _normalise(spec: Any) -> StepText:
    method = spec.method
    if method == "minmax":
        text = (
            f"Each indicator is rescaled to {_range(spec.range)} by min-max normalisation: "
            "the best city gets the top of the range and the weakest the bottom, after "
            "turning indicators where lower is better (ranks, prices, pollution) around."
        )
    elif method == "zscore":
        mean, sd = spec.mean_sd
        text = f"Each indicator is standardised to mean {mean:g} and standard deviation {sd:g}."
    elif method in ("rank", "borda", "percentile"):
        text = f"Each indicator is replaced by the cities' {method} positions."
    else:
        text = f"Each indicator is normalised by the {method} method."
    return StepText("Normalisation", text)


def _aggregate(spec: Any) -> StepText:
    method = {
        "arithmetic": "weighted arithmetic mean",
        "geometric": "weighted geometric mean",
        "harmonic": "weighted harmonic mean",
    }.get(spec.method, spec.method)
    return StepText(
        "Aggregation",
        f"Indicators are combined into pillars, pillars into the two dimensions and the two "
        f"dimensions into the overall score, each by a {method} with the weights of the "
        "framework table. Where a city lacks a component, the remaining weights are rescaled.",
    )


_DESCRIBERS = {
    "denominate": _denominate,
    "impute": _impute,
    "screen": _screen,
    "treat": _treat,
    "normalise": _normalise,
    "aggregate": _aggregate,
}


def describe_build(build: Build) -> list[StepText]:
    """One paragraph per step, in the order the steps run."""
    return [_DESCRIBERS[step.step](step) for step in build.steps]


def _parameter_text(value: object) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} → {_parameter_text(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_parameter_text(v) for v in value) + "]"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def build_rows(build: Build) -> list[tuple[str, str, str]]:
    """The build as run, one row per step: step, method and its other parameters in plain
    ``name = value`` form; exact, so a reader can re-run it, without printing YAML."""
    rows = []
    for step in build.to_list():
        # Unset options (empty lists and mappings, None) say nothing a reader needs.
        parameters = {
            k: v
            for k, v in step.items()
            if k not in ("step", "method") and v not in (None, {}, [], ())
        }
        rows.append(
            (
                str(step["step"]),
                str(step.get("method", "")),
                "; ".join(f"{k} = {_parameter_text(v)}" for k, v in parameters.items()) or "–",
            )
        )
    return rows
