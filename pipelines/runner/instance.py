"""The Dagster instance that ``nhcs run`` and ``nhcs ui`` share (``DAGSTER_HOME``).

A persistent home under the project unless ``DAGSTER_HOME`` names another: runs made by
``nhcs run`` then show in the UI's history. Its ``dagster.yaml`` is written by ``nhcs``:
- runs that write the warehouse are queued one at a time (DuckDB has a single writer);
- the project's loggers (``nhcs.*``) are managed by Dagster, so what the steps log through them
  (ingestion, checks) reaches the run's event log in the UI;
- the event log is Dagster's SQLite files, written through ``event_log`` (connections kept open
  instead of one per event), or everything in PostgreSQL when ``NHCS_DAGSTER_PG_URL`` is set.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..settings import PROJECT_ROOT

# The first line marks the file as ours: another version of it is replaced, a file someone
# wrote by hand (or whose first line was deleted) is left alone.
MARKER = "# Written by `nhcs`"
DAGSTER_YAML = f"""\
{MARKER} (rewritten by it while this line stays: delete the line to keep your own
# edits). Runs that write the warehouse are queued one at a time (DuckDB has a single writer);
# the rest may run beside them.
run_queue:
  max_concurrent_runs: 4
  tag_concurrency_limits:
    - key: "nhcs/writes-warehouse"
      limit: 1
# The project's loggers reach the run's event log (the UI), from INFO up.
python_logs:
  managed_python_loggers:
    - nhcs
  python_log_level: INFO
telemetry:
  enabled: false
"""
# The SQLite default: Dagster's own files (history/runs/ under the instance folder), written
# through a storage that keeps each run's connection open (pipelines/runner/event_log.py).
DAGSTER_YAML_SQLITE = """\
# The event log: Dagster's SQLite files, each run's database kept open while it is written
# (one connection per event cost a WAL checkpoint per event; pipelines/runner/event_log.py).
event_log_storage:
  module: {module}
  class: {cls}
  config:
    base_dir: {base_dir}
"""
# NHCS_DAGSTER_PG_URL set: runs, event log and schedules in PostgreSQL (docs/operations.md).
DAGSTER_YAML_POSTGRES = """\
storage:
  postgres:
    postgres_url:
      env: NHCS_DAGSTER_PG_URL
"""


def dagster_home(home: str | Path | None = None) -> Path:
    """The instance folder (``home``, else ``$DAGSTER_HOME``, else ``.dagster_home/`` in the
    project), with our ``dagster.yaml`` unless someone else wrote it. Dagster's storage is
    SQLite files there, or PostgreSQL when ``NHCS_DAGSTER_PG_URL`` is set."""
    folder = Path(home or os.environ.get("DAGSTER_HOME") or PROJECT_ROOT / ".dagster_home")
    folder = folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "dagster.yaml"
    from . import event_log  # imports Dagster, which only the commands that run it need

    wanted = DAGSTER_YAML + (
        DAGSTER_YAML_POSTGRES
        if os.environ.get("NHCS_DAGSTER_PG_URL")
        else DAGSTER_YAML_SQLITE.format(
            module=event_log.MODULE,
            cls=event_log.CLASS,
            base_dir=json.dumps(str(folder / "history" / "runs")),
        )
    )
    current = config.read_text(encoding="utf-8") if config.exists() else None
    if current is None or (current.startswith(MARKER) and current != wanted):
        config.write_text(wanted, encoding="utf-8")
    return folder


def open_instance(home: Path):
    """The Dagster instance of ``home`` (without setting ``DAGSTER_HOME`` in this process)."""
    from dagster import DagsterInstance

    return DagsterInstance.from_config(str(home))
