"""Peer groups and peer medians: who a city is compared with; how censored values enter a median."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

BUILTIN_GROUPS: tuple[str, ...] = ("same_stage", "next_stage", "same_region", "top_n", "all")


@dataclass(frozen=True)
class PeerGroup:
    """A comparison group for one city: a pool of cities, less the city itself.

    `pool` is one tuple shared by every city whose group is drawn the same way (a stage's
    members, the top ten), named by `pool_id`: a stage of thousands of cities is held once,
    not once per member, and cities sharing a pool share one sort of their values.
    """

    id: str
    name: str
    pool: tuple[str, ...]
    pool_id: str = ""
    city_id: str | None = None

    @property
    def members(self) -> tuple[str, ...]:
        """The peers: the pool without the city itself."""
        return tuple(m for m in self.pool if m != self.city_id)

    @property
    def pool_key(self) -> str:
        """Names the pool: cities with the same key share it (a group made without a pool id
        shares with no one)."""
        return self.pool_id or f"{self.id}@{self.city_id}"


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
    For many cities, build a `PeerIndex` once instead (this builds one per call).
    """
    return PeerIndex(stages, cities, ranks, top_n, named).group(group_id, city_id)


def resolve_groups(
    group_id: str,
    city_ids: Sequence[str],
    *,
    stages: pd.DataFrame,
    cities: pd.DataFrame,
    ranks: pd.DataFrame,
    top_n: int,
    named: Mapping[str, tuple[str, Sequence[str]]],
) -> dict[str, PeerGroup | None]:
    """`resolve_group` for many cities at once: the columns are read once, not per city."""
    index = PeerIndex(stages, cities, ranks, top_n, named)
    return {city_id: index.group(group_id, city_id) for city_id in city_ids}


class PeerIndex:
    """The columns peer groups are drawn from, read as numpy arrays on first use and kept: a
    group is then one array comparison over the cities (O(cities), no per-city pandas lookups).
    """

    def __init__(
        self,
        stages: pd.DataFrame,
        cities: pd.DataFrame,
        ranks: pd.DataFrame,
        top_n: int,
        named: Mapping[str, tuple[str, Sequence[str]]],
    ) -> None:
        self.stages, self.cities, self.ranks = stages, cities, ranks
        self.top_n, self.named = top_n, named
        self._pools: dict[str, tuple[str, ...]] = {}

    # numpy object arrays: pandas' string arrays compare an order of magnitude slower.
    @cached_property
    def universe(self) -> npt.NDArray[np.object_]:
        return self.stages.index.astype(str).to_numpy(dtype=object)

    @cached_property
    def stage_id(self) -> npt.NDArray[np.object_]:
        return self.stages["stage_id"].to_numpy(dtype=object)

    @cached_property
    def region(self) -> npt.NDArray[np.object_]:
        return self.cities["region"].reindex(self.stages.index).to_numpy(dtype=object)

    def group(self, group_id: str, city_id: str) -> PeerGroup | None:
        """The members of `group_id` for `city_id`, the city excluded (see `resolve_group`)."""
        chosen = self._choice(group_id, city_id)
        if chosen is None:
            return None
        name, selector = chosen
        pool_id = f"{group_id}:{selector}"
        if pool_id not in self._pools:  # one tuple per pool, shared by every city drawn from it
            self._pools[pool_id] = tuple(self._pool_members(group_id, selector).tolist())
        return PeerGroup(group_id, name, self._pools[pool_id], pool_id, city_id)

    def _choice(self, group_id: str, city_id: str) -> tuple[str, str] | None:
        """(the group's display name, what selects its pool) for this city; None if it does
        not apply."""
        stages, cities = self.stages, self.cities
        if group_id in ("same_stage", "next_stage"):
            if city_id not in stages.index:
                return None
            stage_id = str(stages.at[city_id, "stage_id"])
            name = str(stages.at[city_id, "stage_name"])
            if group_id == "next_stage":
                target = stages.at[city_id, "target_stage_id"]
                if isinstance(target, str) and target:
                    stage_id, name = target, str(stages.at[city_id, "target_stage_name"])
            return name, stage_id
        if group_id == "same_region":
            if city_id not in cities.index or "region" not in cities.columns:
                return None
            region = cities.at[city_id, "region"]
            if not isinstance(region, str) or not region:
                return None
            return region, region
        if group_id == "top_n":
            return f"top-{self.top_n}", str(self.top_n)
        if group_id == "all":
            return "all", "all"
        if group_id in self.named:
            return self.named[group_id][0], group_id
        raise KeyError(f"unknown peer group {group_id!r}")

    def _pool_members(self, group_id: str, selector: str) -> npt.NDArray[np.object_]:
        if group_id in ("same_stage", "next_stage"):
            return self.universe[self.stage_id == selector]
        if group_id == "same_region":
            return self.universe[self.region == selector]
        if group_id == "top_n":
            # The index is the framework's top level: the last column of the engine's ranks.
            overall = self.ranks.iloc[:, -1].reindex(self.stages.index).to_numpy(dtype=float)
            return self.universe[overall <= self.top_n]  # NaN compares False
        if group_id == "all":
            return self.universe
        return np.asarray([str(c) for c in self.named[group_id][1]], dtype=object)
