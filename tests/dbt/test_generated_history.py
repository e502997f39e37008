"""A five-quarter history (Q1 2022 to Q1 2023, calibration.md §3) through ingestion and dbt:
every month-end's marts against the generator's truth, across the 31/12/2022 year end.

The truth is the generator's own aggregates of its scenario (not of the delivered files); the
marts read the files only. At a year end the year-to-date figures restart, the change "so với
đầu năm" moves to the new 31 December and a new reconciliation campaign starts with the scope
the history itself decides (customers with outstanding at 31/12 of the previous year)."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import query

from pipelines.contract.codes import ENTRUSTED_ORGS
from pipelines.generate import HISTORY_EXAMPLE
from tests.shared_builds import built_demo

pytestmark = [pytest.mark.xdist_group("dbt"), pytest.mark.slow]


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """The five-quarter demo; `dbt build` passed on it: every data test and unit test."""
    demo = built_demo(tmp_path_factory, "history", calibration=HISTORY_EXAMPLE)
    return demo.warehouse, demo.truth


def _previous_year_end(day: str) -> str:
    return str(dt.date(int(day[:4]) - 1, 12, 31))


def _by_date(warehouse, sql):
    return {str(r["as_of_date"]): r for r in query(warehouse, sql)}


def test_the_history_spans_a_year_end(history):
    _, truth = history
    days = sorted(truth["as_of"])
    assert days[0] == "2021-12-31" and days[-1] == "2023-03-31"
    assert "2022-12-31" in days and len(days) == 16
    assert set(truth["campaigns"]) == {"2022", "2023"}


def test_briefing_kpis_equal_the_truth_at_every_month_end(history):
    warehouse, truth = history
    kpis = _by_date(warehouse, "select * from marts.mart_briefing_kpis")
    assert set(kpis) == set(truth["as_of"])
    for day, t in truth["as_of"].items():
        k = kpis[day]
        for mart_key, truth_key in (
            ("entrusted_outstanding_vnd", "entrusted_outstanding_vnd"),
            ("direct_outstanding_vnd", "direct_outstanding_vnd"),
            ("total_outstanding_vnd", "total_outstanding_vnd"),
            ("households_with_entrusted_outstanding", "households_entrusted"),
            ("groups_with_outstanding", "groups_with_outstanding"),
            ("overdue_vnd", "overdue_vnd"),
            ("frozen_vnd", "frozen_vnd"),
        ):
            assert k[mart_key] == t[truth_key], (day, mart_key)
        rec = t["reconciliation"]
        assert k["reconciliation_campaign_year"] == rec["campaign_year"], day
        assert k["reconciliation_in_scope"] == rec["in_scope"], day
        assert k["reconciled_customers"] == rec["reconciled"], day
        for period in ("qtd", "ytd"):
            lending = t["period_lending"][period]
            if lending is None:  # the opening snapshot has no October-November history
                continue
            for key, value in lending.items():
                assert k[f"{key}_{period}"] == value, (day, key, period)


def test_change_since_the_year_start_moves_at_the_year_end(history):
    """ "So với đầu năm" is against the last 31 December before the as-of date: 31/12/2021
    for every 2022 month-end (31/12/2022 included), 31/12/2022 from January 2023."""
    warehouse, truth = history
    kpis = _by_date(warehouse, "select * from marts.mart_briefing_kpis")
    entrusted = {d: t["entrusted_outstanding_vnd"] for d, t in truth["as_of"].items()}
    for day in sorted(truth["as_of"])[1:]:
        base = _previous_year_end(day)
        assert str(kpis[day]["previous_year_end_date"]) == base, day
        assert kpis[day]["entrusted_change_ytd_vnd"] == entrusted[day] - entrusted[base], day
    # The calibration's own "so với đầu năm" at each period end (given or implied).
    for period in truth["periods"]:
        end = period["period"][1]
        assert kpis[end]["entrusted_change_ytd_vnd"] == period["entrusted_change_vnd"], end


def test_year_to_date_lending_restarts_in_january(history):
    warehouse, truth = history
    kpis = _by_date(warehouse, "select * from marts.mart_briefing_kpis")
    jan, dec = kpis["2023-01-31"], kpis["2022-12-31"]
    assert jan["loan_turns_ytd"] == jan["loan_turns_qtd"]
    assert jan["loan_turns_ytd"] < dec["loan_turns_ytd"]
    assert dec["loan_turns_ytd"] == sum(
        p["period_lending"]["loan_turns"]
        for p in truth["periods"]
        if p["period"][1].startswith("2022")
    )


def test_organizations_equal_the_truth_at_every_month_end(history):
    warehouse, truth = history
    rows = query(warehouse, "select * from marts.mart_org_summary")
    got = {(str(r["as_of_date"]), r["org_code"]): r for r in rows}
    for day, t in truth["as_of"].items():
        for code in ENTRUSTED_ORGS:
            o, m = t["orgs"][code], got[(day, code)]
            assert m["outstanding_vnd"] == o["outstanding_vnd"], (day, code)
            assert m["households_with_outstanding"] == o["households"], (day, code)
            assert m["groups_with_outstanding"] == o["groups"], (day, code)
            assert (m["overdue_vnd"], m["frozen_vnd"]) == (o["overdue_vnd"], o["frozen_vnd"])


def test_the_2023_campaign_covers_the_customers_with_outstanding_at_31_12_2022(history):
    warehouse, truth = history
    scope = query(
        warehouse,
        """select count(distinct customer_code) as n from marts.fct_loan_balance
           where as_of_date = date '2022-12-31' and outstanding_vnd > 0""",
    )[0]["n"]
    campaign = truth["campaigns"]["2023"]
    assert campaign["scope_date"] == "2022-12-31" and not campaign["given"]
    assert scope == campaign["in_scope"]
    registered = query(
        warehouse,
        """select count(*) as n from marts.fct_reconciliation
           where as_of_date = date '2023-03-31' and campaign_year = 2023""",
    )[0]["n"]
    assert registered == scope


@pytest.mark.parametrize(
    "model",
    [
        "recon_control_totals",
        "recon_loan_rollforward",
        "recon_group_register",
        "recon_org_totals",
        "recon_reconciliation_campaign",
    ],
)
def test_no_identity_breaks_across_the_history(history, model):
    warehouse, _ = history
    months = query(warehouse, f"select count(distinct as_of_date) as n from recon.{model}")
    assert months[0]["n"] >= 15, model  # every month-end of the history was checked
    assert query(warehouse, f"select * from recon.{model} where is_break limit 5") == []


def test_the_december_to_january_roll_forward_is_checked(history):
    warehouse, _ = history
    n = query(
        warehouse,
        """select count(*) as n from recon.recon_loan_rollforward
           where as_of_date = date '2023-01-31'""",
    )[0]["n"]
    assert n > 0


def test_organizations_reports_differ_only_where_recorded(history):
    warehouse, truth = history
    findings = query(
        warehouse,
        """select as_of_date, org_code, pgd_code, check_item, expected, actual
           from recon.recon_org_reports where is_finding and not is_total_row""",
    )
    got = {
        (str(f["as_of_date"]), f["org_code"], f["pgd_code"], f["check_item"]): (
            f["expected"],
            f["actual"],
        )
        for f in findings
    }
    quarter_ends = {p["period"][1] for p in truth["periods"]}
    assert {d["as_of"] for d in truth["hoi_differences"]} <= quarter_ends
    for d in truth["hoi_differences"]:
        bank, org = (
            d["households_with_outstanding"]["bank"],
            d["households_with_outstanding"]["org"],
        )
        if bank != org:
            key = (d["as_of"], d["org_code"], d["pgd_code"], "households_with_outstanding")
            assert got[key] == (bank, org)
