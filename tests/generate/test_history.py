"""Histories (calibration.md section 3): the shipped five-quarter example, read back.

Every period's figures exact (counts and amounts, at the test scale) from the files by the
independent reader, against the scaled calibration and the truth file; the truth of every
month-end; every contract section 5 identity across the whole history, the December ->
January roll-forward included; the 2023 campaign's scope; year-to-date columns restarting in
January; loans settled in 2022 gone from the 2023 M31; HOI reports at every period end.
"""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest

from pipelines.generate import DEFAULT_CALIBRATION, HISTORY_EXAMPLE, generate, load_history

from . import checks
from .conftest import H_SCALE, digests

YEAR_END = dt.date(2022, 12, 31)
JANUARY = dt.date(2023, 1, 31)


@pytest.fixture(scope="module")
def hist():
    return load_history(HISTORY_EXAMPLE).scaled(H_SCALE)


@pytest.fixture(scope="module")
def truth(history_tree):
    return json.loads((history_tree / "_truth.json").read_text("utf-8"))


def _year_start(d: dt.date) -> dt.date:
    return dt.date(d.year - 1, 12, 31)


def test_truth_targets_are_the_scaled_calibration(hist, truth):
    assert len(truth["periods"]) == len(hist.periods) == 5
    for pcal, p in zip(hist.periods, truth["periods"], strict=True):
        t = p["targets"]
        assert p["period"] == [str(pcal.period_start), str(pcal.period_end)]
        assert t["orgs"] == {k: vars(v) for k, v in pcal.orgs.items()}
        assert t["direct_outstanding_vnd"] == pcal.direct_outstanding_vnd
        assert t["period_lending"] == vars(pcal.period_lending)
        assert t["entrusted_change_vnd"] == pcal.entrusted_change_vnd
        assert t["org_change_vnd"] == pcal.org_change_vnd
        assert t["reconciliation"]["reconciled"] == pcal.reconciliation.reconciled
        assert p["year_start_date"] == str(_year_start(pcal.period_end))
    assert truth["scenario"]["period"] == ["2022-01-01", "2023-03-31"]


def test_every_period_exact_read_back(hist, truth, history_frames):
    m31 = history_frames["M31"]
    for pcal, p in zip(hist.periods, truth["periods"], strict=True):
        end = pcal.period_end
        fig = checks.calibration_figures(m31, end, _year_start(end), pcal.period_start)
        for org, target in pcal.orgs.items():
            assert fig["orgs"][org] == vars(target), (end, org)
        assert fig["direct_outstanding_vnd"] == pcal.direct_outstanding_vnd, end
        # "So với đầu năm": against 31/12/2021 in 2022, against 31/12/2022 in Q1 2023.
        assert fig["entrusted_change_vnd"] == pcal.entrusted_change_vnd == p["entrusted_change_vnd"]
        assert fig["org_change_vnd"] == pcal.org_change_vnd == p["org_change_vnd"], end
        lending = vars(pcal.period_lending)
        assert {k: fig[k] for k in lending} == lending == p["period_lending"], end
        assert truth["as_of"][str(end)]["period_lending"]["qtd"] == lending


def test_truth_of_every_month_end_is_in_the_files(hist, truth, history_frames):
    """What the pipeline tests compare with the marts at each month-end: the truth file's
    per-snapshot figures equal the files read back."""
    m31 = history_frames["M31"]
    ln = checks.loans(m31)
    dates = hist.snapshot_dates
    assert sorted(truth["as_of"]) == [str(d) for d in dates] and len(dates) == 16
    starts = {d: p.period_start for p in hist.periods for d in p.month_ends}
    for d in dates:
        t = truth["as_of"][str(d)]
        x = ln.filter(pl.col("_date") == d)
        ent = x.filter(pl.col("org_code") != "99")
        assert int(ent["outstanding"].sum()) == t["entrusted_outstanding_vnd"], d
        assert int(x["outstanding"].sum()) == t["total_outstanding_vnd"], d
        pos = ent.filter(pl.col("outstanding") > 0)
        assert pos["customer_code"].n_unique() == t["households_entrusted"], d
        assert pos["group_code"].n_unique() == t["groups_with_outstanding"], d
        assert int(x["outstanding_overdue"].sum()) == t["overdue_vnd"], d
        assert int(x["outstanding_frozen"].sum()) == t["frozen_vnd"], d
        if d == hist.opening_date:
            continue  # its year-to-date columns describe 2021 (no journal before)
        for period, start in (("ytd", dt.date(d.year, 1, 1)), ("qtd", starts[d])):
            fig = checks.calibration_figures(m31, d, _year_start(d), start)
            assert {k: fig[k] for k in t["period_lending"][period]} == t["period_lending"][
                period
            ], (d, period)
    # Year to date at 31/12/2022 is the four quarters of 2022; in Q1 2023 it starts again.
    ytd = truth["as_of"]["2022-12-31"]["period_lending"]["ytd"]["loan_turns"]
    assert ytd == sum(p.period_lending.loan_turns for p in hist.periods[:4])
    q1 = truth["as_of"]["2023-03-31"]["period_lending"]
    assert q1["ytd"] == q1["qtd"] == vars(hist.last.period_lending)


def test_identities_across_the_history(history_frames):
    m31 = history_frames["M31"]
    assert checks.row_totals(m31).height == 0
    bad = checks.rollforward(m31)
    assert bad.height == 0, bad.head()
    bad = checks.journal_vs_m31(m31, history_frames["SKGD"])
    assert bad.height == 0, bad.head()
    for which, code in (("01.1", "BCDHTD_01.1"), ("01.2", "BCDHTD_01.2")):
        bad = checks.forms_vs_m31(m31, history_frames[code], which)
        assert bad.height == 0, (which, bad.head())
    bad = checks.groups_vs_m31(m31, history_frames["BC0437"])
    assert bad.height == 0, bad.head()
    bc = history_frames["BC0437"]
    assert bc["members"].min() >= 1 and bc["members"].max() <= 60
    j = history_frames["SKGD"]
    assert j["txn_id"].n_unique() == j.height


def test_december_to_january_roll_forward(history_frames):
    ln = checks.loans(history_frames["M31"])
    dec = ln.filter(pl.col("_date") == YEAR_END)
    jan = ln.filter(pl.col("_date") == JANUARY)
    j = dec.join(jan, on="loan_code", how="left", suffix="_jan")
    dropped = j.filter(pl.col("outstanding_jan").is_null())
    # Loans settled in 2022 (CLOSE at 31/12) are gone in January; every open loan rolls on.
    assert dropped.height > 0
    assert (dropped["outstanding"] == 0).all() and (dropped["loan_status"] == "CLOSE").all()
    kept = j.filter(pl.col("outstanding_jan").is_not_null())
    moved = (
        pl.col("outstanding")
        + pl.col("disbursed_month_jan")
        - pl.col("disbursement_reversed_month_jan")
        - pl.col("repaid_in_term_month_jan")
        - pl.col("repaid_overdue_month_jan")
        - pl.col("repaid_frozen_month_jan")
        - pl.col("written_off_month_jan")
    )
    assert kept.filter(pl.col("outstanding_jan") != moved).height == 0
    assert kept.height == dec.filter(pl.col("outstanding") > 0).height
    # No loan settled in an earlier year appears in 2023: a CLOSE loan of 2023 was open at
    # 31/12/2022 (or is new in 2023).
    closed = ln.filter((pl.col("_date").dt.year() == 2023) & (pl.col("loan_status") == "CLOSE"))
    before = closed.join(dec, on="loan_code", how="left", suffix="_dec")
    assert before.filter(pl.col("outstanding_dec").fill_null(1) == 0).height == 0


def test_year_to_date_columns_restart_in_january(hist, history_frames):
    ln = checks.loans(history_frames["M31"]).filter(pl.col("_date") > hist.opening_date)
    ln = ln.with_columns(
        pl.sum_horizontal(checks.REPAID_M).alias("_repaid_month"),
        pl.col("_date").dt.year().alias("_y"),
    ).sort("_date")
    pairs = {
        "disbursed_ytd": "disbursed_month",
        "disbursement_reversed_ytd": "disbursement_reversed_month",
        "repaid_ytd": "_repaid_month",
        "interest_collected_ytd": "interest_collected_month",
        "written_off_ytd": "written_off_month",
    }
    run = ln.with_columns(
        [pl.col(m).cum_sum().over("loan_code", "_y").alias(f"_{y}") for y, m in pairs.items()]
    )
    for ytd in pairs:
        bad = run.filter(pl.col(ytd) != pl.col(f"_{ytd}"))
        assert bad.height == 0, (ytd, bad.select("_date", "loan_code", ytd, f"_{ytd}").head())
    jan = ln.filter(pl.col("_date") == JANUARY)
    assert (jan["disbursed_ytd"] == jan["disbursed_month"]).all()
    assert (jan["interest_collected_ytd"] == jan["interest_collected_month"]).all()
    assert (
        jan["disbursed_ytd"].sum() < ln.filter(pl.col("_date") == YEAR_END)["disbursed_ytd"].sum()
    )


def test_campaign_of_each_year_and_its_scope(truth, history_frames):
    rec = checks.reconciliation(history_frames["M31"], history_frames["DOICHIEU"])
    prev = {}
    for d_s, t in sorted(truth["as_of"].items()):
        d = dt.date.fromisoformat(d_s)
        r = rec[d]
        year = 2022 if d <= YEAR_END else 2023
        assert r["campaign_years"] == [year] == [t["reconciliation"]["campaign_year"]], d
        # The register lists exactly the customers with outstanding in the M31 of the
        # 31 December before the campaign, with that balance as Dư nợ chốt.
        assert r["scope_equal"] and r["scope_outstanding_equal"], d
        assert r["khop_mismatch"] == 0 and r["chenh_lech"] == 0, d
        assert r["rows"] == t["reconciliation"]["in_scope"], d
        assert r["reconciled"] == t["reconciliation"]["reconciled"], d
        assert prev.get(year, 0) <= r["reconciled"] <= r["rows"], d  # cumulative in its year
        prev[year] = r["reconciled"]
    sizes = rec["_scope_size"]
    assert sizes[2023] == truth["campaigns"]["2023"]["in_scope"]
    assert truth["campaigns"]["2023"] == {
        "scope_date": "2022-12-31",
        "in_scope": sizes[2023],
        "given": False,
    }
    assert truth["periods"][4]["targets"]["reconciliation"]["in_scope"] == sizes[2023]
    assert sizes[2023] != sizes[2022]


def test_org_reports_at_every_period_end(hist, history_tree, truth, history_frames):
    ends = [p.period_end for p in hist.periods]
    hoi_dates = sorted({p.parent.parent.name for p in history_tree.glob("20*/HOI/HOI_*")})
    assert hoi_dates == [str(d) for d in ends]
    for d in ends:
        files = sorted(p.name for p in (history_tree / str(d) / "HOI").glob("HOI_*"))
        assert len(files) == 4, d
        got, totals_ok = checks.hoi_vs_bank(history_frames["M31"], history_frames["HOI"], d)
        want = {(x["org_code"], x["pgd_code"]) for x in truth["hoi_differences"]}
        want_d = {
            (x["org_code"], x["pgd_code"]) for x in truth["hoi_differences"] if x["as_of"] == str(d)
        }
        assert got <= want_d and want_d <= want and totals_ok, d


def test_journal_every_month_and_month_end_files_for_every_office(hist, history_tree):
    months = {(d.year, d.month) for d in hist.month_ends}
    days = {dt.date.fromisoformat(p.parent.parent.name) for p in history_tree.glob("20*/*/SKGD_*")}
    assert {(d.year, d.month) for d in days} == months
    for d in hist.snapshot_dates:
        offices = {p.parent.name for p in history_tree.glob(f"{d}/*/M31_*")}
        assert len(offices) == 31, d


def test_customers_come_and_go(truth, history_frames):
    """A living book: customers settle and new ones arrive in every later period, groups
    carry on (same codes), and the 2023 book is not the 2022 one."""
    for p in truth["periods"][1:]:
        s = p["structure"]
        assert s["settled_customers"] > 0 and s["new_customers"] > 0, p["period"]
    ln = checks.loans(history_frames["M31"])
    at = {
        d: set(ln.filter((pl.col("_date") == d) & (pl.col("outstanding") > 0))["customer_code"])
        for d in (dt.date(2022, 3, 31), dt.date(2023, 3, 31))
    }
    a, b = at.values()
    assert a - b and b - a and a & b
    groups = history_frames["BC0437"].group_by("_date").agg(pl.col("group_code"))
    by_date = {r["_date"]: set(r["group_code"]) for r in groups.iter_rows(named=True)}
    assert by_date[dt.date(2022, 3, 31)] & by_date[dt.date(2023, 3, 31)]


def test_first_period_files_are_the_single_period_files(history_tree, tmp_path):
    """The history path and the single-period path agree: the five-quarter history's files
    up to 31/03/2022 are, byte for byte, those of the Q1 2022 file alone (a later period
    never changes an earlier one's files)."""
    single = tmp_path / "raw"
    generate(single, DEFAULT_CALIBRATION, scale=H_SCALE, fmt="parquet")

    def q1(root):
        return {
            k: v
            for k, v in digests(root).items()
            if not k.startswith("_") and k.split("/")[0] <= "2022-03-31"
        }

    a, b = q1(single), q1(history_tree)
    assert len(a) > 900
    assert a == b
