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
