"""Phrases several publications print, built from settings so the words follow the numbers."""

from __future__ import annotations

from reportgen.formatting import ordinal
from reportgen.index.uncertainty import UncertaintySpec
from reportgen.report.i18n import ENGLISH, Translator


def quantiles(spec: UncertaintySpec) -> tuple[float, float]:
    """The lower and upper quantile of the printed rank intervals."""
    low, high = spec.quantiles
    return float(low), float(high)


def interval_label(spec: UncertaintySpec) -> str:
    """'5–95%': the interval's quantiles as a table head prints them."""
    return spec.interval_label.replace("-", "–")


def interval_words(spec: UncertaintySpec, tr: Translator = ENGLISH) -> str:
    """'5th to 95th percentile': the interval's quantiles in running text."""
    low, high = quantiles(spec)
    if not tr.is_source:
        return tr.gettext("{low}th to {high}th percentile").format(
            low=f"{low * 100:g}", high=f"{high * 100:g}"
        )
    return f"{ordinal(low * 100)} to {ordinal(high * 100)} percentile"
