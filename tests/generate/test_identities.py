"""Every identity of contract section 5 holds in clean output, read back from the files."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl

from . import checks


def test_row_totals(clean_frames):
    assert checks.row_totals(clean_frames["M31"]).height == 0


def test_rollforward_between_month_ends(clean_frames):
    bad = checks.rollforward(clean_frames["M31"])
    assert bad.height == 0, bad.head()


def test_journal_equals_month_columns(clean_frames):
    bad = checks.journal_vs_m31(clean_frames["M31"], clean_frames["SKGD"])
    assert bad.height == 0, bad.head()


def test_journal_transfers_leave_totals_unchanged(clean_frames):
    # CQH/KHN lines exist and are the only moves between debt statuses besides repayments.
    j = clean_frames["SKGD"]
    assert set(j["txn_type"].unique()) >= {"GN", "DK", "TNTH", "TL", "CQH"}
    assert j["txn_id"].n_unique() == j.height
    assert (j["amount"] > 0).all()
    assert (j["txn_date"] == j["_date"]).all()


def test_forms_equal_m31(clean_frames):
    for which, code in (("01.1", "BCDHTD_01.1"), ("01.2", "BCDHTD_01.2")):
        bad = checks.forms_vs_m31(clean_frames["M31"], clean_frames[code], which)
        assert bad.height == 0, (which, bad.head())


def test_group_register_equals_members(clean_frames):
    bc = clean_frames["BC0437"]
    bad = checks.groups_vs_m31(clean_frames["M31"], bc)
    assert bad.height == 0, bad.head()
    assert bc["members"].min() >= 1 and bc["members"].max() <= 60
    # A group belongs to exactly one commune, hamlet and organization.
    one = bc.group_by("group_code").agg(
        pl.col("commune_code").n_unique(),
        pl.col("hamlet_code").n_unique(),
        pl.col("org_code").n_unique(),
    )
    assert (one.select(pl.exclude("group_code")) == 1).to_numpy().all()


def test_organizations_sum_to_totals(clean_tree, clean_frames):
    truth = json.loads((clean_tree / "_truth.json").read_text("utf-8"))
    ln = checks.loans(clean_frames["M31"])
    for d, t in truth["as_of"].items():
        x = ln.filter(pl.col("_date") == dt.date.fromisoformat(d))
        ent = int(x.filter(pl.col("org_code") != "99")["outstanding"].sum())
        dire = int(x.filter(pl.col("org_code") == "99")["outstanding"].sum())
        assert (
            ent
            == t["entrusted_outstanding_vnd"]
            == sum(o["outstanding_vnd"] for o in t["orgs"].values())
        )
        assert dire == t["direct_outstanding_vnd"]
        assert ent + dire == t["total_outstanding_vnd"]


def test_reconciliation_register(clean_tree, clean_frames):
    truth = json.loads((clean_tree / "_truth.json").read_text("utf-8"))
    dates = sorted(truth["as_of"])
    rec = checks.reconciliation(clean_frames["M31"], clean_frames["DOICHIEU"])
    prev = -1
    for d in dates:
        r = rec[dt.date.fromisoformat(d)]
        assert r["scope_equal"], d
        assert r["khop_mismatch"] == 0 and r["chenh_lech"] == 0
        assert r["rows"] == truth["as_of"][d]["reconciliation"]["in_scope"]
        assert r["reconciled"] == truth["as_of"][d]["reconciliation"]["reconciled"]
        assert prev <= r["reconciled"] <= r["rows"]  # cumulative register
        prev = r["reconciled"]


def test_hoi_reports_differ_only_where_truth_says(clean_tree, clean_frames):
    truth = json.loads((clean_tree / "_truth.json").read_text("utf-8"))
    last = dt.date.fromisoformat(sorted(truth["as_of"])[-1])
    got, totals_ok = checks.hoi_vs_bank(clean_frames["M31"], clean_frames["HOI"], last)
    want = {(d["org_code"], d["pgd_code"]) for d in truth["hoi_differences"]}
    assert got <= want and len(want) >= 4
    assert totals_ok  # TỔNG CỘNG = the sums of the organization's own rows
