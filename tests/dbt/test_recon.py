"""The recon models: no break on clean data; each injected fault shows as exactly the right
break (keys and amount) in exactly the right identity.

Every check proven able to fail: for each rule of each identity (contract §5) and for the
deliveries (contract §1), a break is planted in the mini branch's raw rows (``faulty_warehouse``
in conftest.py, ``planted`` and ``gaps`` here), the project is rebuilt with dbt, and the
Great Expectations checks (``run_checks``) must report it failed, located (date, office and
the item's keys) and counted (exactly the planted items, nothing else in that check)."""

import duckdb
import pytest
from conftest import fixtures, query, run_dbt

from pipelines.contract.naming import file_name
from pipelines.contract.reports import REPORT_BY_CODE, REPORTS
from pipelines.quality import Status, run_checks

pytestmark = pytest.mark.xdist_group("dbt")

D0, D1, D2, D3 = fixtures.D0, fixtures.D1, fixtures.D2, fixtures.D3

RECON = [
    "recon_deliveries",
    "recon_control_totals",
    "recon_loan_rollforward",
    "recon_group_register",
    "recon_org_totals",
    "recon_reconciliation_campaign",
    "recon_org_reports",
]


def _breaks(warehouse, model):
    return query(warehouse, f"select * from recon.{model} where is_break")


def _count(warehouse, model):
    return query(warehouse, f"select count(*) as n from recon.{model}")[0]["n"]


@pytest.mark.parametrize("model", RECON)
def test_clean_data_has_no_break_and_checks_something(fixture_warehouse, model):
    assert _count(fixture_warehouse, model) > 0, f"{model} checked nothing"
    assert _breaks(fixture_warehouse, model) == []


def test_every_form_cell_is_checked(fixture_warehouse):
    # 15 columns × (rows + total row) of every delivered form
    rows = query(
        fixture_warehouse,
        """
        select count(distinct column_marker) as markers,
               count(distinct pgd_code || form_code || cast(as_of_date as varchar)) as forms
        from recon.recon_control_totals""",
    )[0]
    assert rows["markers"] == 15
    assert rows["forms"] == 3 * 2 * 4


def test_deliveries_name_the_file_as_the_contract_does(fixture_warehouse):
    """The file names written in SQL (macros/file_names.sql) match pipelines.contract.naming."""
    rows = query(
        fixture_warehouse,
        "select as_of_date, pgd_code, report_code, expected_file from recon.recon_deliveries "
        "where report_code <> 'SKGD' "
        "union all select as_of_date, org_code, 'HOI', expected_file from recon.recon_org_reports "
        "where check_item = 'report_delivered'",
    )
    assert {r["report_code"] for r in rows} == {
        "M31",
        "BCDHTD_01.1",
        "BCDHTD_01.2",
        "BC0437",
        "DOICHIEU",
        "HOI",
    }
    for r in rows:
        spec = REPORT_BY_CODE[r["report_code"]]
        stem = file_name(spec, r["pgd_code"], r["as_of_date"], "csv").removesuffix(".csv")
        assert r["expected_file"] == stem, r


def test_clean_mini_branch_passes_every_blocking_check(fixture_warehouse):
    report = run_checks(fixture_warehouse, persist=False)
    assert not report.blocking_failed, report.summary_lines()
    assert {r.key for r in report.results if not r.passed} == {
        "deliveries_optional",  # the mini branch delivers no register at its opening (below)
        "reconciliation_discrepancies",
        "org_reports",
    }
    assert _located(report, "deliveries_optional") == {
        (D0, office, f"DOICHIEU_{office}_20211231", "DOICHIEU", -1) for office in fixtures.OFFICES
    }


def test_findings_are_listed_not_blocking(fixture_warehouse):
    org = query(
        fixture_warehouse,
        "select * from recon.recon_org_reports where is_finding order by is_total_row",
    )
    assert [(r["org_code"], r["pgd_code"], r["check_item"], r["difference"]) for r in org] == [
        ("13", "0102", "households_with_outstanding", 1),
        ("13", None, "households_with_outstanding", 1),
    ]
    rec = query(
        fixture_warehouse,
        """select * from recon.recon_reconciliation_campaign
                                      where is_finding order by as_of_date""",
    )
    assert [(str(r["as_of_date"]), r["customer_code"], r["difference"]) for r in rec] == [
        ("2022-02-28", "0101000002", -1_000_000),
        ("2022-03-31", "0101000002", -1_000_000),
    ]


def test_control_total_fault_is_pinpointed(faulty_warehouse):
    commune = sum(
        fixtures.loan_state(x, fixtures.D2).outstanding
        for x in fixtures.LOANS
        if fixtures.CUSTOMER_BY_CODE[x.customer].commune == "010101"
    )
    breaks = _breaks(faulty_warehouse, "recon_control_totals")
    assert [
        (
            str(b["as_of_date"]),
            b["pgd_code"],
            b["form_code"],
            b["check_item"],
            b["row_code"],
            b["column_marker"],
            b["expected"],
            b["actual"],
            b["difference"],
        )
        for b in breaks
    ] == [
        (
            "2022-02-28",
            "0101",
            "01.1",
            "row_vs_m31",
            "010101",
            "(9)",
            commune,
            commune + 1_000_000,
            1_000_000,
        ),
    ]


def test_rollforward_fault_is_pinpointed(faulty_warehouse):
    breaks = _breaks(faulty_warehouse, "recon_loan_rollforward")
    assert [
        (
            str(b["as_of_date"]),
            b["pgd_code"],
            b["loan_code"],
            b["check_item"],
            b["expected"],
            b["actual"],
            b["difference"],
        )
        for b in breaks
    ] == [
        ("2022-03-31", "0101", "6600010100000001", "TNTH", 990_000, 1_000_000, 10_000),
    ]


def test_group_register_fault_is_pinpointed(faulty_warehouse):
    breaks = _breaks(faulty_warehouse, "recon_group_register")
    assert [
        (str(b["as_of_date"]), b["pgd_code"], b["group_code"], b["check_item"], b["difference"])
        for b in breaks
    ] == [
        ("2022-01-31", "0102", "0102001", "savings_balance", 5_000),
    ]


@pytest.mark.parametrize("model", ["recon_deliveries", "recon_reconciliation_campaign"])
def test_faults_do_not_leak_into_other_identities(faulty_warehouse, model):
    assert _breaks(faulty_warehouse, model) == []


def test_a_form_total_off_breaks_the_office_total_of_identity_4(faulty_warehouse):
    """The control-total fault is carried into the form's TỔNG CỘNG: the official total of
    0101 at 28/02 no longer equals its organizations' Mẫu 31 sum."""
    breaks = _breaks(faulty_warehouse, "recon_org_totals")
    assert [
        (str(b["as_of_date"]), b["pgd_code"], b["check_item"], b["difference"]) for b in breaks
    ] == [("2022-02-28", "0101", "total_outstanding", -1_000_000)]


def test_faults_are_caught_located_and_counted_by_the_checks(faulty_warehouse):
    report = run_checks(faulty_warehouse, persist=False)
    blocking = {r.key for r in report.results if r.blocking and not r.passed}
    assert blocking == {"control_totals", "loan_rollforward", "group_register", "org_totals"}
    assert _located(report, "org_totals") == {(D2, "0101", "total_outstanding", -1_000_000)}
    assert _located(report, "control_totals") == {
        (D2, "0101", "01.1", "010101", "(9) outstanding", 1_000_000)
    }
    assert _located(report, "loan_rollforward") == {
        (D3, "0101", "6600010100000001", "TNTH", 10_000)
    }
    assert _located(report, "group_register") == {(D1, "0102", "0102001", "savings_balance", 5_000)}
    for key in blocking:
        for row in report.result(key).failing_rows:
            # both the model's verdict and the suite's own restatement of the rule caught it
            assert "is_break is false" in row.rule and "expected = actual" in row.rule


# --------------------------------------------------------------------------------------------
# Planted breaks: one warehouse per group of breaks that cannot interfere with each other's
# checks. Each plant is an UPDATE/DELETE/INSERT on the raw rows, as a bad delivery would land.
# --------------------------------------------------------------------------------------------

PLANTED = {
    # identity 1 (total row) and identity 4 (office total): the TỔNG CỘNG row of 0101's form
    # 01.1 at 31/03 is 2,000,000 đồng above its rows and above Mẫu 31
    "form_total": """update raw.bcdhtd_011 set outstanding_mil = outstanding_mil + 2
        where _unit = '0101' and _data_date = '2022-03-31' and row_kind = 'total'""",
    # identity 2 (outstanding): the direct loan of 0100 jumps by 3,000,000 đồng at 28/02 with
    # no flow to explain it (the office's forms agree with its Mẫu 31, so identity 1 holds):
    # February's roll-forward is 3,000,000 short, March's 3,000,000 over
    "outstanding_jump": """
        update raw.m31 set outstanding = outstanding + 3000000,
            outstanding_in_term = outstanding_in_term + 3000000
        where loan_code = '6000010000000001' and _data_date = '2022-02-28';
        update raw.bcdhtd_011 set outstanding_mil = outstanding_mil + 3,
            outstanding_in_term_mil = outstanding_in_term_mil + 3,
            outstanding_short_mil = outstanding_short_mil + 3
        where _unit = '0100' and _data_date = '2022-02-28';
        update raw.bcdhtd_012 set outstanding_mil = outstanding_mil + 3,
            outstanding_in_term_mil = outstanding_in_term_mil + 3,
            outstanding_short_mil = outstanding_short_mil + 3
        where _unit = '0100' and _data_date = '2022-02-28'""",
    # identity 4: 0101's direct social-housing loan (channel 1) booked to organization 12
    "direct_loan_booked_to_an_org": """update raw.m31 set org_code = '12'
        where loan_code = '6000010100000001' and _data_date = '2022-01-31'""",
    # identity 4: an entrusted loan of 0102 booked to organization 15, which does not exist
    "unknown_org": """update raw.m31 set org_code = '15'
        where loan_code = '6600010200000002' and _data_date = '2022-01-31'""",
    # identity 5 (scope): a customer in scope left off 0101's register at 31/01
    "scope_customer_missing": """delete from raw.doichieu
        where _unit = '0101' and _data_date = '2022-01-31' and customer_code = '0101000001'""",
    # identity 5 (Khớp): confirmed interest 1,000 đồng above the bank's on a Khớp row
    "khop_mismatch": """update raw.doichieu set confirmed_interest = confirmed_interest + 1000
        where _unit = '0102' and _data_date = '2022-03-31' and customer_code = '0102000002'""",
    # identity 5 (reconciled <= in scope): 0100 reconciles a customer outside the scope
    "reconciled_beyond_scope": """insert into raw.doichieu
        select * replace ('0100000002' as customer_code) from raw.doichieu
        where _unit = '0100' and _data_date = '2022-02-28'""",
    # identity 6: organization 14 sends no report for the quarter
    "hoi_missing": "delete from raw.hoi where org_code = '14' and _data_date = '2022-03-31'",
}

GAPS = {
    # a month-end snapshot missing for an office
    "m31_missing": "delete from raw.m31 where _unit = '0102' and _data_date = '2022-02-28'",
    "form_missing": "delete from raw.bcdhtd_012 where _unit = '0100' and _data_date = '2022-03-31'",
    "group_register_missing": (
        "delete from raw.bc0437 where _unit = '0101' and _data_date = '2022-03-31'"
    ),
    "campaign_register_missing": (
        "delete from raw.doichieu where _unit = '0100' and _data_date = '2022-02-28'"
    ),
    # a hole in the daily journals: 0101's journal of 15/03 never arrived
    "journal_day_missing": "delete from raw.skgd where _unit = '0101' and _data_date = '2022-03-15'",
    # no month-end file at all for 31/01 (the journal goes on)
    "month_end_missing": "; ".join(
        f"delete from raw.{spec.table} where _data_date = '2022-01-31'"
        for spec in REPORTS
        if spec.code != "SKGD"
    ),
}


def _build_planted(tmp_path_factory, name: str, plants: dict[str, str]):
    work = tmp_path_factory.mktemp(name)
    warehouse = work / "warehouse.duckdb"
    fixtures.build_raw(warehouse)
    with duckdb.connect(str(warehouse)) as con:
        for sql in plants.values():
            con.execute(sql)
    run_dbt(warehouse, work, "seed")
    run_dbt(warehouse, work, "run")
    return warehouse, run_checks(warehouse, persist=False)


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    return _build_planted(tmp_path_factory, "dbt_planted", PLANTED)


@pytest.fixture(scope="module")
def gaps(tmp_path_factory):
    return _build_planted(tmp_path_factory, "dbt_gaps", GAPS)


_LOCATORS = {
    "deliveries": ("expected_file",),
    "deliveries_optional": ("expected_file",),
    "control_totals": ("form_code", "commune_code"),
    "loan_rollforward": ("loan_code",),
    "group_register": ("group_code",),
    "org_totals": (),
    "reconciliation_campaign": ("customer_code",),
    "reconciliation_discrepancies": ("customer_code",),
    "org_reports": ("org_code", "district_name", "expected_file"),
}


def _located(report, key: str) -> set[tuple]:
    """Each failing item of a check as (date, office, its locating keys, column, difference);
    the column of a deliveries item is the report due."""
    r = report.result(key)
    assert len(r.failing_rows) == r.items_failed, r.headline()
    out = set()
    for row in r.failing_rows:
        keys = tuple(row.keys.get(k) for k in _LOCATORS[key])
        out.add((row.as_of_date, row.pgd_code, *keys, row.column, row.difference))
    assert len(out) == r.items_failed
    return out


def test_planted_breaks_fail_exactly_their_checks(planted):
    _, report = planted
    assert {r.key for r in report.results if not r.passed} == {
        "control_totals",
        "loan_rollforward",
        "org_totals",
        "reconciliation_campaign",
        "deliveries_optional",
        "reconciliation_discrepancies",
        "org_reports",
    }
    assert report.result("group_register").passed and report.result("deliveries").passed


def test_identity_1_total_row_break(planted):
    _, report = planted
    assert _located(report, "control_totals") == {
        (D3, "0101", "01.1", None, "(9) outstanding", 2_000_000)
    }
    (row,) = report.result("control_totals").failing_rows
    assert row.keys["row_name"] == "TỔNG CỘNG"


def test_identity_2_outstanding_that_does_not_roll_forward(planted):
    _, report = planted
    assert _located(report, "loan_rollforward") == {
        (D2, "0100", "6000010000000001", "outstanding", 3_000_000),
        (D3, "0100", "6000010000000001", "outstanding", -3_000_000),
    }


def test_identity_4_compares_organizations_with_channels_and_official_totals(planted):
    _, report = planted
    r = report.result("org_totals")
    assert r.blocking and r.status is Status.FAILED
    assert _located(report, "org_totals") == {
        # 0101: a direct loan of 500,000,000 booked to organization 12
        (D1, "0101", "entrusted_outstanding", 500_000_000),
        (D1, "0101", "direct_outstanding", -500_000_000),
        # 0102: 30,000,000 booked to organization 15: in no organization 11-14 and not 99
        (D1, "0102", "entrusted_outstanding", -30_000_000),
        (D1, "0102", "total_outstanding", -30_000_000),
        # 0101 at 31/03: the official TỔNG CỘNG is 2,000,000 above Mẫu 31's organizations
        (D3, "0101", "total_outstanding", -2_000_000),
    }


def test_identity_5_scope_progress_and_khop_breaks(planted):
    _, report = planted
    assert _located(report, "reconciliation_campaign") == {
        (D1, "0101", "0101000001", "scope_customer", -49_000_000),
        (D3, "0102", "0102000002", "matched_interest", 1_000),
        (D2, "0100", "0100000002", "scope_customer", 900_000_000),
        (D2, "0100", None, "reconciled_within_scope", 1),
    }
    rows = {row.column: row for row in report.result("reconciliation_campaign").failing_rows}
    # reconciled (register) against the scope from the 31/12 Mẫu 31, not the register again
    assert (rows["reconciled_within_scope"].expected, rows["reconciled_within_scope"].actual) == (
        1,
        2,
    )
    assert "reconciled <= in scope" in rows["reconciled_within_scope"].rule


def test_identity_5_discrepancies_are_findings(planted):
    _, report = planted
    r = report.result("reconciliation_discrepancies")
    assert not r.blocking and r.status is Status.FAILED
    assert _located(report, "reconciliation_discrepancies") == {
        (D2, "0101", "0101000002", "discrepancy", -1_000_000),
        (D3, "0101", "0101000002", "discrepancy", -1_000_000),
    }


def test_identity_6_missing_report_is_a_finding_naming_its_file(planted):
    _, report = planted
    r = report.result("org_reports")
    assert not r.blocking and r.status is Status.FAILED
    assert _located(report, "org_reports") == {
        (D3, None, "14", None, "HOI_14_20220331", "report_delivered", -1),
        # organization 13's own books differ from the bank's by design (fixtures.hoi_rows)
        (D3, "0102", "13", "Hoàn Kiếm", None, "households_with_outstanding", 1),
        (D3, None, "13", "TỔNG CỘNG", None, "households_with_outstanding", 1),
    }


def test_missing_files_block_naming_the_file(gaps):
    _, report = gaps
    r = report.result("deliveries")
    assert r.blocking and r.status is Status.FAILED and report.blocking_failed
    assert _located(report, "deliveries") == {
        (D2, "0102", "M31_0102_20220228", "M31", -1),
        (D3, "0100", "BCDHTD_01.2_0100_31032022", "BCDHTD_01.2", -1),
        (D3, "0101", "BC0437_0101_20220331", "BC0437", -1),
        (D2, "0100", "DOICHIEU_0100_20220228", "DOICHIEU", -1),
        # five loans of 0101 show March activity in Mẫu 31; one has no journal line
        (D3, "0101", "SKGD_0101_202203dd", "SKGD", -1),
    } | {
        # 31/01: a month-end with no file at all is due like any other
        (D1, office, f"{report}_{office}_{D1:%d%m%Y}", report, -1)
        for office in fixtures.OFFICES
        for report in ("BCDHTD_01.1", "BCDHTD_01.2")
    } | {
        (D1, office, f"{report}_{office}_20220131", report, -1)
        for office, report in [(o, r) for o in fixtures.OFFICES for r in ("M31", "DOICHIEU")]
        + [("0101", "BC0437"), ("0102", "BC0437")]
    }
    for row in r.failing_rows:
        assert row.keys["needed_by"]  # which figures the file holds up


def test_a_file_no_figure_needs_is_a_finding(gaps):
    _, report = gaps
    r = report.result("deliveries_optional")
    assert not r.blocking and r.status is Status.FAILED
    assert _located(report, "deliveries_optional") == {
        (D0, office, f"DOICHIEU_{office}_20211231", "DOICHIEU", -1) for office in fixtures.OFFICES
    }


def test_no_personal_data_past_raw(fixture_warehouse):
    personal = {k for spec in REPORTS for k in spec.personal_keys}
    # free-text columns that carry names by bank custom are dropped too
    personal |= {
        "group_name",
        "leader_name",
        "officer",
        "memo",
        "customer_name",
        "national_id",
        "phone",
    }
    found = query(
        fixture_warehouse,
        """
        select table_schema, table_name, column_name from information_schema.columns
        where table_schema not in ('raw', 'information_schema', 'pg_catalog', 'main')""",
    )
    assert {r["table_schema"] for r in found} >= {"staging", "intermediate", "marts", "recon"}
    leaks = [r for r in found if r["column_name"] in personal]
    assert leaks == []
