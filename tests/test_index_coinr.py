"""COINr interchange: iData/iMeta in, the Aggregated dataset out, equal to COINr's file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from reportgen.errors import InputError
from reportgen.index import Build, run
from reportgen.index.coinr import (
    default_level_names,
    read_coinr,
    read_csv_exact,
    write_coinr_aggregated,
)

FIXTURES = Path(__file__).parent / "fixtures" / "coinr-asem"
BUILD = Build.from_yaml((FIXTURES / "build.yaml").read_text(encoding="utf-8"))


def test_round_trip_through_coinr_files_matches_default_aggregated(tmp_path: Path) -> None:
    data = read_coinr(FIXTURES / "asem_iData.csv", FIXTURES / "asem_iMeta.csv")
    build = Build.from_yaml((FIXTURES / "build.yaml").read_text(encoding="utf-8"))
    out = write_coinr_aggregated(run(build, data), tmp_path / "out" / "aggregated.csv")
    got = read_csv_exact(out)
    expected = read_csv_exact(FIXTURES / "default_aggregated.csv")
    assert list(got.columns) == list(expected.columns)
    assert list(got["uCode"]) == list(expected["uCode"])
    diff = np.abs(
        got.iloc[:, 1:].to_numpy(dtype=float) - expected.iloc[:, 1:].to_numpy(dtype=float)
    )
    assert diff.max() <= 1e-9


def test_json_export(tmp_path: Path) -> None:
    data = read_coinr(FIXTURES / "asem_iData.csv", FIXTURES / "asem_iMeta.csv")
    build = Build.from_yaml((FIXTURES / "build.yaml").read_text(encoding="utf-8"))
    out = write_coinr_aggregated(run(build, data), tmp_path / "agg.json", format="json")
    records = json.loads(out.read_text())
    assert len(records) == 51
    assert next(iter(records[0])) == "uCode"


def test_units_hold_groups_and_denominators() -> None:
    data = read_coinr(FIXTURES / "asem_iData.csv", FIXTURES / "asem_iMeta.csv")
    assert {"GDP_group", "EurAsia_group", "Area", "Energy", "GDP", "Population"} <= set(
        data.units.columns
    )
    assert data.framework.level_names == ("Indicator", "Level 2", "Level 3", "Index")
    assert data.framework.denominators.notna().sum() == 17


def test_default_level_names() -> None:
    assert default_level_names(2) == ("Indicator", "Index")


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        read_coinr(tmp_path / "nope.csv", FIXTURES / "asem_iMeta.csv")


def test_imeta_without_columns_is_an_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "meta.csv"
    bad.write_text("iCode,Level\nA,1\n")
    with pytest.raises(InputError, match="iMeta lacks columns"):
        read_coinr(FIXTURES / "asem_iData.csv", bad)


def test_xlsx_workbook_with_both_tables(tmp_path: Path) -> None:
    pytest.importorskip("openpyxl")
    book = tmp_path / "asem.xlsx"
    with pd.ExcelWriter(book) as writer:
        read_csv_exact(FIXTURES / "asem_iData.csv").to_excel(
            writer, sheet_name="iData", index=False
        )
        read_csv_exact(FIXTURES / "asem_iMeta.csv").to_excel(
            writer, sheet_name="iMeta", index=False
        )
    from_book = read_coinr(book, book)
    from_csv = read_coinr(FIXTURES / "asem_iData.csv", FIXTURES / "asem_iMeta.csv")
    pd.testing.assert_frame_equal(from_book.values, from_csv.values)
    out = write_coinr_aggregated(run(BUILD, from_book), tmp_path / "agg.xlsx", format="xlsx")
    back = pd.read_excel(out)
    assert list(back.columns)[:2] == ["uCode", "LPI"]
    assert back.shape == (51, 61)
