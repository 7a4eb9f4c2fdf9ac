"""The bad-input catalogue (issue 8): one table of named cases, each a broken input with where
the problem is, what the message says, and the check that nothing was written.

Rows in the tiny data set (conftest.tiny_data_dir), as a spreadsheet numbers them:
cities.csv      2 hong_kong, 3 shenzhen, 4 singapore, 5 london
indicators.csv  2 pct_patents (innovation), 3 vc_capital (capital, list_threshold 2.5,
                per capita), 4 safety_index (liveability, 0-100), 5 pm25 (liveability, -1)
observations    2-5 pct_patents 2023, 6-9 pct_patents 2024, 10-12 vc_capital 2023,
                13-15 vc_capital 2024 (no London), 16-23 safety_index, 24-31 pm25

Inputs that need more than one edited folder and one check (a missing folder, workbooks,
several problems at once, the command line) are separate tests below the table.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result

from reportgen.cli import main
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


def one_problem(folder: Path, *, data: Path | None = None) -> Problem:
    problems = problems_in(folder, data=data)
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
    book.remove(book.active)
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


# --------------------------------------------------------------------------- edits

# An edit breaks the tiny data folder in one way; a case applies its edits in order.
Edit = Callable[[Path], None]


def cell(name: str, row: int, column: str, value: str) -> Edit:
    return lambda folder: set_cell(folder, name, row, column, value)


def text(name: str, old: str, new: str) -> Edit:
    """Replace the first occurrence of `old`, which must be there."""
    return lambda folder: replace_text(folder, name, old, new)


def rows(name: str, change: Callable[[list[Row]], list[Row]]) -> Edit:
    return lambda folder: change_rows(folder, name, change)


def rewrite(name: str, change: Callable[[bytes], bytes]) -> Edit:
    """Rewrite a file's bytes (encodings, separators): the change must change something."""

    def edit(folder: Path) -> None:
        path = folder / name
        before = path.read_bytes()
        after = change(before)
        assert after != before, f"the edit left {name} as it was"
        path.write_bytes(after)

    return edit


def remove(name: str) -> Edit:
    return lambda folder: (folder / name).unlink()


def drop_observations(dropped: Callable[[Row], bool]) -> Edit:
    return rows("observations.csv", lambda found: [r for r in found if not dropped(r)])


def rename_city(old: str, new: str) -> Edit:
    """Rename a city in both files that name it, so only the id itself can be at fault."""

    def rename(row: Row) -> Row:
        return {**row, "city_id": new} if row["city_id"] == old else row

    def edit(folder: Path) -> None:
        for name in ("cities.csv", "observations.csv"):
            change_rows(folder, name, lambda found: [rename(r) for r in found])

    return edit


def _drop(row: Row, column: str) -> Row:
    return {k: v for k, v in row.items() if k != column}


# --------------------------------------------------------------------------- expectations


@dataclass(frozen=True)
class Rejected:
    """Exactly one problem, in this file, row and column, its text holding these fragments."""

    file: str
    row: int | None
    column: str | None
    fragments: tuple[str, ...]

    def verify(self, problems: list[Problem], folder: Path) -> None:
        assert len(problems) == 1, "\n".join(str(p) for p in problems)
        self.check(problems[0])

    def check(self, problem: Problem) -> None:
        check(problem, self.file, self.row, self.column, *self.fragments)


def rejected(file: str, row: int | None, column: str | None, *fragments: str) -> Rejected:
    return Rejected(file, row, column, fragments)


@dataclass(frozen=True)
class AmongOthers:
    """Several problems, the one at `index` as `problem` says; `columns`, when given, is every
    problem's column in order (the follow-on problems are true and reported too)."""

    index: int
    problem: Rejected
    columns: tuple[str | None, ...] | None = None

    def verify(self, problems: list[Problem], folder: Path) -> None:
        listing = "\n".join(str(p) for p in problems)
        if self.columns is not None:
            assert [p.column for p in problems] == list(self.columns), listing
        assert len(problems) > self.index, listing
        self.problem.check(problems[self.index])


@dataclass(frozen=True)
class Accepted:
    """No problem, and the loaded tables start with these values: (table, column, value)."""

    first_values: tuple[tuple[str, str, object], ...] = ()

    def verify(self, problems: list[Problem], folder: Path) -> None:
        assert problems == [], "\n".join(str(p) for p in problems)
        dataset = load_dataset(folder)
        for table, column, value in self.first_values:
            assert getattr(dataset, table)[column].iloc[0] == value, (table, column)


@dataclass(frozen=True)
class Case:
    """One broken (or oddly written but valid) input: edits to the tiny data set, then what
    check_inputs must say about it, for the edition year or `year`."""

    id: str
    edits: Sequence[Edit]
    expect: Rejected | AmongOthers | Accepted
    year: int | None = None


LONG_NAME = "Greater " + "Metropolitan " * 40 + "Area"
HTML_NAME = '<script>alert("x")</script><b>Hong Kong</b> & co'
HTML_NOTE = "<img src=x onerror=alert(1)>"
BOM = b"\xef\xbb\xbf"

BAD_VALUES = [
    ("non_numeric", "abc", ["not a number", "a plain number"]),
    ("inf", "inf", ["not a finite number"]),
    ("minus_infinity", "-Infinity", ["not a finite number"]),
    ("nan_text", "NaN", ["missing-value marker", "leave the row out"]),
    ("na_text", "N/A", ["missing-value marker"]),
    ("thousands_separator", "1,234", ["thousands separators", "write 1234"]),
    ("percent_sign", "12%", ["percent sign", "write 12"]),
    ("decimal_comma", "12,5", ["decimal comma", "write 12.5"]),
    ("overflow", "1e999", ["too large"]),
    ("currency_sign", "$40", ["not a number"]),
]

CASES: list[Case] = [
    # ----------------------------------------------------------------------- files
    Case(
        "missing_file",
        [remove("observations.csv")],
        rejected("observations.csv", None, None, "file not found"),
    ),
    Case(
        "missing_edition_file",
        [remove("edition.yaml")],
        rejected("edition.yaml", None, None, "edition file not found"),
    ),
    Case(
        "empty_file",
        [rewrite("cities.csv", lambda data: b"")],
        rejected("cities.csv", None, None, "file is empty", "city_id,name"),
    ),
    Case(
        "header_only",
        [rewrite("observations.csv", lambda data: data.split(b"\n")[0] + b"\n")],
        rejected("observations.csv", 1, None, "no data rows", "observation"),
    ),
    Case(
        "wrong_delimiter_semicolon",
        [rewrite("observations.csv", lambda data: data.replace(b",", b";"))],
        rejected("observations.csv", 1, None, "looks like ';'-separated"),
    ),
    Case(
        "wrong_delimiter_tab",
        [rewrite("cities.csv", lambda data: data.replace(b",", b"\t"))],
        rejected("cities.csv", 1, None, "looks like tab-separated"),
    ),
    Case(
        "utf8_bom_is_accepted",
        [
            rewrite(name, lambda data: BOM + data)
            for name in ("cities.csv", "indicators.csv", "observations.csv")
        ],
        Accepted((("cities", "city_id", "hong_kong"),)),
    ),
    Case(
        # a latin-1 editor saving row 5 as "Zürich": one byte 0xFC where UTF-8 needs two
        "latin1_bytes_are_rejected_naming_the_line",
        [
            rewrite(
                "cities.csv",
                lambda data: data.replace("London,伦敦".encode(), "Zürich,".encode("latin-1")),
            )
        ],
        rejected("cities.csv", 5, None, "not valid UTF-8", "latin-1", "0xFC", "UTF-8"),
    ),
    Case(
        "utf16_file_is_rejected",
        [rewrite("cities.csv", lambda data: data.decode("utf-8").encode("utf-16"))],
        rejected("cities.csv", None, None, "UTF-16", "CSV UTF-8"),
    ),
    # ----------------------------------------------------------------------- columns and rows
    Case(
        "missing_column_with_did_you_mean",
        [text("observations.csv", "city_id,indicator_id,", "city_id,indicator,")],
        rejected(
            "observations.csv",
            1,
            "indicator",
            "unknown column",
            "did you mean 'indicator_id'?",
        ),
    ),
    Case(
        "missing_column",
        [rows("observations.csv", lambda found: [_drop(r, "year") for r in found])],
        rejected("observations.csv", 1, "year", "missing column", "'year'"),
    ),
    Case(
        "unexpected_column",
        [rows("observations.csv", lambda found: [{**r, "comment": "x"} for r in found])],
        rejected("observations.csv", 1, "comment", "unexpected column", "expected one of city_id"),
    ),
    Case(
        "column_twice_in_header",
        [text("cities.csv", "region,", "country,")],
        rejected("cities.csv", 1, "country", "column appears twice"),
    ),
    Case(
        "unquoted_comma_gives_row_with_too_many_cells",
        [text("observations.csv", "cluster value\n", "cluster value, shared\n")],
        rejected(
            "observations.csv",
            2,
            None,
            "different number of cells",
            "quotes",
            "found '7 cells'",
            "expected 6 cells",
        ),
    ),
    Case(
        # The blank line goes in last (rewriting rows drops it) and is no problem of its own:
        # the one problem is the bad value, on the line a spreadsheet shows.
        "blank_lines_are_skipped_and_rows_keep_their_numbers",
        [
            cell("observations.csv", 4, "value", "abc"),
            text(
                "observations.csv",
                "\nshenzhen,pct_patents,2023",
                "\n\nshenzhen,pct_patents,2023",
            ),
        ],
        rejected("observations.csv", 5, "value", "not a number"),
    ),
    Case(
        "multiline_quoted_note_counts_as_one_row",
        [
            cell("observations.csv", 3, "note", "first line\nsecond line"),
            cell("observations.csv", 4, "value", "abc"),
        ],
        rejected("observations.csv", 4, "value", "not a number"),
    ),
    # ----------------------------------------------------------------------- ids
    Case(
        "duplicate_city_indicator_year",
        [rows("observations.csv", lambda found: [*found, {**found[4], "value": "1"}])],
        rejected(
            "observations.csv",
            32,
            None,
            "duplicate observation of 'pct_patents' for 'hong_kong' in 2024",
            "first at row 6",
        ),
    ),
    Case(
        "unknown_city_id",
        [cell("observations.csv", 7, "city_id", "shenzen")],
        rejected(
            "observations.csv",
            7,
            "city_id",
            "unknown city id",
            "did you mean 'shenzhen'?",
            "found 'shenzen'",
            "cities.csv",
        ),
    ),
    Case(
        "unknown_indicator_id",
        [cell("observations.csv", 20, "indicator_id", "safety")],
        rejected(
            "observations.csv",
            20,
            "indicator_id",
            "unknown indicator id",
            "did you mean 'safety_index'?",
        ),
    ),
    Case(
        "same_city_twice",
        [rows("cities.csv", lambda found: [*found, found[3]])],
        rejected("cities.csv", 6, "city_id", "city 'london' appears twice (first at row 5)"),
    ),
    Case(
        "city_id_with_slash_is_rejected",
        [rename_city("london", "../x")],
        rejected(
            "cities.csv",
            5,
            "city_id",
            "path separator",
            "found '../x'",
            "^[a-z0-9][a-z0-9_-]*$",
        ),
    ),
    Case(
        "city_id_with_dot_dot_is_rejected",
        [rename_city("london", "..")],
        rejected("cities.csv", 5, "city_id", "'..'", "found '..'"),
    ),
    Case(
        "city_id_with_capitals_is_rejected",
        [rename_city("london", "London")],
        rejected("cities.csv", 5, "city_id", "upper-case", "found 'London'"),
    ),
    # ----------------------------------------------------------------------- values
    *(
        Case(
            f"bad_value_{name}",
            [cell("observations.csv", 8, "value", value)],
            rejected("observations.csv", 8, "value", f"found {value!r}", *words),
        )
        for name, value, words in BAD_VALUES
    ),
    Case(
        "empty_value_cell",
        [cell("observations.csv", 8, "value", "")],
        rejected("observations.csv", 8, "value", "empty value", "leave the row out"),
    ),
    Case(
        "value_outside_declared_range",
        [cell("observations.csv", 20, "value", "178.7")],
        rejected(
            "observations.csv",
            20,
            "value",
            "outside the declared range of 'safety_index'",
            "found '178.7'",
            "between 0 and 100",
        ),
    ),
    Case(
        "negative_value_below_declared_min",
        [cell("observations.csv", 6, "value", "-5")],
        rejected("observations.csv", 6, "value", "declared range", ">= 0"),
    ),
    Case(
        "non_integer_year",
        [cell("observations.csv", 9, "year", "2024.5")],
        rejected("observations.csv", 9, "year", "not a whole year", "2024.5"),
    ),
    Case(
        "year_written_as_text",
        [cell("observations.csv", 9, "year", "FY2024")],
        rejected("observations.csv", 9, "year", "not a whole year", "a year such as"),
    ),
    Case(
        "implausible_year",
        [cell("observations.csv", 9, "year", "224")],
        rejected("observations.csv", 9, "year", "implausible year"),
    ),
    Case(
        "missing_source_url",
        [cell("observations.csv", 11, "source_url", "")],
        rejected("observations.csv", 11, "source_url", "missing source_url", "source"),
    ),
    Case(
        "missing_population_for_per_capita_indicator",
        [cell("cities.csv", 3, "population", "")],
        rejected("cities.csv", 3, "population", "no population for 'shenzhen'", "vc_capital"),
    ),
    Case(
        "latitude_out_of_range",
        [cell("cities.csv", 4, "lat", "135.2")],
        rejected("cities.csv", 4, "lat", "latitude", "between -90 and 90"),
    ),
    # ----------------------------------------------------------------------- coverage
    Case(
        "indicator_with_zero_variance",
        [cell("observations.csv", row, "value", "10") for row in range(28, 32)],
        rejected(
            "indicators.csv",
            5,
            "indicator_id",
            "zero variance in 2024",
            "found 'pm25'",
        ),
    ),
    Case(
        "indicator_with_all_values_missing",
        [drop_observations(lambda r: r["indicator_id"] == "safety_index")],
        rejected(
            "indicators.csv",
            4,
            "indicator_id",
            "no values for 2024",
            "found 'safety_index'",
        ),
    ),
    Case(
        "top_n_indicator_with_every_city_below_the_list",
        [drop_observations(lambda r: r["indicator_id"] == "vc_capital")],
        rejected("indicators.csv", 3, "indicator_id", "below its list threshold"),
    ),
    Case(
        "city_with_no_values",
        [drop_observations(lambda r: r["city_id"] == "london")],
        rejected("cities.csv", 5, "city_id", "city has no observations", "'london'"),
    ),
    Case(
        "city_with_only_stale_values",
        [
            drop_observations(lambda r: r["city_id"] == "london" and r["year"] == "2024"),
            rows(
                "observations.csv",
                lambda found: [
                    {**r, "year": "2012"} if r["city_id"] == "london" else r for r in found
                ],
            ),
        ],
        rejected(
            "cities.csv",
            5,
            "city_id",
            "no values for 2024",
            "2019–2024",
            "latest is 2012",
        ),
    ),
    Case(
        "year_the_data_lacks",
        [],
        rejected(
            "observations.csv",
            None,
            "year",
            "no observations for 2010 or the 5 years before it",
            "the data covers 2023–2024",
        ),
        year=2010,
    ),
    # ----------------------------------------------------------------------- indicators file
    *(
        Case(
            f"bad_direction_{direction}",
            [cell("indicators.csv", 2, "direction", direction)],
            rejected(
                "indicators.csv",
                2,
                "direction",
                "invalid direction",
                f"found {direction!r}",
                "1 (higher is better) or -1 (lower is better)",
            ),
        )
        for direction in ("0", "2", "up")
    ),
    Case(
        "negative_weight",
        [cell("indicators.csv", 4, "weight", "-1")],
        rejected("indicators.csv", 4, "weight", "negative", ">= 0"),
    ),
    Case(
        "weights_summing_to_zero",
        [cell("indicators.csv", 4, "weight", "0"), cell("indicators.csv", 5, "weight", "0")],
        rejected(
            "indicators.csv",
            4,
            "weight",
            "pillar 'liveability'",
            "all zero",
            "at least one positive weight",
        ),
    ),
    Case(
        "unknown_dimension",
        [cell("indicators.csv", 5, "dimension", "ECX")],
        rejected(
            "indicators.csv",
            5,
            "dimension",
            "unknown dimension",
            "did you mean 'ECC'?",
            "one of TDP, ECC",
        ),
    ),
    Case(
        "dimension_disagrees_with_pillar",
        [cell("indicators.csv", 5, "dimension", "TDP")],
        rejected("indicators.csv", 5, "dimension", "pillar 'liveability'", "expected ECC"),
    ),
    Case(
        "indicator_whose_pillar_is_not_declared",
        [cell("indicators.csv", 5, "pillar", "environment")],
        rejected(
            "indicators.csv",
            5,
            "pillar",
            "not declared in",
            "edition.yaml",
            "one of innovation, capital, liveability",
        ),
    ),
    Case(
        "indicator_in_no_pillar",
        [cell("indicators.csv", 5, "pillar", "")],
        rejected("indicators.csv", 5, "pillar", "in no pillar"),
    ),
    Case(
        "indicator_in_two_pillars",
        [
            rows(
                "indicators.csv",
                lambda found: [*found, {**found[3], "dimension": "TDP", "pillar": "innovation"}],
            )
        ],
        rejected(
            "indicators.csv",
            6,
            "pillar",
            "'pm25' is in two pillars",
            "'liveability' (row 5)",
            "'innovation'",
        ),
    ),
    Case(
        "unknown_role",
        [cell("indicators.csv", 2, "role", "indx")],
        rejected("indicators.csv", 2, "role", "did you mean 'index'?"),
    ),
    Case(
        "unknown_denominator",
        [cell("indicators.csv", 3, "denominator", "area")],
        rejected("indicators.csv", 3, "denominator", "'population'"),
    ),
    Case(
        # the first problem is the bounds; every safety value then lies outside them too
        "min_not_below_max",
        [cell("indicators.csv", 4, "min", "100"), cell("indicators.csv", 4, "max", "0")],
        rejected("indicators.csv", 4, "max", "min is not below max"),
    ),
    # ----------------------------------------------------------------------- edition file
    Case(
        "yaml_syntax_error_with_line_and_column",
        [text("edition.yaml", "author: Test Author", "author: Test: Author")],
        rejected(
            "edition.yaml",
            5,
            None,
            "YAML syntax error at line 5, column 13",
            "mapping values are not allowed",
        ),
    ),
    Case(
        "yaml_tab_indentation",
        [text("edition.yaml", "  index_name: Overall", "\tindex_name: Overall")],
        rejected("edition.yaml", 11, None, "YAML syntax error at line 11", "tab"),
    ),
    Case(
        "unknown_edition_key_with_suggestion",
        [text("edition.yaml", "publisher:", "publsher:")],
        rejected(
            "edition.yaml",
            4,
            "publsher",
            "unknown key 'publsher'",
            "did you mean 'publisher'?",
        ),
    ),
    Case(
        "unknown_nested_key_with_suggestion",
        [text("edition.yaml", "      name: Capital", "      nmae: Capital")],
        rejected("edition.yaml", 25, "framework.pillars[1].nmae", "did you mean 'name'?"),
    ),
    Case(
        "wrong_type_in_edition",
        [text("edition.yaml", "year: 2024", "year: twenty")],
        rejected(
            "edition.yaml",
            2,
            "year",
            "valid integer",
            "found 'twenty'",
            "a whole number",
        ),
    ),
    Case(
        "missing_edition_key",
        [text("edition.yaml", "title: Tiny Tech Cities Index\n", "")],
        rejected("edition.yaml", None, "title", "missing key 'title'"),
    ),
    Case(
        "duplicate_edition_key",
        [text("edition.yaml", "language: en\n", "language: en\nlanguage: zh\n")],
        rejected("edition.yaml", 7, "language", "key 'language' appears twice (first at line 6)"),
    ),
    Case(
        "unknown_build_method_with_suggestion",
        [text("edition.yaml", "method: minmax", "method: minmux")],
        rejected("edition.yaml", 34, "build[2].method", "minmux", "minmax"),
    ),
    Case(
        "negative_pillar_weight_in_edition",
        [text("edition.yaml", "      name: Capital\n", "      name: Capital\n      weight: -2\n")],
        rejected(
            "edition.yaml",
            26,
            "framework.pillars[1].weight",
            "out of range",
            "found '-2'",
            ">= 0",
        ),
    ),
    Case(
        "dimension_weights_summing_to_zero",
        [rewrite("edition.yaml", lambda data: data.replace(b"weight: 1\n", b"weight: 0\n"))],
        rejected("edition.yaml", 12, "framework.dimensions", "dimension weights are all zero"),
    ),
    Case(
        "pillar_declared_but_empty",
        [
            text(
                "edition.yaml",
                "build:",
                "    - id: talent\n      dimension: TDP\n      name: Talent\nbuild:",
            )
        ],
        rejected(
            "edition.yaml",
            29,
            "framework.pillars[3]",
            "pillar 'talent' has no index indicators in indicators.csv",
        ),
    ),
    Case(
        "dimension_with_no_pillars",
        [text("edition.yaml", "  pillars:", "    - id: GOV\n      name: Governance\n  pillars:")],
        rejected("edition.yaml", 19, "framework.dimensions[2]", "dimension 'GOV' has no pillars"),
    ),
    Case(
        "pillar_in_undeclared_dimension",
        [text("edition.yaml", "dimension: ECC", "dimension: ECX")],
        AmongOthers(
            1,
            rejected(
                "edition.yaml",
                27,
                "framework.pillars[2].dimension",
                "undeclared dimension",
                "did you mean 'ECC'?",
            ),
            columns=(
                "framework.dimensions[1]",  # ECC now has no pillars: true, and reported
                "framework.pillars[2].dimension",
            ),
        ),
    ),
    Case(
        "unknown_spotlight_city",
        [text("edition.yaml", "spotlight_city: hong_kong", "spotlight_city: hongkong")],
        rejected(
            "edition.yaml",
            8,
            "spotlight_city",
            "unknown spotlight city",
            "did you mean 'hong_kong'?",
        ),
    ),
    Case(
        "previous_year_not_before_year",
        [text("edition.yaml", "previous_year: 2023", "previous_year: 2024")],
        rejected("edition.yaml", 3, "previous_year", "not before year"),
    ),
    Case(
        "previous_year_the_data_lacks",
        [text("edition.yaml", "previous_year: 2023", "previous_year: 2015")],
        rejected("edition.yaml", 3, "previous_year", "no observations for 2015"),
    ),
    # ----------------------------------------------------------------------- accepted as text
    Case(
        "very_long_city_name_is_accepted",
        [cell("cities.csv", 2, "name", LONG_NAME)],
        Accepted((("cities", "name", LONG_NAME),)),
    ),
    Case(
        "html_in_city_name_is_loaded_verbatim",
        [cell("cities.csv", 2, "name", HTML_NAME), cell("observations.csv", 2, "note", HTML_NOTE)],
        Accepted((("cities", "name", HTML_NAME), ("observations", "note", HTML_NOTE))),
    ),
    Case(
        "whitespace_around_cells_is_accepted",
        [
            cell("observations.csv", 2, "value", " 1200 "),
            cell("observations.csv", 2, "city_id", "hong_kong "),
        ],
        Accepted((("observations", "value", 1200.0),)),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input(tiny_data_dir: Path, case: Case) -> None:
    for edit in case.edits:
        edit(tiny_data_dir)
    case.expect.verify(problems_in(tiny_data_dir, year=case.year), tiny_data_dir)


def test_the_table_has_unique_ids_and_at_least_forty_cases() -> None:
    ids = [case.id for case in CASES]
    assert sorted({i for i in ids if ids.count(i) > 1}) == []
    assert len(CASES) >= 40


# --------------------------------------------------------------------------- no data folder


def load_inputs_problems(data: Path) -> list[Problem]:
    with pytest.raises(InputError) as info:
        load_inputs(data)
    return list(info.value.problems)


def test_missing_data_folder(tmp_path: Path) -> None:
    problems = load_inputs_problems(tmp_path / "nowhere")
    assert any("not found" in str(p) and p.file.endswith("nowhere") for p in problems)
    message = str(problems[0])
    assert str((tmp_path / "nowhere").resolve()) in message  # absolute, whatever the cwd
    assert "--data PATH" in message


def test_relative_data_folder_names_its_absolute_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    problems = load_inputs_problems(Path("data"))
    assert f"looked for {tmp_path.resolve() / 'data'}" in str(problems[0])


# --------------------------------------------------------------------------- workbooks


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


# --------------------------------------------------------------------------- the command line


def run_cli(*args: str) -> Result:
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
