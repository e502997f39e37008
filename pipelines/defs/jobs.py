"""The main job: everything, for one data date or a range of them."""

from dagster import AssetSelection, define_asset_job

from .partitions import DAILY

MAIN_JOB = "nhcs_main"
# Runs carrying this tag are queued one at a time by the run queue (see cli.DAGSTER_YAML).
WRITER_TAG = "nhcs/writes-warehouse"

main_job = define_asset_job(
    MAIN_JOB,
    selection=AssetSelection.all(),
    partitions_def=DAILY,
    tags={WRITER_TAG: "true"},
    description="Ingest the data date's complete deliveries (a range is one run), rebuild the "
    "dbt project with its tests, run the reconciliation checks, report and publish.",
)
