"""Compare a table built by DuckDB with the same table built by Spark (read back from Spark's
Parquet folder with DuckDB, no Spark needed).

Normalized, because legitimately engine-specific: the column order (Spark moves a table's
partition column last), the integer width (Spark's INT where DuckDB has BIGINT, e.g. extract())
and DECIMAL vs DOUBLE. Not normalized: column names, the set of rows (a multiset: duplicates
count), every value (exact; doubles to a relative 1e-12), NULLs, and the type family of each
column (integer / real / text / date / timestamp / boolean).

Load times (the columns named ``*loaded_at``: ``_loaded_at``, ``_inputs_loaded_at``,
``source_loaded_at``, ...) are ingestion's clock. Two builds of the same raw rows have the same
ones; two ingestions of the same deliveries (``nhcs run`` on each engine) stamp their own, so
``same_load_times=False`` compares each such column by the rank of its values instead (which
rows share a load time and which came later), never by the clock. ``_built_at`` (when the dbt
run that rebuilt a month started) says which build wrote a row, not what it holds: a table
built in two nights and the same table built at once differ there by design, so its values
are not compared (the column itself must exist on both engines).
"""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path

from pipelines.settings import DBT_PROJECT_DIR

FLOAT_REL_TOL = 1e-12

# Every table the project builds: (schema, name). Staging models are views (not on disk).
TABLES = sorted(
    [("seeds", p.stem) for p in (DBT_PROJECT_DIR / "seeds").rglob("*.csv")]
    + [
        (layer, p.stem)
        for layer in ("intermediate", "marts", "recon")
        for p in (DBT_PROJECT_DIR / "models" / layer).glob("*.sql")
    ]
)


def spark_relation(folder: Path) -> str:
    return f"read_parquet('{folder}/**/*.parquet', hive_partitioning = true)"


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


def is_load_time(column: str) -> bool:
    return column.endswith("loaded_at")


BUILD_TIME = "_built_at"


def _ranked(columns, rows) -> list[tuple]:
    """The rows with each load-time column's values replaced by their rank (1: the earliest;
    NULL stays NULL)."""
    at = [i for i, c in enumerate(columns) if is_load_time(c)]
    ranks = {
        i: {v: n for n, v in enumerate(sorted({r[i] for r in rows if r[i] is not None}), 1)}
        for i in at
    }
    return [
        tuple(ranks[i].get(v) if i in ranks and v is not None else v for i, v in enumerate(r))
        for r in rows
    ]


def compare_tables(columns, duck_rows, spark_rows, same_load_times: bool = True) -> list[str]:
    """Differences between two multisets of rows with the same columns (empty: equal)."""

    if not same_load_times:
        duck_rows, spark_rows = _ranked(columns, duck_rows), _ranked(columns, spark_rows)
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


def compare_table(
    con, spark_dir: Path, schema: str, table: str, same_load_times: bool = True
) -> list[str]:
    folder = spark_dir / "tables" / schema / table
    if not any(folder.rglob("*.parquet")):
        return [f"no parquet files in {folder}"]
    spark_sql = spark_relation(folder)
    duck_types = _describe(con, f"{schema}.{table}")
    spark_types = _describe(con, f"select * from {spark_sql}")
    if sorted(spark_types) != sorted(duck_types):
        return [f"columns: DuckDB {sorted(duck_types)} vs Spark {sorted(spark_types)}"]
    families = {c: (_family(duck_types[c]), _family(spark_types[c])) for c in duck_types}
    wrong = {c: f for c, f in families.items() if f[0] != f[1]}
    if wrong:
        return [f"column types (DuckDB, Spark): {wrong}"]
    compared = [c for c in duck_types if c != BUILD_TIME]
    cols = ", ".join(f'"{c}"' for c in compared)  # DuckDB's column order on both sides
    duck_rows = con.execute(f"select {cols} from {schema}.{table}").fetchall()
    spark_rows = con.execute(f"select {cols} from {spark_sql}").fetchall()
    return compare_tables(compared, duck_rows, spark_rows, same_load_times)
