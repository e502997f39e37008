"""Every step opens the warehouse with the same memory cap (pipelines.warehouse_db)."""

from __future__ import annotations

import pytest

from pipelines.warehouse_db import connect


def _limit(con) -> str:
    return con.execute("select current_setting('memory_limit')").fetchone()[0]


def test_memory_limit_follows_the_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("NHCS_DUCKDB_MEMORY_LIMIT", "2GiB")
    with connect(tmp_path / "w.duckdb") as con:
        assert _limit(con) == "2.0 GiB"
    with connect(tmp_path / "w.duckdb", read_only=True) as con:
        assert _limit(con) == "2.0 GiB"


def test_default_limit_is_not_duckdbs_share_of_the_machine(monkeypatch):
    monkeypatch.delenv("NHCS_DUCKDB_MEMORY_LIMIT", raising=False)
    with connect(":memory:") as con:
        assert _limit(con) == "7.4 GiB"  # 8GB (decimal), as the dbt profile's default


def test_bad_limit_names_the_setting(monkeypatch):
    monkeypatch.setenv("NHCS_DUCKDB_MEMORY_LIMIT", "lots")
    with pytest.raises(ValueError, match="NHCS_DUCKDB_MEMORY_LIMIT='lots': expected a size"):
        connect(":memory:")
