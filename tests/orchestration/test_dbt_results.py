"""The dbt asset fails when a selected model's result never reached Dagster (bug found with
Spark: its progress bar glued onto dbt's JSON log lines, 16 results were lost, and every step
downstream was skipped while the run looked green)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from dagster import AssetKey, Failure

from pipelines.defs.dbt import _require_every_result

SELECTED = {AssetKey(["marts", "mart_briefing_kpis"]), AssetKey(["recon", "recon_org_totals"])}


def test_every_result_received_passes():
    _require_every_result(SimpleNamespace(selected_asset_keys=SELECTED), set(SELECTED), Path("t"))


def test_a_lost_result_fails_naming_the_model_and_the_log():
    built = {AssetKey(["marts", "mart_briefing_kpis"])}
    with pytest.raises(Failure) as info:
        _require_every_result(SimpleNamespace(selected_asset_keys=SELECTED), built, Path("t"))
    text = str(info.value.description)
    assert "no result reached Dagster for 1 model(s): recon/recon_org_totals." in text
    assert str(Path("t") / "dbt.log") in text
