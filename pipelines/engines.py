"""Which engine builds the dbt models, and how a Spark build reaches the DuckDB warehouse.

DuckDB (the default) builds the models inside the warehouse file. Spark (``NHCS_ENGINE=spark``,
``nhcs run --engine spark``; docs/scale-out.md) builds the same dbt project through dbt-spark
from the Parquet lake that ingestion also writes; its tables land as plain Parquet folders under
``<spark_dir>/tables/<schema>/<model>/``. The reconciliation checks read Spark's recon tables
there (``pipelines.quality.spark_runner``); ``mirror_spark_tables`` then copies only what the
analysts read (marts and recon) into the warehouse's schemas of the same names, so the briefing
and the published analytics database read the same tables whichever engine built them. The big
intermediate models (the month balances, the roll-forward) stay on Spark's side.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from .settings import Settings, duckdb_memory_limit
from .warehouse_db import connect


def dbt_executable() -> Path:
    """The dbt of this interpreter's environment, whether or not the venv is on PATH."""
    return Path(sys.executable).with_name("dbt")


# The production build. dbt's unit tests check model logic on fixed inputs: they run in
# `make test` (tests/dbt) and cost a run nothing to skip, as dbt's docs recommend.
BUILD_ARGS = ("build", "--exclude", "resource_type:unit_test")

# What the briefing and the publication read (staging is views, seeds and intermediate are
# inputs of the marts: they stay on Spark's side).
MIRRORED_SCHEMAS = ("marts", "recon")
Progress = Callable[[str], None]


class MirrorError(RuntimeError):
    """Spark's output cannot be copied into the warehouse; the warehouse is unchanged."""


def dbt_target_args(settings: Settings) -> list[str]:
    """The dbt CLI arguments that choose the engine's profile target (dbt_project/profiles.yml).

    Empty for DuckDB, the profile's default target: dbt keys its partial-parse state on the
    command line, so ``--target duckdb`` would throw away the parse that ``nhcs`` prepared."""
    return [] if settings.engine == "duckdb" else ["--target", settings.engine]


def dbt_vars(settings: Settings) -> dict[str, str]:
    """The run's settings as dbt vars (profiles.yml, dbt_project.yml and the Spark source macro
    read ``var('nhcs_*')``, falling back to the NHCS_* environment when dbt is run by hand)."""
    out = {
        "nhcs_warehouse": str(settings.warehouse),
        "nhcs_duckdb_memory_limit": duckdb_memory_limit(),
    }
    if settings.is_spark:
        out.update(nhcs_spark_dir=str(settings.spark_dir), nhcs_lake_dir=str(settings.lake_dir))
    return out


def dbt_settings_args(settings: Settings) -> list[str]:
    """``--target`` (Spark only) and ``--vars`` for every dbt command of a run. The parse that
    prepares the manifest and the build pass the same text, so the build reuses the parse."""
    return [*dbt_target_args(settings), "--vars", json.dumps(dbt_vars(settings), sort_keys=True)]


def lake_dir_for_ingest(settings: Settings) -> Path | None:
    """Ingestion also writes the Parquet lake when Spark is the engine."""
    return settings.lake_dir if settings.is_spark else None


@dataclass(frozen=True)
class MirroredTable:
    schema: str
    name: str
    rows: int


def spark_tables(spark_dir: Path, schemas: Iterable[str] = MIRRORED_SCHEMAS) -> list[Path]:
    """Folders of the tables Spark built (``<spark_dir>/tables/<schema>/<name>``)."""
    root = Path(spark_dir) / "tables"
    found = []
    for schema in schemas:
        folder = root / schema
        if folder.is_dir():
            found += sorted(
                p for p in folder.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))
            )
    return found


def _lit(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def mirror_spark_tables(
    spark_dir: Path, warehouse: Path, progress: Progress | None = None
) -> list[MirroredTable]:
    """Replace the warehouse's copy of every table Spark built, in one transaction.

    A table folder without data files (Spark writes none for an empty partitioned table) empties
    the warehouse table of that name, keeping its columns; if the warehouse has no such table
    either, the mirror fails and changes nothing."""
    say = progress or (lambda msg: None)
    folders = spark_tables(spark_dir)
    if not folders:
        raise MirrorError(
            f"no Spark tables under {Path(spark_dir) / 'tables'}: did the Spark dbt build run "
            "with this NHCS_SPARK_DIR?"
        )
    con = connect(warehouse)
    done: list[MirroredTable] = []
    try:
        con.execute("BEGIN TRANSACTION")
        for folder in folders:
            schema, name = folder.parent.name, folder.name
            relation = f'"{schema}"."{name}"'
            con.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            files = [p for p in folder.rglob("*.parquet") if not _hidden(p, folder)]
            if files:
                listing = ", ".join(_lit(p) for p in sorted(files))
                con.execute(
                    f"CREATE OR REPLACE TABLE {relation} AS SELECT * FROM read_parquet("
                    f"[{listing}], hive_partitioning = true)"
                )
            else:
                exists = con.execute(
                    "SELECT count(*) FROM information_schema.tables "
                    "WHERE table_schema = ? AND table_name = ?",
                    [schema, name],
                ).fetchone()[0]
                if not exists:
                    raise MirrorError(
                        f"{folder}: Spark wrote no data file and the warehouse has no table "
                        f"{schema}.{name} to take the columns from"
                    )
                con.execute(f"DELETE FROM {relation}")
            rows = con.execute(f"SELECT count(*) FROM {relation}").fetchone()[0]
            done.append(MirroredTable(schema, name, rows))
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.close()
    say(
        f"spark: {len(done)} tables copied into {Path(warehouse).name} "
        f"({sum(t.rows for t in done):,} rows)"
    )
    return done


def _hidden(path: Path, root: Path) -> bool:
    """Spark's own bookkeeping (``_SUCCESS``, ``.crc``, ``_temporary``) is not data; a
    partition folder (``_data_date=2022-03-31``) is. Spark's file listing has the same rule."""
    return any(
        part.startswith(".") or (part.startswith("_") and "=" not in part)
        for part in path.relative_to(root).parts
    )
