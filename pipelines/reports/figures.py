"""The briefing's headline figures: calibration §1's F1–F14 as published, the extras X1–X2 and,
from the second quarter on, the year's lending so far (Y1–Y5). Each carries its mart column and
exact value, which the page exposes (``data-field``, ``data-value``) and the tests read back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import fmt
from .data import ReportData


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
        *_year_to_date_figures(d),
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


def _year_to_date_figures(d: ReportData) -> list[Figure]:
    """From the second quarter on, the year's lending so far (in Q1 it is the quarter's)."""
    if fmt.quarter_of(d.as_of) == 1:
        return []
    k, period = d.kpi, fmt.ytd_label(d.as_of)
    out = []
    for i, (field_, label, unit) in enumerate(
        (
            ("loan_turns_ytd", f"Lượt hộ được vay vốn {period}", "lượt"),
            ("poor_group_turns_ytd", "Trong đó: hộ nghèo, cận nghèo, mới thoát nghèo", "lượt"),
            ("job_creation_turns_ytd", "Trong đó: cho vay giải quyết việc làm", "lượt"),
            ("workers_attracted_ytd", "Lao động được thu hút (cho vay GQVL)", "lao động"),
            ("water_sanitation_works_ytd", "Công trình nước sạch, vệ sinh", "công trình"),
        ),
        start=1,
    ):
        v = k[field_]
        out.append(
            Figure(
                f"Y{i}",
                field_,
                label,
                f"{fmt.fmt_approx(v)} {unit}",
                f"{fmt.fmt_int(v)} {unit}",
                v,
            )
        )
    return out
