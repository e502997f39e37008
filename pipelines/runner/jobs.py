"""Run the night's two Dagster jobs in this process, as the schedule and the sensors do.

``nhcs_ingest`` over the delivered data dates as one ranged run, then ``nhcs_build`` (the
build is not started when the ingest run failed). The run's settings reach the steps as the
``paths`` resource given to each run, never through ``os.environ``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from ..contract.codes import TIMEZONE
from ..deliveries import require_deliveries
from ..settings import Settings
from ..warehouse_lock import warehouse_lock


class DateOutsidePartitions(ValueError):
    """A ``--date`` that is no partition of the ingest job (before the first, or not yet over)."""


class DeliveriesOutsidePartitions(LookupError):
    """Every delivery asked for is dated outside the partitions: nothing can be ingested."""


def deliveries_outside(settings: Settings, dates: Sequence[date] | None = None) -> list[str]:
    """One error message per delivered data date (of ``dates`` if given) that the partitions
    cannot hold, naming its folder and why; such a delivery is not ingested."""
    from ..defs.partitions import DAILY, outside_partitions
    from ..deliveries import delivered_dates

    delivered = delivered_dates(settings.raw_dir)
    wanted = [d for d in delivered if d in set(dates)] if dates else delivered
    return [
        f"delivery {settings.raw_dir / day.isoformat()} is dated {day}, {why}: not ingested "
        "(NHCS_PARTITION_START sets the first partition)"
        for day, why in outside_partitions(wanted, DAILY)
    ]


@dataclass
class JobRuns:
    """The runs made, in order (the build is missing when the ingest run failed)."""

    keys: list[str]
    results: list = field(default_factory=list)  # dagster ExecuteInProcessResult

    @property
    def run_ids(self) -> list[str]:
        return [r.run_id for r in self.results]


def partition_keys(settings: Settings, dates: Sequence[date] | None = None) -> list[str]:
    """The partitions one ``nhcs run`` covers: every delivered data date, or the delivered
    dates from the first to the last of ``dates``. Raises ``NoDeliveries`` when none is
    delivered, ``DateOutsidePartitions`` for a date the job has no partition for.

    Called before the definitions are loaded: their partitions then start at the earliest
    delivery under this run's raw folder (unless ``NHCS_PARTITION_START`` is set)."""
    from ..settings import use_raw_dir_for_partitions

    use_raw_dir_for_partitions(settings.raw_dir)
    from ..defs.partitions import DAILY, outside_partitions

    valid = DAILY.get_partition_keys()
    if dates:
        for d, why in outside_partitions((min(dates), max(dates)), DAILY):
            raise DateOutsidePartitions(
                f"--date {d}: not a data date of the pipeline ({why}; daily partitions in "
                f"{TIMEZONE} time, NHCS_PARTITION_START moves the first)"
            )
        first, last = min(dates), max(dates)
        span = [date.fromordinal(o) for o in range(first.toordinal(), last.toordinal() + 1)]
        delivered = require_deliveries(settings.raw_dir, span)
    else:
        delivered = require_deliveries(settings.raw_dir)
    keys = sorted(set(valid) & {d.isoformat() for d in delivered})
    if not keys:
        outside = deliveries_outside(settings, delivered)
        more = f" (and {len(outside) - 1} more)" if len(outside) > 1 else ""
        raise DeliveriesOutsidePartitions(f"{outside[0]}{more}")
    return keys


def run_main_job(
    settings: Settings,
    keys: list[str],
    *,
    instance,
    progress=None,
    before_run=None,
    full_refresh: bool = False,
) -> JobRuns:
    """Ingest ``keys`` (one ranged run), then build; under the warehouse's writer lock.
    ``before_run(job, plan)`` is called as each job is started. ``full_refresh``: the build
    rebuilds every partition of the incremental dbt models."""
    from dagster import PartitionKeyRange

    from ..definitions import BUILD_JOB, INGEST_JOB, defs
    from ..defs.automation import build_request
    from ..defs.dbt import DBT_OP
    from ..defs.ingest import RAW_SPECS
    from ..defs.loggers import LOGGERS
    from ..defs.partitions import DAILY
    from ..defs.resources import NhcsPaths

    resources = {"paths": NhcsPaths.from_settings(settings)}
    # Loggers run only when the run config names them: Dagster's console, every event (to the
    # run's log file or, with -v, the terminal), and run_events (the step lines).
    run_config = {
        "loggers": {
            "console": {"config": {"log_level": "DEBUG"}},
            **{name: {} for name in LOGGERS if name != "console"},
        }
    }
    tags = {
        "dagster/asset_partition_range_start": keys[0],
        "dagster/asset_partition_range_end": keys[-1],
        "nhcs/trigger": "cli",
    }
    runs = JobRuns(keys)
    before_run = before_run or (lambda job, plan: None)
    # A ranged run plans one materialization per raw asset and day of the range, first.
    days = DAILY.get_partition_keys_in_range(PartitionKeyRange(keys[0], keys[-1]))
    plan = f"{len(RAW_SPECS)} raw assets x {len(days)} day{'s' if len(days) > 1 else ''} planned"
    with warehouse_lock(settings.warehouse, progress=progress):
        before_run(INGEST_JOB, plan)
        ingest = defs.resolve_job_def(INGEST_JOB).execute_in_process(
            instance=instance,
            run_config=run_config,
            tags=tags,
            resources=resources,
            raise_on_error=False,
        )
        runs.results.append(ingest)
        if ingest.success:
            request = build_request(ingest.run_id, tags)
            before_run(BUILD_JOB, "")
            runs.results.append(
                defs.resolve_job_def(BUILD_JOB).execute_in_process(
                    instance=instance,
                    run_config={
                        **run_config,
                        "ops": {DBT_OP: {"config": {"full_refresh": full_refresh}}},
                    },
                    tags={**request.tags, "nhcs/trigger": "cli"},
                    resources=resources,
                    raise_on_error=False,
                )
            )
    return runs
