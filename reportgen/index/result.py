"""The outcome of a build: every intermediate dataset, masks, treatment log, scores and ranks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from reportgen.index.framework import Framework, IndexData

if TYPE_CHECKING:
    from reportgen.index.build import Build

DATASET_NAMES: tuple[str, ...] = (
    "raw",
    "denominated",
    "imputed",
    "screened",
    "treated",
    "normalised",
    "aggregated",
)

_NAME_COLUMNS = ("uName", "name", "city_name", "unit_name")


def competition_ranks(scores: pd.DataFrame) -> pd.DataFrame:
    """Rank each column, 1 = highest score, ties at their minimum rank (COINr, ``ties="min"``).

    The dtype is int64, or nullable Int64 when some scores are missing (their rank is <NA>).
    """
    ranks = scores.rank(axis=0, method="min", ascending=False, na_option="keep")
    if ranks.isna().to_numpy().any():
        return ranks.astype("Int64")
    return ranks.astype(np.int64)


def _lineage_key(code: str) -> str:
    return code.casefold()


@dataclass(frozen=True, eq=False)
class IndexResult:
    """Everything a build produced; nothing downstream recomputes it."""

    datasets: Mapping[str, pd.DataFrame]
    imputed_mask: pd.DataFrame
    bound_limited_mask: pd.DataFrame
    treatment_log: pd.DataFrame
    removed_units: tuple[str, ...]
    scores: pd.DataFrame
    ranks: pd.DataFrame
    build: Build
    framework: Framework
    data: IndexData

    @property
    def aggregated(self) -> pd.DataFrame:
        return self.datasets["aggregated"]

    def level(self, n: int) -> pd.DataFrame:
        """Scores of every code at level ``n`` (1 = normalised indicators), metadata order."""
        return self.aggregated[list(self.framework.codes_at(n))]

    def score(self, code: str) -> pd.Series:
        return self.aggregated[code]

    def rank(self, code: str) -> pd.Series:
        """Rank of every unit on ``code`` (indicators included), 1 = best, ties at the minimum."""
        if code in self.ranks.columns:
            return self.ranks[code]
        return competition_ranks(self.aggregated[[code]])[code]

    def results_table(self, name_column: str | None = None) -> pd.DataFrame:
        """COINr's ``get_results(tab_type = "Full")``: uCode, uName, Rank, aggregates, indicators.

        Aggregates run from the top level down, each level ordered by parent; indicators follow
        their lineage (dimension, pillar, code, ignoring case). Rows are sorted by the top score,
        ties keeping their order. ``name_column`` is the unit attribute shown as ``uName``.
        """
        fw = self.framework
        top = fw.top
        aggregated = self.aggregated
        units = self.data.units.reindex(aggregated.index)
        name_col = name_column or next((c for c in _NAME_COLUMNS if c in units.columns), None)
        meta_pos = {c: i for i, c in enumerate(fw.meta.index)}
        aggregates: list[str] = []
        for level in range(fw.n_levels, 1, -1):
            codes = fw.codes_at(level)
            aggregates.extend(
                sorted(
                    codes,
                    key=lambda c: (_lineage_key(fw.parent(c) or ""), meta_pos[c]),
                )
            )
        lineage_levels = range(fw.n_levels - 1, 0, -1)
        indicators = sorted(
            fw.indicators,
            key=lambda c: tuple(_lineage_key(fw.ancestor(c, lv)) for lv in lineage_levels),
        )
        table = pd.DataFrame({"uCode": aggregated.index.astype(str)}, index=aggregated.index)
        if name_col is not None:
            table["uName"] = units[name_col]
        table["Rank"] = competition_ranks(aggregated[[top]])[top]
        table = pd.concat([table, aggregated[aggregates + indicators]], axis=1)
        order = np.argsort(-aggregated[top].to_numpy(dtype=float), kind="stable")
        return table.iloc[order].reset_index(drop=True)
