"""The recon models: no break on clean data; each injected fault shows as exactly the right
break (keys and amount) in exactly the right identity."""

import pytest
from conftest import fixtures, query

from pipelines.contract.reports import REPORTS

pytestmark = pytest.mark.xdist_group("dbt")

RECON = [
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


@pytest.mark.parametrize("model", ["recon_org_totals", "recon_reconciliation_campaign"])
def test_faults_do_not_leak_into_other_identities(faulty_warehouse, model):
    assert _breaks(faulty_warehouse, model) == []


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
