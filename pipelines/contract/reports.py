"""Report specifications: every delivered report's columns, keys, types and rules (contract §4).

One ``ReportSpec`` per report type. The generator writes these headers, the readers match them,
and ``raw.<table>`` has one column per ``Column.key`` (plus the lineage columns of
``LINEAGE_COLUMNS``). Types are the logical types of the contract:

- ``code``: text that keeps leading zeros (``width`` = the contract's digits, 0 = free)
- ``text``: free text, stored NFC
- ``int``: integer đồng or a count (``count``); may arrive as text with ``.`` thousands separators
- ``decimal``: a decimal number (interest rate)
- ``million``: an amount in triệu đồng with up to 6 decimals (01.x forms) or 2 (HOI_*)
- ``date``: ``dd/mm/yyyy`` text or an Excel date cell

What may make a file unusable (contract §4.1: "a cell is empty where no value applies; only what
a figure or an identity depends on can make a file unusable"):

- ``role = FIGURE``: keys, codes, dates, amounts and counts that a figure or an identity depends
  on. A missing column, an empty cell (unless ``nullable``) or a value that breaks the column's
  rules rejects the whole file.
- ``role = DESCRIPTIVE``: names, personal data and attributes no figure depends on. A missing
  column, an empty cell (unless ``nullable``) or a malformed value is a data-quality *finding* on
  the row (``raw._findings``); the cell loads empty and the file loads.
- ``applies_if``: the column describes something that a row may not have (M31's loan columns,
  from Số khế ước to Số công trình vệ sinh, on a savings-only row). Where the named column is
  empty the row has no such thing: this column is empty there (an explicit 0 is accepted), and
  a value there rejects the file (figures without their key would be lost).
- ``empty_for``: ``(key, values)``: the cell is empty by nature on rows whose ``key`` holds one
  of ``values`` (Số CCCD of employers, ``Doanh nghiệp``): no finding there.

``personal`` columns are personal data: they stay in ``raw.*``; no message, finding, log or
metadata ever repeats their values. Every personal column is descriptive.

Amounts have an upper bound (``Column.upper_bound``): one loan, transaction, customer or group
above ``MAX_ITEM_VND`` is not a real figure, and the bound keeps every sum the pipeline computes
inside 64 bits (see ``MAX_ITEM_VND``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .codes import (
    CHANNELS,
    DISTRICT_NAMES,
    ENTRUSTED_ORGS,
    FUNDING_SOURCES,
    GENDERS,
    HOUSEHOLD_CATEGORIES,
    HOUSEHOLD_EMPLOYER,
    LOAN_STATUSES,
    ORG_BY_CODE,
    PROGRAM_BY_CODE,
    RATINGS,
    RECON_RESULTS,
    TERM_CLASSES,
    TXN_TYPES,
    UNIT_BY_CODE,
)

FIGURE = "figure"
DESCRIPTIVE = "descriptive"

# One amount of one item (a loan's balance or flow, a transaction, a customer's reconciled
# balance, a group's balance) above 1.000 tỷ đồng is not a real figure: the whole Hanoi branch
# lends about 11.600 tỷ, a single policy loan is at most a few tỷ. The bound is also what keeps
# the arithmetic exact: a row identity adds at most 8 such terms (< 10^13), and a sum over up to
# 9.2 million items (every loan of a national month-end) stays below 2^63 even in a 64-bit
# accumulator (DuckDB sums BIGINT into HUGEINT anyway; Spark's sum of BIGINT does not widen).
MAX_ITEM_VND = 10**12
# Amounts of the summary reports (01.x forms, HOI_*), in triệu đồng: totals of an office or an
# organization. 10^10 triệu = 10^16 đồng, 30 times the national portfolio, still 900 times below
# 2^63 once converted to đồng.
MAX_SUMMARY_MILLION = 10**10
# A count (customers, members, workers, works, years) above a billion is not a real count.
MAX_COUNT = 10**9


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    type: str  # code | text | int | decimal | million | date
    required: bool = True  # the column must be present in the header (figures only)
    nullable: bool = False  # a cell may be empty (where the column applies)
    width: int = 0  # digits of a code (0 = any)
    personal: bool = False
    allowed: tuple[str, ...] = ()  # closed code list, if any
    scale: int = 0  # decimals of a ``million`` column
    role: str = FIGURE  # FIGURE: a problem rejects the file; DESCRIPTIVE: a finding on the row
    count: bool = False  # an ``int`` that counts things (not an amount in đồng)
    max_value: int | None = None  # upper bound of an int/million column (default by kind)
    applies_if: str | None = None  # key of the column that must hold a value for this one to
    empty_for: tuple[str, tuple[str, ...]] | None = None  # (key, values): empty by nature there

    def __post_init__(self) -> None:
        if self.role not in (FIGURE, DESCRIPTIVE):
            raise ValueError(f"{self.key}: role must be {FIGURE!r} or {DESCRIPTIVE!r}")
        if self.personal and self.role != DESCRIPTIVE:
            raise ValueError(f"{self.key}: personal data cannot reject a file")

    @property
    def rejects(self) -> bool:
        """A problem with this column rejects the file (else it is a finding on the row)."""
        return self.role == FIGURE

    @property
    def upper_bound(self) -> int | None:
        if self.max_value is not None:
            return self.max_value
        if self.type == "int":
            return MAX_COUNT if self.count else MAX_ITEM_VND
        if self.type == "million":
            return MAX_SUMMARY_MILLION
        return None


@dataclass(frozen=True)
class Balance:
    """A row identity between amounts: ``total`` = Σ ``parts`` (``exact``) or ``total`` ≥ Σ."""

    total: str
    parts: tuple[str, ...]
    exact: bool = True


@dataclass(frozen=True)
class UniqueKey:
    """Columns whose values may appear once per file. ``stand_in``: (column, substitute) pairs:
    where the column is empty, the substitute takes its place (M31's savings-only rows have no
    Số khế ước: (Mã KH, Số sổ TK 105) is their key)."""

    columns: tuple[str, ...]
    stand_in: tuple[tuple[str, str], ...] = ()
    named: str | None = None  # the column a repeat is reported on (default: the last)

    @property
    def column(self) -> str:
        return self.named or self.columns[-1]


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
    # --- rules of the rows (contract §4), checked by the readers on every file
    data_date_key: str | None = None  # the column that must equal the folder's data date
    unique_key: UniqueKey | None = None
    balances: tuple[Balance, ...] = ()
    label_keys: tuple[str, ...] = ()  # columns that may carry the TỔNG CỘNG label
    allows_no_rows: bool = False  # a header without data rows is a valid file (a quiet day)
    csv_separator: str = ","
    # Names the rows carry instead of codes: (name column, kind). Kind ``program`` and
    # ``district`` map through the contract's code lists; ``commune`` through the commune names
    # of the office's M31 (the branch office 0100 reports by district instead).
    row_names: tuple[str, str] | None = None
    # (code column, name column) of the commune names this report defines for the others.
    commune_names: tuple[str, str] | None = None

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

    @property
    def total_label_keys(self) -> tuple[str, ...]:
        """Columns that may hold a TỔNG CỘNG label besides a row's first cell."""
        return self.label_keys or self.keys[:2]


_UNITS = tuple(UNIT_BY_CODE)
_ORGS = tuple(ORG_BY_CODE)
_PROGRAMS = tuple(PROGRAM_BY_CODE)


def _c(header, key, type_, **kw) -> Column:
    return Column(header, key, type_, **kw)


def _d(header, key, type_, **kw) -> Column:
    """A descriptive column: a problem with it is a finding on the row, never a rejection."""
    return Column(header, key, type_, role=DESCRIPTIVE, **kw)


# An employer (direct loan to an enterprise) has no national ID, gender, birth year or
# ethnicity: those cells are empty by nature on its rows (contract §4.1).
_EMPLOYER = ("household_category", (HOUSEHOLD_EMPLOYER,))


def _loan(header, key, type_, role=FIGURE, **kw) -> Column:
    """An M31 loan column: required on a loan row, empty on a savings-only row (contract §4.1)."""
    return Column(header, key, type_, role=role, applies_if="loan_code", **kw)


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
        _d("Tên xã", "commune_name", "text"),
        _c("Mã thôn", "hamlet_code", "code", width=8),
        _c("Mã tổ", "group_code", "code", width=7, nullable=True),
        _d("Tên tổ", "group_name", "text", nullable=True, personal=True),
        _c("Mã ĐVUT", "org_code", "code", width=2, allowed=_ORGS),
        _c("Mã KH", "customer_code", "code", width=10),
        _d("Tên khách hàng", "customer_name", "text", personal=True),
        _d("Số CCCD", "national_id", "code", width=12, personal=True, empty_for=_EMPLOYER),
        _d("Số điện thoại", "phone", "code", nullable=True, personal=True),
        _d("Giới tính", "gender", "text", allowed=GENDERS, empty_for=_EMPLOYER),
        _d("Năm sinh", "birth_year", "int", count=True, max_value=2100, empty_for=_EMPLOYER),
        _d("Dân tộc", "ethnicity", "text", empty_for=_EMPLOYER),
        _d("Đối tượng", "household_category", "text", allowed=HOUSEHOLD_CATEGORIES),
        # Empty on a savings-only row (a member with savings and no loan).
        _c("Số khế ước", "loan_code", "code", width=16, nullable=True),
        _loan("Mã CT", "program_code", "code", width=2, allowed=_PROGRAMS),
        _loan("Hình thức vay", "channel", "code", width=1, allowed=CHANNELS),
        _loan("Nguồn vốn", "funding_source", "code", DESCRIPTIVE, width=1, allowed=FUNDING_SOURCES),
        _loan("Ngày giải ngân", "disbursement_date", "date"),
        _loan("Ngày đến hạn", "maturity_date", "date", DESCRIPTIVE),
        _loan("Thời hạn vay", "term_class", "text", allowed=TERM_CLASSES),
        _loan("Lãi suất", "interest_rate_pct_month", "decimal", DESCRIPTIVE),
        _loan("Số tiền cho vay", "loan_amount", "int"),
        _loan("Tổng dư nợ", "outstanding", "int"),
        _loan("Dư nợ trong hạn", "outstanding_in_term", "int"),
        _loan("Dư nợ quá hạn", "outstanding_overdue", "int"),
        _loan("Dư nợ khoanh", "outstanding_frozen", "int"),
        _loan("Lãi tồn trong hạn", "accrued_interest_in_term", "int"),
        _loan("Lãi tồn quá hạn", "accrued_interest_overdue", "int"),
        _loan("Giải ngân trong tháng", "disbursed_month", "int"),
        _loan("Đảo khoản GN tháng", "disbursement_reversed_month", "int"),
        _loan("Thu nợ TH tháng", "repaid_in_term_month", "int"),
        _loan("Thu nợ QH tháng", "repaid_overdue_month", "int"),
        _loan("Thu nợ khoanh tháng", "repaid_frozen_month", "int"),
        _loan("Thu lãi tháng", "interest_collected_month", "int"),
        _loan("Xóa nợ tháng", "written_off_month", "int"),
        _loan("Giải ngân năm", "disbursed_ytd", "int"),
        _loan("Đảo khoản GN năm", "disbursement_reversed_ytd", "int"),
        _loan("Thu nợ năm", "repaid_ytd", "int"),
        _loan("Thu lãi năm", "interest_collected_ytd", "int"),
        _loan("Xóa nợ năm", "written_off_ytd", "int"),
        _loan("Tình trạng món vay", "loan_status", "text", DESCRIPTIVE, allowed=LOAN_STATUSES),
        _loan("Số lao động thu hút", "workers_attracted", "int", count=True),
        _loan("Số công trình nước sạch", "water_works", "int", count=True),
        _loan("Số công trình vệ sinh", "sanitation_works", "int", count=True),
        _c("Số sổ TK 105", "savings_book_no", "code", nullable=True),
        _c("Số dư TK 105", "savings_balance", "int", nullable=True),
    ),
    data_date_key="as_of_date",
    # A customer with two savings books has two rows of one loan that differ in the book only.
    unique_key=UniqueKey(
        ("loan_code", "savings_book_no"),
        stand_in=(("loan_code", "customer_code"),),
        named="loan_code",
    ),
    balances=(
        Balance(
            "outstanding", ("outstanding_in_term", "outstanding_overdue", "outstanding_frozen")
        ),
    ),
    commune_names=("commune_code", "commune_name"),
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
        _d("Diễn giải", "memo", "text", nullable=True),
    ),
    data_date_key="txn_date",
    unique_key=UniqueKey(("txn_id",)),
    allows_no_rows=True,  # a day without transactions: the header only
    csv_separator=";",
)

# The 01.x forms. ``header`` is the marker of the column ("(3)"); readers locate columns by
# the marker row. ``key`` names are in đồng-independent units: these are triệu đồng.
_FORM_COLUMNS = (
    _d("(1)", "stt", "text", nullable=True),
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
    _c("(16)", "customers_with_outstanding", "int", count=True),
    _c("(17)", "loan_turns_ytd", "int", count=True),
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
_FORM_RULES = dict(
    marker_row=True,
    keeps_total_row=True,
    derived=_FORM_DERIVED,
    date_format_in_name="%d%m%Y",
    unique_key=UniqueKey(("row_code",)),
    balances=(
        Balance(
            "outstanding_mil",
            ("outstanding_in_term_mil", "outstanding_overdue_mil", "outstanding_frozen_mil"),
        ),
    ),
    label_keys=("stt", "row_name"),
)
FORM_TITLE = "Báo cáo kết quả cho vay hộ nghèo và các đối tượng chính sách"

BCDHTD_011 = ReportSpec(
    code="BCDHTD_01.1",
    table="bcdhtd_011",
    title=FORM_TITLE,
    frequency="month_end",
    columns=_FORM_COLUMNS,
    **_FORM_RULES,
    row_names=("row_name", "commune"),
    description="Official summary form 01.1/BCTD: rows by commune (by district for 0100).",
    extra={"form_code": "01.1/BCTD"},
)
BCDHTD_012 = ReportSpec(
    code="BCDHTD_01.2",
    table="bcdhtd_012",
    title=FORM_TITLE,
    frequency="month_end",
    columns=_FORM_COLUMNS,
    **_FORM_RULES,
    row_names=("row_name", "program"),
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
        _c("Mã ĐVUT", "org_code", "code", width=2, allowed=ENTRUSTED_ORGS),
        _c("Mã tổ", "group_code", "code", width=7),
        _d("Tên tổ trưởng", "leader_name", "text", personal=True),
        _d("Ngày thành lập", "established_date", "date"),
        _c("Số tổ viên", "members", "int", count=True),
        _c("Số tổ viên còn dư nợ", "members_with_outstanding", "int", count=True),
        _c("Tổng dư nợ", "outstanding", "int"),
        _c("Dư nợ quá hạn", "outstanding_overdue", "int"),
        _c("Dư nợ khoanh", "outstanding_frozen", "int"),
        _c("Số dư tiết kiệm", "savings_balance", "int"),
        _c("Điểm chấm", "score", "int", count=True, max_value=100),
        _c("Xếp loại", "rating", "text", allowed=RATINGS),
    ),
    unique_key=UniqueKey(("group_code",)),
    balances=(Balance("outstanding", ("outstanding_overdue", "outstanding_frozen"), exact=False),),
)

DOICHIEU = ReportSpec(
    code="DOICHIEU",
    table="doichieu",
    title="Kết quả đối chiếu dư nợ khách hàng",
    frequency="month_end",
    description="Balance reconciliation register (Mẫu 15/TD results), cumulative per campaign.",
    columns=(
        _c("Năm đối chiếu", "campaign_year", "int", count=True, max_value=2100),
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
        _d("Cán bộ đối chiếu", "officer", "text", nullable=True, personal=True),
    ),
    unique_key=UniqueKey(("campaign_year", "customer_code")),
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
        _d("STT", "stt", "text", nullable=True),
        _c("Đơn vị", "district_name", "text"),
        _c("Số Tổ TK&VV", "groups", "int", count=True),
        _c("Số hộ còn dư nợ", "households_with_outstanding", "int", count=True),
        _c("Dư nợ (triệu đồng)", "outstanding_mil", "million", scale=2),
        _c("Nợ quá hạn (triệu đồng)", "overdue_mil", "million", scale=2),
    ),
    extra={"districts": DISTRICT_NAMES},
    unique_key=UniqueKey(("pgd_code",)),
    label_keys=("stt", "district_name"),
    row_names=("district_name", "district"),
)

REPORTS: tuple[ReportSpec, ...] = (M31, SKGD, BCDHTD_011, BCDHTD_012, BC0437, DOICHIEU, HOI)
REPORT_BY_CODE: dict[str, ReportSpec] = {r.code: r for r in REPORTS}
# Every column any report marks ``personal``; a column whose name contains one of them
# (``officer_name`` as well as ``officer``) carries personal data: no schema after raw, no
# published table and no report file may have one (architecture §5).
PERSONAL_COLUMNS: tuple[str, ...] = tuple(
    dict.fromkeys(k for r in REPORTS for k in r.personal_keys)
)
PERSONAL_COLUMN = re.compile("|".join(map(re.escape, PERSONAL_COLUMNS)), re.IGNORECASE)

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
