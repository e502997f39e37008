"""The asset checks in Dagster, in process: a blocking failure stops the report and publish
assets downstream of the guarded marts; findings do not. The dbt project is stood in for by an
asset that writes hand-made recon tables under the same asset keys (dbt's own tests are
covered by test_dbt_severities)."""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster import (
    AssetCheckSeverity,
    AssetKey,
    AssetSpec,
    DagsterInstance,
    MaterializeResult,
    asset,
    materialize,
    multi_asset,
)

from pipelines.defs.checks import (
    GATE_CHECK,
    GUARDED_ASSETS,
    QUALITY_CHECKS,
    build_quality_checks,
    recon_asset_key,
)
from pipelines.defs.resources import NhcsPaths
from pipelines.quality.identities import IDENTITIES

from .recon_tables import clean_recon, set_row, write_recon

BRIEFING = AssetKey(["marts", "mart_briefing_kpis"])


def _run(tmp_path: Path, tables):
    warehouse = tmp_path / "wh.duckdb"
    keys = [recon_asset_key(i.model) for i in IDENTITIES] + list(GUARDED_ASSETS)

    @multi_asset(specs=[AssetSpec(k) for k in keys], name="stand_in_dbt")
    def stand_in_dbt(paths: NhcsPaths):
        write_recon(Path(paths.warehouse), tables)
        for k in keys:
            yield MaterializeResult(asset_key=k)

    @asset(key=["reports", "briefing"], deps=[BRIEFING])
    def report():
        return None

    @asset(key=["reports", "publish"], deps=[report])
    def publish():
        return None

    result = materialize(
        [stand_in_dbt, report, publish, build_quality_checks()],
        resources={
            "paths": NhcsPaths(
                raw_dir=str(tmp_path), warehouse=str(warehouse), reports_dir=str(tmp_path)
            )
        },
        instance=DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    materialized = {
        e.asset_key for e in result.all_events if e.event_type_value == "ASSET_MATERIALIZATION"
    }
    evaluations = {
        (e.event_specific_data.asset_key, e.event_specific_data.check_name): e.event_specific_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }
    return result, materialized, evaluations


def test_blocking_failure_stops_report_and_publish(tmp_path):
    tables = clean_recon()
    df = tables["recon_group_register"]
    tables["recon_group_register"] = set_row(df, df.index == 0, actual=1, is_break=True)
    result, materialized, evaluations = _run(tmp_path, tables)

    assert not result.success
    assert AssetKey(["reports", "briefing"]) not in materialized
    assert AssetKey(["reports", "publish"]) not in materialized
    failed = evaluations[(recon_asset_key("recon_group_register"), "group_register")]
    assert not failed.passed and failed.severity == AssetCheckSeverity.ERROR
    assert failed.metadata["items_failed"].value == 1
    assert "0101001" in failed.metadata["failing_rows"].value
    for key in GUARDED_ASSETS:
        gate = evaluations[(key, GATE_CHECK)]
        assert not gate.passed and "group_register" in gate.description
    # every other identity still reported, and passed
    others = [
        e for (k, name), e in evaluations.items() if name not in (GATE_CHECK, "group_register")
    ]
    assert others and all(e.passed for e in others)
    step_failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert [e.step_key for e in step_failures] == ["reconciliation_checks"]


def test_findings_do_not_block(tmp_path):
    tables = clean_recon()
    df = tables["recon_org_reports"]
    df.loc[0, ["actual", "difference", "is_finding"]] = [100_020_000, 20_000, True]
    result, materialized, evaluations = _run(tmp_path, tables)

    assert result.success
    assert AssetKey(["reports", "publish"]) in materialized
    finding = evaluations[(recon_asset_key("recon_org_reports"), "org_reports")]
    assert not finding.passed and finding.severity == AssetCheckSeverity.WARN
    assert evaluations[(BRIEFING, GATE_CHECK)].passed


def test_clean_run_passes_every_check(tmp_path):
    result, materialized, evaluations = _run(tmp_path, clean_recon())
    assert result.success and AssetKey(["reports", "publish"]) in materialized
    assert len(evaluations) == sum(len(i.checks) for i in IDENTITIES) + len(GUARDED_ASSETS)
    assert all(e.passed for e in evaluations.values())
    assert all(
        e.metadata["items_checked"].value > 0
        for (_, name), e in evaluations.items()
        if name != GATE_CHECK
    )


def test_missing_recon_table_blocks(tmp_path):
    tables = clean_recon()
    del tables["recon_control_totals"]
    result, materialized, evaluations = _run(tmp_path, tables)
    assert not result.success
    assert AssetKey(["reports", "briefing"]) not in materialized
    check = evaluations[(recon_asset_key("recon_control_totals"), "control_totals")]
    assert not check.passed and check.metadata["status"].value == "error"


@pytest.mark.xdist_group("dbt-manifest")
def test_checks_resolve_against_the_dbt_project(dbt_manifest):
    """Every check targets an asset the dbt project defines (names in sync with the models),
    and dbt's own tests are asset checks whose blocking flag follows their severity."""
    import json

    from dagster import Definitions

    from pipelines.defs.dbt import build_dbt_assets
    from pipelines.defs.resources import dbt_resource

    dbt_assets = build_dbt_assets()
    defs = Definitions(
        assets=[dbt_assets],
        asset_checks=QUALITY_CHECKS,
        resources={"paths": NhcsPaths.from_settings(), "dbt": dbt_resource()},
    )
    graph = defs.resolve_asset_graph()
    for spec in QUALITY_CHECKS[0].check_specs:
        assert spec.asset_key in graph.get_all_asset_keys(), spec.asset_key

    manifest = json.loads(Path(dbt_manifest).read_text())
    severity = {
        node["name"]: (node.get("config", {}).get("severity") or "error").lower()
        for node in manifest["nodes"].values()
        if node["resource_type"] == "test"
    }
    dbt_checks = list(dbt_assets.check_specs)
    assert dbt_checks, "dbt tests are not surfaced as asset checks"
    for spec in dbt_checks:
        assert spec.blocking == (severity[spec.name] == "error"), spec.name
