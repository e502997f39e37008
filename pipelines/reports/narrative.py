"""The briefing's narrative paragraph, in the words of the bank's briefings.

Every sentence that compares figures takes its verb from the marts' figures (issue 25): "đều
tăng" only when every organization grew since the start of the year, otherwise the
organizations that grew and those that fell are named; "tăng"/"giảm" follow the sign of the
mart's change; a comparison the warehouse cannot make (no 31 December, no previous quarter,
no same quarter a year earlier, an incomplete quarter) is left out rather than guessed.
"""

from __future__ import annotations

from . import fmt
from .data import ReportData, Row


def narrative(d: ReportData) -> str:
    parts = (
        _outstanding(d),
        _organizations(d),
        _lending(d),
        _year_to_date(d),
        _reconciliation(d),
        _credit_quality(d),
    )
    return " ".join(p for p in parts if p)


def _comparison(d: ReportData, measure: str, key: str):
    row = d.comparisons.get(measure)
    return None if row is None else row.get(key)


def _is_first_quarter(d: ReportData) -> bool:
    # in the first quarter the previous quarter's end is the year start: one comparison, not two
    return fmt.quarter_of(d.as_of) == 1


def _amount_change(change) -> str:
    return fmt.change_phrase(change, fmt.fmt_amount(abs(change)) if change is not None else "")


def _count_change(change, unit: str) -> str:
    return fmt.change_phrase(change, f"{fmt.fmt_int(abs(change))} {unit}" if change else "")


def _outstanding(d: ReportData) -> str:
    k = d.kpi
    text = (
        f"Đến {fmt.fmt_date(d.as_of)}, tổng dư nợ ủy thác qua các TCCTXH là "
        f"{fmt.fmt_amount(k['entrusted_outstanding_vnd'])}, chiếm "
        f"{fmt.fmt_pct(k['entrusted_share'])} tổng dư nợ"
    )
    changes = []
    if k["entrusted_change_ytd_vnd"] is not None:
        changes.append(f"{_amount_change(k['entrusted_change_ytd_vnd'])} so với đầu năm")
    quarter = _comparison(d, "entrusted_outstanding_vnd", "change_previous_quarter")
    if quarter is not None and not _is_first_quarter(d):
        changes.append(f"{_amount_change(quarter)} so với quý trước")
    year = _comparison(d, "entrusted_outstanding_vnd", "change_year_ago")
    if year is not None:
        changes.append(f"{_amount_change(year)} so với cùng kỳ năm trước")
    if changes:
        text += "; dư nợ ủy thác " + ", ".join(changes)
    return (
        f"{text}, với {fmt.fmt_approx(k['households_with_entrusted_outstanding'])} hộ còn dư "
        f"nợ tại {fmt.fmt_int(k['groups_with_outstanding'])} Tổ TK&VV, dư nợ bình quân đạt "
        f"{fmt.fmt_trieu(k['avg_entrusted_outstanding_per_household_vnd'], suffix='/hộ')}."
    )


def _org_change(r: Row) -> str:
    return f"{r['org_name']} ({fmt.fmt_amount(r['outstanding_change_ytd_vnd'], signed=True)})"


def _organizations(d: ReportData) -> str:
    """Whether each organization's entrusted outstanding grew since 31 December."""
    rows = [
        r
        for r in d.orgs
        if r["org_is_entrusted"] and r.get("outstanding_change_ytd_vnd") is not None
    ]
    if not rows:
        return ""
    grew = [r for r in rows if r["outstanding_change_ytd_vnd"] > 0]
    fell = [r for r in rows if r["outstanding_change_ytd_vnd"] < 0]
    flat = [r for r in rows if r["outstanding_change_ytd_vnd"] == 0]
    listing = ", ".join(_org_change(r) for r in rows)
    if len(rows) > 1 and len(grew) == len(rows):
        return f"Dư nợ ủy thác qua các TCCTXH đều tăng so với đầu năm: {listing}."
    if len(rows) > 1 and len(fell) == len(rows):
        return f"Dư nợ ủy thác qua các TCCTXH đều giảm so với đầu năm: {listing}."
    if len(flat) == len(rows):
        return "Dư nợ ủy thác qua các TCCTXH không đổi so với đầu năm."
    clauses = []
    for group, verb in ((grew, "tăng"), (fell, "giảm")):
        if group:
            clauses.append(f"qua {', '.join(_org_change(r) for r in group)} {verb}")
    if flat:
        clauses.append(f"qua {', '.join(r['org_name'] for r in flat)} không đổi")
    return f"So với đầu năm, dư nợ ủy thác {'; '.join(clauses)}."


def _flows(k: Row, period: str) -> str:
    return (
        f"{fmt.fmt_approx(k[f'loan_turns_{period}'])} lượt hộ được vay vốn, trong đó "
        f"{fmt.fmt_approx(k[f'poor_group_turns_{period}'])} lượt hộ nghèo, hộ cận nghèo, hộ "
        f"mới thoát nghèo; {fmt.fmt_approx(k[f'job_creation_turns_{period}'])} lượt vay giải "
        f"quyết việc làm, thu hút {fmt.fmt_approx(k[f'workers_attracted_{period}'])} lao "
        f"động; xây mới và cải tạo {fmt.fmt_approx(k[f'water_sanitation_works_{period}'])} "
        "công trình nước sạch, vệ sinh môi trường nông thôn"
    )


def _lending(d: ReportData) -> str:
    k, quarter = d.kpi, fmt.quarter_label(d.as_of)
    if k["loan_turns_qtd"] is None:
        return (
            f"Số liệu cho vay {quarter} chưa đủ: thiếu số liệu cuối tháng của quý trong kho "
            "dữ liệu."
        )
    changes = []
    before = _comparison(d, "loan_turns_qtd", "change_previous_quarter")
    if before is not None:
        changes.append(f"{_count_change(before, 'lượt')} so với quý trước")
    year = _comparison(d, "loan_turns_qtd", "change_year_ago")
    if year is not None:
        changes.append(f"{_count_change(year, 'lượt')} so với cùng kỳ năm trước")
    compared = f" (số lượt vay {', '.join(changes)})" if changes else ""
    return f"Trong {quarter}, {_flows(k, 'qtd')}{compared}."


def _year_to_date(d: ReportData) -> str:
    """From the second quarter on, the year's lending so far ("6 tháng đầu năm", ...)."""
    k = d.kpi
    if _is_first_quarter(d) or k["loan_turns_ytd"] is None:
        return ""
    year = _comparison(d, "loan_turns_ytd", "change_year_ago")
    compared = (
        f" (số lượt vay {_count_change(year, 'lượt')} so với cùng kỳ năm trước)"
        if year is not None
        else ""
    )
    disbursed = k.get("net_disbursed_ytd_vnd")
    amount = f"; doanh số cho vay {fmt.fmt_amount(disbursed)}" if disbursed is not None else ""
    return f"Lũy kế {fmt.ytd_label(d.as_of)}, {_flows(k, 'ytd')}{amount}{compared}."


def _reconciliation(d: ReportData) -> str:
    k = d.kpi
    if not k["reconciliation_in_scope"]:
        return ""
    return (
        f"Đã đối chiếu {fmt.fmt_int(k['reconciled_customers'])} trên tổng số "
        f"{fmt.fmt_int(k['reconciliation_in_scope'])} khách hàng phải đối chiếu, tỷ lệ hoàn "
        f"thành {fmt.fmt_pct(k['reconciliation_completion'], 0)}."
    )


def _credit_quality(d: ReportData) -> str:
    """The overdue + frozen ratio against the end of the previous quarter, compared as shown
    (two decimals): equal displays read "tương đương", never "tăng" of an unchanged figure."""
    ratio = d.kpi["overdue_frozen_ratio"]
    if ratio is None:
        return ""
    now = fmt.fmt_pct(ratio, 2)
    text = f"Nợ quá hạn và nợ khoanh chiếm {now} tổng dư nợ"
    before = _comparison(d, "overdue_frozen_ratio", "previous_quarter_value")
    if before is not None:
        then = fmt.fmt_pct(before, 2)
        date = fmt.fmt_date(_comparison(d, "overdue_frozen_ratio", "previous_quarter_end_date"))
        if then == now:
            text += f", tương đương ngày {date}"
        else:
            verb = "tăng" if ratio > before else "giảm"
            text += f", {verb} so với ngày {date} ({then})"
    return text + "."
