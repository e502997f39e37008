"""Personal data (customer names, national ID numbers, phone numbers, group leaders, officers)
never leaves raw.*: not as a column, not as a value, in any later schema of the warehouse, the
published database or any report file. The values searched for are the ones actually delivered
(taken from raw.*), and the scanner is shown to find them where they are allowed (raw)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import duckdb
import pytest

from pipelines.publish import PERSONAL_COLUMN

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("reliability")]

# raw table -> its personal-data columns (contract §4.1, §4.4, §4.5)
PERSONAL = {
    "m31": ("customer_name", "national_id", "phone", "group_name"),
    "bc0437": ("leader_name",),
    "doichieu": ("officer",),
}
AFTER_RAW = ("seeds", "staging", "intermediate", "marts", "recon", "quality", "main")


@pytest.fixture(scope="module")
def personal_values(reference) -> dict[str, set[str]]:
    con = duckdb.connect(str(reference.warehouse), read_only=True)
    try:
        out = {}
        for table, cols in PERSONAL.items():
            for col in cols:
                vals = con.execute(
                    f"select distinct {col} from raw.{table} where {col} is not null"
                ).fetchall()
                out[f"{table}.{col}"] = {v[0] for v in vals if len(v[0].strip()) >= 3}
        return out
    finally:
        con.close()


def _text_columns(con, schemas) -> list[tuple[str, str, str]]:
    return con.execute(
        "select table_schema, table_name, column_name from information_schema.columns "
        "where table_catalog = current_database() and data_type = 'VARCHAR' "
        f"and table_schema in ({', '.join('?' for _ in schemas)}) order by all",
        list(schemas),
    ).fetchall()


def _leaks(db: Path, schemas, values: dict[str, set[str]]) -> list[str]:
    """Every (schema.table.column, kind) whose values include a personal value."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute("create temp table pii (kind varchar, v varchar)")
        con.executemany(
            "insert into pii values (?, ?)", [(k, v) for k, vs in values.items() for v in vs]
        )
        found = []
        for s, t, c in _text_columns(con, schemas):
            hits = con.execute(
                f'select distinct p.kind from "{s}"."{t}" x join pii p on x."{c}" = p.v'
            ).fetchall()
            found += [f"{s}.{t}.{c}: {kind}" for (kind,) in hits]
        return found
    finally:
        con.close()


def _personal_columns(db: Path, schemas) -> list[str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        cols = con.execute(
            "select table_schema || '.' || table_name || '.' || column_name "
            "from information_schema.columns where table_catalog = current_database() "
            f"and table_schema in ({', '.join('?' for _ in schemas)})",
            list(schemas),
        ).fetchall()
    finally:
        con.close()
    return [c for (c,) in cols if PERSONAL_COLUMN.search(c.split(".")[-1])]


def test_every_kind_of_personal_data_was_delivered(personal_values):
    """The demo carries every kind (else the scans below would prove nothing)."""
    assert all(len(v) >= 3 for v in personal_values.values()), {
        k: len(v) for k, v in personal_values.items()
    }


def test_the_scanner_finds_personal_data_where_it_is_allowed(reference, personal_values):
    leaks = _leaks(reference.warehouse, ("raw",), personal_values)
    assert {x.split(": ")[1] for x in leaks} == set(personal_values)
    assert len(_personal_columns(reference.warehouse, ("raw",))) == 6


def test_no_personal_data_after_raw_in_the_warehouse(reference, personal_values):
    assert _personal_columns(reference.warehouse, AFTER_RAW) == []
    assert _leaks(reference.warehouse, AFTER_RAW, personal_values) == []


def test_no_personal_data_in_the_published_database(reference, personal_values):
    con = duckdb.connect(str(reference.analytics), read_only=True)
    try:
        schemas = {r[0] for r in con.execute("select schema_name from duckdb_schemas()").fetchall()}
    finally:
        con.close()
    assert "raw" not in schemas and "staging" not in schemas
    everything = tuple(schemas)
    assert _personal_columns(reference.analytics, everything) == []
    assert _leaks(reference.analytics, everything, personal_values) == []


def _file_texts(path: Path) -> list[tuple[str, str]]:
    """The text of a report file; for an .xlsx, of every XML part (cells, shared strings,
    sheet names, comments, document properties)."""
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as z:
            return [
                (f"{path.name}:{n}", z.read(n).decode("utf-8", errors="replace"))
                for n in z.namelist()
                if n.endswith((".xml", ".rels"))
            ]
    return [(path.name, path.read_text(encoding="utf-8", errors="replace"))]


def test_no_personal_data_in_any_report_file(reference, personal_values):
    files = [p for p in reference.reports.rglob("*") if p.is_file()]
    assert {p.suffix for p in files} >= {".html", ".xlsx"}
    found = []
    for f in files:
        for part, text in _file_texts(f):
            for kind, values in personal_values.items():
                hits = [v for v in values if v in text]
                if hits:
                    found.append(f"{part}: {kind} e.g. {hits[0]!r}")
    assert found == []
