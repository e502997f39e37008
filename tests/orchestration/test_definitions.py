"""What the Dagster definitions declare for the UI: owners, the `pii` tag, freshness policies,
and nothing superseded or deprecated at load."""

from __future__ import annotations

import subprocess
import sys

from dagster import AssetKey

from pipelines.contract.reports import REPORTS


def _specs(dbt_manifest):
    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    return {key: graph.get(key) for key in graph.get_all_asset_keys()}


def test_every_asset_has_an_owner(dbt_manifest):
    nodes = _specs(dbt_manifest)
    assert len(nodes) > 50
    assert {k.to_user_string(): n.owners for k, n in nodes.items() if not n.owners} == {}


def test_raw_assets_say_whether_they_hold_personal_data(dbt_manifest):
    nodes = _specs(dbt_manifest)
    for spec in REPORTS:
        node = nodes[AssetKey(["raw", spec.table])]
        assert node.tags["pii"] == ("true" if spec.personal_keys else "false"), spec.table
        assert node.metadata["personal_columns"] == list(spec.personal_keys)
    assert nodes[AssetKey(["raw", "m31"])].tags["pii"] == "true"
    assert nodes[AssetKey(["raw", "skgd"])].tags["pii"] == "false"


def test_freshness_policies_on_raw_marts_and_reports(dbt_manifest):
    nodes = _specs(dbt_manifest)
    fresh = {k for k, n in nodes.items() if n.freshness_policy is not None}
    expected = {k for k in nodes if k.path[0] in ("raw", "marts")} | {
        AssetKey(["briefing_report"]),
        AssetKey(["analytics_db"]),
    }
    assert fresh == expected
    policy = nodes[AssetKey(["marts", "mart_briefing_kpis"])].freshness_policy
    assert policy.deadline_cron == "0 7 * * *" and policy.timezone == "Asia/Ho_Chi_Minh"


def test_definitions_load_without_superseded_or_deprecated_calls(dbt_manifest):
    """No SupersessionWarning (the old freshness checks) nor deprecation from our own code."""
    code = (
        "import warnings\n"
        "warnings.simplefilter('always')\n"
        "from pipelines.definitions import defs\n"
        "defs.resolve_asset_graph(); defs.resolve_job_def('nhcs_ingest')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "SupersessionWarning" not in proc.stderr
    ours = [
        line for line in proc.stderr.splitlines() if "/pipelines/" in line and "Warning" in line
    ]
    assert ours == []
