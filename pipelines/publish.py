"""Publish the analysts' copy of the warehouse: ``data/warehouse/analytics.duckdb``.

Only the ``marts``, ``recon`` and ``quality`` schemas are copied (views materialised as tables);
``raw`` and ``staging`` never are, and a column whose name marks personal data stops the
publication. The copy is built aside (``analytics.duckdb.tmp-<pid>``), checked, and swapped in
with ``os.replace``: an analyst holding a read-only connection to the old file keeps reading the
old file (its inode lives on until they close it) and never blocks the run; new connections get
the new file. The previous published file is kept as ``analytics.previous.duckdb`` (restore it
with ``mv``).

The working warehouse is only read, through a read-only connection, under the warehouse writer
lock so that no writer is half-way through a build while we copy.
"""

from __future__ import annotations

import os
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from .warehouse_db import connect
from .warehouse_lock import warehouse_lock

PUBLISHED_SCHEMAS = ("marts", "recon", "quality")
# Column names that carry personal data (architecture §5): never published.
PERSONAL_COLUMN = re.compile(
    r"(customer_name|national_id|phone|group_name|leader_name|officer)", re.IGNORECASE
)
PREVIOUS_NAME = "analytics.previous.duckdb"


class PublishError(RuntimeError):
    pass


def previous_path(target: Path) -> Path:
    return Path(target).with_name(PREVIOUS_NAME)


def _objects(con: duckdb.DuckDBPyConnection, schema: str) -> list[tuple[str, str]]:
    return con.execute(
        "select table_name, table_type from information_schema.tables "
        "where table_catalog = current_database() and table_schema = ? order by table_name",
        [schema],
    ).fetchall()


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns where table_catalog = "
            "current_database() and table_schema = ? and table_name = ? order by ordinal_position",
            [schema, table],
        ).fetchall()
    ]


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def build_copy(warehouse: Path, out: Path) -> dict[str, int]:
    """Write the published schemas of ``warehouse`` into the new file ``out``; returns
    ``{schema.table: rows}``. Raises PublishError on a personal-data column or when the
    warehouse has no marts."""
    src = connect(warehouse, read_only=True)
    copied: dict[str, int] = {}
    try:
        # The warehouse stays the default catalog, so dbt's views resolve their references.
        src.execute(f"attach {_sql_str(str(out))} as published (READ_WRITE)")
        for schema in PUBLISHED_SCHEMAS:
            objects = _objects(src, schema)
            if not objects:
                continue
            src.execute(f"create schema published.{_q(schema)}")
            for table, _kind in objects:
                bad = [c for c in _columns(src, schema, table) if PERSONAL_COLUMN.search(c)]
                if bad:
                    raise PublishError(
                        f"{schema}.{table} has personal-data column(s) {', '.join(bad)}: "
                        "not publishing (fix the model; personal data stays in raw)"
                    )
                src.execute(
                    f"create table published.{_q(schema)}.{_q(table)} as "
                    f"select * from {_q(schema)}.{_q(table)}"
                )
                copied[f"{schema}.{table}"] = src.execute(
                    f"select count(*) from published.{_q(schema)}.{_q(table)}"
                ).fetchone()[0]
        if not any(k.startswith("marts.") for k in copied):
            raise PublishError(f"{warehouse} has no marts: build the dbt project first")
        src.execute(
            "create table published.main.publication as select "
            "cast(? as timestamptz) as published_at, ? as source_warehouse, "
            "? as tables_published",
            [datetime.now(UTC), Path(warehouse).name, len(copied)],
        )
        src.execute("detach published")
    finally:
        src.close()
    return copied


def _sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _verify(path: Path, expected: dict[str, int]) -> None:
    con = connect(path, read_only=True)
    try:
        for name, rows in expected.items():
            schema, table = name.split(".", 1)
            n = con.execute(f"select count(*) from {_q(schema)}.{_q(table)}").fetchone()[0]
            if n != rows:
                raise PublishError(f"{name}: {n} rows in the copy, {rows} expected")
        leaked = con.execute(
            "select distinct table_schema from information_schema.tables "
            "where table_schema not in ('main', 'marts', 'recon', 'quality')"
        ).fetchall()
        if leaked:
            raise PublishError(f"unexpected schemas in the copy: {leaked}")
    finally:
        con.close()


def publish(warehouse: Path, target: Path) -> Path:
    """Build the analysts' database from ``warehouse`` and swap it in at ``target``
    atomically; keep the replaced file as ``analytics.previous.duckdb``. Returns ``target``."""
    warehouse, target = Path(warehouse), Path(target)
    if not warehouse.exists():
        raise PublishError(f"{warehouse} does not exist")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.name}.tmp-{os.getpid()}")
    for stale in (tmp, tmp.with_name(tmp.name + ".wal")):
        stale.unlink(missing_ok=True)
    _remove_orphans(target)
    try:
        with warehouse_lock(warehouse):
            copied = build_copy(warehouse, tmp)
        _verify(tmp, copied)
        if target.exists():
            _keep_previous(target)
        # A write-ahead log beside the target belongs to the old file; the new file is
        # checkpointed and must not be paired with it.
        target.with_name(target.name + ".wal").unlink(missing_ok=True)
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    finally:
        tmp.unlink(missing_ok=True)
        tmp.with_name(tmp.name + ".wal").unlink(missing_ok=True)
    return target


def _remove_orphans(target: Path) -> None:
    """Delete the files aside (``<name>.tmp-<pid>``) that a killed publication left behind: a
    half-built copy is never used, but it would fill the disk night after night. Files of a
    publication still running (its process alive) are left alone."""
    for name in (target.name, PREVIOUS_NAME):
        for path in target.parent.glob(f"{name}.tmp-*"):
            pid = path.name.rsplit(".tmp-", 1)[1].split(".", 1)[0]
            if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
                path.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _keep_previous(target: Path) -> None:
    """``analytics.previous.duckdb`` := the current file, without a moment where ``target`` is
    missing (hard link, else a copy), itself swapped in atomically."""
    prev = previous_path(target)
    staging = prev.with_name(f"{prev.name}.tmp-{os.getpid()}")
    staging.unlink(missing_ok=True)
    try:
        os.link(target, staging)
    except OSError:
        shutil.copy2(target, staging)
    os.replace(staging, prev)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
