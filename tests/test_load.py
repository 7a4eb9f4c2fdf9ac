"""Reading the input tables (CSV and XLSX) into typed frames, and the panel of one year."""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from reportgen.data.load import (
    CellError,
    Dataset,
    load_dataset,
    parse_age,
    parse_city_list,
    parse_direction,
    parse_id,
    parse_number,
    parse_year,
    read_dataset,
)
from reportgen.data.panel import Panel, make_panel
from reportgen.errors import InputError

BUNDLED = Path(__file__).resolve().parents[1] / "data"


def to_workbook(folder: Path, path: Path) -> Path:
    """The CSV tables as one workbook, numbers stored as numbers (as a spreadsheet saves them)."""
    book = openpyxl.Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for name in ("cities", "indicators", "observations"):
        sheet = book.create_sheet(name)
        with (folder / f"{name}.csv").open(encoding="utf-8", newline="") as f:
            for i, cells in enumerate(csv.reader(f)):
                sheet.append([cell if i == 0 else _number_or_text(cell) for cell in cells])
    book.save(path)
    return path


def _number_or_text(cell: str) -> str | int | float | None:
    if not cell:
        return None
    for kind in (int, float):
        try:
            return kind(cell)
        except ValueError:
            pass
    return cell


# --------------------------------------------------------------------------- cells


@pytest.mark.parametrize(
    ("text", "value"),
    [("1234", 1234.0), ("-0.5", -0.5), (".5", 0.5), ("+3", 3.0), ("1e3", 1000.0), ("7.", 7.0)],
)
def test_parse_number_accepts_plain_numbers(text: str, value: float) -> None:
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["1_000", "0x10", "1 000", "12 %", "one", "1e", "--1"])
def test_parse_number_rejects_what_python_or_people_might_accept(text: str) -> None:
    with pytest.raises(CellError):
        parse_number(text)


def test_parse_year() -> None:
    assert parse_year("2024") == 2024
    assert parse_year("2024.0") == 2024  # a spreadsheet's float year is still a year
    for bad in ("2024.5", "24/25", "1066", ""):
        with pytest.raises(CellError):
            parse_year(bad)


def test_parse_direction() -> None:
    assert parse_direction("1") == 1
    assert parse_direction("-1") == -1
    assert parse_direction("-1.0") == -1
    for bad in ("0", "2", "+", "higher"):
        with pytest.raises(CellError):
            parse_direction(bad)


@pytest.mark.parametrize("good", ["hong_kong", "sf-bay-area", "a", "0zurich"])
def test_parse_id_accepts(good: str) -> None:
    assert parse_id(good) == good


@pytest.mark.parametrize("bad", ["../x", "a/b", "a\\b", "_x", "-x", "Hong_Kong", "hong kong", "é"])
def test_parse_id_rejects(bad: str) -> None:
    with pytest.raises(CellError):
        parse_id(bad)


# --------------------------------------------------------------------------- the dataset


def test_load_dataset_types(tiny_data_dir: Path) -> None:
    dataset = load_dataset(tiny_data_dir)
    assert dataset.source == tiny_data_dir
    cities, indicators, obs = dataset.cities, dataset.indicators, dataset.observations
    assert list(cities["city_id"]) == ["hong_kong", "shenzhen", "singapore", "london"]
    assert pd.api.types.is_string_dtype(cities["city_id"])
    assert pd.api.types.is_string_dtype(obs["indicator_id"])
    assert cities["population"].dtype == "float64"
    assert cities["population_year"].dtype == "Int64"
    assert obs["year"].dtype == "Int64"
    assert obs["value"].dtype == "float64"
    assert indicators["direction"].dtype == "Int64"
    assert indicators["weight"].dtype == "float64"
    assert list(indicators["direction"]) == [1, 1, 1, -1]
    assert indicators.set_index("indicator_id").loc["vc_capital", "list_threshold"] == 2.5
    # empty optional cells are missing, not empty strings
    assert obs["note"].isna().sum() == len(obs) - 2  # two rows have a note
    assert pd.isna(indicators.set_index("indicator_id").loc["pct_patents", "max"])


def test_frames_are_indexed_by_spreadsheet_row(tiny_data_dir: Path) -> None:
    dataset = load_dataset(tiny_data_dir)
    assert dataset.observations.index.name == "row"
    assert list(dataset.cities.index) == [2, 3, 4, 5]
    assert dataset.observations.index[0] == 2
    assert dataset.observations.index[-1] == 31


def test_dataset_is_frozen_and_names_its_files(tiny_data_dir: Path) -> None:
    dataset = load_dataset(tiny_data_dir)
    with pytest.raises(dataclasses.FrozenInstanceError):
        dataset.source = Path("elsewhere")  # type: ignore[misc]
    assert dataset.file("observations") == str(tiny_data_dir / "observations.csv")


def test_load_dataset_raises_with_every_problem(tiny_data_dir: Path) -> None:
    path = tiny_data_dir / "observations.csv"
    text = path.read_text(encoding="utf-8")
    text = text.replace(",1200,", ",12OO,").replace(",78.7,", ",78.7%,")
    path.write_text(text, encoding="utf-8")
    (tiny_data_dir / "cities.csv").write_text("", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_dataset(tiny_data_dir)
    rows = sorted((Path(p.file).name, p.row or 0) for p in info.value.problems)
    assert rows == [("cities.csv", 0), ("observations.csv", 2), ("observations.csv", 20)]


def test_read_dataset_keeps_going_after_bad_cells(tiny_data_dir: Path) -> None:
    path = tiny_data_dir / "observations.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",1200,", ",abc,"), encoding="utf-8")
    dataset, problems = read_dataset(tiny_data_dir)
    assert len(problems) == 1
    assert dataset is not None
    assert pd.isna(dataset.observations.loc[2, "value"])


def test_unsupported_data_file(tmp_path: Path) -> None:
    path = tmp_path / "data.ods"
    path.write_bytes(b"x")
    dataset, problems = read_dataset(path)
    assert dataset is None
    assert "unsupported data file" in str(problems[0])


def test_crlf_line_endings(tiny_data_dir: Path) -> None:
    for name in ("cities.csv", "indicators.csv", "observations.csv"):
        path = tiny_data_dir / name
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert len(load_dataset(tiny_data_dir).observations) == 30


# --------------------------------------------------------------------------- workbooks


def test_workbook_gives_the_same_frames_as_csv(tiny_data_dir: Path) -> None:
    from_csv = load_dataset(tiny_data_dir)
    from_xlsx = load_dataset(to_workbook(tiny_data_dir, tiny_data_dir / "data.xlsx"))
    for name in ("cities", "indicators", "observations"):
        pd.testing.assert_frame_equal(getattr(from_csv, name), getattr(from_xlsx, name))
    assert from_xlsx.file("cities").endswith("data.xlsx[cities]")


def test_workbook_with_title_rows_keeps_sheet_row_numbers(tiny_data_dir: Path) -> None:
    book_path = to_workbook(tiny_data_dir, tiny_data_dir / "data.xlsx")
    book = openpyxl.load_workbook(book_path)
    book["observations"].insert_rows(1, amount=2)  # a blank row and ...
    book["observations"]["A1"] = None
    book.save(book_path)
    dataset = load_dataset(book_path)
    assert dataset.observations.index[0] == 4  # header on row 3


# --------------------------------------------------------------------------- the panel


def test_panel_takes_the_latest_observation_in_the_window(tiny_data_dir: Path) -> None:
    panel = make_panel(load_dataset(tiny_data_dir), 2024, 5)
    assert isinstance(panel, Panel)
    assert panel.values.shape == (4, 4)
    assert list(panel.values.index) == ["hong_kong", "shenzhen", "singapore", "london"]
    assert list(panel.values.columns) == ["pct_patents", "vc_capital", "safety_index", "pm25"]
    assert panel.values.loc["hong_kong", "pct_patents"] == 1300.0
    assert panel.years.loc["hong_kong", "pct_patents"] == 2024
    assert panel.years.dtypes.eq("Int64").all()
    assert panel.sources.loc["shenzhen", "vc_capital"] == "https://example.org/pitchbook"
    assert panel.notes.loc["hong_kong", "pct_patents"] == "cluster value"
    assert pd.isna(panel.notes.loc["shenzhen", "pct_patents"])
    for frame in (panel.years, panel.sources, panel.notes, panel.bounds):
        assert frame.index.equals(panel.values.index)
        assert frame.columns.equals(panel.values.columns)


def test_panel_bounds_cities_below_a_top_n_list(tiny_data_dir: Path) -> None:
    panel = make_panel(load_dataset(tiny_data_dir), 2024, 5)
    assert pd.isna(panel.values.loc["london", "vc_capital"])
    assert pd.isna(panel.years.loc["london", "vc_capital"])
    assert pd.isna(panel.sources.loc["london", "vc_capital"])
    assert panel.bounds.loc["london", "vc_capital"] == 2.5
    assert int(panel.bounds.notna().sum().sum()) == 1


def test_panel_of_an_earlier_year(tiny_data_dir: Path) -> None:
    panel = make_panel(load_dataset(tiny_data_dir), 2023, 5)
    assert panel.values.loc["hong_kong", "pct_patents"] == 1200.0
    assert (panel.years.stack() == 2023).all()


def test_panel_falls_back_to_older_values_within_max_age(tiny_data_dir: Path) -> None:
    path = tiny_data_dir / "observations.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(ln for ln in lines if "pm25,2024" not in ln) + "\n", encoding="utf-8")
    dataset = load_dataset(tiny_data_dir)
    panel = make_panel(dataset, 2024, 1)
    assert panel.values.loc["london", "pm25"] == 9.1
    assert panel.years.loc["london", "pm25"] == 2023
    assert "pm25" not in make_panel(dataset, 2024, 0).values.columns


def test_panel_outside_the_data_is_empty(tiny_data_dir: Path) -> None:
    panel = make_panel(load_dataset(tiny_data_dir), 2030, 5)
    assert panel.values.shape == (0, 0)
    assert panel.cities.empty
    assert panel.indicators.empty


def test_panel_restricts_cities_and_indicators_to_what_is_present(tiny_data_dir: Path) -> None:
    path = tiny_data_dir / "observations.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    kept = [ln for ln in lines if not ln.startswith("london,") and ",safety_index," not in ln]
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    panel = make_panel(load_dataset(tiny_data_dir), 2024, 5)
    assert list(panel.cities.index) == ["hong_kong", "shenzhen", "singapore"]
    assert list(panel.indicators.index) == ["pct_patents", "vc_capital", "pm25"]
    assert panel.cities.loc["shenzhen", "name"] == "Shenzhen"
    assert panel.indicators.loc["pm25", "direction"] == -1


def test_panel_is_pure(tiny_data_dir: Path) -> None:
    dataset = load_dataset(tiny_data_dir)
    before = {n: getattr(dataset, n).copy() for n in ("cities", "indicators", "observations")}
    first = make_panel(dataset, 2024, 5)
    second = make_panel(dataset, 2024, 5)
    for name, frame in before.items():
        pd.testing.assert_frame_equal(getattr(dataset, name), frame)
    pd.testing.assert_frame_equal(first.values, second.values)


def test_panel_of_a_duplicate_year_takes_the_later_row(tiny_data_dir: Path) -> None:
    path = tiny_data_dir / "observations.csv"
    with path.open("a", encoding="utf-8") as f:
        f.write("hong_kong,pct_patents,2024,1333,https://example.org/gii-revised,\n")
    panel = make_panel(load_dataset(tiny_data_dir), 2024, 5)
    assert panel.values.loc["hong_kong", "pct_patents"] == 1333.0
    assert panel.sources.loc["hong_kong", "pct_patents"] == "https://example.org/gii-revised"


def test_panel_ignores_unknown_ids(tiny_data_dir: Path) -> None:
    path = tiny_data_dir / "observations.csv"
    with path.open("a", encoding="utf-8") as f:
        f.write("atlantis,pct_patents,2024,5,https://example.org,\n")
        f.write("london,made_up,2024,5,https://example.org,\n")
    panel = make_panel(load_dataset(tiny_data_dir), 2024, 5)
    assert "atlantis" not in panel.values.index
    assert "made_up" not in panel.values.columns


# --------------------------------------------------------------------------- bundled data


@pytest.mark.skipif(not (BUNDLED / "observations.csv").exists(), reason="no bundled data")
def test_bundled_data_loads() -> None:
    dataset = load_dataset(BUNDLED)
    assert isinstance(dataset, Dataset)
    assert dataset.cities["city_id"].is_unique
    assert len(dataset.observations) > 100


def test_parse_city_list() -> None:
    assert parse_city_list("shenzhen;guangzhou") == "shenzhen;guangzhou"
    assert parse_city_list("shenzhen ; guangzhou") == "shenzhen;guangzhou"
    for bad in ("shenzhen;;guangzhou", "shenzhen;", "Shenzhen", "a;a"):
        with pytest.raises(CellError):
            parse_city_list(bad)


def test_parse_age() -> None:
    assert parse_age("5") == 5
    assert parse_age("10.0") == 10  # a spreadsheet's 10.0 is 10 years
    for bad in ("-1", "5.5", "five"):
        with pytest.raises(CellError):
            parse_age(bad)


def test_new_columns_are_optional(tiny_data_dir: Path) -> None:
    """A data set without shared_with, publisher, max_age or absence_note still loads."""
    dataset = load_dataset(tiny_data_dir)
    assert dataset.observations["shared_with"].isna().all()
    assert dataset.indicators["max_age"].isna().all()
    panel = make_panel(dataset, 2024, 5)
    assert not panel.shared.to_numpy().any()
    assert panel.shared_mode == "whole"


def test_years_are_integers_from_csv_and_workbook(tiny_data_dir: Path, tmp_path: Path) -> None:
    """Years typed 2024.0 in a spreadsheet are read as the integer 2024, never as floats."""
    for dataset in (
        load_dataset(tiny_data_dir),
        load_dataset(to_workbook(tiny_data_dir, tmp_path / "book.xlsx")),
    ):
        assert str(dataset.observations["year"].dtype) == "Int64"
        assert str(dataset.cities["population_year"].dtype) == "Int64"
        assert str(dataset.indicators["max_age"].dtype) == "Int64"
        panel = make_panel(dataset, 2024, 5)
        assert str(panel.years.dtypes.unique()[0]) == "Int64"
    book = openpyxl.load_workbook(tmp_path / "book.xlsx")
    sheet = book["observations"]
    for row in sheet.iter_rows(min_row=2, min_col=3, max_col=3):
        row[0].value = float(row[0].value)  # 2024 -> 2024.0, as some tools save it
    book.save(tmp_path / "floats.xlsx")
    years = load_dataset(tmp_path / "floats.xlsx").observations["year"]
    assert str(years.dtype) == "Int64"
    assert set(years.tolist()) <= {2023, 2024}


def test_bundled_shared_values_are_read() -> None:
    dataset = load_dataset(BUNDLED)
    shared = dataset.observations.dropna(subset=["shared_with"])
    assert len(shared) == 6
    assert set(shared["indicator_id"]) == {"gii_cluster_pubs", "gii_cluster_pct"}
