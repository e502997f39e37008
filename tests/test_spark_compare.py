"""The DuckDB-vs-Spark table comparison (tests/spark_compare.py) can fail."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from tests.spark_compare import compare_tables


def test_comparison_detects_differences():
    """The comparison itself can fail: a changed value, a missing row, a duplicated row, a
    NULL for a value, an int for a string and a double beyond the tolerance are all reported."""
    rows = [(1, "a", 0.5, dt.date(2022, 1, 31)), (2, None, 1 / 3, dt.date(2022, 2, 28))]
    cols = ["n", "s", "x", "d"]
    assert compare_tables(cols, rows, list(reversed(rows))) == []
    assert (
        compare_tables(cols, rows, [(1, "a", Decimal("0.5"), dt.date(2022, 1, 31)), rows[1]]) == []
    )
    for other in (
        [rows[0], (2, None, 1 / 3, dt.date(2022, 3, 31))],
        rows[:1],
        [rows[0], rows[0]],
        [rows[0], (2, "b", 1 / 3, dt.date(2022, 2, 28))],
        [(1, 1, 0.5, dt.date(2022, 1, 31)), rows[1]],
        [rows[0], (2, None, 1 / 3 + 1e-9, dt.date(2022, 2, 28))],
    ):
        assert compare_tables(cols, rows, other) != [], other


def test_load_times_compare_by_rank_when_each_run_ingested():
    """Two ingestions stamp their own clock: with ``same_load_times=False`` a shifted load time
    is equal, but rows that share a load time on one side and not on the other, a NULL for a
    load time, or a changed value elsewhere are still differences."""
    cols = ["n", "_loaded_at"]
    t0, t1 = dt.datetime(2026, 11, 30, 23, 43), dt.datetime(2026, 11, 30, 23, 45)
    duck = [(1, t0), (2, t0), (3, t0 + dt.timedelta(days=1))]
    spark = [(1, t1), (2, t1), (3, t1 + dt.timedelta(days=1))]
    assert compare_tables(cols, duck, spark) != []  # the same load times are expected by default
    assert compare_tables(cols, duck, spark, same_load_times=False) == []
    for other in (
        [(1, t1), (2, t1 + dt.timedelta(days=1)), (3, t1 + dt.timedelta(days=1))],
        [(1, t1), (2, None), (3, t1 + dt.timedelta(days=1))],
        [(1, t1), (2, t1), (4, t1 + dt.timedelta(days=1))],
    ):
        assert compare_tables(cols, duck, other, same_load_times=False) != [], other
