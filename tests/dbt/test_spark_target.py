"""The same dbt project on Spark (dbt-spark, session method) gives the same tables as on DuckDB.

The mini branch (fixtures.py) is built on DuckDB as the other dbt tests do (`fixture_warehouse`).
Its raw rows are exported to a Parquet lake in tmp_path, laid out as pipelines/ingest exports it
($NHCS_LAKE_DIR/raw/<table>/_data_date=YYYY-MM-DD/*.parquet), and the project is built once with
`dbt build --target spark` (NHCS_SPARK_DIR in tmp_path: its own metastore, so parallel sessions
never share one). Every table of seeds, intermediate, marts and recon is then read back from
Spark's Parquet folders with DuckDB (no Spark) and compared row by row with DuckDB's table.

Normalized, because legitimately engine-specific: the column order (Spark moves a table's
partition column last), the integer width (Spark's INT where DuckDB has BIGINT, e.g. extract())
and DECIMAL vs DOUBLE. Not normalized: column names, the set of rows (a multiset: duplicates
count), every value (exact; doubles to a relative 1e-12), NULLs, and the type family of each
column (integer / real / text / date / timestamp / boolean).

The Spark tables are built in two nights, so the comparison is also that of an incremental
Spark build (insert_overwrite by partition) with DuckDB's full one. First night: the lake holds
the first two month-ends only (the HOI folder empty, the DOICHIEU folder absent), loaded ten days
earlier, with a first revision of the 31/01/2022 Mẫu 31 that a later _r2 corrects; the raw
tables are registered (`dbt run-operation register_raw_sources`) and the models built. Second
night: the other dates arrive and the corrected January file replaces the first one (loaded
now), and `dbt build` runs incrementally: the build's on-run-start hook must pick up the dates
delivered after the tables were first registered, Spark must keep the untouched partitions
(31/12/2021), overwrite the corrected one (31/01/2022) and add the new ones. The reference is a
DuckDB full build of the same raw rows with the same load times.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import shutil
import time
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from conftest import fixtures, run_dbt

from pipelines.contract.reports import REPORTS
from pipelines.settings import DBT_PROJECT_DIR

pytestmark = pytest.mark.xdist_group("spark")

# Every table the project builds: (schema, name). Staging models are views (not on disk).
TABLES = sorted(
    [("seeds", p.stem) for p in (DBT_PROJECT_DIR / "seeds").glob("*.csv")]
    + [
        (layer, p.stem)
        for layer in ("intermediate", "marts", "recon")
        for p in (DBT_PROJECT_DIR / "models" / layer).glob("*.sql")
    ]
)
FIRST_DELIVERY_END = fixtures.D1  # the lake's first state: month-ends up to 31/01/2022
CORRECTED_LOAN = fixtures.LOANS[0].code  # its first-revision 31/01/2022 balance is off
FLOAT_REL_TOL = 1e-12


def _export(
    con: duckdb.DuckDBPyConnection, lake: Path, where: dict[str, str], select: str = "*"
) -> None:
    """Append the rows of raw.<table> matching where[table] to the lake (tables not in
    ``where`` are left alone; their folder may not even exist). ``select``: the columns."""
    for spec in REPORTS:
        if spec.table not in where:
            continue
        folder = lake / "raw" / spec.table
        folder.mkdir(parents=True, exist_ok=True)
        sql = f"select {select} from raw.{spec.table} where {where[spec.table]}"
        if con.execute(f"select count(*) from ({sql})").fetchone()[0]:
            con.execute(
                f"copy ({sql}) to '{folder}' "
                "(format parquet, partition_by (_data_date), overwrite_or_ignore)"
            )


def _spark_build(fixture_warehouse: Path, tmp_path_factory) -> tuple[Path, Path, float]:
    """The mini branch built on Spark in two nights; returns (the DuckDB reference warehouse,
    spark dir, build seconds). The first night's files are loaded ten days before the second
    night's (their _loaded_at), as ingestion would stamp them; the reference is a DuckDB
    --full-refresh build of a copy of the fixture warehouse whose raw rows carry the same load
    times."""
    work = tmp_path_factory.mktemp("dbt_spark")
    lake, spark_dir = work / "lake", work / "spark"
    env = {"NHCS_LAKE_DIR": str(lake), "NHCS_SPARK_DIR": str(spark_dir)}
    first = f"_data_date <= date '{FIRST_DELIVERY_END}'"
    corrected = f"_data_date = date '{FIRST_DELIVERY_END}'"
    earlier = "_loaded_at - interval 10 day as _loaded_at"
    reference = work / "reference.duckdb"
    shutil.copy(fixture_warehouse, reference)
    con = duckdb.connect(str(reference))
    try:
        for spec in REPORTS:
            if spec.table != "doichieu":
                keep = f" and not ({corrected})" if spec.table == "m31" else ""
                con.execute(
                    f"update raw.{spec.table} set _loaded_at = _loaded_at - interval 10 day "
                    f"where {first}{keep}"
                )
        first_tables = [s.table for s in REPORTS if s.table not in ("doichieu", "m31")]
        _export(con, lake, {t: first for t in first_tables})
        _export(con, lake, {"m31": f"{first} and not ({corrected})"})
        _export(
            con,
            lake,
            {"m31": corrected},
            select=f"* replace (outstanding + case when loan_code = '{CORRECTED_LOAN}' "
            f"then 1000 else 0 end as outstanding, {earlier})",
        )
        assert not any((lake / "raw" / "hoi").iterdir())  # a report not delivered yet
        assert not (lake / "raw" / "doichieu").exists()  # nor its folder
        run_dbt(reference, work, "run-operation", "register_raw_sources",
                "--target", "spark", env=env)  # fmt: skip
        started = time.monotonic()
        run_dbt(reference, work, "build", "--target", "spark",
                "--exclude", "resource_type:test", "resource_type:unit_test", env=env)  # fmt: skip
        first_night = time.monotonic() - started
        shutil.rmtree(lake / "raw" / "m31" / f"_data_date={FIRST_DELIVERY_END}")
        rest = {s.table: f"not ({first})" for s in REPORTS} | {"doichieu": "true"}
        _export(con, lake, rest | {"m31": f"not ({first}) or {corrected}"})
    finally:
        con.close()
    started = time.monotonic()
    proc = run_dbt(reference, work, "build", "--target", "spark", env=env)
    seconds = first_night + time.monotonic() - started
    rebuilt = dict(re.findall(r"(\w+): rebuilding (\d+) partition", proc.stdout))
    # the second night is incremental: the opening month-end kept, January overwritten by the
    # corrected file, February and March added
    assert rebuilt["int_loan_month_balances"] == "3", rebuilt
    run_dbt(reference, work, "run", "--full-refresh")
    return reference, spark_dir, seconds


# ------------------------------------------------------------------------------ comparison


def _family(duckdb_type: str) -> str:
    t = duckdb_type.upper()
    if t in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT"):
        return "integer"
    if t in ("FLOAT", "DOUBLE") or t.startswith("DECIMAL"):
        return "real"
    if t == "VARCHAR":
        return "text"
    if t.startswith("TIMESTAMP"):
        return t  # TIMESTAMP vs TIMESTAMP WITH TIME ZONE is a real difference
    return t  # DATE, BOOLEAN


def _value(v):
    return float(v) if isinstance(v, Decimal | float) else v


def _sort_key(row):
    # NULLs first; doubles rounded for ordering only (compared with a tolerance below)
    return tuple(
        (0,) if v is None else (1, round(v, 6) if isinstance(v, float) else v) for v in row
    )


def compare_tables(columns, duck_rows, spark_rows) -> list[str]:
    """Differences between two multisets of rows with the same columns (empty: equal)."""
    if len(duck_rows) != len(spark_rows):
        return [f"{len(duck_rows)} rows on DuckDB, {len(spark_rows)} on Spark"]
    duck = sorted((tuple(map(_value, r)) for r in duck_rows), key=_sort_key)
    spark = sorted((tuple(map(_value, r)) for r in spark_rows), key=_sort_key)
    problems = []
    for a, b in zip(duck, spark, strict=True):
        for name, x, y in zip(columns, a, b, strict=True):
            if isinstance(x, float) and isinstance(y, float):
                same = math.isclose(x, y, rel_tol=FLOAT_REL_TOL, abs_tol=1e-300)
            else:
                same = x == y and type(x) is type(y)
            if not same:
                problems.append(f"{name}: DuckDB {x!r} vs Spark {y!r} in DuckDB row {a!r}")
                break
        if len(problems) >= 5:
            break
    return problems


def _describe(con, sql: str) -> dict[str, str]:
    return {r[0]: r[1] for r in con.execute(f"describe {sql}").fetchall()}


# ------------------------------------------------------------------------------ tests


def _compare_table(con, spark_dir: Path, schema: str, table: str) -> list[str]:
    folder = spark_dir / "tables" / schema / table
    if not any(folder.rglob("*.parquet")):
        return [f"no parquet files in {folder}"]
    spark_sql = f"read_parquet('{folder}/**/*.parquet', hive_partitioning = true)"
    duck_types = _describe(con, f"{schema}.{table}")
    spark_types = _describe(con, f"select * from {spark_sql}")
    if sorted(spark_types) != sorted(duck_types):
        return [f"columns: DuckDB {sorted(duck_types)} vs Spark {sorted(spark_types)}"]
    families = {c: (_family(duck_types[c]), _family(spark_types[c])) for c in duck_types}
    wrong = {c: f for c, f in families.items() if f[0] != f[1]}
    if wrong:
        return [f"column types (DuckDB, Spark): {wrong}"]
    cols = ", ".join(f'"{c}"' for c in duck_types)  # DuckDB's column order on both sides
    duck_rows = con.execute(f"select {cols} from {schema}.{table}").fetchall()
    spark_rows = con.execute(f"select {cols} from {spark_sql}").fetchall()
    return compare_tables(list(duck_types), duck_rows, spark_rows)


@pytest.mark.slow
def test_spark_build_equals_duckdb(fixture_warehouse, tmp_path_factory):
    """One test for the whole Spark build (so that pytest-xdist, however it distributes tests,
    never starts two Spark builds): every table of every layer equal on both engines."""
    warehouse, spark_dir, seconds = _spark_build(fixture_warehouse, tmp_path_factory)
    print(f"dbt build --target spark of the mini branch: {seconds:.0f} s")
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        built = con.execute(
            """select table_schema, table_name from information_schema.tables
               where table_schema in ('seeds', 'intermediate', 'marts', 'recon')
                 and table_type = 'BASE TABLE'"""
        ).fetchall()
        assert sorted(built) == TABLES, "the list of compared tables is out of date"
        differences = {
            f"{schema}.{table}": problems
            for schema, table in TABLES
            if (problems := _compare_table(con, spark_dir, schema, table))
        }
        assert differences == {}

        # non-trivial: every month-end reached Spark, including those delivered after the raw
        # tables were first registered, and the journal, the registers and HOI reports did too
        def values(schema, table, column):
            folder = spark_dir / "tables" / schema / table
            return [
                r[0]
                for r in con.execute(
                    f"select distinct {column} from read_parquet('{folder}/**/*.parquet', "
                    f"hive_partitioning = true) order by 1"
                ).fetchall()
            ]

        assert values("marts", "mart_briefing_kpis", "as_of_date") == list(fixtures.MONTH_ENDS)
        assert values("marts", "fct_loan_balance", "as_of_date") == list(fixtures.MONTH_ENDS)
        assert max(values("marts", "fct_repayment", "txn_date")) > FIRST_DELIVERY_END
        assert values("marts", "fct_reconciliation", "as_of_date") == [
            fixtures.D1,
            fixtures.D2,
            fixtures.D3,
        ]
        assert values("recon", "recon_org_reports", "as_of_date") == [fixtures.D3]
    finally:
        con.close()


def test_comparison_detects_differences():
    """The comparison itself can fail: a changed value, a missing row, a duplicated row, a
    NULL for a value, an int for a string and a double beyond the tolerance are all reported."""
    rows = [(1, "a", 0.5, dt.date(2022, 1, 31)), (2, None, 1 / 3, dt.date(2022, 2, 28))]
    cols = ["n", "s", "x", "d"]
    assert compare_tables(cols, rows, list(reversed(rows))) == []
    assert (
        compare_tables(cols, rows, [(1, "a", Decimal("0.5"), dt.date(2022, 1, 31)), rows[1]]) == []
    )
    for other in (
        [rows[0], (2, None, 1 / 3, dt.date(2022, 3, 31))],
        rows[:1],
        [rows[0], rows[0]],
        [rows[0], (2, "b", 1 / 3, dt.date(2022, 2, 28))],
        [(1, 1, 0.5, dt.date(2022, 1, 31)), rows[1]],
        [rows[0], (2, None, 1 / 3 + 1e-9, dt.date(2022, 2, 28))],
    ):
        assert compare_tables(cols, rows, other) != [], other
