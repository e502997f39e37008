"""Which engines `nhcs bench` runs (the runs themselves are measurements, not tests)."""

from __future__ import annotations

import pytest

from pipelines.cli import _bench_engines, build_parser


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
    assert _bench_engines(args) == engines


def test_step_timings_read_from_the_dagster_log(tmp_path):
    from pipelines.bench import _step_seconds

    log = tmp_path / "bench.log"
    log.write_text(
        "old run\n"
        'Finished execution of step "raw_deliveries" in 9.0s.\n'
        "nhcs_ingest: data dates 2021-12-31 .. 2022-03-31\n"
        'Finished execution of step "raw_deliveries" in 17m35s.\n'
        'Finished execution of step "nhcs_dbt_models" in 1h2m3s.\n'
        'Finished execution of step "briefing_report" in 10.01s.\n'
        'Finished execution of step "analytics_db" in 812ms.\n',
        encoding="utf-8",
    )
    assert _step_seconds(log) == {
        "step_raw_deliveries_s": 1055.0,
        "step_nhcs_dbt_models_s": 3723.0,
        "step_briefing_report_s": 10.0,
        "step_analytics_db_s": 0.8,
    }
