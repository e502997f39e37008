"""Dagster's SQLite event log, with each run's database kept open while it is written.

Dagster's ``SqliteEventLogStorage`` opens a new SQLite connection for every event it stores and
closes it right after (``NullPool``). Its databases are in WAL mode, and SQLite checkpoints the
write-ahead log into the database and deletes it when the *last* connection to a database
closes: so every one of the ~600 events of a nightly build paid a checkpoint and its syncs.
Measured on this machine (300 materialization events into one run's shard, under load, three
runs each): 35-44 ms per event as shipped, 13-18 ms with one connection held open beside it.

``KeptOpenSqliteEventLogStorage`` is the same storage (same files, same schema, same readers),
except that the connection to a shard is kept in a one-connection pool instead of being closed,
for the few shards used last (the index and the runs being written). SQLite then checkpoints
the log itself every 1,000 pages, as it does for any long-lived connection. Other processes (the
UI, the daemon) read and write the same files as before: WAL lets readers beside one writer,
and an idle connection holds no lock. The instance's ``dagster.yaml`` written by ``nhcs``
selects it (``runner.instance``); PostgreSQL storage (``NHCS_DAGSTER_PG_URL``) replaces it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool, QueuePool

MODULE = __name__
CLASS = "KeptOpenSqliteEventLogStorage"


class KeptOpenSqliteEventLogStorage(SqliteEventLogStorage):
    """Run-sharded SQLite event log keeping the connections of the last shards used open."""

    # The index shard, the run being written and a couple being read (the UI shows several).
    KEPT_SHARDS = 4

    def __init__(self, base_dir: str, inst_data=None):
        # before the parent's __init__, which may already connect (a new index shard)
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._engines_lock = threading.Lock()
        super().__init__(base_dir, inst_data)

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        return cls(inst_data=inst_data, **config_value)

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        # The parent holds _db_lock for the whole use of a connection: one checkout at a time,
        # so a one-connection pool shared by the threads that store events is enough.
        with self._db_lock:
            engine = self._engine(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def _engine(self, shard: str) -> Engine:
        with self._engines_lock:
            engine = self._engines.pop(shard, None)
            if engine is None:
                if shard not in self._initialized_dbs:
                    # Dagster's own creation (tables, WAL mode, alembic stamp) on its own engine.
                    init = self._new_engine(shard, NullPool)
                    self._initdb(init)
                    init.dispose()
                    self._initialized_dbs.add(shard)
                engine = self._new_engine(shard, QueuePool)
            self._engines[shard] = engine
            while len(self._engines) > self.KEPT_SHARDS:
                _, oldest = self._engines.popitem(last=False)
                oldest.dispose()
            return engine

    def _new_engine(self, shard: str, pool) -> Engine:
        kw = {"pool_size": 1, "max_overflow": 0} if pool is QueuePool else {}
        return create_engine(
            self.conn_string_for_shard(shard),
            poolclass=pool,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
            **kw,
        )

    def close_connections(self) -> None:
        """Close every kept connection (SQLite then checkpoints and removes the WAL files)."""
        with self._engines_lock:
            while self._engines:
                _, engine = self._engines.popitem()
                engine.dispose()

    def wipe(self) -> None:
        self.close_connections()
        super().wipe()

    def dispose(self) -> None:
        self.close_connections()
        super().dispose()
