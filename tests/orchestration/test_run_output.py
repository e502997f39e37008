"""`nhcs run` as a user follows it: one line per step with its duration, a summary with what
was loaded, built, checked, reported and published, Dagster's and dbt's logs in a file; and
what the Dagster UI shows of the run (row counts and column types on the dbt assets, the
published tables, the project's log lines in the event log).

One small generated demo (scale 0.003) goes through one real `nhcs run`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest
from dagster import AssetKey

from pipelines.generate import generate

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("orchestration-run")]

NHCS = Path(sys.executable).with_name("nhcs")
STEPS = (
    "dbt parse",
    "definitions",
    "run start",
    "ingest",
    "dbt build",
    "checks",
    "report",
    "publish",
)


@pytest.fixture(scope="module")
def run(tmp_path_factory, dbt_manifest):
    work = tmp_path_factory.mktemp("run-output")
    raw = work / "raw"
    generate(raw, scale=0.003, fmt="csv", workers=1)
    # The settings as options only, none in the environment: they must reach every step (the
    # paths resource of each run) and dbt (--vars) explicitly.
    env = {k: v for k, v in os.environ.items() if not k.startswith("NHCS_")}
    env["DAGSTER_HOME"] = str(work / "dagster_home")
    options = ["--raw", str(raw), "--warehouse", str(work / "warehouse" / "warehouse.duckdb")]
    options += ["--reports", str(work / "reports")]
    proc = subprocess.run(
        [str(NHCS), "run", *options, "--summary-json", str(work / "steps.json")],
        env=env,
        capture_output=True,
        text=True,
        cwd=work,
        timeout=1800,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    return SimpleNamespace(
        proc=proc,
        lines=proc.stdout.splitlines(),
        work=work,
        warehouse=work / "warehouse" / "warehouse.duckdb",
        steps=json.loads((work / "steps.json").read_text(encoding="utf-8")),
        home=work / "dagster_home",
    )


def _step_lines(lines: list[str], label: str) -> list[str]:
    return [line for line in lines if re.match(rf"^\s+ok\s+[\d.]+ (s|min \d+ s)\s+{label}\b", line)]


def test_one_line_per_step_with_its_duration_then_the_summary(run):
    assert run.proc.stderr == ""
    assert run.lines[0].startswith("nhcs run: data dates 2021-12-31 .. 2022-03-31")
    assert run.lines[1].startswith("log: warehouse/logs/run-")
    for label in STEPS:
        # one line per step; Dagster's start of each of the two jobs is a step of its own
        assert len(_step_lines(run.lines, label)) == (2 if label == "run start" else 1), label
    (ingest_start, _) = _step_lines(run.lines, "run start")
    assert ingest_start.endswith(
        "nhcs_ingest: Dagster created the run (7 raw assets x 91 days planned)"
    )
    summary = run.lines.index(next(x for x in run.lines if x.startswith("Summary: ")))
    assert run.lines[summary].startswith("Summary: succeeded in ")
    labels = [x.split()[0] for x in run.lines[summary + 1 :]]
    assert labels == [
        "rows",
        "models",
        "checks",
        "briefing.html",
        "briefing.xlsx",
        "exceptions.xlsx",
        "analytics.duckdb",
        "log",
    ]
    # Fits on a screen: no Dagster event, no dbt line.
    assert len(run.lines) <= 30, run.proc.stdout
    assert not [x for x in run.lines if " - dagster - " in x or "DEBUG" in x]


def test_the_summary_counts_what_the_warehouse_holds(run):
    text = run.proc.stdout
    with duckdb.connect(str(run.warehouse), read_only=True) as con:
        tables = [
            t
            for (t,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'raw' "
                "and not starts_with(table_name, '_')"
            ).fetchall()
        ]
        raw_rows = sum(con.execute(f"select count(*) from raw.{t}").fetchone()[0] for t in tables)
        files = con.execute("select count(*) from raw._loads").fetchone()[0]
    assert f"rows loaded      {raw_rows:,} from {files:,} files (0 unchanged, 0 rejected)" in text
    manifest = json.loads(
        (Path(__file__).parents[2] / "dbt_project/target/manifest.json").read_text()
    )
    models = sum(
        1
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model" and n["config"]["materialized"] != "ephemeral"
    )
    seeds = sum(1 for n in manifest["nodes"].values() if n["resource_type"] == "seed")
    assert f"models built     {models} models, {seeds} seeds; dbt tests " in text
    assert re.search(r"checks\s+\d+ passed, 0 failed, \d+ with findings", text)
    report = run.work / "reports" / "2022-03-31" / "briefing.html"
    assert f"briefing.html    {report.relative_to(run.work)}" in text and report.exists()


def test_the_full_logs_are_in_the_file_it_names(run):
    log = run.work / run.lines[1].split()[1]
    text = log.read_text(encoding="utf-8")
    assert 'STEP_SUCCESS - Finished execution of step "nhcs_dbt_models"' in text
    assert "Running dbt command" in text and "Finished dbt command" in text
    assert run.lines[-1].split() == ["log", str(log.relative_to(run.work))]


def test_the_summary_json_has_every_step(run):
    assert run.steps["ok"] is True
    for key in (
        "raw_deliveries",
        "nhcs_dbt_models",
        "reconciliation_checks",
        "briefing_report",
        "analytics_db",
    ):
        assert run.steps["steps"][key]["status"] == "ok"
        assert run.steps["steps"][key]["seconds"] > 0


def _instance(run):
    from pipelines.runner.instance import open_instance

    return open_instance(run.home)


def test_every_dbt_asset_shows_its_row_count_and_column_types(run):
    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    dbt_keys = [
        k
        for k in graph.get_all_asset_keys()
        if k.path[0] in ("seeds", "staging", "intermediate", "marts", "recon")
    ]
    assert len(dbt_keys) > 40
    with _instance(run) as instance, duckdb.connect(str(run.warehouse), read_only=True) as con:
        for key in dbt_keys:
            event = instance.get_latest_materialization_event(key)
            assert event is not None, key
            meta = event.asset_materialization.metadata
            assert "dagster/row_count" in meta, key
            schema = meta["dagster/column_schema"].value
            assert schema.columns and all(c.type for c in schema.columns), key
            rows = con.execute(f'select count(*) from "{key.path[0]}"."{key.path[1]}"').fetchone()
            assert meta["dagster/row_count"].value == rows[0], key


def test_the_publication_lists_its_tables_and_the_raw_assets_their_load(run):
    with _instance(run) as instance:
        pub = instance.get_latest_materialization_event(AssetKey(["analytics_db"]))
        table = pub.asset_materialization.metadata["tables"].value
        assert table.startswith("| table | rows | this publication |")
        assert "| marts.mart_briefing_kpis |" in table
        m31 = instance.get_latest_materialization_event(AssetKey(["raw", "m31"]))
        meta = m31.asset_materialization.metadata
        assert meta["rows_loaded"].value == meta["dagster/row_count"].value > 0


def test_project_log_lines_reach_the_event_log(run):
    """python_logs in the instance's dagster.yaml: what the `nhcs.*` loggers say during a step
    is in the run's event log (the UI's run page)."""
    with _instance(run) as instance:
        (ingest_run,) = [r for r in instance.get_runs() if r.job_name == "nhcs_ingest"]
        messages = [e.user_message for e in instance.all_logs(ingest_run.run_id)]
    assert any(m.startswith("ingesting data dates 2021-12-31 .. 2022-03-31") for m in messages)
    assert any("\ntotal: " in m for m in messages)
