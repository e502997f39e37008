"""Incremental checks: a run validates only the months that changed; the others' results are
carried forward with the run that checked them, and a break that a re-delivery of an old month
introduces is found.

The mini branch of tests/dbt/fixtures.py (31/12/2021 to 31/03/2022) is built with dbt and
checked (run A). A corrected Mẫu 31 of 31/01/2022 then arrives for office 0101 (_r2, loaded
later) with one loan's balance 5,000 đồng higher: nothing else changed, so the form 01.1 and the
roll-forward of January (previous + month = current) and of February (its opening moved) no
longer tie. After an incremental dbt run, run B must validate January and February again and
find the breaks, and carry March from run A; run C, with nothing new, validates nothing and
still reports the breaks, from run B."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.quality import run_checks
from tests.dbt_build import dbt_build

sys.path.insert(0, str(Path(__file__).parents[1] / "dbt"))
import fixtures  # noqa: E402

pytestmark = pytest.mark.xdist_group("dbt")

LOAN = fixtures.LOANS[0].code


def _dbt(warehouse: Path, work: Path, *args: str) -> None:
    proc = dbt_build(
        warehouse, work, "--exclude", "resource_type:test", "resource_type:unit_test", *args
    )
    assert proc.returncode == 0, proc.stdout[-4000:]


def _redeliver(warehouse: Path) -> None:
    con = duckdb.connect(str(warehouse))
    try:
        con.execute(
            """update raw.m31 set _revision = 2, _loaded_at = timestamp '2022-04-10 08:00:00',
                      _source_file = replace(_source_file, '.csv', '_r2.csv'),
                      outstanding = outstanding + case when loan_code = ? then 5000 else 0 end,
                      outstanding_in_term = outstanding_in_term
                          + case when loan_code = ? then 5000 else 0 end
               where _unit = '0101' and _data_date = ?""",
            [LOAN, LOAN, fixtures.D1],
        )
    finally:
        con.close()


def _months(warehouse: Path, run_id: str, check: str) -> dict[dt.date, tuple[str, int]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute(
            "select as_of_date, checked_in_run_id, items_failed from quality.check_results "
            "where run_id = ? and check_name = ? and row_type = 'month'",
            [run_id, check],
        ).fetchall()
    finally:
        con.close()
    return {d: (run, failed) for d, run, failed in rows}


def _failures(warehouse: Path, run_id: str, check: str) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(
            "select as_of_date, loan_code, difference, checked_in_run_id "
            "from quality.check_results where run_id = ? and check_name = ? "
            "and row_type = 'failure' order by as_of_date",
            [run_id, check],
        ).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    work = tmp_path_factory.mktemp("incremental_checks")
    warehouse = work / "warehouse.duckdb"
    fixtures.build_raw(warehouse)
    _dbt(warehouse, work)
    a = run_checks(warehouse, run_id="run-a")
    _redeliver(warehouse)
    _dbt(warehouse, work)
    b = run_checks(warehouse, run_id="run-b")
    c = run_checks(warehouse, run_id="run-c")
    return warehouse, a, b, c


def test_the_first_run_validates_every_month(runs):
    warehouse, a, _, _ = runs
    rollforward = a.result("loan_rollforward")
    assert rollforward.passed
    assert rollforward.months_validated == 3  # January to March (31/12/2021 opens them)
    months = _months(warehouse, "run-a", "loan_rollforward")
    assert months == {d: ("run-a", 0) for d in (fixtures.D1, fixtures.D2, fixtures.D3)}


def test_a_break_in_an_old_month_from_a_redelivery_is_found(runs):
    warehouse, a, b, _ = runs
    rollforward = b.result("loan_rollforward")
    assert not rollforward.passed
    assert rollforward.items_failed == 2
    assert [(r.as_of_date, r.difference) for r in rollforward.failing_rows] == [
        (fixtures.D1, 5000),
        (fixtures.D2, -5000),
    ]
    assert not b.result("control_totals").passed
    assert b.blocking_failed
    # January and February validated again; March carried from run A
    assert _months(warehouse, "run-b", "loan_rollforward") == {
        fixtures.D1: ("run-b", 1),
        fixtures.D2: ("run-b", 1),
        fixtures.D3: ("run-a", 0),
    }
    assert rollforward.items_checked == a.result("loan_rollforward").items_checked


def test_untouched_months_carry_forward_with_the_run_that_checked_them(runs):
    warehouse, _, b, c = runs
    for result in c.results:
        assert result.months_validated == 0 or result.model == "recon_reconciliation_campaign"
    rollforward = c.result("loan_rollforward")
    assert rollforward.status == b.result("loan_rollforward").status
    assert rollforward.items_failed == 2
    assert {r.checked_in_run_id for r in rollforward.failing_rows} == {"run-b"}
    assert c.blocking_failed
    assert _months(warehouse, "run-c", "loan_rollforward") == {
        fixtures.D1: ("run-b", 1),
        fixtures.D2: ("run-b", 1),
        fixtures.D3: ("run-a", 0),
    }
    # the carried failures are in run C's rows too, naming run B
    assert [
        (d, loan, diff, run)
        for d, loan, diff, run in _failures(warehouse, "run-c", "loan_rollforward")
    ] == [
        (fixtures.D1, LOAN, 5000, "run-b"),
        (fixtures.D2, LOAN, -5000, "run-b"),
    ]


def test_a_whole_run_revalidates_everything(runs):
    warehouse, _, b, _ = runs
    full = run_checks(warehouse, run_id="run-full", incremental=False, persist=False)
    for result in full.results:
        mine = b.result(result.key)
        assert (result.items_checked, result.items_failed) == (
            mine.items_checked,
            mine.items_failed,
        ), result.key
