"""Read a delivered file into a grid of text cells and find its header row (contract section 3).

Each reader runs only after the file passed its budget (``budget.py``); an ``.xlsx`` with a
formula error cell (``#REF!``, ...) is rejected naming the cell, since calamine would read it
as an empty cell.

Every format becomes the same ``Grid``: a polars DataFrame of string columns holding the rows
*after* the header, the header cells, and the row number (in the file) of each grid row. What
follows (``layout``, ``convert``, ``checks``, run by ``parse``) only ever sees that shape.

- ``.xlsx``: calamine through fastexcel (sheet ``BCQUERY``, every cell as text; Excel date
  cells arrive as ``YYYY-MM-DD hh:mm:ss``, numbers in their shortest form, so ``0107`` typed as
  the number 107 arrives as ``107``). Row numbers are the sheet's row numbers.
- ``.csv``: UTF-8 (a BOM is allowed and dropped). The header line is found by content and the
  separator sniffed on it; a separator other than the contract's is rejected. Every record must
  have the header's number of fields: a line cut short (a journal truncated inside an amount)
  is rejected like a line with too many. Row numbers are line numbers (line breaks inside
  quoted cells counted).
- ``.parquet``: the column names are the header; every column is read as text (native dates
  and integers become ISO dates and digits). Row numbers count data rows from 1.
"""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass

import polars as pl

from pipelines.contract.naming import fold
from pipelines.contract.reports import ReportSpec

from .budget import (
    DEFAULT_BUDGET,
    ErrorCell,
    FileBudget,
    check_csv,
    check_parquet,
    check_size,
    check_xlsx,
)
from .errors import FileProblems, Problem, file_problem, printable

SHEET_NAME = "BCQUERY"
HEADER_SCAN_ROWS = 40  # the header must be within the first rows of a sheet or file
MIN_HEADER_MATCHES = 3  # a row naming at least this many contract headers is a header row
_CANDIDATE_SEPARATORS = (";", ",", "\t", "|")
_SEP_NAMES = {";": "';'", ",": "','", "\t": "TAB", "|": "'|'"}


@dataclass
class Grid:
    df: pl.DataFrame  # string columns c0..cN: the rows after the header
    headers: list[str | None]  # the header cell of each column
    header_row: int  # row number of the header in the file (0: parquet names)
    row_numbers: pl.Series  # Int32, the file row number of each df row
    sheet_columns: list[int] | None = None  # xlsx: the sheet column index of each df column

    @property
    def columns(self) -> list[str]:
        return self.df.columns


cached_fold = functools.lru_cache(maxsize=8192)(fold)


def expected_headers(spec: ReportSpec) -> dict[str, str]:
    """fold(header) -> key, for header matching."""
    return {fold(c.header): c.key for c in spec.columns}


def header_score(cells, wanted: dict[str, str]) -> int:
    keys = {cached_fold(str(c)) for c in cells if c is not None and len(str(c)) < 80}
    return len(keys & wanted.keys())


def read_grid(
    data: bytes, extension: str, spec: ReportSpec, budget: FileBudget = DEFAULT_BUDGET
) -> Grid:
    if not data:
        raise file_problem("a non-empty file", "is empty (0 bytes)")
    check_size(len(data), budget, extension)
    if extension == "xlsx":
        errors = check_xlsx(data, budget, SHEET_NAME)
        grid = _read_xlsx(data, spec)
        if errors:
            raise _error_cell_problems(errors, grid)
        return grid
    if extension == "csv":
        check_csv(data, budget)
        return _read_csv(data, spec)
    if extension == "parquet":
        check_parquet(data, budget)
        return _read_parquet(data, spec)
    raise file_problem("xlsx, csv or parquet", f"unsupported file type .{extension}")


def _error_cell_problems(errors: list[ErrorCell], grid: Grid) -> FileProblems:
    """One problem per formula error cell, under its column's header when it has one."""
    at = {c: i for i, c in enumerate(grid.sheet_columns or [])}
    problems = []
    for e in sorted(errors, key=lambda e: (e.row, e.column)):
        i = at.get(e.column)
        header = grid.headers[i] if i is not None and i < len(grid.headers) else None
        problems.append(
            Problem(
                e.row,
                header.strip() if header else f"cell {e.ref}",
                e.error,
                "a value (not a formula error)",
                f"is a formula error in cell {e.ref}: the export's formula broke, so its "
                "value is unknown",
            )
        )
    return FileProblems(problems)


# --------------------------------------------------------------------------------------- xlsx
def report_sheet(names: list[str]) -> str:
    """The sheet a report is read from: ``BCQUERY``, or the only sheet of the workbook."""
    if SHEET_NAME in names:
        return SHEET_NAME
    if len(names) == 1:
        return names[0]
    raise file_problem(
        f"a sheet named {SHEET_NAME}",
        f"has no sheet named {SHEET_NAME} (sheets: {', '.join(names)})",
    )


def xlsx_cells(data: bytes) -> tuple[pl.DataFrame, list[int]]:
    """All cells of the report sheet as text; also the sheet column index of each column.

    This is the bare parse that ``bench.parse_floor`` times.
    """
    import fastexcel

    try:
        reader = fastexcel.read_excel(data)
        sheet_name = report_sheet(reader.sheet_names)
        sheet = reader.load_sheet(
            sheet_name, header_row=None, dtypes="string", skip_rows=0, whitespace_as_null=True
        )
        batch = sheet.to_arrow()
        columns = [c.absolute_index for c in sheet.selected_columns]
    except FileProblems:
        raise
    except Exception as exc:  # calamine errors: truncated zip, not a workbook, bad XML...
        detail = printable(" ".join(str(exc).split()))
        raise file_problem(
            "a readable .xlsx workbook",
            f"is not a readable .xlsx workbook (truncated or corrupt?): {detail[:200]}",
        ) from None
    df = pl.from_arrow(batch)
    if not isinstance(df, pl.DataFrame):  # pragma: no cover - from_arrow of a batch
        df = df.to_frame()
    df.columns = [f"c{i}" for i in range(df.width)]
    return df, columns


def _read_xlsx(data: bytes, spec: ReportSpec) -> Grid:
    df, columns = xlsx_cells(data)
    if df.height == 0 or df.width == 0:
        raise file_problem("a sheet with a header row", "the sheet is empty")
    grid = _grid_from_rows(df, spec, first_row_number=1)
    grid.sheet_columns = columns
    return grid


def _grid_from_rows(df: pl.DataFrame, spec: ReportSpec, first_row_number: int) -> Grid:
    """Find the header among the first rows of a text grid; keep what follows."""
    wanted = expected_headers(spec)
    head = df.head(HEADER_SCAN_ROWS).rows()
    best, best_i = 0, -1
    for i, row in enumerate(head):
        score = header_score(row, wanted)
        if score > best:
            best, best_i = score, i
            if score == len(wanted):
                break
    if best < min(MIN_HEADER_MATCHES, len(wanted)):
        sample = ", ".join(f"'{c.header}'" for c in spec.columns[:4])
        raise file_problem(
            f"a header row naming the {spec.code} columns ({sample}, ...)",
            f"no header row found in the first {HEADER_SCAN_ROWS} rows "
            f"(expected the {spec.code} headers: {sample}, ...)",
        )
    headers = [None if v is None else str(v) for v in head[best_i]]
    body = df.slice(best_i + 1)
    start = first_row_number + best_i + 1
    rows = pl.int_range(start, start + body.height, dtype=pl.Int32, eager=True)
    return Grid(body, headers, first_row_number + best_i, rows)


# ---------------------------------------------------------------------------------------- csv
def csv_separator(spec: ReportSpec) -> str:
    return spec.csv_separator


def csv_cells(data: bytes, separator: str, skip_lines: int = 0) -> pl.DataFrame:
    """All fields of a CSV file as text, from line ``skip_lines`` on (bare parse)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return pl.read_csv(
        io.BytesIO(data),
        separator=separator,
        has_header=False,
        skip_rows=skip_lines,
        infer_schema=False,
        quote_char='"',
        truncate_ragged_lines=False,
        raise_if_empty=False,
    )


def _field_counts(text: str, sep: str, header_line: int) -> tuple[list[int], list[int]]:
    """(first line, number of fields) of every record from the header line on; empty lines
    are left out (they end the data, like an empty sheet row)."""
    if '"' not in text:
        lines = text.split("\n")[header_line:]
        counts = pl.Series(lines, dtype=pl.Utf8).str.count_matches(sep, literal=True) + 1
        blank = pl.Series(lines, dtype=pl.Utf8).str.strip_chars("\r") == ""
        keep = (~blank).arg_true()
        starts = (keep + header_line + 1).to_list()
        return starts, counts.gather(keep).to_list()
    # quoted fields may hold separators and line breaks: the csv module knows
    reader = csv.reader(io.StringIO(text), delimiter=sep)
    starts, counts, start = [], [], 1
    for i, record in enumerate(reader):
        if i >= header_line and record:
            starts.append(start)
            counts.append(len(record))
        start = reader.line_num + 1
    return starts, counts


def _check_fields(text: str, sep: str, header_line: int) -> None:
    """Every record has the header's number of fields (a short one is a line cut off)."""
    try:
        starts, counts = _field_counts(text, sep, header_line)
    except csv.Error as exc:
        raise file_problem(
            "well-formed CSV", f"is not well-formed CSV: {printable(str(exc))[:120]}"
        ) from None
    if not counts:
        return
    width = counts[0]
    bad = [(line, n) for line, n in zip(starts[1:], counts[1:], strict=True) if n != width]
    if bad:
        line, n = bad[0]
        how = "fewer" if n < width else "more"
        more = f"; {len(bad) - 1} more such lines" if len(bad) > 1 else ""
        raise file_problem(
            f"{width} fields on every line, like the header (line {starts[0]})",
            f"is not well-formed CSV: line {line} has {n} fields, {how} than the header's "
            f"{width} (a line cut short, or a separator inside an unquoted field){more}",
            row=line,
        )


def _read_csv(data: bytes, spec: ReportSpec) -> Grid:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise file_problem(
            "UTF-8 text", f"is not UTF-8 text (invalid byte at offset {exc.start})", row=line
        ) from None
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise file_problem("a header line", "is empty (no header line)")
    wanted = expected_headers(spec)
    lines = text.split("\n")[:HEADER_SCAN_ROWS]
    best = (0, -1, "")
    for i, line in enumerate(lines):
        for sep in _CANDIDATE_SEPARATORS:
            if sep not in line:
                continue
            try:
                cells = next(csv.reader([line.rstrip("\r")], delimiter=sep))
            except (csv.Error, StopIteration):
                continue
            score = header_score(cells, wanted)
            if score > best[0]:
                best = (score, i, sep)
        if best[0] == len(wanted):
            break
    score, header_line, sep = best
    expected_sep = csv_separator(spec)
    if score < min(MIN_HEADER_MATCHES, len(wanted)):
        raise file_problem(
            f"a header line of {spec.code} columns separated by {_SEP_NAMES[expected_sep]}",
            f"no header line found in the first {HEADER_SCAN_ROWS} lines with any separator "
            f"(expected the {spec.code} headers separated by {_SEP_NAMES[expected_sep]})",
            row=1,
        )
    if sep != expected_sep:
        raise file_problem(
            f"{_SEP_NAMES[expected_sep]} as the separator",
            f"uses {_SEP_NAMES[sep]} as the separator; the contract requires "
            f"{_SEP_NAMES[expected_sep]} for {spec.code} .csv files",
            row=header_line + 1,
        )
    _check_fields(text, sep, header_line)
    try:
        df = csv_cells(data, sep, header_line)
    except Exception as exc:
        raise file_problem(
            "well-formed CSV with the header's number of fields",
            f"is not well-formed CSV: {printable(' '.join(str(exc).split()))[:200]}",
        ) from None
    if df.height == 0:
        raise file_problem("a header line", "is empty (no header line)")
    df.columns = [f"c{i}" for i in range(df.width)]
    headers = [None if v is None else str(v) for v in df.row(0)]
    body = df.slice(1)
    first = header_line + 2
    if '"' in text and body.height:
        # a quoted cell may hold line breaks: count them so row numbers stay line numbers
        extra = body.select(
            pl.sum_horizontal(pl.col(c).str.count_matches("\n").fill_null(0) for c in body.columns)
        ).to_series()
        rows = (pl.int_range(0, body.height, eager=True) + extra.cum_sum() - extra + first).cast(
            pl.Int32
        )
    else:
        rows = pl.int_range(first, first + body.height, dtype=pl.Int32, eager=True)
    return Grid(body, headers, header_line + 1, rows)


# ------------------------------------------------------------------------------------ parquet
def parquet_table(data: bytes):
    """The parquet file as an Arrow table (bare parse). ``ParquetFile.read`` gives the same
    table as ``pq.read_table`` without building a dataset per file (2–3× faster on the
    delivered files)."""
    import pyarrow.parquet as pq

    return pq.ParquetFile(io.BytesIO(data)).read()


def _read_parquet(data: bytes, spec: ReportSpec) -> Grid:
    try:
        table = parquet_table(data)
    except Exception as exc:
        raise file_problem(
            "a readable .parquet file",
            f"is not a readable .parquet file (truncated or corrupt?): "
            f"{printable(' '.join(str(exc).split()))[:200]}",
        ) from None
    headers = list(table.column_names)
    wanted = expected_headers(spec)
    if header_score(headers, wanted) < min(MIN_HEADER_MATCHES, len(wanted)):
        sample = ", ".join(f"'{c.header}'" for c in spec.columns[:4])
        raise file_problem(
            f"the {spec.code} column names",
            f"column names are not those of {spec.code} (expected {sample}, ...)",
        )
    df = pl.from_arrow(table)
    if not isinstance(df, pl.DataFrame):  # pragma: no cover
        df = df.to_frame()
    df = df.rename({old: f"c{i}" for i, old in enumerate(df.columns)})
    try:
        df = df.with_columns(pl.all().cast(pl.Utf8).replace("", None))
    except Exception as exc:
        raise file_problem(
            "columns of text, numbers or dates",
            "has a column that cannot be read as text: "
            f"{printable(' '.join(str(exc).split()))[:200]}",
        ) from None
    rows = pl.int_range(1, df.height + 1, dtype=pl.Int32, eager=True)
    return Grid(df, headers, 0, rows)


__all__ = ["Grid", "Problem", "read_grid", "xlsx_cells", "csv_cells", "parquet_table"]
