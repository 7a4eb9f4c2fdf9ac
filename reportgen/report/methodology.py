"""Plain-language description of a build, so the methodology chapter cannot disagree with it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reportgen.index import Build
from reportgen.report.i18n import ENGLISH, Translator


@dataclass(frozen=True)
class StepText:
    title: str
    text: str


def _range(values: Any, tr: Translator = ENGLISH) -> str:
    lo, hi = values
    return tr.gettext("{low} to {high}").format(low=f"{lo:g}", high=f"{hi:g}")


def _impute(spec: Any, tr: Translator) -> StepText:
    _ = tr.gettext
    method = spec.method
    how = {
        "mean": _("the mean of the cities that report the indicator"),
        "median": _("the median of the cities that report the indicator"),
        "group_mean": _("the mean of the reporting cities in the same {group}"),
        "group_median": _("the median of the reporting cities in the same {group}"),
        "none": _("nothing: missing values stay missing and aggregation skips them"),
    }.get(method, method)
    return StepText(
        _("Missing values"),
        _(
            "Each missing value is replaced by {how}, indicator by indicator; observed values "
            "are never changed. A city below a published top-N ranking is known to rank below "
            "its last place, so its estimate is capped there. Every estimate is printed in "
            "italics and marked 'imp.' in the briefs, the spotlight and the exports."
        ).format(how=how.format(group=getattr(spec, "group", ""))),
    )


def _screen(spec: Any, tr: Translator) -> StepText:
    _ = tr.gettext
    return StepText(
        _("Coverage screen"),
        _(
            "A city is ranked only if it reports at least {share} of the scored indicators "
            "before imputation."
        ).format(share=tr.percent(spec.dat_thresh)),
    )


def _denominate(spec: Any, tr: Translator) -> StepText:
    _ = tr.gettext
    return StepText(
        _("Scaling by size"),
        _(
            "Indicators with a denominator are divided by it (for example by population, to "
            "read per resident), with a scale factor of {scale}."
        ).format(scale=f"{spec.scale:g}"),
    )


def _treat(spec: Any, tr: Translator) -> StepText:
    _ = tr.gettext
    if spec.method == "winsorise":
        fallback = (
            _("a logarithmic transformation of the original values")
            if spec.fallback == "log_ct"
            else _("no further treatment")
        )
        text = _(
            "An indicator whose distribution has absolute skewness of at least {skew} and "
            "kurtosis of at least {kurt} is treated for outliers: the most extreme value is "
            "moved to the next one, repeatedly, up to {points} points, until the indicator "
            "passes. If it still fails, {fallback} is used instead (the JRC/COINr rule)."
        ).format(
            skew=f"{spec.skew_thresh:g}",
            kurt=f"{spec.kurt_thresh:g}",
            points=spec.winmax,
            fallback=fallback,
        )
    elif spec.method == "none":
        text = _("No outlier treatment is applied.")
    else:
        text = _("Outliers are treated with the {method} transformation.").format(
            method=spec.method
        )
    return StepText(_("Outliers"), text)


def _normalise(spec: Any, tr: Translator) -> StepText:
    _ = tr.gettext
    method = spec.method
    if method == "minmax":
        text = _(
            "Each indicator is rescaled to {range} by min-max normalisation: the best city gets "
            "the top of the range and the weakest the bottom, after turning indicators where "
            "lower is better (ranks, prices, pollution) around."
        ).format(range=_range(spec.range, tr))
    elif method == "zscore":
        mean, sd = spec.mean_sd
        text = _(
            "Each indicator is standardised to mean {mean} and standard deviation {sd}."
        ).format(mean=f"{mean:g}", sd=f"{sd:g}")
    elif method in ("rank", "borda", "percentile"):
        text = _("Each indicator is replaced by the cities' {method} positions.").format(
            method=method
        )
    else:
        text = _("Each indicator is normalised by the {method} method.").format(method=method)
    return StepText(_("Normalisation"), text)


def _aggregate(spec: Any, tr: Translator) -> StepText:
    _ = tr.gettext
    method = {
        "arithmetic": _("weighted arithmetic mean"),
        "geometric": _("weighted geometric mean"),
        "harmonic": _("weighted harmonic mean"),
    }.get(spec.method, spec.method)
    return StepText(
        _("Aggregation"),
        _(
            "Indicators are combined into pillars, pillars into the two dimensions and the two "
            "dimensions into the overall score, each by a {method} with the weights of the "
            "framework table. Where a city lacks a component, the remaining weights are "
            "rescaled."
        ).format(method=method),
    )


_DESCRIBERS = {
    "denominate": _denominate,
    "impute": _impute,
    "screen": _screen,
    "treat": _treat,
    "normalise": _normalise,
    "aggregate": _aggregate,
}


def describe_build(build: Build, tr: Translator = ENGLISH) -> list[StepText]:
    """One paragraph per step, in the order the steps run, in ``tr``'s language."""
    return [_DESCRIBERS[step.step](step, tr) for step in build.steps]


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
