"""Peer groups and peer medians: who a city is compared with; how censored values enter a median."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

BUILTIN_GROUPS: tuple[str, ...] = ("same_stage", "next_stage", "same_region", "top_n", "all")


@dataclass(frozen=True)
class PeerGroup:
    """A comparison group for one city; `members` never includes the city itself."""

    id: str
    name: str
    members: tuple[str, ...]


@dataclass(frozen=True)
class PeerMedian:
    """Median of the peers with data, as bounds when some peers are censored.

    A censored peer (absent from a top-N list) is no better than the list's last value. `value`
    enters censored peers at that value (their best case), `worst` at the worst possible value;
    the true median lies between them, and `exact` says they coincide. A gap is asserted against
    `worst`, a strength against `value`, so neither rests on a value a peer may not have.
    """

    value: float
    n: int
    n_censored: int
    exact: bool
    worst: float


def cell(frame: pd.DataFrame, row: Hashable, column: Hashable) -> float:
    """One cell as a float (NaN stays NaN)."""
    return float(cast(Any, frame.at[row, column]))


def flag(frame: pd.DataFrame, row: Hashable, column: Hashable) -> bool:
    return bool(cast(Any, frame.at[row, column]))


def median_or_nan(values: npt.ArrayLike) -> float:
    arr = np.asarray(values, dtype=float)
    arr = arr[~np.isnan(arr)]
    return float(np.median(arr)) if arr.size else float("nan")


def peer_median(
    values: npt.ArrayLike, censored: npt.ArrayLike | None = None, direction: float = 1.0
) -> PeerMedian:
    """Median of the non-missing values; censored ones bound it (see `PeerMedian`).

    `direction` is the indicator's: +1 when higher is better (a censored value may be as low as
    -inf), -1 when lower is better (ranks: a censored rank may be as high as +inf).
    """
    arr = np.asarray(values, dtype=float)
    cens = np.zeros(arr.shape, bool) if censored is None else np.asarray(censored, dtype=bool)
    keep = ~np.isnan(arr)
    arr, cens = arr[keep], cens[keep]
    n, k = int(arr.size), int(cens.sum())
    if n == 0:
        return PeerMedian(float("nan"), 0, 0, False, float("nan"))
    best = float(np.median(arr))
    if k == 0:
        return PeerMedian(best, n, 0, True, best)
    floor = -np.inf if direction >= 0 else np.inf
    worst = float(np.median(np.where(cens, floor, arr)))
    return PeerMedian(best, n, k, worst == best, worst)


def indicator_points(
    values: pd.DataFrame, directions: Mapping[str, float] | pd.Series
) -> pd.DataFrame:
    """Min-max rescaling of each indicator to 0-100 over the cities with a value, 100 = best.

    Used to compare cities on indicators whose ratios mean little (ranks, indices, growth rates);
    an indicator with a single distinct value yields NaN.
    """
    out = pd.DataFrame(np.nan, index=values.index, columns=values.columns, dtype=float)
    for indicator_id in values.columns:
        column = values[indicator_id].astype(float)
        lo, hi = column.min(), column.max()
        if not (np.isfinite(lo) and np.isfinite(hi)) or hi <= lo:
            continue
        scaled = (column - lo) / (hi - lo) * 100.0
        direction = float(directions.get(indicator_id, 1.0))
        out[indicator_id] = scaled if direction >= 0 else 100.0 - scaled
    return out


def resolve_group(
    group_id: str,
    city_id: str,
    *,
    stages: pd.DataFrame,
    cities: pd.DataFrame,
    ranks: pd.DataFrame,
    top_n: int,
    named: Mapping[str, tuple[str, Sequence[str]]],
) -> PeerGroup | None:
    """The members of `group_id` for `city_id`, the city excluded; None when it does not apply.

    `stages` is `assign_stages`' output; `named` maps a group id to (display name, member ids).
    """
    universe = [str(c) for c in stages.index]
    if group_id in ("same_stage", "next_stage"):
        if city_id not in stages.index:
            return None
        stage_id = str(stages.at[city_id, "stage_id"])
        name = str(stages.at[city_id, "stage_name"])
        if group_id == "next_stage":
            target = stages.at[city_id, "target_stage_id"]
            if isinstance(target, str) and target:
                stage_id, name = target, str(stages.at[city_id, "target_stage_name"])
        members = [c for c in universe if stages.at[c, "stage_id"] == stage_id]
    elif group_id == "same_region":
        if city_id not in cities.index or "region" not in cities.columns:
            return None
        region = cities.at[city_id, "region"]
        if not isinstance(region, str) or not region:
            return None
        name = region
        members = [c for c in universe if c in cities.index and cities.at[c, "region"] == region]
    elif group_id == "top_n":
        name = f"top-{top_n}"
        overall = ranks["Overall"].reindex(universe)
        members = [str(c) for c in overall.index[overall <= top_n]]
    elif group_id == "all":
        name = "all"
        members = universe
    elif group_id in named:
        name, listed = named[group_id]
        members = [str(c) for c in listed]
    else:
        raise KeyError(f"unknown peer group {group_id!r}")
    return PeerGroup(group_id, name, tuple(c for c in members if c != city_id))
