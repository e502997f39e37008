"""File writers: Excel (contract section 3 layout and quirks), CSV, Parquet, manifests.

Large sheets (M31, DOICHIEU) go through rustpy-xlsxwriter (Rust, constant memory, several
times faster than xlsxwriter: see docs/generator.md); small structured sheets (the 01.x
forms with their two-level header, BC0437, HOI) through xlsxwriter. Both are made
byte-deterministic: xlsxwriter by a fixed creation date, rustpy-xlsxwriter by rewriting the
one zip member that carries the current time (``docProps/core.xml``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import shutil
import struct
import zlib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import polars as pl
import xlsxwriter

try:  # ~8x faster for the big sheets; xlsxwriter (constant memory) is the fallback.
    import rustpy_xlsxwriter
except ImportError:  # pragma: no cover - exercised only where the package is missing
    rustpy_xlsxwriter = None

FIXED_CREATED = dt.datetime(2022, 4, 1, 7, 30, 0)
BOM = b"\xef\xbb\xbf"
BANK_LINE = "NGÂN HÀNG CHÍNH SÁCH XÃ HỘI"
EXTRA_TITLE = "(Đơn vị tính: đồng)"
SIGNATURE = ("Người lập biểu", "Kiểm soát", "Giám đốc")


@dataclass(frozen=True)
class Quirks:
    """Format variations of one file, chosen deterministically from its name and the seed."""

    shift: int = 0  # -1: header one row higher, +1: one title row more
    nfd: bool = False  # text in Unicode NFD
    text_amounts: bool = False  # some amounts as text with '.' thousands separators
    numeric_codes: bool = False  # some code cells written as numbers (leading zeros lost)
    date_cells: bool = False  # dates as Excel date cells instead of dd/mm/yyyy text
    extra_column: bool = False  # an extra, unknown column at the end
    swap_columns: bool = False  # two adjacent columns swapped
    signature: bool = False  # signature block after an empty row

    @classmethod
    def for_file(cls, name: str, seed: int, quirky: bool = True) -> Quirks:
        if not quirky:
            return cls()
        h = zlib.crc32(f"{seed}:{name}".encode())
        u = [((h >> (4 * i)) & 0xF) / 16 for i in range(8)]
        # A second hash for the bits the first one correlates.
        h2 = zlib.crc32(f"{name}:{seed}".encode())
        v = [((h2 >> (4 * i)) & 0xF) / 16 for i in range(8)]
        return cls(
            shift=-1 if u[0] < 0.125 else 1 if u[0] >= 0.875 else 0,
            nfd=u[1] < 0.2,
            text_amounts=u[2] < 0.2,
            numeric_codes=u[3] < 0.2,
            date_cells=u[4] < 0.5,
            extra_column=v[0] < 0.15,
            swap_columns=v[1] < 0.15,
            signature=v[2] < 0.4,
        )


def decimal_series(values: pl.Series, scale: int) -> pl.Series:
    """Integers in units of 10**-scale -> an exact Decimal series (no float on the way)."""
    return pl.Series(
        [None if v is None else Decimal(int(v)).scaleb(-scale) for v in values],
        dtype=pl.Decimal(24, scale),
    )


def thousands(expr: pl.Expr) -> pl.Expr:
    """Integer -> text with '.' thousands separators (``1500000`` -> ``1.500.000``)."""
    return (
        expr.cast(pl.String)
        .str.reverse()
        .str.replace_all(r"(\d{3})", "$1.")
        .str.strip_chars_end(".")
        .str.reverse()
    )


def fmt_million(v: int, decimals: int = 6) -> str:
    """đồng -> triệu đồng as exact decimal text (no float on the way)."""
    sign = "-" if v < 0 else ""
    v = abs(int(v))
    q, r = divmod(v, 1_000_000)
    frac = f"{r:06d}"[:decimals] if decimals < 6 else f"{r:06d}"
    if decimals < 6:
        # Round half up at the requested decimals.
        scaled = (v * 10**decimals + 500_000) // 1_000_000
        q, rr = divmod(scaled, 10**decimals)
        frac = f"{rr:0{decimals}d}"
    return f"{sign}{q}.{frac}"


# ---------------------------------------------------------------------------------------------
# Deterministic rustpy-xlsxwriter output
# ---------------------------------------------------------------------------------------------
_CORE_TIME = re.compile(rb"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


def _fix_core_xml(data: bytes) -> bytes:
    """Rewrite the zip so that docProps/core.xml carries a fixed date (stored, not deflated).

    Every other member is copied byte for byte (local header, data and data descriptor),
    so the cost is one pass over the bytes, not a recompression.
    """
    eocd = data.rfind(b"PK\x05\x06")
    _, _, _, _, n_entries, _, cd_off, _ = struct.unpack("<IHHHHIIH", data[eocd : eocd + 22])
    entries = []
    p = cd_off
    for _ in range(n_entries):
        fixed = struct.unpack("<IHHHHHHIIIHHHHHII", data[p : p + 46])
        name_len, extra_len, comment_len = fixed[10], fixed[11], fixed[12]
        name = data[p + 46 : p + 46 + name_len]
        entries.append(
            (fixed, name, data[p + 46 + name_len : p + 46 + name_len + extra_len + comment_len])
        )
        p += 46 + name_len + extra_len + comment_len
    offsets = [e[0][16] for e in entries] + [cd_off]
    out = bytearray()
    central = bytearray()
    for i, (fixed, name, tail) in enumerate(entries):
        start, end = offsets[i], offsets[i + 1]
        new_off = len(out)
        f = list(fixed)
        if name == b"docProps/core.xml":
            lh = struct.unpack("<IHHHHHIIIHH", data[start : start + 30])
            comp = data[start + 30 + lh[9] + lh[10] : start + 30 + lh[9] + lh[10] + fixed[8]]
            xml = zlib.decompress(comp, -15) if fixed[4] == 8 else comp
            xml = _CORE_TIME.sub(FIXED_CREATED.strftime("%Y-%m-%dT%H:%M:%SZ").encode(), xml)
            crc = zlib.crc32(xml)
            local = (
                struct.pack(
                    "<IHHHHHIIIHH",
                    0x04034B50,
                    20,
                    0,
                    0,
                    lh[4],
                    lh[5],
                    crc,
                    len(xml),
                    len(xml),
                    len(name),
                    0,
                )
                + name
                + xml
            )
            out += local
            f[3], f[4], f[7], f[8], f[9] = 0, 0, crc, len(xml), len(xml)
        else:
            out += data[start:end]
        f[16] = new_off
        central += struct.pack("<IHHHHHHIIIHHHHHII", *f) + name + tail
    cd_start = len(out)
    out += central
    out += struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, n_entries, n_entries, len(central), cd_start, 0
    )
    return bytes(out)


def write_big_xlsx(
    path: Path,
    df: pl.DataFrame,
    title_lines: list[str],
    header_row: int,
    date_format: str = "dd/mm/yyyy",
) -> None:
    """A BCQUERY sheet: empty column A, title lines from row 2, headers at ``header_row``."""
    if rustpy_xlsxwriter is None:
        _write_big_xlsx_fallback(path, df, title_lines, header_row)
        return
    # An all-empty first column with an empty header keeps column A empty.
    df = df.select(pl.lit(None, pl.String).alias(""), pl.all())
    last = df.width - 1
    merges = [(1 + i, 1, 1 + i, min(last, 8), t) for i, t in enumerate(title_lines)]
    buf = io.BytesIO()
    rustpy_xlsxwriter.write_worksheet(
        df,
        buf,
        sheet_name="BCQUERY",
        header_row=header_row,
        merge_ranges=merges,
        datetime_format=date_format,
    )
    path.write_bytes(_fix_core_xml(buf.getvalue()))


def _write_big_xlsx_fallback(
    path: Path, df: pl.DataFrame, title_lines: list[str], header_row: int
) -> None:
    """Same layout through xlsxwriter's constant-memory mode (slow: ~0.1 M cells/s here)."""
    wb = xlsxwriter.Workbook(
        str(path),
        {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False},
    )
    wb.set_properties({"created": FIXED_CREATED})
    ws = wb.add_worksheet("BCQUERY")
    date_fmt = wb.add_format({"num_format": "dd/mm/yyyy"})
    for i, t in enumerate(title_lines):
        ws.write_string(1 + i, 1, t)
    ws.write_row(header_row, 1, df.columns)
    dates = {j for j, dt_ in enumerate(df.dtypes) if dt_ == pl.Date}
    for r, row in enumerate(df.iter_rows(), start=header_row + 1):
        for j, v in enumerate(row):
            if v is None:
                continue
            if j in dates:
                ws.write_datetime(r, 1 + j, dt.datetime(v.year, v.month, v.day), date_fmt)
            elif isinstance(v, str):
                ws.write_string(r, 1 + j, v)
            else:
                ws.write_number(r, 1 + j, v)
    wb.close()


# ---------------------------------------------------------------------------------------------
# xlsxwriter sheets with arbitrary layout (01.x forms, BC0437, HOI)
# ---------------------------------------------------------------------------------------------
class SmallSheet:
    def __init__(self, path: Path):
        self.wb = xlsxwriter.Workbook(
            str(path),
            {"strings_to_numbers": False, "strings_to_formulas": False, "in_memory": True},
        )
        self.wb.set_properties({"created": FIXED_CREATED, "author": "NHCSXH"})
        self.ws = self.wb.add_worksheet("BCQUERY")
        self.bold = self.wb.add_format({"bold": True})
        self.center = self.wb.add_format(
            {"bold": True, "align": "center", "text_wrap": True, "border": 1}
        )
        self.date = self.wb.add_format({"num_format": "dd/mm/yyyy"})
        self.mil6 = self.wb.add_format({"num_format": "#,##0.000000"})
        self.int = self.wb.add_format({"num_format": "#,##0"})

    def close(self) -> None:
        self.wb.close()

    def row(self, r: int, values, fmts=None) -> None:
        for j, v in enumerate(values):
            if v is None:
                continue
            f = fmts[j] if fmts else None
            if isinstance(v, dt.date):
                self.ws.write_datetime(
                    r, 1 + j, dt.datetime(v.year, v.month, v.day), f or self.date
                )
            elif isinstance(v, str):
                self.ws.write_string(r, 1 + j, v, f) if f else self.ws.write_string(r, 1 + j, v)
            else:
                self.ws.write_number(r, 1 + j, v, f) if f else self.ws.write_number(r, 1 + j, v)

    def signature(self, r: int, place_date: str, width: int) -> None:
        """Signature block from row ``r`` (after the caller's empty row)."""
        self.ws.write_string(r, max(1, width - 3), place_date)
        cols = [1, max(2, width // 2), max(3, width - 3)]
        for c, t in zip(cols, SIGNATURE, strict=True):
            self.ws.write_string(r + 1, c, t, self.bold)
            self.ws.write_string(r + 2, c, "(Ký, ghi rõ họ tên)")


def write_csv(path: Path, df: pl.DataFrame, *, bom: bool = False, sep: str = ",") -> None:
    buf = io.BytesIO()
    df.write_csv(buf, separator=sep, date_format="%d/%m/%Y", include_header=True)
    path.write_bytes((BOM if bom else b"") + buf.getvalue())


def write_parquet(path: Path, df: pl.DataFrame) -> None:
    # Statistics and the writer's version string are deterministic; compression is fixed.
    df.write_parquet(path, compression="zstd", statistics=True)


# ---------------------------------------------------------------------------------------------
# Delivery folders and manifests
# ---------------------------------------------------------------------------------------------
def fresh_folder(p: Path) -> None:
    """Create a delivery folder this run writes, emptied of an earlier run's files first:
    its manifest must list exactly this run's files. Folders the run does not write (other
    dates, other scenarios) are left alone."""
    if p.exists():
        shutil.rmtree(p)
    p.mkdir(parents=True)


def file_digest(path: Path) -> tuple[int, str]:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return path.stat().st_size, h.hexdigest()


def write_manifest(folder: Path, name: str = "manifest.csv") -> None:
    """List every non-manifest file of ``folder`` (sorted); written after all of them."""
    lines = ["file_name,bytes,sha256"]
    for p in sorted(folder.iterdir()):
        if p.name.startswith("manifest") or not p.is_file():
            continue
        size, sha = file_digest(p)
        lines.append(f"{p.name},{size},{sha}")
    (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
