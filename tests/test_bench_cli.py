"""Which engines `nhcs bench` runs (the runs themselves are measurements, not tests)."""

from __future__ import annotations

import pytest

from pipelines.cli import build_parser
from pipelines.cli.commands import bench_engines


@pytest.mark.parametrize(
    ("argv", "engines"),
    [
        ([], ("duckdb",)),
        (["--engine", "spark"], ("duckdb", "spark")),  # the floors need DuckDB's warehouse
        (["--main-only"], ("duckdb",)),
        (["--main-only", "--engine", "spark"], ("spark",)),
        (["--main-only", "--engine", "spark", "--engine", "duckdb"], ("spark", "duckdb")),
    ],
)
def test_engines_run_by_bench(argv, engines):
    args = build_parser().parse_args(["bench", *argv])
    assert bench_engines(args) == engines


def test_step_timings_read_from_the_run_summary(tmp_path):
    """`nhcs run --summary-json` gives each step's duration; a run that died before writing it
    gives none."""
    import json

    from pipelines.bench.stage import step_seconds

    steps = tmp_path / "main_job.json"
    steps.write_text(
        json.dumps(
            {
                "steps": {
                    "raw_deliveries": {"status": "ok", "seconds": 1055.04},
                    "nhcs_dbt_models": {"status": "ok", "seconds": 3723.0},
                    "analytics_db": {"status": "ok", "seconds": 0.81},
                }
            }
        ),
        encoding="utf-8",
    )
    assert step_seconds(steps) == {
        "step_raw_deliveries_s": 1055.0,
        "step_nhcs_dbt_models_s": 3723.0,
        "step_analytics_db_s": 0.8,
    }
    assert step_seconds(tmp_path / "missing.json") == {}


def test_stage_memory_counts_the_whole_process_tree():
    """A parent and its child alive together: the tree's figure is their sum."""
    import sys

    from pipelines.bench.stage import measure

    child = "b = b'x' * 150_000_000; import time; time.sleep(2)"
    parent = (
        "import subprocess, sys; "
        f"p = subprocess.Popen([sys.executable, '-c', {child!r}]); "
        "a = b'y' * 100_000_000; p.wait()"
    )
    r = measure("tree", [sys.executable, "-c", parent])
    assert r.ok
    # Neither process alone holds more than ~165 MB; together they hold ~270 MB. (wait4's
    # figure is not asserted: Linux keeps a forked child's pre-exec RSS in ru_maxrss, so under
    # a large pytest worker it reports the worker's size.)
    assert r.peak_tree_mb > 230


def test_nightly_scenario_holds_back_a_journal_day_and_the_month_end(tmp_path):
    """The nights measured after a history: the last journal day before the last month-end,
    that month-end, and a Mẫu 31 of the first month-end after the opening (an old file)."""
    from pipelines.bench.nights import plan_nights

    for day in ("2021-12-31", "2022-01-31", "2022-02-27", "2022-02-28", "2022-03-30", "2022-03-31"):
        (tmp_path / day / "0101").mkdir(parents=True)
    for name in ("M31_0101_20220131_r2.parquet", "M31_0101_20220131.xlsx"):
        (tmp_path / "2022-01-31" / "0101" / name).write_bytes(b"")
    plan = plan_nights(tmp_path)
    assert (plan.mid_month_day, plan.month_end) == ("2022-03-30", "2022-03-31")
    assert plan.redelivered.name == "M31_0101_20220131.xlsx"
