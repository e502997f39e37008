"""The briefing's history: the figures against the previous quarter and the same period a year
earlier (marts.mart_briefing_comparisons), and every quarter end the warehouse holds up to the
as-of date (mart_briefing_kpis, mart_org_summary). Labels and layout only: the changes are the
mart's."""

from __future__ import annotations

from . import fmt
from .data import ReportData
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
    TRIEU,
    TY,
    Col,
    Table,
)

AMOUNT, COUNT, SHARE, SMALL_RATIO, PER_HOUSEHOLD = (
    (TY, SIGNED_TY),
    (INT, SIGNED_INT),
    (PCT1, POINTS1),
    (PCT2, POINTS2),
    (TRIEU, SIGNED_TRIEU),
)

# (measure of mart_briefing_comparisons, label, (value kind, change kind)), in page order
BALANCES = (
    ("entrusted_outstanding_vnd", "Dư nợ ủy thác qua các TCCTXH (tỷ đồng)", AMOUNT),
    ("direct_outstanding_vnd", "Dư nợ cho vay trực tiếp (tỷ đồng)", AMOUNT),
    ("total_outstanding_vnd", "Tổng dư nợ (tỷ đồng)", AMOUNT),
    ("entrusted_share", "Tỷ trọng dư nợ ủy thác", SHARE),
    ("households_with_entrusted_outstanding", "Hộ còn dư nợ ủy thác", COUNT),
    ("groups_with_outstanding", "Tổ TK&VV còn dư nợ", COUNT),
    (
        "avg_entrusted_outstanding_per_household_vnd",
        "Dư nợ bình quân (triệu đồng/hộ)",
        PER_HOUSEHOLD,
    ),
    ("overdue_frozen_ratio", "Tỷ lệ nợ quá hạn và nợ khoanh", SMALL_RATIO),
)
QUARTER_FLOWS = (
    ("loan_turns_qtd", "Lượt vay trong quý", COUNT),
    ("job_creation_turns_qtd", "— trong đó giải quyết việc làm", COUNT),
    ("water_sanitation_works_qtd", "Công trình nước sạch, vệ sinh trong quý", COUNT),
    ("net_disbursed_qtd_vnd", "Doanh số cho vay trong quý (tỷ đồng)", AMOUNT),
)
YEAR_FLOWS = (  # {period}: "6 tháng đầu năm 2022", "năm 2022", ...
    ("loan_turns_ytd", "Lượt vay {period}", COUNT),
    ("job_creation_turns_ytd", "— trong đó giải quyết việc làm", COUNT),
    ("water_sanitation_works_ytd", "Công trình nước sạch, vệ sinh {period}", COUNT),
    ("net_disbursed_ytd_vnd", "Doanh số cho vay {period} (tỷ đồng)", AMOUNT),
)


def comparison_table(d: ReportData) -> Table | None:
    """The headline figures at ``as_of``, at the end of the previous quarter and a year earlier,
    with the changes; None when the warehouse holds neither date. The year's flows so far are
    compared with the same period a year earlier only (against the previous quarter they would
    compare periods of different lengths)."""
    rows_by_measure = d.comparisons
    quarter_date = next(
        (
            r["previous_quarter_end_date"]
            for r in rows_by_measure.values()
            if r.get("previous_quarter_end_date")
        ),
        None,
    )
    year_date = next(
        (r["year_ago_date"] for r in rows_by_measure.values() if r.get("year_ago_date")), None
    )
    if quarter_date is None and year_date is None:
        return None
    measures = list(BALANCES + QUARTER_FLOWS)
    if fmt.quarter_of(d.as_of) > 1:
        period = fmt.ytd_label(d.as_of)
        measures += [(m, label.format(period=period), kinds) for m, label, kinds in YEAR_FLOWS]
    rows = []
    for measure, label, (kind, change_kind) in measures:
        r = rows_by_measure.get(measure)
        if r is None:
            continue
        compare_quarter = not measure.endswith(("_ytd", "_ytd_vnd"))
        rows.append(
            {
                "label": label,
                "value": r["as_of_value"],
                "quarter": r["previous_quarter_value"] if compare_quarter else None,
                "quarter_change": r["change_previous_quarter"] if compare_quarter else None,
                "year": r["year_ago_value"],
                "year_change": r["change_year_ago"],
                "_kind": kind,
                "_change_kind": change_kind,
            }
        )
    columns = [
        Col("label", "Chỉ tiêu"),
        Col("value", f"{fmt.fmt_date(d.as_of)}", kind_from="_kind"),
    ]
    if quarter_date is not None:
        start = " (đầu năm)" if fmt.quarter_of(d.as_of) == 1 else ""
        columns += [
            Col(
                "quarter", f"Cuối quý trước {fmt.fmt_date(quarter_date)}{start}", kind_from="_kind"
            ),
            Col("quarter_change", "Tăng/giảm so với quý trước", kind_from="_change_kind"),
        ]
    if year_date is not None:
        columns += [
            Col("year", f"Cùng kỳ năm trước {fmt.fmt_date(year_date)}", kind_from="_kind"),
            Col("year_change", "Tăng/giảm so với cùng kỳ", kind_from="_change_kind"),
        ]
    return Table(
        "comparison",
        "So sánh với quý trước và cùng kỳ năm trước",
        "So sánh",
        columns,
        rows,
        note="Tỷ trọng và tỷ lệ: tăng/giảm tính bằng điểm phần trăm. Dấu —: kho dữ liệu "
        "không có số liệu của ngày so sánh, quý chưa đủ số liệu, hoặc số lũy kế từ đầu năm "
        "(không so với quý trước).",
    )


def quarter_table(d: ReportData) -> Table:
    rows = [{**r, "quarter": fmt.quarter_label(r["as_of_date"])} for r in d.quarter_ends]
    return Table(
        "quarters",
        "Diễn biến qua các quý",
        "Diễn biến theo quý",
        [
            Col("quarter", "Quý"),
            Col("as_of_date", "Ngày số liệu", DATE),
            Col("entrusted_outstanding_vnd", "Dư nợ ủy thác (tỷ đồng)", TY),
            Col("direct_outstanding_vnd", "Dư nợ trực tiếp (tỷ đồng)", TY),
            Col("total_outstanding_vnd", "Tổng dư nợ (tỷ đồng)", TY),
            Col("entrusted_share", "Tỷ trọng ủy thác", PCT1),
            Col("households_with_entrusted_outstanding", "Hộ còn dư nợ ủy thác", INT),
            Col("groups_with_outstanding", "Tổ TK&VV còn dư nợ", INT),
            Col("loan_turns_qtd", "Lượt vay trong quý", INT),
            Col("loan_turns_ytd", "Lượt vay từ đầu năm", INT),
            Col("overdue_frozen_ratio", "Tỷ lệ QH + khoanh", PCT2),
        ],
        rows,
        note="Mỗi dòng là một ngày cuối quý có trong kho dữ liệu, đến ngày số liệu của báo cáo.",
    )


def org_history_table(d: ReportData) -> Table:
    """Outstanding by organization at every quarter end (a pivot of mart_org_summary), with the
    entrusted total of mart_briefing_kpis."""
    orgs: dict[str, str] = {}
    by_date: dict = {}
    for r in d.org_history:
        orgs.setdefault(r["org_code"], r["org_label"] if r["org_is_entrusted"] else "Trực tiếp")
        row = by_date.setdefault(
            r["as_of_date"],
            {"quarter": fmt.quarter_label(r["as_of_date"]), "as_of_date": r["as_of_date"]},
        )
        row[r["org_code"]] = r["outstanding_vnd"]
    for k in d.quarter_ends:
        if k["as_of_date"] in by_date:
            by_date[k["as_of_date"]]["entrusted"] = k["entrusted_outstanding_vnd"]
    return Table(
        "org-quarters",
        "Dư nợ theo tổ chức qua các quý",
        "Tổ chức theo quý",
        [
            Col("quarter", "Quý"),
            Col("as_of_date", "Ngày số liệu", DATE),
            *[Col(code, f"{label} (tỷ đồng)", TY) for code, label in orgs.items()],
            Col("entrusted", "Cộng ủy thác (tỷ đồng)", TY),
        ],
        [by_date[k] for k in sorted(by_date)],
    )
