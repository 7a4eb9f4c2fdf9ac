"""The index hierarchy (indicators, pillars, dimensions, index) and the data it is computed on."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from reportgen.errors import InputError, Problem

_REQUIRED = ("code", "name", "level", "parent", "weight", "direction")
_SOURCE = "framework"


def _blank(value: Any) -> bool:
    return value is None or value == "" or bool(pd.isna(value))


def _codes(values: Any, index: pd.Index) -> pd.Series:
    # Object dtype keeps None as None (a str column would turn it back into NaN).
    return pd.Series([None if _blank(v) else str(v) for v in values], index=index, dtype=object)


def _code_sort_key(code: str) -> tuple[str, str]:
    # R sorts factor levels in the locale's collation, which ignores case first.
    return (code.casefold(), code)


@dataclass(frozen=True, eq=False)
class Framework:
    """A validated hierarchy of codes; level 1 holds indicators, the top level one code.

    ``meta`` is indexed by code, in the order given, with at least the columns
    ``name, level, parent, weight, direction`` (direction is NaN above level 1) and optionally
    ``denominator`` and ``target``.
    """

    meta: pd.DataFrame
    level_names: tuple[str, ...]
    _lookup: _Lookup = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # Plain-Python lookups built once: a build asks for these on every run.
        object.__setattr__(self, "_lookup", _Lookup.of(self.meta))

    @classmethod
    def from_meta(cls, meta: pd.DataFrame, level_names: Sequence[str]) -> Framework:
        """Validate a metadata table (one row per code) into a Framework."""
        problems: list[Problem] = []
        missing = [c for c in _REQUIRED if c not in meta.columns]
        if missing:
            raise InputError(
                [
                    Problem(
                        _SOURCE,
                        "framework table lacks required columns",
                        found=", ".join(missing),
                        expected=", ".join(_REQUIRED),
                    )
                ]
            )
        table = meta.copy()
        table["code"] = table["code"].astype(str)
        duplicated = table["code"][table["code"].duplicated()].unique()
        for code in duplicated:
            problems.append(
                Problem(_SOURCE, "code appears more than once", column="code", found=code)
            )
        if problems:
            raise InputError(problems)
        table = table.set_index("code")
        table.index.name = "code"
        table["level"] = pd.to_numeric(table["level"], errors="coerce")
        table["weight"] = pd.to_numeric(table["weight"], errors="coerce").astype(float)
        table["direction"] = pd.to_numeric(table["direction"], errors="coerce").astype(float)
        table["parent"] = _codes(table["parent"], table.index)
        for optional in ("denominator", "target"):
            if optional not in table.columns:
                table[optional] = np.nan if optional == "target" else None
        table["target"] = pd.to_numeric(table["target"], errors="coerce").astype(float)
        table["denominator"] = _codes(table["denominator"], table.index)

        levels = table["level"]
        if levels.isna().any() or (levels % 1 != 0).any():
            for code in table.index[levels.isna() | (levels % 1 != 0)]:
                problems.append(
                    Problem(_SOURCE, "level must be a whole number", column="level", found=code)
                )
            raise InputError(problems)
        table["level"] = levels.astype(int)
        n_levels = int(table["level"].max())
        present = set(table["level"])
        if present != set(range(1, n_levels + 1)):
            problems.append(
                Problem(
                    _SOURCE,
                    "levels must run from 1 without gaps",
                    found=str(sorted(present)),
                    expected=f"1..{n_levels}",
                )
            )
        if len(level_names) != n_levels:
            problems.append(
                Problem(
                    _SOURCE,
                    "one level name per level is needed",
                    found=str(list(level_names)),
                    expected=f"{n_levels} names",
                )
            )
        top = table.index[table["level"] == n_levels]
        if len(top) != 1:
            problems.append(
                Problem(_SOURCE, "the top level must hold a single code", found=", ".join(top))
            )
        for code, row in table.iterrows():
            level, parent = int(row["level"]), row["parent"]
            if level < n_levels:
                if parent is None:
                    problems.append(Problem(_SOURCE, "code has no parent", found=str(code)))
                elif parent not in table.index:
                    problems.append(
                        Problem(_SOURCE, "parent is not a code", column="parent", found=parent)
                    )
                elif table.at[parent, "level"] != level + 1:
                    problems.append(
                        Problem(
                            _SOURCE,
                            f"parent of {code} must sit one level up",
                            column="parent",
                            found=parent,
                        )
                    )
            if not np.isfinite(row["weight"]) or row["weight"] < 0:
                problems.append(
                    Problem(
                        _SOURCE, "weight must be a number ≥ 0", column="weight", found=str(code)
                    )
                )
            if level == 1 and row["direction"] not in (1.0, -1.0):
                problems.append(
                    Problem(
                        _SOURCE,
                        f"direction of {code} must be 1 or -1",
                        column="direction",
                        found=str(row["direction"]),
                    )
                )
        for code in table.index[table["level"] > 1]:
            if not (table["parent"] == code).any():
                problems.append(Problem(_SOURCE, "aggregate has no children", found=str(code)))
        if problems:
            raise InputError(problems)
        table.loc[table["level"] > 1, "direction"] = np.nan
        return cls(meta=table, level_names=tuple(level_names))

    @property
    def n_levels(self) -> int:
        return len(self.level_names)

    @property
    def indicators(self) -> tuple[str, ...]:
        """Indicator codes in metadata order."""
        return self.codes_at(1)

    @property
    def aggregates(self) -> tuple[str, ...]:
        """Codes above level 1 in COINr's Aggregated column order (level by level, sorted)."""
        return tuple(
            c for level in range(2, self.n_levels + 1) for c in self.aggregation_order(level)
        )

    @property
    def top(self) -> str:
        return self.codes_at(self.n_levels)[0]

    def codes_at(self, level: int) -> tuple[str, ...]:
        """Codes at one level, in metadata order."""
        return self._lookup.by_level.get(level, ())

    def aggregation_order(self, level: int) -> tuple[str, ...]:
        """Codes at ``level`` in the order COINr writes them: sorted by code (case-insensitive)."""
        codes = self.codes_at(level)
        return codes if level == 1 else tuple(sorted(codes, key=_code_sort_key))

    def children(self, code: str) -> tuple[str, ...]:
        return self._lookup.children[code]

    def parent(self, code: str) -> str | None:
        return self._lookup.parent[code]

    def level_of(self, code: str) -> int:
        return self._lookup.level[code]

    def ancestor(self, code: str, level: int) -> str:
        """The code at ``level`` above ``code`` (``code`` itself at its own level)."""
        current = code
        while self.level_of(current) < level:
            parent = self.parent(current)
            if parent is None:
                raise KeyError(f"{code} has no ancestor at level {level}")
            current = parent
        return current

    @property
    def weights(self) -> pd.Series:
        return self.meta["weight"].copy()

    @property
    def direction(self) -> pd.Series:
        return pd.Series(self._lookup.direction, index=list(self.indicators), name="direction")

    @property
    def targets(self) -> pd.Series:
        return pd.Series(self._lookup.target, index=list(self.indicators), name="target")

    @property
    def denominators(self) -> pd.Series:
        """Denominator column per indicator (None where the indicator is not divided)."""
        return pd.Series(self._lookup.denominator, dtype=object, name="denominator")

    def denominator_map(self) -> Mapping[str, str | None]:
        """Indicator -> denominator unit column (None where the indicator is not divided)."""
        return self._lookup.denominator

    def direction_array(self) -> np.ndarray:
        """Directions (+1/-1) of the indicators in :attr:`indicators` order (read-only)."""
        return self._lookup.direction

    def target_array(self) -> np.ndarray:
        """Targets of the indicators in :attr:`indicators` order (NaN where none; read-only)."""
        return self._lookup.target

    def with_weights(self, mapping: Mapping[str, float]) -> Framework:
        """A new Framework with some weights replaced."""
        unknown = [c for c in mapping if c not in self.meta.index]
        if unknown:
            raise InputError(
                [Problem(_SOURCE, "weight given for an unknown code", found=", ".join(unknown))]
            )
        meta = self.meta.copy()
        for code, weight in mapping.items():
            meta.at[code, "weight"] = float(weight)
        return Framework(meta=meta, level_names=self.level_names)

    def weight_matrix(self, level: int, weights: Mapping[str, float] | None = None) -> np.ndarray:
        """(parents at ``level``, codes at ``level - 1``) matrix of child weights, 0 off-family.

        Parents are in :meth:`aggregation_order`; children in metadata order at the level below.
        ``weights`` replaces some codes' framework weights. The result is read-only.
        """
        if not weights and level in self._lookup.matrices:
            return self._lookup.matrices[level]
        parents = self.aggregation_order(level)
        below = self.codes_at(level - 1)
        column = {c: i for i, c in enumerate(below)}
        w = self._lookup.weight
        matrix = np.zeros((len(parents), len(below)))
        for row, parent in enumerate(parents):
            for child in self.children(parent):
                value = weights[child] if weights and child in weights else w[child]
                matrix[row, column[child]] = float(value)
        matrix.setflags(write=False)
        if not weights:
            self._lookup.matrices[level] = matrix
        return matrix


@dataclass(frozen=True)
class _Lookup:
    """Framework facts as dicts and arrays (cheap to read in a hot loop)."""

    by_level: dict[int, tuple[str, ...]]
    children: dict[str, tuple[str, ...]]
    parent: dict[str, str | None]
    level: dict[str, int]
    weight: dict[str, float]
    direction: np.ndarray
    target: np.ndarray
    denominator: dict[str, str | None]
    matrices: dict[int, np.ndarray]

    @classmethod
    def of(cls, meta: pd.DataFrame) -> _Lookup:
        codes = [str(c) for c in meta.index]
        level = dict(zip(codes, (int(v) for v in meta["level"]), strict=True))
        parent = dict(zip(codes, meta["parent"], strict=True))
        children: dict[str, list[str]] = {code: [] for code in codes}
        for code, up in parent.items():
            if up is not None:
                children[up].append(code)
        by_level: dict[int, list[str]] = {}
        for code in codes:
            by_level.setdefault(level[code], []).append(code)
        indicators = by_level.get(1, [])
        rows = meta.loc[indicators]
        direction = rows["direction"].to_numpy(dtype=float, copy=True)
        target = (
            rows["target"].to_numpy(dtype=float, copy=True)
            if "target" in rows
            else np.full(len(indicators), np.nan)
        )
        direction.setflags(write=False)
        target.setflags(write=False)
        denominator = (
            dict(zip(indicators, rows["denominator"], strict=True))
            if "denominator" in rows
            else dict.fromkeys(indicators)
        )
        return cls(
            by_level={k: tuple(v) for k, v in by_level.items()},
            children={k: tuple(v) for k, v in children.items()},
            parent=parent,
            level=level,
            weight=dict(zip(codes, (float(w) for w in meta["weight"]), strict=True)),
            direction=direction,
            target=target,
            denominator=denominator,
            matrices={},
        )


@dataclass(frozen=True, eq=False)
class IndexData:
    """Indicator values per unit plus unit attributes, on a framework.

    ``bounds`` (optional, same shape as ``values``): at a missing cell, a finite value means the
    true value is known to be no better than it in the indicator's direction; imputation never
    goes past it.
    """

    values: pd.DataFrame
    units: pd.DataFrame
    framework: Framework
    bounds: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        missing = [c for c in self.framework.indicators if c not in self.values.columns]
        if missing:
            problems.append(
                Problem(
                    "data", "indicators of the framework have no column", found=", ".join(missing)
                )
            )
        if not self.values.index.is_unique:
            problems.append(Problem("data", "unit ids must be unique"))
        if not self.units.index.equals(self.values.index) and not set(self.values.index) <= set(
            self.units.index
        ):
            problems.append(Problem("data", "every unit with values needs a row in units"))
        if self.bounds is not None and not (
            self.bounds.index.equals(self.values.index)
            and set(self.framework.indicators) <= set(self.bounds.columns)
        ):
            problems.append(
                Problem("data", "bounds must have the same units and indicators as values")
            )
        if problems:
            raise InputError(problems)
        codes = list(self.framework.indicators)
        object.__setattr__(self, "values", self.values[codes].astype(float))
        if not self.units.index.equals(self.values.index):
            object.__setattr__(self, "units", self.units.loc[self.values.index])
        if self.bounds is not None:
            object.__setattr__(self, "bounds", self.bounds[codes].astype(float))
