"""mart_briefing_kpis and mart_org_summary against the mini branch's oracle (fixtures.truth),
which computes the figures from the loans' event histories, not from the delivered rows."""

import pytest
from conftest import fixtures, query

pytestmark = pytest.mark.xdist_group("dbt")

DATES = [fixtures.D1, fixtures.D2, fixtures.D3]


def _kpis(warehouse, at):
    rows = query(warehouse, "select * from marts.mart_briefing_kpis where as_of_date = ?", [at])
    assert len(rows) == 1
    return rows[0]


def test_one_kpi_row_per_delivered_month_end(fixture_warehouse):
    rows = query(
        fixture_warehouse, "select as_of_date from marts.mart_briefing_kpis order by as_of_date"
    )
    assert [r["as_of_date"] for r in rows] == list(fixtures.MONTH_ENDS)


@pytest.mark.parametrize("at", DATES, ids=str)
def test_briefing_kpis_match_the_oracle(fixture_warehouse, at):
    truth = fixtures.truth(at)
    k = _kpis(fixture_warehouse, at)
    for key in (
        "entrusted_outstanding_vnd",
        "direct_outstanding_vnd",
        "total_outstanding_vnd",
        "entrusted_change_ytd_vnd",
        "households_with_entrusted_outstanding",
        "groups_with_outstanding",
        "overdue_vnd",
        "frozen_vnd",
        "reconciliation_in_scope",
        "reconciled_customers",
    ):
        assert k[key] == truth[key], key
    for period in ("qtd", "ytd"):
        for key in (
            "loan_turns",
            "poor_group_turns",
            "job_creation_turns",
            "workers_attracted",
            "water_sanitation_works",
        ):
            assert k[f"{key}_{period}"] == truth[period][key], f"{key}_{period}"
    assert k["entrusted_share"] == pytest.approx(
        truth["entrusted_outstanding_vnd"] / truth["total_outstanding_vnd"]
    )
    assert k["avg_entrusted_outstanding_per_household_vnd"] == pytest.approx(
        truth["entrusted_outstanding_vnd"] / truth["households_with_entrusted_outstanding"]
    )
    assert k["overdue_frozen_ratio"] == pytest.approx(
        (truth["overdue_vnd"] + truth["frozen_vnd"]) / truth["total_outstanding_vnd"]
    )
    assert k["reconciliation_completion"] == pytest.approx(
        truth["reconciled_customers"] / truth["reconciliation_in_scope"]
    )
    assert k["reconciliation_campaign_year"] == at.year


def test_period_end_figures_are_what_the_fixture_was_written_for(fixture_warehouse):
    """Hand-checked expectations of the fixture at 2022-03-31 (guards the oracle itself):
    six Q1 loan turns (the fully reversed loan is not one, the second tranche of a 2021 loan
    is), one near-poor turn, three job-creation turns of which two first disbursed in Q1
    (2 + 3 workers), one water/sanitation loan (2 works)."""
    k = _kpis(fixture_warehouse, fixtures.D3)
    assert (
        k["loan_turns_qtd"],
        k["poor_group_turns_qtd"],
        k["job_creation_turns_qtd"],
        k["workers_attracted_qtd"],
        k["water_sanitation_works_qtd"],
    ) == (6, 1, 3, 5, 2)
    # the savings-book duplicate and the stale M31 revision are not counted
    assert k["total_outstanding_vnd"] == 1_607_500_000


def test_entrusted_change_is_null_without_the_previous_year_end(fixture_warehouse):
    assert _kpis(fixture_warehouse, fixtures.D0)["entrusted_change_ytd_vnd"] is None


@pytest.mark.parametrize("at", DATES, ids=str)
def test_org_summary_matches_the_oracle(fixture_warehouse, at):
    truth = fixtures.truth(at)
    rows = query(
        fixture_warehouse,
        "select * from marts.mart_org_summary where as_of_date = ? order by org_code",
        [at],
    )
    assert [r["org_code"] for r in rows] == ["11", "12", "13", "14", "99"]
    for r in rows:
        t = truth["orgs"][r["org_code"]]
        assert r["outstanding_vnd"] == t["outstanding_vnd"], r["org_code"]
        assert r["households_with_outstanding"] == t["households"], r["org_code"]
        assert r["groups_with_outstanding"] == t["groups"], r["org_code"]
        assert r["disbursed_qtd_vnd"] == truth["qtd"]["disbursed_by_org"][r["org_code"]]


def test_org_summary_carries_the_organizations_own_figures_at_quarter_end(fixture_warehouse):
    rows = {
        r["org_code"]: r
        for r in query(
            fixture_warehouse,
            "select * from marts.mart_org_summary where as_of_date = ?",
            [fixtures.D3],
        )
    }
    assert all(rows[o]["has_org_report"] for o in ("11", "12", "13", "14"))
    assert not rows["99"]["has_org_report"] and rows["99"]["reported_groups"] is None
    # organization 13 reports one household more than the bank (fixtures.hoi_rows)
    assert rows["13"]["households_difference"] == 1
    assert rows["12"]["outstanding_difference_vnd"] == 0
    feb = query(
        fixture_warehouse,
        "select count(*) as n from marts.mart_org_summary where as_of_date = ? and has_org_report",
        [fixtures.D2],
    )
    assert feb[0]["n"] == 0
