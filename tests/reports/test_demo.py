"""The whole small pipeline by hand on the calibrated demo (scale 0.01): generate → ingest →
dbt build → checks → reports → publish. The briefing's figures (HTML and XLSX) are compared
with the generator's ``_truth.json`` and the page is rendered in Chromium."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from readback import parse_briefing, read_sheet

from tests.dbt_build import dbt_build

generate_module = pytest.importorskip(
    "pipelines.generate", reason="the demo generator (pipelines.generate) is not in this tree"
)

pytestmark = [pytest.mark.xdist_group("reports-demo"), pytest.mark.slow]

AS_OF = date(2022, 3, 31)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> dict:
    from pipelines.ingest import ingest
    from pipelines.publish import publish
    from pipelines.quality import run_checks
    from pipelines.reports import build_reports

    work = tmp_path_factory.mktemp("reports-demo")
    raw, warehouse = work / "raw", work / "warehouse.duckdb"
    generate_module.generate(raw, scale=0.01, fmt="parquet")
    ingest(raw, warehouse)
    proc = dbt_build(warehouse, work)
    assert proc.returncode == 0, proc.stdout[-5000:]
    run_checks(warehouse)
    files = {p.name: p for p in build_reports(warehouse, work / "reports", as_of=AS_OF)}
    truth = json.loads((raw / "_truth.json").read_text(encoding="utf-8"))["as_of"][str(AS_OF)]
    return {
        "truth": truth,
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


def test_demo_page_renders_cleanly(demo, tmp_path):
    from browser import chromium_path, load_page

    from tests.tools import require

    require("Chromium", chromium_path(), "apt-get install -y chromium (.ci/run installs it)")
    result = load_page(demo["briefing.html"].as_uri(), tmp_path / "demo.png")
    assert result.errors == []
    assert (tmp_path / "demo.png").stat().st_size > 50_000
