"""The briefing as one self-contained HTML page (inline CSS and SVG, no script, no external
resource), rendered with Jinja from :mod:`tables`."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from . import charts, fmt
from .contents import all_tables
from .data import ReportData, check_passed
from .figures import headline
from .narrative import narrative
from .tables import HANOI, TEXT, Table, display

TEMPLATES = Path(__file__).with_name("templates")


def render_table(t: Table) -> Markup:
    head = "".join(f"<th>{escape(c.header)}</th>" for c in t.columns)

    def cells(row: dict) -> str:
        out = []
        for c in t.columns:
            kind = c.kind_of(row)
            cls = "" if kind == TEXT else " class='num'"
            out.append(
                f"<td{cls} data-col='{escape(c.key)}'>{escape(display(row.get(c.key), kind))}</td>"
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


def deliveries_text(d: ReportData) -> str:
    dl = d.deliveries
    if dl is None:
        return "chưa có thông tin về các lần giao nhận dữ liệu"
    rev = f", lần giao lại cao nhất r{dl['latest_revision']}" if dl["latest_revision"] else ""
    loaded = dl["last_loaded_at"]
    at = f", nạp gần nhất {loaded.astimezone(HANOI):%d/%m/%Y %H:%M}" if loaded else ""
    return f"{fmt.fmt_int(dl['files'])} tệp dữ liệu đã nạp{rev}{at}"


def build_charts(d: ReportData) -> dict[str, Markup | None]:
    def ty(values):
        n = fmt.ty_decimals(values)
        return lambda v: fmt.fmt_number(v / fmt.BILLION, n)

    org_values = [r["outstanding_vnd"] for r in d.orgs]
    # the month-ends of the as-of date's year, from the previous 31 December (the quarterly
    # chart shows the longer history)
    year = [r for r in d.trend if r["as_of_date"] >= date(d.as_of.year - 1, 12, 31)]
    trend_values = [r["entrusted_outstanding_vnd"] for r in year]
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
        [f"{r['as_of_date']:%m/%Y}" for r in year],
        [("Dư nợ ủy thác", trend_values, charts.PRIMARY)],
        ty(trend_values),
        "Dư nợ ủy thác cuối tháng",
        width=520,
        height=200,
    )
    quarters = d.quarter_ends
    quarter_trend = charts.line_chart(
        [fmt.quarter_short(r["as_of_date"]) for r in quarters],
        [
            ("Tổng dư nợ", [r["total_outstanding_vnd"] for r in quarters], charts.MUTED_LINE),
            ("Dư nợ ủy thác", [r["entrusted_outstanding_vnd"] for r in quarters], charts.PRIMARY),
        ],
        ty(
            [
                v
                for r in quarters
                for v in (r["total_outstanding_vnd"], r["entrusted_outstanding_vnd"])
            ]
        ),
        "Dư nợ cuối quý",
        width=1040,
        height=240,
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
    if d.recon_rows("district"):
        recon = charts.progress_chart(
            [(r["district_name"], r["completion_rate"]) for r in d.recon_rows("district")],
            lambda v: fmt.fmt_pct(v, 1),
            "Tiến độ đối chiếu theo quận, huyện",
            target=d.kpi["reconciliation_completion"],
        )
    return {
        "orgs": orgs,
        "trend": trend,
        "quarters": quarter_trend,
        "districts": districts,
        "recon": recon,
    }


def checks_summary(d: ReportData) -> dict | None:
    """How many of the checks listed below passed and failed (a count of the table's rows)."""
    if d.checks is None:
        return None
    results = [check_passed(r) for r in d.checks]
    failed = sum(1 for r in results if r is False)
    return {
        "total": len(results),
        "failed": failed,
        "total_text": fmt.fmt_int(len(results)),
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
        period=fmt.ytd_label(d.as_of),
        produced_at_text=f"{produced_at:%H:%M %d/%m/%Y}",
        deliveries_text=deliveries_text(d),
        narrative=narrative(d),
        figures=headline(d),
        tables=tables,
        render_table=render_table,
        charts=build_charts(d),
        checks=checks_summary(d),
        notes=d.notes,
        unverified=d.unverified,
        lineage=lineage,  # the appendix (lineage.py), or None
    )
