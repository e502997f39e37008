"""The project's skeleton works: CLI, dbt parse, Dagster definitions, the source translator."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from dagster import AssetKey

from pipelines.cli import build_parser, subcommands
from pipelines.contract.reports import REPORTS


def test_cli_help_lists_the_subcommands():
    out = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for cmd in ("generate", "ingest", "run", "ui", "dbt-prepare"):
        assert cmd in out


def test_ui_binds_loopback_by_default():
    args = build_parser().parse_args(["ui"])
    assert args.host == "127.0.0.1"


def test_dbt_parse_writes_a_manifest(dbt_manifest):
    manifest = json.loads(dbt_manifest.read_text())
    assert manifest["metadata"]["project_name"] == "nhcs"


def test_definitions_load_with_ingest_and_dbt_assets(dbt_manifest):
    from pipelines.definitions import BUILD_JOB, INGEST_JOB, defs

    keys = defs.resolve_asset_graph().get_all_asset_keys()
    for spec in REPORTS:
        assert AssetKey(["raw", spec.table]) in keys
    ingest = defs.resolve_job_def(INGEST_JOB)
    build = defs.resolve_job_def(BUILD_JOB)
    # Only the ingest job is partitioned; everything else is in the build job.
    assert ingest.partitions_def is not None and build.partitions_def is None
    ingest_keys = set(ingest.asset_layer.executable_asset_keys)
    build_keys = set(build.asset_layer.executable_asset_keys)
    assert ingest_keys == {AssetKey(["raw", spec.table]) for spec in REPORTS}
    assert not ingest_keys & build_keys
    assert AssetKey(["marts", "mart_briefing_kpis"]) in build_keys
    assert AssetKey(["briefing_report"]) in build_keys


def test_translator_maps_dbt_sources_to_ingest_asset_keys(dbt_manifest):
    from pipelines.defs.dbt import TRANSLATOR

    manifest = json.loads(dbt_manifest.read_text())
    sources = [s for s in manifest["sources"].values() if s["source_name"] == "raw"]
    if not sources:
        pytest.skip("the dbt project declares no raw sources yet")
    ingest_keys = {AssetKey(["raw", spec.table]) for spec in REPORTS}
    for source in sources:
        key = TRANSLATOR.get_asset_key(source)
        if not source["name"].startswith("_"):
            assert key in ingest_keys, f"source {source['name']} maps to {key}"


def test_translator_groups_models_by_layer():
    from pipelines.defs.dbt import TRANSLATOR

    props = {"resource_type": "model", "name": "mart_x", "fqn": ["nhcs", "marts", "mart_x"]}
    assert TRANSLATOR.get_asset_key(props) == AssetKey(["marts", "mart_x"])
    assert TRANSLATOR.get_group_name(props) == "marts"
    stg = {"resource_type": "model", "name": "stg_a", "fqn": ["nhcs", "staging", "branch", "stg_a"]}
    assert TRANSLATOR.get_group_name(stg) == "staging"


def test_every_nhcs_subcommand_the_makefile_calls_exists():
    import re

    from pipelines.settings import PROJECT_ROOT

    makefile = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
    called = set(re.findall(r"nhcs (\w[\w-]*)", makefile))
    assert called, "the Makefile calls no nhcs subcommand"
    assert called <= subcommands(), called - subcommands()
