"""Resources: where the run reads and writes, and the dbt CLI."""

from __future__ import annotations

from pathlib import Path

from dagster import ConfigurableResource
from dagster_dbt import DbtCliResource

from ..engines import dbt_executable
from ..settings import DBT_PROJECT_DIR, Settings, load_settings


class NhcsPaths(ConfigurableResource):
    """The run's settings: folders, warehouse file and dbt engine. The definitions' default
    comes from the NHCS_* environment (``load_settings``); ``nhcs run`` gives each run its own
    (``NhcsPaths.from_settings``), and the launchpad can override any field for one run.
    ``engine: spark`` or ``spark-thrift`` builds the models on Spark (docs/scale-out.md)."""

    raw_dir: str
    warehouse: str
    reports_dir: str
    engine: str = "duckdb"
    lake_dir: str = ""  # empty: lake/ beside the warehouse
    spark_dir: str = ""  # empty: spark/ beside the warehouse

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> NhcsPaths:
        s = settings or load_settings()
        return cls(
            raw_dir=str(s.raw_dir),
            warehouse=str(s.warehouse),
            reports_dir=str(s.reports_dir),
            engine=s.engine,
            lake_dir=str(s.lake_dir_override or ""),
            spark_dir=str(s.spark_dir_override or ""),
        )

    def settings(self) -> Settings:
        """These values as ``Settings`` (nothing read from the environment)."""
        return Settings(
            raw_dir=Path(self.raw_dir).resolve(),
            warehouse=Path(self.warehouse).resolve(),
            reports_dir=Path(self.reports_dir).resolve(),
            engine=self.engine,
            lake_dir_override=Path(self.lake_dir).resolve() if self.lake_dir else None,
            spark_dir_override=Path(self.spark_dir).resolve() if self.spark_dir else None,
        )


def dbt_resource() -> DbtCliResource:
    dbt = dbt_executable()
    return DbtCliResource(
        project_dir=str(DBT_PROJECT_DIR),
        profiles_dir=str(DBT_PROJECT_DIR),
        dbt_executable=str(dbt) if dbt.exists() else "dbt",
    )
