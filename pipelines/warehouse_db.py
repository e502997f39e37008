"""Opening the DuckDB warehouse the same way in every step.

DuckDB's default memory limit is 80 % of the machine. At national size one step then held
~20 GB of a 24 GB machine, leaving nothing for the others (docs/performance.md). Every
connection here is capped by ``NHCS_DUCKDB_MEMORY_LIMIT`` (default ``8GB``), the setting the dbt
profile reads too; above the cap DuckDB spills to disk instead of growing.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from .settings import SettingsError, duckdb_memory_limit


def connect(path: str | Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection to the warehouse (or another DuckDB file), memory capped, no progress bar."""
    limit = duckdb_memory_limit()
    try:
        con = duckdb.connect(str(path), read_only=read_only, config={"memory_limit": limit})
    except (duckdb.InvalidInputException, duckdb.ParserException) as exc:
        if "memory" not in str(exc).lower():
            raise
        raise SettingsError(
            f"NHCS_DUCKDB_MEMORY_LIMIT={limit!r}: expected a size such as 8GB or 512MB ({exc})"
        ) from exc
    con.execute("set enable_progress_bar = false")
    return con
