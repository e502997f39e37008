"""Publishing analytics.duckdb: only marts/recon/quality, no personal data, an old storage
format, comments and the catalog, Parquet/CSV exports, swapped in atomically under an
analyst's open read-only connection, previous publication kept; incremental publication equal
to a full one, cheap, and safe when killed."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest
from fixture_warehouse import PERSONAL_VALUES

from pipelines.publish import (
    PERSONAL_COLUMN,
    PublishError,
    exports_folder,
    previous_path,
    publish,
)
from pipelines.publish.exports import BOM
from pipelines.settings import SettingsError

pytestmark = pytest.mark.xdist_group("reports")

ANALYST = textwrap.dedent(
    """
    import sys, duckdb
    con = duckdb.connect(sys.argv[1], read_only=True)
    q = "select sum(entrusted_outstanding_vnd) from marts.mart_briefing_kpis"
    print("before", con.execute(q).fetchone()[0], flush=True)
    sys.stdin.readline()            # hold the connection while the pipeline publishes again
    print("after", con.execute(q).fetchone()[0], flush=True)
    print("marker", con.execute("select count(*) from marts.analyst_marker").fetchone()[0],
          flush=True)
    con.close()
    """
)


def _tables(path):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(
            "select table_schema, table_name from information_schema.tables"
        ).fetchall()
    finally:
        con.close()


@pytest.fixture
def warehouse(fixture_warehouse, tmp_path) -> Path:
    """A copy of the fixture warehouse this test may change."""
    wh = tmp_path / "wh" / "warehouse.duckdb"
    wh.parent.mkdir()
    shutil.copy2(fixture_warehouse, wh)
    return wh


def _sql(db: Path, *statements: str) -> None:
    con = duckdb.connect(str(db))
    try:
        for s in statements:
            con.execute(s)
    finally:
        con.close()


def test_publishes_only_marts_recon_quality(fixture_warehouse, tmp_path):
    target = publish(fixture_warehouse, tmp_path / "analytics.duckdb").path
    schemas = {s for s, _ in _tables(target)}
    assert schemas == {"main", "marts", "recon", "quality"}
    con = duckdb.connect(str(target), read_only=True)
    # views are materialised: the recon view reads marts in the source, a table here
    kinds = dict(
        con.execute(
            "select table_name, table_type from information_schema.tables "
            "where table_schema = 'recon'"
        ).fetchall()
    )
    assert kinds["recon_org_totals"] == "BASE TABLE"
    src = duckdb.connect(str(fixture_warehouse), read_only=True)
    for schema, table in _tables(target):
        if schema == "main":
            continue
        n = f'"{schema}"."{table}"'
        assert (
            con.execute(f"select count(*) from {n}").fetchone()
            == src.execute(f"select count(*) from {n}").fetchone()
        )
    src.close()
    con.close()


def test_no_personal_data_column_or_value(fixture_warehouse, tmp_path):
    target = publish(fixture_warehouse, tmp_path / "analytics.duckdb").path
    con = duckdb.connect(str(target), read_only=True)
    cols = con.execute(
        "select table_schema, table_name, column_name, data_type from information_schema.columns"
    ).fetchall()
    assert [c for c in cols if PERSONAL_COLUMN.search(c[2])] == []
    # no personal value anywhere: every text column of every table is searched
    for schema, table, column, dtype in cols:
        if dtype != "VARCHAR":
            continue
        hits = con.execute(
            f'select count(*) from "{schema}"."{table}" where "{column}" in '
            f"({', '.join('?' for _ in PERSONAL_VALUES)})",
            list(PERSONAL_VALUES),
        ).fetchone()[0]
        assert hits == 0, (schema, table, column)
    con.close()


def test_refuses_a_mart_with_a_personal_data_column(warehouse, tmp_path):
    _sql(warehouse, "create table marts.oops as select customer_code, customer_name from raw.m31")
    target = tmp_path / "analytics.duckdb"
    with pytest.raises(PublishError, match="customer_name"):
        publish(warehouse, target)
    assert not target.exists() and not exports_folder(target).exists()
    assert _leftovers(tmp_path) == []  # nothing left behind


def _leftovers(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*.tmp-*"))


def _while_an_analyst_reads(target: Path, publications) -> tuple[list[str], dict[str, str]]:
    """Run ``publications()`` while another process holds ``target`` open read-only (after
    marking that file); returns the analyst's figure before, and what they read after."""
    _sql(target, "create table marts.analyst_marker as select 1 as x")
    analyst = subprocess.Popen(
        [sys.executable, "-c", ANALYST, str(target)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        before = analyst.stdout.readline().split()
        assert before[0] == "before", analyst.stderr.read()
        publications()
        analyst.stdin.write("\n")
        analyst.stdin.flush()
        out, err = analyst.communicate(timeout=60)
    finally:
        if analyst.poll() is None:
            analyst.kill()
    assert analyst.returncode == 0, err
    return before, dict(line.split() for line in out.splitlines())


def test_open_reader_survives_a_new_publication(fixture_warehouse, tmp_path):
    target = tmp_path / "analytics.duckdb"
    publish(fixture_warehouse, target)
    old_inode = target.stat().st_ino
    # the pipeline publishes again while the analyst holds the read-only connection to a file
    # with a marker only it has: the analyst must keep seeing the file they opened
    before, lines = _while_an_analyst_reads(target, lambda: publish(fixture_warehouse, target))
    assert lines["after"] == before[1]
    assert lines["marker"] == "1"  # still the old file
    assert target.stat().st_ino != old_inode  # a new file was swapped in
    new = _tables(target)
    assert ("marts", "analyst_marker") not in new and ("marts", "mart_briefing_kpis") in new
    # the replaced file is kept for restore, marker included
    assert ("marts", "analyst_marker") in _tables(previous_path(target))
    assert _leftovers(tmp_path) == []


def test_publish_needs_marts(tmp_path):
    wh = tmp_path / "empty.duckdb"
    duckdb.connect(str(wh)).close()
    with pytest.raises(PublishError, match="no marts"):
        publish(wh, tmp_path / "analytics.duckdb")


# --- storage format -------------------------------------------------------------------------


def _format_number(db: Path) -> int:
    """The storage format number in the file's main header (what an old DuckDB checks)."""
    with open(db, "rb") as f:
        head = f.read(20)
    assert head[8:12] == b"DUCK"
    return struct.unpack("<Q", head[12:20])[0]


def test_written_in_the_oldest_storage_format_by_default(fixture_warehouse, tmp_path, monkeypatch):
    monkeypatch.delenv("NHCS_PUBLISH_STORAGE_VERSION", raising=False)
    pub = publish(fixture_warehouse, tmp_path / "a" / "analytics.duckdb")
    # 64: read by every DuckDB since 0.9, the 1.4 long-term release (64-67) and the duckdb-cli
    # 1.5.6 (64-68); the project's own DuckDB writes 69 by default, which neither opens
    assert _format_number(pub.path) == 64
    con = duckdb.connect(str(pub.path), read_only=True)
    assert con.execute("select storage_version from publication").fetchone() == ("v0.9.0",)
    con.close()

    monkeypatch.setenv("NHCS_PUBLISH_STORAGE_VERSION", "v1.4.0")
    assert (
        _format_number(publish(fixture_warehouse, tmp_path / "b" / "analytics.duckdb").path) == 67
    )


def test_a_bad_storage_version_names_the_setting(fixture_warehouse, tmp_path, monkeypatch):
    target = tmp_path / "analytics.duckdb"
    for bad in ("1.4", "v9.9.9"):
        monkeypatch.setenv("NHCS_PUBLISH_STORAGE_VERSION", bad)
        with pytest.raises(SettingsError, match="NHCS_PUBLISH_STORAGE_VERSION"):
            publish(fixture_warehouse, target)
        assert not target.exists() and _leftovers(tmp_path) == []


# --- comments, catalog, exports ---------------------------------------------------------------


def test_comments_and_catalog_reach_the_published_file(warehouse, tmp_path):
    _sql(
        warehouse,
        "comment on table marts.dim_unit is 'Transaction offices.'",
        "comment on column marts.dim_unit.district_name is 'Tên quận/huyện, district name.'",
        "create schema seeds",
        "create table seeds.column_units as select * from (values "
        "('entrusted_outstanding_vnd', 'đồng'), ('items_checked', 'items')) t(column_name, unit)",
    )
    target = publish(warehouse, tmp_path / "analytics.duckdb").path
    con = duckdb.connect(str(target), read_only=True)
    try:
        assert con.execute(
            "select comment from duckdb_tables() where table_name = 'dim_unit'"
        ).fetchone() == ("Transaction offices.",)
        assert con.execute(
            "select comment from duckdb_columns() where table_name = 'dim_unit' "
            "and column_name = 'district_name'"
        ).fetchone() == ("Tên quận/huyện, district name.",)
        # the catalog has one row per column of every table in the file, itself included
        catalog = con.execute(
            "select table_schema, table_name, column_name, data_type, description, unit "
            "from catalog"
        ).fetchall()
        columns = con.execute(
            "select schema_name, table_name, column_name, data_type from duckdb_columns() "
            "where not internal"
        ).fetchall()
        assert sorted(r[:4] for r in catalog) == sorted(columns)
        by_col = {(r[0], r[1], r[2]): r for r in catalog}
        assert by_col[("marts", "dim_unit", "district_name")][4].startswith("Tên quận")
        assert by_col[("marts", "mart_briefing_kpis", "entrusted_outstanding_vnd")][5] == "đồng"
        assert by_col[("main", "publication", "rows_written")][5] == "rows"
        # the publication's own tables are fully described
        undescribed = con.execute(
            "select table_name, column_name from duckdb_columns() "
            "where schema_name = 'main' and comment is null and not internal"
        ).fetchall()
        assert undescribed == []
    finally:
        con.close()


def _export_files(folder: Path, fmt: str, table: str) -> list[Path]:
    """A table's files: ``<table>.<fmt>``, or one per month-end in ``<table>/`` for a fact."""
    whole = folder / fmt / f"{table}.{fmt}"
    return [whole] if whole.exists() else sorted((folder / fmt / table).glob(f"*.{fmt}"))


def test_marts_exported_as_parquet_and_csv_with_a_bom(fixture_warehouse, tmp_path):
    pub = publish(fixture_warehouse, tmp_path / "analytics.duckdb")
    folder = exports_folder(pub.path)
    con = duckdb.connect(str(pub.path), read_only=True)
    marts = [
        t
        for (t,) in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'marts'"
        ).fetchall()
    ]
    assert sorted(p.stem for p in (folder / "parquet").iterdir()) == sorted(marts)
    assert sorted(p.stem for p in (folder / "csv").iterdir()) == sorted(marts)
    facts = [t for t in marts if t.startswith("fct_")]
    assert facts and all((folder / "parquet" / t).is_dir() for t in facts)
    for table in marts:
        rel = f"marts.{table}"
        parquet = _export_files(folder, "parquet", table)
        assert con.execute(
            f"select count(*) from (select * from {rel} except all "
            f"select * from read_parquet({[str(p) for p in parquet]}))"
        ).fetchone() == (0,)
        csvs = _export_files(folder, "csv", table)
        assert all(csv.read_bytes().startswith(BOM) for csv in csvs)
        # DuckDB skips the mark; every row comes back (read as text: the CSV is for Excel)
        n = sum(
            con.execute(f"select count(*) from read_csv('{csv}', header = true)").fetchone()[0]
            for csv in csvs
        )
        assert n == con.execute(f"select count(*) from {rel}").fetchone()[0]
    # a fact's file holds the rows of its month-end, all of them
    for path in _export_files(folder, "parquet", "fct_loan_balance"):
        assert (
            con.execute(
                "select count(*) from marts.fct_loan_balance where as_of_date = ?", [path.stem]
            ).fetchone()
            == con.execute(
                f"select count(*) from read_parquet('{path}') where as_of_date = ?", [path.stem]
            ).fetchone()
            == con.execute(f"select count(*) from read_parquet('{path}')").fetchone()
        )
    header = (folder / "csv" / "dim_organization.csv").read_bytes()[len(BOM) :].split(b"\n")[0]
    assert header.decode() == "org_code,org_name,org_short,is_entrusted"
    # Vietnamese text survives as UTF-8
    assert "Hội Nông dân".encode() in (folder / "csv" / "dim_organization.csv").read_bytes()
    con.close()


# --- incremental publication ------------------------------------------------------------------

CHANGES = (
    # one month-end of the largest mart changes (a re-delivered Mẫu 31, say)
    "update marts.fct_loan_balance set outstanding_vnd = outstanding_vnd + 1 "
    "where as_of_date = date '2022-03-31' and loan_code in "
    "(select loan_code from marts.fct_loan_balance order by loan_code limit 3)",
    # a new quality run is appended
    "insert into quality.check_runs values ('run-new', now(), null, 6, 0, false, '6 passed')",
    "insert into quality.check_results select * replace ('run-new' as run_id) "
    "from quality.check_results",
    # a column added to a dimension, a table dropped, a table added, a description changed
    "alter table marts.dim_organization add column rank integer default 1",
    "drop table marts.dim_program",
    "create table marts.new_mart as select 1 as x",
    "comment on column marts.dim_unit.district_name is 'changed'",
)


def _contents(db: Path) -> dict:
    """Every table's columns, types, comments and rows (sorted), except main.publication."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {}
        for schema, table in con.execute(
            "select schema_name, table_name from duckdb_tables() order by all"
        ).fetchall():
            if (schema, table) == ("main", "publication"):
                continue
            cols = con.execute(
                "select column_name, data_type, comment from duckdb_columns() "
                "where schema_name = ? and table_name = ? order by column_index",
                [schema, table],
            ).fetchall()
            rows = con.execute(f'select * from "{schema}"."{table}" order by all').fetchall()
            out[f"{schema}.{table}"] = (cols, rows)
        return out
    finally:
        con.close()


def _publish_three(warehouse: Path, target: Path) -> None:
    """The first publication is full, the next two bring a copy of the current one up to date;
    the third leaves the first as the spare."""
    pubs = [publish(warehouse, target) for _ in range(3)]
    assert [p.mode for p in pubs] == ["full", "incremental", "incremental"]
    assert pubs[1].reason == "the copy of the current publication brought up to date"
    assert (target.parent / "analytics.versions" / "spare.duckdb").exists()


def test_incremental_publication_equals_a_full_one(warehouse, tmp_path):
    target = tmp_path / "inc" / "analytics.duckdb"
    _publish_three(warehouse, target)
    before = exports_folder(target).resolve()
    _sql(warehouse, *CHANGES)

    inc = publish(warehouse, target)
    full = publish(warehouse, tmp_path / "full" / "analytics.duckdb", full=True)

    assert inc.mode == "incremental" and full.mode == "full"
    assert inc.rewritten == {
        "marts.fct_loan_balance": "parts",
        "quality.check_runs": "create",  # it held no run: more than half of it is new
        "quality.check_results": "parts",
        "marts.dim_organization": "create",
        "marts.dim_program": "drop",
        "marts.new_mart": "create",
    }
    # only the month that changed was written, not the table
    march = _scalar(
        warehouse,
        "select count(*) from marts.fct_loan_balance where as_of_date = date '2022-03-31'",
    )
    assert _scalar(warehouse, "select count(*) from marts.fct_loan_balance") > march
    assert inc.rows_written < full.rows_written / 2
    assert _contents(inc.path) == _contents(full.path)
    # the exports: the same content, unchanged tables hard-linked from the last publication
    now = exports_folder(target).resolve()
    # (of fct_loan_balance, only the month-end that changed)
    changed = {
        f"{fmt}/{name}.{fmt}"
        for fmt in ("parquet", "csv")
        for name in ("fct_loan_balance/2022-03-31", "dim_organization", "new_mart")
    }
    for fmt in ("parquet", "csv"):
        names = sorted(_relative_files(now, fmt))
        assert names == sorted(_relative_files(exports_folder(full.path), fmt))
        assert len([n for n in names if n.startswith(f"{fmt}/fct_loan_balance/")]) > 1
        for name in names:
            old = before / name
            same = old.exists() and (now / name).stat().st_ino == old.stat().st_ino
            assert same != (name in changed), name
    assert sorted(inc.exports.written) == sorted(changed)
    for name in ("fct_loan_balance/2022-03-31", "dim_organization"):
        assert _same_rows(
            now / "parquet" / f"{name}.parquet",
            exports_folder(full.path) / "parquet" / f"{name}.parquet",
        )
    # and the old clients still read the updated file: its storage format did not move
    assert _format_number(inc.path) == 64


def _relative_files(folder: Path, fmt: str) -> list[str]:
    return [str(p.relative_to(folder)) for p in (folder / fmt).rglob("*") if p.is_file()]


def _scalar(db: Path, sql: str):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


def _same_rows(a: Path, b: Path) -> bool:
    con = duckdb.connect()
    try:
        return con.execute(
            f"select (select count(*) from (select * from '{a}' except all select * from '{b}'))"
            f" + (select count(*) from (select * from '{b}' except all select * from '{a}'))"
        ).fetchone() == (0,)
    finally:
        con.close()


def test_an_unchanged_warehouse_writes_nothing(warehouse, tmp_path):
    target = tmp_path / "analytics.duckdb"
    _publish_three(warehouse, target)
    pub = publish(warehouse, target)
    assert (pub.mode, pub.rewritten, pub.rows_written, pub.exports.written) == (
        "incremental",
        {},
        0,
        [],
    )


def test_a_night_that_changes_one_month_of_one_table_writes_only_that(warehouse, tmp_path):
    """Whatever the file brought up to date (a copy of the current publication while there is no
    spare, then the spare), a night that changes one month-end of one fact rewrites that
    month's rows and its two export files, and nothing of the other tables or months."""
    target = tmp_path / "analytics.duckdb"
    first = publish(warehouse, target)
    first_file = _digest(first.path)
    february = _scalar(
        warehouse,
        "select count(*) from marts.fct_loan_balance where as_of_date = date '2022-02-28'",
    )
    assert 0 < february < _scalar(warehouse, "select count(*) from marts.fct_loan_balance") / 2
    bases = []
    for night in range(4):
        _sql(
            warehouse,
            f"update marts.fct_loan_balance set outstanding_vnd = outstanding_vnd + {night + 1} "
            "where as_of_date = date '2022-02-28' and loan_code = "
            "(select min(loan_code) from marts.fct_loan_balance)",
        )
        pub = publish(warehouse, target)
        bases.append(pub.reason)
        assert pub.mode == "incremental"
        assert pub.rewritten == {"marts.fct_loan_balance": "parts"}
        assert (pub.parts_written, pub.rows_written) == (1, february)
        assert sorted(pub.exports.written) == [
            "csv/fct_loan_balance/2022-02-28.csv",
            "parquet/fct_loan_balance/2022-02-28.parquet",
        ]
        if night == 0:  # the copy was taken from the first publication, left as it was
            assert _digest(previous_path(target)) == first_file
    assert bases == [
        "the copy of the current publication brought up to date",
        "the copy of the current publication brought up to date",
        "the spare file brought up to date",
        "the spare file brought up to date",
    ]
    assert _contents(target) == _contents(
        publish(warehouse, tmp_path / "full" / "analytics.duckdb", full=True).path
    )


def test_a_reader_holding_an_old_publication_is_never_written_to(warehouse, tmp_path):
    """The spare is the publication before the previous one: an analyst who opened it then
    and still holds it keeps reading it, and the publication starts from a copy of the current
    publication instead."""
    target = tmp_path / "analytics.duckdb"
    publish(warehouse, target)
    modes = []

    def three_publications():
        for i in range(3):
            _sql(
                warehouse,
                f"update marts.mart_briefing_kpis set entrusted_outstanding_vnd = "
                f"entrusted_outstanding_vnd + {i + 1}",
            )
            pub = publish(warehouse, target)
            modes.append((pub.mode, pub.reason))

    before, lines = _while_an_analyst_reads(target, three_publications)
    assert lines["after"] == before[1] and lines["marker"] == "1"
    # the third publication after the analyst's would have updated their file in place: it
    # brings a copy of the current publication up to date instead
    assert modes[2] == (
        "incremental",
        "the copy of the current publication brought up to date "
        "(the spare file is open in another process)",
    )
    # once the analyst is gone, the spare is used again
    _sql(warehouse, "update marts.dim_unit set office_name = office_name || ' '")
    assert publish(warehouse, target).reason == "the spare file brought up to date"
    assert _leftovers(tmp_path) == []


KILL_MID_PUBLICATION = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    import pipelines.publish as pub
    real_apply = pub.parts.apply
    def apply(con, source, alias, changes):
        real_apply(con, source, alias, changes[:1])   # the first change written, then killed
        os.kill(os.getpid(), signal.SIGKILL)
    pub.parts.apply = apply
    pub.publish(Path(sys.argv[1]), Path(sys.argv[2]))
    """
)


def _files(folder: Path) -> list[tuple[str, int]]:
    return sorted(
        (name, (folder / name).stat().st_ino)
        for fmt in ("parquet", "csv")
        for name in _relative_files(folder, fmt)
    )


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_publication_killed_midway_leaves_the_last_two_intact(warehouse, tmp_path):
    target = tmp_path / "analytics.duckdb"
    _publish_three(warehouse, target)
    _sql(warehouse, *CHANGES)
    state = {p: (_digest(p), os.path.realpath(p)) for p in (target, previous_path(target))}
    exports = _files(exports_folder(target))

    proc = subprocess.run(
        [sys.executable, "-c", KILL_MID_PUBLICATION, str(warehouse), str(target)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-3000:]
    assert _leftovers(tmp_path)  # the killed publication's folder, with the spare in it
    assert {p: (_digest(p), os.path.realpath(p)) for p in state} == state
    assert _files(exports_folder(target)) == exports

    # the next publication cleans up and ends where an uninterrupted one would
    pub = publish(warehouse, target)
    assert _leftovers(tmp_path) == []
    assert _contents(pub.path) == _contents(
        publish(warehouse, tmp_path / "full" / "analytics.duckdb", full=True).path
    )
    assert _digest(previous_path(target)) == state[target][0]
