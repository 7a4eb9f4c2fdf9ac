"""What a panel holds: each city's coverage of the scored indicators, the data years per pillar."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from reportgen.data.panel import Panel


def coverage(panel: Panel, indicator_ids: Sequence[str]) -> pd.DataFrame:
    """One row per city of the panel: ``observed`` values among `indicator_ids`, ``of`` (their
    number) and ``share`` (observed / of), in the panel's city order.

    A value bounded by a top-N list is not observed (the screen counts only values), so this is
    what the coverage screen (``dat_thresh``) judges; a city below it is removed from the index.
    """
    ids = list(dict.fromkeys(indicator_ids))
    values = panel.values.reindex(columns=ids)
    observed = values.notna().sum(axis=1).astype("int64")
    of = len(ids)
    share = observed / of if of else observed.astype("float64") * float("nan")
    return pd.DataFrame(
        {"observed": observed, "of": of, "share": share.astype("float64")},
        index=values.index.rename("city_id"),
    )


def screened_out(table: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """The rows of a coverage() table below `threshold` (the screen's dat_thresh)."""
    return table[table["share"] < threshold]


def data_years(panel: Panel, roles: Sequence[str] = ("index",)) -> pd.DataFrame:
    """Per pillar (in the panel's indicator order): the first and last year of the values used,
    the maximum data age allowed (the largest max_age of its indicators, NA when none is set)
    and the edition year's oldest allowed data year, for indicators with one of `roles`.

    The cover and the methodology state these years instead of the edition year.
    """
    indicators = panel.indicators
    chosen = indicators[indicators["role"].isin(list(roles))]
    rows = []
    for pillar, group in chosen.groupby("pillar", sort=False):
        ids = [i for i in group.index if i in panel.years.columns]
        years = panel.years[ids].where(panel.values[ids].notna())
        flat = pd.to_numeric(years.stack().dropna(), errors="coerce")
        ages = (
            pd.to_numeric(group["max_age"], errors="coerce").dropna()
            if "max_age" in group
            else pd.Series(dtype="float64")
        )
        max_age = int(ages.max()) if len(ages) else panel.max_age
        rows.append(
            {
                "pillar": pillar,
                "dimension": group["dimension"].iloc[0],
                "first_year": int(flat.min()) if len(flat) else pd.NA,
                "last_year": int(flat.max()) if len(flat) else pd.NA,
                "max_age": min(max_age, panel.max_age),
                "oldest_allowed": panel.year - min(max_age, panel.max_age),
            }
        )
    table = pd.DataFrame(
        rows,
        columns=["pillar", "dimension", "first_year", "last_year", "max_age", "oldest_allowed"],
    )
    for column in ("first_year", "last_year", "max_age", "oldest_allowed"):
        table[column] = table[column].astype("Int64")
    return table.set_index("pillar")
