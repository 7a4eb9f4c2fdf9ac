"""Errors a user can act on: file, row and column, what was found and what was expected."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, located as precisely as the input allows.

    ``row`` is the 1-based line number in the file as a spreadsheet shows it (the header is
    line 1), so a user can jump straight to it; ``None`` when the problem is not tied to a row.
    """

    file: str
    message: str
    row: int | None = None
    column: str | None = None
    found: str | None = None
    expected: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f":{self.row}"
        if self.column is not None:
            where += f" column '{self.column}'"
        text = f"{where}: {self.message}"
        if self.found is not None:
            text += f"; found {self.found!r}"
        if self.expected is not None:
            text += f"; expected {self.expected}"
        return text


class ReportgenError(Exception):
    """Base of every error that is the user's to fix; the CLI prints it without a traceback."""


class InputError(ReportgenError):
    """One or more problems in the data, framework or edition files."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        if not self.problems:
            raise ValueError("InputError needs at least one problem")
        super().__init__("\n".join(str(p) for p in self.problems))


class UsageError(ReportgenError):
    """A command-line value is wrong (e.g. a --set naming an unknown city): the CLI exits 2."""


class MethodError(ReportgenError):
    """A build step cannot run with its parameters on this data (e.g. a geometric mean of zeros)."""


class OutputError(ReportgenError):
    """An output could not be written (permission denied, disk full, locked by another run)."""
