"""The nightly schedule and the delivery sensor."""

import hashlib
import json
from datetime import date

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

from ..contract.codes import TIMEZONE, today_in_hanoi
from ..deliveries import day_signatures
from .jobs import build_job, ingest_job
from .partitions import DAILY, outside_partitions
from .resources import NhcsPaths

# cursor mark of a delivery already reported as outside the partitions
_OUTSIDE = "outside:"

# 02:00 Hanoi time, for the previous day's partition (the last complete day).
nightly_schedule = build_schedule_from_partitioned_job(
    ingest_job,
    name="nightly_main",
    hour_of_day=2,
    minute_of_hour=0,
    default_status=DefaultScheduleStatus.RUNNING,
    description=f"Every night at 02:00 ({TIMEZONE}): ingest yesterday's deliveries; "
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


def evaluate_deliveries(
    cursor: str | None, raw_dir, log=None, partitions=DAILY
) -> SensorResult | SkipReason:
    """Pure core of the sensor: compare each day's delivery signature with the cursor.

    Every new or re-delivered day found in one evaluation goes into ONE ranged run (a build
    follows each ingest run, so a run per day would rebuild the warehouse once per day: 91
    times on a quarter's first look). Ingest skips unchanged files, so the days in between
    cost little. A delivery dated outside the partitions is an error naming it, logged once
    per delivery (the cursor remembers it) and picked up if the partitions come to hold it."""
    seen: dict[str, str] = json.loads(cursor) if cursor else {}
    signatures = day_signatures(raw_dir)
    outside = dict(outside_partitions(signatures, partitions))
    today = today_in_hanoi()
    changed: dict[str, str] = {}
    errors: dict[str, str] = {}
    for day, signature in sorted(signatures.items()):
        key = day.isoformat()
        if seen.get(key) == signature:
            continue
        if day in outside:
            if seen.get(key) == _OUTSIDE + signature:
                continue  # reported already
            if day == today:
                # today's partition opens when the day is over: not an error, retried
                if log:
                    log.info(f"delivery {key} is today's; its partition opens tomorrow")
                continue
            errors[key] = f"delivery {raw_dir}/{key} is dated {key}, {outside[day]}: not ingested"
            if log:
                log.error(errors[key] + " (NHCS_PARTITION_START sets the first partition)")
            continue
        changed[key] = signature
    seen.update({key: _OUTSIDE + signatures[date.fromisoformat(key)] for key in errors})
    if not changed and not errors:
        return SkipReason("no new or re-delivered folders")
    if not changed:
        return SensorResult(
            skip_reason="; ".join(errors.values()), cursor=json.dumps(seen, sort_keys=True)
        )
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
