"""The briefing's tables as an Excel workbook, and the exception lists for branch staff.

Cells hold exact values (amounts in đồng, ratios as fractions); number formats show them in the
unit of the column header (``#,##0.0,,,`` displays đồng in tỷ), so an Excel user sums exact
figures and still reads tỷ đồng. Header row bold and frozen, column widths set. Every sheet
prints on A4 landscape, fitted to the page width, with the header row repeated on each page.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import xlsxwriter

from ..contract.reports import PERSONAL_COLUMN
from . import labels
from .contents import all_tables
from .data import ReportData
from .figures import headline
from .tables import (
    DATE,
    INT,
    PCT1,
    PCT2,
    POINTS1,
    POINTS2,
    SIGNED_INT,
    SIGNED_TRIEU,
    SIGNED_TY,
    TEXT,
    TRIEU,
    TY,
    Col,
)

NUMBER_FORMATS = {
    INT: "#,##0",
    SIGNED_INT: "+#,##0;-#,##0;0",
    TY: "#,##0.0,,,",
    SIGNED_TY: "+#,##0.0,,,;-#,##0.0,,,;0",
    TRIEU: "#,##0,,",
    SIGNED_TRIEU: "+#,##0.0,,;-#,##0.0,,;0",
    PCT1: "0.0%",
    PCT2: "0.00%",
    POINTS1: "+0.0%;-0.0%;0.0%",
    POINTS2: "+0.00%;-0.00%;0.00%",
    DATE: "dd/mm/yyyy",
    TEXT: "@",
}


def _width(header: str, values: list[Any], kind: str) -> float:
    longest = max([len(str(v)) for v in values if v is not None] + [0])
    if kind in (TY, SIGNED_TY):
        longest = 12
    elif kind in (TRIEU, INT, SIGNED_INT):
        longest = min(longest, 14)
    words = max((len(w) for w in header.split()), default=8)
    return float(min(max(longest + 2, words + 2, min(len(header), 18) + 2, 8), 60))


class _Book:
    def __init__(self, path: Path):
        self.wb = xlsxwriter.Workbook(str(path), {"remove_timezone": True})
        self.header = self.wb.add_format(
            {
                "bold": True,
                "font_color": "#FFFFFF",
                "bg_color": "#1F4E79",
                "text_wrap": True,
                "valign": "vcenter",
                "align": "center",
                "border": 1,
            }
        )
        self.title = self.wb.add_format({"bold": True, "font_size": 13, "font_color": "#1F4E79"})
        self.formats = {k: self.wb.add_format({"num_format": v}) for k, v in NUMBER_FORMATS.items()}
        self.total_formats = {
            k: self.wb.add_format({"num_format": v, "bold": True, "bg_color": "#EEF2F7"})
            for k, v in NUMBER_FORMATS.items()
        }

    def table(
        self,
        name: str,
        columns: list[Col],
        rows: list[dict],
        totals: list[dict] | None = None,
    ) -> None:
        """One sheet: header in row 1 (frozen), data from row 2, totals at the end (bold)."""
        ws = self.wb.add_worksheet(name[:31])
        ws.freeze_panes(1, 0)
        ws.set_row(0, 36)
        for j, c in enumerate(columns):
            ws.write_string(0, j, c.header, self.header)
            values = [r.get(c.key) for r in rows]
            ws.set_column(j, j, _width(c.header, values, c.kind), self.formats.get(c.kind))
        for i, row in enumerate([*rows, *(totals or [])], start=1):
            fmts = self.total_formats if i > len(rows) else self.formats
            for j, c in enumerate(columns):
                kind = c.kind_of(row)
                self._write(ws, i, j, row.get(c.key), fmts.get(kind, fmts[TEXT]), kind)
        if rows:
            ws.autofilter(0, 0, len(rows), len(columns) - 1)
        _print_setup(ws)

    @staticmethod
    def _write(ws, i: int, j: int, value: Any, f, kind: str) -> None:
        if value is None:
            ws.write_blank(i, j, None, f)
        elif isinstance(value, bool):
            ws.write_boolean(i, j, value, f)
        elif isinstance(value, dt.datetime):
            ws.write_datetime(i, j, value, f)
        elif isinstance(value, dt.date):
            ws.write_datetime(i, j, dt.datetime.combine(value, dt.time()), f)
        elif isinstance(value, int | float) and kind != TEXT:
            ws.write_number(i, j, value, f)
        elif hasattr(value, "__float__") and kind != TEXT:
            ws.write_number(i, j, float(value), f)
        else:
            ws.write_string(i, j, str(value), f)

    def close(self) -> None:
        self.wb.close()


def _print_setup(ws) -> None:
    """A4 landscape, fitted to the page width (as many pages down as needed), the header row
    repeated on every printed page, page numbers in the footer."""
    ws.set_paper(9)  # A4
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    ws.set_footer("&L&A&RTrang &P/&N")


def write_briefing_xlsx(d: ReportData, path: Path, produced_at: dt.datetime) -> Path:
    book = _Book(path)
    figs = headline(d)
    if d.unverified:
        # the first sheet, the one the workbook opens on
        warn = book.wb.add_worksheet("CHƯA KIỂM CHỨNG")
        warn.set_column(0, 0, 120)
        big = book.wb.add_format(
            {"bold": True, "font_size": 14, "font_color": "#7F1D1D", "bg_color": "#FEE2E2"}
        )
        warn.write_string(0, 0, d.unverified, big)
    book.table(
        "Chỉ tiêu",
        [
            Col("id", "Mã"),
            Col("label", "Chỉ tiêu"),
            Col("value", "Giá trị (đồng, khách hàng, tỷ lệ)", "value"),
            Col("text", "Cách viết trong báo cáo"),
            Col("field", "Cột trong marts.mart_briefing_kpis"),
        ],
        [
            {"id": f.id, "label": f.label, "value": f.value, "text": f.text, "field": f.field}
            for f in figs
        ],
    )
    # the value column mixes amounts, counts and ratios: format per row
    ws = book.wb.get_worksheet_by_name("Chỉ tiêu")
    pct = book.wb.add_format({"num_format": "0.00%"})
    num = book.wb.add_format({"num_format": "#,##0"})
    for i, f in enumerate(figs, start=1):
        if f.value is None:
            continue
        is_ratio = f.field.endswith(("_share", "_completion", "_ratio"))
        ws.write_number(
            i, 2, float(f.value) if is_ratio else round(f.value), pct if is_ratio else num
        )
    ws.set_column(2, 2, 22)
    for t in all_tables(d):
        book.table(t.sheet, t.columns, t.rows, t.totals)
    info = book.wb.add_worksheet("Thông tin")
    info.set_column(0, 0, 28)
    info.set_column(1, 1, 70)
    dl = d.deliveries or {}
    lines = [
        ("Báo cáo", "Kết quả ủy thác cho vay qua các TCCTXH"),
        ("Ngày số liệu", f"{d.as_of:%d/%m/%Y}"),
        ("Lập lúc", f"{produced_at:%H:%M %d/%m/%Y}"),
        ("Nguồn", "kho dữ liệu: marts, recon, quality"),
        ("Tệp dữ liệu đã nạp", "" if dl.get("files") is None else str(dl["files"])),
        ("Lần giao lại cao nhất", str(dl.get("latest_revision") or "")),
        ("Đơn vị", "Số tiền lưu bằng đồng; hiển thị theo đơn vị ghi ở tiêu đề cột."),
    ]
    if d.unverified:
        lines.insert(1, ("CHƯA KIỂM CHỨNG", d.unverified))
    for i, (k, v) in enumerate(lines):
        info.write_string(i, 0, k, book.title if i == 0 else None)
        info.write_string(i, 1, v)
    _print_setup(info)
    book.close()
    return path


def _kind_of(value: Any) -> str:
    if isinstance(value, dt.date):
        return DATE
    if isinstance(value, bool) or not isinstance(value, int | float):
        return TEXT
    return INT


def _exception_sheet(name: str, rows: list[dict]) -> tuple[list[Col], list[dict]]:
    """A list's columns with Vietnamese headers and values in words; a recon list gains a
    "Kết quả" column (a break blocks the report, a finding is to be explained)."""
    keys = [k for k in (rows[0] if rows else {}) if not PERSONAL_COLUMN.search(k)]
    recon = name.startswith("recon.")
    shown = [{k: labels.value(k, r[k]) for k in keys} for r in rows]
    if recon:
        for out, r in zip(shown, rows, strict=True):
            out["_outcome"] = labels.outcome(r)
    sample = rows[0] if rows else {}
    columns = [Col("_outcome", "Kết quả")] if recon else []
    columns += [Col(k, labels.header(k), _kind_of(sample.get(k))) for k in keys]
    return columns, shown


def write_exceptions_xlsx(d: ReportData, path: Path) -> Path:
    """The exception lists of the briefing's quarter, in Vietnamese: a summary (one line per
    list, Khớp when it is empty, else Chênh lệch with its count), then one sheet per list that
    has rows. Codes only (no personal-data column)."""
    book = _Book(path)
    summary, sheets = [], []
    for name, rows in d.exceptions.items():
        model = name.removeprefix("recon.")
        sheet, checks, expected, actual = labels.RECON_LISTS.get(
            model, (*labels.CAMPAIGN_DISCREPANCIES, "", "")
        )
        summary.append(
            {
                "list": sheet,
                "checks": checks,
                "expected": expected,
                "actual": actual,
                "result": "Chênh lệch" if rows else "Khớp",
                "rows": len(rows),
                "source": name,
            }
        )
        if rows:
            sheets.append((sheet, name, rows))
    book.table(
        "Tổng hợp",
        [
            Col("list", "Danh sách"),
            Col("checks", "Nội dung kiểm tra"),
            Col("expected", "Số kỳ vọng là"),
            Col("actual", "Số thực tế là"),
            Col("result", "Kết quả"),
            Col("rows", "Số mục chênh lệch", INT),
            Col("source", "Bảng nguồn"),
        ],
        summary,
    )
    used = {"Tổng hợp"}
    for sheet, name, rows in sheets:
        n = 2
        unique = sheet[:31]
        while unique in used:
            unique = f"{sheet[:28]} {n}"
            n += 1
        used.add(unique)
        book.table(unique, *_exception_sheet(name, rows))
    book.close()
    return path
