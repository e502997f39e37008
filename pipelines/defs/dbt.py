"""The dbt project as Dagster assets (dagster-dbt), with raw sources mapped to ingest assets.

Every model and seed materialization carries its row count and its column names and types
(dagster-dbt's ``fetch_row_counts`` / ``fetch_column_metadata``, read through dbt's DuckDB
adapter once dbt has finished; dagster-dbt leaves views uncounted, so the staging views are
counted here, a ``count(*)`` each: at most a scan of the raw table they select from; column
lineage is left out: it parses every model's SQL again for a graph dbt's docs already draw).
On Spark they are not fetched: dagster-dbt would open a second
Spark session (a JVM) inside the Dagster process, on the Derby metastore that allows one JVM
at a time; the tables are copied into the DuckDB warehouse right after (``mirror_spark_tables``,
which logs each table's rows).
"""

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, AssetKey, AssetSpec, Config, Failure, Output
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from ..engines import BUILD_ARGS, dbt_settings_args, mirror_spark_tables
from ..settings import DBT_PROJECT_DIR
from ..warehouse_lock import warehouse_lock
from .freshness import NIGHTLY
from .resources import NhcsPaths

DBT_PROJECT = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)

# Folders of dbt_project/models; each is a Dagster group and a warehouse schema.
LAYERS = ("staging", "intermediate", "marts", "recon")


class NhcsDbtTranslator(DagsterDbtTranslator):
    """Asset keys ``<schema>/<name>``: sources ``raw/m31`` (the ingest assets' keys), models
    ``marts/mart_briefing_kpis``; groups by layer folder."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        return AssetKey([_layer(dbt_resource_props), dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return _layer(dbt_resource_props)

    def get_owners(self, dbt_resource_props: Mapping[str, Any]):
        return ["team:data"]

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project) -> AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        # The marts are what the morning's briefing and analysts read.
        if spec.group_name == "marts":
            return spec.replace_attributes(freshness_policy=NIGHTLY)
        return spec


def _layer(props: Mapping[str, Any]) -> str:
    if props["resource_type"] == "seed":
        return "seeds"
    fqn = props.get("fqn") or []
    for part in fqn[1:-1]:
        if part in LAYERS:
            return part
    return "marts"


TRANSLATOR = NhcsDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))
DBT_OP = "nhcs_dbt_models"


class DbtBuildConfig(Config):
    """Run configuration of the dbt step (the launchpad, or ``nhcs run --full-refresh``)."""

    full_refresh: bool = False
    """Rebuild every partition of the incremental models (dbt --full-refresh): after a change
    to a model's SQL, whose old partitions an incremental run would otherwise keep."""


def dbt_build_args(config: DbtBuildConfig, settings_args: list[str]) -> list[str]:
    """The build's arguments: ``settings_args`` are the run's target and --vars."""
    return [*BUILD_ARGS, *(["--full-refresh"] if config.full_refresh else []), *settings_args]


def build_dbt_assets():
    """The @dbt_assets definition; needs dbt's manifest (``nhcs dbt-prepare``)."""
    if not DBT_PROJECT.manifest_path.exists():
        raise FileNotFoundError(
            f"dbt manifest {DBT_PROJECT.manifest_path} is missing: run `nhcs dbt-prepare` "
            "(make does it) before loading the Dagster definitions"
        )

    @dbt_assets(
        manifest=DBT_PROJECT.manifest_path,
        project=DBT_PROJECT,
        dagster_dbt_translator=TRANSLATOR,
        name=DBT_OP,
    )
    def nhcs_dbt_models(
        context: AssetExecutionContext,
        dbt: DbtCliResource,
        paths: NhcsPaths,
        config: DbtBuildConfig,
    ):
        settings = paths.settings()
        if settings.is_spark:
            context.log.info(f"building the dbt models on {settings.engine} (docs/scale-out.md)")
        with warehouse_lock(settings.warehouse, progress=context.log.info):
            # The run's paths reach dbt as --vars (profiles.yml reads them), not the environment.
            args = dbt_build_args(config, dbt_settings_args(settings))
            if config.full_refresh:
                context.log.info("full refresh: every partition of the incremental models")
            invocation = dbt.cli(args, context=context)
            events = invocation.stream()
            if settings.engine == "duckdb":
                events = _count_views(
                    invocation,
                    events.fetch_row_counts().fetch_column_metadata(with_column_lineage=False),
                )
            built: set[AssetKey] = set()
            cwd = os.getcwd()
            try:
                for event in events:
                    if isinstance(event, Output):
                        built.add(context.assets_def.keys_by_output_name[event.output_name])
                    yield event
            finally:
                _release_adapter(invocation.adapter)
                # dagster-dbt's metadata threads each `pushd` into the dbt project at the same
                # time: the last to restore may leave the process there (seen in `nhcs run`).
                os.chdir(cwd)
            _require_every_result(context, built, invocation.target_path)
            if settings.is_spark:
                mirror_spark_tables(settings.spark_dir, settings.warehouse, context.log.info)

    return nhcs_dbt_models


def _count_views(invocation, events):
    """The events, with a row count added to the views' materializations."""
    nodes = invocation.manifest.get("nodes", {})
    for event in events:
        if isinstance(event, Output) and "dagster/row_count" not in event.metadata:
            unique_id = getattr(event.metadata.get("unique_id"), "value", None)
            node = nodes.get(unique_id) or {}
            if node.get("config", {}).get("materialized") == "view":
                with invocation.adapter.connection_named(f"row_count_{unique_id}"):
                    _, table = invocation.adapter.execute(
                        f"select count(*) from {node['relation_name']}", fetch=True
                    )
                rows = int(table[0][0])
                event = event.with_metadata({**event.metadata, "dagster/row_count": rows})
        yield event


def _release_adapter(adapter) -> None:
    """Close the read-only DuckDB connection dagster-dbt opened in this process for the row
    counts and columns: DuckDB refuses a second connection to the same file with another
    configuration, which the checks and the report open next (same process, ``nhcs run``)."""
    if adapter is None:
        return
    adapter.cleanup_connections()
    if adapter.type() == "duckdb":
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager

        with DuckDBConnectionManager._LOCK:  # noqa: SLF001 - dbt-duckdb keeps it class-wide
            env = DuckDBConnectionManager._ENV  # noqa: SLF001
            if env is not None:
                env.close()
            DuckDBConnectionManager.close_all_connections()


def _require_every_result(context: AssetExecutionContext, built: set, target_path: Path) -> None:
    """dbt exited 0, so every selected model was built; dagster-dbt learns it from dbt's JSON
    log lines on stdout. If one of them was lost (an engine writing into that stdout), the asset
    would silently stay unmaterialized and everything downstream be *skipped*, the run still
    green. Fail instead, naming the models."""
    missing = sorted(k.to_user_string() for k in set(context.selected_asset_keys) - built)
    if missing:
        raise Failure(
            f"dbt finished, but no result reached Dagster for {len(missing)} model(s): "
            f"{', '.join(missing[:20])}{' ...' if len(missing) > 20 else ''}. Something wrote "
            f"into dbt's log stream; see {target_path / 'dbt.log'}.",
        )
