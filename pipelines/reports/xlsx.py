"""The briefing's tables as an Excel workbook, and the exception lists.

Cells hold exact values (amounts in đồng, ratios as fractions); number formats show them in the
unit of the column header (``#,##0.0,,,`` displays đồng in tỷ), so an Excel user sums exact
figures and still reads tỷ đồng. Header row bold and frozen, column widths set.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import xlsxwriter

from .data import PERSONAL_COLUMNS, ReportData
from .tables import (
    DATE,
    INT,
    PCT1,
    PCT2,
    SIGNED_INT,
    SIGNED_TY,
    TEXT,
    TRIEU,
    TY,
    Table,
    all_tables,
    headline,
)

NUMBER_FORMATS = {
    INT: "#,##0",
    SIGNED_INT: "+#,##0;-#,##0;0",
    TY: "#,##0.0,,,",
    SIGNED_TY: "+#,##0.0,,,;-#,##0.0,,,;0",
    TRIEU: "#,##0,,",
    PCT1: "0.0%",
    PCT2: "0.00%",
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
        columns: list[tuple[str, str, str]],
        rows: list[dict],
        totals: list[dict] | None = None,
    ) -> None:
        """One sheet: header in row 1 (frozen), data from row 2, totals at the end (bold)."""
        ws = self.wb.add_worksheet(name[:31])
        ws.freeze_panes(1, 0)
        ws.set_row(0, 36)
        for j, (_key, header, kind) in enumerate(columns):
            ws.write_string(0, j, header, self.header)
            values = [r.get(_key) for r in rows]
            ws.set_column(j, j, _width(header, values, kind), self.formats.get(kind))
        for i, row in enumerate([*rows, *(totals or [])], start=1):
            fmts = self.total_formats if i > len(rows) else self.formats
            for j, (key, _h, kind) in enumerate(columns):
                self._write(ws, i, j, row.get(key), fmts.get(kind, fmts[TEXT]), kind)
        if rows:
            ws.autofilter(0, 0, len(rows), len(columns) - 1)

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


def _cols(t: Table) -> list[tuple[str, str, str]]:
    return [(c.key, c.header, c.kind) for c in t.columns]


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
            ("id", "Mã", TEXT),
            ("label", "Chỉ tiêu", TEXT),
            ("value", "Giá trị (đồng, khách hàng, tỷ lệ)", "value"),
            ("text", "Cách viết trong báo cáo", TEXT),
            ("field", "Cột trong marts.mart_briefing_kpis", TEXT),
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
        book.table(t.sheet, _cols(t), t.rows, t.totals)
    info = book.wb.add_worksheet("Thông tin")
    info.set_column(0, 0, 28)
    info.set_column(1, 1, 70)
    lines = [
        ("Báo cáo", "Kết quả ủy thác cho vay qua các TCCTXH"),
        ("Ngày số liệu", f"{d.as_of:%d/%m/%Y}"),
        ("Lập lúc", f"{produced_at:%H:%M %d/%m/%Y}"),
        ("Nguồn", "kho dữ liệu: marts, recon, quality"),
        ("Tệp dữ liệu đã nạp", "" if d.deliveries.files is None else str(d.deliveries.files)),
        ("Lần giao lại cao nhất", str(d.deliveries.latest_revision or "")),
        ("Đơn vị", "Số tiền lưu bằng đồng; hiển thị theo đơn vị ghi ở tiêu đề cột."),
    ]
    if d.unverified:
        lines.insert(1, ("CHƯA KIỂM CHỨNG", d.unverified))
    for i, (k, v) in enumerate(lines):
        info.write_string(i, 0, k, book.title if i == 0 else None)
        info.write_string(i, 1, v)
    book.close()
    return path


def _kind_of(key: str, value: Any) -> str:
    if isinstance(value, dt.date):
        return DATE
    if isinstance(value, bool) or not isinstance(value, int | float):
        return TEXT
    return INT


def write_exceptions_xlsx(d: ReportData, path: Path) -> Path:
    """One sheet per exception list, plus a summary; codes only (no personal-data column)."""
    book = _Book(path)
    titles = {
        "doi_chieu_chenh_lech": "Đối chiếu chênh lệch",
        "hoi_vs_ngan_hang": "Hội vs Ngân hàng",
    }
    summary = [
        {"list": titles.get(name, name), "source": name, "rows": len(rows)}
        for name, rows in d.exceptions.items()
    ]
    book.table(
        "Tổng hợp",
        [("list", "Danh sách", TEXT), ("source", "Nguồn", TEXT), ("rows", "Số dòng", INT)],
        summary,
    )
    used: set[str] = {"Tổng hợp"}
    for name, rows in d.exceptions.items():
        sheet = titles.get(name, name.removeprefix("recon."))[:31]
        n = 2
        while sheet in used:
            sheet = f"{sheet[:28]}_{n}"
            n += 1
        used.add(sheet)
        keys = [k for k in (rows[0] if rows else {}) if k not in PERSONAL_COLUMNS]
        sample = rows[0] if rows else {}
        book.table(sheet, [(k, k, _kind_of(k, sample.get(k))) for k in keys], rows)
    book.close()
    return path
