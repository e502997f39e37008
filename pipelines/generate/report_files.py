"""One report's file: a report frame (contract keys) -> the file's columns, layout and bytes
in the delivery format (contract section 3), with the file's quirks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from pipelines.contract.codes import UNIT_BY_CODE
from pipelines.contract.reports import FORM_HEADERS, FORM_TITLE, ReportSpec

from . import writers as w

FORM_GROUPS = (
    ("Doanh số cho vay", 2, 3),
    ("Doanh số thu nợ", 4, 5),
    ("Xóa nợ", 6, 7),
    ("Dư nợ", 8, 14),
    ("Khách hàng", 15, 16),
)
TEXT_AMOUNT_COLS = (
    "loan_amount",
    "outstanding",
    "savings_balance",
    "scope_outstanding",
    "bank_outstanding",
    "confirmed_outstanding",
)
NUMERIC_CODE_COLS = ("pgd_code", "program_code", "org_code")


def unit_line(office: str, d: dt.date) -> str:
    return f"Đơn vị: {UNIT_BY_CODE[office].office_name} - Ngày số liệu: {d:%d/%m/%Y}"


def place_date(d: dt.date) -> str:
    """The signature block's place and date."""
    return f"Hà Nội, ngày {d.day:02d} tháng {d.month:02d} năm {d.year}"


def write_flat(path: Path, df: pl.DataFrame, fmt: str) -> None:
    """A CSV or Parquet file of the frame as it is."""
    (w.write_csv if fmt == "csv" else w.write_parquet)(path, df)


def file_frame(spec: ReportSpec, df: pl.DataFrame, q: w.Quirks, fmt: str) -> pl.DataFrame:
    """Contract keys -> the file's columns (headers, text/number forms, quirks)."""
    cols = []
    for c in spec.columns:
        e = pl.col(c.key)
        if c.type == "date":
            if fmt == "csv" or (fmt == "xlsx" and not q.date_cells):
                e = e.dt.strftime("%d/%m/%Y")
        elif c.type == "text" and q.nfd:
            e = e.str.normalize("NFD")
        elif c.type == "int" and q.text_amounts and c.key in TEXT_AMOUNT_COLS:
            e = w.thousands(e)
        elif c.type == "code" and q.numeric_codes and c.key in NUMERIC_CODE_COLS:
            e = e.cast(pl.Int64, strict=False)
        cols.append(e.alias(c.header))
    out = df.select(cols)
    if q.swap_columns and not spec.keeps_total_row:
        names = out.columns
        i = 8 if len(names) > 10 else 1
        names[i], names[i + 1] = names[i + 1], names[i]
        out = out.select(names)
    if q.extra_column:
        out = out.with_columns(pl.lit(None, pl.String).alias("Ghi chú"))
    return out


def write_table(
    path: Path, spec: ReportSpec, df: pl.DataFrame, fmt: str, q: w.Quirks, office: str, d: dt.date
) -> None:
    """A big flat report (M31, DOICHIEU); in Excel under its title and unit lines."""
    ff = file_frame(spec, df, q, fmt)
    if fmt != "xlsx":
        write_flat(path, ff, fmt)
        return
    lines = [spec.title, unit_line(office, d)] + ([w.EXTRA_TITLE] if q.shift > 0 else [])
    w.write_big_xlsx(path, ff, lines, 4 + q.shift)


def write_small(
    path: Path,
    spec: ReportSpec,
    df: pl.DataFrame,
    fmt: str,
    q: w.Quirks,
    title: str,
    unit: str,
    d: dt.date,
    total: list | None = None,
) -> int:
    """BC0437 / HOI (Excel: through xlsxwriter, with ``total`` as a bold last row); returns
    the sheet row (1-based) of the first data row."""
    ff = file_frame(spec, df, q, fmt)
    if fmt != "xlsx":
        write_flat(path, ff, fmt)
        return 2
    s = w.SmallSheet(path)
    s.ws.write_string(1, 1, title, s.bold)
    r = 2
    if q.shift >= 0:
        s.ws.write_string(2, 1, unit)
        r = 3
    if q.shift > 0:
        s.ws.write_string(3, 1, w.EXTRA_TITLE)
        r = 4
    hr = r + 1 if q.shift >= 0 else r
    s.row(hr, ff.columns, [s.center] * ff.width)
    rows = ff.rows()
    for i, row in enumerate(rows):
        s.row(hr + 1 + i, row)
    end = hr + 1 + len(rows)
    if total is not None:
        # The total row follows the file's column order (a swapped-columns quirk included).
        by_header = dict(zip([c.header for c in spec.columns], total, strict=True))
        trow = [by_header.get(h) for h in ff.columns]
        s.row(end, trow, [s.bold] * len(trow))
        end += 1
    if q.signature or total is not None:
        s.signature(end + 1, place_date(d), ff.width)
    s.close()
    return hr + 2


def write_form(
    path: Path, form: pl.DataFrame, which: str, fmt: str, q: w.Quirks, office: str, d: dt.date
) -> int:
    """01.1/01.2: two-level header, marker row, data, TỔNG CỘNG, signature. Returns the
    1-based sheet row of the first data row (or the CSV line)."""
    amounts = [f"c{i}" for i in range(3, 16)]
    counts = ["c16", "c17"]
    markers = [f"({i})" for i in range(1, 18)]
    name_col = "row_name"
    if q.nfd:
        form = form.with_columns(pl.col(name_col).str.normalize("NFD"))
    if fmt != "xlsx":  # triệu đồng as exact decimal text (CSV) or Decimal(24, 6) (Parquet)
        out = form.select(
            pl.col("stt").alias("(1)"),
            pl.col(name_col).alias("(2)"),
            *[
                (
                    pl.col(c).map_elements(w.fmt_million, pl.String)
                    if fmt == "csv"
                    else w.decimal_series(form[c], 6)
                ).alias(markers[i + 2])
                for i, c in enumerate(amounts)
            ],
            *[pl.col(c).alias(markers[15 + i]) for i, c in enumerate(counts)],
        )
        write_flat(path, out, fmt)
        return 2
    s = w.SmallSheet(path)
    code = "01.1/BCTD" if which == "01.1" else "01.2/BCTD"
    s.ws.write_string(0, 1, w.BANK_LINE, s.bold)
    s.ws.write_string(0, 14, f"Mẫu số: {code}", s.bold)
    s.ws.write_string(1, 1, FORM_TITLE, s.bold)
    s.ws.write_string(2, 1, unit_line(office, d))
    r = 3
    if q.shift >= 0:
        s.ws.write_string(3, 1, "Đơn vị tính: triệu đồng")
        r = 4
    if q.shift > 0:
        s.ws.write_string(4, 1, "(Ban hành kèm theo quy định chế độ báo cáo thống kê)")
        r = 5
    for label, a, b in FORM_GROUPS:
        s.ws.merge_range(r, 1 + a, r, 1 + b, label, s.center)
    s.ws.write_string(r, 1, "STT", s.center)
    s.ws.write_string(r, 2, "Tên đơn vị" if which == "01.1" else "Chương trình", s.center)
    s.row(r + 1, list(FORM_HEADERS), [s.center] * 17)
    s.row(r + 2, markers, [s.center] * 17)
    first = r + 3
    fmts = [None, None] + [s.mil6] * 13 + [s.int] * 2
    for i, row in enumerate(form.iter_rows(named=True)):
        vals = [int(row["stt"]) if row["stt"] else None, row[name_col]]
        vals += [row[c] / 1_000_000 for c in amounts] + [row[c] for c in counts]
        s.row(first + i, vals, fmts)
    end = first + form.height
    s.signature(end + 1, place_date(d), 17)
    s.close()
    return first + 1
