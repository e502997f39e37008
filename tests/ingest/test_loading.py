"""Loading: idempotence, revisions, the per-key replace, crash safety, the process pool."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from datetime import date

import pytest
from builders import (
    DAY,
    OFFICE,
    Folder,
    hoi_row,
    hoi_sheet,
    m31_name,
    m31_row,
    report_sheet,
    skgd_row,
    spec_csv,
    standard_files,
    standard_office_folder,
    xlsx_bytes,
)
from conftest import Env

from pipelines.contract.reports import M31, REPORTS, SKGD
from pipelines.ingest import discover
from pipelines.ingest.loader import Warehouse

DAY2 = date(2022, 3, 30)


def _journal(env, day: date, n: int = 2, unit: str = OFFICE) -> Folder:
    rows = [
        skgd_row(
            i, txn_date=f"{day:%d/%m/%Y}", txn_id=f"GD{unit}{day:%Y%m%d}{i:04d}", pgd_code=unit
        )
        for i in range(n)
    ]
    f = Folder(env.raw, day, unit).add(f"SKGD_{unit}_{day:%Y%m%d}.csv", spec_csv(SKGD, rows))
    f.manifest()
    return f


def _hoi(env, orgs=("11", "12")) -> Folder:
    f = Folder(env.raw, DAY, "HOI")
    for org in orgs:
        f.add(f"HOI_{org}_{DAY:%Y%m%d}.xlsx", xlsx_bytes(hoi_sheet([hoi_row("Ba Vì")])))
    f.manifest()
    return f


def _m31(rows) -> bytes:
    return xlsx_bytes(report_sheet(M31, rows))


def test_ingest_twice_leaves_identical_tables(env):
    standard_office_folder(env.raw)
    _journal(env, DAY2)
    _hoi(env)
    bad = Folder(env.raw, DAY, "0108").add(m31_name("0108"), b"not a workbook")
    bad.manifest()
    first = env.ingest()
    assert first.files_loaded == 9 and first.files_rejected == 1
    before = env.checksums()
    assert before["m31"][0] == 2 and before["hoi"][0] == 2 and before["_rejections"][0] == 1

    again = env.ingest()

    assert env.checksums() == before  # incl. _loaded_at, _loads and _rejections.rejected_at
    assert again.files_loaded == 0 and again.files_skipped == 9
    assert not again.ok and {r.file for r in again.rejections} == {r.file for r in first.rejections}


def test_every_raw_table_exists_with_lineage_columns(env):
    env.ingest()
    for spec in REPORTS:
        cols = [r[0] for r in env.query(f"DESCRIBE raw.{spec.table}")]
        assert cols[: len(spec.keys)] == list(spec.keys)
        assert cols[len(spec.keys) : len(spec.keys) + len(spec.derived)] == [
            d for d, _ in spec.derived
        ]
        assert cols[-7:] == [
            "_source_file", "_revision", "_sha256", "_row_number", "_unit", "_data_date",
            "_loaded_at",
        ]  # fmt: skip
    types = dict(
        env.query(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'raw' AND table_name = 'm31'"
        )
    )
    assert types["as_of_date"] == "DATE" and types["outstanding"] == "BIGINT"
    assert types["pgd_code"] == "VARCHAR" and types["interest_rate_pct_month"] == "DOUBLE"


def test_revision_r2_supersedes_r1_and_manifest_r2_is_current(env):
    f = standard_office_folder(env.raw)
    env.ingest()
    loaded_at = env.scalar("SELECT loaded_at FROM raw._loads WHERE report = 'SKGD'")
    # the branch corrects M31: r2 with three loans, and a new manifest listing the folder
    f.add(m31_name(rev=2), _m31([m31_row(1), m31_row(2), m31_row(3)]))
    f.manifest(revision=2)
    assert [x.path.name for x in discover(env.raw)[0].files if x.spec is M31] == [m31_name(rev=2)]

    res = env.ingest()

    assert res.files_loaded == 1 and res.files_skipped == 5
    assert env.query("SELECT DISTINCT _revision, _source_file FROM raw.m31") == [
        (2, f"{DAY.isoformat()}/{OFFICE}/{m31_name(rev=2)}")
    ]
    assert env.scalar("SELECT count(*) FROM raw.m31") == 3
    assert env.query("SELECT revision, rows FROM raw._loads WHERE report = 'M31'") == [(2, 3)]
    # untouched keys keep their load time
    assert env.scalar("SELECT loaded_at FROM raw._loads WHERE report = 'SKGD'") == loaded_at
    assert any("superseded by" in n.message for n in res.notes)


def test_manifest_r2_decides_what_is_current(env):
    f = Folder(env.raw)
    for name, data in standard_files().items():
        f.add(name, data)
    f.manifest()
    f.add(m31_name(rev=2), _m31([m31_row(7)]))
    # manifest_r2 lists only the corrected M31 and the journal
    f.manifest(revision=2, only=[m31_name(rev=2), f"SKGD_{OFFICE}_{DAY:%Y%m%d}.csv"])
    res = env.ingest()
    assert res.ok
    assert env.query("SELECT report FROM raw._loads ORDER BY 1") == [("M31",), ("SKGD",)]
    assert any("not listed in manifest_r2.csv" in n.message for n in res.notes)


def test_changed_file_with_same_name_replaces_the_key(env):
    f = Folder(env.raw).add(m31_name(), _m31([m31_row(1), m31_row(2)]))
    f.manifest()
    env.ingest()
    f.add(m31_name(), _m31([m31_row(5)]))  # re-issued without a revision suffix
    f.manifest()
    res = env.ingest()
    assert res.files_loaded == 1
    assert env.query("SELECT customer_code FROM raw.m31") == [("0000000005",)]


def test_hoi_revision_replaces_only_its_organization(env):
    f = _hoi(env, orgs=("11", "12"))
    env.ingest()
    f.add(
        f"HOI_12_{DAY:%Y%m%d}_r2.xlsx",
        xlsx_bytes(hoi_sheet([hoi_row("Ba Vì"), hoi_row("Sơn Tây")])),
    )
    f.manifest(revision=2)
    env.ingest()
    assert env.query(
        "SELECT org_code, count(*), max(_revision) FROM raw.hoi GROUP BY 1 ORDER BY 1"
    ) == [
        ("11", 1, 1),
        ("12", 2, 2),
    ]


def test_dates_selects_deliveries(env):
    _journal(env, DAY2)
    _journal(env, DAY)
    res = env.ingest(dates=[DAY2])
    assert [d.data_date for d in res.deliveries] == [DAY2]
    assert env.query("SELECT DISTINCT _data_date FROM raw.skgd") == [(DAY2,)]
    env.ingest()
    assert env.scalar("SELECT count(DISTINCT _data_date) FROM raw.skgd") == 2


def test_progress_reports_every_delivery(env):
    _journal(env, DAY2)
    standard_office_folder(env.raw)
    seen: list[str] = []
    res = env.ingest(progress=seen.append)
    assert seen[0].startswith("ingest: 2 complete deliveries")
    assert [s.split(":")[0] for s in seen[1:]] == [
        f"{DAY2.isoformat()}/{OFFICE}",
        f"{DAY.isoformat()}/{OFFICE}",
    ]
    assert res.summary_lines()[-2].startswith("total: 2 deliveries, 7 files loaded")


def test_exception_mid_load_leaves_previous_state(env, monkeypatch):
    f = Folder(env.raw).add(m31_name(), _m31([m31_row(1), m31_row(2)]))
    f.manifest()
    env.ingest()
    before = env.checksums()

    def failing_insert(self, table, tables, loaded_at):
        # the key's old rows are deleted by now, inside the transaction
        assert self.con.execute("SELECT count(*) FROM raw.m31").fetchone()[0] == 0
        raise RuntimeError("disk full (simulated)")

    monkeypatch.setattr(Warehouse, "_insert", failing_insert)
    f.add(m31_name(rev=2), _m31([m31_row(3)]))
    f.manifest(revision=2)
    res = env.ingest()

    assert not res.ok and "could not be loaded" in res.rejections[0].message
    after = env.checksums()
    for t in [s.table for s in REPORTS] + ["_loads"]:
        assert after[t] == before[t], t
    monkeypatch.undo()
    assert env.ingest().files_loaded == 1  # the next run loads r2
    assert env.query("SELECT DISTINCT _revision FROM raw.m31") == [(2,)]


def test_process_killed_mid_load_leaves_previous_state(env, tmp_path):
    f = Folder(env.raw).add(m31_name(), _m31([m31_row(1), m31_row(2)]))
    f.manifest()
    env.ingest()
    before = env.checksums()
    f.add(m31_name(rev=2), _m31([m31_row(3)]))
    f.manifest(revision=2)
    script = textwrap.dedent(
        f"""
        import os
        from pathlib import Path
        from pipelines.ingest import ingest
        from pipelines.ingest.loader import Warehouse
        real = Warehouse._insert
        def insert_then_die(self, table, tables, loaded_at):
            real(self, table, tables, loaded_at)   # deleted and inserted, not committed
            os._exit(3)                            # the process dies: no rollback, no close
        Warehouse._insert = insert_then_die
        ingest(Path({str(env.raw)!r}), Path({str(env.warehouse)!r}), workers=1)
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert proc.returncode == 3, proc.stderr.decode()[-2000:]
    assert env.checksums() == before


@pytest.mark.slow
def test_process_pool_gives_the_same_tables(tmp_path):
    """The isolated workers (and their spilled Arrow tables) load what the in-process parse
    loads, row for row."""
    a, b = Env(tmp_path / "a"), Env(tmp_path / "b")
    standard_office_folder(a.raw)
    _journal(a, DAY2, n=30)
    _journal(a, DAY2, n=5, unit="0108")
    _hoi(a)
    # the same bytes (a workbook written a second later differs in its creation time)
    shutil.rmtree(b.raw)
    shutil.copytree(a.raw, b.raw)
    ra = a.ingest(workers=0)
    rb = b.ingest(workers=2)
    assert ra.ok and rb.ok and ra.table_rows == rb.table_rows
    for spec in REPORTS:
        sql = f"SELECT * EXCLUDE (_loaded_at) FROM raw.{spec.table} ORDER BY ALL"
        assert a.query(sql) == b.query(sql), spec.table
    sql = "SELECT * EXCLUDE (loaded_at) FROM raw._loads ORDER BY ALL"
    assert a.query(sql) == b.query(sql)
