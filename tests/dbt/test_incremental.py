"""The incremental path gives the same tables as a full refresh, night after night.

Deliveries arrive over time (tests/dbt/fixtures.py, with a later year end): the opening
31/12/2021 alone, then January 2022 (across the year end), February and March (month ends),
November and December 2022, January 2023 (across the next year end), then corrections: a
re-delivered (_r2) Mẫu 31 of 31/12/2022 and a re-delivered journal day of February 2022. After
the steps marked below, every table of intermediate, marts and recon must equal a
`--full-refresh` build of a copy of the same raw data, row for row; and the corrections must
reach the months that depend on them (the roll-forward of the next month, the year's change
"so với đầu năm", the next campaign's scope), not only their own month."""

from __future__ import annotations

import datetime as dt
import re
import shutil

import duckdb
import pytest
from conftest import fixtures, run_dbt

pytestmark = pytest.mark.xdist_group("dbt")

SCHEMAS = ("intermediate", "marts", "recon")
LOAN = fixtures.LOANS[0].code  # 6600010100000001, office 0101, repaid every month


def _tables(con) -> list[str]:
    return [
        f"{s}.{t}"
        for s, t in con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ('intermediate', 'marts', 'recon') "
            "and table_type = 'BASE TABLE' order by 1, 2"
        ).fetchall()
    ]


# When the dbt run that built a row started: differs between any two runs by construction.
BUILT_AT = "_built_at"


def snapshot(warehouse) -> dict[str, list]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {t: sorted(_rows(con, t), key=repr) for t in _tables(con)}
    finally:
        con.close()


def _rows(con, table: str) -> list[tuple]:
    columns = [d[0] for d in con.execute(f"select * from {table} limit 0").description]
    kept = ", ".join(f'"{c}"' for c in columns if c != BUILT_AT)
    return con.execute(f"select {kept} from {table}").fetchall()


def _build_times(warehouse) -> dict[str, dict]:
    """table -> {partition: the _built_at of its rows} for every table that has the column
    (the incremental models; a partition's rows are written together)."""
    partition_columns = _partition_columns()
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        out = {}
        for table in _tables(con):
            name = table.split(".")[1]
            if name in partition_columns:
                col = partition_columns[name]
                rows = con.execute(
                    f"select distinct {col}, {BUILT_AT} from {table} order by 1"
                ).fetchall()
                out[name] = dict(rows)
        return out
    finally:
        con.close()


def _partition_columns() -> dict[str, str]:
    """model -> partition column (unique_key of the delete+insert strategy on DuckDB)."""
    import json

    from pipelines.runner.manifest import MANIFEST

    nodes = json.loads(MANIFEST.read_text())["nodes"].values()
    return {
        n["name"]: n["config"]["unique_key"]
        for n in nodes
        if n["resource_type"] == "model" and n["config"].get("materialized") == "incremental"
    }


def _full_refresh_of(warehouse, work, name):
    """A --full-refresh build of a copy of the warehouse's raw data (the reference)."""
    folder = work / name
    folder.mkdir()
    copy = folder / "warehouse.duckdb"
    shutil.copy(warehouse, copy)
    run_dbt(copy, folder, "run", "--full-refresh")
    return snapshot(copy)


def _rebuilt(proc) -> dict[str, int]:
    """model -> partitions rebuilt, from the run's log lines (macros/incremental.sql)."""
    return {m: int(n) for m, n in re.findall(r"(\w+): rebuilding (\d+) partition", proc.stdout)}


def _load(warehouse, month_ends, hour):
    fixtures.build_raw(
        warehouse, month_ends, create=False, loaded_at=dt.datetime(2023, 2, 1, hour, 0, 0)
    )


def _redeliver_m31(warehouse, unit, day, loan, delta, hour):
    """A corrected Mẫu 31 (_r2) of an old date: one loan's outstanding moves by ``delta``."""
    con = duckdb.connect(str(warehouse))
    try:
        con.execute(
            """update raw.m31 set _revision = 2, _loaded_at = ?,
                      _source_file = replace(_source_file, '.csv', '_r2.csv'),
                      outstanding = outstanding + case when loan_code = ? then ? else 0 end,
                      outstanding_in_term = outstanding_in_term
                          + case when loan_code = ? then ? else 0 end
               where _unit = ? and _data_date = ?""",
            [dt.datetime(2023, 2, 1, hour), loan, delta, loan, delta, unit, day],
        )
    finally:
        con.close()


def _redeliver_skgd(warehouse, unit, day, hour):
    """A journal day delivered again (_r2), same lines: nothing may change but its load time."""
    con = duckdb.connect(str(warehouse))
    try:
        con.execute(
            """update raw.skgd set _revision = 2, _loaded_at = ?,
                      _source_file = replace(_source_file, '.csv', '_r2.csv')
               where _unit = ? and _data_date = ?""",
            [dt.datetime(2023, 2, 1, hour), unit, day],
        )
    finally:
        con.close()


@pytest.fixture(scope="module")
def history(tmp_path_factory, dbt_manifest):
    """Runs the nights; returns {step: (incremental snapshot, full-refresh snapshot, rebuilt)}."""
    work = tmp_path_factory.mktemp("dbt_incremental")
    warehouse = work / "warehouse.duckdb"
    fixtures.build_raw(warehouse, (fixtures.D0,), loaded_at=dt.datetime(2023, 2, 1, 1))
    run_dbt(warehouse, work, "seed")
    run_dbt(warehouse, work, "run")
    steps = {}

    def night(name, compare=True):
        proc = run_dbt(warehouse, work, "run")
        full = _full_refresh_of(warehouse, work, name) if compare else None
        steps[name] = (snapshot(warehouse), full, _rebuilt(proc), _build_times(warehouse))

    _load(warehouse, (fixtures.D1,), 2)
    night("year_end_2021", compare=False)
    _load(warehouse, (fixtures.D2, fixtures.D3), 3)
    night("month_ends")
    _load(warehouse, (fixtures.D11, fixtures.D12), 4)
    night("late_2022", compare=False)
    _load(warehouse, (fixtures.D13,), 5)
    night("year_end_2022")
    _redeliver_m31(warehouse, "0101", fixtures.D12, LOAN, 7_000, 6)
    night("redelivered_december", compare=False)
    _redeliver_skgd(warehouse, "0101", dt.date(2022, 2, 15), 7)
    night("redelivered_journal_day")
    return work, warehouse, steps


COMPARED = ("month_ends", "year_end_2022", "redelivered_journal_day")


@pytest.mark.parametrize("step", COMPARED)
def test_incremental_equals_full_refresh(history, step):
    _, _, steps = history
    incremental, full, *_ = steps[step]
    assert sorted(incremental) == sorted(full)
    assert len(full) >= 25
    different = [t for t in full if incremental[t] != full[t]]
    assert different == [], f"tables that differ from a full refresh after {step}: {different}"


def test_every_month_end_is_built(history):
    _, _, steps = history
    kpis = steps["redelivered_journal_day"][0]["marts.mart_briefing_kpis"]
    assert sorted(r[0] for r in kpis) == list(fixtures.HISTORY_MONTH_ENDS)


def _query(warehouse, sql, params=()):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def test_a_night_rebuilds_only_the_months_it_touched(history):
    _, _, steps = history
    # a new month-end: that month only, in every monthly model
    rebuilt = steps["year_end_2022"][2]
    assert rebuilt["int_loan_month_balances"] == 1
    assert rebuilt["int_customer_month_facts"] == 1
    assert rebuilt["mart_briefing_kpis"] == 1
    assert rebuilt["recon_loan_rollforward"] == 1
    # a journal day re-delivered: only the models that read the journal, only that month / day
    rebuilt = steps["redelivered_journal_day"][2]
    assert rebuilt["fct_repayment"] == 1
    assert rebuilt["int_loan_journal_monthly"] == 1
    assert rebuilt["int_loan_rollforward"] == 2  # February, and March whose opening is February
    assert rebuilt["int_loan_month_balances"] == 0
    assert rebuilt["recon_control_totals"] == 0
    assert rebuilt["mart_program_summary"] == 0


def test_a_night_stamps_the_partitions_it_rebuilt_and_only_those(history):
    """``_built_at`` is what a night's data tests select its rows by (macros/rebuilt_rows.sql):
    the partitions it rebuilt carry the night's start, every other keeps its own build's (a
    model that rebuilt nothing has none of the night's)."""
    _, _, steps = history
    names = list(steps)
    for before, night in zip(names, names[1:], strict=False):
        rebuilt, earlier, now = steps[night][2], steps[before][3], steps[night][3]
        started = max(t for parts in now.values() for t in parts.values())
        for model, parts in now.items():
            stamped = sorted(p for p, t in parts.items() if t == started)
            # a rebuilt partition without rows has nothing to stamp (macros/incremental.sql)
            assert len(stamped) <= rebuilt[model], (night, model, stamped)
            kept = {p: t for p, t in parts.items() if t != started}
            assert kept == {p: earlier[model][p] for p in kept}, (night, model)


def test_a_redelivered_year_end_reaches_the_next_year(history):
    """The corrected 31/12/2022 moves December, January 2023's roll-forward opening, its change
    'so với đầu năm' and the 2023 campaign's scope, and leaves 2022's earlier months alone."""
    work, warehouse, steps = history
    rebuilt = steps["redelivered_december"][2]
    assert rebuilt["int_loan_month_balances"] == 1
    assert rebuilt["int_loan_rollforward"] == 2  # December and January
    assert rebuilt["mart_briefing_kpis"] == 2
    assert rebuilt["recon_reconciliation_campaign"] == 2
    before, after = steps["year_end_2022"][0], steps["redelivered_december"][0]
    # (table, position of as_of_date)
    changed = {
        t: sorted({r[i] for r in set(after[t]) ^ set(before[t])})
        for t, i in (("marts.mart_briefing_kpis", 0), ("recon.recon_loan_rollforward", 1))
    }
    assert changed["marts.mart_briefing_kpis"] == [fixtures.D12, fixtures.D13]
    assert changed["recon.recon_loan_rollforward"] == [fixtures.D12, fixtures.D13]
    # the breaks the correction introduced are in the rebuilt months
    breaks = _query(
        warehouse,
        "select as_of_date, check_item, difference from recon.recon_loan_rollforward "
        "where is_break and loan_code = ? order by 1",
        [LOAN],
    )
    assert breaks == [(fixtures.D12, "outstanding", 7_000), (fixtures.D13, "outstanding", -7_000)]
    scope = _query(
        warehouse,
        "select as_of_date, expected - actual from recon.recon_reconciliation_campaign "
        "where is_break and check_item = 'scope_customer' order by 1",
    )
    assert scope == [(fixtures.D13, 7_000)]


def test_a_vars_window_rebuilds_that_window_and_changes_nothing(history):
    work, warehouse, steps = history
    proc = run_dbt(
        warehouse,
        work,
        "run",
        "--select",
        "int_loan_month_balances",
        "fct_repayment",
        "mart_briefing_kpis",
        "--vars",
        "{start_date: '2022-02-01', end_date: '2022-02-28'}",
    )
    rebuilt = _rebuilt(proc)
    assert rebuilt["int_loan_month_balances"] == 1
    assert rebuilt["mart_briefing_kpis"] == 1
    assert rebuilt["fct_repayment"] >= 1
    assert snapshot(warehouse) == steps["redelivered_journal_day"][1]


def _kinds(manifest) -> dict[str, str]:
    out = {}
    for node in manifest["nodes"].values():
        m = re.search(r"incremental_months\('(\w+)'", node.get("raw_code", ""))
        if node["resource_type"] == "model" and m:
            out[node["unique_id"]] = m.group(1)
    return out


def test_each_incremental_model_covers_what_it_reads(dbt_manifest):
    """A model's month dependency kind covers the kinds of the incremental models it reads,
    and a model reading int_communes declares communes=true (macros/incremental.sql)."""
    import json

    manifest = json.loads(dbt_manifest.read_text())
    kinds = _kinds(manifest)
    order = ["day", "month", "previous_month", "quarter", "campaign"]
    incremental = [
        n
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model" and n["config"]["materialized"] == "incremental"
    ]
    assert len(incremental) >= 20
    problems = []
    for node in incremental:
        uid = node["unique_id"]
        if uid not in kinds:
            problems.append(f"{node['name']}: incremental without incremental_months()")
            continue
        for parent in node["depends_on"]["nodes"]:
            if parent in kinds and order.index(kinds[parent]) > order.index(kinds[uid]):
                problems.append(f"{node['name']} ({kinds[uid]}) reads {parent} ({kinds[parent]})")
            if parent.endswith(".int_communes") and "communes=true" not in node["raw_code"]:
                problems.append(f"{node['name']} reads int_communes without communes=true")
    assert problems == []


def _compiled_tests(work, model: str) -> dict[str, str]:
    """test name -> its compiled SQL, from the last dbt command's run_results.json."""
    import json

    results = json.loads((work / "target" / "run_results.json").read_text())["results"]
    return {
        r["unique_id"].split(".")[2]: r["compiled_code"]
        for r in results
        if r["unique_id"].startswith("test.") and model in r["unique_id"]
    }


def test_a_build_tests_the_rows_it_rebuilt_and_dbt_test_every_row(history):
    """A night's data tests read the partitions it rebuilt (macros/rebuilt_rows.sql), except a
    uniqueness test whose key spans partitions; `dbt test` alone reads every row."""
    work, warehouse, _ = history
    run_dbt(warehouse, work, "build", "--select", "fct_repayment")
    built = _compiled_tests(work, "fct_repayment")
    assert "_built_at = " in built["not_null_fct_repayment_txn_id"]
    assert "_built_at" not in built["unique_fct_repayment_txn_id"]  # a txn id seen on two days
    run_dbt(warehouse, work, "test", "--select", "fct_repayment")
    tested = _compiled_tests(work, "fct_repayment")
    assert sorted(tested) == sorted(built)
    assert not any("_built_at" in sql for sql in tested.values())
