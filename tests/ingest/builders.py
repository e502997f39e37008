"""Hand-written, contract-shaped delivery files for the ingestion tests.

Nothing here uses the generator: every file is built cell by cell so each test controls exactly
what the reader sees (title rows, header position, NFD text, numeric codes, Excel date cells,
total rows, signature blocks, ...).
"""

from __future__ import annotations

import hashlib
import io
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import xlsxwriter

from pipelines.contract.reports import (
    BC0437,
    BCDHTD_011,
    DOICHIEU,
    FORM_HEADERS,
    HOI,
    M31,
    SKGD,
)

DAY = date(2022, 3, 31)
OFFICE = "0107"  # Hai Bà Trưng
COMMUNES = [("010701", "Phường Bạch Đằng"), ("010702", "Phường Minh Khai")]


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


# ------------------------------------------------------------------------------ rows
def m31_row(n: int = 1, **over) -> dict:
    """A valid M31 row (keys of the spec)."""
    commune, cname = COMMUNES[n % 2]
    row = {
        "as_of_date": "31/03/2022",
        "pgd_code": OFFICE,
        "commune_code": commune,
        "commune_name": cname,
        "hamlet_code": commune + "01",
        "group_code": f"{commune[2:]}{n % 10:03d}"[:7].rjust(7, "0"),
        "group_name": "Nguyễn Thị Hoa",
        "org_code": "12",
        "customer_code": f"{n:010d}",
        "customer_name": f"Trần Văn Khách {n}",
        "national_id": f"{n:012d}",
        "phone": "0912345678",
        "gender": "Nữ",
        "birth_year": "1980",
        "ethnicity": "Kinh",
        "household_category": "Hộ nghèo",
        "loan_code": f"6600{n:012d}",
        "program_code": "01",
        "channel": "2",
        "funding_source": "1",
        "disbursement_date": "15/01/2022",
        "maturity_date": "15/01/2025",
        "term_class": "Trung hạn",
        "interest_rate_pct_month": "0.55",
        "loan_amount": "50.000.000",
        "outstanding": "45.000.000",
        "outstanding_in_term": "40.000.000",
        "outstanding_overdue": "3.000.000",
        "outstanding_frozen": "2.000.000",
        "accrued_interest_in_term": "100000",
        "accrued_interest_overdue": "0",
        "disbursed_month": "0",
        "disbursement_reversed_month": "0",
        "repaid_in_term_month": "1.000.000",
        "repaid_overdue_month": "0",
        "repaid_frozen_month": "0",
        "interest_collected_month": "250000",
        "written_off_month": "0",
        "disbursed_ytd": "50.000.000",
        "disbursement_reversed_ytd": "0",
        "repaid_ytd": "5.000.000",
        "interest_collected_ytd": "500000",
        "written_off_ytd": "0",
        "loan_status": "OPEN",
        "workers_attracted": "0",
        "water_works": "0",
        "sanitation_works": "0",
        "savings_book_no": f"TK{n:06d}",
        "savings_balance": "200000",
    }
    row.update(over)
    return row


def savings_only_row(n: int = 1, zeros: bool = False, **over) -> dict:
    """A savings-only M31 row (a member with savings and no loan): every loan column, from Số
    khế ước to Số công trình vệ sinh, empty as the contract says (``zeros``: amounts and counts
    written as 0, as some exports do)."""
    row = m31_row(n)
    row["loan_code"] = None
    for c in M31.columns:
        if c.applies_if:
            row[c.key] = "0" if zeros and c.type in ("int", "decimal") else None
    row.update(over)
    return row


def skgd_row(n: int = 1, **over) -> dict:
    row = {
        "txn_date": "31/03/2022",
        "txn_id": f"GD2022033100{n:04d}",
        "pgd_code": OFFICE,
        "commune_code": COMMUNES[n % 2][0],
        "group_code": "0701001",
        "customer_code": f"{n:010d}",
        "loan_code": f"6600{n:012d}",
        "program_code": "01",
        "txn_type": "TNTH",
        "amount": "1.000.000",
        "memo": "Thu nợ gốc, trong hạn",
    }
    row.update(over)
    return row


def bc0437_row(n: int = 1, **over) -> dict:
    row = {
        "pgd_code": OFFICE,
        "commune_code": COMMUNES[n % 2][0],
        "hamlet_code": COMMUNES[n % 2][0] + "01",
        "org_code": "12",
        "group_code": f"0701{n:03d}",
        "leader_name": "Nguyễn Thị Hoa",
        "established_date": "12/05/2010",
        "members": "25",
        "members_with_outstanding": "20",
        "outstanding": "900.000.000",
        "outstanding_overdue": "3.000.000",
        "outstanding_frozen": "2.000.000",
        "savings_balance": "12.000.000",
        "score": "90",
        "rating": "Tốt",
    }
    row.update(over)
    return row


def doichieu_row(n: int = 1, **over) -> dict:
    row = {
        "campaign_year": "2022",
        "pgd_code": OFFICE,
        "commune_code": COMMUNES[n % 2][0],
        "group_code": "0701001",
        "org_code": "12",
        "customer_code": f"{n:010d}",
        "scope_outstanding": "45.000.000",
        "reconciled_on": "20/02/2022",
        "bank_outstanding": "45.000.000",
        "confirmed_outstanding": "45.000.000",
        "bank_interest": "100.000",
        "confirmed_interest": "100.000",
        "result": "Khớp",
        "officer": "Lê Văn Cán",
    }
    row.update(over)
    return row


def form_row(name: str, stt="1", outstanding="45.000000", **over) -> dict:
    """A 01.x data row by marker: (1) STT, (2) name, (3).. amounts."""
    row = {"(1)": stt, "(2)": name}
    for i in range(3, 16):
        row[f"({i})"] = "0.000000"
    row["(9)"] = outstanding
    row["(10)"] = outstanding
    row["(16)"] = "1"
    row["(17)"] = "1"
    row.update(over)
    return row


def hoi_row(district: str, stt="1", **over) -> dict:
    row = {
        "STT": stt,
        "Đơn vị": district,
        "Số Tổ TK&VV": "120",
        "Số hộ còn dư nợ": "4.500",
        "Dư nợ (triệu đồng)": "210.345,67",
        "Nợ quá hạn (triệu đồng)": "12,50",
    }
    row.update(over)
    return row


# ----------------------------------------------------------------------------- writers
def headers_of(spec) -> list[str]:
    return [c.header for c in spec.columns]


def as_header_rows(spec, rows: list[dict]) -> list[dict]:
    """Spec-key rows -> header-keyed rows."""
    return [{c.header: r.get(c.key) for c in spec.columns} for r in rows]


@dataclass
class Sheet:
    """An xlsx sheet laid out like the bank's BCQUERY exports."""

    headers: list[str]
    rows: list[list]  # cells under the headers
    title: str = "31 - Tạo hồ sơ tín dụng chi tiết theo kỳ số liệu"
    unit_line: str = "Đơn vị: PGD NHCSXH quận Hai Bà Trưng - Ngày số liệu: 31/03/2022"
    header_row: int = 5  # 1-based sheet row of the header
    first_col: int = 1  # column B (column A empty)
    above_header: list[list] = field(default_factory=list)  # e.g. the 01.x human headers
    after: list[list] = field(default_factory=list)  # rows after the data
    sheet_name: str = "BCQUERY"


SIGNATURE = [
    [],
    [None, None, "Hà Nội, ngày 31 tháng 03 năm 2022"],
    ["Người lập biểu", None, "Kiểm soát", None, "Giám đốc"],
    [],
    ["Nguyễn Văn Lập", None, "Trần Thị Soát", None, "Lê Văn Đốc"],
]


def xlsx_bytes(sheet: Sheet) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet(sheet.sheet_name)
    date_fmt = wb.add_format({"num_format": "dd/mm/yyyy"})

    def put(r: int, c: int, v) -> None:
        if v is None:
            return
        if isinstance(v, (datetime, date)):
            ws.write_datetime(r, c, datetime(v.year, v.month, v.day), date_fmt)
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            ws.write_number(r, c, v)
        else:
            ws.write_string(r, c, str(v))

    h = sheet.header_row - 1
    if sheet.title and h >= 2:
        put(1, sheet.first_col, sheet.title)
    if sheet.unit_line and h >= 3:
        put(2, sheet.first_col, sheet.unit_line)
    for k, extra in enumerate(sheet.above_header):
        for j, v in enumerate(extra):
            put(h - len(sheet.above_header) + k, sheet.first_col + j, v)
    for j, v in enumerate(sheet.headers):
        put(h, sheet.first_col + j, v)
    r = h + 1
    for row in sheet.rows + sheet.after:
        for j, v in enumerate(row):
            put(r, sheet.first_col + j, v)
        r += 1
    wb.close()
    return buf.getvalue()


def report_sheet(spec, rows: list[dict], order: list[str] | None = None, **kw) -> Sheet:
    """A sheet of spec-key rows with the spec's headers (optionally reordered / extra)."""
    headers = order or headers_of(spec)
    key_of = {c.header: c.key for c in spec.columns}
    cells = [[r.get(key_of.get(h, h)) for h in headers] for r in rows]
    kw.setdefault("title", spec.title)
    return Sheet(headers=headers, rows=cells, **kw)


def form_sheet(rows: list[dict], total: dict | None, signature: bool = True, **kw) -> Sheet:
    markers = [f"({i})" for i in range(1, 18)]
    cells = [[r.get(m) for m in markers] for r in rows]
    after = []
    if total is not None:
        after.append([total.get(m) for m in markers])
    if signature:
        after += SIGNATURE
    kw.setdefault("title", BCDHTD_011.title)
    kw.setdefault("header_row", 8)
    return Sheet(
        headers=markers,
        rows=cells,
        above_header=[list(FORM_HEADERS), [None] * 17],
        after=after,
        **kw,
    )


def csv_bytes(headers: list[str], rows: list[list], sep: str = ",", bom: bool = False) -> bytes:
    def q(v) -> str:
        s = "" if v is None else str(v)
        if sep in s or '"' in s or "\n" in s:
            s = '"' + s.replace('"', '""') + '"'
        return s

    lines = [sep.join(q(h) for h in headers)] + [sep.join(q(v) for v in r) for r in rows]
    text = "\r\n".join(lines) + "\r\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


def spec_csv(spec, rows: list[dict], sep: str | None = None, bom: bool | None = None) -> bytes:
    sep = sep or (";" if spec is SKGD else ",")
    bom = (spec is SKGD) if bom is None else bom
    headers = headers_of(spec)
    return csv_bytes(headers, [[r.get(c.key) for c in spec.columns] for r in rows], sep, bom)


def parquet_bytes(columns: dict[str, list]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(pa.table(columns), buf)
    return buf.getvalue()


# ---------------------------------------------------------------------------- deliveries
class Folder:
    """A delivery folder: add files, then write the manifest (the folder becomes complete)."""

    def __init__(self, raw: Path, day: date = DAY, unit: str = OFFICE):
        self.raw = raw
        self.day = day
        self.unit = unit
        self.path = raw / day.isoformat() / unit
        self.path.mkdir(parents=True, exist_ok=True)
        self.files: dict[str, bytes] = {}

    def add(self, name: str, data: bytes) -> Folder:
        (self.path / name).write_bytes(data)
        self.files[name] = data
        return self

    def manifest(
        self,
        revision: int = 1,
        only: list[str] | None = None,
        override: dict[str, tuple[int, str]] | None = None,
    ) -> Path:
        names = only if only is not None else sorted(self.files)
        lines = ["file_name,bytes,sha256"]
        for n in names:
            data = self.files[n]
            size, sha = len(data), hashlib.sha256(data).hexdigest()
            if override and n in override:
                size, sha = override[n]
            lines.append(f"{n},{size},{sha}")
        name = "manifest.csv" if revision == 1 else f"manifest_r{revision}.csv"
        p = self.path / name
        p.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return p


def m31_name(unit=OFFICE, day=DAY, rev=1, ext="xlsx") -> str:
    return f"M31_{unit}_{day:%Y%m%d}{'' if rev == 1 else f'_r{rev}'}.{ext}"


def standard_files(day: date = DAY, unit: str = OFFICE) -> dict[str, bytes]:
    """A valid month-end delivery of a district office: every report type once."""
    total = form_row("TỔNG CỘNG", None, "90.000000", **{"(16)": "2", "(17)": "2"})
    return {
        m31_name(unit, day): xlsx_bytes(report_sheet(M31, [m31_row(1), m31_row(2)])),
        f"SKGD_{unit}_{day:%Y%m%d}.csv": spec_csv(
            SKGD, [skgd_row(1), skgd_row(2, txn_type="TL", amount="250.000")]
        ),
        f"BCDHTD_01.1_{unit}_{day:%d%m%Y}.xlsx": xlsx_bytes(
            form_sheet(
                [
                    form_row("Phường Bạch Đằng", "1", "45.000000"),
                    form_row("Phường Minh Khai", "2", "45.000000"),
                ],
                total,
            )
        ),
        f"BCDHTD_01.2_{unit}_{day:%d%m%Y}.xlsx": xlsx_bytes(
            form_sheet(
                [form_row("Cho vay hộ nghèo", "1", "90.000000", **{"(16)": "2", "(17)": "2"})],
                total,
            )
        ),
        f"BC0437_{unit}_{day:%Y%m%d}.xlsx": xlsx_bytes(
            report_sheet(BC0437, [bc0437_row(1), bc0437_row(2)])
        ),
        f"DOICHIEU_{unit}_{day:%Y%m%d}.xlsx": xlsx_bytes(
            report_sheet(DOICHIEU, [doichieu_row(1), doichieu_row(2)])
        ),
    }


def standard_office_folder(raw: Path, day: date = DAY, unit: str = OFFICE) -> Folder:
    """A complete, valid month-end folder of a district office (manifest written)."""
    f = Folder(raw, day, unit)
    for name, data in standard_files(day, unit).items():
        f.add(name, data)
    f.manifest()
    return f


def hoi_sheet(rows: list[dict], total: dict | None = None) -> Sheet:
    headers = headers_of(HOI)
    cells = [[r.get(h) for h in headers] for r in rows]
    after = [[total.get(h) for h in headers]] if total else []
    return Sheet(headers=headers, rows=cells, title=HOI.title, after=after + SIGNATURE)


# ------------------------------------------------------------------- docs/operations.md
_OPERATIONS = Path(__file__).resolve().parents[2] / "docs" / "operations.md"


def operations_fragments() -> list[str]:
    """The message fragments docs/operations.md lists under "Every kind of bad delivery" (the
    back-quoted parts of each table's "what you see" column)."""
    import re

    text = _OPERATIONS.read_text(encoding="utf-8")
    section = text.split("### Every kind of bad delivery", 1)[1].split("\n## ", 1)[0]
    out = []
    for line in section.splitlines():
        cells = line.split("|")
        if len(cells) >= 4 and not set(cells[2].strip()) <= set("-"):
            out += [f.replace("...", "").strip() for f in re.findall(r"`([^`]+)`", cells[2])]
    return [f for f in out if len(f) >= 5]


def documented(message: str) -> bool:
    """The message is one docs/operations.md tells the user about (and what to do)."""
    return any(f in message for f in operations_fragments())
