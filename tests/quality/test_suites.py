"""The suites on hand-made recon tables: each identity's rules, errors, history, the command."""

from __future__ import annotations

import io
from decimal import Decimal

import duckdb
import pandas as pd
import pytest

from pipelines.quality import Status, check_command, run_checks
from pipelines.quality.identities import all_checks

from .recon_tables import D1, D2, clean_recon, set_row, write_recon

BLOCKING = {c.key for c in all_checks() if c.blocking}


@pytest.fixture
def warehouse(tmp_path):
    return tmp_path / "wh.duckdb"


def _failed(report) -> set[str]:
    return {r.key for r in report.results if not r.passed}


def test_clean_tables_pass_with_items_counted(warehouse):
    write_recon(warehouse, clean_recon())
    report = run_checks(warehouse, persist=False)
    assert [r.key for r in report.results] == [c.key for c in all_checks()]
    for r in report.results:
        assert r.status is Status.PASSED, r.headline()
        assert r.items_checked > 0, r.key
    assert not report.blocking_failed
    assert report.result("control_totals").items_checked == 12
    assert report.result("reconciliation_discrepancies").items_checked == 4  # Khớp rows


def test_control_total_break_is_located(warehouse):
    tables = clean_recon()
    df = tables["recon_control_totals"]
    hit = (df.as_of_date == D2) & (df.row_code == "010102") & (df.column_marker == "(9)")
    df = set_row(df, hit, actual=51_000_000, is_break=True)
    tables["recon_control_totals"] = df
    write_recon(warehouse, tables)

    report = run_checks(warehouse, persist=False)
    assert _failed(report) == {"control_totals"}
    assert report.blocking_failed
    r = report.result("control_totals")
    assert (r.items_checked, r.items_failed) == (12, 1)
    (row,) = r.failing_rows
    assert row.as_of_date == D2 and row.pgd_code == "0101"
    assert row.keys["commune_code"] == "010102" and row.keys["form_code"] == "01.1"
    assert row.column == "(9) outstanding"
    assert (row.expected, row.actual, row.difference) == (50_000_000, 51_000_000, 1_000_000)
    assert "expected = actual" in row.rule and "is_break" in row.rule


def test_rule_restated_independently_of_the_models_flag(warehouse):
    """A difference the model failed to flag still fails; so does a flag on equal figures."""
    tables = clean_recon()
    df = tables["recon_group_register"]
    tables["recon_group_register"] = set_row(df, df.index == 0, actual=97_000_000)  # unflagged
    df = tables["recon_loan_rollforward"]
    df.loc[1, "is_break"] = True  # flagged, figures equal
    write_recon(warehouse, tables)

    report = run_checks(warehouse, persist=False)
    assert _failed(report) == {"group_register", "loan_rollforward"}
    assert report.result("group_register").failing_rows[0].rule == "expected = actual (to the đồng)"
    assert report.result("loan_rollforward").failing_rows[0].rule == "is_break is false"


def test_null_verdict_is_not_a_pass(warehouse):
    tables = clean_recon()
    tables["recon_org_totals"]["is_break"] = tables["recon_org_totals"]["is_break"].astype(object)
    tables["recon_org_totals"].loc[0, "is_break"] = None
    write_recon(warehouse, tables)
    assert _failed(run_checks(warehouse, persist=False)) == {"org_totals"}


def test_discrepancy_row_is_a_finding_not_a_break(warehouse):
    tables = clean_recon()
    df = tables["recon_reconciliation_campaign"]
    # customer 3 reconciled with Chênh lệch: a discrepancy row, flagged as a finding
    extra = df[(df.check_item == "matched_principal")].iloc[[0]].copy()
    extra["customer_code"], extra["check_item"] = "0101000003", "discrepancy"
    extra["actual"], extra["is_finding"] = 17_000_000, True
    extra["difference"] = extra["actual"] - extra["expected"]
    tables["recon_reconciliation_campaign"] = pd.concat([df, extra], ignore_index=True)
    write_recon(warehouse, tables)

    report = run_checks(warehouse, persist=False)
    assert _failed(report) == {"reconciliation_discrepancies"}
    assert not report.blocking_failed
    r = report.result("reconciliation_discrepancies")
    assert not r.blocking and r.status is Status.FAILED
    (row,) = r.failing_rows
    assert row.keys["customer_code"] == "0101000003" and row.difference == -2_000_000
    assert report.result("reconciliation_campaign").passed


def test_reconciled_beyond_scope_and_khop_mismatch_break_identity_5(warehouse):
    tables = clean_recon()
    df = tables["recon_reconciliation_campaign"]
    progress = (df.check_item == "reconciled_within_scope") & (df.as_of_date == D1)
    df = set_row(df, progress, actual=4)  # reconciled 4 > 3 in scope (model forgot the flag)
    khop = df.index[(df.check_item == "matched_interest") & (df.as_of_date == D2)][0]
    df = set_row(df, df.index == khop, actual=18_999_000, is_break=True)
    tables["recon_reconciliation_campaign"] = df
    write_recon(warehouse, tables)

    r = run_checks(warehouse, persist=False).result("reconciliation_campaign")
    assert r.status is Status.FAILED and r.items_failed == 2
    rules = {row.column: row.rule for row in r.failing_rows}
    assert rules["reconciled_within_scope"] == "reconciled <= in scope"
    assert "Khớp row: confirmed = bank" in rules["matched_interest"]


def test_scope_customer_missing_from_register_breaks_identity_5(warehouse):
    tables = clean_recon()
    df = tables["recon_reconciliation_campaign"]
    first = df.index[df.check_item == "scope_customer"][0]
    tables["recon_reconciliation_campaign"] = set_row(
        df, df.index == first, missing_in="register", actual=0, is_break=True
    )
    write_recon(warehouse, tables)
    r = run_checks(warehouse, persist=False).result("reconciliation_campaign")
    assert r.items_failed == 1
    assert "customer on both the register and the 31/12 Mẫu 31" in r.failing_rows[0].rule


def test_org_report_difference_is_a_finding(warehouse):
    tables = clean_recon()
    df = tables["recon_org_reports"]
    df.loc[0, ["actual", "difference", "is_finding"]] = [100_020_000, 20_000, True]
    write_recon(warehouse, tables)
    report = run_checks(warehouse, persist=False)
    assert _failed(report) == {"org_reports"} and not report.blocking_failed
    (row,) = report.result("org_reports").failing_rows
    assert row.keys["org_code"] == "11" and row.keys["district_name"] == "Ba Đình"


def test_missing_model_column_or_rows_is_a_loud_error(warehouse):
    tables = clean_recon()
    del tables["recon_loan_rollforward"]
    tables["recon_group_register"] = tables["recon_group_register"].drop(columns=["expected"])
    tables["recon_org_totals"] = tables["recon_org_totals"].iloc[0:0]
    write_recon(warehouse, tables)

    report = run_checks(warehouse, persist=False)
    status = {r.key: r.status for r in report.results}
    assert status["loan_rollforward"] is Status.ERROR
    assert status["group_register"] is Status.ERROR
    assert status["org_totals"] is Status.ERROR
    assert status["control_totals"] is Status.PASSED
    assert report.blocking_failed
    assert "does not exist" in report.result("loan_rollforward").message
    assert "lacks column(s) expected" in report.result("group_register").message
    assert "no rows" in report.result("org_totals").message
    assert any("ERROR" in line for line in report.summary_lines())


def test_missing_warehouse_errors_everything_and_writes_nothing(tmp_path):
    wh = tmp_path / "absent.duckdb"
    report = run_checks(wh)
    assert all(r.status is Status.ERROR for r in report.results)
    assert report.blocking_failed
    assert not wh.exists()


def test_as_of_checks_the_latest_date_on_or_before(warehouse):
    tables = clean_recon()
    df = tables["recon_group_register"]
    tables["recon_group_register"] = set_row(df, df.as_of_date == D1, actual=1, is_break=True)
    write_recon(warehouse, tables)

    assert "group_register" in _failed(run_checks(warehouse, as_of=D1, persist=False))
    later = run_checks(warehouse, as_of=D2, persist=False)
    assert later.result("group_register").passed
    assert later.result("group_register").items_checked == 4  # only D2's rows
    # mid-February: January's figures are the latest known
    mid = run_checks(warehouse, as_of=D1.replace(day=31).replace(month=1), persist=False)
    assert mid.result("group_register").status is Status.FAILED
    # before anything was delivered: nothing to check is an error, not a pass
    early = run_checks(warehouse, as_of=D1.replace(day=1), persist=False)
    assert early.result("control_totals").status is Status.ERROR


def test_history_is_appended_with_every_failing_row(warehouse):
    tables = clean_recon()
    df = tables["recon_loan_rollforward"]
    tables["recon_loan_rollforward"] = set_row(
        df, df.check_item == "outstanding", actual=48_000_000, is_break=True
    )
    write_recon(warehouse, tables)
    first = run_checks(warehouse, run_id="run-1")
    run_checks(warehouse, run_id="run-2")

    with duckdb.connect(str(warehouse), read_only=True) as con:
        runs = con.execute(
            "select run_id, checks, blocking_failed from quality.check_runs order by run_id"
        ).fetchall()
        assert runs == [("run-1", len(all_checks()), True), ("run-2", len(all_checks()), True)]
        summary = con.execute(
            "select check_name, status, items_checked, items_failed from quality.check_results "
            "where run_id = 'run-1' and row_type = 'summary' order by identity_no, check_name"
        ).fetchall()
        assert ("loan_rollforward", "failed", 6, 3) in summary
        assert len(summary) == len(first.results)
        failures = con.execute(
            "select pgd_code, loan_code, customer_code, column_name, expected, actual, difference "
            "from quality.check_results where run_id = 'run-1' and row_type = 'failure' "
            "order by loan_code"
        ).fetchall()
    assert len(failures) == 3
    assert failures[0] == (
        "0101",
        "6600010100000001",
        "0101000001",
        "outstanding",
        Decimal("49000000"),
        Decimal("48000000"),
        Decimal("-1000000"),
    )


def test_summary_caps_rows_and_gives_the_total(warehouse):
    tables = clean_recon()
    df = tables["recon_group_register"]
    tables["recon_group_register"] = set_row(df, df.index >= 0, actual=0, is_break=True)
    write_recon(warehouse, tables)
    lines = run_checks(warehouse, persist=False).summary_lines(max_rows=3)
    text = "\n".join(lines)
    assert "8 items checked, 8 failed" in text
    assert "... 5 more of 8" in text
    assert sum(1 for line in lines if "group_code=" in line) == 3


def test_check_command_exit_codes(warehouse):
    tables = clean_recon()
    df = tables["recon_org_reports"]
    df.loc[0, ["actual", "difference", "is_finding"]] = [100_020_000, 20_000, True]
    write_recon(warehouse, tables)
    out = io.StringIO()
    assert check_command(warehouse, out=out) == 0  # findings only
    assert "FINDINGS" in out.getvalue() and "No blocking failure." in out.getvalue()

    df = tables["recon_control_totals"]
    tables["recon_control_totals"] = set_row(df, df.index == 0, actual=1, is_break=True)
    write_recon(warehouse, tables)
    out = io.StringIO()
    assert check_command(warehouse, out=out, max_rows=1) == 1
    assert "BLOCKING: 1 control_totals" in out.getvalue()


def _long_rollforward(tables, loans: int):
    """The roll-forward model with ``loans`` loans (two rows each): several 2,048-row chunks."""
    base = tables["recon_loan_rollforward"].iloc[:2]
    df = pd.concat([base] * loans, ignore_index=True)
    df["loan_code"] = [f"66000101{i // 2:08d}" for i in range(len(df))]
    return df


def test_chunks_locate_breaks_anywhere_in_a_long_model(warehouse):
    tables = clean_recon()
    df = _long_rollforward(tables, 5_000)  # 10,000 rows: five chunks of 2,048 rows
    hit = df.loan_code.isin(["6600010100000000", "6600010100003000", "6600010100004999"])
    tables["recon_loan_rollforward"] = set_row(df, hit & (df.check_item == "TNTH"), actual=7)
    write_recon(warehouse, tables)

    whole = run_checks(warehouse, persist=False).result("loan_rollforward")
    progress: list[str] = []
    chunked = run_checks(
        warehouse, persist=False, chunk_rows=2_048, progress=progress.append
    ).result("loan_rollforward")
    assert sum("identity 2: validating rows" in m for m in progress) == 5
    for r in (whole, chunked):
        assert (r.items_checked, r.items_failed) == (10_000, 3)
        assert [row.keys["loan_code"] for row in r.failing_rows] == [
            "6600010100000000",
            "6600010100003000",
            "6600010100004999",
        ]
        assert {(row.expected, row.actual, row.column) for row in r.failing_rows} == {
            (1_000_000, 7, "TNTH")
        }


def test_listing_is_capped_but_every_break_is_counted(warehouse, monkeypatch):
    from pipelines.quality import runner

    monkeypatch.setattr(runner, "MAX_LISTED_ROWS", 100)
    tables = clean_recon()
    df = _long_rollforward(tables, 2_500)
    tables["recon_loan_rollforward"] = set_row(df, df.check_item == "outstanding", actual=0)
    write_recon(warehouse, tables)

    r = run_checks(warehouse, persist=False, chunk_rows=2_048).result("loan_rollforward")
    assert (r.items_checked, r.items_failed, len(r.failing_rows)) == (5_000, 2_500, 100)
    assert r.message == "2500 breaks (the first 100 by rowid listed)"
    assert r.failing_rows[0].keys["loan_code"] == "6600010100000000"


def test_chunk_size_setting_is_validated(monkeypatch):
    from pipelines.settings import DEFAULT_CHECK_CHUNK_ROWS, check_chunk_rows

    monkeypatch.delenv("NHCS_CHECK_CHUNK_ROWS", raising=False)
    assert check_chunk_rows() == DEFAULT_CHECK_CHUNK_ROWS
    monkeypatch.setenv("NHCS_CHECK_CHUNK_ROWS", "500000")
    assert check_chunk_rows() == 500_000
    for bad in ("0", "lots"):
        monkeypatch.setenv("NHCS_CHECK_CHUNK_ROWS", bad)
        with pytest.raises(ValueError, match="NHCS_CHECK_CHUNK_ROWS"):
            check_chunk_rows()
