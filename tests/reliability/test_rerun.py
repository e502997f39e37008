"""Idempotence and re-delivery on the real chain (generate -> ingest -> dbt -> checks ->
reports -> publish) at scale 0.01."""

from __future__ import annotations

import shutil
from datetime import date

import duckdb
import pytest

from .conftest import (
    SCHEMAS,
    Night,
    checksums,
    copy_raw,
    file_digest,
    raw_is_consistent,
    run_night,
)

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("reliability")]


def test_reference_night_covers_every_layer(reference, reference_checksums, demo):
    """The checksums cover every schema, and the night left the deliveries untouched."""
    schemas = {k.split(".")[0] for k in reference_checksums}
    assert set(SCHEMAS) <= schemas
    assert reference_checksums["marts.fct_loan_balance"][0] > 1000
    assert reference_checksums["raw.m31"][0] > 1000
    raw_is_consistent(reference.warehouse)
    assert file_digest(demo.raw) == demo.digest


def test_same_deliveries_twice_give_identical_tables(
    reference, reference_checksums, demo, tmp_path
):
    """A second night on the same deliveries: every table of raw, seeds, staging,
    intermediate, marts, recon (and the latest quality run) has the same content; only
    the load-time columns (``is_load_time``) are left out — and raw keeps even those (nothing is reloaded).
    The second night runs on a copy of the reference night's tree (the reference is shared)."""
    night = Night(shutil.copytree(reference.root, tmp_path / "night", symlinks=True), reference.raw)
    raw_before = checksums(night.warehouse, schemas=("raw",))
    with_load_time = _raw_with_load_time(night.warehouse)

    again = run_night(night)

    assert "REJECTED 0" in again.lines
    after = checksums(night.warehouse)
    assert after.keys() == reference_checksums.keys()
    changed = [k for k in after if after[k] != reference_checksums[k]]
    assert changed == []
    assert checksums(night.warehouse, schemas=("raw",)) == raw_before
    assert _raw_with_load_time(night.warehouse) == with_load_time  # not even re-stamped
    assert file_digest(demo.raw) == demo.digest


def _raw_with_load_time(db) -> list:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(
            "select report, unit, data_date, sha256, loaded_at from raw._loads order by all"
        ).fetchall()
    finally:
        con.close()


# ------------------------------------------------------------------------------ re-delivery
@pytest.fixture(scope="session")
def wrong_first(demo, tmp_path_factory) -> Night:
    """The night as it was before the correction arrived: the same deliveries without the
    ``_r2`` file and its ``manifest_r2.csv`` (the wrong first M31 is current)."""
    f = demo.redelivery
    root = tmp_path_factory.mktemp("reliability-wrong-first")
    raw = copy_raw(demo.raw, root / "raw", skip={f["superseded_by"], f["manifest"]})
    night = Night(root, raw)
    # the wrong file breaks identities 1 and 2: the gate stops the night after the checks
    run_night(night, expect=2)
    return night


def _rows(db, sql, params=None) -> list[dict]:
    """The rows as dicts, without the lineage columns (``_loaded_at``, ``_inputs_loaded_at``:
    when a row or month was built, which differs between two warehouses by construction)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        cur = con.execute(sql, params or [])
        names = [d[0] for d in cur.description]
        return [
            {n: v for n, v in zip(names, r, strict=True) if not n.startswith("_")}
            for r in cur.fetchall()
        ]
    finally:
        con.close()


# Ratios and averages move with an amount, but not by the amount itself.
DERIVED = {"entrusted_share", "overdue_frozen_ratio", "avg_entrusted_outstanding_per_household_vnd"}


def _numeric_diff(a: dict, b: dict) -> dict[str, int]:
    return {
        k: b[k] - a[k]
        for k in a
        if isinstance(a[k], int | float) and not isinstance(a[k], bool) and b[k] != a[k]
    }


def test_redelivery_replaces_the_wrong_file_everywhere(reference, wrong_first, demo):
    f = demo.redelivery
    delta = f["delta_vnd"]
    day = date.fromisoformat(f["file"].split("/")[0])
    office = f["file"].split("/")[1]
    loan = f["loan_code"]

    # raw: the corrected revision is the current one, the wrong one stays traceable on disk
    assert _rows(
        reference.warehouse,
        "select source_file, revision from raw._loads where report = 'M31' and unit = ? "
        "and data_date = ?",
        [office, day],
    ) == [{"source_file": f["superseded_by"], "revision": 2}]
    assert (demo.raw / f["file"]).is_file()

    # loan level: exactly that loan at that date differs, by the corrected amount
    sql = "select * from marts.fct_loan_balance"
    right = {(r["loan_code"], r["as_of_date"]): r for r in _rows(reference.warehouse, sql)}
    wrong = {(r["loan_code"], r["as_of_date"]): r for r in _rows(wrong_first.warehouse, sql)}
    assert right.keys() == wrong.keys()
    differing = {k for k in right if right[k] != wrong[k]}
    assert differing == {(loan, day)}
    diff = _numeric_diff(wrong[(loan, day)], right[(loan, day)])
    assert diff["outstanding_vnd"] == -delta
    assert set(diff.values()) == {-delta}, diff  # outstanding and in-term only

    # briefing KPIs: only that month-end moves, every amount by exactly -delta or not at all
    k_sql = "select * from marts.mart_briefing_kpis order by as_of_date"
    k_right = {r["as_of_date"]: r for r in _rows(reference.warehouse, k_sql)}
    k_wrong = {r["as_of_date"]: r for r in _rows(wrong_first.warehouse, k_sql)}
    assert [d for d in k_right if k_right[d] != k_wrong[d]] == [day]
    kd = _numeric_diff(k_wrong[day], k_right[day])
    amounts = {k: v for k, v in kd.items() if k not in DERIVED}
    assert amounts["total_outstanding_vnd"] == -delta
    assert set(amounts.values()) == {-delta}, kd
    # and the corrected figures are the generator's truth
    t = demo.truth["as_of"][day.isoformat()]
    assert k_right[day]["total_outstanding_vnd"] == t["total_outstanding_vnd"]
    assert k_wrong[day]["total_outstanding_vnd"] == t["total_outstanding_vnd"] + delta

    # the district and organization marts: one row each, by exactly delta
    d_sql = "select * from marts.mart_district_summary order by all"
    d_right, d_wrong = _rows(reference.warehouse, d_sql), _rows(wrong_first.warehouse, d_sql)
    moved = [(a, b) for a, b in zip(d_wrong, d_right, strict=True) if a != b]
    assert len(moved) == 1 and moved[0][1]["pgd_code"] == office
    assert moved[0][1]["as_of_date"] == day
    dd = {k: v for k, v in _numeric_diff(*moved[0]).items() if k not in DERIVED}
    assert dd["outstanding_vnd"] == -delta and set(dd.values()) == {-delta}

    # the reconciliation identities: the wrong file broke them, the correction ties them
    breaks = "select count(*) as n from recon.recon_loan_rollforward where is_break"
    assert _rows(wrong_first.warehouse, breaks)[0]["n"] >= 1
    assert _rows(reference.warehouse, breaks)[0]["n"] == 0
    assert file_digest(demo.raw) == demo.digest
