"""Problems found while reading one file: collected, then turned into ``Rejection`` rows.

Everything that ends up in a message (file and folder names, cell values) goes through
``printable``: a name holding a line break or a terminal escape sequence must not forge a line
of output or repaint the operator's terminal. A column is named in messages as the delivered
file heads it (``display_header``).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from pipelines.contract.reports import FORM_HEADERS, Column, ReportSpec

MAX_ERRORS_PER_FILE = 50
MAX_FINDINGS_PER_FILE = 1000


def printable(text: str) -> str:
    """``text`` with every control, format or unassigned character escaped (``\\n``,
    ``\\x1b``, ``\\u202e``); ordinary letters of any script, marks and spaces are kept."""
    out = []
    for ch in str(text):
        cat = unicodedata.category(ch)
        if ch == "\\":
            out.append("\\\\")
        elif cat[0] == "C" or cat in ("Zl", "Zp"):
            code = ord(ch)
            if ch in "\n\r\t":
                out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}[ch])
            elif code < 0x100:
                out.append(f"\\x{code:02x}")
            elif code < 0x10000:
                out.append(f"\\u{code:04x}")
            else:
                out.append(f"\\U{code:08x}")
        else:
            out.append(ch)
    return "".join(out)


@dataclass(frozen=True)
class Problem:
    """What is wrong at one place of a file.

    ``problem`` completes the sentence "<file> row R column 'C': '<value>' ...", e.g.
    ``is not an integer amount in đồng``; with no value it is the whole sentence. ``value`` is
    None for personal data: the sentence says what is wrong without repeating it.
    """

    row: int | None
    column: str | None
    value: str | None
    expected: str
    problem: str

    def sentence(self, display: str) -> str:
        where = printable(display)
        if self.row is not None:
            where += f" row {self.row}"
        if self.column is not None:
            where += f" column '{printable(self.column)}'"
        if self.value is not None:
            return f"{where}: '{_short(self.value)}' {printable(self.problem)}"
        return f"{where}: {printable(self.problem)}"


class FileProblems(Exception):
    """The file is rejected whole for these problems."""

    def __init__(self, problems: list[Problem], total: int | None = None):
        super().__init__(problems[0].problem if problems else "rejected")
        self.problems = problems
        self.total = total if total is not None else len(problems)


def file_problem(expected: str, problem: str, row=None, column=None, value=None) -> FileProblems:
    return FileProblems([Problem(row, column, value, expected, problem)])


def display_header(spec: ReportSpec, col: Column) -> str:
    """The column as named in messages: its header, or marker + header on the 01.x forms."""
    if spec.marker_row:
        i = int(col.header.strip("()")) - 1
        return f"{col.header} {FORM_HEADERS[i]}"
    return col.header


def _short(value: str, limit: int = 80) -> str:
    value = printable(value)
    return value if len(value) <= limit else value[: limit - 1] + "…"
