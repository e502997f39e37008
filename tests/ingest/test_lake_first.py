"""Lake-first ingestion (pipelines.ingest.lake_loader): with the Spark engine the deliveries land
in the Parquet lake, partitioned by data date and unit, never in DuckDB.

The lake must hold exactly what DuckDB ingestion of the same deliveries holds (same readers,
same rules, same rejections, same columns and types), follow re-deliveries key by key, and stay
whole when a load fails.
"""

from __future__ import annotations

import shutil
from datetime import date

import duckdb
import pytest
from builders import (
    DAY,
    OFFICE,
    Folder,
    form_row,
    form_sheet,
    hoi_row,
    hoi_sheet,
    m31_name,
    m31_row,
    report_sheet,
    skgd_row,
    spec_csv,
    xlsx_bytes,
)
from builders import standard_office_folder as office_folder

from pipelines.contract.reports import M31, REPORTS, SKGD
from pipelines.ingest import ingest
from pipelines.ingest.lake import sync_lake_from
from pipelines.ingest.lake_loader import LakeLayoutError, LakeLoader

DAY2 = date(2022, 3, 30)
NEXT = date(2022, 4, 30)


def _deliveries(env) -> None:
    office_folder(env.raw)
    journal = [
        skgd_row(i, txn_date=f"{DAY2:%d/%m/%Y}", txn_id=f"GD{OFFICE}{DAY2:%Y%m%d}{i:04d}")
        for i in range(3)
    ]
    Folder(env.raw, DAY2, OFFICE).add(
        f"SKGD_{OFFICE}_{DAY2:%Y%m%d}.csv", spec_csv(SKGD, journal)
    ).manifest()
    hoi = Folder(env.raw, DAY, "HOI")
    for org in ("11", "12"):
        hoi.add(f"HOI_{org}_{DAY:%Y%m%d}.xlsx", xlsx_bytes(hoi_sheet([hoi_row("Ba Vì")])))
    hoi.manifest()
    Folder(env.raw, DAY, "0108").add(m31_name("0108"), b"not a workbook").manifest()


def _lake_first(env, **kw):
    lake = env.root / "lake"
    wh = env.root / "lake_wh" / "warehouse.duckdb"
    kw.setdefault("workers", 0)
    res = ingest(env.raw, wh, lake_dir=lake, lake_first=True, **kw)
    return res, lake, wh


def _lake_relation(lake, table: str) -> str | None:
    files = sorted((lake / "raw" / table).glob("_data_date=*/_unit=*/*.parquet"))
    if not files:
        return None
    listing = ", ".join(f"'{p}'" for p in files)
    return f"read_parquet([{listing}], hive_partitioning = true)"


def _columns(con, relation: str) -> dict[str, str]:
    return {r[0]: r[1] for r in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()}


def _rows(con, relation: str, columns: list[str]) -> list[tuple]:
    select = ", ".join(f'"{c}"' for c in columns)
    return con.execute(f"SELECT {select} FROM {relation} ORDER BY ALL").fetchall()


def test_the_lake_holds_what_duckdb_ingestion_loads_and_duckdb_holds_no_row(env):
    _deliveries(env)
    duck = env.ingest()
    res, lake, wh = _lake_first(env)

    assert [r.message for r in res.rejections] == [r.message for r in duck.rejections] != []
    assert res.table_rows == duck.table_rows and sum(res.table_rows.values()) > 0
    con = duckdb.connect(str(env.warehouse), read_only=True)
    try:
        for spec in REPORTS:
            relation = _lake_relation(lake, spec.table)
            if relation is None:
                assert duck.table_rows[spec.table] == 0, spec.table
                continue
            types = _columns(con, f"raw.{spec.table}")
            lake_types = _columns(con, relation)
            # hive partitions read back: _data_date as DATE, _unit as text
            assert lake_types == types, spec.table
            compared = [c for c in types if c != "_loaded_at"]  # when each run loaded
            assert _rows(con, relation, compared) == _rows(con, f"raw.{spec.table}", compared)
    finally:
        con.close()
    assert sorted(p.relative_to(lake).as_posix() for p in lake.rglob("*.parquet")) == sorted(
        [
            f"raw/hoi/_data_date={DAY}/_unit=HOI/part-11.parquet",
            f"raw/hoi/_data_date={DAY}/_unit=HOI/part-12.parquet",
            f"raw/skgd/_data_date={DAY2}/_unit={OFFICE}/part-{OFFICE}.parquet",
        ]
        + [
            f"raw/{t}/_data_date={DAY}/_unit={OFFICE}/part-{OFFICE}.parquet"
            for t in ("m31", "skgd", "bcdhtd_011", "bcdhtd_012", "bc0437", "doichieu")
        ]
    )
    # the warehouse file keeps the bookkeeping only: no raw report table, no data row
    with duckdb.connect(str(wh), read_only=True) as c:
        tables = {r[2] for r in c.execute("SHOW ALL TABLES").fetchall()}
        assert tables == {"_lake_loads", "_findings", "_rejections"}
        assert c.execute("SELECT count(*) FROM raw._lake_loads").fetchone()[0] == 9
        assert c.execute("SELECT count(DISTINCT file) FROM raw._rejections").fetchone()[0] == 1


def _files(lake) -> dict[str, int]:
    return {p.relative_to(lake).as_posix(): p.stat().st_mtime_ns for p in lake.rglob("*.parquet")}


def test_an_unchanged_run_writes_nothing_and_a_redelivery_replaces_only_its_key(env):
    f = office_folder(env.raw)
    hoi = Folder(env.raw, DAY, "HOI")
    for org in ("11", "12"):
        hoi.add(f"HOI_{org}_{DAY:%Y%m%d}.xlsx", xlsx_bytes(hoi_sheet([hoi_row("Ba Vì")])))
    hoi.manifest()
    _, lake, _ = _lake_first(env)
    before = _files(lake)

    again, _, _ = _lake_first(env)
    assert again.files_loaded == 0 and _files(lake) == before

    f.add(m31_name(rev=2), xlsx_bytes(report_sheet(M31, [m31_row(i) for i in (1, 2, 3)])))
    f.manifest(revision=2)
    hoi.add(
        f"HOI_12_{DAY:%Y%m%d}_r2.xlsx",
        xlsx_bytes(hoi_sheet([hoi_row("Ba Vì"), hoi_row("Sơn Tây")])),
    )
    hoi.manifest(revision=2)
    res, _, _ = _lake_first(env)

    assert res.files_loaded == 2
    after = _files(lake)
    assert {k for k in after if after[k] != before[k]} == {
        f"raw/m31/_data_date={DAY}/_unit={OFFICE}/part-{OFFICE}.parquet",
        f"raw/hoi/_data_date={DAY}/_unit=HOI/part-12.parquet",
    }
    m31 = duckdb.sql(f"SELECT count(*), max(_revision) FROM {_lake_relation(lake, 'm31')}")
    assert m31.fetchall()[0] == (3, 2)
    hoi_rows = duckdb.sql(
        f"SELECT org_code, count(*) FROM {_lake_relation(lake, 'hoi')} GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert hoi_rows == [("11", 1), ("12", 2)]


def test_a_form_of_a_later_date_takes_its_commune_names_from_the_lake(env):
    office_folder(env.raw)
    _lake_first(env)
    later = Folder(env.raw, NEXT, OFFICE)
    total = form_row("TỔNG CỘNG", None, "90.000000", **{"(16)": "2", "(17)": "2"})
    later.add(
        f"BCDHTD_01.1_{OFFICE}_{NEXT:%d%m%Y}.xlsx",
        xlsx_bytes(
            form_sheet(
                [
                    form_row("Phường Bạch Đằng", "1", "45.000000"),
                    form_row("Phường Minh Khai", "2", "45.000000"),
                ],
                total,
            )
        ),
    ).manifest()

    res, lake, _ = _lake_first(env)

    assert res.files_loaded == 1 and not res.rejections
    codes = duckdb.sql(
        f"SELECT DISTINCT row_code FROM {_lake_relation(lake, 'bcdhtd_011')} "
        f"WHERE _data_date = DATE '{NEXT}' AND row_code IS NOT NULL ORDER BY 1"
    ).fetchall()
    assert codes == [("010701",), ("010702",)]


def test_a_failed_commit_leaves_the_lake_as_it_was(env, monkeypatch):
    f = office_folder(env.raw)
    _, lake, _ = _lake_first(env)
    before = {
        p.relative_to(lake).as_posix(): p.read_bytes() for p in sorted(lake.rglob("*.parquet"))
    }
    f.add(m31_name(rev=2), xlsx_bytes(report_sheet(M31, [m31_row(7)])))
    f.manifest(revision=2)

    def broken(self, loaded_at):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("pipelines.ingest.loader.Warehouse.commit", broken)
    res, _, _ = _lake_first(env)

    assert res.files_loaded == 0 and res.files_rejected == 1
    assert "could not be loaded" in res.rejections[0].message
    after = {
        p.relative_to(lake).as_posix(): p.read_bytes() for p in sorted(lake.rglob("*.parquet"))
    }
    assert after == before
    assert not [p for p in lake.rglob(".*") if p.is_file()]

    monkeypatch.undo()
    res, _, _ = _lake_first(env)  # the next run loads it
    assert res.files_loaded == 1
    assert duckdb.sql(f"SELECT count(*) FROM {_lake_relation(lake, 'm31')}").fetchall()[0] == (1,)


def test_leftovers_of_a_crash_are_removed_and_the_two_lakes_never_mix(env):
    office_folder(env.raw)
    _, lake, _ = _lake_first(env)
    folder = lake / "raw" / "m31" / f"_data_date={DAY}" / f"_unit={OFFICE}"
    (folder / f".part-{OFFICE}.parquet.new-1").write_bytes(b"half a file")
    _lake_first(env)
    assert [p.name for p in folder.iterdir()] == [f"part-{OFFICE}.parquet"]

    # a DuckDB export never writes into the Spark engine's lake, nor the other way round
    env.ingest()
    with pytest.raises(RuntimeError, match="is the Spark engine's lake"):
        sync_lake_from(env.warehouse, lake)
    exported = env.root / "exported"
    sync_lake_from(env.warehouse, exported)
    with pytest.raises(LakeLayoutError, match="was exported from a DuckDB warehouse"):
        LakeLoader(env.root / "other.duckdb", exported)
    shutil.rmtree(exported)
