"""Scale > 1: the branch grows (customers, groups, loans, amounts, turns), its structure does not.

A reduced calibration (the Hanoi file at 1 %, with 60 communes) generated at scale 1.5 stands
in for the national run (scale 26.8 of the full file): the same code path at a test's size.
Communes would scale to 90 and must stay at the file's 60; every figure is the file's x 1.5,
rounded half-up; codes keep the contract's widths and stay unique; groups keep 3-60 members;
every identity of contract section 5 holds in the files read back.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
import yaml

from pipelines.generate import DEFAULT_CALIBRATION, generate, load_calibration
from pipelines.generate.calibration import MAX_SCALE

from . import checks
from .readback import load_tree

UP = 1.5
REDUCED_COMMUNES = 60


def _reduced_calibration(path: Path) -> Path:
    """The shipped calibration at 1 % as a file of its own (so that scale 1.5 is > 1)."""
    c = load_calibration(DEFAULT_CALIBRATION).scaled(0.01)
    doc = {
        "branch": "Hanoi (1 % test calibration)",
        "period": {"start": c.period_start, "end": c.period_end},
        "opening_date": c.opening_date,
        "units": c.units,
        "communes": REDUCED_COMMUNES,
        "orgs": {k: vars(v) for k, v in c.orgs.items()},
        "entrusted_change_vnd": c.entrusted_change_vnd,
        "direct_outstanding_vnd": c.direct_outstanding_vnd,
        "period_lending": vars(c.period_lending),
        "reconciliation": vars(c.reconciliation),
        "quality": vars(c.quality),
        "seed": c.seed,
    }
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def upscaled(tmp_path_factory):
    root = tmp_path_factory.mktemp("upscaled")
    cal_file = _reduced_calibration(root / "reduced.yaml")
    raw = root / "raw"
    generate(raw, cal_file, scale=UP, fmt="parquet")
    cal = load_calibration(cal_file).scaled(UP)
    truth = json.loads((raw / "_truth.json").read_text("utf-8"))
    return cal, truth, load_tree(raw)


def test_scaled_calibration_keeps_the_structure():
    base = load_calibration(DEFAULT_CALIBRATION)
    national = base.scaled(26.8)
    assert national.units == 30 and national.communes == base.communes == 579
    # Half-up on the exact decimal product.
    assert national.orgs["12"].outstanding_vnd == 168_947_200_000_000
    assert national.orgs["14"].groups == 8_844  # 330 x 26.8 = 8,844.0
    assert national.orgs["11"].groups == 49_607  # 1,851 x 26.8 = 49,606.8
    assert national.period_lending.poor_group_turns == 12_891  # 481 x 26.8 = 12,890.8
    assert national.reconciliation.in_scope == 6_809_237  # 254,076 x 26.8 = 6,809,236.8
    assert base.scaled(0.01).communes == 30  # below 1, never under one per district office
    with pytest.raises(ValueError, match="scale"):
        base.scaled(MAX_SCALE * 2)


def test_calibrated_figures_exact_at_scale_above_one(upscaled):
    cal, truth, t = upscaled
    fig = checks.calibration_figures(t["M31"], cal.period_end, cal.opening_date, cal.period_start)
    for org, target in cal.orgs.items():
        assert fig["orgs"][org] == vars(target)
    assert fig["entrusted_change_vnd"] == cal.entrusted_change_vnd
    assert fig["direct_outstanding_vnd"] == cal.direct_outstanding_vnd
    assert {k: fig[k] for k in vars(cal.period_lending)} == vars(cal.period_lending)
    rec = checks.reconciliation(t["M31"], t["DOICHIEU"])[cal.period_end]
    assert (rec["rows"], rec["reconciled"]) == (
        cal.reconciliation.in_scope,
        cal.reconciliation.reconciled,
    )
    assert truth["targets"]["orgs"] == {k: vars(v) for k, v in cal.orgs.items()}
    assert truth["scenario"]["scale"] == UP


def test_communes_do_not_scale_above_the_file(upscaled):
    cal, truth, t = upscaled
    assert cal.communes == REDUCED_COMMUNES
    assert truth["structure"]["communes"] == REDUCED_COMMUNES
    assert t["M31"]["commune_code"].n_unique() <= REDUCED_COMMUNES
    assert sorted(t["M31"]["pgd_code"].unique()) == [f"{i:04d}" for i in range(100, 131)]


def test_codes_keep_their_widths_and_are_unique(upscaled):
    _, _, t = upscaled
    m31, j = t["M31"], t["SKGD"]
    widths = {
        "pgd_code": 4,
        "commune_code": 6,
        "hamlet_code": 8,
        "group_code": 7,
        "customer_code": 10,
        "loan_code": 16,
    }
    for col, width in widths.items():
        lengths = m31[col].drop_nulls().str.len_chars().unique().to_list()
        assert lengths == [width], (col, lengths)
    assert j["txn_id"].str.len_chars().unique().to_list() == [14]
    assert j["txn_id"].n_unique() == j.height
    # One customer per code, one loan per code, one commune/hamlet/organization per group.
    per_customer = m31.group_by("customer_code").agg(
        pl.col("national_id").n_unique(), pl.col("pgd_code").n_unique()
    )
    assert per_customer["national_id"].max() == 1 and per_customer["pgd_code"].max() == 1
    per_loan = checks.loans(m31).group_by("_date", "loan_code").len()
    assert per_loan["len"].max() == 1
    assert (
        checks.loans(m31)
        .group_by("loan_code")
        .agg(pl.col("customer_code").n_unique())["customer_code"]
        .max()
        == 1
    )
    bc = t["BC0437"]
    assert bc.group_by("_date", "group_code").len()["len"].max() == 1


def test_groups_keep_three_to_sixty_members(upscaled):
    cal, _, t = upscaled
    bc = t["BC0437"]
    assert bc["members"].min() >= 3 and bc["members"].max() <= 60
    end = bc.filter(pl.col("_date") == cal.period_end)
    assert end.filter(pl.col("outstanding") > 0).height == sum(o.groups for o in cal.orgs.values())


def test_identities_hold_at_scale_above_one(upscaled):
    _, _, t = upscaled
    m31 = t["M31"]
    assert checks.row_totals(m31).height == 0
    assert checks.rollforward(m31).height == 0
    assert checks.journal_vs_m31(m31, t["SKGD"]).height == 0
    for which, code in (("01.1", "BCDHTD_01.1"), ("01.2", "BCDHTD_01.2")):
        assert checks.forms_vs_m31(m31, t[code], which).height == 0
    assert checks.groups_vs_m31(m31, t["BC0437"]).height == 0
