"""Values of a multi-city unit (one WIPO cluster for three cities): kept whole, split or dropped."""

from __future__ import annotations

import dataclasses
from typing import Literal, get_args

import numpy as np
import pandas as pd

from reportgen.data.panel import Panel
from reportgen.errors import MethodError

SharedMode = Literal["whole", "split", "drop"]
SHARED_MODES: tuple[str, ...] = get_args(SharedMode)

SPLIT_KEY = "population"  # cities.csv population (UN WUP 2018, 2020 column) and its source


def unit_members(shared_with: pd.DataFrame) -> pd.DataFrame:
    """city x indicator: the sorted member ids of the unit ('a;b;c', the city included), or NA."""
    members = pd.DataFrame(pd.NA, index=shared_with.index, columns=shared_with.columns, dtype="str")
    for (city, indicator), others in shared_with.stack().dropna().items():
        if isinstance(others, str) and others:
            ids = sorted({city, *others.split(";")})
            members.loc[city, indicator] = ";".join(ids)
    return members


def split_shares(shared_with: pd.DataFrame, population: pd.Series) -> pd.DataFrame:
    """city x indicator: the city's population share within its unit (NaN where not shared).

    A split by population is an estimate, not a measurement: nobody publishes the per-city split
    of a WIPO cluster. The shares of one unit sum to 1, so the cities' split values sum to the
    unit total and the unit is counted once.
    """
    shares = pd.DataFrame(np.nan, index=shared_with.index, columns=shared_with.columns)
    members = unit_members(shared_with)
    for (city, indicator), unit in members.stack().dropna().items():
        if not isinstance(unit, str):
            continue
        ids = unit.split(";")
        missing = [c for c in ids if c not in population.index or pd.isna(population.get(c))]
        if missing:
            raise MethodError(
                f"shared_values: split needs the population of every city sharing "
                f"{indicator!r} with {city!r}; none for {', '.join(missing)} (cities.csv "
                "population), or choose shared_values: whole or drop"
            )
        total = float(sum(float(population[c]) for c in ids))
        shares.loc[city, indicator] = float(population[city]) / total
    return shares


def apply_shared_values(panel: Panel, mode: str) -> Panel:
    """The panel with shared values treated as `mode` says.

    ``whole``: each city keeps the unit total (the unit counts once per member city).
    ``split``: each city gets the total times its population share in the unit (an estimate;
    its note says so). ``drop``: the value is missing, so the build imputes it like any gap.
    """
    if mode not in SHARED_MODES:
        choices = ", ".join(SHARED_MODES)
        raise MethodError(f"unknown shared_values {mode!r}; expected one of {choices}")
    shared = panel.shared
    if mode == "whole" or not shared.to_numpy().any():
        return dataclasses.replace(panel, shared_mode=mode)
    values = panel.values.copy()
    notes = panel.notes.copy()
    years = panel.years.copy()
    if mode == "drop":
        values = values.mask(shared)
        years = years.mask(shared)
    else:
        population = pd.to_numeric(panel.cities["population"], errors="coerce")
        shares = split_shares(panel.shared_with, population)
        for city, indicator in shares.stack().dropna().index:
            total = panel.values.loc[city, indicator]
            share = shares.loc[city, indicator]
            values.loc[city, indicator] = total * share
            old = notes.loc[city, indicator]
            prefix = f"{old}; " if isinstance(old, str) and old else ""
            notes.loc[city, indicator] = (
                f"{prefix}estimate: {share:.1%} of the unit total {total:,.0f}, the city's share "
                f"of the unit's {SPLIT_KEY} (shared_values: split)"
            )
    return dataclasses.replace(panel, values=values, notes=notes, years=years, shared_mode=mode)
