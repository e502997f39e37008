"""The two jobs of a night: ingest the data date(s), then build everything downstream.

They are separate because a partitioned job plans one event per asset *per partition*: with
the dbt models in it, a 91-day range logged ~5,000 planned events before doing any work (minutes
on the sqlite instance). Ingest is the only partitioned step; the build reads whatever raw holds.
"""

from dagster import AssetSelection, define_asset_job

INGEST_JOB = "nhcs_ingest"
BUILD_JOB = "nhcs_build"
# Runs carrying this tag are queued one at a time by the run queue (pipelines/runner/instance.py).
WRITER_TAG = "nhcs/writes-warehouse"

RAW = AssetSelection.groups("raw")

ingest_job = define_asset_job(
    INGEST_JOB,
    selection=RAW,
    tags={WRITER_TAG: "true"},
    description="Ingest the complete deliveries of a data date (or a range of dates, as one "
    "run) into raw.*. On success the build job runs (sensor build_after_ingest).",
)

build_job = define_asset_job(
    BUILD_JOB,
    selection=AssetSelection.all() - RAW,
    tags={WRITER_TAG: "true"},
    description="Rebuild the dbt project (models and tests) from raw.*, run the reconciliation "
    "checks, and, when the blocking checks pass, write the briefing and publish analytics.duckdb.",
)
