"""The dbt project as Dagster assets (dagster-dbt), with raw sources mapped to ingest assets."""

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, AssetKey, Config, Failure, Output
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from ..engines import BUILD_ARGS, dbt_env, dbt_target_args, mirror_spark_tables
from ..settings import DBT_PROJECT_DIR
from ..warehouse_lock import warehouse_lock
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


def dbt_build_args(config: DbtBuildConfig, target_args: list[str]) -> list[str]:
    return [*BUILD_ARGS, *(["--full-refresh"] if config.full_refresh else []), *target_args]


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
        # dbt runs as a subprocess and reads its paths from the environment.
        os.environ.update(dbt_env(settings))
        if settings.engine != "duckdb":
            context.log.info(f"building the dbt models on {settings.engine} (docs/scale-out.md)")
        with warehouse_lock(settings.warehouse, progress=context.log.info):
            args = dbt_build_args(config, dbt_target_args(settings))
            if config.full_refresh:
                context.log.info("full refresh: every partition of the incremental models")
            invocation = dbt.cli(args, context=context)
            built: set[AssetKey] = set()
            for event in invocation.stream():
                if isinstance(event, Output):
                    built.add(context.assets_def.keys_by_output_name[event.output_name])
                yield event
            _require_every_result(context, built, invocation.target_path)
            if settings.engine == "spark":
                mirror_spark_tables(settings.spark_dir, settings.warehouse, context.log.info)

    return nhcs_dbt_models


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
