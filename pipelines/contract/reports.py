"""Report specifications: every delivered report's columns, keys and types (contract section 4).

One ``ReportSpec`` per report type. The generator writes these headers, the readers match them,
and ``raw.<table>`` has one column per ``Column.key`` (plus the lineage columns of
``LINEAGE_COLUMNS``). Types are the logical types of the contract:

- ``code``: text that keeps leading zeros (``width`` = the contract's digits, 0 = free)
- ``text``: free text, stored NFC
- ``int``: integer đồng or a count; may arrive as text with ``.`` thousands separators
- ``decimal``: a decimal number (interest rate)
- ``million``: an amount in triệu đồng with up to 6 decimals (01.x forms) or 2 (HOI_*)
- ``date``: ``dd/mm/yyyy`` text or an Excel date cell

``personal`` columns are personal data: they stay in ``raw.*`` and never go further.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .codes import (
    DISTRICT_NAMES,
    GENDERS,
    HOUSEHOLD_CATEGORIES,
    LOAN_STATUSES,
    ORG_BY_CODE,
    PROGRAM_BY_CODE,
    RATINGS,
    RECON_RESULTS,
    TERM_CLASSES,
    TXN_TYPES,
    UNIT_BY_CODE,
)


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    type: str  # code | text | int | decimal | million | date
    required: bool = True  # the column must be present in the header
    nullable: bool = False  # a cell may be empty
    width: int = 0  # digits of a code (0 = any)
    personal: bool = False
    allowed: tuple[str, ...] = ()  # closed code list, if any
    scale: int = 0  # decimals of a ``million`` column


@dataclass(frozen=True)
class ReportSpec:
    code: str  # file-name prefix: M31, SKGD, BCDHTD_01.1, ...
    table: str  # raw.<table>
    title: str
    frequency: str  # daily | month_end | quarter_end
    columns: tuple[Column, ...]
    date_format_in_name: str = "%Y%m%d"
    # 01.x forms: columns are located by the "(1)".."(17)" marker row, not by header names.
    marker_row: bool = False
    # The final TỔNG CỘNG row is kept as a control total (01.x and HOI_*) rather than dropped.
    keeps_total_row: bool = False
    unit_is_org: bool = False  # HOI_<ORG>_...: the name's unit part is an organization code
    # Columns the reader derives (not in the file), stored in raw.<table> after the keys.
    derived: tuple[tuple[str, str], ...] = ()
    description: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.columns)

    def column(self, key: str) -> Column:
        for c in self.columns:
            if c.key == key:
                return c
        raise KeyError(key)

    @property
    def personal_keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.columns if c.personal)


_UNITS = tuple(UNIT_BY_CODE)
_ORGS = tuple(ORG_BY_CODE)
_PROGRAMS = tuple(PROGRAM_BY_CODE)


def _c(header, key, type_, **kw) -> Column:
    return Column(header, key, type_, **kw)


M31 = ReportSpec(
    code="M31",
    table="m31",
    title="31 - Tạo hồ sơ tín dụng chi tiết theo kỳ số liệu",
    frequency="month_end",
    description="Mẫu 31: loan-level credit file, one row per loan (and per extra savings book).",
    columns=(
        _c("Ngày số liệu", "as_of_date", "date"),
        _c("Mã PGD", "pgd_code", "code", width=4, allowed=_UNITS),
        _c("Mã xã", "commune_code", "code", width=6),
        _c("Tên xã", "commune_name", "text"),
        _c("Mã thôn", "hamlet_code", "code", width=8),
        _c("Mã tổ", "group_code", "code", width=7, nullable=True),
        _c("Tên tổ", "group_name", "text", nullable=True, personal=True),
        _c("Mã ĐVUT", "org_code", "code", width=2, allowed=_ORGS),
        _c("Mã KH", "customer_code", "code", width=10),
        _c("Tên khách hàng", "customer_name", "text", personal=True),
        _c("Số CCCD", "national_id", "code", width=12, personal=True),
        _c("Số điện thoại", "phone", "code", nullable=True, personal=True),
        _c("Giới tính", "gender", "text", allowed=GENDERS),
        _c("Năm sinh", "birth_year", "int"),
        _c("Dân tộc", "ethnicity", "text"),
        _c("Đối tượng", "household_category", "text", allowed=HOUSEHOLD_CATEGORIES),
        _c("Số khế ước", "loan_code", "code", width=16, nullable=True),
        _c("Mã CT", "program_code", "code", width=2, allowed=_PROGRAMS, nullable=True),
        _c("Hình thức vay", "channel", "code", width=1, allowed=("1", "2"), nullable=True),
        _c("Nguồn vốn", "funding_source", "code", width=1, allowed=("1", "2"), nullable=True),
        _c("Ngày giải ngân", "disbursement_date", "date", nullable=True),
        _c("Ngày đến hạn", "maturity_date", "date", nullable=True),
        _c("Thời hạn vay", "term_class", "text", allowed=TERM_CLASSES, nullable=True),
        _c("Lãi suất", "interest_rate_pct_month", "decimal", nullable=True),
        _c("Số tiền cho vay", "loan_amount", "int"),
        _c("Tổng dư nợ", "outstanding", "int"),
        _c("Dư nợ trong hạn", "outstanding_in_term", "int"),
        _c("Dư nợ quá hạn", "outstanding_overdue", "int"),
        _c("Dư nợ khoanh", "outstanding_frozen", "int"),
        _c("Lãi tồn trong hạn", "accrued_interest_in_term", "int"),
        _c("Lãi tồn quá hạn", "accrued_interest_overdue", "int"),
        _c("Giải ngân trong tháng", "disbursed_month", "int"),
        _c("Đảo khoản GN tháng", "disbursement_reversed_month", "int"),
        _c("Thu nợ TH tháng", "repaid_in_term_month", "int"),
        _c("Thu nợ QH tháng", "repaid_overdue_month", "int"),
        _c("Thu nợ khoanh tháng", "repaid_frozen_month", "int"),
        _c("Thu lãi tháng", "interest_collected_month", "int"),
        _c("Xóa nợ tháng", "written_off_month", "int"),
        _c("Giải ngân năm", "disbursed_ytd", "int"),
        _c("Đảo khoản GN năm", "disbursement_reversed_ytd", "int"),
        _c("Thu nợ năm", "repaid_ytd", "int"),
        _c("Thu lãi năm", "interest_collected_ytd", "int"),
        _c("Xóa nợ năm", "written_off_ytd", "int"),
        _c("Tình trạng món vay", "loan_status", "text", allowed=LOAN_STATUSES, nullable=True),
        _c("Số lao động thu hút", "workers_attracted", "int"),
        _c("Số công trình nước sạch", "water_works", "int"),
        _c("Số công trình vệ sinh", "sanitation_works", "int"),
        _c("Số sổ TK 105", "savings_book_no", "code", nullable=True),
        _c("Số dư TK 105", "savings_balance", "int", nullable=True),
    ),
)

SKGD = ReportSpec(
    code="SKGD",
    table="skgd",
    title="Sao kê giao dịch trong ngày",
    frequency="daily",
    description="Daily transaction journal (CSV, UTF-8 with BOM, ';').",
    columns=(
        _c("Ngày GD", "txn_date", "date"),
        _c("Mã GD", "txn_id", "code"),
        _c("Mã PGD", "pgd_code", "code", width=4, allowed=_UNITS),
        _c("Mã xã", "commune_code", "code", width=6),
        _c("Mã tổ", "group_code", "code", width=7, nullable=True),
        _c("Mã KH", "customer_code", "code", width=10),
        _c("Số khế ước", "loan_code", "code", width=16),
        _c("Mã CT", "program_code", "code", width=2, allowed=_PROGRAMS),
        _c("Loại GD", "txn_type", "text", allowed=TXN_TYPES),
        _c("Số tiền", "amount", "int"),
        _c("Diễn giải", "memo", "text", nullable=True),
    ),
)

# The 01.x forms. ``header`` is the marker of the column ("(3)"); readers locate columns by
# the marker row. ``key`` names are in đồng-independent units: these are triệu đồng.
_FORM_COLUMNS = (
    _c("(1)", "stt", "text", nullable=True),
    _c("(2)", "row_name", "text"),
    _c("(3)", "disbursed_month_mil", "million", scale=6),
    _c("(4)", "disbursed_ytd_mil", "million", scale=6),
    _c("(5)", "repaid_month_mil", "million", scale=6),
    _c("(6)", "repaid_ytd_mil", "million", scale=6),
    _c("(7)", "written_off_month_mil", "million", scale=6),
    _c("(8)", "written_off_ytd_mil", "million", scale=6),
    _c("(9)", "outstanding_mil", "million", scale=6),
    _c("(10)", "outstanding_in_term_mil", "million", scale=6),
    _c("(11)", "outstanding_overdue_mil", "million", scale=6),
    _c("(12)", "outstanding_frozen_mil", "million", scale=6),
    _c("(13)", "outstanding_short_mil", "million", scale=6),
    _c("(14)", "outstanding_medium_mil", "million", scale=6),
    _c("(15)", "outstanding_long_mil", "million", scale=6),
    _c("(16)", "customers_with_outstanding", "int"),
    _c("(17)", "loan_turns_ytd", "int"),
)
# Human headers of the 01.x forms (the generator writes them above the marker row).
FORM_HEADERS: tuple[str, ...] = (
    "STT",
    "Tên đơn vị",
    "Cho vay trong tháng",
    "Cho vay lũy kế năm",
    "Thu nợ trong tháng",
    "Thu nợ lũy kế năm",
    "Xóa nợ trong tháng",
    "Xóa nợ lũy kế năm",
    "Tổng dư nợ",
    "Dư nợ trong hạn",
    "Dư nợ quá hạn",
    "Dư nợ khoanh",
    "Dư nợ ngắn hạn",
    "Dư nợ trung hạn",
    "Dư nợ dài hạn",
    "Số khách hàng còn dư nợ",
    "Số lượt khách hàng vay",
)
# row_kind: commune | district | program | total; row_code: the commune code, the district's
# office code (0100's form 01.1 is by district), the program code, or NULL on the total row.
_FORM_DERIVED = (("row_kind", "VARCHAR"), ("row_code", "VARCHAR"))
FORM_TITLE = "Báo cáo kết quả cho vay hộ nghèo và các đối tượng chính sách"

BCDHTD_011 = ReportSpec(
    code="BCDHTD_01.1",
    table="bcdhtd_011",
    title=FORM_TITLE,
    frequency="month_end",
    columns=_FORM_COLUMNS,
    date_format_in_name="%d%m%Y",
    marker_row=True,
    keeps_total_row=True,
    derived=_FORM_DERIVED,
    description="Official summary form 01.1/BCTD: rows by commune (by district for 0100).",
    extra={"form_code": "01.1/BCTD"},
)
BCDHTD_012 = ReportSpec(
    code="BCDHTD_01.2",
    table="bcdhtd_012",
    title=FORM_TITLE,
    frequency="month_end",
    columns=_FORM_COLUMNS,
    date_format_in_name="%d%m%Y",
    marker_row=True,
    keeps_total_row=True,
    derived=_FORM_DERIVED,
    description="Official summary form 01.2/BCTD: rows by program (full program name).",
    extra={"form_code": "01.2/BCTD"},
)

BC0437 = ReportSpec(
    code="BC0437",
    table="bc0437",
    title="Thông tin Tổ TK&VV do đơn vị quản lý đến ngày",
    frequency="month_end",
    description="Savings and loan group register.",
    columns=(
        _c("Mã PGD", "pgd_code", "code", width=4, allowed=_UNITS),
        _c("Mã xã", "commune_code", "code", width=6),
        _c("Mã thôn", "hamlet_code", "code", width=8),
        _c("Mã ĐVUT", "org_code", "code", width=2, allowed=("11", "12", "13", "14")),
        _c("Mã tổ", "group_code", "code", width=7),
        _c("Tên tổ trưởng", "leader_name", "text", personal=True),
        _c("Ngày thành lập", "established_date", "date"),
        _c("Số tổ viên", "members", "int"),
        _c("Số tổ viên còn dư nợ", "members_with_outstanding", "int"),
        _c("Tổng dư nợ", "outstanding", "int"),
        _c("Dư nợ quá hạn", "outstanding_overdue", "int"),
        _c("Dư nợ khoanh", "outstanding_frozen", "int"),
        _c("Số dư tiết kiệm", "savings_balance", "int"),
        _c("Điểm chấm", "score", "int"),
        _c("Xếp loại", "rating", "text", allowed=RATINGS),
    ),
)

DOICHIEU = ReportSpec(
    code="DOICHIEU",
    table="doichieu",
    title="Kết quả đối chiếu dư nợ khách hàng",
    frequency="month_end",
    description="Balance reconciliation register (Mẫu 15/TD results), cumulative per campaign.",
    columns=(
        _c("Năm đối chiếu", "campaign_year", "int"),
        _c("Mã PGD", "pgd_code", "code", width=4, allowed=_UNITS),
        _c("Mã xã", "commune_code", "code", width=6),
        _c("Mã tổ", "group_code", "code", width=7, nullable=True),
        _c("Mã ĐVUT", "org_code", "code", width=2, allowed=_ORGS),
        _c("Mã KH", "customer_code", "code", width=10),
        _c("Dư nợ chốt", "scope_outstanding", "int"),
        _c("Ngày đối chiếu", "reconciled_on", "date", nullable=True),
        _c("Dư nợ theo sổ NH", "bank_outstanding", "int", nullable=True),
        _c("Dư nợ khách hàng xác nhận", "confirmed_outstanding", "int", nullable=True),
        _c("Lãi tồn theo sổ NH", "bank_interest", "int", nullable=True),
        _c("Lãi khách hàng xác nhận", "confirmed_interest", "int", nullable=True),
        _c("Kết quả", "result", "text", nullable=True, allowed=RECON_RESULTS),
        _c("Cán bộ đối chiếu", "officer", "text", nullable=True, personal=True),
    ),
)

HOI = ReportSpec(
    code="HOI",
    table="hoi",
    title="Báo cáo tổng hợp kết quả hoạt động nhận ủy thác",
    frequency="quarter_end",
    unit_is_org=True,
    keeps_total_row=True,
    # org_code from the file name; pgd_code of the district name (NULL on the total row).
    derived=(("org_code", "VARCHAR"), ("pgd_code", "VARCHAR"), ("is_total", "BOOLEAN")),
    description="An organization's own entrustment report, one row per district.",
    columns=(
        _c("STT", "stt", "text", nullable=True),
        _c("Đơn vị", "district_name", "text"),
        _c("Số Tổ TK&VV", "groups", "int"),
        _c("Số hộ còn dư nợ", "households_with_outstanding", "int"),
        _c("Dư nợ (triệu đồng)", "outstanding_mil", "million", scale=2),
        _c("Nợ quá hạn (triệu đồng)", "overdue_mil", "million", scale=2),
    ),
    extra={"districts": DISTRICT_NAMES},
)

REPORTS: tuple[ReportSpec, ...] = (M31, SKGD, BCDHTD_011, BCDHTD_012, BC0437, DOICHIEU, HOI)
REPORT_BY_CODE: dict[str, ReportSpec] = {r.code: r for r in REPORTS}

# Lineage columns every raw.<table> row carries, after the report's own keys.
LINEAGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_source_file", "VARCHAR"),  # path relative to the raw root
    ("_revision", "INTEGER"),  # 1 for the first delivery, N for _rN
    ("_sha256", "VARCHAR"),
    ("_row_number", "INTEGER"),  # 1-based row (line) number in the file
    ("_unit", "VARCHAR"),  # delivery unit folder: 0100..0130 or HOI
    ("_data_date", "DATE"),  # the delivery folder's date
    ("_loaded_at", "TIMESTAMP"),
)
