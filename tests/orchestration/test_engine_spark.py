"""The briefing is the same whichever engine built the models (issue 11).

A small generated demo goes through ``nhcs run`` twice, once per engine, each into its own
warehouse: DuckDB builds the dbt models in the warehouse; Spark builds them from the Parquet lake
that ingestion also writes, and its tables are copied into the warehouse. Every marts and recon
table, the identity checks and the briefing's figures must then agree row by row.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.reports.readback import parse_briefing

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("spark")]

NHCS = Path(sys.executable).with_name("nhcs")
SCALE = "0.01"


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [str(NHCS), *args], env={**os.environ, **env}, capture_output=True, text=True
    )
    assert proc.returncode == 0, (
        f"nhcs {' '.join(args)}:\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}"
    )
    return proc


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    work = tmp_path_factory.mktemp("engines")
    raw = work / "raw"
    _run(["generate", "--scale", SCALE, "--raw", str(raw)], {})
    out = {}
    for engine in ("duckdb", "spark"):
        root = work / engine
        env = {
            "NHCS_RAW_DIR": str(raw),
            "NHCS_WAREHOUSE": str(root / "warehouse" / "warehouse.duckdb"),
            "NHCS_REPORTS_DIR": str(root / "reports"),
            "DAGSTER_HOME": str(root / "dagster_home"),
            "NHCS_ENGINE": engine,
        }
        (root / "dagster_home").mkdir(parents=True)
        _run(["run"], env)
        out[engine] = root
    return out


def _tables(warehouse: Path, schema: str) -> list[str]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = ? "
                "ORDER BY 1",
                [schema],
            ).fetchall()
        ]


def _rows(warehouse: Path, relation: str, columns: list[str]) -> list[tuple]:
    select = ", ".join(f'"{c}"' for c in columns)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(f"SELECT {select} FROM {relation}").fetchall()
    return sorted((tuple(_norm(v) for v in r) for r in rows), key=repr)


def _columns(warehouse: Path, relation: str) -> list[str]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return [r[0] for r in con.execute(f"DESCRIBE {relation}").fetchall()]


def _norm(v):
    """Engines may type a figure DECIMAL on one side and DOUBLE or BIGINT on the other; the
    value must still be the same. Doubles (ratios) agree to 1e-12 relative."""
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    if isinstance(v, float):
        return int(v) if v.is_integer() and abs(v) < 2**53 else round(v, 12)
    return v


def test_spark_and_duckdb_build_the_same_marts_and_recon(runs):
    duck = runs["duckdb"] / "warehouse" / "warehouse.duckdb"
    spark = runs["spark"] / "warehouse" / "warehouse.duckdb"
    assert (runs["spark"] / "warehouse" / "lake" / "raw" / "m31").is_dir()
    compared = 0
    for schema in ("marts", "recon"):
        names = _tables(duck, schema)
        assert names and _tables(spark, schema) == names, schema
        for name in names:
            relation = f"{schema}.{name}"
            cols = _columns(duck, relation)
            assert sorted(_columns(spark, relation)) == sorted(cols), relation
            # when each run ingested the rows: lineage, different by construction
            cols = [c for c in cols if c != "_loaded_at"]
            a, b = _rows(duck, relation, cols), _rows(spark, relation, cols)
            assert len(a) == len(b), relation
            for x, y in zip(a, b, strict=True):
                assert all(
                    u == v or (isinstance(u, float) and math.isclose(u, v, rel_tol=1e-12))
                    for u, v in zip(x, y, strict=True)
                ), f"{relation}: {x} != {y}"
            compared += len(a)
    assert compared > 1000


def test_the_checks_and_the_briefing_agree(runs):
    def checks(root: Path):
        wh = root / "warehouse" / "warehouse.duckdb"
        with duckdb.connect(str(wh), read_only=True) as con:
            return sorted(
                con.execute(
                    "SELECT identity_no, check_name, row_type, status, items_checked, "
                    "items_failed, as_of_date, item_key, column_name, expected, actual "
                    "FROM quality.check_results"
                ).fetchall(),
                key=repr,
            )

    assert checks(runs["duckdb"]) == checks(runs["spark"]) != []

    def figures(root: Path) -> dict:
        (page,) = sorted((root / "reports").glob("*/briefing.html"))[-1:]
        return {k: v["value"] for k, v in parse_briefing(page).figures.items()}

    a, b = figures(runs["duckdb"]), figures(runs["spark"])
    assert a and a == b
