"""The data dictionary inside the published file: every table's and column's description as a
DuckDB ``COMMENT`` (so ``duckdb_columns()``, DBeaver and ``DESCRIBE`` show them) and the
``main.catalog`` table (table, column, type, description, unit).

Descriptions of the marts and recon models come from the dbt docs (``persist_docs`` writes them
into the warehouse as comments; they are copied from there), those of the quality tables from
their DDL (``pipelines.quality.store``). Units come from the dbt seed ``column_units`` (one unit
per column name: a name means the same thing in every model). This module describes only the
publication's own tables.
"""

from __future__ import annotations

import duckdb

from .parts import PARTS_TABLE, lit, q

# (description, unit) of the publication's own tables in ``main``.
OWN_TABLES: dict[str, tuple[str, dict[str, tuple[str, str | None]]]] = {
    "publication": (
        "When and how this file was published (one row).",
        {
            "publication_id": (
                "Identifier of the publication (its UTC time); also the name of its folder under "
                "analytics.versions/.",
                None,
            ),
            "published_at": ("When the publication was made.", None),
            "source_warehouse": ("File name of the working warehouse it was copied from.", None),
            "tables_published": ("Tables published in marts, recon and quality.", "tables"),
            "storage_version": (
                "DuckDB storage format of this file (NHCS_PUBLISH_STORAGE_VERSION); v0.9.0 is "
                "read by every DuckDB since 0.9.",
                None,
            ),
            "mode": (
                "full: every table written; incremental: only the parts whose content changed "
                "were rewritten into an older publication's file.",
                None,
            ),
            "parts_written": ("Table parts (data dates, month-ends, runs) written.", "parts"),
            "rows_written": ("Rows written by this publication.", "rows"),
        },
    ),
    PARTS_TABLE: (
        "Row count and content hash of every part of every published table: what the next "
        "publication compares to rewrite only what changed.",
        {
            "table_schema": ("Schema of the published table.", None),
            "table_name": ("Name of the published table.", None),
            "table_signature": ("The table's columns and types, in order.", None),
            "part_column": (
                "Column the table is cut by (run_id, as_of_date or month_end_date); empty: one "
                "part.",
                None,
            ),
            "part_value": ("Value of part_column for this part, as text.", None),
            "row_count": ("Rows in the part.", "rows"),
            "content_hash": (
                "Sum of DuckDB hash() over the part's rows (changes when any value does).",
                None,
            ),
        },
    ),
    "catalog": (
        "The data dictionary: every published table and column with its description and unit.",
        {
            "table_schema": ("Schema of the table (marts, recon, quality, main).", None),
            "table_name": ("Name of the table.", None),
            "table_description": ("What one row of the table is and where it comes from.", None),
            "column_position": ("Position of the column in the table, from 1.", None),
            "column_name": ("Name of the column.", None),
            "data_type": ("DuckDB type of the column.", None),
            "description": ("What the column holds (from the dbt docs).", None),
            "unit": (
                "Unit of the values (đồng, households, fraction, ...); empty for codes, names, "
                "dates and flags.",
                None,
            ),
        },
    ),
}

CATALOG_DDL = (
    "table_schema varchar, table_name varchar, table_description varchar, "
    "column_position integer, column_name varchar, data_type varchar, description varchar, "
    "unit varchar"
)
UNITS_SEED = ("seeds", "column_units")


def _comments(con: duckdb.DuckDBPyConnection, database: str, schemas: list[str]):
    tables = dict(
        ((s, t), c)
        for s, t, c in con.execute(
            "select schema_name, table_name, comment from duckdb_tables() where database_name = ? "
            "and list_contains(?, schema_name) union all select schema_name, view_name, comment "
            "from duckdb_views() where database_name = ? and list_contains(?, schema_name)",
            [database, schemas, database, schemas],
        ).fetchall()
    )
    cols = dict(
        ((s, t, c), m)
        for s, t, c, m in con.execute(
            "select schema_name, table_name, column_name, comment from duckdb_columns() "
            "where database_name = ? and list_contains(?, schema_name)",
            [database, schemas],
        ).fetchall()
    )
    return tables, cols


def copy_comments(
    con: duckdb.DuckDBPyConnection, source: str, alias: str, schemas: list[str]
) -> None:
    """Make the comments of ``alias``'s tables in ``schemas`` those of ``source`` (only the ones
    that differ are written)."""
    want_t, want_c = _comments(con, source, schemas)
    have_t, have_c = _comments(con, alias, schemas)
    for (s, t), comment in have_t.items():
        if want_t.get((s, t)) != comment:
            con.execute(f"comment on table {q(alias)}.{q(s)}.{q(t)} is {_text(want_t.get((s, t)))}")
    for (s, t, c), comment in have_c.items():
        if want_c.get((s, t, c)) != comment:
            con.execute(
                f"comment on column {q(alias)}.{q(s)}.{q(t)}.{q(c)} is "
                f"{_text(want_c.get((s, t, c)))}"
            )


def _text(value: str | None) -> str:
    return "null" if value is None else lit(value)


def describe_own_table(con: duckdb.DuckDBPyConnection, alias: str, table: str) -> None:
    description, cols = OWN_TABLES[table]
    rel = f"{q(alias)}.main.{q(table)}"
    con.execute(f"comment on table {rel} is {lit(description)}")
    for column, (text, _unit) in cols.items():
        con.execute(f"comment on column {rel}.{q(column)} is {lit(text)}")


def write_catalog(con: duckdb.DuckDBPyConnection, source: str, alias: str) -> None:
    """``main.catalog``: one row per column of every table in the file, itself included."""
    con.execute(f"create or replace table {q(alias)}.main.catalog ({CATALOG_DDL})")
    describe_own_table(con, alias, "catalog")
    own = [
        (table, column, unit)
        for table, (_d, cols) in OWN_TABLES.items()
        for column, (_t, unit) in cols.items()
        if unit
    ]
    own_units = " union all ".join(
        f"select 'main', {lit(t)}, {lit(c)}, {lit(u)}" for t, c, u in own
    )
    seed_units = (
        f"select null, null, column_name, unit from {q(source)}.{q(UNITS_SEED[0])}."
        f"{q(UNITS_SEED[1])}"
        if _exists(con, source, *UNITS_SEED)
        else "select null, null, null, null where false"
    )
    con.execute(
        f"""
        insert into {q(alias)}.main.catalog
        with units (table_schema, table_name, column_name, unit) as (
            {own_units} union all {seed_units}
        )
        select c.schema_name, c.table_name, t.comment, c.column_index, c.column_name,
               c.data_type, c.comment,
               coalesce(
                   (select any_value(u.unit) from units u where u.table_schema = c.schema_name
                    and u.table_name = c.table_name and u.column_name = c.column_name),
                   (select any_value(u.unit) from units u where u.table_schema is null
                    and u.column_name = c.column_name)
               )
        from duckdb_columns() c
        join duckdb_tables() t
          on t.database_name = c.database_name and t.schema_name = c.schema_name
         and t.table_name = c.table_name
        where c.database_name = ?
        order by c.schema_name = 'main', c.schema_name, c.table_name, c.column_index
        """,
        [alias],
    )


def _exists(con: duckdb.DuckDBPyConnection, database: str, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from duckdb_tables() where database_name = ? and schema_name = ? "
            "and table_name = ?",
            [database, schema, table],
        ).fetchone()[0]
    )


def undocumented(con: duckdb.DuckDBPyConnection, database: str) -> list[str]:
    """``schema.table.column`` of every column of ``database`` without a comment."""
    return [
        ".".join(r)
        for r in con.execute(
            "select schema_name, table_name, column_name from duckdb_columns() "
            "where database_name = ? and (comment is null or comment = '') order by all",
            [database],
        ).fetchall()
    ]
