"""Publishing analytics.duckdb: only marts/recon/quality, no personal data, swapped in
atomically under an analyst's open read-only connection, previous file kept."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import duckdb
import pytest
from fixture_warehouse import PERSONAL_VALUES

from pipelines.publish import PERSONAL_COLUMN, PublishError, previous_path, publish

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


def test_publishes_only_marts_recon_quality(fixture_warehouse, tmp_path):
    target = publish(fixture_warehouse, tmp_path / "analytics.duckdb")
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
    target = publish(fixture_warehouse, tmp_path / "analytics.duckdb")
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


def test_refuses_a_mart_with_a_personal_data_column(fixture_warehouse, tmp_path):
    wh = tmp_path / "leaky.duckdb"
    wh.write_bytes(fixture_warehouse.read_bytes())
    con = duckdb.connect(str(wh))
    con.execute("create table marts.oops as select customer_code, customer_name from raw.m31")
    con.close()
    target = tmp_path / "analytics.duckdb"
    with pytest.raises(PublishError, match="customer_name"):
        publish(wh, target)
    assert not target.exists()
    assert list(tmp_path.glob("analytics.duckdb.tmp-*")) == []  # nothing left behind


def test_open_reader_survives_a_new_publication(fixture_warehouse, tmp_path):
    target = tmp_path / "analytics.duckdb"
    publish(fixture_warehouse, target)
    # A marker only the old file has: the analyst must keep seeing the file they opened.
    con = duckdb.connect(str(target))
    con.execute("create table marts.analyst_marker as select 1 as x")
    con.close()
    old_inode = target.stat().st_ino

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
        # the pipeline publishes again while the analyst holds the read-only connection
        publish(fixture_warehouse, target)
        analyst.stdin.write("\n")
        analyst.stdin.flush()
        out, err = analyst.communicate(timeout=60)
    finally:
        if analyst.poll() is None:
            analyst.kill()
    assert analyst.returncode == 0, err
    lines = dict(line.split() for line in out.splitlines())
    assert lines["after"] == before[1]
    assert lines["marker"] == "1"  # still the old file
    assert target.stat().st_ino != old_inode  # a new file was swapped in
    new = _tables(target)
    assert ("marts", "analyst_marker") not in new and ("marts", "mart_briefing_kpis") in new
    # the replaced file is kept for restore, marker included
    assert ("marts", "analyst_marker") in _tables(previous_path(target))
    assert list(tmp_path.glob("*.tmp-*")) == []


def test_publish_needs_marts(tmp_path):
    wh = tmp_path / "empty.duckdb"
    duckdb.connect(str(wh)).close()
    with pytest.raises(PublishError, match="no marts"):
        publish(wh, tmp_path / "analytics.duckdb")
