"""Engine selection and the copy of Spark's tables into the warehouse (pipelines.engines).

Spark itself is exercised by tests/dbt/test_spark_target.py and the end-to-end engine test;
here the folders are written by DuckDB in the layout Spark produces, so every rule of the copy
is checked in a second.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipelines.engines import (
    MirrorError,
    dbt_target_args,
    dbt_vars,
    lake_dir_for_ingest,
    mirror_spark_tables,
)
from pipelines.settings import load_settings


def _write(folder: Path, sql: str, partition: str | None = None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    if partition:
        duckdb.sql(f"COPY ({sql}) TO '{folder}' (FORMAT parquet, PARTITION_BY ({partition}))")
    else:
        duckdb.sql(f"COPY ({sql}) TO '{folder / 'part-00000-x.snappy.parquet'}' (FORMAT parquet)")
    (folder / "_SUCCESS").write_bytes(b"")


def _rows(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_settings_choose_engine_target_and_folders(tmp_path, monkeypatch):
    monkeypatch.delenv("NHCS_ENGINE", raising=False)
    monkeypatch.delenv("NHCS_LAKE_DIR", raising=False)
    monkeypatch.delenv("NHCS_SPARK_DIR", raising=False)
    s = load_settings(warehouse=tmp_path / "wh" / "w.duckdb")
    assert s.engine == "duckdb" and dbt_target_args(s) == [] and lake_dir_for_ingest(s) is None
    assert "nhcs_spark_dir" not in dbt_vars(s)
    assert dbt_vars(s)["nhcs_warehouse"] == str(tmp_path / "wh" / "w.duckdb")

    monkeypatch.setenv("NHCS_ENGINE", "spark")
    s = load_settings(warehouse=tmp_path / "wh" / "w.duckdb")
    assert dbt_target_args(s) == ["--target", "spark"]
    assert lake_dir_for_ingest(s) == tmp_path / "wh" / "lake"
    assert dbt_vars(s)["nhcs_spark_dir"] == str(tmp_path / "wh" / "spark")
    assert dbt_vars(s)["nhcs_lake_dir"] == str(tmp_path / "wh" / "lake")

    # the cluster target: Spark too (lake-first ingestion, the same folders)
    monkeypatch.setenv("NHCS_ENGINE", "spark-thrift")
    s = load_settings(warehouse=tmp_path / "wh" / "w.duckdb")
    assert s.is_spark and dbt_target_args(s) == ["--target", "spark-thrift"]
    assert lake_dir_for_ingest(s) == tmp_path / "wh" / "lake"

    monkeypatch.setenv("NHCS_ENGINE", "postgres")
    with pytest.raises(ValueError, match="unknown engine 'postgres'"):
        load_settings()


def test_cli_reports_a_bad_setting_in_one_line(tmp_path, monkeypatch, capsys):
    from pipelines.cli import EXIT_USAGE, main

    monkeypatch.setenv("NHCS_ENGINE", "postgres")
    assert main(["run", "--warehouse", str(tmp_path / "w.duckdb")]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert (
        err == "nhcs: unknown engine 'postgres' (NHCS_ENGINE): expected one of "
        "('duckdb', 'spark', 'spark-thrift')\n"
    )


def test_mirror_copies_tables_partitions_and_skips_spark_bookkeeping(tmp_path):
    spark, wh = tmp_path / "spark", tmp_path / "warehouse.duckdb"
    tables = spark / "tables"
    _write(tables / "marts" / "mart_x", "SELECT 1 AS id, 2.5::DECIMAL(18,2) AS amount")
    _write(
        tables / "recon" / "recon_y",
        "SELECT i AS id, DATE '2022-01-31' + (i % 2)::INTEGER * 28 AS as_of_date FROM range(4) t(i)",
        partition="as_of_date",
    )
    # inputs of the marts stay on Spark's side: only what analysts read is copied
    _write(tables / "intermediate" / "int_big", "SELECT 1 AS id")
    _write(tables / "seeds" / "codes", "SELECT 1 AS id")
    (tables / "marts" / "mart_x" / ".part-00000-x.snappy.parquet.crc").write_bytes(b"crc")
    (tables / "marts" / "mart_x" / "_temporary").mkdir()
    (tables / "marts" / "mart_x" / "_temporary" / "junk.parquet").write_bytes(b"half")
    (tables / "staging").mkdir()  # views only: nothing to copy

    done = mirror_spark_tables(spark, wh)

    assert {(t.schema, t.name, t.rows) for t in done} == {
        ("marts", "mart_x", 1),
        ("recon", "recon_y", 4),
    }
    assert _rows(wh, "SELECT id, amount FROM marts.mart_x") == [(1, 2.5)]
    assert _rows(wh, "SELECT count(DISTINCT as_of_date) FROM recon.recon_y") == [(2,)]
    assert _rows(wh, "SELECT schema_name FROM information_schema.schemata "
                     "WHERE schema_name IN ('intermediate', 'seeds')") == []  # fmt: skip


def test_an_empty_spark_table_empties_the_warehouse_copy(tmp_path):
    spark, wh = tmp_path / "spark", tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(wh)) as con:
        con.execute("CREATE SCHEMA recon; CREATE TABLE recon.r AS SELECT 1 AS id")
    (spark / "tables" / "recon" / "r").mkdir(parents=True)  # Spark wrote no file: no rows
    mirror_spark_tables(spark, wh)
    assert _rows(wh, "SELECT count(*) FROM recon.r") == [(0,)]


def test_a_failed_mirror_changes_nothing(tmp_path):
    spark, wh = tmp_path / "spark", tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(wh)) as con:
        con.execute("CREATE SCHEMA marts; CREATE TABLE marts.a AS SELECT 'old' AS v")
    _write(spark / "tables" / "marts" / "a", "SELECT 'new' AS v")
    (spark / "tables" / "marts" / "b").mkdir(parents=True)  # empty, and unknown to DuckDB

    with pytest.raises(MirrorError, match="no table marts.b"):
        mirror_spark_tables(spark, wh)
    assert _rows(wh, "SELECT v FROM marts.a") == [("old",)]

    with pytest.raises(MirrorError, match="no Spark tables"):
        mirror_spark_tables(tmp_path / "nothing", wh)
