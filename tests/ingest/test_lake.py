"""The Parquet lake (pipelines.ingest.lake): the raw tables as hive-partitioned files for Spark.

What Spark reads must be exactly what the warehouse accepted, per data date, and must follow
re-deliveries; an unchanged run must not rewrite anything.
"""

from __future__ import annotations

from datetime import date

import duckdb
from builders import (
    DAY,
    OFFICE,
    Folder,
    m31_name,
    m31_row,
    report_sheet,
    skgd_row,
    spec_csv,
    xlsx_bytes,
)
from builders import standard_office_folder as office_folder

from pipelines.contract.reports import M31, REPORTS, SKGD
from pipelines.ingest.lake import partition_dir, sync_lake_from, table_dir

DAY2 = date(2022, 3, 30)


def _journal_folder(env, day: date) -> Folder:
    rows = [
        skgd_row(i, txn_date=f"{day:%d/%m/%Y}", txn_id=f"GD{OFFICE}{day:%Y%m%d}{i:04d}")
        for i in range(3)
    ]
    f = Folder(env.raw, day, OFFICE).add(f"SKGD_{OFFICE}_{day:%Y%m%d}.csv", spec_csv(SKGD, rows))
    f.manifest()
    return f


def _lake_rows(lake, table: str) -> list[tuple]:
    folder = table_dir(lake, table)
    files = sorted(folder.glob("_data_date=*/*.parquet"))
    if not files:
        return []
    listing = ", ".join(f"'{p}'" for p in files)
    return duckdb.sql(
        f"SELECT * FROM read_parquet([{listing}], hive_partitioning = true) ORDER BY ALL"
    ).fetchall()


def _raw_rows(env, table: str) -> list[tuple]:
    # the lake puts the partition column last, as Spark and DuckDB read it back
    cols = [r[0] for r in env.query(f"DESCRIBE raw.{table}") if r[0] != "_data_date"]
    select = ", ".join(f'"{c}"' for c in cols)
    return env.query(f"SELECT {select}, _data_date FROM raw.{table} ORDER BY ALL")


def _mtimes(lake) -> dict[str, int]:
    return {
        p.relative_to(lake).as_posix(): p.stat().st_mtime_ns
        for p in sorted(lake.rglob("*.parquet"))
    }


def test_lake_holds_every_committed_raw_row_partitioned_by_data_date(env):
    office_folder(env.raw)
    _journal_folder(env, DAY2)
    lake = env.root / "lake"

    res = env.ingest(lake_dir=lake)

    assert res.lake is not None and res.lake.rows == sum(res.table_rows.values()) > 0
    for spec in REPORTS:
        assert _lake_rows(lake, spec.table) == _raw_rows(env, spec.table), spec.table
    assert partition_dir(lake, "skgd", DAY).is_dir() and partition_dir(lake, "skgd", DAY2).is_dir()
    assert not partition_dir(lake, "m31", DAY2).exists()
    # a report nobody delivered still has its folder (readers need the path), with no files
    assert res.table_rows["hoi"] == 0 and table_dir(lake, "hoi").is_dir()
    assert not list(table_dir(lake, "hoi").glob("_data_date=*"))


def test_unchanged_run_rewrites_nothing_and_a_redelivery_rewrites_only_its_partition(env):
    f = office_folder(env.raw)
    _journal_folder(env, DAY2)
    lake = env.root / "lake"
    env.ingest(lake_dir=lake)
    before = _mtimes(lake)

    again = env.ingest(lake_dir=lake)
    assert again.lake.line() == "lake: up to date" and _mtimes(lake) == before

    f.add(m31_name(rev=2), xlsx_bytes(report_sheet(M31, [m31_row(1), m31_row(2), m31_row(3)])))
    f.manifest(revision=2)
    res = env.ingest(lake_dir=lake)

    assert res.lake.written == {"m31": 1}
    after = _mtimes(lake)
    changed = {k for k in after if after[k] != before.get(k)}
    assert changed == {f"raw/m31/_data_date={DAY.isoformat()}/part-0.parquet"}
    assert _lake_rows(lake, "m31") == _raw_rows(env, "m31")
    assert len(_lake_rows(lake, "m31")) == 3


def test_a_lake_synced_later_catches_up_and_crash_leftovers_are_removed(env):
    office_folder(env.raw)
    env.ingest()  # DuckDB engine: no lake
    lake = env.root / "lake"
    leftover = table_dir(lake, "m31") / f".new-_data_date={DAY.isoformat()}"
    leftover.mkdir(parents=True)
    (leftover / "part-0.parquet").write_bytes(b"half a file")

    res = sync_lake_from(env.warehouse, lake)

    assert not leftover.exists()
    assert res.written["m31"] == 1
    for spec in REPORTS:
        assert _lake_rows(lake, spec.table) == _raw_rows(env, spec.table), spec.table


def test_a_date_gone_from_the_warehouse_leaves_the_lake(env):
    office_folder(env.raw)
    lake = env.root / "lake"
    env.ingest(lake_dir=lake)
    con = duckdb.connect(str(env.warehouse))
    con.execute("DELETE FROM raw.m31")
    con.execute("DELETE FROM raw._loads WHERE report = 'M31'")
    con.close()

    res = sync_lake_from(env.warehouse, lake)

    assert res.removed == {"m31": 1}
    assert not partition_dir(lake, "m31", DAY).exists() and _lake_rows(lake, "m31") == []
