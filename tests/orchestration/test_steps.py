"""The step lines of `nhcs run` come from the run's events: what each step did, how long it
took, why it failed or was skipped (pipelines.runner.steps on small real Dagster jobs)."""

from __future__ import annotations

import logging

import pytest
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    DagsterInstance,
    Definitions,
    MaterializeResult,
    asset,
    define_asset_job,
)

from pipelines.defs.loggers import LOGGERS, RUN_EVENTS_LOGGER
from pipelines.runner.steps import StepTracker


@asset(check_specs=[AssetCheckSpec("rule", asset="loaded"), AssetCheckSpec("soft", asset="loaded")])
def loaded():
    logging.getLogger("nhcs.test").info("loading")
    yield MaterializeResult(
        metadata={"rows_loaded": 12, "files_loaded": 2, "files_unchanged": 1, "rejected_files": 0},
        check_results=[
            AssetCheckResult(check_name="rule", passed=True),
            AssetCheckResult(check_name="soft", passed=False, severity=AssetCheckSeverity.WARN),
        ],
    )


@asset(deps=[loaded])
def broken():
    raise ValueError("the file /data/x.csv has no header row\nsecond line of detail")


@asset(deps=[broken])
def after():
    return None


DEFS = Definitions(assets=[loaded, broken, after], jobs=[define_asset_job("j")], loggers=LOGGERS)


@pytest.fixture
def tracked():
    ended, started = [], []
    tracker = StepTracker(on_start=started.append, on_end=ended.append)
    log = logging.getLogger(RUN_EVENTS_LOGGER)
    log.setLevel(logging.DEBUG)
    log.addHandler(tracker)
    try:
        with DagsterInstance.ephemeral() as instance:
            tracker.expect_run("j", "3 assets")
            result = DEFS.resolve_job_def("j").execute_in_process(
                instance=instance,
                raise_on_error=False,
                run_config={"loggers": {"console": {}, "run_events": {}}},
            )
        yield tracker, started, ended, result
    finally:
        log.removeHandler(tracker)


def test_each_step_is_reported_when_it_ends_with_what_it_did(tracked):
    tracker, started, ended, result = tracked
    assert not result.success
    # `after` never starts: Dagster does not execute a step whose upstream failed.
    assert [(s.step, s.status) for s in ended] == [
        ("j:start", "ok"),
        ("loaded", "ok"),
        ("broken", "failed"),
    ]
    start, load, fail = ended
    assert start.label == "run start"
    assert start.detail() == "j: Dagster created the run (3 assets)"
    assert load.materialized["loaded"]["rows_loaded"] == 12
    assert [(c.name, c.passed, c.blocking) for c in load.checks] == [
        ("rule", True, True),
        ("soft", False, False),
    ]
    assert all(s.seconds >= 0 for s in ended)
    # The failure in one line: the exception, not Dagster's wrapper.
    assert fail.detail() == "ValueError: the file /data/x.csv has no header row"
    assert [s.step for s in started] == ["j:start", "loaded", "broken"]
    assert tracker.run_failures and "broken" in tracker.run_failures[0]


def test_the_summary_of_a_failed_run(tracked):
    from pipelines.runner.steps import RunSummary

    tracker, _, _, result = tracked
    summary = RunSummary(tracker.steps, [result.run_id, "second"], 1.0)
    assert not summary.ok
    assert [s.step for s in summary.failed] == ["broken"]
