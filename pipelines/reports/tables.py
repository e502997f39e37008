"""The briefing's content as data: headline figures and tables, shared by the HTML page and the
Excel workbook so both show the same thing.

A :class:`Table` knows its columns' kinds; the HTML writer formats them the Vietnamese way
(:mod:`fmt`), the Excel writer stores the exact value with a number format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from . import fmt
from .data import RATING_ORDER, ReportData, check_passed

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")

# Column kinds: how a value is shown. Amounts are always stored in đồng.
TEXT, INT, SIGNED_INT, TY, SIGNED_TY, TRIEU, PCT1, PCT2, DATE = (
    "text",
    "int",
    "signed_int",
    "ty",
    "signed_ty",
    "trieu",
    "pct1",
    "pct2",
    "date",
)


@dataclass(frozen=True)
class Col:
    key: str
    header: str
    kind: str = TEXT


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
    if kind == PCT1:
        return fmt.fmt_pct(value, 1)
    if kind == PCT2:
        return fmt.fmt_pct(value, 2)
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


# --- headline ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    id: str  # the calibration figure (F1..F14) or an extra (X1..)
    field: str  # the mart_briefing_kpis column it shows
    label: str
    text: str  # as published (rounded, in words where the briefing writes words)
    exact: str  # the exact figure
    value: Any  # the mart's value


def headline(d: ReportData) -> list[Figure]:
    k = d.kpi
    q = fmt.quarter_label(d.as_of)
    ye = k.get("previous_year_end_date")
    since = f"so với {fmt.fmt_date(ye)}" if ye else "so với đầu năm (chưa có số liệu 31/12)"
    completion = k["reconciliation_completion"]
    year = k["reconciliation_campaign_year"]

    def fig(id_, field_, label, text, exact):
        return Figure(id_, field_, label, text, exact, k[field_])

    avg = k["avg_entrusted_outstanding_per_household_vnd"]
    return [
        fig(
            "F1",
            "entrusted_outstanding_vnd",
            "Tổng dư nợ ủy thác qua các TCCTXH",
            fmt.fmt_amount(k["entrusted_outstanding_vnd"]),
            f"{fmt.fmt_int(k['entrusted_outstanding_vnd'])} đồng",
        ),
        fig(
            "F2",
            "entrusted_share",
            "Tỷ trọng trên tổng dư nợ",
            fmt.fmt_pct(k["entrusted_share"], 1),
            fmt.fmt_pct(k["entrusted_share"], 2),
        ),
        fig(
            "F3",
            "entrusted_change_ytd_vnd",
            f"Dư nợ ủy thác tăng/giảm {since}",
            fmt.fmt_amount(k["entrusted_change_ytd_vnd"], signed=True),
            f"{fmt.fmt_signed(k['entrusted_change_ytd_vnd'])} đồng",
        ),
        fig(
            "F4",
            "households_with_entrusted_outstanding",
            "Hộ còn dư nợ ủy thác",
            f"{fmt.fmt_approx(k['households_with_entrusted_outstanding'])} hộ",
            f"{fmt.fmt_int(k['households_with_entrusted_outstanding'])} hộ",
        ),
        fig(
            "F5",
            "groups_with_outstanding",
            "Tổ TK&VV còn dư nợ",
            f"{fmt.fmt_int(k['groups_with_outstanding'])} Tổ",
            f"{fmt.fmt_int(k['groups_with_outstanding'])} Tổ TK&VV",
        ),
        fig(
            "F6",
            "avg_entrusted_outstanding_per_household_vnd",
            "Dư nợ bình quân",
            fmt.fmt_trieu(avg, suffix="/hộ"),
            fmt.fmt_trieu(avg, 2, suffix="/hộ"),
        ),
        fig(
            "F7",
            "loan_turns_qtd",
            f"Lượt hộ được vay vốn {q}",
            f"{fmt.fmt_approx(k['loan_turns_qtd'])} lượt",
            f"{fmt.fmt_int(k['loan_turns_qtd'])} lượt",
        ),
        fig(
            "F8",
            "poor_group_turns_qtd",
            "Trong đó: hộ nghèo, cận nghèo, mới thoát nghèo",
            f"{fmt.fmt_approx(k['poor_group_turns_qtd'])} lượt",
            f"{fmt.fmt_int(k['poor_group_turns_qtd'])} lượt",
        ),
        fig(
            "F9",
            "job_creation_turns_qtd",
            "Trong đó: cho vay giải quyết việc làm",
            f"{fmt.fmt_approx(k['job_creation_turns_qtd'])} lượt",
            f"{fmt.fmt_int(k['job_creation_turns_qtd'])} lượt",
        ),
        fig(
            "F10",
            "workers_attracted_qtd",
            "Lao động được thu hút (cho vay GQVL)",
            f"{fmt.fmt_approx(k['workers_attracted_qtd'])} lao động",
            f"{fmt.fmt_int(k['workers_attracted_qtd'])} lao động",
        ),
        fig(
            "F11",
            "water_sanitation_works_qtd",
            "Công trình nước sạch, vệ sinh được xây mới, cải tạo",
            f"{fmt.fmt_approx(k['water_sanitation_works_qtd'])} công trình",
            f"{fmt.fmt_int(k['water_sanitation_works_qtd'])} công trình",
        ),
        fig(
            "F12",
            "reconciled_customers",
            f"Khách hàng đã đối chiếu (đợt {year or fmt.DASH})",
            f"{fmt.fmt_int(k['reconciled_customers'])} khách hàng",
            f"{fmt.fmt_int(k['reconciled_customers'])} khách hàng",
        ),
        fig(
            "F13",
            "reconciliation_in_scope",
            "Khách hàng phải đối chiếu",
            f"{fmt.fmt_int(k['reconciliation_in_scope'])} khách hàng",
            f"{fmt.fmt_int(k['reconciliation_in_scope'])} khách hàng",
        ),
        fig(
            "F14",
            "reconciliation_completion",
            "Tỷ lệ hoàn thành kế hoạch đối chiếu",
            fmt.fmt_pct(completion, 0),
            fmt.fmt_pct(completion, 2),
        ),
        fig(
            "X1",
            "direct_outstanding_vnd",
            "Dư nợ cho vay trực tiếp",
            fmt.fmt_amount(k["direct_outstanding_vnd"]),
            f"{fmt.fmt_int(k['direct_outstanding_vnd'])} đồng",
        ),
        fig(
            "X2",
            "overdue_frozen_ratio",
            "Tỷ lệ nợ quá hạn và nợ khoanh / tổng dư nợ",
            fmt.fmt_pct(k["overdue_frozen_ratio"], 2),
            f"{fmt.fmt_pct(k['overdue_frozen_ratio'], 4)} (quá hạn "
            f"{fmt.fmt_trieu(k['overdue_vnd'])}, khoanh {fmt.fmt_trieu(k['frozen_vnd'])})",
        ),
    ]


# --- tables -----------------------------------------------------------------------------------


def _sum(rows: list[dict], key: str) -> Any:
    vals = [r.get(key) for r in rows if r.get(key) is not None]
    return sum(vals) if vals else None


def org_table(d: ReportData) -> Table:
    k = d.kpi
    rows = [
        {
            "org": r["org_name"] if r["org_is_entrusted"] else "Cho vay trực tiếp",
            "org_code": r["org_code"],
            "households": r["households_with_outstanding"],
            "groups": r["groups_with_outstanding"] if r["org_is_entrusted"] else None,
            "outstanding": r["outstanding_vnd"],
            "overdue": r["overdue_vnd"],
            "frozen": r["frozen_vnd"],
            "share": r["share_of_total"],
            "change": r["outstanding_change_ytd_vnd"],
        }
        for r in d.orgs
    ]
    ent = [r for r, o in zip(rows, d.orgs, strict=True) if o["org_is_entrusted"]]
    total_out = k["total_outstanding_vnd"]
    totals = [
        {
            "org": "Cộng ủy thác qua TCCTXH",
            "org_code": "11–14",
            "households": k["households_with_entrusted_outstanding"],
            "groups": k["groups_with_outstanding"],
            "outstanding": k["entrusted_outstanding_vnd"],
            "overdue": _sum(ent, "overdue"),
            "frozen": _sum(ent, "frozen"),
            "share": k["entrusted_share"],
            "change": k["entrusted_change_ytd_vnd"],
        },
        {
            "org": "Tổng cộng",
            "org_code": "",
            "households": None,
            "groups": k["groups_with_outstanding"],
            "outstanding": total_out,
            "overdue": k["overdue_vnd"],
            "frozen": k["frozen_vnd"],
            "share": 1.0 if total_out else None,
            "change": _sum(rows, "change"),
        },
    ]
    return Table(
        "by-org",
        "Dư nợ theo tổ chức nhận ủy thác",
        "Theo tổ chức",
        [
            Col("org", "Tổ chức"),
            Col("org_code", "Mã ĐVUT"),
            Col("households", "Số hộ còn dư nợ", INT),
            Col("groups", "Số Tổ TK&VV", INT),
            Col("outstanding", "Dư nợ (tỷ đồng)", TY),
            Col("overdue", "Nợ quá hạn (triệu đồng)", TRIEU),
            Col("frozen", "Nợ khoanh (triệu đồng)", TRIEU),
            Col("share", "Tỷ trọng", PCT1),
            Col("change", "Tăng/giảm so với đầu năm (tỷ đồng)", SIGNED_TY),
        ],
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
    totals = [
        {
            "program": "Tổng cộng",
            "turns": _sum(rows, "turns"),
            "disbursed": _sum(rows, "disbursed"),
            "workers": _sum(rows, "workers"),
            "works": _sum(rows, "works"),
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


def _recon_rows(rows: list[dict]) -> list[dict]:
    return [
        {
            "unit": r["label"],
            "code": r["code"],
            "in_scope": r["in_scope"],
            "reconciled": r["reconciled"],
            "matched": r["matched"],
            "discrepancies": r["discrepancies"],
            "completion": r["completion"],
        }
        for r in rows
    ]


def _recon_cols(unit: str) -> list[Col]:
    return [
        Col("unit", unit),
        Col("code", "Mã"),
        Col("in_scope", "Phải đối chiếu", INT),
        Col("reconciled", "Đã đối chiếu", INT),
        Col("matched", "Khớp", INT),
        Col("discrepancies", "Chênh lệch", INT),
        Col("completion", "Tỷ lệ hoàn thành", PCT1),
    ]


def _recon_total(d: ReportData) -> list[dict]:
    k = d.kpi
    return [
        {
            "unit": "Toàn chi nhánh",
            "code": "",
            "in_scope": k["reconciliation_in_scope"],
            "reconciled": k["reconciled_customers"],
            "matched": _sum(d.recon_by_district, "matched"),
            "discrepancies": _sum(d.recon_by_district, "discrepancies"),
            "completion": k["reconciliation_completion"],
        }
    ]


def recon_district_table(d: ReportData) -> Table:
    return Table(
        "recon-district",
        f"Đối chiếu dư nợ năm {d.kpi['reconciliation_campaign_year'] or ''} theo quận, huyện",
        "Đối chiếu theo quận",
        _recon_cols("Quận, huyện"),
        _recon_rows(d.recon_by_district),
        _recon_total(d),
    )


def recon_org_table(d: ReportData) -> Table:
    return Table(
        "recon-org",
        "Đối chiếu dư nợ theo tổ chức",
        "Đối chiếu theo tổ chức",
        _recon_cols("Tổ chức"),
        _recon_rows(d.recon_by_org),
        _recon_total(d),
    )


def _quality_row(label: str, code: str, r: dict) -> dict:
    out = r.get("outstanding_vnd") or 0
    bad = (r.get("overdue_vnd") or 0) + (r.get("frozen_vnd") or 0)
    return {
        "unit": label,
        "code": code,
        "outstanding": r.get("outstanding_vnd"),
        "overdue": r.get("overdue_vnd"),
        "frozen": r.get("frozen_vnd"),
        "ratio": bad / out if out else None,
    }


_QUALITY_COLS = [
    Col("outstanding", "Dư nợ (tỷ đồng)", TY),
    Col("overdue", "Nợ quá hạn (triệu đồng)", TRIEU),
    Col("frozen", "Nợ khoanh (triệu đồng)", TRIEU),
    Col("ratio", "Tỷ lệ QH + khoanh", PCT2),
]


def debt_district_table(d: ReportData) -> Table:
    rows = [_quality_row(r["district_name"], r["pgd_code"], r) for r in d.districts]
    k = d.kpi
    return Table(
        "debt-district",
        "Chất lượng tín dụng theo quận, huyện",
        "Nợ xấu theo quận",
        [Col("unit", "Quận, huyện"), Col("code", "Mã PGD"), *_QUALITY_COLS],
        rows,
        [
            _quality_row(
                "Toàn chi nhánh",
                "",
                {
                    "outstanding_vnd": k["total_outstanding_vnd"],
                    "overdue_vnd": k["overdue_vnd"],
                    "frozen_vnd": k["frozen_vnd"],
                },
            )
        ],
    )


def debt_org_table(d: ReportData) -> Table:
    rows = [
        _quality_row(
            r["org_name"] if r["org_is_entrusted"] else "Cho vay trực tiếp", r["org_code"], r
        )
        for r in d.orgs
    ]
    return Table(
        "debt-org",
        "Chất lượng tín dụng theo tổ chức",
        "Nợ xấu theo tổ chức",
        [Col("unit", "Tổ chức"), Col("code", "Mã ĐVUT"), *_QUALITY_COLS],
        rows,
    )


def rating_table(d: ReportData) -> Table:
    total = _sum(d.ratings, "groups") or 0
    rows = [
        {
            "rating": r["rating"],
            "groups": r["groups"],
            "share": r["groups"] / total if total else None,
            "with_overdue": r["groups_with_overdue"],
            "overdue_frozen": r["overdue_frozen_vnd"],
        }
        for r in d.ratings
    ]
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
        rows,
        [
            {
                "rating": "Tổng cộng",
                "groups": total,
                "share": 1.0 if total else None,
                "with_overdue": _sum(rows, "with_overdue"),
                "overdue_frozen": _sum(rows, "overdue_frozen"),
            }
        ],
    )


def rating_org_table(d: ReportData) -> Table:
    by: dict[str, dict] = {}
    for r in d.ratings_by_org:
        row = by.setdefault(r["org_code"], {"org": r["org_label"], "org_code": r["org_code"]})
        row[r["rating"]] = r["groups"]
    rows = list(by.values())
    for row in rows:
        n = sum(row.get(x) or 0 for x in RATING_ORDER)
        row["good_share"] = (row.get(RATING_ORDER[0]) or 0) / n if n else None
    return Table(
        "ratings-org",
        "Xếp loại Tổ TK&VV theo tổ chức",
        "Xếp loại theo tổ chức",
        [
            Col("org", "Tổ chức"),
            Col("org_code", "Mã ĐVUT"),
            *[Col(x, x, INT) for x in RATING_ORDER],
            Col("good_share", "Tỷ lệ tổ Tốt", PCT1),
        ],
        rows,
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


def recon_models_table(d: ReportData) -> Table:
    return Table(
        "recon-models",
        "Các phép đối soát (recon.*)",
        "Đối soát",
        [
            Col("model", "Phép đối soát"),
            Col("checked", "Số mục kiểm", INT),
            Col("breaks", "Số mục lệch", INT),
            Col("findings", "Phát hiện cần giải trình", INT),
        ],
        d.recon_models,
    )


def all_tables(d: ReportData) -> list[Table]:
    """Every table of the briefing, in page order (None entries dropped)."""
    tables = [
        org_table(d),
        hoi_table(d),
        program_table(d) if d.programs else None,
        recon_district_table(d) if d.recon_by_district else None,
        recon_org_table(d) if d.recon_by_org else None,
        debt_district_table(d) if d.districts else None,
        debt_org_table(d),
        rating_table(d) if d.ratings else None,
        rating_org_table(d) if d.ratings_by_org else None,
        trend_table(d),
        checks_table(d),
        recon_models_table(d),
    ]
    return [t for t in tables if t is not None]
