"""Each injected fault is in the files, where _truth.json says, and nowhere else."""

from __future__ import annotations

import csv
import hashlib
import json

import polars as pl
import pytest

from pipelines.generate import FAULTS

from . import checks
from .readback import load_tree, read_report


@pytest.fixture(scope="module")
def truth(faulty_tree):
    return json.loads((faulty_tree / "_truth.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def frames(faulty_tree):
    return load_tree(faulty_tree)


def _fault(truth, name):
    hits = [f for f in truth["faults"] if f["fault"] == name]
    assert len(hits) == 1, name
    return hits[0]


def test_every_fault_recorded(truth):
    assert sorted(f["fault"] for f in truth["faults"]) == sorted(FAULTS)


def test_control_total_mismatch(faulty_tree, truth, frames):
    f = _fault(truth, "control-total-mismatch")
    bad = checks.forms_vs_m31(frames["M31"], frames["BCDHTD_01.1"], "01.1")
    unit = f["file"].split("/")[1]
    assert set(bad["_unit"]) == {unit}
    assert bad["row_name"].to_list() == [f["row_name"]]  # TỔNG CỘNG = Σ rows still holds
    df, _ = read_report(faulty_tree / f["file"])
    row = df.filter(pl.col("row_name") == f["row_name"])
    ln = checks.loans(frames["M31"]).filter(
        (pl.col("_unit") == unit)
        & (pl.col("commune_name") == f["row_name"])
        & (
            pl.col("_date")
            == frames["BCDHTD_01.1"].filter(pl.col("_file") == f["file"].split("/")[-1])["_date"][0]
        )
    )
    assert f["column"] == "(5)"
    repaid = ln.select(pl.sum_horizontal(checks.REPAID_M).sum()).item()
    assert row["repaid_month_mil"][0] - repaid == f["delta_vnd"]
    # The row stays internally consistent ((9) = (10) + (11) + (12)), so it loads.
    r = row.row(0, named=True)
    assert r["outstanding_mil"] == (
        r["outstanding_in_term_mil"] + r["outstanding_overdue_mil"] + r["outstanding_frozen_mil"]
    )
    from .sheetxml import cells  # noqa: PLC0415

    c = cells(faulty_tree / f["file"])
    assert c[(f["row"], 3)][1] == f["row_name"]


def test_rollforward_break(truth, frames):
    f = _fault(truth, "rollforward-break")
    bad = checks.journal_vs_m31(frames["M31"], frames["SKGD"])
    assert bad.height == 1
    r = bad.row(0, named=True)
    assert r["loan_code"] == f["loan_code"] and r["txn_type"] == f["txn_type"]
    assert r["m31"] - r["amount"] == f["amount"]
    assert f["txn_id"] not in set(frames["SKGD"]["txn_id"])
    assert f["row"] >= 2 and f["file"].split("/")[-1].startswith("SKGD_")


def test_group_register_mismatch(faulty_tree, truth, frames):
    f = _fault(truth, "group-register-mismatch")
    bad = checks.groups_vs_m31(frames["M31"], frames["BC0437"])
    assert bad["group_code"].to_list() == [f["group_code"]]
    from .sheetxml import cells  # noqa: PLC0415

    c = cells(faulty_tree / f["file"])
    assert f["group_code"] in {v for (r, _c), (_t, v) in c.items() if r == f["row"]}


def test_reconciliation_discrepancy(faulty_tree, truth, frames):
    f = _fault(truth, "reconciliation-discrepancy")
    df, _ = read_report(faulty_tree / f["file"])
    r = df.filter(pl.col("customer_code") == f["customer_code"]).row(0, named=True)
    assert df.row(f["data_row"] - 1, named=True)["customer_code"] == f["customer_code"]
    from .sheetxml import cells  # noqa: PLC0415

    c = cells(faulty_tree / f["file"], max_row=f["row"])
    assert f["customer_code"] in {v for (r_, _c), (_t, v) in c.items() if r_ == f["row"]}
    assert r["result"] == "Chênh lệch"
    assert r["confirmed_outstanding"] - r["bank_outstanding"] == f["delta_vnd"] != 0
    dc = frames["DOICHIEU"]
    assert dc.filter(pl.col("result") == "Chênh lệch").height == 1


def test_redelivery(faulty_tree, truth):
    f = _fault(truth, "redelivery")
    first, second = faulty_tree / f["file"], faulty_tree / f["superseded_by"]
    assert first.exists() and second.exists() and "_r2." in second.name
    folder = first.parent
    with (folder / "manifest.csv").open(encoding="utf-8") as fh:
        m1 = {r["file_name"] for r in csv.DictReader(fh)}
    with (faulty_tree / f["manifest"]).open(encoding="utf-8") as fh:
        m2 = {r["file_name"] for r in csv.DictReader(fh)}
    assert first.name in m1 and second.name not in m1
    assert m2 == m1 | {second.name}
    a, _ = read_report(first)
    b, _ = read_report(second)
    key = pl.col("loan_code") == f["loan_code"]
    assert a.filter(key)["outstanding"][0] - b.filter(key)["outstanding"][0] == f["delta_vnd"]
    assert a.filter(~key).equals(b.filter(~key))


def test_redelivery_r2_restores_identities(frames):
    # load_tree keeps the highest revision: the corrected file rolls forward cleanly.
    assert checks.rollforward(frames["M31"]).height == 0
    assert checks.row_totals(frames["M31"]).height == 0


def test_corrupt_file(faulty_tree, truth):
    f = _fault(truth, "corrupt-file")
    p = faulty_tree / f["file"]
    with (faulty_tree / f["manifest"]).open(encoding="utf-8") as fh:
        line = next(r for r in csv.DictReader(fh) if r["file_name"] == p.name)
    data = p.read_bytes()
    assert int(line["bytes"]) == f["manifest_bytes"] != len(data) == f["actual_bytes"]
    assert line["sha256"] == f["manifest_sha256"] != hashlib.sha256(data).hexdigest()
