"""The same figures on a Spark cluster as on DuckDB (issues 11 and 23).

The test session starts a local Spark cluster (master, two workers, Thrift server, on free
loopback ports: the ``spark_cluster`` fixture) and stops it at the end. A small generated demo
then goes through ``nhcs run`` twice, each into its own warehouse: with the DuckDB engine, and
with the ``spark-thrift`` engine against the cluster, where the deliveries land in the Parquet
lake (never in DuckDB), dbt builds every model on the cluster, the reconciliation identities
run as Great Expectations suites on Spark DataFrames, and only the marts and recon tables are
copied into the warehouse.

Every table of every layer (seeds, intermediate, marts, recon, read back from Spark's Parquet
folders; the load times by rank, since each run's ingestion stamps its own), every identity
check result (month by month too) and every figure of the briefing must agree. This is the
project's one Spark comparison: the demo at scale 0.01 is the smallest data that gives every
model rows (asserted below), so one cluster build covers every model.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.conftest import reset_spark_catalog
from tests.reports.readback import parse_briefing
from tests.spark_compare import TABLES, compare_table

NHCS = Path(sys.executable).with_name("nhcs")
SCALE = "0.01"
SPARK_ENGINE = "spark-thrift"

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.xdist_group("spark")]


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [str(NHCS), *args], env={**os.environ, **env}, capture_output=True, text=True
    )
    assert proc.returncode == 0, (
        f"nhcs {' '.join(args)}:\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}"
    )
    return proc


@pytest.fixture(scope="module")
def runs(tmp_path_factory, spark_cluster) -> dict[str, Path]:
    work = tmp_path_factory.mktemp("engines")
    raw = work / "raw"
    _run(["generate", "--scale", SCALE, "--raw", str(raw)], {})
    out = {}
    for engine in ("duckdb", SPARK_ENGINE):
        root = work / engine
        env = {
            "NHCS_RAW_DIR": str(raw),
            "NHCS_WAREHOUSE": str(root / "warehouse" / "warehouse.duckdb"),
            "NHCS_REPORTS_DIR": str(root / "reports"),
            "DAGSTER_HOME": str(root / "dagster_home"),
            "NHCS_ENGINE": engine,
            "NHCS_SPARK_THRIFT_PORT": str(spark_cluster.config.thrift_port),
            "NHCS_SPARK_DRIVER_MEMORY": "1g",  # the checks' local Spark
        }
        (root / "dagster_home").mkdir(parents=True)
        if engine == SPARK_ENGINE:
            reset_spark_catalog(spark_cluster)  # another test's build may have used it
        _run(["run"], env)
        out[engine] = root
    return out


def _warehouse(root: Path) -> Path:
    return root / "warehouse" / "warehouse.duckdb"


def test_the_cluster_serves_two_workers_and_answers(spark_cluster):
    status = spark_cluster.status()
    assert status.healthy, status.lines()
    assert len(status.workers_alive) == 2 and status.thrift_answers
    pids = {p.name: p.pid for p in status.processes}
    again = spark_cluster.start()  # idempotent: nothing started twice
    assert {p.name: p.pid for p in again.processes} == pids


def test_every_table_of_every_layer_is_the_same_on_the_cluster(runs):
    duck, spark_root = _warehouse(runs["duckdb"]), runs[SPARK_ENGINE]
    spark_dir = spark_root / "warehouse" / "spark"
    with duckdb.connect(str(duck), read_only=True) as con:
        built = con.execute(
            """select table_schema, table_name from information_schema.tables
               where table_schema in ('seeds', 'intermediate', 'marts', 'recon')
                 and table_type = 'BASE TABLE'"""
        ).fetchall()
        assert sorted(built) == TABLES, "the list of compared tables is out of date"
        empty = [
            f"{s}.{t}"
            for s, t in TABLES
            if not con.execute(f"select count(*) from {s}.{t}").fetchone()[0]
        ]
        assert empty == [], "the demo no longer exercises these models"
        differences = {
            f"{schema}.{table}": problems
            for schema, table in TABLES
            # each run's ingestion stamped its own load times
            if (problems := compare_table(con, spark_dir, schema, table, same_load_times=False))
        }
        assert differences == {}

    # lake-first: the Spark run's rows never went through DuckDB, and only what analysts read
    # came back into its warehouse
    assert list((spark_root / "warehouse" / "lake" / "raw" / "m31").glob("_data_date=*/_unit=*"))
    with duckdb.connect(str(_warehouse(spark_root)), read_only=True) as con:
        schemas = {
            r[0]
            for r in con.execute(
                "select distinct table_schema from information_schema.tables"
            ).fetchall()
        }
        raw = {
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'raw'"
            ).fetchall()
        }
    assert schemas == {"raw", "marts", "recon", "quality"}
    assert raw == {"_lake_loads", "_findings", "_rejections"}


def test_the_checks_on_spark_and_the_briefing_agree(runs):
    def checks(root: Path):
        with duckdb.connect(str(_warehouse(root)), read_only=True) as con:
            return sorted(
                con.execute(
                    "SELECT identity_no, check_name, row_type, status, items_checked, "
                    "items_failed, as_of_date, item_key, column_name, expected, actual "
                    "FROM quality.check_results"
                ).fetchall(),
                key=repr,
            )

    duck, spark = checks(runs["duckdb"]), checks(runs[SPARK_ENGINE])
    assert duck == spark and any(r[2] == "failure" for r in duck)  # findings listed alike

    def figures(root: Path) -> dict:
        (page,) = sorted((root / "reports").glob("*/briefing.html"))[-1:]
        return {k: v["value"] for k, v in parse_briefing(page).figures.items()}

    a, b = figures(runs["duckdb"]), figures(runs[SPARK_ENGINE])
    assert a and a == b
