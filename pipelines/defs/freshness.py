"""Freshness: a day's delivery still missing the next morning, or a briefing mart not rebuilt
after a night, shows up in the UI (as a failed WARN check) instead of going unnoticed."""

from datetime import timedelta

from dagster import (
    AssetKey,
    DefaultSensorStatus,
    build_last_update_freshness_checks,
    build_sensor_for_freshness_checks,
    build_time_partition_freshness_checks,
)

from .ingest import raw_deliveries
from .partitions import TIMEZONE

# The nightly run starts at 02:00; by 07:00 yesterday's partition must be in.
MORNING_DEADLINE = "0 7 * * *"

RAW_FRESHNESS = build_time_partition_freshness_checks(
    assets=[raw_deliveries], deadline_cron=MORNING_DEADLINE, timezone=TIMEZONE
)
MART_FRESHNESS = build_last_update_freshness_checks(
    assets=[AssetKey(["marts", "mart_briefing_kpis"])],
    lower_bound_delta=timedelta(hours=24),
    deadline_cron=MORNING_DEADLINE,
    timezone=TIMEZONE,
)
FRESHNESS_CHECKS = [*RAW_FRESHNESS, *MART_FRESHNESS]

freshness_sensor = build_sensor_for_freshness_checks(
    freshness_checks=FRESHNESS_CHECKS,
    name="freshness_checks_sensor",
    default_status=DefaultSensorStatus.RUNNING,
)
