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


def ordinal(value: Any, locale: str | None = None) -> str:
    """'11th'; with a Chinese locale '第 11 位' (the glossary's wording)."""
    if is_missing(value):
        return "–"
    n = int(value)
    if locale is not None and locale.startswith("zh"):
        return f"第 {n} 位"
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def number(value: Any, significant: int = 3, locale: str | None = None) -> str:
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
    return _localise_digits(text, locale).replace("-", "−")


def _localise_digits(text: str, locale: str | None) -> str:
    """Swap '1,234.5' to the locale's group and decimal symbols (unchanged without a locale)."""
    if locale is None:
        return text
    from babel.numbers import get_decimal_symbol, get_group_symbol

    group, decimal = get_group_symbol(locale), get_decimal_symbol(locale)
    if (group, decimal) == (",", "."):
        return text
    return text.replace(",", "\0").replace(".", decimal).replace("\0", group)


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


def percent(value: Any, decimals: int = 0, locale: str | None = None) -> str:
    if is_missing(value):
        return "–"
    if locale is not None:
        from babel.numbers import format_percent

        pattern = "#,##0" + ("." + "0" * decimals if decimals else "") + "%"
        return str(format_percent(float(value), pattern, locale=locale))
    return f"{100 * float(value):.{decimals}f}%"


def integer(value: int, locale: str | None = None) -> str:
    """A count with thousands separators: '1,000'."""
    if locale is not None:
        from babel.numbers import format_decimal

        return str(format_decimal(int(value), "#,##0", locale=locale))
    return f"{int(value):,}"


# Amounts in USD billions. Chinese counts money in 億 (10^8): USD 1.2 bn is 12 億美元. The
# wording is fixed once here and in reportgen/locale/glossary.yaml (currency).
USD_BN_PER_YI = 10


def usd_bn(value: Any, locale: str | None = None) -> str:
    """An amount given in USD billions: 'USD 1.2 bn'; in Chinese '12 億美元'."""
    if is_missing(value):
        return "–"
    if locale is not None and locale.startswith("zh"):
        return f"{number(float(value) * USD_BN_PER_YI, locale=locale)} 億美元"
    return f"USD {number(value, locale=locale)} bn"


def year(value: int, locale: str | None = None) -> str:
    """A year as running text prints it: '2026'; '2026 年' in Chinese."""
    if locale is not None and locale.startswith("zh"):
        return f"{int(value)} 年"
    return str(int(value))


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
