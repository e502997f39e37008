"""What changed since a published file was written, and rewriting only that.

Every published table is cut into parts: one per value of its first column among
``PART_COLUMNS`` (a quality run, a data date, a month-end), or one part for a table with none.
Each part has a content hash: the row count and the sum of DuckDB's ``hash()`` of every row
(order-independent, over every column). The hashes of what a file holds are stored in it
(``main.publication_parts``, written in the same transaction as the data), so bringing an older
publication up to date reads the warehouse once for hashing and writes only the parts whose
hash differs: ``DELETE`` + ``INSERT`` of those parts, or the whole table when its columns changed
or when most of it changed anyway.

Why hashes and not dbt's run results: dbt rebuilds a table model every night even when its
content is the same, and an incremental model rewrites the months it was told to, changed or
not; the content is what readers see, so the content is compared.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import duckdb

# The columns a table is cut by, first match wins: quality runs are appended run by run, the
# marts and recon models hold one set of rows per data date or month-end.
PART_COLUMNS = ("run_id", "as_of_date", "month_end_date")
# Above this share of a table's rows changed, the table is rebuilt rather than patched.
REBUILD_SHARE = 0.5
PARTS_TABLE = "publication_parts"


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@dataclass
class TableState:
    schema: str
    table: str
    signature: str  # "column TYPE, ..." in column order
    part_column: str | None
    parts: dict[str | None, tuple[int, str]] = field(default_factory=dict)  # value -> (rows, hash)

    @property
    def name(self) -> str:
        return f"{self.schema}.{self.table}"

    @property
    def rows(self) -> int:
        return sum(r for r, _ in self.parts.values())

    def digest(self) -> str:
        """One hash of the whole table (columns and every part)."""
        h = hashlib.sha256(self.signature.encode())
        for value in sorted(self.parts, key=lambda v: (v is None, v or "")):
            rows, content = self.parts[value]
            h.update(f"\0{value}\0{rows}\0{content}".encode())
        return h.hexdigest()


@dataclass
class Change:
    state: TableState
    action: str  # "create" (whole table), "parts", "drop"
    parts: list[str | None] = field(default_factory=list)

    @property
    def rows_written(self) -> int:
        if self.action == "create":
            return self.state.rows
        if self.action == "parts":
            return sum(self.state.parts.get(p, (0, ""))[0] for p in self.parts)
        return 0


def columns(con: duckdb.DuckDBPyConnection, database: str, schema: str, table: str):
    return con.execute(
        "select column_name, data_type from duckdb_columns() where database_name = ? "
        "and schema_name = ? and table_name = ? order by column_index",
        [database, schema, table],
    ).fetchall()


def source_state(
    con: duckdb.DuckDBPyConnection,
    database: str,
    schema: str,
    table: str,
    cols: list[tuple[str, str]] | None = None,
) -> TableState:
    """Hash every part of ``schema.table`` of ``database`` (one scan); ``cols``: its
    ``columns()`` when the caller has them."""
    cols = cols if cols is not None else columns(con, database, schema, table)
    names = [c for c, _ in cols]
    part_column = next((c for c in PART_COLUMNS if c in names), None)
    part = f"cast({q(part_column)} as varchar)" if part_column else "cast(null as varchar)"
    rel = f"{q(database)}.{q(schema)}.{q(table)}"
    rows = con.execute(
        f"select {part} as part, count(*), cast(sum(hash({', '.join(map(q, names))})) as varchar) "
        f"from {rel} group by all"
    ).fetchall()
    return TableState(
        schema,
        table,
        ", ".join(f"{c} {t}" for c, t in cols),
        part_column,
        {value: (n, h) for value, n, h in rows},
    )


def published_state(
    con: duckdb.DuckDBPyConnection, alias: str, schemas: tuple[str, ...]
) -> dict[str, TableState]:
    """What a published file holds in ``schemas``, from its own ``main.publication_parts``
    (empty when the file has none: it is then rebuilt whole). A table the file holds but does
    not record (written to by hand since) has no signature, so it is rewritten or dropped; one
    it records but no longer holds is left out, so it is written."""
    exists = con.execute(
        "select count(*) from duckdb_tables() where database_name = ? and schema_name = 'main' "
        "and table_name = ?",
        [alias, PARTS_TABLE],
    ).fetchone()[0]
    if not exists:
        return {}
    held = {
        f"{schema}.{table}": TableState(schema, table, "", None)
        for schema, table in con.execute(
            "select schema_name, table_name from duckdb_tables() where database_name = ? "
            "and list_contains(?, schema_name)",
            [alias, list(schemas)],
        ).fetchall()
    }
    states: dict[str, TableState] = {}
    for schema, table, signature, part_column, value, rows, content in con.execute(
        "select table_schema, table_name, table_signature, part_column, part_value, row_count, "
        f"content_hash from {q(alias)}.main.{PARTS_TABLE}"
    ).fetchall():
        if f"{schema}.{table}" not in held:
            continue
        st = states.setdefault(
            f"{schema}.{table}", TableState(schema, table, signature, part_column)
        )
        if rows:  # an empty table is stored as one row with no part
            st.parts[value] = (rows, content)
    return {**held, **states}


def plan(want: dict[str, TableState], have: dict[str, TableState]) -> list[Change]:
    changes = [Change(have[n], "drop") for n in sorted(have.keys() - want.keys())]
    for name, new in want.items():
        old = have.get(name)
        if old is None or old.signature != new.signature or old.part_column != new.part_column:
            changes.append(Change(new, "create"))
            continue
        differ = [
            v for v in new.parts.keys() | old.parts.keys() if new.parts.get(v) != old.parts.get(v)
        ]
        if not differ:
            continue
        change = Change(new, "parts", sorted(differ, key=lambda v: (v is None, v or "")))
        if change.rows_written > REBUILD_SHARE * max(new.rows, 1) or new.part_column is None:
            change = Change(new, "create")
        changes.append(change)
    return changes


def in_parts(part_column: str, values: list[str | None]) -> str:
    conds = []
    present = [v for v in values if v is not None]
    if present:
        conds.append(f"cast({q(part_column)} as varchar) in ({', '.join(map(lit, present))})")
    if None in values:
        conds.append(f"{q(part_column)} is null")
    return " or ".join(conds)


def apply(con: duckdb.DuckDBPyConnection, source: str, alias: str, changes: list[Change]) -> None:
    """Carry out ``changes`` on the attached file ``alias`` from the database ``source`` (inside
    the caller's transaction)."""
    for ch in changes:
        st = ch.state
        dst = f"{q(alias)}.{q(st.schema)}.{q(st.table)}"
        src = f"{q(source)}.{q(st.schema)}.{q(st.table)}"
        if ch.action == "drop":
            con.execute(f"drop table if exists {dst}")
        elif ch.action == "create":
            con.execute(f"create schema if not exists {q(alias)}.{q(st.schema)}")
            con.execute(f"drop table if exists {dst}")
            con.execute(f"create table {dst} as select * from {src}")
        else:
            where = in_parts(st.part_column, ch.parts)
            con.execute(f"delete from {dst} where {where}")
            con.execute(f"insert into {dst} select * from {src} where {where}")


def write_parts(con: duckdb.DuckDBPyConnection, alias: str, want: dict[str, TableState]) -> None:
    con.execute(
        f"create or replace table {q(alias)}.main.{PARTS_TABLE} (table_schema varchar, "
        "table_name varchar, table_signature varchar, part_column varchar, part_value varchar, "
        "row_count bigint, content_hash varchar)"
    )
    rows = []
    for st in want.values():
        parts = st.parts or {None: (0, "")}
        rows += [
            (st.schema, st.table, st.signature, st.part_column, v, n, h)
            for v, (n, h) in parts.items()
        ]
    con.executemany(f"insert into {q(alias)}.main.{PARTS_TABLE} values (?, ?, ?, ?, ?, ?, ?)", rows)
