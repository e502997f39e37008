"""The incremental path gives the same tables as a full refresh.

Deliveries arrive over time: the first two month-ends are loaded and built, then the next two
arrive (later _loaded_at) and an incremental `dbt run` adds them. The result must equal a
`--full-refresh` build of the same raw data, table by table. A rebuild of a window passed as
vars (what Dagster sends for a partition) must also leave the tables unchanged."""

import datetime as dt

import duckdb
import pytest
from conftest import fixtures, run_dbt

pytestmark = pytest.mark.xdist_group("dbt")

INCREMENTAL = {
    "intermediate": ["int_loan_month_balances", "int_loan_journal_monthly"],
    "marts": ["fct_loan_balance", "fct_repayment"],
}
DOWNSTREAM = {
    "marts": ["mart_briefing_kpis", "mart_org_summary", "mart_program_summary"],
    "recon": ["recon_loan_rollforward", "recon_control_totals"],
}


def _snapshot(warehouse):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        out = {}
        for group in (INCREMENTAL, DOWNSTREAM):
            for schema, tables in group.items():
                for t in tables:
                    out[f"{schema}.{t}"] = sorted(
                        con.execute(f"select * from {schema}.{t}").fetchall(), key=repr
                    )
        return out
    finally:
        con.close()


@pytest.fixture(scope="module")
def incremental_run(tmp_path_factory):
    work = tmp_path_factory.mktemp("dbt_incremental")
    warehouse = work / "warehouse.duckdb"
    fixtures.build_raw(warehouse, fixtures.MONTH_ENDS[:2])
    run_dbt(warehouse, work, "seed")
    run_dbt(warehouse, work, "run")
    first = _snapshot(warehouse)
    fixtures.build_raw(
        warehouse, fixtures.MONTH_ENDS[2:], create=False, loaded_at=dt.datetime(2022, 4, 2, 8, 0, 0)
    )
    run_dbt(warehouse, work, "run")
    incremental = _snapshot(warehouse)
    run_dbt(warehouse, work, "run", "--full-refresh")
    full = _snapshot(warehouse)
    return work, warehouse, first, incremental, full


def test_incremental_run_adds_the_new_month_ends(incremental_run):
    _, _, first, incremental, _ = incremental_run
    dates = {r[0] for r in incremental["intermediate.int_loan_month_balances"]}
    assert dates == set(fixtures.MONTH_ENDS)
    assert {r[0] for r in first["intermediate.int_loan_month_balances"]} == set(
        fixtures.MONTH_ENDS[:2]
    )


@pytest.mark.parametrize(
    "table", [f"{s}.{t}" for g in (INCREMENTAL, DOWNSTREAM) for s, ts in g.items() for t in ts]
)
def test_incremental_equals_full_refresh(incremental_run, table):
    _, _, _, incremental, full = incremental_run
    assert full[table], f"{table} is empty"
    assert incremental[table] == full[table]


def test_a_vars_window_rebuild_changes_nothing(incremental_run):
    work, warehouse, _, _, full = incremental_run
    run_dbt(
        warehouse,
        work,
        "run",
        "--select",
        "int_loan_month_balances",
        "int_loan_journal_monthly",
        "fct_loan_balance",
        "fct_repayment",
        "--vars",
        "{start_date: '2022-02-01', end_date: '2022-02-28'}",
    )
    assert _snapshot(warehouse) == full


def test_a_redelivered_month_end_is_rebuilt(incremental_run):
    """A corrected M31 (_r2, loaded later) replaces its month-end in the incremental tables."""
    work, warehouse, _, _, _ = incremental_run
    con = duckdb.connect(str(warehouse))
    try:
        con.execute("""update raw.m31 set outstanding = outstanding + 1,
                              outstanding_in_term = outstanding_in_term + 1,
                              _loaded_at = timestamp '2022-04-05 08:00:00'
                       where _unit = '0101' and _data_date = '2022-01-31'
                         and loan_code = '6600010100000001'""")
    finally:
        con.close()
    run_dbt(warehouse, work, "run", "--select", "int_loan_month_balances")
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        got = con.execute("""select outstanding from intermediate.int_loan_month_balances
                             where as_of_date = '2022-01-31'
                               and loan_code = '6600010100000001'""").fetchall()
    finally:
        con.close()
    expected = fixtures.loan_state(fixtures.LOANS[0], fixtures.D1).outstanding + 1
    assert got == [(expected,)]
