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
