"""The rank-change marks the ranking table prints: ▲ gained, ▼ lost, = unchanged, new."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest

from reportgen.report.context.common import rank_change_text


def result_with(before: dict[str, int], now: dict[str, int]) -> Any:
    ranks_now = pd.DataFrame({"Overall": pd.Series(now)})
    ranks_before = pd.DataFrame({"Overall": pd.Series(before)})
    previous = SimpleNamespace(index=SimpleNamespace(ranks=ranks_before))
    return SimpleNamespace(ranks=ranks_now, previous=previous)


@pytest.mark.parametrize(
    ("before", "now", "expected"),
    [
        (5, 2, "▲ 3"),  # three places gained
        (2, 5, "▼ 3"),  # three places lost
        (4, 4, "="),
        (1, 2, "▼ 1"),
        (30, 1, "▲ 29"),
    ],
)
def test_rank_change_marks(before: int, now: int, expected: str) -> None:
    result = result_with({"a": before, "b": 99}, {"a": now, "b": 99})
    assert rank_change_text(result, "Overall", "a") == expected


def test_a_city_absent_last_edition_is_new_and_no_previous_edition_prints_nothing() -> None:
    result = result_with({"b": 1}, {"a": 1, "b": 2})
    assert rank_change_text(result, "Overall", "a") == "new"
    assert rank_change_text(SimpleNamespace(previous=None), "Overall", "a") == ""
