"""End to end on the real dbt models: the mini branch of tests/dbt (hand-specified raw layer
with its independent oracle ``truth()``) → ``dbt build`` → the quality checks → reports and
publication. The briefing's figures are compared with the oracle and the marts; the analyst
guide's SQL examples are executed on the published file."""

from __future__ import annotations

import importlib.util
import re
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from analyst_clients import cli, cli_version, python_client
from readback import parse_briefing, read_sheet

from pipelines.publish import PERSONAL_COLUMN, publish
from pipelines.reports import build_reports, labels
from pipelines.reports.data import listed_columns
from pipelines.settings import PROJECT_ROOT
from tests.dbt_build import dbt_build

pytestmark = [pytest.mark.xdist_group("reports-e2e"), pytest.mark.slow]

GUIDE = PROJECT_ROOT / "README.md"
AS_OF = date(2022, 3, 31)


def _mini_branch():
    """tests/dbt/fixtures.py, loaded by path (it is the dbt tests' module, not a package)."""
    spec = importlib.util.spec_from_file_location(
        "dbt_mini_branch", PROJECT_ROOT / "tests" / "dbt" / "fixtures.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def mini():
    return _mini_branch()


@pytest.fixture(scope="module")
def built(tmp_path_factory, mini) -> dict[str, Path]:
    work = tmp_path_factory.mktemp("reports-e2e")
    warehouse = work / "warehouse.duckdb"
    mini.build_raw(warehouse)
    proc = dbt_build(warehouse, work)
    assert proc.returncode == 0, proc.stdout[-5000:]
    from pipelines.quality import run_checks

    run_checks(warehouse)
    reports = {p.name: p for p in build_reports(warehouse, work / "reports")}
    analytics = publish(warehouse, work / "analytics.duckdb").path
    return {"warehouse": warehouse, "analytics": analytics, **reports}


def test_briefing_figures_match_the_oracle_and_the_mart(built, mini):
    truth = mini.truth(AS_OF)
    page = parse_briefing(built["briefing.html"])
    values = {f["field"]: Decimal(f["value"]) for f in page.figures.values() if f["value"]}
    for field in (
        "entrusted_outstanding_vnd",
        "direct_outstanding_vnd",
        "households_with_entrusted_outstanding",
        "groups_with_outstanding",
        "reconciliation_in_scope",
        "reconciled_customers",
    ):
        assert values[field] == truth[field], field
    for field in ("loan_turns", "poor_group_turns", "job_creation_turns", "workers_attracted"):
        assert values[f"{field}_qtd"] == truth["qtd"][field], field
    assert values["water_sanitation_works_qtd"] == truth["qtd"]["water_sanitation_works"]
    con = duckdb.connect(str(built["warehouse"]), read_only=True)
    kpi = con.execute(
        "select entrusted_share, reconciliation_completion from marts.mart_briefing_kpis "
        "where as_of_date = ?",
        [AS_OF],
    ).fetchone()
    con.close()
    assert values["entrusted_share"] == Decimal(str(kpi[0]))
    assert values["reconciliation_completion"] == Decimal(str(kpi[1]))
    # the XLSX carries the same figures
    head = read_sheet(built["briefing.xlsx"], "Chỉ tiêu")
    xl = dict(
        zip(
            head["Cột trong marts.mart_briefing_kpis"],
            head["Giá trị (đồng, khách hàng, tỷ lệ)"],
            strict=True,
        )
    )
    assert xl["entrusted_outstanding_vnd"] == truth["entrusted_outstanding_vnd"]
    assert (
        xl["households_with_entrusted_outstanding"]
        == truth["households_with_entrusted_outstanding"]
    )


def test_quality_section_reports_the_real_check_run(built):
    html = built["briefing.html"].read_text(encoding="utf-8")
    assert "Chưa chạy" not in html
    con = duckdb.connect(str(built["warehouse"]), read_only=True)
    # the quality runner's own tally of its latest run
    checks, failed = con.execute(
        "select checks, checks_failed from quality.check_runs order by checked_at desc limit 1"
    ).fetchone()
    con.close()
    assert checks > 0
    assert f"Lần kiểm tra gần nhất đã chạy {checks} kiểm tra, {failed} không đạt." in html


def test_exceptions_hold_the_discrepancy_and_the_org_difference(built):
    disc = read_sheet(built["exceptions.xlsx"], "Đối chiếu chênh lệch")
    assert disc["Mã khách hàng"].to_list() == ["0101000002"]  # the mini branch's Chênh lệch
    hoi = read_sheet(built["exceptions.xlsx"], "Hội vs Ngân hàng")
    assert set(hoi["Mã ĐVUT"]) == {"13"}  # org 13 reports one household more
    assert set(hoi["Nội dung kiểm tra"]) == {"Hộ còn dư nợ"}


def test_every_recon_column_and_code_has_vietnamese_words(built):
    """exceptions.xlsx shows the recon models' columns and codes in Vietnamese: a column or
    a check item the recon models gain without a label here fails (pipelines/reports/labels.py)."""
    con = duckdb.connect(str(built["warehouse"]), read_only=True)
    try:
        models = [
            t
            for (t,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'recon'"
            ).fetchall()
        ]
        assert set(models) == set(labels.RECON_LISTS)
        for model in models:
            cols = listed_columns(
                [
                    c
                    for (c,) in con.execute(
                        "select column_name from information_schema.columns "
                        "where table_schema = 'recon' and table_name = ?",
                        [model],
                    ).fetchall()
                ]
            )
            assert [c for c in cols if c not in labels.HEADERS] == [], model
            for column, words in labels.VALUES.items():
                if column in cols:
                    values = {
                        v
                        for (v,) in con.execute(
                            f"select distinct {column} from recon.{model}"
                        ).fetchall()
                    }
                    assert values - {None} <= set(words), (model, column)
    finally:
        con.close()


def _sql_examples() -> list[str]:
    return re.findall(r"```sql\n(.*?)```", GUIDE.read_text(encoding="utf-8"), flags=re.S)


def test_guide_has_seven_examples_or_more():
    assert len(_sql_examples()) >= 7


def test_history_example_gives_every_quarter_end_with_its_changes(built):
    """The guide's history question (outstanding by organization, quarter by quarter): every
    quarter end of the mini branch (31/12/2021, 31/03/2022) for every organization, and each
    change since the previous quarter is the difference of two consecutive rows."""
    (sql,) = [q for q in _sql_examples() if "is_quarter_end" in q and "mart_org_summary" in q]
    con = duckdb.connect(str(built["analytics"]), read_only=True)
    try:
        cur = con.execute(sql)
        names = [c[0] for c in cur.description]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()
    dates = sorted({r["as_of_date"] for r in rows})
    assert dates == [date(2021, 12, 31), AS_OF]
    for org in {r["org_code"] for r in rows}:
        before, now = [r for r in rows if r["org_code"] == org]
        assert now["change_since_previous_quarter_ty_dong"] == pytest.approx(
            now["outstanding_ty_dong"] - before["outstanding_ty_dong"]
        ), org
        assert before["change_since_previous_quarter_ty_dong"] is None


@pytest.mark.parametrize("index", range(len(_sql_examples())))
def test_analyst_guide_example_runs_on_the_published_database(built, index):
    sql = _sql_examples()[index]
    con = duckdb.connect(str(built["analytics"]), read_only=True)
    try:
        rows = con.execute(sql).fetchall()
    finally:
        con.close()
    # every example answers something on the mini branch, except "groups below Khá with
    # overdue", which the mini branch may legitimately not have
    if "rating in ('Trung bình', 'Yếu')" not in sql:
        assert rows, f"example {index + 1} returned no row"


def test_published_database_has_no_personal_data(built, mini):
    con = duckdb.connect(str(built["analytics"]), read_only=True)
    cols = con.execute(
        "select table_schema, table_name, column_name, data_type from information_schema.columns"
    ).fetchall()
    assert {c[0] for c in cols} <= {"main", "marts", "recon", "quality"}
    assert [c for c in cols if PERSONAL_COLUMN.search(c[2])] == []
    src = duckdb.connect(str(built["warehouse"]), read_only=True)
    personal = {
        v
        for (v,) in src.execute(
            "select customer_name from raw.m31 union select national_id from raw.m31 "
            "union select phone from raw.m31 union select group_name from raw.m31 "
            "union select leader_name from raw.bc0437 union select officer from raw.doichieu"
        ).fetchall()
        if v
    }
    src.close()
    assert personal
    for schema, table, column, dtype in cols:
        if dtype == "VARCHAR":
            n = con.execute(
                f'select count(*) from "{schema}"."{table}" where "{column}" in '
                f"(select unnest(?::varchar[]))",
                [sorted(personal)],
            ).fetchone()[0]
            assert n == 0, (schema, table, column)
    con.close()


def test_real_briefing_renders_in_chromium(require_chromium, built, tmp_path):
    from browser import load_page

    result = load_page(built["briefing.html"].as_uri(), tmp_path / "mini.png")
    assert result.errors == []
    assert result.requests == [built["briefing.html"].as_uri()]


# --- the published file for analysts' own tools ----------------------------------------------


def _rows_here(db: Path, queries: list[str]) -> list[int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return [len(con.execute(q).fetchall()) for q in queries]
    finally:
        con.close()


def test_guide_examples_run_in_duckdb_1_4(built):
    """The Python package of DuckDB's long-term line (1.4) opens the file and answers every
    example of the guide as the project's DuckDB does."""
    queries = _sql_examples()
    out = python_client(built["analytics"], queries)
    assert out["version"].startswith("1.4.")
    assert out["rows"] == _rows_here(built["analytics"], queries)


def test_guide_examples_run_in_the_duckdb_cli_package(built):
    """`pip install duckdb-cli` (1.5.6, the newest published): `duckdb -readonly` runs every
    example of the guide on the file."""
    import json

    assert cli_version() == "v1.5.6"
    queries = _sql_examples()
    rows = []
    for sql in queries:
        proc = cli(built["analytics"], sql)
        assert proc.returncode == 0 and not proc.stderr, proc.stderr
        rows.append(len(json.loads(proc.stdout)) if proc.stdout.strip() else 0)
    assert rows == _rows_here(built["analytics"], queries)


def test_every_published_column_is_described(built):
    """The dbt docs reach the published file as comments (the data dictionary), the catalog
    lists every column, and every numeric column has a unit."""
    proc = cli(
        built["analytics"],
        "select count(*) as n, count(comment) as described from duckdb_columns() "
        "where not internal",
    )
    import json

    (counts,) = json.loads(proc.stdout)
    assert counts["n"] > 300 and counts["described"] == counts["n"]
    con = duckdb.connect(str(built["analytics"]), read_only=True)
    try:
        undescribed_tables = con.execute(
            "select schema_name, table_name from duckdb_tables() where comment is null"
        ).fetchall()
        assert undescribed_tables == []
        missing_units = con.execute(
            "select table_schema, table_name, column_name from catalog "
            "where unit is null and column_name not in ('identity_no', 'column_position') "
            "and (data_type like 'DECIMAL%' "
            "or data_type in ('BIGINT', 'INTEGER', 'HUGEINT', 'DOUBLE', 'FLOAT'))"
        ).fetchall()
        # identity_no and column_position are identifiers, not quantities
        assert missing_units == [], "add them to dbt_project/seeds/dictionary/column_units.csv"
        assert con.execute("select count(*) from catalog").fetchone()[0] == counts["n"]
    finally:
        con.close()
