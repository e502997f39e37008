"""The SQLite event log of the instance `nhcs` writes: one connection per run kept open, the
same files and events Dagster's own storage reads."""

import time

import pytest
from dagster import AssetKey, AssetMaterialization, DagsterInstance
from dagster._core.events import DagsterEvent, DagsterEventType, StepMaterializationData
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.event_log import SqliteEventLogStorage
from sqlalchemy import event

from pipelines.runner.event_log import KeptOpenSqliteEventLogStorage
from pipelines.runner.instance import dagster_home, open_instance


def _materialization(run_id: str, name: str) -> EventLogEntry:
    event_data = DagsterEvent(
        event_type_value=DagsterEventType.ASSET_MATERIALIZATION.value,
        job_name="nightly",
        event_specific_data=StepMaterializationData(
            AssetMaterialization(AssetKey(["marts", name]))
        ),
    )
    return EventLogEntry(
        error_info=None,
        level=20,
        user_message="",
        run_id=run_id,
        timestamp=time.time(),
        dagster_event=event_data,
    )


def _run_id(n: int) -> str:
    return f"{n:08d}-0000-0000-0000-000000000000"


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.delenv("NHCS_DAGSTER_PG_URL", raising=False)
    return dagster_home(tmp_path / "dagster_home")


@pytest.fixture
def instance(home):
    instance = open_instance(home)
    yield instance
    instance.dispose()


def _count_connects(storage: KeptOpenSqliteEventLogStorage, shard: str) -> list:
    opened = []
    event.listen(storage._engine(shard), "connect", lambda *a: opened.append(shard))  # noqa: SLF001
    return opened


def test_the_instance_nhcs_writes_uses_the_kept_open_event_log(instance):
    assert isinstance(instance.event_log_storage, KeptOpenSqliteEventLogStorage)


def test_a_run_stores_its_events_through_one_connection(instance):
    storage = instance.event_log_storage
    run = _run_id(1)
    storage.store_event(_materialization(run, "warm_up"))
    run_connects = _count_connects(storage, run)
    index_connects = _count_connects(storage, "index")
    for i in range(40):
        storage.store_event(_materialization(run, f"model_{i % 7}"))
    # Dagster's own storage opens (and closes: a WAL checkpoint each) one per event
    assert run_connects == [] and index_connects == []
    assert len(storage.get_logs_for_run(run)) == 41


def test_another_process_reads_what_a_kept_connection_wrote(home, instance):
    run = _run_id(2)
    for i in range(5):
        instance.event_log_storage.store_event(_materialization(run, f"model_{i}"))
    # Dagster's own storage class on the same files, as a second process would open them
    reader = SqliteEventLogStorage(str(home / "history" / "runs"))
    assert len(reader.get_logs_for_run(run)) == 5
    latest = reader.get_latest_materialization_events([AssetKey(["marts", "model_4"])])
    assert latest[AssetKey(["marts", "model_4"])] is not None


def test_only_the_last_shards_used_stay_open_and_dispose_closes_them(home):
    instance = open_instance(home)
    storage = instance.event_log_storage
    try:
        runs = [_run_id(10 + n) for n in range(storage.KEPT_SHARDS + 3)]
        for run in runs:
            storage.store_event(_materialization(run, "m"))
        kept = list(storage._engines)  # noqa: SLF001
        assert len(kept) == storage.KEPT_SHARDS
        assert runs[-1] in kept and runs[0] not in kept
    finally:
        instance.dispose()
    assert storage._engines == {}  # noqa: SLF001
    # every run's events are still there for the next reader
    again = DagsterInstance.from_config(str(home))
    try:
        assert all(len(again.event_log_storage.get_logs_for_run(r)) == 1 for r in runs)
    finally:
        again.dispose()


def test_postgres_storage_replaces_the_sqlite_event_log(tmp_path, monkeypatch):
    monkeypatch.setenv("NHCS_DAGSTER_PG_URL", "postgresql://nobody@127.0.0.1:1/none")
    text = (dagster_home(tmp_path / "pg_home") / "dagster.yaml").read_text()
    assert "event_log_storage" not in text and "postgres" in text


def test_a_moved_instance_folder_writes_its_own_event_log(tmp_path, monkeypatch):
    monkeypatch.delenv("NHCS_DAGSTER_PG_URL", raising=False)
    first = dagster_home(tmp_path / "a")
    (tmp_path / "a").rename(tmp_path / "b")
    moved = dagster_home(tmp_path / "b")
    assert str(first / "history") not in (moved / "dagster.yaml").read_text()
    assert str(moved / "history" / "runs") in (moved / "dagster.yaml").read_text()
