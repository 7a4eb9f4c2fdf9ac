"""Cell parsers: the text of one cell of cities, indicators or observations to a typed value, or
a CellError saying what was found and what was expected."""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable
from typing import Any

ID_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"
_ID_RE = re.compile(ID_PATTERN)
_NUMBER_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_THOUSANDS_RE = re.compile(r"^[+-]?\d{1,3}([,\u00a0\u202f' ]\d{3})+(\.\d+)?$")
_DECIMAL_COMMA_RE = re.compile(r"^[+-]?\d+,\d+$")
_YEAR_RE = re.compile(r"^[+-]?\d+(\.0*)?$")
_MISSING_WORDS = frozenset({"nan", "na", "n/a", "null", "none", "-", "--", "?", "#n/a", ".."})
_INF_WORDS = frozenset({"inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"})


# --------------------------------------------------------------------------- cell parsers
# A parser turns the text of one cell into a typed value, or raises CellError saying what it
# found and what it expected. Empty cells never reach a parser: the column spec handles them.


class CellError(ValueError):
    """A cell's text cannot be read as its column's type."""

    def __init__(self, message: str, expected: str) -> None:
        super().__init__(message)
        self.message = message
        self.expected = expected


Parser = Callable[[str], Any]


def parse_id(text: str) -> str:
    if _ID_RE.match(text):
        return text
    if "/" in text or "\\" in text or ".." in text:
        message = "id contains a path separator or '..'; ids name output files"
    elif text.lower() != text:
        message = "id has upper-case letters"
    else:
        message = "invalid id"
    raise CellError(
        message,
        f"lower-case letters, digits, '_' or '-', starting with a letter or digit ({ID_PATTERN})",
    )


def parse_text(text: str) -> str:
    return text


def parse_number(text: str) -> float:
    """A finite decimal number written plainly (no thousands separators, units or words)."""
    if _NUMBER_RE.match(text):
        value = float(text)
        if math.isfinite(value):
            return value
        raise CellError("number too large", "a finite number")
    lowered = text.lower()
    plain = "a plain number such as 1234.5"
    if lowered in _INF_WORDS:
        raise CellError("not a finite number", "a finite number")
    if lowered in _MISSING_WORDS:
        raise CellError(
            "a missing-value marker is not a value",
            "a number (leave the row out if the value is missing)",
        )
    if _THOUSANDS_RE.match(text):
        digits = re.sub(r"[,\u00a0\u202f' ]", "", text)
        raise CellError(f"thousands separators are not allowed; write {digits}", plain)
    if _DECIMAL_COMMA_RE.match(text):
        raise CellError(f"decimal comma; write {text.replace(',', '.')}", plain)
    if text.endswith("%") and _NUMBER_RE.match(text[:-1].strip()):
        raise CellError(
            f"percent sign; write {text[:-1].strip()} and give the unit (%) in indicators.csv",
            plain,
        )
    raise CellError("not a number", plain)


def parse_non_negative(text: str) -> float:
    value = parse_number(text)
    if value < 0:
        raise CellError("negative number", "a number >= 0")
    return value


def parse_year(text: str) -> int:
    if not _YEAR_RE.match(text):
        raise CellError("not a whole year", "a year such as 2024")
    year = int(float(text))
    if not 1800 <= year <= 2200:
        raise CellError("implausible year", "a four-digit year such as 2024")
    return year


def parse_age(text: str) -> int:
    """A number of whole years, 0 or more (an indicator's maximum data age)."""
    if _YEAR_RE.match(text) and not text.startswith("-") and int(float(text)) <= 200:
        return int(float(text))
    raise CellError("not a whole number of years", "a whole number of years such as 5")


def parse_city_list(text: str) -> str:
    """City ids separated by ';' (the other members of a multi-city unit), kept as 'a;b'."""
    ids = [part.strip() for part in text.split(";")]
    if any(not part for part in ids):
        raise CellError(
            "empty city id in the list", "city ids separated by ';', e.g. shenzhen;guangzhou"
        )
    for part in ids:
        parse_id(part)
    if len(set(ids)) != len(ids):
        raise CellError("a city is listed twice", "each other member of the unit once")
    return ";".join(ids)


def parse_direction(text: str) -> int:
    if _NUMBER_RE.match(text) and float(text) in (1.0, -1.0):
        return int(float(text))
    raise CellError("invalid direction", "1 (higher is better) or -1 (lower is better)")


def choice(*choices: str) -> Parser:
    def parse(text: str) -> str:
        if text in choices:
            return text
        close = difflib.get_close_matches(text.lower(), choices, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise CellError(f"invalid value{hint}", " or ".join(repr(c) for c in choices))

    return parse


def latitude(text: str) -> float:
    value = parse_number(text)
    if not -90 <= value <= 90:
        raise CellError("latitude out of range", "a latitude between -90 and 90")
    return value


def longitude(text: str) -> float:
    value = parse_number(text)
    if not -180 <= value <= 180:
        raise CellError("longitude out of range", "a longitude between -180 and 180")
    return value


def iso3(text: str) -> str:
    if re.fullmatch(r"[A-Z]{3}", text):
        return text
    raise CellError("invalid country code", "a three-letter ISO 3166 code in capitals, e.g. HKG")
