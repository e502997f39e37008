"""Ingest assets: complete branch deliveries of a data date -> raw.* tables."""

import logging
from datetime import date
from pathlib import Path

from dagster import (
    AssetExecutionContext,
    AssetSpec,
    BackfillPolicy,
    Backoff,
    MaterializeResult,
    MetadataValue,
    RetryPolicy,
    multi_asset,
)

from ..contract.naming import FileNameError, parse_file_name
from ..contract.reports import REPORTS
from ..engines import lake_dir_for_ingest
from ..warehouse_lock import warehouse_lock
from .freshness import NIGHTLY
from .partitions import DAILY
from .resources import NhcsPaths

# A project logger: Dagster manages "nhcs" from INFO up (python_logs in the instance's
# dagster.yaml, pipelines/runner/instance.py), so what it says reaches the run's event log.
_log = logging.getLogger("nhcs.ingest")
# One line per delivery folder, for `nhcs run`'s progress bar only: kept out of the event log
# (one Dagster event per folder would cost more than parsing the folder at nightly volumes).
PROGRESS_LOGGER = "nhcs.ingest.progress"
_progress = logging.getLogger(PROGRESS_LOGGER)
_progress.propagate = False

# Personal data (names, ID numbers, phones) stays in raw: the tag says which tables hold it.
PII_TAG = "pii"


def raw_spec(spec) -> AssetSpec:
    personal = spec.personal_keys
    return AssetSpec(
        ["raw", spec.table],
        group_name="raw",
        description=f"{spec.code}: {spec.description} Every delivered row with its lineage."
        + (f" Personal data: {', '.join(personal)} (never leaves raw)." if personal else ""),
        kinds={"duckdb", "python"},
        owners=["team:data"],
        tags={PII_TAG: "true" if personal else "false"},
        metadata={"personal_columns": list(personal)},
        freshness_policy=NIGHTLY,
    )


RAW_SPECS = [raw_spec(spec) for spec in REPORTS]

# Transient failures (a lock held by an analyst's stray writer, a slow disk) get retried.
WAREHOUSE_RETRY = RetryPolicy(max_retries=3, delay=5, backoff=Backoff.EXPONENTIAL)


@multi_asset(
    specs=RAW_SPECS,
    name="raw_deliveries",
    can_subset=False,
    partitions_def=DAILY,
    backfill_policy=BackfillPolicy.single_run(),
    retry_policy=WAREHOUSE_RETRY,
)
def raw_deliveries(context: AssetExecutionContext, paths: NhcsPaths):
    """Ingest the complete delivery folders of the partition's data dates (a backfill range is
    one run). Idempotent: unchanged files are skipped; a re-delivery replaces its report, unit
    and date."""
    from ..ingest import ingest

    dates = [date.fromisoformat(k) for k in context.partition_keys]
    _log.info(f"ingesting data dates {dates[0]} .. {dates[-1]} ({len(dates)} days)")
    settings = paths.settings()
    with warehouse_lock(settings.warehouse, progress=_log.info):
        result = ingest(
            settings.raw_dir,
            settings.warehouse,
            dates=dates,
            progress=_progress.debug,
            lake_dir=lake_dir_for_ingest(settings),
            lake_first=settings.is_spark,
        )
    _log.info("\n".join(result.summary_lines()))
    if result.rejections:
        _log.warning(
            f"{len(result.rejections)} rejection(s):\n"
            + "\n".join(r.message for r in result.rejections[:50])
        )
    for spec in REPORTS:
        rejected = [r for r in result.rejections if _report_of(r.file) == spec.code]
        load = result.load_of(spec.table)
        findings = sum(n for f, n in result.findings.items() if _report_of(f) == spec.code)
        yield MaterializeResult(
            asset_key=["raw", spec.table],
            metadata={
                "dagster/row_count": result.table_rows.get(spec.table, 0),
                "rows_loaded": load.rows,
                "files_loaded": load.files_loaded,
                "files_unchanged": load.files_unchanged,
                "rejected_files": len({r.file for r in rejected}),
                # data-quality findings on descriptive fields of loaded files (raw._findings)
                "findings": findings,
                "rejections": MetadataValue.md(
                    "\n".join(f"- {r.message}" for r in rejected[:20]) or "none"
                ),
            },
        )


def _report_of(file: str) -> str:
    try:
        return parse_file_name(Path(file).name).report.code
    except FileNameError:
        return ""
