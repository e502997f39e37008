"""The nightly schedule and the delivery sensor."""

import hashlib
import json

from dagster import (
    DagsterRunStatus,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunRequest,
    RunStatusSensorContext,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    build_schedule_from_partitioned_job,
    run_status_sensor,
    sensor,
)

from ..deliveries import day_signatures
from .jobs import build_job, ingest_job
from .partitions import DAILY
from .resources import NhcsPaths

# 02:00 Hanoi time, for the previous day's partition (the last complete day).
nightly_schedule = build_schedule_from_partitioned_job(
    ingest_job,
    name="nightly_main",
    hour_of_day=2,
    minute_of_hour=0,
    default_status=DefaultScheduleStatus.RUNNING,
    description="Every night at 02:00 (Asia/Ho_Chi_Minh): ingest yesterday's deliveries; "
    "the build (models, checks, report, publish) follows via build_after_ingest.",
)


@sensor(
    job=ingest_job,
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
    description="Requests a run for a data date when one of its delivery folders becomes "
    "complete (manifest written) or is re-delivered (manifest_rN), late days included.",
)
def delivery_sensor(context: SensorEvaluationContext, paths: NhcsPaths):
    return evaluate_deliveries(context.cursor, paths.settings().raw_dir, context.log)


def evaluate_deliveries(cursor: str | None, raw_dir, log=None) -> SensorResult | SkipReason:
    """Pure core of the sensor: compare each day's delivery signature with the cursor.

    Every new or re-delivered day found in one evaluation goes into ONE ranged run (a build
    follows each ingest run, so a run per day would rebuild the warehouse once per day: 91
    times on a quarter's first look). Ingest skips unchanged files, so the days in between
    cost little."""
    seen: dict[str, str] = json.loads(cursor) if cursor else {}
    valid = set(DAILY.get_partition_keys())
    changed: dict[str, str] = {}
    for day, signature in sorted(day_signatures(raw_dir).items()):
        key = day.isoformat()
        if seen.get(key) == signature:
            continue
        if key not in valid:
            # Before the first partition, or today (its partition opens tomorrow): left
            # out of the cursor so it is picked up once it becomes a partition.
            if log:
                log.info(f"delivery {key} is not a partition yet; will retry")
            continue
        changed[key] = signature
    if not changed:
        return SkipReason("no new or re-delivered folders")
    first, last = min(changed), max(changed)
    batch = hashlib.sha256(json.dumps(changed, sort_keys=True).encode()).hexdigest()[:16]
    tags = {"nhcs/trigger": "delivery", "nhcs/delivered-dates": ",".join(sorted(changed))}
    if first == last:
        request = RunRequest(run_key=f"{first}:{batch}", partition_key=first, tags=tags)
    else:
        request = RunRequest(
            run_key=f"{first}..{last}:{batch}",
            tags={
                **tags,
                "dagster/asset_partition_range_start": first,
                "dagster/asset_partition_range_end": last,
            },
        )
    seen.update(changed)
    return SensorResult(run_requests=[request], cursor=json.dumps(seen, sort_keys=True))


@run_status_sensor(
    run_status=DagsterRunStatus.SUCCESS,
    monitored_jobs=[ingest_job],
    request_job=build_job,
    default_status=DefaultSensorStatus.RUNNING,
    description="After every successful ingest run, rebuild the warehouse downstream of raw "
    "(dbt models and tests, checks, briefing, publication).",
)
def build_after_ingest(context: RunStatusSensorContext):
    return build_request(context.dagster_run.run_id, context.dagster_run.tags)


def build_request(ingest_run_id: str, ingest_tags: dict) -> RunRequest:
    """The build run that follows an ingest run (one per ingest run: its id is the run key).
    The ingested dates are carried as plain tags: the build itself is not partitioned."""
    dates = ingest_tags.get("dagster/partition") or "..".join(
        ingest_tags[k]
        for k in ("dagster/asset_partition_range_start", "dagster/asset_partition_range_end")
        if k in ingest_tags
    )
    return RunRequest(
        run_key=f"build-after-{ingest_run_id}",
        tags={"nhcs/after-ingest-run": ingest_run_id, "nhcs/ingested-dates": dates or "?"},
    )
