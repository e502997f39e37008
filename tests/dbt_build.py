"""`dbt build` of the project as its own process, for the end-to-end tests' fixtures.

The target and log folders go to the test's work folder, so parallel test sessions never share
dbt's ``target/``. Callers decide what a failure means (assert, pytest.fail, exit)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pipelines.settings import DBT_PROJECT_DIR


def dbt_build(warehouse: Path, work: Path, *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "NHCS_WAREHOUSE": str(warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "0"}
    cmd = [
        str(Path(sys.executable).with_name("dbt")),
        "build",
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(work / "dbt_target"),
        "--log-path",
        str(work / "dbt_logs"),
        *extra,
    ]
    return subprocess.run(cmd, env=env, cwd=DBT_PROJECT_DIR, capture_output=True, text=True)
