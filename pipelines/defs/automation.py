"""The nightly schedule and the delivery sensor."""

import json

from dagster import (
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    build_schedule_from_partitioned_job,
    sensor,
)

from ..deliveries import day_signatures
from ..settings import load_settings
from .jobs import main_job
from .partitions import DAILY

# 02:00 Hanoi time, for the previous day's partition (the last complete day).
nightly_schedule = build_schedule_from_partitioned_job(
    main_job,
    name="nightly_main",
    hour_of_day=2,
    minute_of_hour=0,
    default_status=DefaultScheduleStatus.RUNNING,
    description="Every night at 02:00 (Asia/Ho_Chi_Minh): ingest yesterday's deliveries, "
    "rebuild the warehouse, check, report and publish.",
)


@sensor(
    job=main_job,
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
    description="Requests a run for a data date when one of its delivery folders becomes "
    "complete (manifest written) or is re-delivered (manifest_rN), late days included.",
)
def delivery_sensor(context: SensorEvaluationContext):
    return evaluate_deliveries(context.cursor, load_settings().raw_dir, context.log)


def evaluate_deliveries(cursor: str | None, raw_dir, log=None) -> SensorResult | SkipReason:
    """Pure core of the sensor: compare each day's delivery signature with the cursor."""
    seen: dict[str, str] = json.loads(cursor) if cursor else {}
    valid = set(DAILY.get_partition_keys())
    requests = []
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
        requests.append(
            RunRequest(
                run_key=f"{key}:{signature}",
                partition_key=key,
                tags={"nhcs/trigger": "delivery", "nhcs/delivery-signature": signature},
            )
        )
        seen[key] = signature
    if not requests:
        return SkipReason("no new or re-delivered folders")
    return SensorResult(run_requests=requests, cursor=json.dumps(seen, sort_keys=True))
