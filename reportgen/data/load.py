"""Read cities, indicators and observations from CSV files or an XLSX workbook into typed frames."""

from __future__ import annotations

import csv
import difflib
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from reportgen.data.cells import (
    CellError,
    Parser,
    choice,
    iso3,
    latitude,
    longitude,
    parse_age,
    parse_city_list,
    parse_direction,
    parse_id,
    parse_non_negative,
    parse_number,
    parse_text,
    parse_year,
)
from reportgen.errors import InputError, Problem

TABLES: tuple[str, ...] = ("cities", "indicators", "observations")
EXCEL_SUFFIXES = frozenset({".xlsx", ".xlsm"})


# --------------------------------------------------------------------------- table specs


@dataclass(frozen=True)
class Column:
    """A column of an input table; a required column must be present and have no empty cell."""

    name: str
    parse: Parser
    dtype: str  # "str", "float64" or "Int64"
    required: bool = False
    empty_message: str = "empty cell"


@dataclass(frozen=True)
class Table:
    name: str
    noun: str  # what one row is, for "no data rows" messages
    columns: tuple[Column, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def _col(name: str, parse: Parser, dtype: str = "str", required: bool = False, **kw: str) -> Column:
    return Column(name, parse, dtype, required, **kw)


SCHEMAS: dict[str, Table] = {
    "cities": Table(
        "cities",
        "city",
        (
            _col("city_id", parse_id, required=True),
            _col("name", parse_text, required=True),
            _col("name_zh", parse_text),
            _col("country", parse_text, required=True),
            _col("iso3", iso3),
            _col("region", parse_text),
            _col("lat", latitude, "float64"),
            _col("lon", longitude, "float64"),
            _col("population", parse_non_negative, "float64"),
            _col("population_year", parse_year, "Int64"),
            _col("population_source_url", parse_text),
        ),
    ),
    "indicators": Table(
        "indicators",
        "indicator",
        (
            _col("indicator_id", parse_id, required=True),
            _col("dimension", parse_text, required=True),
            _col(
                "pillar",
                parse_id,
                required=True,
                empty_message="indicator is in no pillar: the pillar cell is empty",
            ),
            _col("name", parse_text, required=True),
            _col("short_name", parse_text),
            _col("unit", parse_text, required=True),
            _col("direction", parse_direction, "Int64", required=True),
            _col("weight", parse_non_negative, "float64", required=True),
            _col("role", choice("index", "context"), required=True),
            _col("denominator", choice("population")),
            _col("min", parse_number, "float64"),
            _col("max", parse_number, "float64"),
            _col("list_threshold", parse_number, "float64"),
            _col("absence_note", parse_text),
            _col("max_age", parse_age, "Int64"),
            _col("definition", parse_text),
            _col("source_name", parse_text),
            _col("source_url", parse_text),
            _col("publisher", parse_text),
            _col("publication", parse_text),
            _col("publisher_domain", parse_text),
        ),
    ),
    "observations": Table(
        "observations",
        "observation",
        (
            _col("city_id", parse_text, required=True),
            _col("indicator_id", parse_text, required=True),
            _col("year", parse_year, "Int64", required=True),
            _col(
                "value",
                parse_number,
                "float64",
                required=True,
                empty_message="empty value (leave the row out if the value is missing)",
            ),
            _col(
                "source_url",
                parse_text,
                required=True,
                empty_message="missing source_url: every value needs its source",
            ),
            _col("note", parse_text),
            _col("shared_with", parse_city_list),
            _col("publisher", parse_text),
        ),
    ),
}


# --------------------------------------------------------------------------- the dataset


@dataclass(frozen=True, eq=False)  # frames don't compare with ==; identity does
class Dataset:
    """The three input tables, typed; each frame's index (``row``) is the source row number."""

    cities: pd.DataFrame
    indicators: pd.DataFrame
    observations: pd.DataFrame
    source: Path
    files: dict[str, str] = field(default_factory=dict)

    def file(self, table: str) -> str:
        """How problems name a table's file: ``data/cities.csv`` or ``book.xlsx[cities]``."""
        return self.files.get(table) or table_file(self.source, table)


def table_file(source: Path, table: str) -> str:
    if source.suffix.lower() in EXCEL_SUFFIXES:
        return f"{source}[{table}]"
    return str(source / f"{table}.csv")


def load_dataset(path: Path) -> Dataset:
    """Read a data folder (cities.csv, indicators.csv, observations.csv) or an XLSX workbook.

    Raises InputError listing every problem found, each located by file, row and column.
    """
    dataset, problems = read_dataset(path)
    if problems or dataset is None:
        raise InputError(problems)
    return dataset


def read_dataset(path: Path) -> tuple[Dataset | None, list[Problem]]:
    """Like load_dataset, but returns the problems; the dataset (bad cells left empty) is returned
    whenever every table could be read, so cross-file checks can still run in the same pass."""
    path = Path(path)
    if not path.exists():
        return None, [
            Problem(
                str(path),
                f"data folder or workbook not found (looked for {path.resolve()}; pass the data "
                "with --data PATH)",
                expected="a folder with cities.csv, indicators.csv and observations.csv, or an "
                ".xlsx workbook with those three sheets",
            )
        ]
    if path.is_dir():
        raw = {name: _read_csv(path / f"{name}.csv", SCHEMAS[name]) for name in TABLES}
    elif path.suffix.lower() in EXCEL_SUFFIXES:
        raw = _read_workbook(path)
    else:
        return None, [
            Problem(
                str(path),
                "unsupported data file",
                found=path.suffix or path.name,
                expected="a folder of CSV files or an .xlsx workbook",
            )
        ]
    problems: list[Problem] = []
    frames: dict[str, pd.DataFrame] = {}
    for name in TABLES:
        records, table_problems = raw[name]
        problems.extend(table_problems)
        if records is not None:
            frame, cell_problems = _typed_frame(records, SCHEMAS[name])
            frames[name] = frame
            problems.extend(cell_problems)
    if "indicators" in frames:
        problems.extend(
            _check_indicator_ranges(frames["indicators"], records_file(raw, "indicators"))
        )
    files = {name: records_file(raw, name) for name in TABLES}
    problems = in_file_order(problems, list(files.values()))
    if len(frames) < len(TABLES):
        return None, problems
    return Dataset(
        frames["cities"], frames["indicators"], frames["observations"], path, files
    ), problems


def in_file_order(problems: list[Problem], files: Sequence[str]) -> list[Problem]:
    """Problems grouped by file (in the order given, then others by name) and by row; the
    order in which they were found is kept within a row."""

    def position(problem: Problem) -> tuple[int, str, int]:
        rank = files.index(problem.file) if problem.file in files else len(files)
        return rank, problem.file, problem.row or 0

    return sorted(problems, key=position)


# --------------------------------------------------------------------------- reading raw records


@dataclass(frozen=True)
class Records:
    """Header and rows of one table as text, each row with its spreadsheet row number."""

    file: str
    header: tuple[str, ...]
    rows: tuple[tuple[int, tuple[str, ...]], ...]


RawTable = tuple[Records | None, list[Problem]]


def records_file(raw: dict[str, RawTable], name: str) -> str:
    records, problems = raw[name]
    if records is not None:
        return records.file
    return problems[0].file if problems else name


def _read_csv(path: Path, table: Table) -> RawTable:
    file = str(path)
    header_hint = ",".join(c.name for c in table.columns)
    if not path.is_file():
        return None, [
            Problem(file, "file not found", expected=f"a CSV file with the header {header_hint}")
        ]
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, [
            Problem(file, "file is UTF-16 encoded", expected="UTF-8 (save as 'CSV UTF-8')")
        ]
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        byte = data[err.start : err.start + 1].hex().upper()
        return None, [
            Problem(
                file,
                "not valid UTF-8 (the file looks latin-1 or Windows-1252 encoded)",
                row=line,
                found=f"byte 0x{byte}",
                expected="UTF-8 text (save as 'CSV UTF-8')",
            )
        ]
    if not text.strip():
        return None, [Problem(file, "file is empty", expected=f"a header row: {header_hint}")]
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[tuple[int, tuple[str, ...]]] = []
    try:
        for number, cells in enumerate(reader, start=1):
            rows.append((number, tuple(cells)))
    except csv.Error as err:
        return None, [Problem(file, f"unreadable CSV: {err}", row=reader.line_num)]
    return _records(file, rows, table)


def _records(
    file: str, rows: Sequence[tuple[int, tuple[str, ...]]], table: Table, pad: bool = False
) -> RawTable:
    """Split off the header (the first non-blank row), check it and the row lengths. A sheet
    (`pad`) has no trailing empty cells; a CSV row must have as many cells as the header."""
    nonblank = [(n, cells) for n, cells in rows if any(c.strip() for c in cells)]
    if not nonblank:
        return None, [
            Problem(
                file,
                "sheet is empty" if pad else "file is empty",
                expected="a header row: " + ",".join(table.names),
            )
        ]
    header_row, header_cells = nonblank[0]
    header = tuple(re.sub(r"[\r\n]+", " ", c.strip()) for c in header_cells)  # one line
    while header and not header[-1]:  # trailing empty header cells (spreadsheets)
        header = header[:-1]
    problems = _check_header(file, header_row, header, table)
    if problems:
        return None, problems
    body: list[tuple[int, tuple[str, ...]]] = []
    for number, cells in nonblank[1:]:
        if len(cells) > len(header) and not any(c.strip() for c in cells[len(header) :]):
            cells = cells[: len(header)]
        if pad and len(cells) < len(header):
            cells = cells + ("",) * (len(header) - len(cells))
        if len(cells) != len(header):
            problems.append(
                Problem(
                    file,
                    "row has a different number of cells than the header"
                    + (
                        " (a value containing a comma must be in quotes)"
                        if len(cells) > len(header)
                        else ""
                    ),
                    row=number,
                    found=f"{len(cells)} cells",
                    expected=f"{len(header)} cells",
                )
            )
            continue
        body.append((number, tuple(c.strip() for c in cells)))
    if not body and not problems:
        problems.append(
            Problem(
                file,
                "no data rows after the header",
                row=header_row,
                expected=f"at least one {table.noun} row",
            )
        )
    if not body:  # nothing to check across files; avoids a cascade of "no values" problems
        return None, problems
    return Records(file, header, tuple(body)), problems


def _check_header(file: str, row: int, header: tuple[str, ...], table: Table) -> list[Problem]:
    expected = table.names
    if len(header) == 1:
        for sep, label in ((";", "';'"), ("\t", "tab"), ("|", "'|'")):
            if sep in header[0]:
                return [
                    Problem(
                        file,
                        f"looks like {label}-separated; the file must be comma-separated",
                        row=row,
                        found=header[0][:60],
                        expected=",".join(expected),
                    )
                ]
    problems: list[Problem] = []
    seen: set[str] = set()
    for name in header:
        if name in seen:
            problems.append(
                Problem(file, "column appears twice in the header", row=row, column=name)
            )
        seen.add(name)
    missing = [c for c in table.columns if c.required and c.name not in header]
    absent = [name for name in expected if name not in header]
    unknown = [name for name in header if name not in expected]
    matched: set[str] = set()
    for name in unknown:
        close = difflib.get_close_matches(name, absent, n=1, cutoff=0.6)
        if not close and name.lower() in expected:
            close = [name.lower()]
        if close and close[0] not in header:
            matched.add(close[0])
            problems.append(
                Problem(
                    file,
                    f"unknown column; did you mean {close[0]!r}?",
                    row=row,
                    column=name,
                    found=name,
                    expected=close[0],
                )
            )
        else:
            problems.append(
                Problem(
                    file,
                    "unexpected column",
                    row=row,
                    column=name,
                    found=name,
                    expected="one of " + ", ".join(expected),
                )
            )
    for column in missing:
        if column.name not in matched:
            problems.append(
                Problem(
                    file,
                    "missing column",
                    row=row,
                    column=column.name,
                    expected=f"a column named {column.name!r}",
                )
            )
    return problems


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _read_workbook(path: Path) -> dict[str, RawTable]:
    import openpyxl  # imported here: only workbook users pay for it

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as err:  # openpyxl raises many types for a corrupt or non-xlsx file
        problem = Problem(str(path), f"cannot open workbook: {err}", expected="an .xlsx workbook")
        return {name: (None, [problem] if name == TABLES[0] else []) for name in TABLES}
    try:
        result: dict[str, RawTable] = {}
        for name in TABLES:
            file = f"{path}[{name}]"
            if name not in book.sheetnames:
                close = difflib.get_close_matches(name, book.sheetnames, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                result[name] = (
                    None,
                    [
                        Problem(
                            str(path),
                            f"no sheet named {name!r}{hint} (the workbook has "
                            + ", ".join(repr(s) for s in book.sheetnames)
                            + ")",
                            expected="sheets 'cities', 'indicators' and 'observations'",
                        )
                    ],
                )
                continue
            rows, percent_cells = _sheet_rows(book[name])
            records, problems = _records(file, rows, SCHEMAS[name], pad=True)
            if records is not None:
                problems = _percent_problems(file, records, percent_cells) + problems
            result[name] = (records, problems)
        return result
    finally:
        book.close()


def _sheet_rows(sheet: Any) -> tuple[list[tuple[int, tuple[str, ...]]], dict[tuple[int, int], str]]:
    rows: list[tuple[int, tuple[str, ...]]] = []
    percent: dict[tuple[int, int], str] = {}
    for number, row in enumerate(sheet.iter_rows(min_row=1), start=1):
        cells: list[str] = []
        for index, cell in enumerate(row):
            value = getattr(cell, "value", None)
            cells.append(_cell_text(value))
            fmt = getattr(cell, "number_format", "") or ""
            if isinstance(value, int | float) and not isinstance(value, bool) and "%" in fmt:
                percent[(number, index)] = f"{value * 100:g}%"
        while cells and not cells[-1]:
            cells.pop()
        rows.append((number, tuple(cells)))
    return rows, percent


def _percent_problems(
    file: str, records: Records, percent: dict[tuple[int, int], str]
) -> list[Problem]:
    """A cell formatted as a percentage shows 12% but stores 0.12: ambiguous, so say so."""
    problems = []
    for (row, index), shown in sorted(percent.items()):
        if index < len(records.header) and records.header[index] == "value":
            problems.append(
                Problem(
                    file,
                    "cell is formatted as a percentage (it shows "
                    f"{shown} but stores {_cell_text(float(shown[:-1]) / 100)})",
                    row=row,
                    column="value",
                    found=shown,
                    expected="a plain number in the indicator's unit (format the cell as General)",
                )
            )
    return problems


# --------------------------------------------------------------------------- typing the cells


_UNPARSED = object()


def _typed_frame(records: Records, table: Table) -> tuple[pd.DataFrame, list[Problem]]:
    """Parse every cell, collecting a problem per bad cell; bad and empty cells become missing."""
    problems: list[Problem] = []
    position = {name: i for i, name in enumerate(records.header)}
    numbers = [n for n, _ in records.rows]
    data: dict[str, Any] = {}
    for column in table.columns:
        index = position.get(column.name)
        values: list[Any] = []
        # Ids, years and sources repeat down a column: each distinct text is parsed once.
        parsed: dict[str, Any] = {}
        for number, cells in records.rows:
            text = cells[index] if index is not None else ""
            known = parsed.get(text, _UNPARSED)
            if known is not _UNPARSED:
                values.append(known)
                continue
            values.append(None)
            if not text:
                if column.required:
                    problems.append(
                        Problem(
                            records.file,
                            column.empty_message,
                            row=number,
                            column=column.name,
                            found="",
                        )
                    )
                continue
            try:
                values[-1] = parsed[text] = column.parse(text)
            except CellError as err:
                if column.dtype == "str":  # keep the text, so references to it don't cascade
                    values[-1] = text
                problems.append(
                    Problem(
                        records.file,
                        err.message,
                        row=number,
                        column=column.name,
                        found=text,
                        expected=err.expected,
                    )
                )
        data[column.name] = pd.Series(values, index=numbers, dtype=column.dtype)
    frame = pd.DataFrame(data, index=pd.Index(numbers, name="row", dtype="int64"))
    frame = frame[list(table.names)]
    problems.sort(
        key=lambda p: (p.row or 0, table.names.index(p.column) if p.column in table.names else 0)
    )
    return frame, problems


def _check_indicator_ranges(indicators: pd.DataFrame, file: str) -> list[Problem]:
    problems: list[Problem] = []
    for row, low, high, threshold in _iter_rows(indicators, ("min", "max", "list_threshold")):
        if pd.notna(low) and pd.notna(high) and low >= high:
            problems.append(
                Problem(
                    file,
                    "min is not below max",
                    row=row,
                    column="max",
                    found=_num(high),
                    expected=f"a number above min ({_num(low)})",
                )
            )
        elif pd.notna(threshold) and (
            (pd.notna(low) and threshold < low) or (pd.notna(high) and threshold > high)
        ):
            problems.append(
                Problem(
                    file,
                    "list_threshold lies outside the declared range",
                    row=row,
                    column="list_threshold",
                    found=_num(threshold),
                    expected=f"a value between min ({_num(low)}) and max ({_num(high)})",
                )
            )
    return problems


def _iter_rows(frame: pd.DataFrame, columns: Sequence[str]) -> Iterator[tuple[Any, ...]]:
    """(row number, *values) for each row; values are Python scalars, missing as NaN/NA."""
    yield from zip(frame.index, *(frame[c].tolist() for c in columns), strict=True)


def _num(value: float) -> str:
    return f"{value:g}"
