"""The night's job as one killable process: the steps of the Dagster job ``nhcs_main``, in its
order, calling the same domain functions its assets call (``pipelines/defs``):

    ingest (under the writer lock) -> dbt build -> run_checks -> (gate) -> build_reports -> publish

The reliability tests SIGKILL this process group at chosen points. Loading the Dagster
definitions costs more than the whole job at test scale (tens of seconds per start), so the
crash tests drive the steps directly; the Dagster wrapper is exercised by tests/orchestration
and by the concurrency test, which runs the real job.

Usage: python nightly.py RAW WAREHOUSE REPORTS WORK [--date YYYY-MM-DD ...]
Prints one ``STEP <name>`` line when each step starts and ``DONE`` at the end (exit 0), or
``GATE`` (exit 2) when a blocking reconciliation identity failed (nothing reported/published).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"


def step(name: str) -> None:
    print(f"STEP {name}", flush=True)


def dbt_build(warehouse: Path, work: Path) -> None:
    env = {**os.environ, "NHCS_WAREHOUSE": str(warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "0"}
    dbt = Path(sys.executable).with_name("dbt")
    cmd = [
        str(dbt),
        "build",
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(work / "dbt_target"),
        "--log-path",
        str(work / "dbt_logs"),
    ]
    proc = subprocess.run(cmd, env=env, cwd=DBT_PROJECT_DIR, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"dbt build failed ({proc.returncode}):\n{proc.stdout[-4000:]}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("raw", type=Path)
    p.add_argument("warehouse", type=Path)
    p.add_argument("reports", type=Path)
    p.add_argument("work", type=Path)
    p.add_argument("--date", action="append", type=date.fromisoformat)
    a = p.parse_args(argv)

    from pipelines.ingest import ingest
    from pipelines.publish import publish
    from pipelines.quality import run_checks
    from pipelines.reports import build_reports
    from pipelines.warehouse_lock import warehouse_lock

    step("ingest")
    with warehouse_lock(a.warehouse):
        result = ingest(a.raw, a.warehouse, dates=a.date)
    print(f"REJECTED {len(result.rejections)}", flush=True)
    step("dbt")
    with warehouse_lock(a.warehouse):
        dbt_build(a.warehouse, a.work)
    step("checks")
    with warehouse_lock(a.warehouse):
        report = run_checks(a.warehouse)
    if report.blocking_failed:
        print("GATE", flush=True)
        return 2
    step("reports")
    with warehouse_lock(a.warehouse):
        build_reports(a.warehouse, a.reports)
    step("publish")
    publish(a.warehouse, a.warehouse.with_name("analytics.duckdb"))
    print("DONE", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
