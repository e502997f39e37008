"""``nhcs run``: the whole pipeline, one line per step and a summary.

Dagster's and dbt's own output goes to a log file (``<log_dir>/run-<time>.log``, its path
printed first) unless ``-v`` asks for it here. The steps' lines come from the run's events
(``pipelines.runner.steps``), printed as each step ends; on a terminal the running step and
the ingestion show as live bars.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
import traceback
from contextlib import ExitStack, contextmanager, nullcontext
from datetime import datetime
from pathlib import Path

from ..settings import Settings, load_settings
from .capture import output_to
from .console import Console, duration, shown
from .errors import EXIT_FAILED, EXIT_OK, EXIT_REJECTIONS, CommandError


def run(args: argparse.Namespace) -> int:
    from ..runner.jobs import deliveries_outside, partition_keys

    s = load_settings(
        raw_dir=args.raw, warehouse=args.warehouse, reports_dir=args.reports, engine=args.engine
    )
    # Before anything is created: no delivery, no warehouse (as `nhcs ingest`).
    keys = partition_keys(s, args.date)
    outside = deliveries_outside(s, args.date)
    log_file = None if args.verbose else s.log_dir / f"run-{datetime.now():%Y%m%d-%H%M%S}.log"
    started = time.monotonic()
    with output_to(log_file) if log_file else nullcontext(sys.stdout) as out:
        console = Console(out)
        console.line(
            f"nhcs run: data dates {keys[0]} .. {keys[-1]} ({len(keys)} delivered), "
            f"engine {s.engine}, warehouse {shown(s.warehouse)}"
        )
        if log_file:
            console.line(f"log: {shown(log_file)} (nhcs run -v shows it here)")
        for message in outside:
            console.line(f"ERROR {message}")
        try:
            with console.bars():
                summary = execute(s, keys, console, full_refresh=args.full_refresh)
        except Exception:
            if log_file:  # the one-line message goes to the terminal, the traceback here
                traceback.print_exc()
            raise
        summary.seconds, summary.log_file = time.monotonic() - started, log_file
        print_summary(console, summary)
    if args.summary_json:
        write_json(summary, args.summary_json)
    if not summary.ok:
        failed = summary.failed[0] if summary.failed else None
        what = (
            f"step {failed.label} ({failed.step}) {failed.status}: {failed.detail()}"
            if failed
            else "; ".join(summary.run_failures) or "a run failed"
        )
        where = f"; full log: {shown(log_file)}" if log_file else ""
        raise CommandError(f"run failed: {what}{where}", EXIT_FAILED)
    if outside:
        more = f" (and {len(outside) - 1} more, above)" if len(outside) > 1 else ""
        raise CommandError(f"{outside[0]}{more}", EXIT_FAILED)
    if summary.rejected_files:
        raise CommandError(
            f"{summary.rejected_files} delivered file(s) rejected and not loaded: see "
            f"raw._rejections and {shown(s.quarantine_dir)}/ (docs/operations.md)",
            EXIT_REJECTIONS,
        )
    return EXIT_OK


def execute(s: Settings, keys: list[str], console: Console, *, full_refresh: bool = False):
    """Prepare dbt, load the definitions, run both jobs; the steps as they end."""
    from ..runner.instance import dagster_home, open_instance
    from ..runner.manifest import manifest_is_current, prepare_dbt_manifest
    from ..runner.steps import RunSummary, StepTracker

    with _timed(console, "dbt parse") as note:
        if manifest_is_current(s):
            note("manifest up to date")
        else:
            prepare_dbt_manifest(s)
            note("manifest written")
    with _timed(console, "definitions") as note:
        from .. import definitions  # noqa: F401 - loaded here, so that this line says how long
        from ..defs.ingest import PROGRESS_LOGGER
        from ..defs.loggers import RUN_EVENTS_LOGGER
        from ..runner.jobs import run_main_job

        home = dagster_home()
        instance = open_instance(home)
        note(f"Dagster definitions loaded; instance {shown(home)}")

    def started(step) -> None:
        console.running(step.label)

    def ended(step) -> None:
        console.done(step.label)
        console.step(step.status, step.seconds, step.label, step.detail())

    tracker = StepTracker(on_start=started, on_end=ended)
    with ExitStack() as stack:
        stack.enter_context(instance)
        stack.enter_context(_handler(RUN_EVENTS_LOGGER, tracker))
        stack.enter_context(_handler(PROGRESS_LOGGER, _Ticks(console)))
        runs = run_main_job(
            s,
            keys,
            instance=instance,
            progress=console.line,
            before_run=tracker.expect_run,
            full_refresh=full_refresh,
        )
    return RunSummary(tracker.steps, runs.run_ids, 0.0, run_failures=tracker.run_failures)


@contextmanager
def _timed(console: Console, label: str):
    notes: list[str] = []
    console.running(label)
    t0 = time.monotonic()
    try:
        yield notes.append
    finally:
        console.done(label)
    console.step("ok", time.monotonic() - t0, label, "; ".join(notes))


@contextmanager
def _handler(logger_name: str, handler: logging.Handler):
    log = logging.getLogger(logger_name)
    level = log.level
    log.setLevel(logging.DEBUG)
    log.addHandler(handler)
    try:
        yield
    finally:
        log.removeHandler(handler)
        log.setLevel(level)


class _Ticks(logging.Handler):
    """The ingestion's per-delivery progress (``pipelines.progress.Tick`` records) to the bar."""

    def __init__(self, console: Console):
        super().__init__(logging.DEBUG)
        self.console = console

    def emit(self, record: logging.LogRecord) -> None:
        from ..progress import Tick

        if isinstance(record.msg, Tick):
            self.console.tick(record.msg)


def print_summary(console: Console, summary) -> None:
    from ..runner.steps import check_counts, dbt_counts

    state = "succeeded" if summary.ok else "FAILED"
    runs = ", ".join(r[:8] for r in summary.run_ids)
    console.line(f"Summary: {state} in {duration(summary.seconds)} (Dagster runs {runs})")
    rows = []
    ingest = summary.step("raw_deliveries")
    if ingest and ingest.status == "ok":
        loaded = sum(ingest.metadata("rows_loaded"))
        files = sum(ingest.metadata("files_loaded"))
        unchanged = sum(ingest.metadata("files_unchanged"))
        rejected = sum(ingest.metadata("rejected_files"))
        rows.append(
            (
                "rows loaded",
                f"{loaded:,} from {files:,} files ({unchanged:,} unchanged, {rejected:,} rejected)",
            )
        )
    dbt = summary.step("nhcs_dbt_models")
    if dbt and dbt.status != "skipped":
        models, seeds, passed, failed = dbt_counts(dbt)
        rows.append(
            (
                "models built",
                f"{models} models, {seeds} seeds; dbt tests {passed} passed, {failed} failed",
            )
        )
    checks = summary.step("reconciliation_checks")
    if checks and checks.status != "skipped":
        passed, failed, findings = check_counts(checks)
        rows.append(
            (
                "checks",
                f"{passed} passed, {failed} failed, {findings} with findings "
                "(identities of contract section 5)",
            )
        )
    for label, path in summary.paths().items():
        rows.append((label, shown(path)))
    for step in summary.failed:
        rows.append((step.status.lower(), f"{step.label} ({step.step}): {step.detail()}"))
    if summary.log_file:
        rows.append(("log", shown(summary.log_file)))
    for label, text in rows:
        console.line(f"  {label:<16} {text}")


def write_json(summary, path: Path) -> None:
    """The steps and durations for the benchmark (``pipelines.bench``)."""
    data = {
        "ok": summary.ok,
        "seconds": round(summary.seconds, 2),
        "run_ids": summary.run_ids,
        "steps": {
            s.step: {"status": s.status, "seconds": round(s.seconds, 2), "detail": s.detail()}
            for s in summary.steps
        },
        "paths": summary.paths(),
        "log_file": str(summary.log_file) if summary.log_file else None,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
