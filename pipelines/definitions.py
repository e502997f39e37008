"""The Dagster code location: one Definitions object. Nothing heavy happens at import time (no
DuckDB connection, no dbt invocation); dbt's manifest must have been prepared beforehand."""

from __future__ import annotations

from dagster import AssetSelection, Definitions, define_asset_job

from .defs.dbt import build_dbt_assets
from .defs.ingest import raw_deliveries
from .defs.resources import NhcsPaths, dbt_resource

MAIN_JOB = "nhcs_main"

main_job = define_asset_job(
    MAIN_JOB,
    selection=AssetSelection.all(),
    description="Ingest complete deliveries, build the dbt project (with its tests), "
    "and everything downstream.",
)

defs = Definitions(
    assets=[raw_deliveries, build_dbt_assets()],
    jobs=[main_job],
    resources={"paths": NhcsPaths.from_settings(), "dbt": dbt_resource()},
)
