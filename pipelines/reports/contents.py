"""The briefing's tables in page order, shared by the HTML page and the Excel workbook."""

from __future__ import annotations

from .data import ReportData
from .history import comparison_table, org_history_table, quarter_table
from .tables import (
    Table,
    checks_table,
    debt_district_table,
    debt_org_table,
    hoi_table,
    org_table,
    program_table,
    rating_org_table,
    rating_table,
    recon_district_table,
    recon_org_table,
    trend_table,
)


def all_tables(d: ReportData) -> list[Table]:
    """Every table of the briefing, in page order (None entries dropped)."""
    tables = [
        org_table(d),
        hoi_table(d),
        comparison_table(d),
        program_table(d) if d.programs else None,
        recon_district_table(d) if d.recon_rows("district") else None,
        recon_org_table(d) if d.recon_rows("organization") else None,
        debt_district_table(d) if d.districts else None,
        debt_org_table(d),
        rating_table(d) if d.rating_rows("branch") else None,
        rating_org_table(d) if d.rating_rows("organization") else None,
        quarter_table(d),
        org_history_table(d),
        trend_table(d),
        checks_table(d),
    ]
    return [t for t in tables if t is not None]
