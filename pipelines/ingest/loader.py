"""The warehouse side of the ingestion: raw tables, the load log, findings, rejections,
quarantine.

DuckDB has one writer: only the parent process of ``ingest()`` opens the warehouse, and it
inserts whole Arrow tables. Loading a key (report, unit, data date) deletes what the key held
and inserts the new rows inside one transaction, together with its ``raw._loads`` line and its
``raw._findings`` (data-quality findings on descriptive columns), so a failure at any point
leaves the previous state.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines.contract.codes import HOI_UNIT
from pipelines.contract.reports import LINEAGE_COLUMNS, REPORT_BY_CODE, REPORTS, ReportSpec

from .errors import printable
from .model import Rejection
from .parse import ParsedFile

SCHEMA = "raw"
DUCKDB_CONFIG = {"threads": 1, "memory_limit": "1GB"}
SQL_TYPES = {
    "code": "VARCHAR",
    "text": "VARCHAR",
    "int": "BIGINT",
    "decimal": "DOUBLE",
    "million": "DECIMAL(24,6)",
    "date": "DATE",
}
LOADS_DDL = """
CREATE TABLE IF NOT EXISTS {table} (
    report VARCHAR NOT NULL, unit VARCHAR NOT NULL, data_date DATE NOT NULL,
    source_file VARCHAR NOT NULL, revision INTEGER NOT NULL, sha256 VARCHAR NOT NULL,
    rows BIGINT NOT NULL, loaded_at TIMESTAMP NOT NULL
)"""
FINDINGS_DDL = f"""
CREATE TABLE IF NOT EXISTS {SCHEMA}._findings (
    report VARCHAR NOT NULL, unit VARCHAR NOT NULL, data_date DATE NOT NULL,
    file VARCHAR NOT NULL, "row" INTEGER, "column" VARCHAR, value VARCHAR,
    expected VARCHAR, message VARCHAR NOT NULL, sha256 VARCHAR, found_at TIMESTAMP NOT NULL
)"""
REJECTIONS_DDL = f"""
CREATE TABLE IF NOT EXISTS {SCHEMA}._rejections (
    file VARCHAR NOT NULL, "row" INTEGER, "column" VARCHAR, value VARCHAR,
    expected VARCHAR, message VARCHAR NOT NULL, data_date DATE, unit VARCHAR,
    sha256 VARCHAR, rejected_at TIMESTAMP NOT NULL
)"""


def table_ddl(spec: ReportSpec) -> str:
    cols = [f"{c.key} {SQL_TYPES[c.type]}" for c in spec.columns]
    cols += [f"{name} {typ}" for name, typ in spec.derived]
    cols += [f"{name} {typ}" for name, typ in LINEAGE_COLUMNS]
    return (
        f"CREATE TABLE IF NOT EXISTS {SCHEMA}.{spec.table} (\n    " + ",\n    ".join(cols) + "\n)"
    )


@dataclass(frozen=True)
class LoadRecord:
    source_file: str
    revision: int
    sha256: str
    rows: int
    loaded_at: datetime


class Warehouse:
    """A short-lived writer connection to the warehouse file."""

    # The load log: which file (revision, SHA-256) each key's rows came from.
    LOADS = f"{SCHEMA}._loads"

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # One DuckDB thread: the parse workers have the cores; a memory limit keeps DuckDB's
        # buffer cache (not the data: it spills and evicts) from growing with the warehouse.
        self.con = duckdb.connect(str(self.path), config=DUCKDB_CONFIG)
        self._loads: dict[tuple[str, str, date], LoadRecord] | None = None
        self.staged: list[ParsedFile] = []
        self.staged_rows = 0
        self.in_transaction = False
        self.failed_on: str | None = None  # the file being written when a statement failed

    def close(self) -> None:
        if self.in_transaction:  # never commit implicitly
            self.rollback()
        self.con.close()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------------- schema
    def ensure_schema(self) -> None:
        self.con.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        for spec in REPORTS:
            self.con.execute(table_ddl(spec))
        self.con.execute(LOADS_DDL.format(table=self.LOADS))
        self.con.execute(FINDINGS_DDL)
        self.con.execute(REJECTIONS_DDL)

    def loads(self) -> dict[tuple[str, str, date], LoadRecord]:
        if self._loads is None:
            rows = self.con.execute(
                f"SELECT report, unit, data_date, source_file, revision, sha256, rows, loaded_at "
                f"FROM {self.LOADS}"
            ).fetchall()
            self._loads = {(r[0], r[1], r[2]): LoadRecord(*r[3:]) for r in rows}
        return self._loads

    # --------------------------------------------------------------------------- loads
    def stage(self, items: list[ParsedFile], loaded_at: datetime) -> None:
        """Replace the keys of ``items`` with their rows inside the open load transaction
        (opened here if needed). Nothing is visible to others before ``commit``; on any error
        the caller must ``rollback``: the warehouse then keeps its previous state.

        Several chunks of files share one transaction (``run.COMMIT_ROWS``): DuckDB then
        writes whole compressed row groups during the INSERTs instead of sending the rows
        through the WAL and a checkpoint at each commit."""
        if not items:
            return
        if not self.staged and not self.in_transaction:
            self.con.execute("BEGIN TRANSACTION")
            self.in_transaction = True
        known = self.loads()
        by_table: dict[str, list[ParsedFile]] = {}
        for p in items:
            by_table.setdefault(p.ctx.spec.table, []).append(p)
        for table, group in by_table.items():
            self._replace_rows(table, group, known, loaded_at)
        self.failed_on = None
        # only a key loaded before has a _loads line and findings to replace (a first load,
        # most of a fresh warehouse, skips the two DELETEs)
        replaced = [p for p in items if (p.ctx.spec.code, p.ctx.unit, p.ctx.data_date) in known]
        self._write_loads(items, replaced, loaded_at)
        self._write_findings(items, replaced, loaded_at)
        for p in items:  # the rows are in DuckDB now: keep only what the commit reports
            p.row_count, p.table = p.rows, None
        self.staged.extend(items)
        self.staged_rows += sum(p.rows for p in items)

    def _replace_rows(
        self, table: str, group: list[ParsedFile], known, loaded_at: datetime
    ) -> None:
        """The rows of each key of ``group`` (files of one raw table) become the file's."""
        for p in group:
            self.failed_on = p.ctx.rel
            if (p.ctx.spec.code, p.ctx.unit, p.ctx.data_date) in known:
                self._delete_key(p)
        self.failed_on = group[0].ctx.rel if len(group) == 1 else None
        self._insert(table, [p.table for p in group], loaded_at)

    def commit(self, loaded_at: datetime) -> list[ParsedFile]:
        """Commit the open load transaction; returns the files it loaded."""
        done, self.staged, self.staged_rows = self.staged, [], 0
        if self.in_transaction:
            try:
                self.con.execute("COMMIT")
            except Exception:
                # A failed COMMIT (disk full writing the WAL, ...) has already aborted the
                # transaction in DuckDB: a ROLLBACK now would fail and hide the real error, and
                # the staged files must be handed back to rollback() as not loaded.
                self.staged, self.staged_rows = done, sum(p.rows for p in done)
                self.in_transaction = False
                raise
            self.in_transaction = False
        known = self.loads()
        for p in done:
            known[(p.ctx.spec.code, p.ctx.unit, p.ctx.data_date)] = LoadRecord(
                p.ctx.rel, p.ctx.revision, p.ctx.sha256, p.rows, loaded_at
            )
        return done

    def rollback(self) -> list[ParsedFile]:
        """Abandon the open load transaction; returns the files that were staged in it."""
        lost, self.staged, self.staged_rows = self.staged, [], 0
        if self.in_transaction:
            self.con.execute("ROLLBACK")
            self.in_transaction = False
        return lost

    def _delete_key(self, p: ParsedFile) -> None:
        spec = p.ctx.spec
        if spec.unit_is_org:
            where, params = (
                "_unit = ? AND _data_date = ? AND org_code = ?",
                [
                    HOI_UNIT,
                    p.ctx.data_date,
                    p.ctx.unit,
                ],
            )
        else:
            where, params = "_unit = ? AND _data_date = ?", [p.ctx.unit, p.ctx.data_date]
        self.con.execute(f"DELETE FROM {SCHEMA}.{spec.table} WHERE {where}", params)

    def _insert(self, table: str, tables: list[pa.Table], loaded_at: datetime) -> None:
        data = tables[0] if len(tables) == 1 else pa.concat_tables(tables)
        if data.num_rows == 0:
            return
        self.con.register("__ingest_rows", data)
        try:
            self.con.execute(
                f"INSERT INTO {SCHEMA}.{table} BY NAME "
                f"SELECT *, ?::TIMESTAMP AS _loaded_at FROM __ingest_rows",
                [loaded_at],
            )
        finally:
            self.con.unregister("__ingest_rows")

    def _write_loads(
        self, items: list[ParsedFile], replaced: list[ParsedFile], loaded_at: datetime
    ) -> None:
        rows = pa.table(
            {
                "report": [p.ctx.spec.code for p in items],
                "unit": [p.ctx.unit for p in items],
                "data_date": pa.array([p.ctx.data_date for p in items], pa.date32()),
                "source_file": [p.ctx.rel for p in items],
                "revision": pa.array([p.ctx.revision for p in items], pa.int32()),
                "sha256": [p.ctx.sha256 for p in items],
                "rows": pa.array([p.rows for p in items], pa.int64()),
            }
        )
        self.con.register("__ingest_loads", rows)
        try:
            if replaced:
                self.con.execute(
                    f"DELETE FROM {self.LOADS} AS l USING __ingest_loads AS n "
                    "WHERE l.report = n.report AND l.unit = n.unit AND l.data_date = n.data_date"
                )
            self.con.execute(
                f"INSERT INTO {self.LOADS} BY NAME "
                "SELECT *, ?::TIMESTAMP AS loaded_at FROM __ingest_loads",
                [loaded_at],
            )
        finally:
            self.con.unregister("__ingest_loads")

    def _write_findings(
        self, items: list[ParsedFile], replaced: list[ParsedFile], found_at: datetime
    ) -> None:
        """Replace the findings of the keys of ``items`` with theirs (same transaction)."""
        if replaced:
            keys = pa.table(
                {
                    "report": [p.ctx.spec.code for p in replaced],
                    "unit": [p.ctx.unit for p in replaced],
                    "data_date": pa.array([p.ctx.data_date for p in replaced], pa.date32()),
                }
            )
            self.con.register("__ingest_keys", keys)
            try:
                self.con.execute(
                    f"DELETE FROM {SCHEMA}._findings AS f USING __ingest_keys AS k "
                    "WHERE f.report = k.report AND f.unit = k.unit AND f.data_date = k.data_date"
                )
            finally:
                self.con.unregister("__ingest_keys")
        rows = [row for p in items for row in finding_rows(p, found_at)]
        if rows:
            self.con.executemany(
                f"INSERT INTO {SCHEMA}._findings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
            )

    def findings_count(self) -> int:
        return self.con.execute(f"SELECT count(*) FROM {SCHEMA}._findings").fetchone()[0]

    # ---------------------------------------------------------------------- communes
    def commune_pairs(
        self, office: str, data_date: date
    ) -> tuple[date, list[tuple[str, str]]] | None:
        """(date, [(commune_code, commune_name)]) of an office's loaded M31 of the same date,
        else of the nearest date; None when no M31 of the office is loaded."""
        row = self.con.execute(
            f"""
            SELECT _data_date FROM {SCHEMA}.m31 WHERE _unit = ?
            GROUP BY _data_date
            ORDER BY abs(date_diff('day', _data_date, ?::DATE)), _data_date DESC
            LIMIT 1
            """,
            [office, data_date],
        ).fetchone()
        if row is None:
            return None
        pairs = self.con.execute(
            f"SELECT DISTINCT commune_code, commune_name FROM {SCHEMA}.m31 "
            "WHERE _unit = ? AND _data_date = ? ORDER BY 1, 2",
            [office, row[0]],
        ).fetchall()
        return row[0], [(r[0], r[1]) for r in pairs]

    # --------------------------------------------------------------------- rejections
    def record_rejections(self, file: str, rejections: list[Rejection], now: datetime) -> datetime:
        """Store a file's rejections, unless the same ones are stored already.

        Returns the time they were first recorded (unchanged across identical re-runs).
        """
        new = Counter(_rej_key(r) for r in rejections)
        old = self.con.execute(
            f'SELECT "row", "column", value, expected, message, sha256, '
            f"min(rejected_at) OVER () FROM {SCHEMA}._rejections WHERE file = ?",
            [file],
        ).fetchall()
        if old and Counter(tuple(r[:6]) for r in old) == new:
            return old[0][6]
        self.con.execute("BEGIN TRANSACTION")
        try:
            self.con.execute(f"DELETE FROM {SCHEMA}._rejections WHERE file = ?", [file])
            self.con.executemany(
                f"INSERT INTO {SCHEMA}._rejections VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    [
                        r.file,
                        r.row,
                        r.column,
                        r.value,
                        r.expected,
                        r.message,
                        r.data_date,
                        r.unit,
                        r.sha256,
                        now,
                    ]
                    for r in rejections
                ],
            )
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        return now

    def clear_rejections(self, files: Iterable[str]) -> None:
        files = list(files)
        if files:
            self.con.execute(
                f"DELETE FROM {SCHEMA}._rejections WHERE list_contains(?, file)", [files]
            )

    def table_rows(self) -> dict[str, int]:
        """Rows of every raw report table, keyed by table name (``m31``, ``skgd``, ...)."""
        out = {}
        for spec in REPORTS:
            out[spec.table] = self.con.execute(
                f"SELECT count(*) FROM {SCHEMA}.{spec.table}"
            ).fetchone()[0]
        return out


def finding_rows(p: ParsedFile, found_at: datetime) -> list[list]:
    """The ``raw._findings`` rows of a loaded file (personal values are never in ``value``)."""
    c = p.ctx
    base = [c.spec.code, c.unit, c.data_date, c.rel]
    rows = [
        [*base, f.row, f.column, f.value, f.expected, f.sentence(c.display), c.sha256, found_at]
        for f in p.findings
    ]
    more = p.total_findings - len(p.findings)
    if more > 0:
        message = f"{printable(c.display)}: … and {more} more findings not listed"
        rows.append([*base, None, None, None, "", message, c.sha256, found_at])
    return rows


def _rej_key(r: Rejection) -> tuple:
    return (r.row, r.column, r.value, r.expected, r.message, r.sha256)


def quarantine_path(quarantine_dir: Path, r: Rejection) -> Path:
    """Where the readable report of a rejected file goes: <quarantine>/<data date>/<name>.txt."""
    folder = r.data_date.isoformat() if r.data_date else "undated"
    parts = r.file.split("/")
    name = parts[-1]
    if name.split("_")[0] not in {s.code.split("_")[0] for s in REPORT_BY_CODE.values()}:
        name = "_".join(parts[1:]) if len(parts) > 1 else name  # manifests, folders
    return quarantine_dir / folder / f"{name}.txt"


def write_quarantine(
    quarantine_dir: Path, file: str, rejections: list[Rejection], rejected_at: datetime
) -> Path:
    first = rejections[0]
    path = quarantine_path(quarantine_dir, first)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        f"Rejected file: {file}",
        f"Delivery: {first.data_date.isoformat() if first.data_date else '-'} / "
        f"{first.unit or '-'}",
        f"SHA-256: {first.sha256 or '-'}",
        f"Rejected at: {rejected_at:%Y-%m-%d %H:%M:%S}",
        "Nothing of this file was loaded; the raw file is left as delivered.",
        "",
        f"{len(rejections)} problem(s):",
    ]
    for r in rejections:
        lines.append(f"- {r.message}")
        detail = []
        if r.row is not None:
            detail.append(f"row {r.row}")
        if r.column is not None:
            detail.append(f"column '{r.column}'")
        if r.value is not None:
            detail.append(f"value '{r.value}'")
        if r.expected:
            detail.append(f"expected {r.expected}")
        if detail:
            lines.append("    " + "; ".join(detail))
    text = "\n".join(lines) + "\n"
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return path
