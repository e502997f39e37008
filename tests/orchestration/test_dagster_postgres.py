"""Dagster's instance on PostgreSQL (docs/operations.md): the project's server command starts
Debian's PostgreSQL on loopback, `dagster_home()` points dagster.yaml at it when
NHCS_DAGSTER_PG_URL is set, and a run's records land in that server. The test starts and stops
its own server (CI installs the `postgresql` package in .ci/run)."""

from __future__ import annotations

import shutil
import socket
import tempfile
from pathlib import Path

import pytest

from pipelines import pgserver

pytestmark = pytest.mark.xdist_group("postgres")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    try:
        pgserver.bin_dir()
    except pgserver.PostgresError as exc:
        pytest.fail(f"{exc} (.ci/run installs it)")
    # not under pytest's tmp_path: its 0700 parents would keep out the `postgres` user the
    # server runs as when the tests run as root
    root = Path(tempfile.mkdtemp(prefix="nhcs-pg-", dir="/tmp"))
    root.chmod(0o755)
    srv = pgserver.server(root / "data", _free_port())
    try:
        yield pgserver.start(srv)
    finally:
        pgserver.stop(srv)
        shutil.rmtree(root, ignore_errors=True)


def test_start_is_idempotent_and_stop_stops(server):
    assert pgserver.is_running(server)
    assert pgserver.start(server) == server  # already running: left as it is
    assert pgserver.stop(server) is True
    assert not pgserver.is_running(server)
    assert pgserver.stop(server) is False
    pgserver.start(server)
    assert pgserver.is_running(server)


def test_dagster_runs_are_stored_in_postgres(server, tmp_path, monkeypatch):
    import psycopg2
    from dagster import DagsterInstance, Definitions, asset, define_asset_job

    from pipelines.runner.instance import dagster_home

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("NHCS_DAGSTER_PG_URL", server.url)
    home = dagster_home()
    assert "postgres_url" in (home / "dagster.yaml").read_text()

    @asset
    def night() -> int:
        return 1

    job = Definitions(assets=[night], jobs=[define_asset_job("night_job")]).resolve_job_def(
        "night_job"
    )
    with DagsterInstance.get() as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        result = job.execute_in_process(instance=instance)
        assert result.success
        assert instance.get_latest_materialization_event(night.key) is not None
    con = psycopg2.connect(host="127.0.0.1", port=server.port, user="postgres", dbname="dagster")
    try:
        with con.cursor() as cur:
            cur.execute("select status from runs where run_id = %s", [result.run_id])
            assert cur.fetchone() == ("SUCCESS",)
            cur.execute("select count(*) from event_logs where run_id = %s", [result.run_id])
            assert cur.fetchone()[0] > 5
    finally:
        con.close()

    # back to SQLite: the file written by nhcs follows the setting
    monkeypatch.delenv("NHCS_DAGSTER_PG_URL")
    assert "postgres" not in (dagster_home() / "dagster.yaml").read_text()
