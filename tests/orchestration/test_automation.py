"""The delivery sensor and the nightly schedule request the right partitions."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from dagster import DagsterInstance, SkipReason, build_schedule_context

from pipelines.defs.automation import evaluate_deliveries


def _folder(raw: Path, day: str, unit: str, manifest: str | None = "manifest.csv", body="x"):
    d = raw / day / unit
    d.mkdir(parents=True, exist_ok=True)
    (d / f"M31_{unit}_{day.replace('-', '')}.xlsx").write_text(body)
    if manifest:
        (d / manifest).write_text(f"file_name,bytes,sha256\nM31,1,{body}\n")
    return d


def _requests(result):
    return [] if isinstance(result, SkipReason) else result.run_requests


def test_complete_folder_requests_its_partition(tmp_path):
    _folder(tmp_path, "2022-01-10", "0101")
    result = evaluate_deliveries(None, tmp_path)
    (req,) = _requests(result)
    assert req.partition_key == "2022-01-10"
    assert req.run_key.startswith("2022-01-10:")


def test_incomplete_folder_waits_for_its_manifest(tmp_path):
    _folder(tmp_path, "2022-01-10", "0101", manifest=None)
    assert isinstance(evaluate_deliveries(None, tmp_path), SkipReason)


def test_repeated_evaluation_requests_nothing_new(tmp_path):
    _folder(tmp_path, "2022-01-10", "0101")
    first = evaluate_deliveries(None, tmp_path)
    assert len(_requests(first)) == 1
    again = evaluate_deliveries(first.cursor, tmp_path)
    assert isinstance(again, SkipReason)


def test_late_folder_for_a_past_day_is_requested(tmp_path):
    _folder(tmp_path, "2022-03-31", "0101")
    first = evaluate_deliveries(None, tmp_path)
    _folder(tmp_path, "2022-01-05", "0107")  # arrives later, for an earlier day
    later = evaluate_deliveries(first.cursor, tmp_path)
    assert [r.partition_key for r in _requests(later)] == ["2022-01-05"]


def test_redelivery_requests_the_day_again_with_a_new_run_key(tmp_path):
    d = _folder(tmp_path, "2022-01-31", "0107")
    first = evaluate_deliveries(None, tmp_path)
    (d / "manifest_r2.csv").write_text("file_name,bytes,sha256\nM31_r2,1,y\n")
    second = evaluate_deliveries(first.cursor, tmp_path)
    (req,) = _requests(second)
    assert req.partition_key == "2022-01-31"
    assert req.run_key != _requests(first)[0].run_key
    assert json.loads(second.cursor)["2022-01-31"] != json.loads(first.cursor)["2022-01-31"]


def test_underscore_folders_and_non_dates_are_ignored(tmp_path):
    (tmp_path / "_truth.json").write_text("{}")
    _folder(tmp_path, "notadate", "0101")
    assert isinstance(evaluate_deliveries(None, tmp_path), SkipReason)


def test_several_new_days_are_one_ranged_run(tmp_path):
    for day in ("2022-01-03", "2022-01-04", "2022-01-31"):
        _folder(tmp_path, day, "0101")
    (req,) = _requests(evaluate_deliveries(None, tmp_path))
    assert req.partition_key is None
    assert req.tags["dagster/asset_partition_range_start"] == "2022-01-03"
    assert req.tags["dagster/asset_partition_range_end"] == "2022-01-31"
    assert req.tags["nhcs/delivered-dates"] == "2022-01-03,2022-01-04,2022-01-31"


def test_nightly_schedule_targets_the_previous_day_at_2am_hanoi(dbt_manifest):
    from pipelines.definitions import defs

    # The ingest job's partitions come from its assets: the schedule is resolved with them.
    nightly_schedule = defs.resolve_schedule_def("nightly_main")
    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    assert nightly_schedule.cron_schedule == "0 2 * * *"
    assert nightly_schedule.execution_timezone == "Asia/Ho_Chi_Minh"
    with DagsterInstance.ephemeral() as instance:
        ctx = build_schedule_context(
            instance=instance, scheduled_execution_time=datetime(2022, 2, 1, 2, 0, tzinfo=tz)
        )
        data = nightly_schedule.evaluate_tick(ctx)
    (req,) = data.run_requests
    assert req.partition_key == "2022-01-31"


def test_a_successful_ingest_run_requests_one_build_run():
    from pipelines.defs.automation import build_after_ingest, build_request
    from pipelines.defs.jobs import BUILD_JOB, INGEST_JOB

    assert [j.name for j in build_after_ingest._monitored_jobs] == [INGEST_JOB]  # noqa: SLF001
    assert build_after_ingest.job_name == BUILD_JOB
    tags = {
        "dagster/asset_partition_range_start": "2022-01-01",
        "dagster/asset_partition_range_end": "2022-01-31",
    }
    req = build_request("abc123", tags)
    assert req.run_key == "build-after-abc123"  # re-evaluation cannot start a second build
    assert req.tags["nhcs/ingested-dates"] == "2022-01-01..2022-01-31"
    assert (
        build_request("d1", {"dagster/partition": "2022-02-01"}).tags["nhcs/ingested-dates"]
        == "2022-02-01"
    )
