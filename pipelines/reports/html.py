"""The briefing as one self-contained HTML page (inline CSS and SVG, no script, no external
resource), rendered with Jinja from :mod:`tables`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from . import charts, fmt
from .data import ReportData, check_passed
from .tables import HANOI, TEXT, Table, all_tables, display, headline

TEMPLATES = Path(__file__).with_name("templates")


def render_table(t: Table) -> Markup:
    head = "".join(f"<th>{escape(c.header)}</th>" for c in t.columns)

    def cells(row: dict) -> str:
        out = []
        for c in t.columns:
            cls = "" if c.kind == TEXT else " class='num'"
            out.append(
                f"<td{cls} data-col='{escape(c.key)}'>{escape(display(row.get(c.key), c.kind))}</td>"
            )
        return "".join(out)

    body = "".join(f"<tr>{cells(r)}</tr>" for r in t.rows)
    foot = "".join(f"<tr>{cells(r)}</tr>" for r in t.totals)
    note = f"<p class='note'>{escape(t.note)}</p>" if t.note else ""
    return Markup(
        f"<table id='{escape(t.id)}' data-sheet='{escape(t.sheet)}'>"
        f"<caption hidden>{escape(t.title)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody>{f'<tfoot>{foot}</tfoot>' if foot else ''}</table>{note}"
    )


def narrative(d: ReportData) -> str:
    """The headline paragraph, in the words of the published briefing."""
    k = d.kpi
    parts = [
        f"Đến {fmt.fmt_date(d.as_of)}, tổng dư nợ ủy thác qua các TCCTXH là "
        f"{fmt.fmt_amount(k['entrusted_outstanding_vnd'])}, chiếm {fmt.fmt_pct(k['entrusted_share'])} "
        "tổng dư nợ"
    ]
    if k["entrusted_change_ytd_vnd"] is not None:
        verb = "tăng" if k["entrusted_change_ytd_vnd"] >= 0 else "giảm"
        parts.append(
            f"; dư nợ ủy thác {verb} {fmt.fmt_amount(abs(k['entrusted_change_ytd_vnd']))} so với "
            "đầu năm"
        )
    parts.append(
        f", với {fmt.fmt_approx(k['households_with_entrusted_outstanding'])} hộ còn dư nợ tại "
        f"{fmt.fmt_int(k['groups_with_outstanding'])} Tổ TK&VV, dư nợ bình quân đạt "
        f"{fmt.fmt_trieu(k['avg_entrusted_outstanding_per_household_vnd'], suffix='/hộ')}. "
    )
    parts.append(
        f"Trong {fmt.quarter_label(d.as_of)}, {fmt.fmt_approx(k['loan_turns_qtd'])} lượt hộ "
        f"được vay vốn, trong đó {fmt.fmt_approx(k['poor_group_turns_qtd'])} lượt hộ nghèo, hộ "
        f"cận nghèo, hộ mới thoát nghèo; {fmt.fmt_approx(k['job_creation_turns_qtd'])} lượt "
        "vay giải quyết việc làm, thu hút "
        f"{fmt.fmt_approx(k['workers_attracted_qtd'])} lao động; xây mới và cải tạo "
        f"{fmt.fmt_approx(k['water_sanitation_works_qtd'])} công trình nước sạch, vệ sinh "
        "môi trường nông thôn."
    )
    if k["reconciliation_in_scope"]:
        parts.append(
            f" Đã đối chiếu {fmt.fmt_int(k['reconciled_customers'])} trên tổng số "
            f"{fmt.fmt_int(k['reconciliation_in_scope'])} khách hàng phải đối chiếu, tỷ lệ hoàn "
            f"thành {fmt.fmt_pct(k['reconciliation_completion'], 0)}."
        )
    return "".join(parts)


def deliveries_text(d: ReportData) -> str:
    dl = d.deliveries
    if dl.files is None:
        return "chưa có thông tin về các lần giao nhận dữ liệu"
    rev = f", lần giao lại cao nhất r{dl.latest_revision}" if dl.latest_revision else ""
    loaded = dl.latest_loaded_at
    at = f", nạp gần nhất {loaded.astimezone(HANOI):%d/%m/%Y %H:%M}" if loaded else ""
    return f"{fmt.fmt_int(dl.files)} tệp dữ liệu đã nạp{rev}{at}"


def build_charts(d: ReportData) -> dict[str, Markup | None]:
    def ty(values):
        n = fmt.ty_decimals(values)
        return lambda v: fmt.fmt_number(v / fmt.BILLION, n)

    org_values = [r["outstanding_vnd"] for r in d.orgs]
    trend_values = [r["entrusted_outstanding_vnd"] for r in d.trend]
    orgs = charts.hbar_chart(
        [
            (r["org_label"] if r["org_is_entrusted"] else "Trực tiếp", r["outstanding_vnd"])
            for r in d.orgs
        ],
        ty([0, *org_values]),
        "Dư nợ theo tổ chức",
        width=520,
        label_width=90,
        bar_height=24,
    )
    trend = charts.line_chart(
        [f"{r['as_of_date']:%m/%Y}" for r in d.trend],
        [
            (
                "Dư nợ ủy thác",
                [r["entrusted_outstanding_vnd"] for r in d.trend],
                charts.PRIMARY,
            )
        ],
        ty(trend_values),
        "Dư nợ ủy thác cuối tháng",
        width=520,
        height=200,
    )
    districts = None
    if d.districts:
        districts = charts.hbar_chart(
            [(r["district_name"], r["outstanding_vnd"]) for r in d.districts],
            ty([0, *(r["outstanding_vnd"] for r in d.districts)]),
            "Dư nợ theo quận, huyện",
            highlight=lambda name: any(
                r["district_name"] == name and (r["overdue_vnd"] or r["frozen_vnd"])
                for r in d.districts
            ),
            bar_height=14,
        )
    recon = None
    if d.recon_by_district:
        recon = charts.progress_chart(
            [(r["label"], r["completion"]) for r in d.recon_by_district],
            lambda v: fmt.fmt_pct(v, 1),
            "Tiến độ đối chiếu theo quận, huyện",
            target=d.kpi["reconciliation_completion"],
        )
    return {"orgs": orgs, "trend": trend, "districts": districts, "recon": recon}


def checks_summary(d: ReportData) -> dict | None:
    if d.checks is None:
        return None
    results = [check_passed(r) for r in d.checks]
    passed = sum(1 for r in results if r)
    failed = sum(1 for r in results if r is False)
    return {
        "total": len(results),
        "passed": passed,
        "failed": failed,
        "total_text": fmt.fmt_int(len(results)),
        "passed_text": fmt.fmt_int(passed),
        "failed_text": fmt.fmt_int(failed),
    }


def render_html(
    d: ReportData, produced_at: datetime, branch: str = "TP Hà Nội", lineage=None
) -> str:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    tables = {t.id: t for t in all_tables(d)}
    return env.get_template("briefing.html.j2").render(
        branch=branch,
        as_of=d.as_of,
        as_of_text=fmt.fmt_date(d.as_of),
        quarter=fmt.quarter_label(d.as_of),
        produced_at_text=f"{produced_at:%H:%M %d/%m/%Y}",
        deliveries_text=deliveries_text(d),
        narrative=narrative(d),
        figures=headline(d),
        tables=tables,
        render_table=render_table,
        charts=build_charts(d),
        checks=checks_summary(d),
        notes=d.notes,
        lineage=lineage,  # the appendix (lineage.py), or None
    )
