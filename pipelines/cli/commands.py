"""The ``nhcs`` subcommands except ``run`` (``pipelines.cli.run``): each a thin shell over a
domain function, so the command line, Dagster and the tests exercise the same code. Imports are
lazy, so that ``nhcs --help`` and the usage errors answer at once."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from ..settings import PROJECT_ROOT, Settings, load_settings
from .console import Console, shown
from .errors import (
    EXIT_FAILED,
    EXIT_GATE,
    EXIT_NO_INPUT,
    EXIT_OK,
    EXIT_REJECTIONS,
    EXIT_USAGE,
    CommandError,
)


def stamp(message: str) -> None:
    """A timed progress line. Like everything but the failure line, on stdout: stderr holds
    only the one line of a failure."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def require_warehouse(settings: Settings) -> Path:
    if not settings.warehouse.is_file():
        raise CommandError(
            f"no warehouse at {settings.warehouse}: run `nhcs run` first (or set "
            "NHCS_WAREHOUSE / --warehouse)",
            EXIT_NO_INPUT,
        )
    return settings.warehouse


# --- generate -----------------------------------------------------------------------------


def generate(args: argparse.Namespace) -> int:
    from ..deliveries import delivered_dates
    from ..generate import DEFAULT_CALIBRATION, FAULTS, generate, load_history

    raw_dir = load_settings(raw_dir=args.raw).raw_dir
    if args.if_empty and delivered_dates(raw_dir):
        stamp(f"{raw_dir} already holds deliveries: not generating (drop --if-empty to add)")
        return EXIT_OK
    unknown = [f for f in args.inject or () if f not in FAULTS]
    if unknown:
        raise CommandError(
            f"--inject {unknown[0]}: no such fault (known: {', '.join(sorted(FAULTS))})",
            EXIT_USAGE,
        )
    calibration = args.calibration or DEFAULT_CALIBRATION
    try:  # a calibration the generator cannot use is named with what is wrong in it
        scenario = load_history(calibration)  # one period or a history
        if args.scale:
            scenario.scaled(args.scale)
    except ValueError as exc:
        raise CommandError(f"{calibration}: {exc}", EXIT_USAGE) from exc
    console = Console()
    with console.bars():
        summary = generate(
            raw_dir,
            calibration,
            scale=args.scale,
            seed=args.seed,
            fmt=args.format,
            inject=args.inject or (),
            progress=console.message,
        )
    print(
        f"generated {summary['files']:,} files ({summary['rows']:,} rows) in "
        f"{summary['folders']:,} delivery folders under {shown(raw_dir)} "
        f"(scale {summary['scale']}, seed {summary['seed']}, {summary['format']}) "
        f"in {summary['seconds']:.1f} s"
    )
    return EXIT_OK


# --- ingest -------------------------------------------------------------------------------


def ingest(args: argparse.Namespace) -> int:
    from ..deliveries import require_deliveries
    from ..engines import lake_dir_for_ingest
    from ..ingest import ingest
    from ..warehouse_lock import warehouse_lock

    s = load_settings(raw_dir=args.raw, warehouse=args.warehouse)
    # Before the warehouse is opened: nothing to ingest creates nothing (as `nhcs run`).
    dates = require_deliveries(s.raw_dir, args.date)
    lake = s.lake_dir if args.lake else lake_dir_for_ingest(s)
    console = Console()
    with warehouse_lock(s.warehouse, progress=stamp), console.bars():
        result = ingest(
            s.raw_dir,
            s.warehouse,
            dates=dates if args.date else None,
            progress=console.message if not args.verbose else stamp,
            lake_dir=lake,
            lake_first=s.is_spark,
        )
    lines = result.summary_lines()
    for line in lines if args.verbose else lines[len(result.deliveries) :]:
        print(line)
    for r in result.rejections:
        print(f"REJECTED {r.message}")
    if result.rejections:
        raise CommandError(
            f"{result.files_rejected} delivered file(s) rejected and not loaded (listed above; "
            f"also in raw._rejections and {shown(s.quarantine_dir)}/)",
            EXIT_REJECTIONS,
        )
    return EXIT_OK


# --- dbt ----------------------------------------------------------------------------------


def dbt_prepare(args: argparse.Namespace) -> int:
    from ..runner.manifest import prepare_dbt_manifest

    path = prepare_dbt_manifest(load_settings(), quiet=not args.verbose)
    stamp(f"dbt manifest ready: {path.relative_to(PROJECT_ROOT)}")
    return EXIT_OK


# --- check, report, publish ---------------------------------------------------------------


def check(args: argparse.Namespace) -> int:
    from ..quality.command import check_command
    from ..warehouse_lock import warehouse_lock

    s = load_settings(warehouse=args.warehouse)
    warehouse = require_warehouse(s)
    with warehouse_lock(warehouse, progress=stamp):
        code = check_command(
            warehouse,
            as_of=args.date,
            max_rows=args.max_rows,
            progress=None,
            incremental=not args.all,
            spark_dir=s.spark_dir if s.is_spark else None,
        )
    if code != EXIT_OK:
        raise CommandError(
            "a blocking reconciliation check failed (listed above; every failing row is in "
            "quality.check_results): the report and the publication wait for a corrected "
            "delivery",
            EXIT_FAILED,
        )
    return EXIT_OK


def report(args: argparse.Namespace) -> int:
    from ..quality.gate import quality_gate
    from ..reports import build_reports

    s = load_settings(warehouse=args.warehouse, reports_dir=args.reports)
    warehouse = require_warehouse(s)
    gate = quality_gate(warehouse)
    if not gate.passed and not args.force:
        raise CommandError(f"report refused, {gate.line()}", EXIT_GATE)
    if not gate.passed:
        print(f"nhcs report: UNVERIFIED briefing (--force), {gate.line()}")
    unverified = gate.note_vi() or None
    for path in build_reports(warehouse, s.reports_dir, args.as_of, unverified=unverified):
        print(path)
    return EXIT_OK


def publish(args: argparse.Namespace) -> int:
    from ..publish import publish
    from ..quality.gate import quality_gate

    s = load_settings(warehouse=args.warehouse)
    warehouse = require_warehouse(s)
    gate = quality_gate(warehouse)
    if not gate.passed:
        raise CommandError(f"publish refused, {gate.line()}", EXIT_GATE)
    pub = publish(warehouse, s.analytics_db, full=args.full)
    print(pub.summary())
    print(pub.path)
    return EXIT_OK


# --- validate, explain --------------------------------------------------------------------


def validate(args: argparse.Namespace) -> int:
    from ..validate.command import validate_command

    return validate_command(
        args.folder, args.out, manifest=args.write_manifest, workers=args.workers, progress=stamp
    )


def explain(args: argparse.Namespace) -> int:
    from ..explain import ExplainError, explain_command
    from ..runner.manifest import prepare_dbt_manifest

    s = load_settings(warehouse=args.warehouse)
    database = s.analytics_db if args.published else require_warehouse(s)
    if not database.exists():
        raise CommandError(
            f"{shown(database)} does not exist: run `nhcs publish` first", EXIT_NO_INPUT
        )
    manifest = prepare_dbt_manifest(s, force=False)
    try:
        return explain_command(database, args.figure, args.as_of, manifest)
    except ExplainError as exc:
        raise CommandError(f"explain: {exc}", EXIT_USAGE) from exc


# --- bench --------------------------------------------------------------------------------


def bench(args: argparse.Namespace) -> int:
    from ..bench import run_bench

    if args.raw and len(args.scenario or ()) != 1:
        raise CommandError(
            "bench --raw needs exactly one --scenario (it names the results)", EXIT_USAGE
        )
    out = run_bench(
        args.scenario or ["hanoi-0.1", "hanoi-1.0"],
        Path(args.out),
        keep=args.keep,
        progress=stamp,
        engines=bench_engines(args),
        raw_dir=Path(args.raw).resolve() if args.raw else None,
        main_only=args.main_only,
        calibration=args.calibration.resolve() if args.calibration else None,
        dagster_storage=args.dagster_storage,
    )
    print((out / "results.md").read_text(encoding="utf-8"))
    return EXIT_OK


def bench_engines(args: argparse.Namespace) -> tuple[str, ...]:
    """With --main-only, exactly the engines named (default duckdb); otherwise DuckDB always
    runs, since the stage-by-stage runs and the floors are measured on its warehouse."""
    named = tuple(dict.fromkeys(args.engine or ()))
    if args.main_only:
        return named or ("duckdb",)
    return ("duckdb", *(e for e in named if e != "duckdb"))


# --- postgres -----------------------------------------------------------------------------


def postgres(args: argparse.Namespace) -> int:
    from .. import pgserver

    srv = pgserver.server()
    try:
        if args.action == "start":
            pgserver.start(srv)
            stamp(f"PostgreSQL on 127.0.0.1:{srv.port}, data in {srv.data_dir}")
            print(f"export NHCS_DAGSTER_PG_URL={srv.url}")
        elif args.action == "stop":
            stopped = pgserver.stop(srv)
            stamp("stopped" if stopped else f"not running ({srv.data_dir})")
        else:
            running = (srv.data_dir / "PG_VERSION").exists() and pgserver.is_running(srv)
            print(f"{'running' if running else 'stopped'}: {srv.url} ({srv.data_dir})")
            if not running:
                raise CommandError(f"PostgreSQL is not running ({srv.data_dir})", EXIT_FAILED)
    except pgserver.PostgresError as exc:
        raise CommandError(f"postgres: {exc}", EXIT_FAILED) from exc
    return EXIT_OK


# --- spark-cluster ------------------------------------------------------------------------


def spark_cluster(args: argparse.Namespace) -> int:
    from ..spark_cluster import cluster_command

    options = {
        k: getattr(args, k) for k in ("master_port", "master_ui_port", "thrift_port", "workers")
    }
    s = load_settings(warehouse=args.warehouse)
    if cluster_command(args.action, s, stamp, print, **options) != EXIT_OK:
        raise CommandError(
            f"the Spark cluster is not running or not healthy (state in {shown(s.spark_dir)}): "
            "`nhcs spark-cluster start`",
            EXIT_FAILED,
        )
    return EXIT_OK


# --- ui -----------------------------------------------------------------------------------


def ui(args: argparse.Namespace) -> int:
    from ..runner.instance import dagster_home
    from ..runner.manifest import MANIFEST, prepare_dbt_manifest

    home = dagster_home()
    s = load_settings()
    if not MANIFEST.exists():
        prepare_dbt_manifest(s)
    # `dagster dev` loads the definitions in processes of its own: the settings reach them in
    # their environment (this process's stays as it is).
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "NHCS_RAW_DIR": str(s.raw_dir),
        "NHCS_WAREHOUSE": str(s.warehouse),
        "NHCS_REPORTS_DIR": str(s.reports_dir),
        "NHCS_ENGINE": s.engine,
    }
    dagster = Path(sys.executable).with_name("dagster")
    # `dagster dev` runs the webserver and the daemon (schedules, sensors, freshness) together.
    cmd = [
        str(dagster),
        "dev",
        "-m",
        "pipelines.definitions",
        "--host",
        args.host,
        "--port",
        str(args.port),
    ]
    stamp(f"Dagster UI on http://{args.host}:{args.port} (DAGSTER_HOME={home})")
    return subprocess.call(cmd, env=env, cwd=PROJECT_ROOT)
