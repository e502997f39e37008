"""The validation report for the office, in Vietnamese: one HTML page (no script, no external
resource) and one XLSX workbook with the same items (file, sheet, row, column, what was
expected, what was found). The rules' own sentences are ingestion's, word for word, so the
office reads what the branch would read; they carry no personal value (ingestion never
repeats one)."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import xlsxwriter
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from pipelines.reports import fmt

from .result import BREAK, FINDING, KIND_VI, NOTE, REJECTED, Item, Validation

TEMPLATES = Path(__file__).with_name("templates")
ORDER = {REJECTED: 0, BREAK: 1, FINDING: 2, NOTE: 3}
COLUMNS = (
    ("kind", "Mức độ"),
    ("file", "Tệp"),
    ("sheet", "Trang tính"),
    ("row", "Dòng"),
    ("column", "Cột"),
    ("expected", "Mong đợi"),
    ("found", "Thực tế"),
    ("message", "Nội dung"),
)
# at most this many items per kind in the HTML page (the workbook has them all)
HTML_LIMIT = 500


def report_paths(out_dir: Path, v: Validation) -> tuple[Path, Path]:
    day = v.data_date.strftime("%Y%m%d") if v.data_date else "khong-ngay"
    stem = f"kiem-tra_{v.unit}_{day}"
    return out_dir / f"{stem}.html", out_dir / f"{stem}.xlsx"


def _row(i: Item) -> dict:
    return {
        "kind": KIND_VI[i.kind],
        "kind_key": i.kind,
        "file": i.file,
        "sheet": i.sheet or "",
        "row": i.row,
        "column": i.column or "",
        "expected": i.expected,
        "found": i.found,
        "message": i.message,
    }


def _sorted(items: list[Item]) -> list[Item]:
    return sorted(items, key=lambda i: (ORDER[i.kind], i.file, i.row or 0, i.column or ""))


def summary_vi(v: Validation) -> list[str]:
    """The report's short account, line by line (also what the command prints)."""
    lines = [
        f"Thư mục {v.folder}: {v.verdict_vi()}",
        f"Số tệp: {fmt.fmt_int(len(v.files))}; số dòng đọc được: "
        f"{fmt.fmt_int(sum(n for f, n in v.rows.items() if f.startswith(v.folder + '/')))}",
        (
            f"Chưa có {v.manifest}: đã kiểm tra thư mục như khi {v.manifest} được ghi (mọi tệp "
            "hiện có)."
            if v.pending
            else f"Đã kiểm tra như chi nhánh sẽ nạp theo {v.manifest} (kích thước, SHA-256)."
        ),
        f"Bị từ chối: {fmt.fmt_int(len(v.rejected_files))} tệp "
        f"({fmt.fmt_int(v.count(REJECTED))} lỗi); lệch đối soát: "
        f"{fmt.fmt_int(v.count(BREAK))}; lưu ý dữ liệu: {fmt.fmt_int(v.count(FINDING))}.",
    ]
    for o in v.identities:
        state = o.skipped or (
            f"{fmt.fmt_int(o.items_checked)} mục, {fmt.fmt_int(o.items_failed)} lệch"
        )
        lines.append(f"- {o.title_vi}: {state}")
    if v.journal_days:
        lines.append(
            "Sổ giao dịch đã đọc: " + ", ".join(fmt.fmt_date(d) for d in v.journal_days) + "."
        )
    if v.opening:
        lines.append(f"Mẫu 31 đầu kỳ đã đọc: {fmt.fmt_date(v.opening)}.")
    return lines


def write_reports(v: Validation, out_dir: Path, produced_at: datetime | None = None) -> list[Path]:
    """Write the HTML page and the workbook into ``out_dir`` (aside, then renamed)."""
    produced_at = produced_at or datetime.now()
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path, xlsx_path = report_paths(out_dir, v)
    own = _sorted([i for i in v.items if not i.context])
    context = _sorted([i for i in v.items if i.context])
    written = []
    for path, write in (
        (html_path, lambda p: p.write_text(_html(v, own, context, produced_at), "utf-8")),
        (xlsx_path, lambda p: _xlsx(v, own, context, p)),
    ):
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        try:
            write(tmp)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        written.append(path)
    return written


def _html(v: Validation, own: list[Item], context: list[Item], produced_at: datetime) -> str:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    shown = []
    for kind in ORDER:
        of_kind = [i for i in own if i.kind == kind]
        shown.extend(of_kind[:HTML_LIMIT])
    return env.get_template("validate.html.j2").render(
        v=v,
        verdict=v.verdict_vi(),
        summary=summary_vi(v),
        columns=COLUMNS,
        rows=[_row(i) for i in shown],
        hidden=len(own) - len(shown),
        context_rows=[_row(i) for i in context],
        date_text=fmt.fmt_date(v.data_date),
        produced_at=f"{produced_at:%H:%M %d/%m/%Y}",
        seconds=fmt.fmt_number(v.seconds, 1),
        fmt_int=fmt.fmt_int,
    )


def _xlsx(v: Validation, own: list[Item], context: list[Item], path: Path) -> None:
    wb = xlsxwriter.Workbook(str(path))
    bold = wb.add_format({"bold": True, "font_size": 13, "font_color": "#1F4E79"})
    head = wb.add_format(
        {
            "bold": True,
            "font_color": "#FFFFFF",
            "bg_color": "#1F4E79",
            "border": 1,
            "text_wrap": True,
        }
    )
    ws = wb.add_worksheet("Tóm tắt")
    ws.set_column(0, 0, 110)
    ws.write_string(0, 0, f"Kiểm tra trước khi gửi: PGD {v.unit}, ngày số liệu "
                    f"{fmt.fmt_date(v.data_date)}", bold)  # fmt: skip
    for r, line in enumerate(summary_vi(v), start=2):
        ws.write_string(r, 0, line)
    for name, items in (("Chi tiết", own), ("Tệp tham chiếu", context)):
        if name == "Tệp tham chiếu" and not items:
            continue
        sheet = wb.add_worksheet(name)
        sheet.freeze_panes(1, 0)
        widths = (14, 48, 12, 8, 28, 36, 36, 90)
        for j, ((_key, header), width) in enumerate(zip(COLUMNS, widths, strict=True)):
            sheet.write_string(0, j, header, head)
            sheet.set_column(j, j, width)
        for i, item in enumerate(items, start=1):
            row = _row(item)
            for j, (key, _h) in enumerate(COLUMNS):
                value = row[key]
                if isinstance(value, int):
                    sheet.write_number(i, j, value)
                elif value:
                    sheet.write_string(i, j, str(value))
        if items:
            sheet.autofilter(0, 0, len(items), len(COLUMNS) - 1)
    wb.close()


__all__ = ["NOTE", "report_paths", "summary_vi", "write_reports"]
