"""Paths of a run, from options or the environment, with the project's defaults.

``NHCS_RAW_DIR`` (default ``data/raw``), ``NHCS_WAREHOUSE`` (default
``data/warehouse/warehouse.duckdb``), ``NHCS_REPORTS_DIR`` (default ``data/reports``),
``NHCS_ENGINE`` (which engine builds the dbt models: ``duckdb``, the default, or a Spark target
of dbt_project/profiles.yml: ``spark``, a local session, or ``spark-thrift``, a Spark Thrift
server such as the one ``nhcs spark-cluster start`` runs; docs/scale-out.md),
``NHCS_LAKE_DIR`` / ``NHCS_SPARK_DIR`` (the Parquet lake and Spark's catalog and tables; default
``lake/`` and ``spark/`` beside the warehouse file), ``NHCS_LOG_DIR`` (the full logs of
``nhcs run``; default ``logs/`` beside the warehouse file).
Orchestration: ``NHCS_PARTITION_START`` (YYYY-MM-DD), the first daily partition of the Dagster
ingest job; unset, the partitions start at the earliest delivered data date.
Tuning: ``NHCS_DUCKDB_MEMORY_LIMIT`` (default ``8GB``; every DuckDB connection and the dbt
profile) and ``NHCS_CHECK_CHUNK_ROWS`` (default 2,000,000; rows the checks validate at a time).
Publication: ``NHCS_PUBLISH_STORAGE_VERSION`` (default ``v0.9.0``; the DuckDB storage format of
``analytics.duckdb``, see ``publish_storage_version``).
Relative defaults are resolved against the project root (the folder holding ``pyproject.toml``),
so the CLI, Dagster and dbt agree whatever the working directory.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"


def _path(env: str, default: str) -> Path:
    value = os.environ.get(env)
    p = Path(value) if value else PROJECT_ROOT / default
    return p if p.is_absolute() else (Path.cwd() / p).resolve()


@functools.cache
def engines() -> tuple[str, ...]:
    """``duckdb`` and every Spark target of the dbt profile: adding an output of type spark to
    dbt_project/profiles.yml (another cluster, Databricks over http) makes it an engine."""
    import yaml

    try:
        profile = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text(encoding="utf-8"))
        outputs = profile["nhcs"]["outputs"]
    except (OSError, KeyError, TypeError, yaml.YAMLError):
        return ("duckdb",)
    return ("duckdb", *sorted(k for k, v in outputs.items() if (v or {}).get("type") == "spark"))


class SettingsError(ValueError):
    """A setting (option or ``NHCS_*`` variable) has a value the pipeline cannot use."""


@dataclass(frozen=True)
class Settings:
    raw_dir: Path
    warehouse: Path
    reports_dir: Path
    engine: str = "duckdb"
    lake_dir_override: Path | None = None
    spark_dir_override: Path | None = None
    log_dir_override: Path | None = None

    def __post_init__(self):
        if self.engine != "duckdb" and self.engine not in (known := engines()):
            raise SettingsError(
                f"unknown engine {self.engine!r} (NHCS_ENGINE): expected one of {known}"
            )

    @property
    def is_spark(self) -> bool:
        """The models are built by Spark (any Spark target), from the Parquet lake."""
        return self.engine != "duckdb"

    @property
    def lake_dir(self) -> Path:
        """The raw layer as partitioned Parquet (pipelines.ingest.lake), read by Spark."""
        return self.lake_dir_override or self.warehouse.parent / "lake"

    @property
    def spark_dir(self) -> Path:
        """Spark's metastore, warehouse and model tables (docs/scale-out.md)."""
        return self.spark_dir_override or self.warehouse.parent / "spark"

    @property
    def log_dir(self) -> Path:
        """The full Dagster and dbt logs of each ``nhcs run`` (``run-<time>.log``)."""
        return self.log_dir_override or self.warehouse.parent / "logs"

    @property
    def analytics_db(self) -> Path:
        """The published read-only copy for analysts, beside the working warehouse."""
        return self.warehouse.with_name("analytics.duckdb")

    @property
    def quarantine_dir(self) -> Path:
        return self.warehouse.parent.parent / "quarantine"


def load_settings(
    raw_dir: str | Path | None = None,
    warehouse: str | Path | None = None,
    reports_dir: str | Path | None = None,
    engine: str | None = None,
) -> Settings:
    """Settings from explicit values, else the environment, else the defaults."""
    engine = engine or os.environ.get("NHCS_ENGINE") or "duckdb"
    lake, spark = os.environ.get("NHCS_LAKE_DIR"), os.environ.get("NHCS_SPARK_DIR")
    logs = os.environ.get("NHCS_LOG_DIR")
    return Settings(
        raw_dir=Path(raw_dir).resolve() if raw_dir else _path("NHCS_RAW_DIR", "data/raw"),
        warehouse=Path(warehouse).resolve()
        if warehouse
        else _path("NHCS_WAREHOUSE", "data/warehouse/warehouse.duckdb"),
        reports_dir=Path(reports_dir).resolve()
        if reports_dir
        else _path("NHCS_REPORTS_DIR", "data/reports"),
        engine=engine,
        lake_dir_override=Path(lake).resolve() if lake else None,
        spark_dir_override=Path(spark).resolve() if spark else None,
        log_dir_override=Path(logs).resolve() if logs else None,
    )


DEFAULT_DUCKDB_MEMORY_LIMIT = "8GB"
DEFAULT_CHECK_CHUNK_ROWS = 2_000_000


def duckdb_memory_limit() -> str:
    """``NHCS_DUCKDB_MEMORY_LIMIT``: DuckDB validates the size when a connection is opened."""
    return os.environ.get("NHCS_DUCKDB_MEMORY_LIMIT") or DEFAULT_DUCKDB_MEMORY_LIMIT


def check_chunk_rows() -> int:
    """``NHCS_CHECK_CHUNK_ROWS``: rows of a recon model validated at a time."""
    value = os.environ.get("NHCS_CHECK_CHUNK_ROWS", "")
    try:
        rows = int(value) if value else DEFAULT_CHECK_CHUNK_ROWS
    except ValueError:
        rows = 0
    if rows < 1:
        raise SettingsError(f"NHCS_CHECK_CHUNK_ROWS={value!r}: expected a positive whole number")
    return rows


# The raw folder of this process's run, when it is not NHCS_RAW_DIR (`nhcs run --raw`): set by
# the runner before it loads the Dagster definitions, whose daily partitions start at the
# earliest delivery found there. A process-level value, not an environment variable: a run's
# settings are passed to Dagster and dbt, never written to os.environ.
_run_raw_dir: Path | None = None


def use_raw_dir_for_partitions(raw_dir: Path) -> None:
    global _run_raw_dir
    _run_raw_dir = Path(raw_dir)


def partitions_raw_dir() -> Path:
    """Where the partitions look for the earliest delivery: the run's raw folder, else
    ``NHCS_RAW_DIR`` (or its default)."""
    return _run_raw_dir if _run_raw_dir is not None else load_settings().raw_dir


def partition_start_setting() -> date | None:
    """``NHCS_PARTITION_START``: the first daily partition, or None when unset."""
    value = os.environ.get("NHCS_PARTITION_START", "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise SettingsError(
            f"NHCS_PARTITION_START={value!r}: expected a date as YYYY-MM-DD"
        ) from None


# The oldest storage format DuckDB writes (file format number 64; older names such as v0.8.0
# give the same). Every published column type is stored in
# it (DuckDB refuses a type the format cannot hold, e.g. VARIANT, rather than writing a file old
# readers misread), and every DuckDB since 0.9 reads it: the 1.4 long-term release and the
# `duckdb-cli` 1.5.6 package read formats 64-67 / 64-68, while a file in DuckDB 2.0's own format
# (69) opens in neither. Newer formats compress slightly better (7 % smaller on the demo).
DEFAULT_PUBLISH_STORAGE_VERSION = "v0.9.0"
_STORAGE_VERSION = re.compile(r"v\d+\.\d+\.\d+|latest")


def publish_storage_version() -> str:
    """``NHCS_PUBLISH_STORAGE_VERSION``: the DuckDB storage format ``analytics.duckdb`` is written
    in (``ATTACH ... (STORAGE_VERSION ...)``), e.g. ``v0.9.0`` (default) or ``v1.4.0``."""
    value = os.environ.get("NHCS_PUBLISH_STORAGE_VERSION") or DEFAULT_PUBLISH_STORAGE_VERSION
    if not _STORAGE_VERSION.fullmatch(value):
        raise SettingsError(
            f"NHCS_PUBLISH_STORAGE_VERSION={value!r}: expected a DuckDB storage version such as "
            "v0.9.0 or v1.4.0"
        )
    return value
