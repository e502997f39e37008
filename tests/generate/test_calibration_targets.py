"""The calibrated figures, computed from the files with the marts' definitions."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from pipelines.generate import DEFAULT_CALIBRATION, load_calibration

from . import checks
from .conftest import SCALE


@pytest.fixture(scope="module")
def figures(clean_tree, clean_frames):
    truth = json.loads((clean_tree / "_truth.json").read_text("utf-8"))
    cal = load_calibration(DEFAULT_CALIBRATION).scaled(SCALE)
    fig = checks.calibration_figures(
        clean_frames["M31"], cal.period_end, cal.opening_date, cal.period_start
    )
    return cal, truth, fig


def test_organizations_exact(figures):
    cal, truth, fig = figures
    end = truth["as_of"][cal.period_end.isoformat()]
    for org, t in cal.orgs.items():
        assert fig["orgs"][org] == {
            "outstanding_vnd": t.outstanding_vnd,
            "households": t.households,
            "groups": t.groups,
        }
        assert {k: end["orgs"][org][k] for k in ("outstanding_vnd", "households", "groups")} == (
            fig["orgs"][org]
        )


def test_change_and_direct_exact(figures):
    cal, truth, fig = figures
    assert fig["entrusted_change_vnd"] == cal.entrusted_change_vnd == truth["entrusted_change_vnd"]
    assert fig["direct_outstanding_vnd"] == cal.direct_outstanding_vnd


def test_each_organization_grew_as_calibrated(figures):
    # F15: the shipped file gives every organization's change since the opening date.
    cal, truth, fig = figures
    assert cal.org_change_vnd is not None and all(v > 0 for v in cal.org_change_vnd.values())
    assert fig["org_change_vnd"] == cal.org_change_vnd == truth["org_change_vnd"]
    assert sum(fig["org_change_vnd"].values()) == cal.entrusted_change_vnd


def test_period_lending_exact(figures):
    cal, truth, fig = figures
    want = vars(cal.period_lending)
    assert {k: fig[k] for k in want} == want
    assert truth["as_of"][cal.period_end.isoformat()]["period_lending"]["qtd"] == want


def test_reconciliation_exact(figures, clean_frames):
    cal, truth, _ = figures
    rec = checks.reconciliation(clean_frames["M31"], clean_frames["DOICHIEU"])
    end = rec[cal.period_end]
    assert end["rows"] == cal.reconciliation.in_scope
    assert end["reconciled"] == cal.reconciliation.reconciled
    assert end["campaign_years"] == [cal.reconciliation.campaign_year]


def test_quality_is_plausible(figures):
    cal, truth, fig = figures
    ratio = fig["overdue_frozen_vnd"] / fig["total_outstanding_vnd"]
    assert 0 < ratio < 10 * cal.quality.overdue_frozen_ratio
    good = truth["as_of"][cal.period_end.isoformat()]["groups_rated_good_share"]
    assert abs(good - cal.quality.groups_rated_good) < 0.05


def test_truth_is_per_snapshot(figures):
    cal, truth, _ = figures
    assert sorted(truth["as_of"]) == [d.isoformat() for d in cal.snapshot_dates]
    assert truth["scenario"]["scale"] == SCALE
    opening = truth["as_of"][cal.opening_date.isoformat()]
    assert opening["period_lending"]["qtd"] is None
    assert opening["reconciliation"]["reconciled"] == 0
    m = [
        truth["as_of"][d.isoformat()]["period_lending"]["qtd"]["loan_turns"] for d in cal.month_ends
    ]
    assert m == sorted(m) and m[-1] == cal.period_lending.loan_turns
    assert dt.date.fromisoformat(truth["scenario"]["period"][1]) == cal.period_end
