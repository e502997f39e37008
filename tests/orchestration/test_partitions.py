"""The Dagster partitions start from a setting or from the earliest delivered date, never from
the demo's calibration file; a delivery dated outside them is an error that names it."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from dagster import SkipReason

from pipelines.cli import EXIT_FAILED, main
from pipelines.defs.automation import evaluate_deliveries
from pipelines.defs.partitions import daily_partitions, outside_partitions, partition_start
from pipelines.settings import SettingsError

HANOI_TODAY = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()


def _delivery(raw, day: str, unit: str = "0101") -> None:
    folder = raw / day / unit
    folder.mkdir(parents=True)
    (folder / f"M31_{unit}_{day.replace('-', '')}.csv").write_text("x")
    (folder / "manifest.csv").write_text("file_name,bytes,sha256\n")


class _Log:
    def __init__(self):
        self.errors: list[str] = []

    def error(self, msg):
        self.errors.append(msg)

    def info(self, msg):
        pass


@pytest.fixture
def raw(tmp_path, monkeypatch):
    from pipelines import settings

    monkeypatch.setattr(settings, "_run_raw_dir", None)  # as a process with no `nhcs run --raw`
    monkeypatch.setenv("NHCS_RAW_DIR", str(tmp_path / "raw"))
    monkeypatch.delenv("NHCS_PARTITION_START", raising=False)
    (tmp_path / "raw").mkdir()
    return tmp_path / "raw"


def test_partitions_start_at_the_earliest_delivery_not_the_demo_calibration(raw):
    # a branch loading its history from mid-2020: nothing before the demo's 2021-12-31 is lost
    _delivery(raw, "2021-01-31")
    _delivery(raw, "2020-06-30", "0107")
    (raw / "2020-05-31" / "0101").mkdir(parents=True)  # no manifest: still being delivered
    assert partition_start() == date(2020, 6, 30)
    keys = daily_partitions(partition_start()).get_partition_keys()
    assert keys[0] == "2020-06-30" and "2021-01-31" in keys


def test_the_setting_wins(raw, monkeypatch):
    _delivery(raw, "2020-06-30")
    monkeypatch.setenv("NHCS_PARTITION_START", "2019-01-01")
    assert partition_start() == date(2019, 1, 1)
    monkeypatch.setenv("NHCS_PARTITION_START", "01/01/2019")
    with pytest.raises(SettingsError, match="NHCS_PARTITION_START"):
        partition_start()


def test_nothing_delivered_starts_today(raw):
    assert partition_start() == HANOI_TODAY


def test_outside_partitions_names_early_and_future_dates():
    partitions = daily_partitions(date(2022, 1, 1))
    got = outside_partitions([date(2021, 12, 31), date(2022, 1, 5), date(2099, 1, 1)], partitions)
    assert [d for d, _ in got] == [date(2021, 12, 31), date(2099, 1, 1)]
    assert "before the first partition 2022-01-01" in got[0][1]
    assert "after the last complete day" in got[1][1]


def test_sensor_reports_a_delivery_outside_the_partitions_once(raw):
    partitions = daily_partitions(date(2022, 1, 1))
    _delivery(raw, "2021-12-31")
    _delivery(raw, "2022-01-05")
    log = _Log()
    first = evaluate_deliveries(None, raw, log, partitions=partitions)
    assert [r.partition_key for r in first.run_requests] == ["2022-01-05"]
    (error,) = log.errors
    assert f"{raw}/2021-12-31" in error and "before the first partition" in error
    again = evaluate_deliveries(first.cursor, raw, log, partitions=partitions)
    assert isinstance(again, SkipReason) and len(log.errors) == 1
    # the partitions now reach back (NHCS_PARTITION_START, then a reload): it is ingested
    wider = daily_partitions(date(2021, 12, 1))
    later = evaluate_deliveries(first.cursor, raw, log, partitions=wider)
    assert [r.partition_key for r in later.run_requests] == ["2021-12-31"]
    assert json.loads(later.cursor)["2021-12-31"] == json.loads(first.cursor)[
        "2021-12-31"
    ].removeprefix("outside:")


def test_a_future_delivery_is_an_error(raw):
    partitions = daily_partitions(date(2022, 1, 1))
    _delivery(raw, (HANOI_TODAY + timedelta(days=400)).isoformat())
    log = _Log()
    result = evaluate_deliveries(None, raw, log, partitions=partitions)
    assert not result.run_requests
    assert "after the last complete day" in result.skip_reason.skip_message
    assert len(log.errors) == 1


def test_a_run_raw_folder_is_where_the_partitions_start(tmp_path, monkeypatch):
    from pipelines import settings

    monkeypatch.delenv("NHCS_PARTITION_START", raising=False)
    monkeypatch.setenv("NHCS_RAW_DIR", str(tmp_path / "empty"))
    monkeypatch.setattr(settings, "_run_raw_dir", None)
    assert partition_start() == HANOI_TODAY
    _delivery(tmp_path / "other", "2020-06-30")
    settings.use_raw_dir_for_partitions(tmp_path / "other")  # as `nhcs run --raw other` does
    assert partition_start() == date(2020, 6, 30)


def test_nhcs_run_names_a_delivery_outside_the_partitions(tmp_path, capsys, monkeypatch):
    raw = tmp_path / "raw"
    _delivery(raw, "2099-01-01")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    code = main(["run", "--raw", str(raw), "--warehouse", str(tmp_path / "w.duckdb")])
    assert code == EXIT_FAILED
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(
        f"nhcs: delivery {raw}/2099-01-01 is dated 2099-01-01, after the last complete day"
    )
    assert not (tmp_path / "w.duckdb").exists()
