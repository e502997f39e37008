"""Freshness: a day's delivery still missing the next morning, or a briefing mart not rebuilt
after a night, shows in the UI as a failing freshness state instead of going unnoticed.

``FreshnessPolicy`` objects sit on the assets themselves (the raw assets, every mart, the
briefing and the publication); Dagster's daemon evaluates them on the clock (``dagster dev``
runs it), so no checks, jobs or sensors are needed for them.
"""

from datetime import timedelta

from dagster import FreshnessPolicy

from ..contract.codes import TIMEZONE

# The nightly run starts at 02:00; by 07:00 the night's deliveries and the rebuild of
# everything downstream must have happened within the previous 24 hours.
MORNING_DEADLINE = "0 7 * * *"

NIGHTLY = FreshnessPolicy.cron(
    deadline_cron=MORNING_DEADLINE, lower_bound_delta=timedelta(hours=24), timezone=TIMEZONE
)
