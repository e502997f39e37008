"""The ingest job materializes one partition, or a two-day range as one run; two writers
started together both complete, one after the other."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance

from pipelines.defs.resources import NhcsPaths
from pipelines.generate import generate

pytestmark = pytest.mark.xdist_group("orchestration-jobs")


@pytest.fixture(scope="module")
def raw_dir(tmp_path_factory) -> Path:
    raw = tmp_path_factory.mktemp("deliveries") / "raw"
    generate(raw, scale=0.003, fmt="csv", workers=1)
    return raw


def _ingest_job(dbt_manifest):
    from pipelines.definitions import INGEST_JOB, defs

    return defs.resolve_job_def(INGEST_JOB)


def _paths(raw: Path, tmp: Path) -> NhcsPaths:
    return NhcsPaths(
        raw_dir=str(raw), warehouse=str(tmp / "w.duckdb"), reports_dir=str(tmp / "reports")
    )


def _dates(warehouse: str, table: str) -> list[str]:
    with duckdb.connect(warehouse, read_only=True) as con:
        rows = con.execute(f"select distinct _data_date::varchar from raw.{table} order by 1")
        return [r[0] for r in rows.fetchall()]


def test_one_partition_ingests_that_data_date_only(raw_dir, tmp_path, dbt_manifest):
    paths = _paths(raw_dir, tmp_path)
    with DagsterInstance.ephemeral() as instance:
        result = _ingest_job(dbt_manifest).execute_in_process(
            instance=instance, partition_key="2022-01-31", resources={"paths": paths}
        )
        assert result.success
    assert _dates(paths.warehouse, "m31") == ["2022-01-31"]


def test_a_two_day_backfill_is_one_run(raw_dir, tmp_path, dbt_manifest):
    paths = _paths(raw_dir, tmp_path)
    days = sorted(p.name for p in raw_dir.iterdir() if p.name.startswith("2022-01"))[:2]
    with DagsterInstance.ephemeral() as instance:
        result = _ingest_job(dbt_manifest).execute_in_process(
            instance=instance,
            tags={
                "dagster/asset_partition_range_start": days[0],
                "dagster/asset_partition_range_end": days[1],
            },
            resources={"paths": paths},
        )
        assert result.success
        assert len(instance.get_runs()) == 1
    assert set(_dates(paths.warehouse, "skgd")) <= set(days)
    assert len(_dates(paths.warehouse, "skgd")) >= 1


def test_two_writers_started_together_both_complete(raw_dir, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    cmd = [
        sys.executable,
        "-m",
        "pipelines.cli",
        "ingest",
        "--raw",
        str(raw_dir),
        "--warehouse",
        str(warehouse),
    ]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outcomes = [(p.wait(timeout=600), p.stdout.read()) for p in procs]
    assert [code for code, _ in outcomes] == [0, 0], outcomes
    # One of them found the warehouse busy and waited for the other (and said so).
    assert any("waiting for it to finish" in out for _, out in outcomes)
    assert "2022-03-31" in _dates(str(warehouse), "m31")
