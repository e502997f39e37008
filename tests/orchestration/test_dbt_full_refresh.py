"""The dbt step's run configuration: a night is incremental, a full refresh is asked for."""

from __future__ import annotations

from pipelines.engines import BUILD_ARGS


def test_a_night_builds_incrementally_and_a_full_refresh_is_asked_for(dbt_manifest):
    from pipelines.defs.dbt import DbtBuildConfig, dbt_build_args

    assert dbt_build_args(DbtBuildConfig(), []) == list(BUILD_ARGS)
    args = dbt_build_args(DbtBuildConfig(full_refresh=True), ["--target", "spark"])
    assert args == [*BUILD_ARGS, "--full-refresh", "--target", "spark"]


def test_the_build_job_takes_the_full_refresh_config(dbt_manifest):
    from dagster import validate_run_config

    from pipelines.definitions import BUILD_JOB, defs
    from pipelines.defs.dbt import DBT_OP

    job = defs.resolve_job_def(BUILD_JOB)
    config = {"ops": {DBT_OP: {"config": {"full_refresh": True}}}}
    assert validate_run_config(job, config)["ops"][DBT_OP]["config"]["full_refresh"] is True
