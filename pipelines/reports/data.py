"""Everything the reports show, read from the warehouse's ``marts``, ``recon`` and ``quality``
schemas only (never raw or staging: the marts are the interface, see docs/reports.md).

One read-only DuckDB connection, short-lived; the result is plain Python (dicts and lists) so
the HTML and XLSX writers, and the tests, need no database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from ..warehouse_db import connect

Row = dict[str, Any]

# Column names that carry personal data (architecture §5). Marts and recon models must not have
# them; the exception lists drop them defensively should one ever appear.
PERSONAL_COLUMNS = ("customer_name", "national_id", "phone", "group_name", "leader_name", "officer")

RATING_ORDER = ("Tốt", "Khá", "Trung bình", "Yếu")

# An Excel sheet holds 1,048,576 rows; a recon model gone wrong can break on every loan.
EXCEPTION_ROW_LIMIT = 500_000


class ReportDataError(RuntimeError):
    """The marts needed by the reports are missing or empty."""


@dataclass
class Deliveries:
    """Source deliveries behind the warehouse (from the ingestion's load log)."""

    files: int | None = None
    latest_revision: int | None = None
    latest_loaded_at: Any = None
    source: str = ""


@dataclass
class ReportData:
    as_of: date
    kpi: Row
    trend: list[Row]
    orgs: list[Row]
    programs: list[Row]
    districts: list[Row]
    recon_by_district: list[Row]
    recon_by_org: list[Row]
    ratings: list[Row]
    ratings_by_org: list[Row]
    checks: list[Row] | None
    recon_models: list[Row]
    deliveries: Deliveries
    exceptions: dict[str, list[Row]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # set when the briefing is written although the quality gate did not pass (Vietnamese)
    unverified: str | None = None

    @property
    def org_reports_present(self) -> bool:
        return any(r.get("has_org_report") for r in self.orgs)


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
    "entrusted_outstanding_vnd",
    "direct_outstanding_vnd",
    "total_outstanding_vnd",
    "entrusted_share",
    "entrusted_change_ytd_vnd",
    "households_with_entrusted_outstanding",
    "groups_with_outstanding",
    "avg_entrusted_outstanding_per_household_vnd",
    "loan_turns_qtd",
    "poor_group_turns_qtd",
    "job_creation_turns_qtd",
    "workers_attracted_qtd",
    "water_sanitation_works_qtd",
    "reconciliation_campaign_year",
    "reconciled_customers",
    "reconciliation_in_scope",
    "reconciliation_completion",
    "overdue_vnd",
    "frozen_vnd",
    "overdue_frozen_ratio",
]

ORG_COLUMNS = [
    "as_of_date",
    "org_code",
    "households_with_outstanding",
    "groups_with_outstanding",
    "outstanding_vnd",
    "overdue_vnd",
    "frozen_vnd",
    "disbursed_qtd_vnd",
    "loan_turns_qtd",
]


DISTRICT_COLUMNS = [
    "as_of_date",
    "pgd_code",
    "district_name",
    "outstanding_vnd",
    "overdue_vnd",
    "frozen_vnd",
]


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
    kpi = _rows(con, "select * from marts.mart_briefing_kpis where as_of_date = ?", [as_of])[0]
    trend = _rows(
        con,
        "select as_of_date, entrusted_outstanding_vnd, direct_outstanding_vnd, "
        "total_outstanding_vnd, overdue_vnd, frozen_vnd, reconciliation_completion "
        "from marts.mart_briefing_kpis where as_of_date <= ? order by as_of_date",
        [as_of],
    )
    return ReportData(
        as_of=as_of,
        kpi=kpi,
        trend=trend,
        orgs=_orgs(con, as_of, kpi),
        programs=_programs(con, as_of, notes),
        districts=_districts(con, as_of, notes),
        recon_by_district=_recon_by(con, as_of, kpi, "district"),
        recon_by_org=_recon_by(con, as_of, kpi, "org"),
        ratings=_ratings(con, as_of, notes, by_org=False),
        ratings_by_org=_ratings(con, as_of, notes, by_org=True),
        checks=_checks(con, notes),
        recon_models=_recon_models(con),
        deliveries=_deliveries(con, notes),
        exceptions=_exceptions(con, as_of),
        notes=notes,
    )


def _orgs(con, as_of: date, kpi: Row) -> list[Row]:
    """The bank's figures per organization at ``as_of``, the organization's own figures where
    it reported (quarter ends), and the change of outstanding since the previous 31/12."""
    _require(con, "marts", "mart_org_summary", ORG_COLUMNS)
    _require(con, "marts", "dim_organization", ["org_code", "org_name", "org_short"])
    year_end = kpi.get("previous_year_end_date") or date(as_of.year - 1, 12, 31)
    rows = _rows(
        con,
        """
        select s.*, o.org_name, o.org_short as org_label, o.is_entrusted as org_is_entrusted,
               y.outstanding_vnd as outstanding_year_start_vnd,
               s.outstanding_vnd - y.outstanding_vnd as outstanding_change_ytd_vnd
        from marts.mart_org_summary s
        join marts.dim_organization o using (org_code)
        left join marts.mart_org_summary y
          on y.org_code = s.org_code and y.as_of_date = ?
        where s.as_of_date = ?
        order by o.is_entrusted desc, s.outstanding_vnd desc, s.org_code
        """,
        [year_end, as_of],
    )
    total = sum(r["outstanding_vnd"] or 0 for r in rows)
    for r in rows:
        r["share_of_total"] = (r["outstanding_vnd"] / total) if total else None
    return rows


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


def _recon_by(con, as_of: date, kpi: Row, by: str) -> list[Row]:
    """The reconciliation campaign's progress per district office or organization, from the
    campaign register of ``as_of`` (marts.fct_reconciliation)."""
    campaign = kpi.get("reconciliation_campaign_year")
    if campaign is None or not _columns(con, "marts", "fct_reconciliation"):
        return []
    if by == "district":
        key, join, label = (
            "pgd_code",
            "join marts.dim_unit d using (pgd_code)",
            "d.district_name",
        )
    else:
        key, join, label = (
            "org_code",
            "join marts.dim_organization d using (org_code)",
            "d.org_short",
        )
    return _rows(
        con,
        f"""
        select r.{key} as code, {label} as label,
               count(*) as in_scope,
               count(*) filter (where r.is_reconciled) as reconciled,
               count(*) filter (where r.reconciliation_state = 'matched') as matched,
               count(*) filter (where r.reconciliation_state = 'discrepancy') as discrepancies,
               count(*) filter (where r.is_reconciled)::double / count(*) as completion
        from marts.fct_reconciliation r
        {join}
        where r.as_of_date = ? and r.campaign_year = ?
        group by all
        order by code
        """,
        [as_of, campaign],
    )


def _ratings(con, as_of: date, notes: list[str], by_org: bool) -> list[Row]:
    """Savings-group ratings at ``as_of`` (marts.dim_savings_group, one row per group and
    register month-end): groups with outstanding, by rating (and organization), with their
    members' overdue + frozen balances (marts.fct_loan_balance)."""
    need = {"group_code", "as_of_date", "org_code", "rating"}
    if not need <= set(_columns(con, "marts", "dim_savings_group")):
        if not by_org:
            notes.append("Không có dữ liệu xếp loại Tổ TK&VV (marts.dim_savings_group).")
        return []
    _require(
        con,
        "marts",
        "fct_loan_balance",
        ["as_of_date", "group_code", "outstanding_vnd", "overdue_vnd", "frozen_vnd"],
    )
    org = "g.org_code, o.org_short as org_label, " if by_org else ""
    join = "join marts.dim_organization o on o.org_code = g.org_code" if by_org else ""
    rows = _rows(
        con,
        f"""
        with balances as (
            select group_code, sum(outstanding_vnd) as outstanding_vnd,
                   sum(overdue_vnd) as overdue_vnd, sum(frozen_vnd) as frozen_vnd
            from marts.fct_loan_balance
            where as_of_date = ? and group_code is not null
            group by group_code
        )
        select {org} g.rating,
               count(*) as groups,
               count(*) filter (where b.overdue_vnd + b.frozen_vnd > 0) as groups_with_overdue,
               sum(b.outstanding_vnd) as outstanding_vnd,
               sum(b.overdue_vnd + b.frozen_vnd) as overdue_frozen_vnd
        from marts.dim_savings_group g
        join balances b on b.group_code = g.group_code
        {join}
        where g.as_of_date = ? and b.outstanding_vnd > 0
        group by all
        """,
        [as_of, as_of],
    )
    rank = {r: i for i, r in enumerate(RATING_ORDER)}
    rows.sort(key=lambda r: (r.get("org_code") or "", rank.get(r["rating"], len(rank))))
    return rows


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


def _checks(con, notes: list[str]) -> list[Row] | None:
    """The latest quality run's check summaries (quality.check_results, summary rows), or None
    when the checks have never run on this warehouse."""
    cols = _columns(con, "quality", "check_results")
    if not cols:
        return None
    shown = [c for c in CHECK_COLUMNS if c in cols] or cols
    where = "where row_type = 'summary'" if "row_type" in cols else ""
    if "run_id" in cols and "checked_at" in cols:
        latest = (
            "run_id = (select run_id from quality.check_results order by checked_at desc limit 1)"
        )
        where = f"{where} and {latest}" if where else f"where {latest}"
    order = "order by " + ", ".join(c for c in ("identity_no", "check_name") if c in cols)
    return _rows(
        con,
        f"select {', '.join(shown)} from quality.check_results {where} "
        f"{order if 'order by ' != order else ''}",
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


def _break_condition(cols: list[str]) -> str:
    """An item is an exception when its model flags it (is_break, is_finding), else when one
    of its difference columns is not zero."""
    flags = [c for c in ("is_break", "is_finding") if c in cols]
    if flags:
        return " or ".join(f"coalesce({c}, false)" for c in flags)
    diff = [c for c in cols if c == "difference" or c.endswith(("_difference", "difference_vnd"))]
    return " or ".join(f"coalesce({c}, 0) <> 0" for c in diff) or "false"


def _recon_models(con) -> list[Row]:
    """Per recon model: items checked, breaks and findings."""
    out = []
    for table in _tables(con, "recon"):
        cols = _columns(con, "recon", table)
        brk = "coalesce(is_break, false)" if "is_break" in cols else _break_condition(cols)
        fnd = "coalesce(is_finding, false)" if "is_finding" in cols else "false"
        n, b, f = con.execute(
            f"select count(*), count(*) filter (where {brk}), count(*) filter (where {fnd}) "
            f'from recon."{table}"'
        ).fetchone()
        out.append({"model": table, "checked": n, "breaks": b, "findings": f})
    return out


def _exceptions(con, as_of: date) -> dict[str, list[Row]]:
    """The exception lists: recon breaks per model, the campaign's Chênh lệch rows, and the
    organizations' differences with the bank; codes only."""
    out: dict[str, list[Row]] = {}
    for m in _recon_models(con):
        if not (m["breaks"] or m["findings"]):
            continue
        all_cols = _columns(con, "recon", m["model"])
        cols = [c for c in all_cols if c not in PERSONAL_COLUMNS]
        out[f"recon.{m['model']}"] = _rows(
            con,
            f'select {", ".join(cols)} from recon."{m["model"]}" '
            f"where {_break_condition(all_cols)} order by all limit {EXCEPTION_ROW_LIMIT}",
        )
    if _columns(con, "marts", "fct_reconciliation"):
        out["doi_chieu_chenh_lech"] = _rows(
            con,
            """
            select as_of_date, campaign_year, pgd_code, commune_code, group_code, org_code,
                   customer_code, reconciled_on, bank_outstanding_vnd,
                   confirmed_outstanding_vnd, outstanding_difference_vnd, bank_interest_vnd,
                   confirmed_interest_vnd, interest_difference_vnd
            from marts.fct_reconciliation
            where as_of_date = ? and reconciliation_state = 'discrepancy'
            order by pgd_code, commune_code, group_code, customer_code
            """,
            [as_of],
        )
    out["hoi_vs_ngan_hang"] = _rows(
        con,
        """
        select as_of_date, org_code, org_short, groups_with_outstanding, reported_groups,
               groups_difference, households_with_outstanding,
               reported_households_with_outstanding, households_difference, outstanding_vnd,
               reported_outstanding_vnd, outstanding_difference_vnd, overdue_vnd,
               reported_overdue_vnd, overdue_difference_vnd
        from marts.mart_org_summary
        where has_org_report and as_of_date <= ?
          and (groups_difference <> 0 or households_difference <> 0
               or outstanding_difference_vnd <> 0 or overdue_difference_vnd <> 0)
        order by as_of_date, org_code
        """,
        [as_of],
    )
    return out


def _deliveries(con, notes: list[str]) -> Deliveries:
    """Delivery lineage. The marts carry none yet, so this is the one read outside
    marts/recon/quality: an aggregate of the ingestion's load log ``raw._loads`` (counts and
    revisions only, no rows). See docs/reports.md."""
    cols = _columns(con, "raw", "_loads")
    if not cols:
        notes.append("Không đọc được nhật ký nạp dữ liệu (raw._loads).")
        return Deliveries(source="không có")
    rev = next((c for c in ("revision", "_revision") if c in cols), None)
    at = next((c for c in ("loaded_at", "_loaded_at") if c in cols), None)
    n, r, t = con.execute(
        f"select count(*), {f'max({rev})' if rev else 'null'}, "
        f"{f'max({at})' if at else 'null'} from raw._loads"
    ).fetchone()
    # Ingestion stamps loads with the machine's local clock (naive): make that explicit, so the
    # briefing can show it in Hanoi time beside its own production time.
    if t is not None and t.tzinfo is None:
        t = t.astimezone()
    return Deliveries(files=n, latest_revision=r, latest_loaded_at=t, source="raw._loads")
