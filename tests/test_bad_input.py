"""The bad-input catalogue: one named test per broken input, each asserting where the problem is,
what the message says, and that nothing was written (issue 8).

Rows in the tiny data set (conftest.tiny_data_dir), as a spreadsheet numbers them:
cities.csv      2 hong_kong, 3 shenzhen, 4 singapore, 5 london
indicators.csv  2 pct_patents (innovation), 3 vc_capital (capital, list_threshold 2.5,
                per capita), 4 safety_index (liveability, 0-100), 5 pm25 (liveability, -1)
observations    2-5 pct_patents 2023, 6-9 pct_patents 2024, 10-12 vc_capital 2023,
                13-15 vc_capital 2024 (no London), 16-23 safety_index, 24-31 pm25
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result

from reportgen.data.load import load_dataset
from reportgen.data.validate import check_inputs, load_inputs
from reportgen.errors import InputError, Problem

Row = dict[str, str]


# --------------------------------------------------------------------------- helpers


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def problems_in(
    folder: Path, *, data: Path | None = None, year: int | None = None
) -> list[Problem]:
    """Every problem check_inputs finds; asserts the run wrote nothing anywhere near the data."""
    root = folder.parent
    before = tree(root)
    _, _, problems = check_inputs(data or folder, folder / "edition.yaml", year)
    assert tree(root) == before, "checking the inputs must not write files"
    return problems


def one_problem(folder: Path, **kw: object) -> Problem:
    problems = problems_in(folder, **kw)  # type: ignore[arg-type]
    assert len(problems) == 1, "\n".join(str(p) for p in problems)
    return problems[0]


def read_rows(folder: Path, name: str) -> list[Row]:
    with (folder / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def write_rows(folder: Path, name: str, rows: list[Row], fields: list[str] | None = None) -> None:
    fields = fields or list(rows[0])
    with (folder / name).open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def change_rows(folder: Path, name: str, change: Callable[[list[Row]], list[Row]]) -> None:
    write_rows(folder, name, change(read_rows(folder, name)))


def set_cell(folder: Path, name: str, row: int, column: str, value: str) -> None:
    """Set one cell, addressed by spreadsheet row number (header = 1)."""
    rows = read_rows(folder, name)
    rows[row - 2][column] = value
    write_rows(folder, name, rows)


def replace_text(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def check(problem: Problem, file: str, row: int | None, column: str | None, *words: str) -> None:
    """The problem names the file, row and column, and its one-line text has the key words."""
    text = str(problem)
    assert Path(problem.file.split("[")[0]).name == file or problem.file.endswith(file), text
    assert problem.row == row, text
    assert problem.column == column, text
    for word in words:
        assert word in text, f"{word!r} not in: {text}"
    assert "\n" not in text


def write_workbook(folder: Path, path: Path, skip: tuple[str, ...] = ()) -> Path:
    """The tiny CSV tables as an .xlsx workbook, numbers stored as numbers."""
    book = openpyxl.Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for name in ("cities", "indicators", "observations"):
        if name in skip:
            continue
        sheet = book.create_sheet(name)
        with (folder / f"{name}.csv").open(encoding="utf-8", newline="") as f:
            for i, cells in enumerate(csv.reader(f)):
                sheet.append([cell if i == 0 else _typed(cell) for cell in cells])
    book.save(path)
    return path


def _typed(cell: str) -> str | int | float | None:
    if cell == "":
        return None
    for kind in (int, float):
        try:
            return kind(cell)
        except ValueError:
            pass
    return cell


# --------------------------------------------------------------------------- files


def test_missing_file(tiny_data_dir: Path) -> None:
    (tiny_data_dir / "observations.csv").unlink()
    check(one_problem(tiny_data_dir), "observations.csv", None, None, "file not found")


def test_missing_data_folder(tmp_path: Path) -> None:
    problems = load_inputs_problems(tmp_path / "nowhere")
    assert any("not found" in str(p) and p.file.endswith("nowhere") for p in problems)
    text = str(problems[0])
    assert str((tmp_path / "nowhere").resolve()) in text  # absolute, whatever the cwd
    assert "--data PATH" in text


def test_relative_data_folder_names_its_absolute_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    problems = load_inputs_problems(Path("data"))
    assert f"looked for {tmp_path.resolve() / 'data'}" in str(problems[0])


def load_inputs_problems(data: Path) -> list[Problem]:
    with pytest.raises(InputError) as info:
        load_inputs(data)
    return list(info.value.problems)


def test_missing_edition_file(tiny_data_dir: Path) -> None:
    (tiny_data_dir / "edition.yaml").unlink()
    check(one_problem(tiny_data_dir), "edition.yaml", None, None, "edition file not found")


def test_workbook_without_an_edition_beside_it_hints_at_edition(
    tiny_data_dir: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "books"
    folder.mkdir()
    book = write_workbook(tiny_data_dir, folder / "book.xlsx")
    problems = [str(p) for p in check_inputs(book)[2]]
    (problem,) = [p for p in problems if "edition file not found" in p]
    assert str((folder / "edition.yaml").resolve()) in problem
    assert "beside the data folder or workbook" in problem
    assert "--edition PATH" in problem


def test_empty_file(tiny_data_dir: Path) -> None:
    (tiny_data_dir / "cities.csv").write_text("", encoding="utf-8")
    check(one_problem(tiny_data_dir), "cities.csv", None, None, "file is empty", "city_id,name")


def test_header_only(tiny_data_dir: Path) -> None:
    text = (tiny_data_dir / "observations.csv").read_text(encoding="utf-8")
    (tiny_data_dir / "observations.csv").write_text(text.splitlines()[0] + "\n", encoding="utf-8")
    check(one_problem(tiny_data_dir), "observations.csv", 1, None, "no data rows", "observation")


def test_wrong_delimiter_semicolon(tiny_data_dir: Path) -> None:
    path = tiny_data_dir / "observations.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",", ";"), encoding="utf-8")
    check(one_problem(tiny_data_dir), "observations.csv", 1, None, "looks like ';'-separated")


def test_wrong_delimiter_tab(tiny_data_dir: Path) -> None:
    path = tiny_data_dir / "cities.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",", "\t"), encoding="utf-8")
    check(one_problem(tiny_data_dir), "cities.csv", 1, None, "looks like tab-separated")


def test_utf8_bom_is_accepted(tiny_data_dir: Path) -> None:
    for name in ("cities.csv", "indicators.csv", "observations.csv"):
        path = tiny_data_dir / name
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert problems_in(tiny_data_dir) == []
    assert load_dataset(tiny_data_dir).cities["city_id"].iloc[0] == "hong_kong"


def test_latin1_bytes_are_rejected_naming_the_line(tiny_data_dir: Path) -> None:
    path = tiny_data_dir / "cities.csv"
    # a latin-1 editor saving row 5 as "Zürich": one byte 0xFC where UTF-8 needs two
    data = path.read_bytes().replace("London,伦敦".encode(), "Zürich,".encode("latin-1"))
    path.write_bytes(data)
    check(
        one_problem(tiny_data_dir),
        "cities.csv",
        5,
        None,
        "not valid UTF-8",
        "latin-1",
        "0xFC",
        "UTF-8",
    )


def test_utf16_file_is_rejected(tiny_data_dir: Path) -> None:
    path = tiny_data_dir / "cities.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16"))
    check(one_problem(tiny_data_dir), "cities.csv", None, None, "UTF-16", "CSV UTF-8")


# --------------------------------------------------------------------------- columns and rows


def test_missing_column_with_did_you_mean(tiny_data_dir: Path) -> None:
    replace_text(tiny_data_dir, "observations.csv", "city_id,indicator_id,", "city_id,indicator,")
    check(
        one_problem(tiny_data_dir),
        "observations.csv",
        1,
        "indicator",
        "unknown column",
        "did you mean 'indicator_id'?",
    )


def test_missing_column(tiny_data_dir: Path) -> None:
    change_rows(tiny_data_dir, "observations.csv", lambda rows: [_drop(r, "year") for r in rows])
    check(one_problem(tiny_data_dir), "observations.csv", 1, "year", "missing column", "'year'")


def _drop(row: Row, column: str) -> Row:
    return {k: v for k, v in row.items() if k != column}


def test_unexpected_column(tiny_data_dir: Path) -> None:
    rows = [{**r, "comment": "x"} for r in read_rows(tiny_data_dir, "observations.csv")]
    write_rows(tiny_data_dir, "observations.csv", rows)
    check(
        one_problem(tiny_data_dir),
        "observations.csv",
        1,
        "comment",
        "unexpected column",
        "expected one of city_id",
    )


def test_column_twice_in_header(tiny_data_dir: Path) -> None:
    replace_text(tiny_data_dir, "cities.csv", "region,", "country,")
    check(one_problem(tiny_data_dir), "cities.csv", 1, "country", "column appears twice")


def test_unquoted_comma_gives_row_with_too_many_cells(tiny_data_dir: Path) -> None:
    replace_text(tiny_data_dir, "observations.csv", "cluster value\n", "cluster value, shared\n")
    check(
        one_problem(tiny_data_dir),
        "observations.csv",
        2,
        None,
        "different number of cells",
        "quotes",
        "found '7 cells'",
        "expected 6 cells",
    )


def test_blank_lines_are_skipped_and_rows_keep_their_numbers(tiny_data_dir: Path) -> None:
    replace_text(
        tiny_data_dir,
        "observations.csv",
        "\nshenzhen,pct_patents,2023",
        "\n\nshenzhen,pct_patents,2023",
    )
    assert problems_in(tiny_data_dir) == []
    set_cell(tiny_data_dir, "observations.csv", 4, "value", "abc")  # DictReader drops the blank
    replace_text(
        tiny_data_dir,
        "observations.csv",
        "\nshenzhen,pct_patents,2023",
        "\n\nshenzhen,pct_patents,2023",
    )
    check(one_problem(tiny_data_dir), "observations.csv", 5, "value", "not a number")


def test_multiline_quoted_note_counts_as_one_row(tiny_data_dir: Path) -> None:
    set_cell(tiny_data_dir, "observations.csv", 3, "note", "first line\nsecond line")
    set_cell(tiny_data_dir, "observations.csv", 4, "value", "abc")
    check(one_problem(tiny_data_dir), "observations.csv", 4, "value", "not a number")


# --------------------------------------------------------------------------- ids


def test_duplicate_city_indicator_year(tiny_data_dir: Path) -> None:
    change_rows(tiny_data_dir, "observations.csv", lambda rows: [*rows, {**rows[4], "value": "1"}])
    check(
        one_problem(tiny_data_dir),
        "observations.csv",
        32,
        None,
        "duplicate observation of 'pct_patents' for 'hong_kong' in 2024",
        "first at row 6",
    )


def test_unknown_city_id(tiny_data_dir: Path) -> None:
    set_cell(tiny_data_dir, "observations.csv", 7, "city_id", "shenzen")
    check(
        one_problem(tiny_data_dir),
        "observations.csv",
        7,
        "city_id",
        "unknown city id",
        "did you mean 'shenzhen'?",
        "found 'shenzen'",
        "cities.csv",
    )


def test_unknown_indicator_id(tiny_data_dir: Path) -> None:
    set_cell(tiny_data_dir, "observations.csv", 20, "indicator_id", "safety")
    check(
        one_problem(tiny_data_dir),
        "observations.csv",
        20,
        "indicator_id",
        "unknown indicator id",
        "did you mean 'safety_index'?",
    )


def test_same_city_twice(tiny_data_dir: Path) -> None:
    change_rows(tiny_data_dir, "cities.csv", lambda rows: [*rows, rows[3]])
    check(
        one_problem(tiny_data_dir),
        "cities.csv",
        6,
        "city_id",
        "city 'london' appears twice (first at row 5)",
    )


def test_city_id_with_slash_is_rejected(tiny_data_dir: Path) -> None:
    for name in ("cities.csv", "observations.csv"):
        change_rows(
            tiny_data_dir, name, lambda rows: [_rename_city(r, "london", "../x") for r in rows]
        )
    check(
        one_problem(tiny_data_dir),
        "cities.csv",
        5,
        "city_id",
        "path separator",
        "found '../x'",
        "^[a-z0-9][a-z0-9_-]*$",
    )


def test_city_id_with_dot_dot_is_rejected(tiny_data_dir: Path) -> None:
    for name in ("cities.csv", "observations.csv"):
        change_rows(
            tiny_data_dir, name, lambda rows: [_rename_city(r, "london", "..") for r in rows]
        )
    check(one_problem(tiny_data_dir), "cities.csv", 5, "city_id", "'..'", "found '..'")


def test_city_id_with_capitals_is_rejected(tiny_data_dir: Path) -> None:
    for name in ("cities.csv", "observations.csv"):
        change_rows(
            tiny_data_dir, name, lambda rows: [_rename_city(r, "london", "London") for r in rows]
        )
    check(one_problem(tiny_data_dir), "cities.csv", 5, "city_id", "upper-case", "found 'London'")


def _rename_city(row: Row, old: str, new: str) -> Row:
    return {**row, "city_id": new} if row["city_id"] == old else row


# --------------------------------------------------------------------------- values


@pytest.mark.parametrize(
    ("text", "words"),
    [
        pytest.param("abc", ["not a number", "a plain number"], id="non_numeric"),
        pytest.param("inf", ["not a finite number"], id="inf"),
        pytest.param("-Infinity", ["not a finite number"], id="minus_infinity"),
        pytest.param("NaN", ["missing-value marker", "leave the row out"], id="nan_text"),
        pytest.param("N/A", ["missing-value marker"], id="na_text"),
        pytest.param("1,234", ["thousands separators", "write 1234"], id="thousands_separator"),
        pytest.param("12%", ["percent sign", "write 12"], id="percent_sign"),
        pytest.param("12,5", ["decimal comma", "write 12.5"], id="decimal_comma"),
        pytest.param("1e999", ["too large"], id="overflow"),
        pytest.param("$40", ["not a number"], id="currency_sign"),
    ],
)
def test_bad_value(tiny_data_dir: Path, text: str, words: list[str]) -> None:
    set_cell(tiny_data_dir, "observations.csv", 8, "value", text)
    check(one_problem(tiny_data_dir), "observations.csv", 8, "value", f"found {text!r}", *words)


def test_empty_value_cell(tiny_data_dir: Path) -> None:
    set_cell(tiny_data_dir, "observations.csv", 8, "value", "")
    check(
        one_problem(tiny_data_dir),
        "observations.csv",
        8,
        "value",
        "empty value",
        "leave the row out",
    )


def test_value_outside_declared_range(tiny_data_dir: Path) -> None:
    set_cell(tiny_data_dir, "observations.csv", 20, "value", "178.7")
    check(
        one_problem(tiny_data_dir),
        "observations.csv",
        20,
        "value",
        "outside the declared range of 'safety_index'",
        "found '178.7'",
        "between 0 and 100",
    )


def test_negative_value_below_declared_min(tiny_data_dir: Path) -> None:
    set_cell(tiny_data_dir, "observations.csv", 6, "value", "-5")
    check(one_problem(tiny_data_dir), "observations.csv", 6, "value", "declared range", ">= 0")


def test_non_integer_year(tiny_data_dir: Path) -> None:
    set_cell(tiny_data_dir, "observations.csv", 9, "year", "2024.5")
    check(one_problem(tiny_data_dir), "observations.csv", 9, "year", "not a whole year", "2024.5")


def test_year_written_as_text(tiny_data_dir: Path) -> None:
    set_cell(tiny_data_dir, "observations.csv", 9, "year", "FY2024")
    check(
        one_problem(tiny_data_dir),
        "observations.csv",
        9,
        "year",
        "not a whole year",
        "a year such as",
    )


def test_implausible_year(tiny_data_dir: Path) -> None:
    set_cell(tiny_data_dir, "observations.csv", 9, "year", "224")
    check(one_problem(tiny_data_dir), "observations.csv", 9, "year", "implausible year")


def test_missing_source_url(tiny_data_dir: Path) -> None:
    set_cell(tiny_data_dir, "observations.csv", 11, "source_url", "")
    check(
        one_problem(tiny_data_dir),
        "observations.csv",
        11,
        "source_url",
        "missing source_url",
        "source",
    )


def test_missing_population_for_per_capita_indicator(tiny_data_dir: Path) -> None:
    set_cell(tiny_data_dir, "cities.csv", 3, "population", "")
    check(
        one_problem(tiny_data_dir),
        "cities.csv",
        3,
        "population",
        "no population for 'shenzhen'",
        "vc_capital",
    )


def test_latitude_out_of_range(tiny_data_dir: Path) -> None:
    set_cell(tiny_data_dir, "cities.csv", 4, "lat", "135.2")
    check(one_problem(tiny_data_dir), "cities.csv", 4, "lat", "latitude", "between -90 and 90")


# --------------------------------------------------------------------------- coverage


def test_indicator_with_zero_variance(tiny_data_dir: Path) -> None:
    for row in range(28, 32):
        set_cell(tiny_data_dir, "observations.csv", row, "value", "10")
    check(
        one_problem(tiny_data_dir),
        "indicators.csv",
        5,
        "indicator_id",
        "zero variance in 2024",
        "found 'pm25'",
    )


def test_indicator_with_all_values_missing(tiny_data_dir: Path) -> None:
    drop_observations(tiny_data_dir, lambda r: r["indicator_id"] == "safety_index")
    check(
        one_problem(tiny_data_dir),
        "indicators.csv",
        4,
        "indicator_id",
        "no values for 2024",
        "found 'safety_index'",
    )


def test_top_n_indicator_with_every_city_below_the_list(tiny_data_dir: Path) -> None:
    drop_observations(tiny_data_dir, lambda r: r["indicator_id"] == "vc_capital")
    check(
        one_problem(tiny_data_dir), "indicators.csv", 3, "indicator_id", "below its list threshold"
    )


def test_city_with_no_values(tiny_data_dir: Path) -> None:
    drop_observations(tiny_data_dir, lambda r: r["city_id"] == "london")
    check(
        one_problem(tiny_data_dir),
        "cities.csv",
        5,
        "city_id",
        "city has no observations",
        "'london'",
    )


def test_city_with_only_stale_values(tiny_data_dir: Path) -> None:
    drop_observations(tiny_data_dir, lambda r: r["city_id"] == "london" and r["year"] == "2024")
    change_rows(
        tiny_data_dir,
        "observations.csv",
        lambda rows: [{**r, "year": "2012"} if r["city_id"] == "london" else r for r in rows],
    )
    check(
        one_problem(tiny_data_dir),
        "cities.csv",
        5,
        "city_id",
        "no values for 2024",
        "2019–2024",
        "latest is 2012",
    )


def test_year_the_data_lacks(tiny_data_dir: Path) -> None:
    check(
        one_problem(tiny_data_dir, year=2010),
        "observations.csv",
        None,
        "year",
        "no observations for 2010 or the 5 years before it",
        "the data covers 2023–2024",
    )


def drop_observations(folder: Path, dropped: Callable[[Row], bool]) -> None:
    change_rows(folder, "observations.csv", lambda rows: [r for r in rows if not dropped(r)])


# --------------------------------------------------------------------------- indicators file


@pytest.mark.parametrize("direction", ["0", "2", "up"])
def test_bad_direction(tiny_data_dir: Path, direction: str) -> None:
    set_cell(tiny_data_dir, "indicators.csv", 2, "direction", direction)
    check(
        one_problem(tiny_data_dir),
        "indicators.csv",
        2,
        "direction",
        "invalid direction",
        f"found {direction!r}",
        "1 (higher is better) or -1 (lower is better)",
    )


def test_negative_weight(tiny_data_dir: Path) -> None:
    set_cell(tiny_data_dir, "indicators.csv", 4, "weight", "-1")
    check(one_problem(tiny_data_dir), "indicators.csv", 4, "weight", "negative", ">= 0")


def test_weights_summing_to_zero(tiny_data_dir: Path) -> None:
    set_cell(tiny_data_dir, "indicators.csv", 4, "weight", "0")
    set_cell(tiny_data_dir, "indicators.csv", 5, "weight", "0")
    check(
        one_problem(tiny_data_dir),
        "indicators.csv",
        4,
        "weight",
        "pillar 'liveability'",
        "all zero",
        "at least one positive weight",
    )


def test_unknown_dimension(tiny_data_dir: Path) -> None:
    set_cell(tiny_data_dir, "indicators.csv", 5, "dimension", "ECX")
    check(
        one_problem(tiny_data_dir),
        "indicators.csv",
        5,
        "dimension",
        "unknown dimension",
        "did you mean 'ECC'?",
        "one of TDP, ECC",
    )


def test_dimension_disagrees_with_pillar(tiny_data_dir: Path) -> None:
    set_cell(tiny_data_dir, "indicators.csv", 5, "dimension", "TDP")
    check(
        one_problem(tiny_data_dir),
        "indicators.csv",
        5,
        "dimension",
        "pillar 'liveability'",
        "expected ECC",
    )


def test_indicator_whose_pillar_is_not_declared(tiny_data_dir: Path) -> None:
    set_cell(tiny_data_dir, "indicators.csv", 5, "pillar", "environment")
    check(
        one_problem(tiny_data_dir),
        "indicators.csv",
        5,
        "pillar",
        "not declared in",
        "edition.yaml",
        "one of innovation, capital, liveability",
    )


def test_indicator_in_no_pillar(tiny_data_dir: Path) -> None:
    set_cell(tiny_data_dir, "indicators.csv", 5, "pillar", "")
    check(one_problem(tiny_data_dir), "indicators.csv", 5, "pillar", "in no pillar")


def test_indicator_in_two_pillars(tiny_data_dir: Path) -> None:
    change_rows(
        tiny_data_dir,
        "indicators.csv",
        lambda rows: [*rows, {**rows[3], "dimension": "TDP", "pillar": "innovation"}],
    )
    check(
        one_problem(tiny_data_dir),
        "indicators.csv",
        6,
        "pillar",
        "'pm25' is in two pillars",
        "'liveability' (row 5)",
        "'innovation'",
    )


def test_unknown_role(tiny_data_dir: Path) -> None:
    set_cell(tiny_data_dir, "indicators.csv", 2, "role", "indx")
    check(one_problem(tiny_data_dir), "indicators.csv", 2, "role", "did you mean 'index'?")


def test_unknown_denominator(tiny_data_dir: Path) -> None:
    set_cell(tiny_data_dir, "indicators.csv", 3, "denominator", "area")
    check(one_problem(tiny_data_dir), "indicators.csv", 3, "denominator", "'population'")


def test_min_not_below_max(tiny_data_dir: Path) -> None:
    set_cell(tiny_data_dir, "indicators.csv", 4, "min", "100")
    set_cell(tiny_data_dir, "indicators.csv", 4, "max", "0")
    problems = problems_in(tiny_data_dir)
    check(problems[0], "indicators.csv", 4, "max", "min is not below max")


# --------------------------------------------------------------------------- edition file


def test_yaml_syntax_error_with_line_and_column(tiny_data_dir: Path) -> None:
    replace_text(tiny_data_dir, "edition.yaml", "author: Test Author", "author: Test: Author")
    check(
        one_problem(tiny_data_dir),
        "edition.yaml",
        5,
        None,
        "YAML syntax error at line 5, column 13",
        "mapping values are not allowed",
    )


def test_yaml_tab_indentation(tiny_data_dir: Path) -> None:
    replace_text(tiny_data_dir, "edition.yaml", "  index_name: Overall", "\tindex_name: Overall")
    problem = one_problem(tiny_data_dir)
    check(problem, "edition.yaml", 11, None, "YAML syntax error at line 11", "tab")


def test_unknown_edition_key_with_suggestion(tiny_data_dir: Path) -> None:
    replace_text(tiny_data_dir, "edition.yaml", "publisher:", "publsher:")
    check(
        one_problem(tiny_data_dir),
        "edition.yaml",
        4,
        "publsher",
        "unknown key 'publsher'",
        "did you mean 'publisher'?",
    )


def test_unknown_nested_key_with_suggestion(tiny_data_dir: Path) -> None:
    replace_text(tiny_data_dir, "edition.yaml", "      name: Capital", "      nmae: Capital")
    check(
        one_problem(tiny_data_dir),
        "edition.yaml",
        25,
        "framework.pillars[1].nmae",
        "did you mean 'name'?",
    )


def test_wrong_type_in_edition(tiny_data_dir: Path) -> None:
    replace_text(tiny_data_dir, "edition.yaml", "year: 2024", "year: twenty")
    check(
        one_problem(tiny_data_dir),
        "edition.yaml",
        2,
        "year",
        "valid integer",
        "found 'twenty'",
        "a whole number",
    )


def test_missing_edition_key(tiny_data_dir: Path) -> None:
    replace_text(tiny_data_dir, "edition.yaml", "title: Tiny Tech Cities Index\n", "")
    check(one_problem(tiny_data_dir), "edition.yaml", None, "title", "missing key 'title'")


def test_duplicate_edition_key(tiny_data_dir: Path) -> None:
    replace_text(tiny_data_dir, "edition.yaml", "language: en\n", "language: en\nlanguage: zh\n")
    check(
        one_problem(tiny_data_dir),
        "edition.yaml",
        7,
        "language",
        "key 'language' appears twice (first at line 6)",
    )


def test_unknown_build_method_with_suggestion(tiny_data_dir: Path) -> None:
    replace_text(tiny_data_dir, "edition.yaml", "method: minmax", "method: minmux")
    check(one_problem(tiny_data_dir), "edition.yaml", 34, "build[2].method", "minmux", "minmax")


def test_negative_pillar_weight_in_edition(tiny_data_dir: Path) -> None:
    replace_text(
        tiny_data_dir,
        "edition.yaml",
        "      name: Capital\n",
        "      name: Capital\n      weight: -2\n",
    )
    check(
        one_problem(tiny_data_dir),
        "edition.yaml",
        26,
        "framework.pillars[1].weight",
        "out of range",
        "found '-2'",
        ">= 0",
    )


def test_dimension_weights_summing_to_zero(tiny_data_dir: Path) -> None:
    path = tiny_data_dir / "edition.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("weight: 1\n", "weight: 0\n"), encoding="utf-8"
    )
    check(
        one_problem(tiny_data_dir),
        "edition.yaml",
        12,
        "framework.dimensions",
        "dimension weights are all zero",
    )


def test_pillar_declared_but_empty(tiny_data_dir: Path) -> None:
    replace_text(
        tiny_data_dir,
        "edition.yaml",
        "build:",
        "    - id: talent\n      dimension: TDP\n      name: Talent\nbuild:",
    )
    check(
        one_problem(tiny_data_dir),
        "edition.yaml",
        29,
        "framework.pillars[3]",
        "pillar 'talent' has no index indicators in indicators.csv",
    )


def test_dimension_with_no_pillars(tiny_data_dir: Path) -> None:
    replace_text(
        tiny_data_dir,
        "edition.yaml",
        "  pillars:",
        "    - id: GOV\n      name: Governance\n  pillars:",
    )
    check(
        one_problem(tiny_data_dir),
        "edition.yaml",
        19,
        "framework.dimensions[2]",
        "dimension 'GOV' has no pillars",
    )


def test_pillar_in_undeclared_dimension(tiny_data_dir: Path) -> None:
    replace_text(tiny_data_dir, "edition.yaml", "dimension: ECC", "dimension: ECX")
    problems = problems_in(tiny_data_dir)
    assert [p.column for p in problems] == [
        "framework.dimensions[1]",  # ECC now has no pillars: true, and reported
        "framework.pillars[2].dimension",
    ]
    check(
        problems[1],
        "edition.yaml",
        27,
        "framework.pillars[2].dimension",
        "undeclared dimension",
        "did you mean 'ECC'?",
    )


def test_unknown_spotlight_city(tiny_data_dir: Path) -> None:
    replace_text(
        tiny_data_dir, "edition.yaml", "spotlight_city: hong_kong", "spotlight_city: hongkong"
    )
    check(
        one_problem(tiny_data_dir),
        "edition.yaml",
        8,
        "spotlight_city",
        "unknown spotlight city",
        "did you mean 'hong_kong'?",
    )


def test_previous_year_not_before_year(tiny_data_dir: Path) -> None:
    replace_text(tiny_data_dir, "edition.yaml", "previous_year: 2023", "previous_year: 2024")
    check(one_problem(tiny_data_dir), "edition.yaml", 3, "previous_year", "not before year")


def test_previous_year_the_data_lacks(tiny_data_dir: Path) -> None:
    replace_text(tiny_data_dir, "edition.yaml", "previous_year: 2023", "previous_year: 2015")
    check(
        one_problem(tiny_data_dir),
        "edition.yaml",
        3,
        "previous_year",
        "no observations for 2015",
    )


# --------------------------------------------------------------------------- accepted as text


def test_very_long_city_name_is_accepted(tiny_data_dir: Path) -> None:
    name = "Greater " + "Metropolitan " * 40 + "Area"
    set_cell(tiny_data_dir, "cities.csv", 2, "name", name)
    assert problems_in(tiny_data_dir) == []
    assert load_dataset(tiny_data_dir).cities["name"].iloc[0] == name


def test_html_in_city_name_is_loaded_verbatim(tiny_data_dir: Path) -> None:
    name = '<script>alert("x")</script><b>Hong Kong</b> & co'
    set_cell(tiny_data_dir, "cities.csv", 2, "name", name)
    set_cell(tiny_data_dir, "observations.csv", 2, "note", "<img src=x onerror=alert(1)>")
    assert problems_in(tiny_data_dir) == []
    dataset = load_dataset(tiny_data_dir)
    assert dataset.cities["name"].iloc[0] == name
    assert dataset.observations["note"].iloc[0] == "<img src=x onerror=alert(1)>"


def test_whitespace_around_cells_is_accepted(tiny_data_dir: Path) -> None:
    set_cell(tiny_data_dir, "observations.csv", 2, "value", " 1200 ")
    set_cell(tiny_data_dir, "observations.csv", 2, "city_id", "hong_kong ")
    assert problems_in(tiny_data_dir) == []
    assert load_dataset(tiny_data_dir).observations["value"].iloc[0] == 1200.0


# --------------------------------------------------------------------------- workbooks


def test_xlsx_workbook_with_a_missing_sheet(tiny_data_dir: Path) -> None:
    book = write_workbook(tiny_data_dir, tiny_data_dir / "data.xlsx", skip=("indicators",))
    problem = one_problem(tiny_data_dir, data=book)
    check(
        problem,
        "data.xlsx",
        None,
        None,
        "no sheet named 'indicators'",
        "has 'cities', 'observations'",
    )


def test_xlsx_misnamed_sheet_with_suggestion(tiny_data_dir: Path) -> None:
    book = write_workbook(tiny_data_dir, tiny_data_dir / "data.xlsx")
    workbook = openpyxl.load_workbook(book)
    workbook["observations"].title = "Observation"
    workbook.save(book)
    check(
        one_problem(tiny_data_dir, data=book),
        "data.xlsx",
        None,
        None,
        "did you mean 'Observation'?",
    )


def test_xlsx_bad_cell_is_located_by_sheet_and_row(tiny_data_dir: Path) -> None:
    book = write_workbook(tiny_data_dir, tiny_data_dir / "data.xlsx")
    workbook = openpyxl.load_workbook(book)
    workbook["observations"]["D8"] = "abc"
    workbook.save(book)
    problem = one_problem(tiny_data_dir, data=book)
    assert problem.file == f"{book}[observations]"
    check(problem, "data.xlsx", 8, "value", "not a number", "found 'abc'")


def test_xlsx_percent_formatted_cell(tiny_data_dir: Path) -> None:
    book = write_workbook(tiny_data_dir, tiny_data_dir / "data.xlsx")
    workbook = openpyxl.load_workbook(book)
    workbook["observations"]["D20"] = 0.787
    workbook["observations"]["D20"].number_format = "0.0%"
    workbook.save(book)
    check(
        one_problem(tiny_data_dir, data=book),
        "data.xlsx",
        20,
        "value",
        "formatted as a percentage",
        "78.7%",
    )


def test_not_a_workbook(tiny_data_dir: Path) -> None:
    fake = tiny_data_dir / "data.xlsx"
    fake.write_text("this is not a zip file", encoding="utf-8")
    check(one_problem(tiny_data_dir, data=fake), "data.xlsx", None, None, "cannot open workbook")


# --------------------------------------------------------------------------- all at once


def test_validate_reports_every_problem_in_one_run(tiny_data_dir: Path) -> None:
    set_cell(tiny_data_dir, "observations.csv", 8, "value", "abc")
    set_cell(tiny_data_dir, "observations.csv", 12, "city_id", "singapur")
    set_cell(tiny_data_dir, "observations.csv", 20, "value", "178.7")
    set_cell(tiny_data_dir, "indicators.csv", 2, "direction", "2")
    set_cell(tiny_data_dir, "indicators.csv", 5, "pillar", "environment")
    change_rows(tiny_data_dir, "cities.csv", lambda rows: [*rows, rows[0]])
    replace_text(
        tiny_data_dir, "edition.yaml", "spotlight_city: hong_kong", "spotlight_city: hongkong"
    )
    replace_text(tiny_data_dir, "edition.yaml", "      name: Capital", "      nmae: Capital")
    problems = problems_in(tiny_data_dir)
    where = {(Path(p.file).name, p.row, p.column) for p in problems}
    assert where == {
        ("observations.csv", 8, "value"),
        ("observations.csv", 12, "city_id"),
        ("observations.csv", 20, "value"),
        ("indicators.csv", 2, "direction"),
        ("indicators.csv", 5, "pillar"),
        ("cities.csv", 6, "city_id"),
        ("edition.yaml", 8, "spotlight_city"),
        ("edition.yaml", 25, "framework.pillars[1].nmae"),
    }, "\n".join(map(str, problems))
    with pytest.raises(InputError) as info:
        load_inputs(tiny_data_dir)
    assert len(info.value.problems) == len(problems)
    assert str(info.value).count("\n") == len(problems) - 1


def test_every_message_is_one_line(tiny_data_dir: Path) -> None:
    set_cell(tiny_data_dir, "observations.csv", 8, "value", "a\nb")
    set_cell(tiny_data_dir, "cities.csv", 2, "city_id", "a\nb")
    rows = read_rows(tiny_data_dir, "indicators.csv")
    write_rows(tiny_data_dir, "indicators.csv", [{**r, "note\nhere": ""} for r in rows])
    problems = problems_in(tiny_data_dir)
    assert problems
    assert all("\n" not in str(p) for p in problems)


def iter_catalogue() -> Iterator[str]:
    return (name for name in globals() if name.startswith("test_"))


def test_catalogue_has_at_least_forty_cases() -> None:
    assert len(list(iter_catalogue())) >= 40


# --------------------------------------------------------------------------- the command line


def run_cli(*args: str) -> Result:
    from reportgen.cli import main

    if "validate" not in getattr(main, "commands", {}):
        pytest.skip("reportgen validate is not there yet")
    return CliRunner().invoke(main, list(args))


def test_cli_validate_accepts_valid_inputs(tiny_data_dir: Path) -> None:
    result = run_cli("validate", "--data", str(tiny_data_dir))
    assert result.exit_code == 0, result.output


def test_cli_validate_prints_every_problem_without_traceback(tiny_data_dir: Path) -> None:
    set_cell(tiny_data_dir, "observations.csv", 8, "value", "abc")
    set_cell(tiny_data_dir, "observations.csv", 12, "city_id", "singapur")
    replace_text(tiny_data_dir, "edition.yaml", "spotlight_city: hong_kong", "spotlight_city: x")
    before = tree(tiny_data_dir.parent)
    result = run_cli("validate", "--data", str(tiny_data_dir))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "observations.csv:8 column 'value': not a number; found 'abc'" in result.stderr
    assert "observations.csv:12 column 'city_id': unknown city id" in result.stderr
    assert "edition.yaml:8 column 'spotlight_city'" in result.stderr
    assert tree(tiny_data_dir.parent) == before


def test_cli_validate_on_a_missing_folder(tmp_path: Path) -> None:
    result = run_cli("validate", "--data", str(tmp_path / "nowhere"))
    assert result.exit_code == 1
    assert "not found" in result.stderr
    assert "Traceback" not in result.output


def test_cli_validate_with_a_year_the_data_lacks(tiny_data_dir: Path) -> None:
    result = run_cli("validate", "--data", str(tiny_data_dir), "--year", "2010")
    assert result.exit_code == 1
    assert "no observations for 2010" in result.stderr


def test_cli_validate_on_a_yaml_syntax_error(tiny_data_dir: Path) -> None:
    replace_text(tiny_data_dir, "edition.yaml", "author: Test Author", "author: Test: Author")
    result = run_cli("validate", "--data", str(tiny_data_dir))
    assert result.exit_code == 1
    assert "edition.yaml:5: YAML syntax error at line 5, column 13" in result.stderr
