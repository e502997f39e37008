"""Shared helpers for the dbt tests: run dbt on a warehouse in a temporary folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.settings import DBT_PROJECT_DIR

sys.path.insert(0, str(Path(__file__).parent))

import fixtures  # noqa: E402

from tests.shared_builds import shared_build  # noqa: E402

DBT = Path(sys.executable).with_name("dbt")


def run_dbt(
    warehouse: Path,
    work: Path,
    *args: str,
    env: dict[str, str] | None = None,
    returncode: int | None = 0,
) -> subprocess.CompletedProcess:
    """Run the dbt CLI on ``warehouse``; target and logs go to ``work`` so parallel test
    sessions do not share dbt's target folder. Fails the test with dbt's output unless dbt
    exits with ``returncode`` (1: some data tests failed, and nothing else went wrong; None:
    any, the caller looks).
    ``env`` adds environment variables (e.g. NHCS_SPARK_DIR / NHCS_LAKE_DIR for --target spark)."""
    env = {
        **os.environ,
        "NHCS_WAREHOUSE": str(warehouse),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "0",
        **(env or {}),
    }
    cmd = [
        str(DBT),
        *args,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(work / "target"),
        "--log-path",
        str(work / "logs"),
    ]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if returncode is not None and proc.returncode != returncode:
        pytest.fail(
            f"dbt {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-6000:]}"
            f"\n{proc.stderr[-2000:]}"
        )
    return proc


def query(warehouse: Path, sql: str, params=None) -> list[dict]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        cur = con.execute(sql, params or [])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    finally:
        con.close()


@pytest.fixture(scope="session")
def fixture_warehouse(tmp_path_factory) -> Path:
    """The mini branch (tests/dbt/fixtures.py) loaded and built with `dbt build` (all data
    tests and unit tests must pass). Shared by every worker of the run: read it only."""

    def build(work: Path) -> None:
        fixtures.build_raw(work / "warehouse.duckdb")
        run_dbt(work / "warehouse.duckdb", work, "build")

    return shared_build(tmp_path_factory, "dbt-mini-branch", build) / "warehouse.duckdb"


@pytest.fixture(scope="session")
def faulty_warehouse(tmp_path_factory) -> Path:
    """The mini branch with three injected faults, built with `dbt run` (the data tests would
    rightly fail on some of them):
    - control total: form 01.1 of office 0101 at 2022-02-28, commune 010101, column (9)
      outstanding + 1,000,000 đồng on the row and on the TỔNG CỘNG row (so Σ rows = total);
    - roll-forward: the March TNTH journal line of loan 6600010100000001 is 10,000 đồng short;
    - group register: BC0437 of office 0102 at 2022-01-31, group 0102001, savings + 5,000.
    Shared by every worker of the run: read it only.
    """

    def build(work: Path) -> None:
        warehouse = work / "warehouse.duckdb"
        fixtures.build_raw(warehouse)
        con = duckdb.connect(str(warehouse))
        try:
            con.execute("""update raw.bcdhtd_011 set outstanding_mil = outstanding_mil + 1
                           where _unit = '0101' and _data_date = '2022-02-28'
                             and (row_code = '010101' or row_kind = 'total')""")
            con.execute("""update raw.skgd set amount = amount - 10000
                           where loan_code = '6600010100000001' and txn_type = 'TNTH'
                             and txn_date = '2022-03-15'""")
            con.execute("""update raw.bc0437 set savings_balance = savings_balance + 5000
                           where _unit = '0102' and _data_date = '2022-01-31'
                             and group_code = '0102001'""")
        finally:
            con.close()
        run_dbt(warehouse, work, "seed")
        run_dbt(warehouse, work, "run")

    return shared_build(tmp_path_factory, "dbt-mini-branch-faulty", build) / "warehouse.duckdb"
