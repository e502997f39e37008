"""Daily partitions by data date (ngày số liệu), in Hanoi time."""

import os
from pathlib import Path

import yaml
from dagster import DailyPartitionsDefinition

TIMEZONE = "Asia/Ho_Chi_Minh"
_DEFAULT_CALIBRATION = (
    Path(__file__).resolve().parents[1] / "generate" / "calibrations" / "hanoi-2022q1.yaml"
)


def partition_start() -> str:
    """First partition: ``NHCS_PARTITION_START``, else the shipped scenario's opening date
    (the previous year-end snapshot everything rolls forward from)."""
    if os.environ.get("NHCS_PARTITION_START"):
        return os.environ["NHCS_PARTITION_START"]
    with open(_DEFAULT_CALIBRATION, encoding="utf-8") as f:
        return str(yaml.safe_load(f)["opening_date"])


DAILY = DailyPartitionsDefinition(start_date=partition_start(), timezone=TIMEZONE)
