"""Problems found while reading one file: collected, then turned into ``Rejection`` rows."""

from __future__ import annotations

from dataclasses import dataclass

MAX_ERRORS_PER_FILE = 50


@dataclass(frozen=True)
class Problem:
    """What is wrong at one place of a file.

    ``problem`` completes the sentence "<file> row R column 'C': '<value>' ...", e.g.
    ``is not an integer amount in đồng``; with no value it is the whole sentence.
    """

    row: int | None
    column: str | None
    value: str | None
    expected: str
    problem: str

    def sentence(self, display: str) -> str:
        where = display
        if self.row is not None:
            where += f" row {self.row}"
        if self.column is not None:
            where += f" column '{self.column}'"
        if self.value is not None:
            return f"{where}: '{_short(self.value)}' {self.problem}"
        return f"{where}: {self.problem}"


class FileProblems(Exception):
    """The file is rejected whole for these problems."""

    def __init__(self, problems: list[Problem], total: int | None = None):
        super().__init__(problems[0].problem if problems else "rejected")
        self.problems = problems
        self.total = total if total is not None else len(problems)


def file_problem(expected: str, problem: str, row=None, column=None, value=None) -> FileProblems:
    return FileProblems([Problem(row, column, value, expected, problem)])


def _short(value: str, limit: int = 80) -> str:
    value = value.replace("\n", "\\n")
    return value if len(value) <= limit else value[: limit - 1] + "…"
