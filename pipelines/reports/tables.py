"""The briefing's tables as data, shared by the HTML page and the Excel workbook so both show the
same thing: every value is a mart column (shares, changes and totals included); this module only
picks and labels them.

A :class:`Table` knows its columns' kinds; the HTML writer formats them the Vietnamese way
(:mod:`fmt`), the Excel writer stores the exact value with a number format. A column whose rows
differ in kind (a table of measures) names the row key that holds each row's kind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from ..contract.codes import TIMEZONE
from . import fmt
from .data import ReportData, check_passed

HANOI = ZoneInfo(TIMEZONE)

# Column kinds: how a value is shown. Amounts are always stored in đồng.
# Amounts are always stored in đồng, ratios as fractions; POINTS1/2 are a ratio's change, shown in
# percentage points.
TEXT, INT, SIGNED_INT, TY, SIGNED_TY, TRIEU, SIGNED_TRIEU, PCT1, PCT2, POINTS1, POINTS2, DATE = (
    "text",
    "int",
    "signed_int",
    "ty",
    "signed_ty",
    "trieu",
    "signed_trieu",
    "pct1",
    "pct2",
    "points1",
    "points2",
    "date",
)


@dataclass(frozen=True)
class Col:
    key: str
    header: str
    kind: str = TEXT
    kind_from: str = ""  # a row key holding the row's kind for this column, if rows differ

    def kind_of(self, row: dict[str, Any]) -> str:
        return (row.get(self.kind_from) if self.kind_from else None) or self.kind


@dataclass
class Table:
    id: str  # stable id: HTML element id and Excel sheet lookup
    title: str  # Vietnamese section title
    sheet: str  # Excel sheet name (≤ 31 chars)
    columns: list[Col]
    rows: list[dict[str, Any]]
    totals: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""


def display(value: Any, kind: str) -> str:
    """A cell as the HTML page shows it."""
    if value is None:
        return fmt.DASH
    if kind == INT:
        return fmt.fmt_int(value)
    if kind == SIGNED_INT:
        return fmt.fmt_signed(value)
    if kind == TY:
        return fmt.fmt_number(value / fmt.BILLION, 1)
    if kind == SIGNED_TY:
        return fmt.fmt_signed(value / fmt.BILLION, 1)
    if kind == TRIEU:
        return fmt.fmt_number(value / fmt.MILLION, 0)
    if kind == SIGNED_TRIEU:
        return fmt.fmt_signed(value / fmt.MILLION, 1)
    if kind == PCT1:
        return fmt.fmt_pct(value, 1)
    if kind == PCT2:
        return fmt.fmt_pct(value, 2)
    if kind in (POINTS1, POINTS2):
        return f"{fmt.fmt_signed(value * 100, 1 if kind == POINTS1 else 2)} điểm %"
    if kind == DATE:
        return fmt.fmt_date(value)
    if isinstance(value, bool):
        return "Có" if value else "Không"
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(HANOI)
        return f"{value:%d/%m/%Y %H:%M}"
    if isinstance(value, date):
        return fmt.fmt_date(value)
    return str(value)


# --- tables -----------------------------------------------------------------------------------


def _org_label(r: dict) -> str:
    return r["org_name"] if r["org_is_entrusted"] else "Cho vay trực tiếp"


def _compared(d: ReportData, measure: str, key: str) -> Any:
    row = d.comparisons.get(measure)
    return None if row is None else row.get(key)


def _shows_previous_quarter(d: ReportData) -> bool:
    """A column "so với quý trước" beside "so với đầu năm" from the second quarter on (in the
    first quarter the two are the same date), when the warehouse holds the previous quarter."""
    return fmt.quarter_of(d.as_of) > 1 and any(
        r.get("outstanding_change_previous_quarter_vnd") is not None for r in d.orgs
    )


def _shows_year_ago(d: ReportData) -> bool:
    return any(r.get("outstanding_change_year_ago_vnd") is not None for r in d.orgs)


def org_table(d: ReportData) -> Table:
    k = d.kpi
    rows = [
        {
            "org": _org_label(r),
            "org_code": r["org_code"],
            "households": r["households_with_outstanding"],
            "groups": r["groups_with_outstanding"] if r["org_is_entrusted"] else None,
            "outstanding": r["outstanding_vnd"],
            "overdue": r["overdue_vnd"],
            "frozen": r["frozen_vnd"],
            "share": r["share_of_total_outstanding"],
            "change": r["outstanding_change_ytd_vnd"],
            "change_quarter": r["outstanding_change_previous_quarter_vnd"],
            "change_year": r["outstanding_change_year_ago_vnd"],
        }
        for r in d.orgs
    ]
    totals = [
        {
            "org": "Cộng ủy thác qua TCCTXH",
            "org_code": "11–14",
            "households": k["households_with_entrusted_outstanding"],
            "groups": k["groups_with_outstanding"],
            "outstanding": k["entrusted_outstanding_vnd"],
            "overdue": k["entrusted_overdue_vnd"],
            "frozen": k["entrusted_frozen_vnd"],
            "share": k["entrusted_share"],
            "change": k["entrusted_change_ytd_vnd"],
            "change_quarter": _compared(d, "entrusted_outstanding_vnd", "change_previous_quarter"),
            "change_year": _compared(d, "entrusted_outstanding_vnd", "change_year_ago"),
        },
        {
            "org": "Tổng cộng",
            "org_code": "",
            "households": None,
            "groups": k["groups_with_outstanding"],
            "outstanding": k["total_outstanding_vnd"],
            "overdue": k["overdue_vnd"],
            "frozen": k["frozen_vnd"],
            "share": 1.0 if k["total_outstanding_vnd"] else None,
            "change": k["total_change_ytd_vnd"],
            "change_quarter": _compared(d, "total_outstanding_vnd", "change_previous_quarter"),
            "change_year": _compared(d, "total_outstanding_vnd", "change_year_ago"),
        },
    ]
    columns = [
        Col("org", "Tổ chức"),
        Col("org_code", "Mã ĐVUT"),
        Col("households", "Số hộ còn dư nợ", INT),
        Col("groups", "Số Tổ TK&VV", INT),
        Col("outstanding", "Dư nợ (tỷ đồng)", TY),
        Col("overdue", "Nợ quá hạn (triệu đồng)", TRIEU),
        Col("frozen", "Nợ khoanh (triệu đồng)", TRIEU),
        Col("share", "Tỷ trọng", PCT1),
        Col("change", "Tăng/giảm so với đầu năm (tỷ đồng)", SIGNED_TY),
    ]
    if _shows_previous_quarter(d):
        columns.append(Col("change_quarter", "Tăng/giảm so với quý trước (tỷ đồng)", SIGNED_TY))
    if _shows_year_ago(d):
        columns.append(
            Col("change_year", "Tăng/giảm so với cùng kỳ năm trước (tỷ đồng)", SIGNED_TY)
        )
    return Table(
        "by-org",
        "Dư nợ theo tổ chức nhận ủy thác",
        "Theo tổ chức",
        columns,
        rows,
        totals,
        note="Số hộ của dòng cộng đếm mỗi hộ một lần (một hộ có thể vay qua hai tổ chức).",
    )


def hoi_table(d: ReportData) -> Table | None:
    rows = [
        {
            "org": r["org_name"],
            "groups_bank": r["groups_with_outstanding"],
            "groups_org": r["reported_groups"],
            "groups_diff": r["groups_difference"],
            "hh_bank": r["households_with_outstanding"],
            "hh_org": r["reported_households_with_outstanding"],
            "hh_diff": r["households_difference"],
            "out_bank": r["outstanding_vnd"],
            "out_org": r["reported_outstanding_vnd"],
            "out_diff": r["outstanding_difference_vnd"],
        }
        for r in d.orgs
        if r.get("has_org_report")
    ]
    if not rows:
        return None
    return Table(
        "hoi-vs-bank",
        "Số liệu của các tổ chức hội so với sổ sách ngân hàng",
        "Hội vs Ngân hàng",
        [
            Col("org", "Tổ chức"),
            Col("groups_bank", "Số tổ (NH)", INT),
            Col("groups_org", "Số tổ (Hội)", INT),
            Col("groups_diff", "Chênh lệch tổ", SIGNED_INT),
            Col("hh_bank", "Số hộ (NH)", INT),
            Col("hh_org", "Số hộ (Hội)", INT),
            Col("hh_diff", "Chênh lệch hộ", SIGNED_INT),
            Col("out_bank", "Dư nợ NH (tỷ đồng)", TY),
            Col("out_org", "Dư nợ Hội (tỷ đồng)", TY),
            Col("out_diff", "Chênh lệch dư nợ (tỷ đồng)", SIGNED_TY),
        ],
        rows,
        note="Chênh lệch = số của Hội − số của ngân hàng; là phát hiện cần giải trình, "
        "không phải lỗi nạp dữ liệu.",
    )


def program_table(d: ReportData) -> Table:
    k = d.kpi
    rows = [
        {
            "program": f"{r['program_code']} · {r['program_name']}",
            "turns": r.get("loan_turns_qtd"),
            "disbursed": r.get("disbursed_qtd_vnd"),
            "workers": r.get("workers_attracted_qtd") or None,
            "works": r.get("water_sanitation_works_qtd") or None,
        }
        for r in d.programs
        if r.get("loan_turns_qtd") or r.get("disbursed_qtd_vnd")
    ]
    # the branch's figures (mart_briefing_kpis, the programs rolled up); workers are left out of
    # the total: the briefing's workers count program 03 only, the rows count 03, 04 and 30
    totals = [
        {
            "program": "Tổng cộng",
            "turns": k["loan_turns_qtd"],
            "disbursed": k["net_disbursed_qtd_vnd"],
            "workers": None,
            "works": k["water_sanitation_works_qtd"],
        }
    ]
    return Table(
        "by-program",
        f"Cho vay trong {fmt.quarter_label(d.as_of)} theo chương trình",
        "Cho vay theo chương trình",
        [
            Col("program", "Chương trình"),
            Col("turns", "Lượt vay", INT),
            Col("disbursed", "Doanh số cho vay (tỷ đồng)", TY),
            Col("workers", "Lao động thu hút", INT),
            Col("works", "Công trình NS&VSMT", INT),
        ],
        rows,
        totals,
        note="Lượt vay: khoản vay có giải ngân thuần > 0 trong quý; lao động và công trình "
        "tính theo khoản vay giải ngân lần đầu trong quý.",
    )


def _recon_row(r: dict, label: str, code: str) -> dict:
    return {
        "unit": label,
        "code": code,
        "in_scope": r["in_scope_customers"],
        "reconciled": r["reconciled_customers"],
        "matched": r["matched_customers"],
        "discrepancies": r["discrepancy_customers"],
        "completion": r["completion_rate"],
    }


def _recon_table(d: ReportData, breakdown: str) -> Table:
    by_district = breakdown == "district"
    label, code = ("district_name", "pgd_code") if by_district else ("org_short", "org_code")
    rows = [_recon_row(r, r[label], r[code]) for r in d.recon_rows(breakdown)]
    totals = [_recon_row(r, "Toàn chi nhánh", "") for r in d.recon_rows("branch")]
    year = d.kpi["reconciliation_campaign_year"] or ""
    return Table(
        "recon-district" if by_district else "recon-org",
        f"Đối chiếu dư nợ năm {year} theo quận, huyện"
        if by_district
        else "Đối chiếu dư nợ theo tổ chức",
        "Đối chiếu theo quận" if by_district else "Đối chiếu theo tổ chức",
        [
            Col("unit", "Quận, huyện" if by_district else "Tổ chức"),
            Col("code", "Mã"),
            Col("in_scope", "Phải đối chiếu", INT),
            Col("reconciled", "Đã đối chiếu", INT),
            Col("matched", "Khớp", INT),
            Col("discrepancies", "Chênh lệch", INT),
            Col("completion", "Tỷ lệ hoàn thành", PCT1),
        ],
        rows,
        totals,
    )


def recon_district_table(d: ReportData) -> Table:
    return _recon_table(d, "district")


def recon_org_table(d: ReportData) -> Table:
    return _recon_table(d, "organization")


def _quality_row(label: str, code: str, r: dict) -> dict:
    return {
        "unit": label,
        "code": code,
        "outstanding": r.get("outstanding_vnd"),
        "overdue": r.get("overdue_vnd"),
        "frozen": r.get("frozen_vnd"),
        "ratio": r.get("overdue_frozen_ratio"),
    }


_QUALITY_COLS = [
    Col("outstanding", "Dư nợ (tỷ đồng)", TY),
    Col("overdue", "Nợ quá hạn (triệu đồng)", TRIEU),
    Col("frozen", "Nợ khoanh (triệu đồng)", TRIEU),
    Col("ratio", "Tỷ lệ QH + khoanh", PCT2),
]


def _branch_quality(d: ReportData) -> list[dict]:
    k = d.kpi
    branch = {
        "outstanding_vnd": k["total_outstanding_vnd"],
        "overdue_vnd": k["overdue_vnd"],
        "frozen_vnd": k["frozen_vnd"],
        "overdue_frozen_ratio": k["overdue_frozen_ratio"],
    }
    return [_quality_row("Toàn chi nhánh", "", branch)]


def debt_district_table(d: ReportData) -> Table:
    rows = [_quality_row(r["district_name"], r["pgd_code"], r) for r in d.districts]
    return Table(
        "debt-district",
        "Chất lượng tín dụng theo quận, huyện",
        "Nợ xấu theo quận",
        [Col("unit", "Quận, huyện"), Col("code", "Mã PGD"), *_QUALITY_COLS],
        rows,
        _branch_quality(d),
    )


def debt_org_table(d: ReportData) -> Table:
    rows = [_quality_row(_org_label(r), r["org_code"], r) for r in d.orgs]
    return Table(
        "debt-org",
        "Chất lượng tín dụng theo tổ chức",
        "Nợ xấu theo tổ chức",
        [Col("unit", "Tổ chức"), Col("code", "Mã ĐVUT"), *_QUALITY_COLS],
        rows,
        _branch_quality(d),
    )


def _rating_row(r: dict, label: str) -> dict:
    return {
        "rating": label,
        "groups": r["groups_with_outstanding"],
        "share": r["share_of_groups"],
        "with_overdue": r["groups_with_overdue_frozen"],
        "overdue_frozen": r["overdue_frozen_vnd"],
    }


def rating_table(d: ReportData) -> Table:
    branch = d.rating_rows("branch")
    return Table(
        "ratings",
        "Xếp loại Tổ TK&VV còn dư nợ",
        "Xếp loại tổ",
        [
            Col("rating", "Xếp loại"),
            Col("groups", "Số tổ", INT),
            Col("share", "Tỷ lệ", PCT1),
            Col("with_overdue", "Số tổ có nợ QH/khoanh", INT),
            Col("overdue_frozen", "Nợ QH + khoanh (triệu đồng)", TRIEU),
        ],
        [_rating_row(r, r["rating"]) for r in branch if r["rating"] is not None],
        [_rating_row(r, "Tổng cộng") for r in branch if r["rating"] is None],
    )


def rating_org_table(d: ReportData) -> Table:
    """Groups per rating and organization (a pivot of mart_group_ratings: no arithmetic); the
    share of the best rating is the mart's."""
    rated = [r for r in d.rating_rows("organization") if r["rating"] is not None]
    ratings = sorted({(r["rating_order"], r["rating"]) for r in d.ratings if r["rating"]})
    best = ratings[0][1] if ratings else None
    by: dict[str, dict] = {}
    for r in rated:
        row = by.setdefault(r["org_code"], {"org": r["org_short"], "org_code": r["org_code"]})
        row[r["rating"]] = r["groups_with_outstanding"]
        if r["rating"] == best:
            row["best_share"] = r["share_of_groups"]
    return Table(
        "ratings-org",
        "Xếp loại Tổ TK&VV theo tổ chức",
        "Xếp loại theo tổ chức",
        [
            Col("org", "Tổ chức"),
            Col("org_code", "Mã ĐVUT"),
            *[Col(name, name, INT) for _, name in ratings],
            Col("best_share", f"Tỷ lệ tổ {best}", PCT1),
        ],
        list(by.values()),
    )


def trend_table(d: ReportData) -> Table:
    return Table(
        "trend",
        "Diễn biến dư nợ theo tháng",
        "Diễn biến theo tháng",
        [
            Col("as_of_date", "Ngày số liệu", DATE),
            Col("entrusted_outstanding_vnd", "Dư nợ ủy thác (tỷ đồng)", TY),
            Col("direct_outstanding_vnd", "Dư nợ trực tiếp (tỷ đồng)", TY),
            Col("total_outstanding_vnd", "Tổng dư nợ (tỷ đồng)", TY),
            Col("overdue_vnd", "Nợ quá hạn (triệu đồng)", TRIEU),
            Col("frozen_vnd", "Nợ khoanh (triệu đồng)", TRIEU),
            Col("reconciliation_completion", "Tiến độ đối chiếu", PCT1),
        ],
        list(d.trend),
    )


CHECK_HEADERS = {
    "identity_no": ("Đẳng thức", INT),
    "check_name": ("Kiểm tra", TEXT),
    "source_model": ("Nguồn", TEXT),
    "blocking": ("Chặn báo cáo", TEXT),
    "status": ("Trạng thái", TEXT),
    "items_checked": ("Số mục kiểm", INT),
    "items_failed": ("Số mục lỗi", INT),
    "message": ("Ghi chú", TEXT),
    "checked_at": ("Thời điểm", TEXT),
}


def checks_table(d: ReportData) -> Table | None:
    if d.checks is None:
        return None
    keys = list(d.checks[0]) if d.checks else ["check_name"]
    rows = []
    for r in d.checks:
        ok = check_passed(r)
        rows.append({**r, "_result": "Đạt" if ok else "Không đạt" if ok is False else "?"})
    columns = [Col("_result", "Kết quả")] + [
        Col(k, *CHECK_HEADERS.get(k, (k, TEXT))) for k in keys if k not in ("passed", "success")
    ]
    return Table(
        "checks",
        "Kiểm tra chất lượng dữ liệu (quality.check_results, lần chạy gần nhất)",
        "Kiểm tra dữ liệu",
        columns,
        rows,
        note="Đẳng thức: các phép đối soát của mục 5 quy định trao đổi dữ liệu; "
        "kiểm tra chặn báo cáo không đạt thì báo cáo không được lập trong lượt chạy.",
    )
