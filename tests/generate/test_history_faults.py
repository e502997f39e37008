"""Faults on a history: each lands in the last period, where _truth.json says, and the rest of
the history stays clean; a history is as deterministic as a single period."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest

from pipelines.generate import FAULTS, HISTORY_EXAMPLE, generate, load_history

from . import checks
from .conftest import digests
from .readback import load_tree

LAST_START = load_history(HISTORY_EXAMPLE).last.period_start


@pytest.fixture(scope="module")
def truth(faulty_history_tree):
    return json.loads((faulty_history_tree / "_truth.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def frames(faulty_history_tree):
    return load_tree(
        faulty_history_tree, reports=("M31", "SKGD", "BCDHTD_01.1", "BC0437", "DOICHIEU")
    )


def _fault(truth, name):
    hits = [f for f in truth["faults"] if f["fault"] == name]
    assert len(hits) == 1, name
    return hits[0]


def _date_of(f) -> dt.date:
    return dt.date.fromisoformat(f["file"].split("/")[0])


def test_every_fault_in_the_last_period(truth):
    assert sorted(f["fault"] for f in truth["faults"]) == sorted(FAULTS)
    for f in truth["faults"]:
        assert _date_of(f) >= LAST_START, f


def test_each_fault_is_found_where_recorded_and_nowhere_else(truth, frames):
    m31 = frames["M31"]
    f = _fault(truth, "control-total-mismatch")
    bad = checks.forms_vs_m31(m31, frames["BCDHTD_01.1"], "01.1")
    assert [(r["_unit"], r["_date"], r["row_name"]) for r in bad.iter_rows(named=True)] == [
        (f["file"].split("/")[1], _date_of(f), f["row_name"])
    ]
    f = _fault(truth, "rollforward-break")
    bad = checks.journal_vs_m31(m31, frames["SKGD"])
    assert [
        (r["loan_code"], r["txn_type"], r["m31"] - r["amount"]) for r in bad.iter_rows(named=True)
    ] == [(f["loan_code"], f["txn_type"], f["amount"])]
    f = _fault(truth, "group-register-mismatch")
    bad = checks.groups_vs_m31(m31, frames["BC0437"])
    assert [(r["_date"], r["group_code"]) for r in bad.iter_rows(named=True)] == [
        (_date_of(f), f["group_code"])
    ]
    f = _fault(truth, "reconciliation-discrepancy")
    dc = frames["DOICHIEU"].filter(pl.col("result") == "Chênh lệch")
    assert [(r["_date"], r["customer_code"]) for r in dc.iter_rows(named=True)] == [
        (_date_of(f), f["customer_code"])
    ]
    # The redelivered M31 (its _r2 is what a reader keeps) rolls forward cleanly, across the
    # year end too; the corrupt BC0437 is rejected (its group register is missing there).
    assert checks.rollforward(m31).height == 0
    assert checks.row_totals(m31).height == 0
    f = _fault(truth, "corrupt-file")
    d, unit = _date_of(f), f["file"].split("/")[1]
    bc = frames["BC0437"]
    assert bc.filter((pl.col("_date") == d) & (pl.col("_unit") == unit)).height == 0
    assert bc.filter(pl.col("_unit") == unit).height > 0


def test_history_is_byte_identical_across_worker_counts(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    generate(a, HISTORY_EXAMPLE, scale=0.002, fmt="csv", workers=2)
    generate(b, HISTORY_EXAMPLE, scale=0.002, fmt="csv", workers=1)
    da, db = digests(a), digests(b)
    assert len(da) > 1000 and da == db
