"""Everything the reports show, read from the warehouse's ``marts``, ``recon`` and ``quality``
schemas only (never raw or staging: the marts are the interface, see docs/reports.md).

Every figure, share, change and total the briefing shows is a column of a mart (issue 21: one
home for every KPI, in dbt); this module only selects rows, and the writers only format them.
One read-only DuckDB connection, short-lived; the result is plain Python (dicts and lists) so
the HTML and XLSX writers, and the tests, need no database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from ..contract.reports import PERSONAL_COLUMN
from ..warehouse_db import connect

Row = dict[str, Any]

# An Excel sheet holds 1,048,576 rows; a recon model gone wrong can break on every loan.
EXCEPTION_ROW_LIMIT = 500_000


class ReportDataError(RuntimeError):
    """The marts needed by the reports are missing or empty."""


@dataclass
class ReportData:
    as_of: date
    kpi: Row
    comparisons: dict[str, Row]  # measure -> mart_briefing_comparisons row at as_of
    trend: list[Row]  # mart_briefing_kpis, every month-end up to as_of
    orgs: list[Row]
    org_history: list[Row]  # mart_org_summary at every quarter end up to as_of
    programs: list[Row]
    districts: list[Row]
    reconciliation: list[Row]  # mart_reconciliation_summary at as_of, the KPI's campaign
    ratings: list[Row]  # mart_group_ratings at as_of
    checks: list[Row] | None  # quality.check_results, summary rows of the latest run
    deliveries: Row | None  # mart_delivery_summary at as_of
    exceptions: dict[str, list[Row]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # set when the briefing is written although the quality gate did not pass (Vietnamese)
    unverified: str | None = None

    @property
    def quarter_ends(self) -> list[Row]:
        """The KPI rows of every quarter end up to as_of (the quarterly trend)."""
        return [r for r in self.trend if r.get("is_quarter_end")]

    def recon_rows(self, breakdown: str) -> list[Row]:
        return [r for r in self.reconciliation if r["breakdown"] == breakdown]

    def rating_rows(self, breakdown: str) -> list[Row]:
        return [r for r in self.ratings if r["breakdown"] == breakdown]


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[Row]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _tables(con: duckdb.DuckDBPyConnection, schema: str) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables where table_schema = ? "
            "and table_catalog = current_database() order by table_name",
            [schema],
        ).fetchall()
    ]


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns where table_schema = ? "
            "and table_name = ? and table_catalog = current_database() order by ordinal_position",
            [schema, table],
        ).fetchall()
    ]


def _require(con: duckdb.DuckDBPyConnection, schema: str, table: str, cols: list[str]) -> None:
    have = _columns(con, schema, table)
    if not have:
        raise ReportDataError(f"{schema}.{table} is missing: build the dbt project first")
    missing = [c for c in cols if c not in have]
    if missing:
        raise ReportDataError(f"{schema}.{table} lacks column(s) {', '.join(missing)}")


def available_dates(con: duckdb.DuckDBPyConnection) -> list[date]:
    _require(con, "marts", "mart_briefing_kpis", ["as_of_date"])
    return [
        r[0]
        for r in con.execute(
            "select distinct as_of_date from marts.mart_briefing_kpis order by as_of_date"
        ).fetchall()
    ]


def default_as_of(dates: list[date]) -> date:
    """The latest quarter-end month-end, else the latest month-end."""
    if not dates:
        raise ReportDataError("marts.mart_briefing_kpis is empty: nothing to report")
    quarter_ends = [d for d in dates if d.month in (3, 6, 9, 12)]
    return max(quarter_ends) if quarter_ends else max(dates)


KPI_COLUMNS = [
    "as_of_date",
    "is_quarter_end",
    "entrusted_outstanding_vnd",
    "direct_outstanding_vnd",
    "total_outstanding_vnd",
    "entrusted_share",
    "entrusted_change_ytd_vnd",
    "total_change_ytd_vnd",
    "previous_year_end_date",
    "households_with_entrusted_outstanding",
    "groups_with_outstanding",
    "avg_entrusted_outstanding_per_household_vnd",
    "loan_turns_qtd",
    "poor_group_turns_qtd",
    "job_creation_turns_qtd",
    "workers_attracted_qtd",
    "water_sanitation_works_qtd",
    "net_disbursed_qtd_vnd",
    "loan_turns_ytd",
    "poor_group_turns_ytd",
    "job_creation_turns_ytd",
    "workers_attracted_ytd",
    "water_sanitation_works_ytd",
    "net_disbursed_ytd_vnd",
    "reconciliation_campaign_year",
    "reconciled_customers",
    "reconciliation_in_scope",
    "reconciliation_completion",
    "overdue_vnd",
    "frozen_vnd",
    "entrusted_overdue_vnd",
    "entrusted_frozen_vnd",
    "overdue_frozen_ratio",
]

ORG_COLUMNS = [
    "as_of_date",
    "org_code",
    "is_quarter_end",
    "households_with_outstanding",
    "groups_with_outstanding",
    "outstanding_vnd",
    "overdue_vnd",
    "frozen_vnd",
    "disbursed_qtd_vnd",
    "loan_turns_qtd",
    "share_of_total_outstanding",
    "overdue_frozen_ratio",
    "outstanding_change_ytd_vnd",
    "outstanding_change_previous_quarter_vnd",
    "outstanding_change_year_ago_vnd",
]

DISTRICT_COLUMNS = [
    "as_of_date",
    "pgd_code",
    "district_name",
    "outstanding_vnd",
    "overdue_vnd",
    "frozen_vnd",
    "overdue_frozen_ratio",
]

COMPARISON_COLUMNS = [
    "as_of_date",
    "measure",
    "as_of_value",
    "previous_quarter_end_date",
    "previous_quarter_value",
    "change_previous_quarter",
    "year_ago_date",
    "year_ago_value",
    "change_year_ago",
]

RECONCILIATION_COLUMNS = [
    "as_of_date",
    "campaign_year",
    "breakdown",
    "pgd_code",
    "district_name",
    "org_code",
    "org_short",
    "in_scope_customers",
    "reconciled_customers",
    "matched_customers",
    "discrepancy_customers",
    "completion_rate",
]

RATING_COLUMNS = [
    "as_of_date",
    "breakdown",
    "org_code",
    "org_short",
    "rating",
    "rating_order",
    "groups_with_outstanding",
    "groups_with_overdue_frozen",
    "overdue_frozen_vnd",
    "share_of_groups",
]

DELIVERY_COLUMNS = ["as_of_date", "files", "latest_revision", "last_loaded_at"]


def load_report_data(warehouse: Path, as_of: date | None = None) -> ReportData:
    con = connect(warehouse, read_only=True)
    try:
        return _load(con, as_of)
    finally:
        con.close()


def _load(con: duckdb.DuckDBPyConnection, as_of: date | None) -> ReportData:
    dates = available_dates(con)
    as_of = as_of or default_as_of(dates)
    if as_of not in dates:
        raise ReportDataError(
            f"no month-end {as_of} in marts.mart_briefing_kpis "
            f"(available: {', '.join(map(str, dates)) or 'none'})"
        )
    notes: list[str] = []
    _require(con, "marts", "mart_briefing_kpis", KPI_COLUMNS)
    trend = _rows(
        con,
        "select * from marts.mart_briefing_kpis where as_of_date <= ? order by as_of_date",
        [as_of],
    )
    kpi = trend[-1]
    return ReportData(
        as_of=as_of,
        kpi=kpi,
        comparisons=_comparisons(con, as_of),
        trend=trend,
        orgs=_orgs(con, "s.as_of_date = ?", [as_of]),
        org_history=_orgs(con, "s.is_quarter_end and s.as_of_date <= ?", [as_of]),
        programs=_programs(con, as_of, notes),
        districts=_districts(con, as_of, notes),
        reconciliation=_reconciliation(con, as_of, kpi),
        ratings=_ratings(con, as_of, notes),
        checks=_checks(con),
        deliveries=_deliveries(con, as_of, notes),
        exceptions=_exceptions(con, as_of),
        notes=notes,
    )


def _comparisons(con, as_of: date) -> dict[str, Row]:
    _require(con, "marts", "mart_briefing_comparisons", COMPARISON_COLUMNS)
    rows = _rows(con, "select * from marts.mart_briefing_comparisons where as_of_date = ?", [as_of])
    return {r["measure"]: r for r in rows}


def _orgs(con, where: str, params: list) -> list[Row]:
    """The bank's figures per organization (shares, changes, the organization's own figures
    where it reported) from marts.mart_org_summary, in the briefing's order: entrusted
    organizations by outstanding, then direct lending."""
    _require(con, "marts", "mart_org_summary", ORG_COLUMNS)
    _require(con, "marts", "dim_organization", ["org_code", "org_name", "org_short"])
    return _rows(
        con,
        f"""
        select s.*, o.org_name, o.org_short as org_label, o.is_entrusted as org_is_entrusted
        from marts.mart_org_summary s
        join marts.dim_organization o using (org_code)
        where {where}
        order by s.as_of_date, o.is_entrusted desc, s.outstanding_vnd desc, s.org_code
        """,
        params,
    )


def _programs(con, as_of: date, notes: list[str]) -> list[Row]:
    have = _columns(con, "marts", "mart_program_summary")
    if not have:
        notes.append(
            "marts.mart_program_summary chưa có: bảng cho vay theo chương trình bị bỏ qua."
        )
        return []
    measures = [
        c
        for c in (
            "loan_turns_qtd",
            "disbursed_qtd_vnd",
            "workers_attracted_qtd",
            "water_sanitation_works_qtd",
            "outstanding_vnd",
            "households_with_outstanding",
        )
        if c in have
    ]
    sel = ", ".join(f"s.{c}" for c in measures)
    return _rows(
        con,
        f"""
        select s.program_code, p.program_short, p.program_name, {sel}
        from marts.mart_program_summary s
        join marts.dim_program p using (program_code)
        where s.as_of_date = ?
        order by s.program_code
        """,
        [as_of],
    )


def _districts(con, as_of: date, notes: list[str]) -> list[Row]:
    have = _columns(con, "marts", "mart_district_summary")
    if not have:
        notes.append("marts.mart_district_summary chưa có: các bảng theo quận/huyện bị bỏ qua.")
        return []
    _require(con, "marts", "mart_district_summary", DISTRICT_COLUMNS)
    return _rows(
        con,
        "select * from marts.mart_district_summary where as_of_date = ? order by pgd_code",
        [as_of],
    )


def _reconciliation(con, as_of: date, kpi: Row) -> list[Row]:
    """The campaign of the KPI mart at ``as_of`` (marts.mart_reconciliation_summary): the
    branch row, then the rows by district office and by organization."""
    campaign = kpi.get("reconciliation_campaign_year")
    if campaign is None:
        return []
    _require(con, "marts", "mart_reconciliation_summary", RECONCILIATION_COLUMNS)
    return _rows(
        con,
        """
        select * from marts.mart_reconciliation_summary
        where as_of_date = ? and campaign_year = ?
        order by breakdown, pgd_code, org_code
        """,
        [as_of, campaign],
    )


def _ratings(con, as_of: date, notes: list[str]) -> list[Row]:
    """Savings-group ratings at ``as_of`` (marts.mart_group_ratings), best rating first and the
    row of all ratings last in each cut."""
    if not _columns(con, "marts", "mart_group_ratings"):
        notes.append("Không có dữ liệu xếp loại Tổ TK&VV (marts.mart_group_ratings).")
        return []
    _require(con, "marts", "mart_group_ratings", RATING_COLUMNS)
    return _rows(
        con,
        """
        select * from marts.mart_group_ratings where as_of_date = ?
        order by breakdown, org_code, rating_order nulls last
        """,
        [as_of],
    )


CHECK_COLUMNS = (
    "identity_no",
    "check_name",
    "source_model",
    "blocking",
    "status",
    "items_checked",
    "items_failed",
    "message",
    "checked_at",
)


def _checks(con) -> list[Row] | None:
    """The summary rows (one per check) of the latest quality run in quality.check_results, or
    None when the checks have never run on this warehouse."""
    cols = _columns(con, "quality", "check_results")
    if not cols:
        return None
    shown = [c for c in CHECK_COLUMNS if c in cols]
    return _rows(
        con,
        f"select {', '.join(shown)} from quality.check_results "
        "where row_type = 'summary' and run_id = (select run_id from quality.check_results "
        "order by checked_at desc limit 1) order by identity_no, check_name",
    )


def check_passed(row: Row) -> bool | None:
    """Whether a quality.check_results row passed, whatever its flag is called."""
    for key in ("passed", "success"):
        if key in row and row[key] is not None:
            return bool(row[key])
    status = row.get("status") or row.get("outcome")
    if isinstance(status, str):
        return status.lower() in ("pass", "passed", "success", "ok")
    return None


def _quarter_start(d: date) -> date:
    return date(d.year, d.month - (d.month - 1) % 3, 1)


def listed_columns(columns: list[str]) -> list[str]:
    """The columns of a recon model that an exception list shows: codes only (no personal
    column: recon models must not have one, this drops it should one ever appear), and no
    lineage column (``_inputs_loaded_at``, ...: when a month was built, not what broke)."""
    return [c for c in columns if not PERSONAL_COLUMN.search(c) and not c.startswith("_")]


def _exceptions(con, as_of: date) -> dict[str, list[Row]]:
    """The exception lists of the briefing's quarter (as-of dates from the quarter's first day
    to ``as_of``): every item a recon model flags, ``is_break`` (blocks the report) or
    ``is_finding`` (to be explained; identity 6 flags amounts only beyond its rounding
    tolerance, so rounding differences are not listed), one list per recon model, empty lists
    included; and the customers whose reconciliation result at ``as_of`` is Chênh lệch. Codes
    only: a personal column, should one ever reach a recon model, is left out."""
    out: dict[str, list[Row]] = {}
    for table in _tables(con, "recon"):
        all_cols = _columns(con, "recon", table)
        flags = [c for c in ("is_break", "is_finding") if c in all_cols]
        if not flags:
            continue
        cols = listed_columns(all_cols)
        flagged = " or ".join(f"coalesce({c}, false)" for c in flags)
        dated, params = "", []
        if "as_of_date" in all_cols:
            dated, params = " and as_of_date between ? and ?", [_quarter_start(as_of), as_of]
        out[f"recon.{table}"] = _rows(
            con,
            f'select {", ".join(cols)} from recon."{table}" where ({flagged}){dated} '
            f"order by all limit {EXCEPTION_ROW_LIMIT}",
            params,
        )
    if _columns(con, "marts", "fct_reconciliation"):
        out["doi_chieu_chenh_lech"] = _rows(
            con,
            """
            select as_of_date, campaign_year, pgd_code, commune_code, group_code, org_code,
                   customer_code, reconciled_on, result, bank_outstanding_vnd,
                   confirmed_outstanding_vnd, outstanding_difference_vnd, bank_interest_vnd,
                   confirmed_interest_vnd, interest_difference_vnd
            from marts.fct_reconciliation
            where as_of_date = ? and reconciliation_state = 'discrepancy'
            order by pgd_code, commune_code, group_code, customer_code
            """,
            [as_of],
        )
    return out


def _deliveries(con, as_of: date, notes: list[str]) -> Row | None:
    """The files behind the figures up to ``as_of`` (marts.mart_delivery_summary)."""
    if not _columns(con, "marts", "mart_delivery_summary"):
        notes.append("Không có thông tin về các tệp dữ liệu đã nạp (marts.mart_delivery_summary).")
        return None
    _require(con, "marts", "mart_delivery_summary", DELIVERY_COLUMNS)
    rows = _rows(con, "select * from marts.mart_delivery_summary where as_of_date = ?", [as_of])
    if not rows:
        return None
    row = rows[0]
    # Ingestion stamps loads with the machine's local clock (naive): make that explicit, so the
    # briefing can show it in Hanoi time beside its own production time.
    at = row.get("last_loaded_at")
    if at is not None and at.tzinfo is None:
        row["last_loaded_at"] = at.astimezone()
    return row
