"""The demo round trip at small scale: generator -> ingestion -> dbt, against the generator's
_truth.json (computed by the generator from its own scenario, not from the delivered files),
and the generator's injected faults against the recon models."""

from __future__ import annotations

import pytest
from conftest import query

from tests.shared_builds import DEMO_FAULTS, built_demo

pytestmark = [pytest.mark.xdist_group("dbt"), pytest.mark.slow]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The clean demo; `dbt build` passed on it: every data test and unit test."""
    d = built_demo(tmp_path_factory, "demo")
    return d.warehouse, d.truth


@pytest.fixture(scope="module")
def faulty_demo(tmp_path_factory):
    d = built_demo(tmp_path_factory, "demo-faulty", inject=DEMO_FAULTS)
    return d.warehouse, d.truth


def _kpis(warehouse):
    return {
        str(r["as_of_date"]): r
        for r in query(warehouse, "select * from marts.mart_briefing_kpis order by as_of_date")
    }


def test_briefing_kpis_equal_the_truth_at_every_month_end(demo):
    warehouse, truth = demo
    kpis = _kpis(warehouse)
    assert set(kpis) == set(truth["as_of"])
    for day, t in truth["as_of"].items():
        k = kpis[day]
        assert k["entrusted_outstanding_vnd"] == t["entrusted_outstanding_vnd"], day
        assert k["direct_outstanding_vnd"] == t["direct_outstanding_vnd"], day
        assert k["total_outstanding_vnd"] == t["total_outstanding_vnd"], day
        assert k["households_with_entrusted_outstanding"] == t["households_entrusted"], day
        assert k["groups_with_outstanding"] == t["groups_with_outstanding"], day
        assert k["overdue_vnd"] == t["overdue_vnd"] and k["frozen_vnd"] == t["frozen_vnd"], day
        assert k["reconciliation_in_scope"] == t["reconciliation"]["in_scope"], day
        assert k["reconciled_customers"] == t["reconciliation"]["reconciled"], day
        assert k["reconciliation_campaign_year"] == t["reconciliation"]["campaign_year"], day
        for period in ("qtd", "ytd"):
            lending = t["period_lending"][period]
            if lending is None:
                continue
            for key, value in lending.items():
                assert k[f"{key}_{period}"] == value, (day, key, period)


def test_period_end_reproduces_the_scaled_calibration_targets(demo):
    """At the period end the marts give the calibration's figures (scaled), as the shipped
    calibration file states them: amounts exactly, counts as the generator's truth."""
    warehouse, truth = demo
    end = truth["scenario"]["period"][1]
    targets = truth["targets"]
    k = _kpis(warehouse)[end]
    orgs = {
        r["org_code"]: r
        for r in query(
            warehouse, "select * from marts.mart_org_summary where as_of_date = ?", [end]
        )
    }
    assert k["entrusted_outstanding_vnd"] == sum(
        o["outstanding_vnd"] for o in targets["orgs"].values()
    )
    assert k["direct_outstanding_vnd"] == targets["direct_outstanding_vnd"]
    assert k["entrusted_change_ytd_vnd"] == targets["entrusted_change_vnd"]
    assert k["entrusted_change_ytd_vnd"] == truth["entrusted_change_vnd"]
    for code, target in targets["orgs"].items():
        assert orgs[code]["outstanding_vnd"] == target["outstanding_vnd"], code
    for code, t in truth["as_of"][end]["orgs"].items():
        assert orgs[code]["households_with_outstanding"] == t["households"], code
        assert orgs[code]["groups_with_outstanding"] == t["groups"], code
        assert orgs[code]["overdue_vnd"] == t["overdue_vnd"], code
        assert orgs[code]["frozen_vnd"] == t["frozen_vnd"], code
    assert k["loan_turns_qtd"] == targets["period_lending"]["loan_turns"]
    assert k["reconciliation_in_scope"] == targets["reconciliation"]["in_scope"]
    assert k["reconciled_customers"] == targets["reconciliation"]["reconciled"]


def test_organizations_differences_are_findings(demo):
    warehouse, truth = demo
    end = truth["scenario"]["period"][1]
    findings = query(
        warehouse,
        """select org_code, pgd_code, check_item, expected, actual
                                   from recon.recon_org_reports
                                   where is_finding and not is_total_row and as_of_date = ?""",
        [end],
    )
    got = {
        (f["org_code"], f["pgd_code"], f["check_item"]): (f["expected"], f["actual"])
        for f in findings
    }
    for d in truth["hoi_differences"]:
        bank, org = (
            d["households_with_outstanding"]["bank"],
            d["households_with_outstanding"]["org"],
        )
        if bank != org:
            assert got[(d["org_code"], d["pgd_code"], "households_with_outstanding")] == (bank, org)


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
def test_clean_demo_has_no_break(demo, model):
    warehouse, _ = demo
    assert query(warehouse, f"select count(*) as n from recon.{model}")[0]["n"] > 0
    assert query(warehouse, f"select * from recon.{model} where is_break limit 5") == []


def _fault(truth, name):
    return next(f for f in truth["faults"] if f["fault"] == name)


def test_injected_control_total_mismatch_breaks_identity_1_only_there(faulty_demo):
    warehouse, truth = faulty_demo
    f = _fault(truth, "control-total-mismatch")
    day, office = f["file"].split("/")[:2]
    breaks = query(warehouse, "select * from recon.recon_control_totals where is_break")
    missing = query(warehouse, "select * from recon.recon_deliveries where is_break")
    if missing:  # ingestion rejected the form: it is reported missing, not silently passed
        assert breaks == []
        assert [(str(m["as_of_date"]), m["pgd_code"], m["report_code"]) for m in missing] == [
            (day, office, "BCDHTD_01.1")
        ]
        return
    assert {(str(b["as_of_date"]), b["pgd_code"], b["form_code"]) for b in breaks} == {
        (day, office, "01.1")
    }
    # the form was loaded: the cell is pinpointed with its amount
    assert [(b["row_name"], b["column_marker"], b["difference"]) for b in breaks] == [
        (f["row_name"], f["column"], f["delta_vnd"])
    ]


def test_injected_rollforward_break_is_pinpointed(faulty_demo):
    warehouse, truth = faulty_demo
    f = _fault(truth, "rollforward-break")
    breaks = query(warehouse, "select * from recon.recon_loan_rollforward where is_break")
    assert [(b["loan_code"], b["check_item"], b["difference"]) for b in breaks] == [
        (f["loan_code"], f["txn_type"], f["amount"])
    ]


def test_injected_group_register_mismatch_is_pinpointed(faulty_demo):
    warehouse, truth = faulty_demo
    f = _fault(truth, "group-register-mismatch")
    breaks = query(warehouse, "select * from recon.recon_group_register where is_break")
    assert [(b["group_code"], b["check_item"], b["difference"]) for b in breaks] == [
        (f["group_code"], "outstanding", f["delta_vnd"])
    ]


def test_injected_reconciliation_discrepancy_is_a_finding_not_a_break(faulty_demo):
    warehouse, truth = faulty_demo
    f = _fault(truth, "reconciliation-discrepancy")
    rows = query(
        warehouse, "select * from recon.recon_reconciliation_campaign where is_finding or is_break"
    )
    assert [(r["customer_code"], r["is_break"], r["difference"]) for r in rows] == [
        (f["customer_code"], False, f["delta_vnd"])
    ]
    # identity 4 breaks at most where the control-total fault moved an office's official total
    control = _fault(truth, "control-total-mismatch")
    day, office = control["file"].split("/")[:2]
    org_breaks = query(warehouse, "select * from recon.recon_org_totals where is_break")
    assert {(str(b["as_of_date"]), b["pgd_code"], b["check_item"]) for b in org_breaks} <= {
        (day, office, "total_outstanding")
    }
