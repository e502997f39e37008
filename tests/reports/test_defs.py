"""The Dagster wrappers materialise the report and the published database."""

from __future__ import annotations

import pytest
from dagster import AssetKey, materialize

from pipelines.defs.reports import REPORT_ASSETS, REPORT_DEPS, analytics_db, briefing_report
from pipelines.defs.resources import NhcsPaths

pytestmark = pytest.mark.xdist_group("reports")


def test_assets_depend_on_the_gated_marts():
    deps = set(briefing_report.asset_deps[briefing_report.key])
    assert AssetKey(["marts", "mart_briefing_kpis"]) in deps
    assert set(REPORT_DEPS) <= deps
    assert briefing_report.key in analytics_db.asset_deps[analytics_db.key]


def test_materialize_report_and_publish(fixture_warehouse, tmp_path):
    wh = tmp_path / "warehouse.duckdb"
    wh.write_bytes(fixture_warehouse.read_bytes())
    paths = NhcsPaths(
        raw_dir=str(tmp_path / "raw"), warehouse=str(wh), reports_dir=str(tmp_path / "reports")
    )
    result = materialize(REPORT_ASSETS, resources={"paths": paths})
    assert result.success
    assert (tmp_path / "reports/2022-03-31/briefing.html").exists()
    assert (tmp_path / "analytics.duckdb").exists()
    md = result.asset_materializations_for_node("briefing_report")[0].metadata
    assert md["as_of_date"].value == "2022-03-31"
    assert md["headline"].value["F1 Tổng dư nợ ủy thác qua các TCCTXH"] == "11.637 tỷ đồng"
    # the publication reports its tables' row counts as a markdown table, not only a size
    pub = result.asset_materializations_for_node("analytics_db")[0].metadata
    table = pub["tables"].value.splitlines()
    assert table[0] == "| table | rows | this publication |"
    assert "| marts.mart_briefing_kpis | 4 | rewritten |" in table
    assert pub["mode"].value.startswith("full")
