"""The Dagster code location: one Definitions object. Nothing heavy happens at import time (no
DuckDB connection, no dbt invocation); dbt's manifest must have been prepared beforehand
(``nhcs dbt-prepare``; make and the tests do it)."""

from dagster import Definitions

from .defs.automation import build_after_ingest, delivery_sensor, nightly_schedule
from .defs.checks import QUALITY_CHECKS
from .defs.dbt import build_dbt_assets
from .defs.ingest import raw_deliveries
from .defs.jobs import BUILD_JOB, INGEST_JOB, build_job, ingest_job
from .defs.loggers import LOGGERS
from .defs.reports import REPORT_ASSETS
from .defs.resources import NhcsPaths, dbt_resource

__all__ = ["BUILD_JOB", "INGEST_JOB", "defs"]

defs = Definitions(
    assets=[raw_deliveries, build_dbt_assets(), *REPORT_ASSETS],
    asset_checks=QUALITY_CHECKS,
    jobs=[ingest_job, build_job],
    schedules=[nightly_schedule],
    sensors=[delivery_sensor, build_after_ingest],
    resources={"paths": NhcsPaths.from_settings(), "dbt": dbt_resource()},
    loggers=LOGGERS,
)
