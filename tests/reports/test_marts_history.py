"""The SQL of the comparison and reconciliation marts on a history across a year end: the dbt
models mart_briefing_comparisons and mart_reconciliation_summary are built (`dbt build`) on top
of the five-quarter fixture warehouse, whose own versions of them were computed independently
in Python and SQL (fixture_warehouse.py), and the two must agree row for row."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from fixture_warehouse import build_fixture

from tests.dbt_build import dbt_build

pytestmark = [pytest.mark.xdist_group("reports-history"), pytest.mark.slow]


COLUMNS = {
    "mart_briefing_comparisons": (
        "as_of_date, measure, as_of_value, previous_quarter_end_date, previous_quarter_value, "
        "change_previous_quarter, year_ago_date, year_ago_value, change_year_ago"
    ),
    "mart_reconciliation_summary": (
        "as_of_date, campaign_year, breakdown, pgd_code, district_name, org_code, org_short, "
        "in_scope_customers, reconciled_customers, matched_customers, discrepancy_customers, "
        "pending_customers, completion_rate"
    ),
}


def _read(wh: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(wh), read_only=True)
    try:
        return {
            m: con.execute(f"select {c} from marts.{m} order by all").fetchall()
            for m, c in COLUMNS.items()
        }
    finally:
        con.close()


def _same(a: list[tuple], b: list[tuple]) -> bool:
    """Row for row; numbers exact up to the last place of DECIMAL(38,6) (a double's difference
    and the difference of two rounded decimals may differ there)."""

    def close(x, y) -> bool:
        if isinstance(x, int | float | Decimal) and isinstance(y, int | float | Decimal):
            return abs(Decimal(str(x)) - Decimal(str(y))) <= Decimal("0.000002")
        return x == y

    return len(a) == len(b) and all(
        len(r) == len(q) and all(close(x, y) for x, y in zip(r, q, strict=True))
        for r, q in zip(a, b, strict=True)
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict:
    work = tmp_path_factory.mktemp("marts-history")
    wh = work / "warehouse.duckdb"
    build_fixture(wh, quarters=5, scale=0.01)
    oracle = _read(wh)
    # `dbt build` of the two models alone: their upstream refs are the fixture's tables, and
    # their data tests (keys, relationships, the reconciliation identity) run too
    proc = dbt_build(wh, work, "--select", *COLUMNS)
    assert proc.returncode == 0, proc.stdout[-5000:]
    dbt = _read(wh)
    return {"oracle": oracle, "dbt": dbt}


def test_comparisons_across_the_year_end(built):
    oracle, dbt = (
        built["oracle"]["mart_briefing_comparisons"],
        built["dbt"]["mart_briefing_comparisons"],
    )
    # the fixture compares every KPI; the mart compares the measures it lists
    measures = {r[1] for r in dbt}
    assert {"entrusted_outstanding_vnd", "loan_turns_ytd", "overdue_frozen_ratio"} <= measures
    assert _same(dbt, [r for r in oracle if r[1] in measures])
    # 31/03/2023: the previous quarter is 31/12/2022, a year earlier 31/03/2022
    q1 = [r for r in dbt if str(r[0]) == "2023-03-31" and r[1] == "entrusted_outstanding_vnd"]
    assert [(str(r[3]), str(r[6])) for r in q1] == [("2022-12-31", "2022-03-31")]


def test_reconciliation_summary_per_campaign(built):
    oracle, dbt = (
        built["oracle"]["mart_reconciliation_summary"],
        built["dbt"]["mart_reconciliation_summary"],
    )
    assert _same(dbt, oracle)
    assert {r[1] for r in dbt} == {2022, 2023}
