"""Fixtures of the ingestion tests: a hermetic data/ tree per test and warehouse helpers."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest

from pipelines.contract.reports import REPORTS
from pipelines.ingest import ingest


class Env:
    def __init__(self, root: Path):
        self.root = root
        self.raw = root / "data" / "raw"
        self.raw.mkdir(parents=True)
        self.warehouse = root / "data" / "warehouse" / "warehouse.duckdb"
        self.quarantine = root / "data" / "quarantine"

    def ingest(self, **kw):
        # in this process (workers=0): the parsing rules; the isolated workers have their own
        # tests (test_isolation.py) and run in every pipeline test
        kw.setdefault("workers", 0)
        return ingest(self.raw, self.warehouse, **kw)

    def query(self, sql: str, params=None) -> list[tuple]:
        con = duckdb.connect(str(self.warehouse), read_only=True)
        try:
            return con.execute(sql, params or []).fetchall()
        finally:
            con.close()

    def scalar(self, sql: str, params=None):
        return self.query(sql, params)[0][0]

    def checksums(self) -> dict[str, tuple]:
        """Row count and an order-independent digest of every raw table's full content."""
        out = {}
        tables = [s.table for s in REPORTS] + ["_loads", "_rejections"]
        con = duckdb.connect(str(self.warehouse), read_only=True)
        try:
            for t in tables:
                out[t] = con.execute(
                    f"SELECT count(*), md5(coalesce(string_agg(CAST(x AS VARCHAR), chr(10) "
                    f"ORDER BY CAST(x AS VARCHAR)), '')) FROM raw.{t} AS x"
                ).fetchone()
        finally:
            con.close()
        return out

    def raw_digest(self) -> dict[str, str]:
        """SHA-256 of every file under the raw root (raw files are never changed)."""
        return {
            p.relative_to(self.raw).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(self.raw.rglob("*"))
            if p.is_file()
        }


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return Env(tmp_path)
