"""Number formatting for print, registered as Jinja filters: templates never format."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any


def is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def score(value: Any, decimals: int = 1) -> str:
    """A 0-100 score: '72.4'; missing: an en dash."""
    if is_missing(value):
        return "–"
    text = f"{float(value):.{decimals}f}"
    # -0.04 rounds to "-0.0": print zero without a sign.
    return text[1:] if text.startswith("-") and float(text) == 0 else text


MAX_NAME = 40


def abbreviate(text: str, limit: int = MAX_NAME) -> str:
    """A name short enough for running text and table cells; the heading keeps the full one."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def rank(value: Any) -> str:
    if is_missing(value):
        return "–"
    return f"{int(value)}"


def ordinal(value: Any) -> str:
    if is_missing(value):
        return "–"
    n = int(value)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def number(value: Any, significant: int = 3) -> str:
    """A raw value as sourced: whole numbers from 100 up with thousands separators (153,180),
    3 significant digits below (0.59, 31.2), scientific notation when extreme (1.00e15)."""
    if is_missing(value):
        return "–"
    x = float(value)
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    if x == 0:
        return "0"
    magnitude = abs(x)
    if magnitude >= 1e12 or magnitude < 1e-4:
        mantissa, exponent = f"{x:.{significant - 1}e}".split("e")
        return f"{mantissa}e{int(exponent)}".replace("-", "−")
    if magnitude >= 10 ** (significant - 1):
        text = f"{x:,.0f}"
    else:
        decimals = significant - 1 - math.floor(math.log10(magnitude))
        text = f"{x:,.{max(decimals, 0)}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
    return text.replace("-", "−")


def signed(value: Any, decimals: int = 1) -> str:
    """A change: '+3.2', '−1.0', '0.0'."""
    if is_missing(value):
        return "–"
    x = float(value)
    if round(x, decimals) == 0:
        return f"{0:.{decimals}f}"
    return f"{x:+.{decimals}f}".replace("-", "−")


def signed_int(value: Any) -> str:
    if is_missing(value):
        return "–"
    n = int(value)
    return "0" if n == 0 else f"{n:+d}".replace("-", "−")


def percent(value: Any, decimals: int = 0) -> str:
    if is_missing(value):
        return "–"
    return f"{100 * float(value):.{decimals}f}%"


FILTERS: dict[str, Callable[..., str]] = {
    "score": score,
    "rank": rank,
    "ordinal": ordinal,
    "number": number,
    "signed": signed,
    "signed_int": signed_int,
    "percent": percent,
}


def join_words(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c': a list as running text."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def times(n: int) -> str:
    """'once', 'twice', 'three times', ..., '12 times'."""
    words = {1: "once", 2: "twice", 3: "three times", 4: "four times", 5: "five times"}
    return words.get(n, f"{n} times")
