"""What one delivered file may cost, checked before the heavy work (issue 19, item 2).

A file's declared size is not its content (architecture §4): a 2 KB ``.xlsx`` whose one cell
sits at the last column and row makes calamine ask for 512 GiB and abort the process; a 3.5 MB
zip expands to 1.1 GB of XML. So every file is read with a ``FileBudget``:

- before any reader runs: the bytes on disk; for ``.xlsx`` the zip directory (number of parts,
  each part's expanded size and compression ratio, their total), then every part inflated at
  most to its stated size (a part that holds more or less is corrupt) and the sheet's declared
  dimension (rows, columns, cells: calamine holds the sheet as a dense grid); for
  ``.parquet`` the footer (rows, columns, uncompressed size); for ``.csv`` the number of lines;
- while the reader runs (in a worker process, ``worker.py``): its memory and its time. A worker
  over budget is killed and only its file is rejected; one that crashes (a reader aborting the
  process) likewise.

The same inflating pass finds the sheet's formula error cells (``#REF!``, ``#VALUE!``, ...),
which calamine reads as empty cells: the caller rejects the file naming each cell.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass

from .errors import file_problem, printable

MiB = 1024 * 1024
# Workbooks are deflated or stored (inflated here, bounded); zipfile reads these two methods
# too. Any other (deflate64, implode, ...) makes the workbook unreadable.
_OTHER_METHODS_ZIPFILE_READS = (zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)


@dataclass(frozen=True)
class FileBudget:
    """Limits for one file. The defaults take the national scenario's largest files (one
    office's month-end Mẫu 31 as Parquet, ~300 k rows) with room to spare, and refuse what no
    branch export is."""

    max_bytes: int = 1024 * MiB  # on disk (.parquet, .xlsx)
    # a .csv is read as text: its bytes, the decoded text and the parsed columns are each about
    # its size, so its size is its memory; journals are kilobytes, a Hanoi Mẫu 31 5 MB
    max_csv_bytes: int = 128 * MiB
    max_rows: int = 5_000_000
    max_columns: int = 500
    # .xlsx: calamine holds the report sheet as a dense grid of rows × columns cells (32 bytes
    # each), so the declared dimension bounds its memory. 8 M cells: 256 MB of grid; the
    # Hanoi Mẫu 31 of one office is 0.6 M.
    max_cells: int = 8_000_000
    max_expanded: int = 512 * MiB  # .xlsx parts, inflated; .parquet: uncompressed column data × 4
    max_ratio: int = 200  # an .xlsx part's expansion (honest XML: 5–25 ×)
    max_parts: int = 1000
    # while reading: what the worker's resident memory may grow by, and the wall time, per file
    memory_bytes: int = 512 * MiB
    memory_per_byte: int = 16  # ... plus this many bytes per byte of the file
    seconds: float = 300.0
    seconds_per_mib: float = 10.0

    def max_bytes_for(self, extension: str) -> int:
        return self.max_csv_bytes if extension == "csv" else self.max_bytes

    def memory_for(self, size: int) -> int:
        return self.memory_bytes + self.memory_per_byte * size

    def seconds_for(self, size: int) -> float:
        return self.seconds + self.seconds_per_mib * size / MiB


DEFAULT_BUDGET = FileBudget()


def _n(x: int) -> str:
    return f"{x:,}".replace(",", ".")


def _over(what: str, value: int, limit: int, unit: str = "") -> None:
    raise file_problem(
        f"{what} at most {_n(limit)}{unit}",
        f"{what} is {_n(value)}{unit}, over the budget of {_n(limit)}{unit} per file; not read",
    )


def check_size(size: int, budget: FileBudget, extension: str) -> None:
    limit = budget.max_bytes_for(extension)
    if size > limit:
        _over(f"the size of a .{extension}", size, limit, " bytes")


# ------------------------------------------------------------------------------------ csv
def check_csv(data: bytes, budget: FileBudget) -> None:
    lines = data.count(b"\n")
    if lines > budget.max_rows:
        _over("its number of lines", lines, budget.max_rows)


# -------------------------------------------------------------------------------- parquet
def check_parquet(data: bytes, budget: FileBudget) -> None:
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(io.BytesIO(data)).metadata
    except Exception as exc:
        raise file_problem(
            "a readable .parquet file",
            "is not a readable .parquet file (truncated or corrupt?): "
            + printable(" ".join(str(exc).split())[:200]),
        ) from None
    if meta.num_rows > budget.max_rows:
        _over("its number of rows", meta.num_rows, budget.max_rows)
    if meta.num_columns > budget.max_columns:
        _over("its number of columns", meta.num_columns, budget.max_columns)
    expanded = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    if expanded > 4 * budget.max_expanded:
        _over("its uncompressed data", expanded, 4 * budget.max_expanded, " bytes")


# ----------------------------------------------------------------------------------- xlsx
_DIMENSION = re.compile(rb"<dimension\s+ref=[\"']([A-Z]{1,3})(\d{1,7})(?::([A-Z]{1,3})(\d{1,7}))?")
_SHEET = re.compile(rb"<sheet\b[^>]*>")
_ATTR = re.compile(rb"([\w:]+)=[\"']([^\"']*)[\"']")
# one regex pass finds both quotings ~3x faster than two bytes.find passes over the sheet
_ERROR_TYPE = re.compile(rb"t=\"e\"|t='e'")
_CELL_REF = re.compile(rb"\br=[\"']([A-Z]{1,3})(\d{1,7})[\"']")
_VALUE = re.compile(rb"<v>([^<]{0,40})</v>")


@dataclass(frozen=True)
class ErrorCell:
    """A formula error cell of the report sheet: ``row`` (1-based), ``column`` (0-based index),
    its reference (``H6``) and the error Excel shows (``#REF!``)."""

    row: int
    column: int
    ref: str
    error: str


def column_index(letters: str) -> int:
    """``A`` -> 0, ``Z`` -> 25, ``AA`` -> 26."""
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def _sheet_part(z: zipfile.ZipFile, sheet_name: str) -> str | None:
    """The zip part of the sheet the reader will read: ``sheet_name``, or the only sheet."""
    try:
        wb = z.read("xl/workbook.xml")
        rels = z.read("xl/_rels/workbook.xml.rels")
    except (KeyError, zipfile.BadZipFile, RuntimeError):
        return None
    sheets = []
    for tag in _SHEET.findall(wb):
        attrs = {k.split(b":")[-1]: v for k, v in _ATTR.findall(tag)}
        sheets.append((attrs.get(b"name", b"").decode("utf-8", "replace"), attrs.get(b"id")))
    chosen = [rid for name, rid in sheets if name == sheet_name]
    if not chosen and len(sheets) == 1:
        chosen = [sheets[0][1]]
    if not chosen or chosen[0] is None:
        return None
    for tag in re.findall(rb"<Relationship\b[^>]*>", rels):
        attrs = dict(_ATTR.findall(tag))
        if attrs.get(b"Id") == chosen[0]:
            target = attrs.get(b"Target", b"").decode("utf-8", "replace").lstrip("/")
            return target if target.startswith("xl/") else f"xl/{target}"
    return None


def check_xlsx(data: bytes, budget: FileBudget, sheet_name: str) -> list[ErrorCell]:
    """Refuse an .xlsx over budget (before calamine sees it); return its sheet's error cells."""
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
        infos = z.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise file_problem(
            "a readable .xlsx workbook",
            "is not a readable .xlsx workbook (truncated or corrupt?): "
            + printable(" ".join(str(exc).split())[:200]),
        ) from None
    if len(infos) > budget.max_parts:
        _over("its number of zip parts", len(infos), budget.max_parts)
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > MiB and ratio > budget.max_ratio:
            raise file_problem(
                f"zip parts that expand at most {budget.max_ratio} times",
                f"part '{printable(info.filename)}' expands {_n(round(ratio))} times "
                f"({_n(info.compress_size)} -> {_n(info.file_size)} bytes), over the budget of "
                f"{budget.max_ratio}; not read (a zip bomb?)",
            )
    if total > budget.max_expanded:
        _over("its expanded size", total, budget.max_expanded, " bytes")
    sheet = _sheet_part(z, sheet_name)
    errors: list[ErrorCell] = []
    for info in infos:
        part = _inflate(data, z, info, budget)
        if info.filename == sheet:
            _check_dimension(part, budget)
            errors = _error_cells(part, 0)
    return errors


def _inflate(data: bytes, z: zipfile.ZipFile, info: zipfile.ZipInfo, budget: FileBudget) -> bytes:
    """A part's bytes, inflated at most to the size the zip directory states (+1 to see a
    lie): a part that holds more, or less, is corrupt. One zlib call, no Python loop."""
    corrupt = file_problem(
        "a readable .xlsx workbook",
        f"is not a readable .xlsx workbook (corrupt: part '{printable(info.filename)}' does not "
        "hold the size its zip directory states)",
    )
    if info.compress_type not in (zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED):
        if info.compress_type not in _OTHER_METHODS_ZIPFILE_READS:
            raise file_problem(
                "a readable .xlsx workbook",
                f"is not a readable .xlsx workbook (part '{printable(info.filename)}' is "
                f"compressed with zip method {info.compress_type}, which cannot be read)",
            )
        try:  # rare in workbooks: let zipfile read it, within the same bound
            with z.open(info) as f:
                part = f.read(info.file_size + 1)
        except (zipfile.BadZipFile, RuntimeError, EOFError, OSError):
            raise corrupt from None
        if len(part) != info.file_size:
            raise corrupt
        return part
    at = info.header_offset
    if data[at : at + 4] != b"PK\x03\x04":
        raise corrupt
    name_len, extra_len = struct.unpack_from("<HH", data, at + 26)
    start = at + 30 + name_len + extra_len
    raw = data[start : start + info.compress_size]
    if info.compress_type == zipfile.ZIP_STORED:
        part = raw
    else:
        inflater = zlib.decompressobj(-15)
        try:
            part = inflater.decompress(raw, info.file_size + 1)
        except zlib.error:
            raise corrupt from None
        if not inflater.eof:
            raise corrupt
    if len(part) != info.file_size:
        raise corrupt
    return part


def _check_dimension(head: bytes, budget: FileBudget) -> None:
    m = _DIMENSION.search(head[: 64 * 1024])
    if not m:
        return
    c1, r1, c2, r2 = m.groups()
    last_col = column_index((c2 or c1).decode())
    first_col = column_index(c1.decode())
    rows = int(r2 or r1)
    cols = last_col - min(first_col, last_col) + 1
    ref = f"{c1.decode()}{r1.decode()}" + (f":{c2.decode()}{r2.decode()}" if c2 else "")
    where = f" (dimension {ref})"
    if rows > budget.max_rows:
        raise file_problem(
            f"a sheet of at most {_n(budget.max_rows)} rows",
            f"declares a sheet of {_n(rows)} rows{where}, over the budget of "
            f"{_n(budget.max_rows)}; not read",
        )
    if cols > budget.max_columns:
        raise file_problem(
            f"a sheet of at most {_n(budget.max_columns)} columns",
            f"declares a sheet of {_n(cols)} columns{where}, over the budget of "
            f"{_n(budget.max_columns)}; not read",
        )
    if rows * cols > budget.max_cells:
        raise file_problem(
            f"a sheet of at most {_n(budget.max_cells)} cells",
            f"declares a sheet of {_n(rows)} × {_n(cols)} = {_n(rows * cols)} cells{where}, over "
            f"the budget of {_n(budget.max_cells)}; not read",
        )


def _error_cells(buf: bytes, skip: int) -> list[ErrorCell]:
    """Cells of type ``e`` (a formula whose result is an error) in ``buf`` at or after
    ``skip`` (the bytes before it were searched with the previous chunk)."""
    out = []
    for m in _ERROR_TYPE.finditer(buf, max(skip - 4, 0)):
        pos = m.start()
        start = buf.rfind(b"<c", 0, pos)
        end = buf.find(b">", pos)
        if start != -1 and end != -1:
            tag = buf[start : end + 1]
            ref = _CELL_REF.search(tag)
            value = _VALUE.search(buf, end, end + 400)
            if ref:
                letters, digits = ref.group(1).decode(), ref.group(2).decode()
                out.append(
                    ErrorCell(
                        int(digits),
                        column_index(letters),
                        letters + digits,
                        value.group(1).decode("utf-8", "replace") if value else "#ERROR",
                    )
                )
    return out
