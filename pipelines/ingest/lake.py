"""The raw layer as a Parquet lake: what the Spark engine reads (docs/scale-out.md).

Layout: ``<lake>/raw/<table>/_data_date=YYYY-MM-DD/part-0.parquet``, hive-partitioned by the
delivery date; each file holds every other column of ``raw.<table>`` with the warehouse's
types. The lake is a copy of the warehouse's raw tables, never a second ingestion: the files are
only written after the load transaction committed, from the committed rows, so the two cannot
disagree on what was accepted.

Sync, not append: a partition is (re)written when the files loaded for that table and date
(``raw._loads``: unit, revision, SHA-256, load time) differ from what the partition was written
from, and removed when the warehouse no longer holds the date. The fingerprint of each partition
is kept in ``<lake>/raw/<table>/_state.json`` (readers skip ``_``- and ``.``-prefixed names).

A partition is swapped in whole: written to a hidden sibling folder, then renamed into place,
so a reader sees the old or the new partition, never half of one; a crash leaves at most a
hidden folder that the next sync removes.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from pipelines.contract.reports import REPORT_BY_CODE, REPORTS
from pipelines.warehouse_db import connect

PARTITION_COLUMN = "_data_date"
STATE_FILE = "_state.json"
Progress = Callable[[str], None]


@dataclass
class LakeSync:
    """What one sync did."""

    written: dict[str, int] = field(default_factory=dict)  # table -> partitions written
    removed: dict[str, int] = field(default_factory=dict)  # table -> partitions removed
    rows: int = 0

    def line(self) -> str:
        w, r = sum(self.written.values()), sum(self.removed.values())
        if not w and not r:
            return "lake: up to date"
        return f"lake: {w} partition(s) written ({self.rows:,} rows), {r} removed"


def table_dir(lake_dir: Path, table: str) -> Path:
    return Path(lake_dir) / "raw" / table


def partition_dir(lake_dir: Path, table: str, data_date: date) -> Path:
    return table_dir(lake_dir, table) / f"{PARTITION_COLUMN}={data_date.isoformat()}"


def _fingerprints(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, str]]:
    """table -> {data date -> fingerprint of the files loaded for it}."""
    rows = con.execute(
        """
        SELECT report, data_date,
               string_agg(concat_ws('|', unit, revision, sha256, loaded_at), ',' ORDER BY unit)
        FROM raw._loads GROUP BY report, data_date
        """
    ).fetchall()
    out: dict[str, dict[str, str]] = {spec.table: {} for spec in REPORTS}
    per_table: dict[tuple[str, str], list[str]] = {}
    for report, data_date, files in rows:
        spec = REPORT_BY_CODE.get(report)
        if spec is None:  # a report code this version does not know: not ours to export
            continue
        per_table.setdefault((spec.table, data_date.isoformat()), []).append(files)
    for (table, day), parts in per_table.items():
        out[table][day] = hashlib.sha256("\n".join(sorted(parts)).encode()).hexdigest()
    return out


def _read_state(folder: Path) -> dict[str, str]:
    try:
        return json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def _write_state(folder: Path, state: dict[str, str]) -> None:
    tmp = folder / f".{STATE_FILE}.tmp"
    tmp.write_text(json.dumps(state, indent=0, sort_keys=True), encoding="utf-8")
    os.replace(tmp, folder / STATE_FILE)


def _sql_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _swap_in(new: Path, final: Path) -> None:
    old = final.with_name(f".old-{final.name}")
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        os.replace(final, old)
    os.replace(new, final)
    shutil.rmtree(old, ignore_errors=True)


def sync_lake(
    con: duckdb.DuckDBPyConnection, lake_dir: Path, progress: Progress | None = None
) -> LakeSync:
    """Bring ``<lake_dir>/raw`` in line with the committed ``raw.*`` tables of ``con``."""
    say = progress or (lambda msg: None)
    loaded = sorted(Path(lake_dir).glob("raw/*/_data_date=*/_unit=*"))
    if loaded:
        raise RuntimeError(
            f"{Path(lake_dir) / 'raw'} is the Spark engine's lake, written by its ingestion "
            f"({loaded[0].relative_to(lake_dir)}): not overwritten with a DuckDB export; use "
            "another NHCS_LAKE_DIR"
        )
    result = LakeSync()
    wanted = _fingerprints(con)
    for spec in REPORTS:
        folder = table_dir(lake_dir, spec.table)
        folder.mkdir(parents=True, exist_ok=True)
        for leftover in folder.glob(".*"):  # a crashed sync's hidden work folders
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
        state = _read_state(folder)
        on_disk = {
            p.name.split("=", 1)[1] for p in folder.glob(f"{PARTITION_COLUMN}=*") if p.is_dir()
        }
        target = wanted[spec.table]
        stale = sorted(d for d, fp in target.items() if state.get(d) != fp or d not in on_disk)
        gone = sorted((on_disk | set(state)) - set(target))
        for day in stale:
            final = partition_dir(lake_dir, spec.table, date.fromisoformat(day))
            work = folder / f".new-{final.name}"
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir()
            n = con.execute(
                f"SELECT count(*) FROM raw.{spec.table} WHERE {PARTITION_COLUMN} = ?::DATE",
                [day],
            ).fetchone()[0]
            # COPY takes no bound parameters: the date is an ISO date from the warehouse.
            con.execute(
                f"COPY (SELECT * EXCLUDE ({PARTITION_COLUMN}) FROM raw.{spec.table} "
                f"WHERE {PARTITION_COLUMN} = DATE '{date.fromisoformat(day).isoformat()}') "
                f"TO {_sql_path(work / 'part-0.parquet')} "
                "(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)"
            )
            _swap_in(work, final)
            state[day] = target[day]
            _write_state(folder, state)
            result.rows += n
        for day in gone:
            shutil.rmtree(partition_dir(lake_dir, spec.table, date.fromisoformat(day)), True)
            state.pop(day, None)
        if gone:
            _write_state(folder, state)
        elif not (folder / STATE_FILE).exists():
            _write_state(folder, state)
        if stale:
            result.written[spec.table] = len(stale)
            say(f"lake: raw/{spec.table}: {len(stale)} partition(s) written")
        if gone:
            result.removed[spec.table] = len(gone)
    return result


def sync_lake_from(warehouse: Path, lake_dir: Path, progress: Progress | None = None) -> LakeSync:
    """``sync_lake`` on its own read-only connection (the warehouse must not be open for
    writing by another process)."""
    con = connect(warehouse, read_only=True)
    try:
        return sync_lake(con, lake_dir, progress)
    finally:
        con.close()
