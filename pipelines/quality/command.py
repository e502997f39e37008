"""``nhcs check``: the checks outside Dagster, on the current warehouse, as readable text."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TextIO

from .runner import run_checks

EXIT_OK = 0
EXIT_BLOCKING_FAILED = 1


def check_command(
    warehouse: Path,
    *,
    as_of: date | None = None,
    max_rows: int = 10,
    persist: bool = True,
    out: TextIO | None = None,
    progress: Callable[[str], None] | None = None,
    incremental: bool = True,
    spark_dir: Path | None = None,
) -> int:
    """Run every check, print the summary (per check: items checked and failed, then up to
    ``max_rows`` failing rows with the total), return the exit code: 1 when a blocking check
    failed or could not run, else 0 (findings alone do not fail the command). With
    ``spark_dir``, the recon models a Spark engine built there are checked, on Spark."""
    out = out or sys.stdout
    if spark_dir is not None:  # a Spark build: validated whole, on Spark
        from .spark_runner import run_checks_spark

        report = run_checks_spark(
            spark_dir,
            Path(warehouse),
            as_of=as_of,
            persist=persist,
            progress=progress,
            incremental=incremental,
        )
    else:
        report = run_checks(
            Path(warehouse),
            as_of=as_of,
            persist=persist,
            progress=progress,
            incremental=incremental,
        )
    for line in report.summary_lines(max_rows=max_rows):
        print(line, file=out)
    return EXIT_BLOCKING_FAILED if report.blocking_failed else EXIT_OK
