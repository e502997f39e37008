"""What the steps of a run did, read from Dagster's events as they happen.

``StepTracker`` is a logging handler on the ``run_events`` logger (``pipelines.defs.loggers``):
it receives every event of the runs made in this process, and reports each step when it
ends (``StepReport``: status, duration, what it materialized and checked). ``RunSummary``
adds them up for the end of ``nhcs run``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

# How the steps are named in the run's output (the Dagster step key is shown beside).
STEP_LABELS = {
    "raw_deliveries": "ingest",
    "nhcs_dbt_models": "dbt build",
    "reconciliation_checks": "checks",
    "briefing_report": "report",
    "analytics_db": "publish",
}


@dataclass
class CheckOutcome:
    asset: str
    name: str
    passed: bool
    blocking: bool  # severity ERROR; WARN results are findings


@dataclass
class StepReport:
    job: str
    step: str
    status: str = "running"  # then "ok", "failed" or "skipped"
    seconds: float = 0.0
    started: float = field(default_factory=time.monotonic)
    materialized: dict[str, dict] = field(default_factory=dict)  # asset key -> metadata values
    checks: list[CheckOutcome] = field(default_factory=list)
    error: str = ""
    note: str = ""  # what a step that materializes nothing did

    @property
    def label(self) -> str:
        if self.step.endswith(":start"):
            return "run start"
        return STEP_LABELS.get(self.step, self.step)

    def metadata(self, key: str) -> list:
        return [m[key] for m in self.materialized.values() if key in m]

    def detail(self) -> str:
        """One line on what the step did (or why it failed)."""
        if self.status == "failed":
            return self.error
        if self.note:
            return self.note
        if self.status == "skipped":
            return self.error or "skipped: an upstream step or a blocking check failed"
        if self.step == "raw_deliveries":
            return _ingest_detail(self)
        if self.step == "nhcs_dbt_models":
            return _dbt_detail(self)
        if self.step == "reconciliation_checks":
            return _checks_detail(self)
        if self.step == "briefing_report":
            as_of = self.metadata("as_of_date")
            return f"briefing for {as_of[0]}" if as_of else ""
        if self.step == "analytics_db":
            mode = self.metadata("mode")
            return f"analytics.duckdb, {mode[0]}" if mode else ""
        return ", ".join(sorted(self.materialized)) or ""


def _ingest_detail(step: StepReport) -> str:
    rows, files = sum(step.metadata("rows_loaded")), sum(step.metadata("files_loaded"))
    unchanged, rejected = (
        sum(step.metadata("files_unchanged")),
        sum(step.metadata("rejected_files")),
    )
    text = f"{rows:,} rows from {files:,} files"
    if unchanged:
        text += f", {unchanged:,} unchanged"
    if rejected:
        text += f", {rejected:,} REJECTED"
    return text


def dbt_counts(step: StepReport) -> tuple[int, int, int, int]:
    """(models, seeds, tests passed, tests failed) of a dbt step."""
    seeds = sum(1 for k in step.materialized if k.startswith("seeds/"))
    passed = sum(1 for c in step.checks if c.passed)
    return len(step.materialized) - seeds, seeds, passed, len(step.checks) - passed


def _dbt_detail(step: StepReport) -> str:
    models, seeds, passed, failed = dbt_counts(step)
    return f"{models} models, {seeds} seeds built; dbt tests {passed} passed, {failed} failed"


def check_counts(step: StepReport) -> tuple[int, int, int]:
    """(passed, blocking failed, findings) of the reconciliation checks, the gate left out."""
    from ..defs.checks import GATE_CHECK

    own = [c for c in step.checks if c.name != GATE_CHECK]
    passed = sum(1 for c in own if c.passed)
    failed = sum(1 for c in own if not c.passed and c.blocking)
    return passed, failed, len(own) - passed - failed


def _checks_detail(step: StepReport) -> str:
    passed, failed, findings = check_counts(step)
    return f"identity checks {passed} passed, {failed} failed, {findings} with findings"


def _value(v):
    """A metadata value as plain Python (MetadataValue wrappers carry ``.value``)."""
    return getattr(v, "value", v)


class StepTracker(logging.Handler):
    """Collects the steps of the runs made while it is attached; calls ``on_start(step)`` and
    ``on_end(step)`` as steps start and end (from the executing thread)."""

    def __init__(
        self,
        on_start: Callable[[StepReport], None] | None = None,
        on_end: Callable[[StepReport], None] | None = None,
    ):
        super().__init__(logging.DEBUG)
        self.steps: list[StepReport] = []
        self._open: dict[tuple[str, str], StepReport] = {}
        self.on_start, self.on_end = on_start, on_end
        self.run_failures: list[str] = []
        self._starting: set[str] = set()

    def expect_run(self, job: str, plan: str = "") -> None:
        """``job`` is about to be started: the time until its first event is Dagster's own
        (creating the run, planning one materialization per asset and partition), reported as
        the step ``<job>:start`` so that the steps add up to the run's duration."""
        step = self._step(job, f"{job}:start")
        step.started = time.monotonic()
        step.note = f"{job}: Dagster created the run" + (f" ({plan})" if plan else "")
        self._starting.add(job)
        if self.on_start:
            self.on_start(step)

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        if event is None:
            return
        try:
            self._event(meta.get("job_name") or "", event)
        except Exception:  # a display problem must never fail the run
            self.handleError(record)

    def _step(self, job: str, key: str) -> StepReport:
        step = self._open.get((job, key))
        if step is None:
            step = StepReport(job, key)
            self._open[(job, key)] = step
            self.steps.append(step)
        return step

    def _event(self, job: str, event) -> None:
        kind = event.event_type_value
        if event.is_run_failure:
            self.run_failures.append(_first_line(event.message or ""))
        if kind in ("PIPELINE_START", "RUN_START") and job in self._starting:
            self._starting.discard(job)
            start = self._open.pop((job, f"{job}:start"))
            start.status, start.seconds = "ok", time.monotonic() - start.started
            if self.on_end:
                self.on_end(start)
        if not event.step_key:
            return
        step = self._step(job, event.step_key)
        if event.is_step_start:
            step.started = time.monotonic()
            if self.on_start:
                self.on_start(step)
        elif event.is_step_materialization:
            mat = event.step_materialization_data.materialization
            step.materialized[mat.asset_key.to_user_string()] = {
                k: _value(v) for k, v in mat.metadata.items()
            }
        elif kind == "ASSET_CHECK_EVALUATION":
            ev = event.asset_check_evaluation_data
            step.checks.append(
                CheckOutcome(
                    ev.asset_key.to_user_string(),
                    ev.check_name,
                    ev.passed,
                    getattr(ev.severity, "value", str(ev.severity)) == "ERROR",
                )
            )
        elif event.is_step_success or event.is_step_failure or event.is_step_skipped:
            step.seconds = time.monotonic() - step.started
            if event.is_step_success:
                step.status = "ok"
            elif event.is_step_failure:
                step.status = "failed"
                step.error = _failure_text(event)
            else:
                step.status, step.seconds = "skipped", 0.0
            del self._open[(job, event.step_key)]
            if self.on_end:
                self.on_end(step)


def _first_line(text: str, limit: int = 240) -> str:
    line = next((s.strip() for s in text.splitlines() if s.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _failure_text(event) -> str:
    data = event.step_failure_data
    if data.user_failure_data is not None and data.user_failure_data.description:
        return _first_line(data.user_failure_data.description)
    if data.error is not None:
        err = data.error
        # Dagster wraps the step's exception: the cause says what went wrong.
        while err.cause is not None and "DagsterExecutionStepExecutionError" in err.cls_name:
            err = err.cause
        return _first_line(err.message)  # "<ExceptionClass>: <message>"
    return _first_line(event.message or "failed")


@dataclass
class RunSummary:
    """The end of ``nhcs run``: what was loaded, built, checked, reported and published."""

    steps: list[StepReport]
    run_ids: list[str]
    seconds: float
    log_file: Path | None = None
    run_failures: list[str] = field(default_factory=list)

    def step(self, key: str) -> StepReport | None:
        return next((s for s in self.steps if s.step == key), None)

    @property
    def failed(self) -> list[StepReport]:
        return [s for s in self.steps if s.status in ("failed", "skipped")]

    @property
    def ok(self) -> bool:
        # A step skipped for want of its inputs leaves the Dagster run "successful", but the
        # briefing or the publication did not happen: that is a failed run for the night.
        return len(self.run_ids) == 2 and not self.failed and not self.run_failures

    @property
    def rejected_files(self) -> int:
        ingest = self.step("raw_deliveries")
        return sum(ingest.metadata("rejected_files")) if ingest else 0

    def paths(self) -> dict[str, str]:
        """Report and publication files of the run, by label."""
        out: dict[str, str] = {}
        report = self.step("briefing_report")
        if report and report.status == "ok":
            for key in ("briefing_html", "briefing_xlsx", "exceptions_xlsx"):
                for value in report.metadata(key):
                    out[key.replace("_", ".", 1)] = str(value)
        publish = self.step("analytics_db")
        if publish and publish.status == "ok":
            for value in publish.metadata("path"):
                out["analytics.duckdb"] = str(value)
        return out
