"""Daily partitions by data date (ngày số liệu), in Hanoi time.

They start at ``NHCS_PARTITION_START`` or, unset, at the earliest data date delivered in
``NHCS_RAW_DIR`` (for ``nhcs run --raw``, in that folder) when the definitions are loaded
(today, when nothing is delivered yet): a branch that loads its history from any date keeps
every delivery. A delivery dated outside
the partitions (before the first, or after the last complete day) cannot be ingested by the
job: ``outside_partitions`` names it, and the CLI and the delivery sensor report it as an error.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from dagster import DailyPartitionsDefinition

from ..contract.codes import TIMEZONE, today_in_hanoi
from ..deliveries import earliest_delivered_date
from ..settings import partition_start_setting, partitions_raw_dir


def partition_start() -> date:
    """``NHCS_PARTITION_START``, else the earliest delivered data date, else today (Hanoi)."""
    return (
        partition_start_setting()
        or earliest_delivered_date(partitions_raw_dir())
        or today_in_hanoi()
    )


def daily_partitions(start: date) -> DailyPartitionsDefinition:
    return DailyPartitionsDefinition(start_date=start.isoformat(), timezone=TIMEZONE)


def outside_partitions(
    dates: Iterable[date], partitions: DailyPartitionsDefinition
) -> list[tuple[date, str]]:
    """The dates that are not partitions, each with why, in date order."""
    keys = partitions.get_partition_keys()
    first = date.fromisoformat(partitions.start.strftime("%Y-%m-%d"))
    last = date.fromisoformat(keys[-1]) if keys else None
    valid = set(keys)
    out = []
    for d in sorted(set(dates)):
        if d.isoformat() in valid:
            continue
        if d < first:
            why = f"before the first partition {first}"
        elif last is None:
            why = f"no day from {first} on is complete yet"
        else:
            why = f"after the last complete day {last}"
        out.append((d, why))
    return out


DAILY = daily_partitions(partition_start())
