"""The city x indicator panel for one edition year: the latest recent observation of each pair."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from reportgen.data.load import Dataset


@dataclass(frozen=True, eq=False)  # frames don't compare with ==; identity does
class Panel:
    """City x indicator tables of one edition year, all with the same shape and labels.

    ``values`` (float, NaN where missing), ``years`` (Int64), ``sources`` and ``notes`` (str or
    NA) come from the chosen observation of each pair. ``bounds`` holds the indicator's
    list_threshold where a city has no value and the indicator is a top-N list (the city is
    below the list), NaN elsewhere. ``shared_with`` (str or NA) names the other cities of the
    multi-city unit a value belongs to ('a;b'), and ``shared`` is True where it is set; how such
    values enter the index is ``shared_mode`` (see ``apply_shared_values``). ``cities`` and
    ``indicators`` are the rows of the input tables for the cities and indicators with at least
    one value, indexed by id, in file order.
    """

    year: int
    max_age: int
    values: pd.DataFrame
    years: pd.DataFrame
    sources: pd.DataFrame
    notes: pd.DataFrame
    bounds: pd.DataFrame
    cities: pd.DataFrame
    indicators: pd.DataFrame
    shared_with: pd.DataFrame
    shared_mode: str = "whole"

    @property
    def shared(self) -> pd.DataFrame:
        """True where the value belongs to a multi-city unit (shared_with is set)."""
        return self.shared_with.notna() & self.shared_with.ne("")


def select_observations(dataset: Dataset, year: int, max_age: int) -> pd.DataFrame:
    """The observation chosen for each (city, indicator): the latest with year in
    [year - max_age, year]; of two rows with the same year, the later row in the file.

    An indicator's own ``max_age`` (indicators.csv) tightens the window for that indicator.
    """
    obs = dataset.observations
    own_age = (
        dataset.indicators.drop_duplicates("indicator_id")
        .set_index("indicator_id")["max_age"]
        .reindex(obs["indicator_id"])
        .to_numpy()
        if "max_age" in dataset.indicators
        else np.full(len(obs), np.nan)
    )
    ages = pd.Series(
        np.fmin(pd.to_numeric(own_age, errors="coerce").astype("float64"), float(max_age)),
        index=obs.index,
    )
    usable = (
        obs["year"].notna()
        & obs["value"].notna()
        & obs["city_id"].notna()
        & obs["indicator_id"].notna()
        & obs["year"].le(year)
        & obs["year"].ge(year - ages)
        & obs["city_id"].isin(dataset.cities["city_id"])
        & obs["indicator_id"].isin(dataset.indicators["indicator_id"])
    ).fillna(False)
    chosen = obs[usable.astype(bool)].sort_values("year", kind="stable")
    return chosen.drop_duplicates(["city_id", "indicator_id"], keep="last")


def make_panel(dataset: Dataset, year: int, max_age: int) -> Panel:
    """For each (city, indicator) the latest observation dated `year - max_age` to `year`."""
    chosen = select_observations(dataset, year, max_age)
    cities = dataset.cities.drop_duplicates("city_id")
    indicators = dataset.indicators.drop_duplicates("indicator_id")
    present_cities = set(chosen["city_id"])
    present_indicators = set(chosen["indicator_id"])
    city_ids = [c for c in cities["city_id"] if c in present_cities]
    indicator_ids = [i for i in indicators["indicator_id"] if i in present_indicators]
    row_index = pd.Index(city_ids, name="city_id", dtype="str")
    column_index = pd.Index(indicator_ids, name="indicator_id", dtype="str")

    def wide(column: str, dtype: Any) -> pd.DataFrame:
        table = chosen.pivot(index="city_id", columns="indicator_id", values=column)
        table = table.reindex(index=row_index, columns=column_index)
        return table.astype(dtype)

    values = wide("value", "float64")
    thresholds = indicators.set_index("indicator_id")["list_threshold"].reindex(column_index)
    bounds = pd.DataFrame(
        np.where(
            values.isna().to_numpy(), thresholds.to_numpy(dtype="float64")[np.newaxis, :], np.nan
        ),
        index=row_index,
        columns=column_index,
        dtype="float64",
    )
    return Panel(
        year=year,
        max_age=max_age,
        values=values,
        years=wide("year", "Int64"),
        sources=wide("source_url", "str"),
        notes=wide("note", "str"),
        bounds=bounds,
        cities=cities.reset_index().set_index("city_id").loc[city_ids],
        indicators=indicators.reset_index().set_index("indicator_id").loc[indicator_ids],
        shared_with=wide("shared_with", "str")
        if "shared_with" in chosen
        else pd.DataFrame(pd.NA, index=row_index, columns=column_index, dtype="str"),
    )
