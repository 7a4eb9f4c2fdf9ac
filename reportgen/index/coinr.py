"""COINr interchange: read iData/iMeta tables into IndexData, write the Aggregated dataset."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from reportgen.errors import InputError, OutputError, Problem
from reportgen.index.framework import Framework, IndexData
from reportgen.index.result import IndexResult

_PANDAS_MAJOR = int(pd.__version__.split(".")[0])


def read_csv_exact(path: Path | str) -> pd.DataFrame:
    """Read a CSV so that 17-significant-digit doubles come back bit for bit."""
    # pandas 3 parses exactly by default and deprecates the option that did it before.
    if _PANDAS_MAJOR >= 3:
        return pd.read_csv(path)
    return pd.read_csv(path, float_precision="round_trip")


__all__ = [
    "coinr_aggregated",
    "default_level_names",
    "read_coinr",
    "read_csv_exact",
    "read_table",
    "write_coinr_aggregated",
]

_META_COLUMNS = {
    "iCode": "code",
    "iName": "name",
    "Level": "level",
    "Parent": "parent",
    "Weight": "weight",
    "Direction": "direction",
    "Denominator": "denominator",
    "Target": "target",
    "Unit": "unit",
    "Type": "type",
}


def read_table(path: Path | str, sheet: str | None = None) -> pd.DataFrame:
    """Read a CSV (exact doubles) or an XLSX sheet (``sheet`` if present, else the first one)."""
    path = Path(path)
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            with pd.ExcelFile(path) as book:
                names = [str(n) for n in book.sheet_names]
                chosen = sheet if sheet in names else names[0]
                return pd.read_excel(book, sheet_name=chosen)
        return read_csv_exact(path)
    except FileNotFoundError:
        raise InputError([Problem(str(path), "file not found")]) from None


def default_level_names(n_levels: int) -> tuple[str, ...]:
    """COINr requires level names; without them use Indicator, Level 2, ..., Index."""
    middle = tuple(f"Level {k}" for k in range(2, n_levels))
    return ("Indicator", *middle, "Index") if n_levels > 1 else ("Indicator",)


def read_coinr(
    idata_path: Path | str,
    imeta_path: Path | str,
    level_names: Sequence[str] | None = None,
) -> IndexData:
    """Read COINr's iData (uCode, uName, groups, denominators, indicators) and iMeta tables.

    Either may be a CSV or an XLSX workbook; ``level_names`` defaults to
    :func:`default_level_names`. Units are ordered by uCode, as COINr's ``new_coin`` does.
    """
    # One workbook may hold both tables as sheets named iData and iMeta.
    idata, imeta = read_table(idata_path, "iData"), read_table(imeta_path, "iMeta")
    source = str(imeta_path)
    missing = [
        c for c in ("iCode", "Level", "Parent", "Weight", "Direction", "Type") if c not in imeta
    ]
    if missing:
        raise InputError(
            [
                Problem(
                    source, "iMeta lacks columns", found=", ".join(missing), expected="COINr iMeta"
                )
            ]
        )
    if "uCode" not in idata.columns:
        raise InputError([Problem(str(idata_path), "iData has no uCode column")])
    meta = imeta.rename(columns=_META_COLUMNS)
    kinds = meta["type"].astype(str)
    structural = meta[kinds.isin(["Indicator", "Aggregate"])].copy()
    if "name" not in structural:
        structural["name"] = structural["code"]
    n_levels = int(pd.to_numeric(structural["level"]).max())
    framework = Framework.from_meta(
        structural.reset_index(drop=True), level_names or default_level_names(n_levels)
    )
    codes = list(framework.indicators)
    absent = [c for c in codes if c not in idata.columns]
    if absent:
        raise InputError(
            [Problem(str(idata_path), "iData lacks indicator columns", found=", ".join(absent))]
        )
    frame = idata.set_index(idata["uCode"].astype(str))
    # COINr's new_coin orders units by uCode; every dataset (and tie order in results) follows.
    ids = [str(u) for u in frame.index]
    frame = frame.iloc[sorted(range(len(ids)), key=lambda i: (ids[i].casefold(), ids[i]))]
    frame.index.name = "uCode"
    values = frame[codes].apply(pd.to_numeric, errors="coerce").astype(float)
    unit_columns = [c for c in frame.columns if c not in codes and c != "uCode"]
    return IndexData(values=values, units=frame[unit_columns], framework=framework)


def coinr_aggregated(result: IndexResult) -> pd.DataFrame:
    """The Aggregated dataset in COINr's layout: uCode, indicators, aggregates level by level."""
    table = result.aggregated.copy()
    table.insert(0, "uCode", table.index.astype(str))
    return table.reset_index(drop=True)


def write_coinr_aggregated(result: IndexResult, path: Path | str, format: str = "csv") -> Path:
    """Write :func:`coinr_aggregated` as csv (shortest exact doubles), xlsx or json."""
    path = Path(path)
    table = coinr_aggregated(result)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if format == "csv":
            table.to_csv(path, index=False)
        elif format == "xlsx":
            table.to_excel(path, index=False, sheet_name="Aggregated", freeze_panes=(1, 1))
        elif format == "json":
            table.to_json(path, orient="records", double_precision=15, indent=1)
        else:
            raise ValueError(f"unknown format {format!r}; valid: csv, xlsx, json")
    except OSError as err:
        raise OutputError(f"cannot write {path}: {err.strerror or err}") from None
    return path
