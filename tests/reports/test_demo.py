"""The whole small pipeline by hand on the calibrated demo (scale 0.01): generate → ingest →
dbt build (shared, tests/shared_builds.py) → checks → reports → publish. The briefing's figures (HTML and XLSX) are compared
with the generator's ``_truth.json`` and the page is rendered in Chromium."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import duckdb
import pytest
from readback import narrative, parse_briefing, read_sheet

from pipelines.contract.codes import ORG_BY_CODE
from pipelines.reports.fmt import fmt_amount, fmt_int, fmt_signed
from tests.shared_builds import built_demo, copy_of

pytestmark = [pytest.mark.xdist_group("reports-demo"), pytest.mark.slow]

AS_OF = date(2022, 3, 31)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> dict:
    from pipelines.publish import publish
    from pipelines.quality import run_checks
    from pipelines.reports import build_reports

    work = tmp_path_factory.mktemp("reports-demo")
    built = built_demo(tmp_path_factory, "demo")
    warehouse = copy_of(built.warehouse, work)
    run_checks(warehouse)
    files = {p.name: p for p in build_reports(warehouse, work / "reports", as_of=AS_OF)}
    truth = built.truth["as_of"][str(AS_OF)]
    return {
        "truth": truth,
        "opening": built.truth["as_of"]["2021-12-31"],
        "warehouse": warehouse,
        "analytics": publish(warehouse, work / "analytics.duckdb").path,
        **files,
    }


def test_briefing_reports_the_generators_truth(demo):
    t = demo["truth"]
    page = parse_briefing(demo["briefing.html"])
    v = {f["field"]: Decimal(f["value"]) for f in page.figures.values() if f["value"]}
    assert v["entrusted_outstanding_vnd"] == t["entrusted_outstanding_vnd"]
    assert v["direct_outstanding_vnd"] == t["direct_outstanding_vnd"]
    assert v["households_with_entrusted_outstanding"] == t["households_entrusted"]
    assert v["groups_with_outstanding"] == t["groups_with_outstanding"]
    assert round(v["entrusted_share"], 6) == Decimal(str(t["entrusted_share"]))
    for key, value in t["period_lending"]["qtd"].items():
        assert v[f"{key}_qtd"] == value, key
    assert v["reconciliation_in_scope"] == t["reconciliation"]["in_scope"]
    assert v["reconciled_customers"] == t["reconciliation"]["reconciled"]
    head = read_sheet(demo["briefing.xlsx"], "Chỉ tiêu")
    xl = dict(
        zip(
            head["Cột trong marts.mart_briefing_kpis"],
            head["Giá trị (đồng, khách hàng, tỷ lệ)"],
            strict=True,
        )
    )
    assert xl["entrusted_outstanding_vnd"] == t["entrusted_outstanding_vnd"]
    assert xl["reconciled_customers"] == t["reconciliation"]["reconciled"]


def test_org_rows_match_the_truth(demo):
    t = demo["truth"]
    rows = {
        r["org_code"]: r for r in parse_briefing(demo["briefing.html"]).tables["by-org"]["tbody"]
    }
    for code, org in t["orgs"].items():
        assert rows[code]["households"].replace(".", "") == str(org["households"]), code
        assert rows[code]["groups"].replace(".", "") == str(org["groups"]), code


def test_demo_page_renders_cleanly(require_chromium, demo, tmp_path):
    from browser import load_page

    result = load_page(demo["briefing.html"].as_uri(), tmp_path / "demo.png")
    assert result.errors == []
    assert (tmp_path / "demo.png").stat().st_size > 50_000


def test_org_changes_since_year_start_match_the_truth(demo):
    """Issue 25: every organization's change since 31/12/2021 (the generator's truth at both
    dates) is the mart's and the briefing's; the narrative's verbs follow their signs."""
    now, opening = demo["truth"]["orgs"], demo["opening"]["orgs"]
    truth = {c: now[c]["outstanding_vnd"] - opening[c]["outstanding_vnd"] for c in now}
    con = duckdb.connect(str(demo["analytics"]), read_only=True)
    mart = dict(
        con.execute(
            "select org_code, outstanding_change_ytd_vnd from marts.mart_org_summary "
            "where as_of_date = ? and is_entrusted",
            [AS_OF],
        ).fetchall()
    )
    con.close()
    assert mart == truth
    rows = {
        r["org_code"]: r for r in parse_briefing(demo["briefing.html"]).tables["by-org"]["tbody"]
    }
    for code, change in truth.items():
        assert rows[code]["change"] == fmt_signed(change / 10**9, 1), code
    text = narrative(demo["briefing.html"])
    if all(c > 0 for c in truth.values()):
        assert "Dư nợ ủy thác qua các TCCTXH đều tăng so với đầu năm" in text
    else:
        assert "đều tăng" not in text
    for code, change in truth.items():
        assert f"{ORG_BY_CODE[code].name} ({fmt_amount(change, signed=True)})" in text, code


def test_deliveries_mart_lists_every_file_loaded(demo):
    """mart_deliveries is built from the raw rows' lineage (it must work on the Spark lake,
    which has no load log): it lists exactly the files of ingestion's load log that loaded
    rows, so no raw table is missing from its list."""
    con = duckdb.connect(str(demo["warehouse"]), read_only=True)
    try:
        loads = set(
            con.execute(
                "select source_file, revision, rows from raw._loads where rows > 0"
            ).fetchall()
        )
        mart = set(
            con.execute(
                "select source_file, revision, rows_loaded from marts.mart_deliveries"
            ).fetchall()
        )
        summary = con.execute(
            "select files, latest_revision from marts.mart_delivery_summary where as_of_date = ?",
            [AS_OF],
        ).fetchone()
    finally:
        con.close()
    assert loads and mart == loads
    assert summary == (len(loads), max(r for _, r, _ in loads))
    page = parse_briefing(demo["briefing.html"])
    assert page.ids["deliveries"].startswith(f"{fmt_int(len(loads))} tệp dữ liệu đã nạp")
