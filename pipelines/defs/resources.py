"""Resources: where the run reads and writes, and the dbt CLI."""

from __future__ import annotations

import sys
from pathlib import Path

from dagster import ConfigurableResource
from dagster_dbt import DbtCliResource

from ..settings import DBT_PROJECT_DIR, Settings, load_settings


class NhcsPaths(ConfigurableResource):
    """The run's folders, warehouse file and dbt engine (defaults: NHCS_* environment, then
    data/... and duckdb). ``engine: spark`` builds the models on Spark (docs/scale-out.md)."""

    raw_dir: str
    warehouse: str
    reports_dir: str
    engine: str = "duckdb"

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> NhcsPaths:
        s = settings or load_settings()
        return cls(
            raw_dir=str(s.raw_dir),
            warehouse=str(s.warehouse),
            reports_dir=str(s.reports_dir),
            engine=s.engine,
        )

    def settings(self) -> Settings:
        return load_settings(self.raw_dir, self.warehouse, self.reports_dir, self.engine)


def dbt_resource() -> DbtCliResource:
    # The dbt of this interpreter's environment, whether or not the venv is on PATH.
    dbt = Path(sys.executable).with_name("dbt")
    return DbtCliResource(
        project_dir=str(DBT_PROJECT_DIR),
        profiles_dir=str(DBT_PROJECT_DIR),
        dbt_executable=str(dbt) if dbt.exists() else "dbt",
    )
