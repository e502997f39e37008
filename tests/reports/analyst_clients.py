"""The oldest DuckDB clients analytics.duckdb promises to open, in an environment of their own.

The DuckDB Python package of the 1.4 long-term line and the ``duckdb-cli`` package 1.5.6 (its
``duckdb`` command) are installed from PyPI with the project's ``uv`` into
``.venv/analyst-clients/`` once, then reused (a stamp names the pins), so the suite pays the
install on a fresh clone only. ``pytz``: DuckDB's Python package before 2.0 needs it to return a
``TIMESTAMP WITH TIME ZONE`` (``main.publication.published_at``, ``quality.checked_at``).
"""

from __future__ import annotations

import fcntl
import json
import subprocess
import sys
from pathlib import Path

from pipelines.settings import PROJECT_ROOT

PINS = ("duckdb~=1.4.0", "duckdb-cli==1.5.6", "pytz")
HOME = PROJECT_ROOT / ".venv" / "analyst-clients"

# Runs in the clients' environment: every query of argv[2] (a JSON list) on the file argv[1].
PY_RUNNER = """
import json, sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
out = {"version": duckdb.__version__, "rows": []}
for sql in json.loads(sys.argv[2]):
    out["rows"].append(len(con.execute(sql).fetchall()))
print(json.dumps(out))
"""


class ClientsUnavailable(RuntimeError):
    pass


def clients() -> Path:
    """The environment's folder, installed if needed (safe under pytest-xdist: file lock)."""
    HOME.parent.mkdir(parents=True, exist_ok=True)
    stamp = HOME / ".pins"
    with open(HOME.parent / "analyst-clients.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stamp.exists() and stamp.read_text() == "\n".join(PINS):
            return HOME
        uv = Path(sys.executable).with_name("uv")
        steps = [
            [str(uv), "venv", "-q", "--clear", str(HOME), "--python", sys.executable],
            [str(uv), "pip", "install", "-q", "--python", str(HOME / "bin" / "python"), *PINS],
        ]
        for cmd in steps:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
            if proc.returncode:
                raise ClientsUnavailable(f"{' '.join(cmd)} failed: {proc.stderr[-2000:]}")
        stamp.write_text("\n".join(PINS))
    return HOME


def python_client(db: Path, queries: list[str]) -> dict:
    """Run ``queries`` with DuckDB 1.4's Python package; returns its version and row counts."""
    proc = subprocess.run(
        [str(clients() / "bin" / "python"), "-c", PY_RUNNER, str(db), json.dumps(queries)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def cli(db: Path, sql: str) -> subprocess.CompletedProcess:
    """``duckdb -readonly <db> -json -c <sql>`` with the duckdb-cli package's command."""
    return subprocess.run(
        [str(clients() / "bin" / "duckdb"), "-readonly", str(db), "-json", "-c", sql],
        capture_output=True,
        text=True,
        timeout=300,
    )


def cli_version() -> str:
    out = subprocess.run(
        [str(clients() / "bin" / "duckdb"), "--version"], capture_output=True, text=True
    )
    return out.stdout.split()[0]
