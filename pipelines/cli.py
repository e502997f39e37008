"""The ``nhcs`` command: what the Makefile, the scheduler and people call.

Each subcommand is a thin shell over a domain function (or the Dagster job for ``run``), so the
CLI, Dagster and the tests exercise the same code. Imports are lazy: ``nhcs --help`` stays fast.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from contextlib import nullcontext
from datetime import date
from pathlib import Path

from .settings import DBT_PROJECT_DIR, PROJECT_ROOT, SettingsError, load_settings

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2  # as argparse: an option or setting the command cannot use
EXIT_REJECTIONS = 3


def _progress(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _has_deliveries(raw_dir: Path) -> bool:
    return raw_dir.is_dir() and any(
        p.is_dir() and not p.name.startswith(("_", ".")) for p in raw_dir.iterdir()
    )


# --- generate -----------------------------------------------------------------------------


def cmd_generate(args: argparse.Namespace) -> int:
    from .generate import generate

    raw_dir = load_settings(raw_dir=args.raw).raw_dir
    if args.if_empty and _has_deliveries(raw_dir):
        _progress(f"{raw_dir} already holds deliveries: not generating (drop --if-empty to add)")
        return EXIT_OK
    summary = generate(
        raw_dir,
        Path(args.calibration) if args.calibration else None,
        scale=args.scale,
        seed=args.seed,
        fmt=args.format,
        inject=args.inject or (),
        progress=_progress,
    )
    _progress(f"generated into {raw_dir}: {summary}")
    return EXIT_OK


# --- ingest -------------------------------------------------------------------------------


def cmd_ingest(args: argparse.Namespace) -> int:
    from .engines import lake_dir_for_ingest
    from .ingest import ingest
    from .warehouse_lock import warehouse_lock

    s = load_settings(raw_dir=args.raw, warehouse=args.warehouse)
    dates = [date.fromisoformat(d) for d in args.date] if args.date else None
    lake = s.lake_dir if args.lake else lake_dir_for_ingest(s)
    with warehouse_lock(s.warehouse, progress=_progress):
        result = ingest(s.raw_dir, s.warehouse, dates=dates, progress=_progress, lake_dir=lake)
    for line in result.summary_lines():
        print(line)
    for r in result.rejections:
        print(f"REJECTED {r.message}", file=sys.stderr)
    return EXIT_OK if not result.rejections else EXIT_REJECTIONS


# --- dbt ----------------------------------------------------------------------------------


def _dbt_inputs_digest() -> str:
    """What dbt's parse depends on: every project file (path, size, mtime), the dbt version and
    the NHCS_* environment (profiles.yml and dbt_project.yml read env vars)."""
    import hashlib

    h = hashlib.sha256(Path(sys.executable).with_name("dbt").resolve().as_posix().encode())
    for p in sorted(DBT_PROJECT_DIR.rglob("*")):
        rel = p.relative_to(DBT_PROJECT_DIR).parts
        if rel[0] in {"target", "logs", "dbt_packages"} or not p.is_file():
            continue
        st = p.stat()
        h.update(f"{'/'.join(rel)}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    for key in sorted(k for k in os.environ if k.startswith("NHCS_")):
        h.update(f"{key}={os.environ[key]}\n".encode())
    return h.hexdigest()


def prepare_dbt_manifest(quiet: bool = True, force: bool = True) -> Path:
    """Parse the dbt project so dagster-dbt can load its manifest (never done at import).

    With ``force=False`` the parse is skipped when nothing it depends on changed since the
    last one (``target/.nhcs-parse-inputs``): a nightly run then saves dbt's start-up."""
    from .engines import dbt_env, dbt_target_args

    target = DBT_PROJECT_DIR / "target"
    manifest, stamp = target / "manifest.json", target / ".nhcs-parse-inputs"
    settings = load_settings()
    env = {**os.environ, **dbt_env(settings)}
    digest = _dbt_inputs_digest()
    if not force and manifest.exists() and stamp.exists() and stamp.read_text() == digest:
        return manifest
    dbt = Path(sys.executable).with_name("dbt")
    cmd = [
        str(dbt),
        "parse",
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        # the run's target: its partial-parse state is then reused by the build
        *dbt_target_args(settings),
    ]
    if quiet:
        cmd.append("--quiet")
    subprocess.run(cmd, check=True, env=env, cwd=DBT_PROJECT_DIR)
    stamp.write_text(digest)
    return manifest


def cmd_dbt_prepare(args: argparse.Namespace) -> int:
    path = prepare_dbt_manifest(quiet=not args.verbose)
    _progress(f"dbt manifest ready: {path.relative_to(PROJECT_ROOT)}")
    return EXIT_OK


# --- run ----------------------------------------------------------------------------------


DAGSTER_YAML_MARK = "# Written by `nhcs`"
DAGSTER_YAML = """\
# Written by `nhcs` (rewritten by it while this line stays: delete the line to keep your own
# edits). Runs that write the warehouse are queued one at a time (DuckDB has a single writer);
# the rest may run beside them.
run_queue:
  max_concurrent_runs: 4
  tag_concurrency_limits:
    - key: "nhcs/writes-warehouse"
      limit: 1
telemetry:
  enabled: false
"""
# NHCS_DAGSTER_PG_URL set: runs, event log and schedules in PostgreSQL (docs/operations.md).
DAGSTER_YAML_POSTGRES = """\
storage:
  postgres:
    postgres_url:
      env: NHCS_DAGSTER_PG_URL
"""


def dagster_home() -> Path:
    """A persistent DAGSTER_HOME under the project unless one is set: runs from `nhcs run`
    then show in the UI's history. Its dagster.yaml keeps Dagster's storage in SQLite files
    there, or in PostgreSQL when ``NHCS_DAGSTER_PG_URL`` is set."""
    home = Path(os.environ.get("DAGSTER_HOME") or PROJECT_ROOT / ".dagster_home")
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    wanted = DAGSTER_YAML + (DAGSTER_YAML_POSTGRES if os.environ.get("NHCS_DAGSTER_PG_URL") else "")
    if not config.exists() or (
        config.read_text(encoding="utf-8").startswith(DAGSTER_YAML_MARK)
        and config.read_text(encoding="utf-8") != wanted
    ):
        config.write_text(wanted, encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def run_main_job(settings, *, dates=None, progress=_progress, instance=None, full_refresh=False):
    """Run the night's two jobs in process, as the schedule and the sensors do: the ingest job
    over every delivered data date (or ``dates``) as one ranged run, then the build job.
    Returns the results of the runs made (the build is skipped when the ingest run failed).
    ``full_refresh``: the build rebuilds every partition of the incremental dbt models."""
    from dagster import DagsterInstance

    from .definitions import BUILD_JOB, INGEST_JOB, defs
    from .defs.automation import build_request
    from .defs.dbt import DBT_OP
    from .defs.partitions import DAILY
    from .deliveries import delivered_dates
    from .warehouse_lock import warehouse_lock

    valid = set(DAILY.get_partition_keys())
    wanted = dates if dates is not None else delivered_dates(settings.raw_dir)
    keys = sorted(d.isoformat() for d in wanted if d.isoformat() in valid)
    if not keys:
        raise SystemExit(f"no complete delivery folder under {settings.raw_dir} for {wanted}")
    tags = {
        "dagster/asset_partition_range_start": keys[0],
        "dagster/asset_partition_range_end": keys[-1],
        "nhcs/trigger": "cli",
    }
    progress(f"{INGEST_JOB}: data dates {keys[0]} .. {keys[-1]}")
    results = []
    with (
        warehouse_lock(settings.warehouse, progress=progress),
        DagsterInstance.get() if instance is None else nullcontext(instance) as inst,
    ):
        ingest = defs.resolve_job_def(INGEST_JOB).execute_in_process(
            instance=inst, tags=tags, raise_on_error=False
        )
        results.append(ingest)
        if ingest.success:
            progress(f"{BUILD_JOB}: models, checks, briefing, publication")
            request = build_request(ingest.run_id, tags)
            results.append(
                defs.resolve_job_def(BUILD_JOB).execute_in_process(
                    instance=inst,
                    tags={**request.tags, "nhcs/trigger": "cli"},
                    raise_on_error=False,
                    run_config={"ops": {DBT_OP: {"config": {"full_refresh": full_refresh}}}},
                )
            )
    return results


def cmd_run(args: argparse.Namespace) -> int:
    s = load_settings(
        raw_dir=args.raw, warehouse=args.warehouse, reports_dir=args.reports, engine=args.engine
    )
    if not _has_deliveries(s.raw_dir):
        print(
            f"No deliveries under {s.raw_dir}. Drop real deliveries there (see README) or run "
            "`nhcs generate` for the demo.",
            file=sys.stderr,
        )
        return EXIT_FAILED
    # The job's resources read these when the definitions are loaded.
    os.environ.update(
        NHCS_RAW_DIR=str(s.raw_dir),
        NHCS_WAREHOUSE=str(s.warehouse),
        NHCS_REPORTS_DIR=str(s.reports_dir),
        NHCS_ENGINE=s.engine,
    )
    s.warehouse.parent.mkdir(parents=True, exist_ok=True)
    # A manifest older than the models makes dagster-dbt fail mid-run on nodes it does not
    # know: re-parse whenever a project file or the NHCS_* environment changed.
    prepare_dbt_manifest(force=False)
    dagster_home()
    started = time.monotonic()
    dates = [date.fromisoformat(d) for d in args.date] if args.date else None
    results = run_main_job(s, dates=dates, full_refresh=args.full_refresh)
    elapsed = time.monotonic() - started
    failed = [r for r in results if not r.success]
    skipped = [e for r in results for e in r.all_events if e.event_type_value == "STEP_SKIPPED"]
    if failed or skipped or len(results) < 2:
        for result in failed:
            for event in result.all_events:
                if event.is_failure:
                    print(f"FAILED {event.step_key}: {event.message}", file=sys.stderr)
        # A step skipped for want of its inputs leaves the run "successful" in Dagster, but the
        # briefing or the publication did not happen: that is a failed run for the night.
        for event in skipped:
            print(f"SKIPPED {event.step_key}: {event.message}", file=sys.stderr)
        _progress(f"run failed after {elapsed:.0f}s (run ids {[r.run_id for r in results]})")
        return EXIT_FAILED
    rejected = _rejected_files(results[0])
    _progress(f"run succeeded in {elapsed:.0f}s (run ids {[r.run_id for r in results]})")
    if rejected:
        print(
            f"{rejected} delivered file(s) were rejected and not loaded: see raw._rejections "
            "and data/quarantine/ (docs/operations.md)",
            file=sys.stderr,
        )
        return EXIT_REJECTIONS
    return EXIT_OK


def _rejected_files(result) -> int:
    """Rejected files reported by the ingest step in this run. A ranged run records the same
    metadata once per partition, hence one figure per raw asset."""
    per_asset: dict[str, int] = {}
    for event in result.get_asset_materialization_events():
        mat = event.event_specific_data.materialization
        if mat.asset_key.path[0] == "raw" and "rejected_files" in mat.metadata:
            per_asset[mat.asset_key.to_user_string()] = int(mat.metadata["rejected_files"].value)
    return sum(per_asset.values())


# --- postgres -----------------------------------------------------------------------------


def cmd_postgres(args: argparse.Namespace) -> int:
    from . import pgserver

    srv = pgserver.server()
    try:
        if args.action == "start":
            pgserver.start(srv)
            _progress(f"PostgreSQL on 127.0.0.1:{srv.port}, data in {srv.data_dir}")
            print(f"export NHCS_DAGSTER_PG_URL={srv.url}")
        elif args.action == "stop":
            stopped = pgserver.stop(srv)
            _progress("stopped" if stopped else f"not running ({srv.data_dir})")
        else:
            running = (srv.data_dir / "PG_VERSION").exists() and pgserver.is_running(srv)
            print(f"{'running' if running else 'stopped'}: {srv.url} ({srv.data_dir})")
            return EXIT_OK if running else EXIT_FAILED
    except pgserver.PostgresError as exc:
        print(f"postgres: {exc}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


# --- check, report, publish ---------------------------------------------------------------


def cmd_check(args: argparse.Namespace) -> int:
    from .quality.command import check_command
    from .warehouse_lock import warehouse_lock

    s = load_settings(warehouse=args.warehouse)
    as_of = date.fromisoformat(args.date) if args.date else None
    with warehouse_lock(s.warehouse, progress=_progress):
        return check_command(
            s.warehouse,
            as_of=as_of,
            max_rows=args.max_rows,
            progress=None,
            incremental=not args.all,
        )


def cmd_report(args: argparse.Namespace) -> int:
    from .reports import build_reports

    s = load_settings(warehouse=args.warehouse, reports_dir=args.reports)
    as_of = date.fromisoformat(args.as_of) if args.as_of else None
    for path in build_reports(s.warehouse, s.reports_dir, as_of):
        print(path)
    return EXIT_OK


def cmd_publish(args: argparse.Namespace) -> int:
    from .publish import publish

    s = load_settings(warehouse=args.warehouse)
    pub = publish(s.warehouse, s.analytics_db, full=args.full)
    print(pub.summary())
    print(pub.path)
    return EXIT_OK


# --- validate, explain --------------------------------------------------------------------


def cmd_validate(args: argparse.Namespace) -> int:
    from .validate.command import validate_command

    return validate_command(
        Path(args.folder),
        Path(args.out),
        manifest=args.write_manifest,
        workers=args.workers,
        progress=_progress,
    )


def cmd_explain(args: argparse.Namespace) -> int:
    from .explain import ExplainError, explain_command

    s = load_settings(warehouse=args.warehouse)
    database = s.analytics_db if args.published else s.warehouse
    if not database.exists():
        print(f"nhcs explain: {database} does not exist (run the pipeline first)", file=sys.stderr)
        return EXIT_FAILED
    manifest = prepare_dbt_manifest(force=False)
    as_of = date.fromisoformat(args.as_of) if args.as_of else None
    try:
        return explain_command(database, args.figure, as_of, manifest)
    except ExplainError as exc:
        print(f"nhcs explain: {exc}", file=sys.stderr)
        return EXIT_USAGE


# --- bench --------------------------------------------------------------------------------


def cmd_bench(args: argparse.Namespace) -> int:
    from .bench import run_bench

    if args.raw and len(args.scenario or ()) != 1:
        print("--raw needs exactly one --scenario (it names the results)", file=sys.stderr)
        return EXIT_FAILED
    out = run_bench(
        args.scenario or ["hanoi-0.1", "hanoi-1.0"],
        Path(args.out),
        keep=args.keep,
        progress=_progress,
        engines=_bench_engines(args),
        raw_dir=Path(args.raw).resolve() if args.raw else None,
        main_only=args.main_only,
        calibration=Path(args.calibration).resolve() if args.calibration else None,
        dagster_storage=args.dagster_storage,
    )
    print((out / "results.md").read_text(encoding="utf-8"))
    return EXIT_OK


def _bench_engines(args: argparse.Namespace) -> tuple[str, ...]:
    """With --main-only, exactly the engines named (default duckdb); otherwise DuckDB always
    runs, since the stage-by-stage runs and the floors are measured on its warehouse."""
    named = tuple(dict.fromkeys(args.engine or ()))
    if args.main_only:
        return named or ("duckdb",)
    return ("duckdb", *(e for e in named if e != "duckdb"))


# --- ui -----------------------------------------------------------------------------------


def cmd_ui(args: argparse.Namespace) -> int:
    home = dagster_home()
    if not (DBT_PROJECT_DIR / "target" / "manifest.json").exists():
        prepare_dbt_manifest()
    s = load_settings()
    env = {
        **os.environ,
        "NHCS_RAW_DIR": str(s.raw_dir),
        "NHCS_WAREHOUSE": str(s.warehouse),
        "NHCS_REPORTS_DIR": str(s.reports_dir),
    }
    dagster = Path(sys.executable).with_name("dagster")
    # `dagster dev` runs the webserver and the daemon (schedules, sensors) together.
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
    _progress(f"Dagster UI on http://{args.host}:{args.port} (DAGSTER_HOME={home})")
    return subprocess.call(cmd, env=env, cwd=PROJECT_ROOT)


# --- parser -------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="nhcs",
        description="NHCSXH Hanoi policy-credit pipeline: branch exports -> DuckDB -> briefing.",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    g = sub.add_parser("generate", help="write calibrated demo deliveries")
    g.add_argument("--calibration", help="calibration YAML (default: the shipped Hanoi Q1 2022)")
    g.add_argument("--raw", help="raw deliveries folder (default: $NHCS_RAW_DIR or data/raw)")
    g.add_argument("--scale", type=float, help="fraction of customers (overrides the file)")
    g.add_argument("--seed", type=int, help="random seed (overrides the file)")
    g.add_argument("--format", choices=["xlsx", "csv", "parquet"], default="xlsx")
    g.add_argument(
        "--inject",
        action="append",
        metavar="FAULT",
        help="add a named fault (repeatable); see docs/generator.md",
    )
    g.add_argument(
        "--if-empty",
        action="store_true",
        help="do nothing when the raw folder already holds deliveries",
    )
    g.set_defaults(func=cmd_generate)

    i = sub.add_parser("ingest", help="load complete deliveries into raw.* tables")
    i.add_argument("--raw", help="raw deliveries folder")
    i.add_argument("--warehouse", help="DuckDB file (default: $NHCS_WAREHOUSE)")
    grp = i.add_mutually_exclusive_group()
    grp.add_argument(
        "--date", action="append", metavar="YYYY-MM-DD", help="only this data date (repeatable)"
    )
    grp.add_argument("--all", action="store_true", help="every complete delivery (default)")
    i.add_argument(
        "--lake",
        action="store_true",
        help="also mirror the raw tables as partitioned Parquet into $NHCS_LAKE_DIR "
        "(default: lake/ beside the warehouse); on by default with NHCS_ENGINE=spark",
    )
    i.set_defaults(func=cmd_ingest)

    r = sub.add_parser(
        "run", help="run the whole pipeline (the Dagster ingest and build jobs, in process)"
    )
    r.add_argument("--raw")
    r.add_argument("--warehouse")
    r.add_argument("--reports")
    r.add_argument(
        "--date",
        action="append",
        metavar="YYYY-MM-DD",
        help="only these data dates (a range from the first to the last); "
        "default: every delivered date",
    )
    r.add_argument(
        "--engine",
        choices=["duckdb", "spark"],
        help="which engine builds the dbt models (default: $NHCS_ENGINE or duckdb); spark "
        "reads the Parquet lake and is copied back into the warehouse (docs/scale-out.md)",
    )
    r.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild every month of the incremental dbt models (after a change to a model's "
        "SQL; a night rebuilds only the months its deliveries touched)",
    )
    r.set_defaults(func=cmd_run)

    from .bench import SCENARIOS

    b = sub.add_parser("bench", help="measure every stage against its floor (docs/performance.md)")
    b.add_argument(
        "--scenario",
        action="append",
        choices=sorted(SCENARIOS),
        help="repeatable; default hanoi-0.1 and hanoi-1.0. nightly-*: three nights (a journal "
        "day, a month-end, a re-delivered old file) after the history; nightly-history-* after "
        "the five-quarter calibration",
    )
    b.add_argument(
        "--dagster-storage",
        choices=["sqlite", "postgres"],
        default="sqlite",
        help="Dagster's instance during the runs: SQLite files (default) or a local PostgreSQL "
        "server the bench starts and stops (docs/operations.md)",
    )
    b.add_argument(
        "--calibration",
        help="generate the scenarios from this calibration file instead of their own",
    )
    b.add_argument("--out", default=str(PROJECT_ROOT / "data" / "bench"))
    b.add_argument("--keep", action="store_true", help="keep the generated deliveries")
    b.add_argument(
        "--engine",
        action="append",
        choices=["duckdb", "spark"],
        help="build on this engine (repeatable). The full scenario always runs duckdb too; "
        "with --main-only exactly the engines named run (default duckdb)",
    )
    b.add_argument(
        "--raw",
        help="benchmark these existing deliveries instead of generating them (read only; "
        "with one --scenario, which then only names the results)",
    )
    b.add_argument(
        "--main-only",
        action="store_true",
        help="only each engine's main job (its log gives each step), the SQL floor and "
        "DuckDB's nightly run",
    )
    b.set_defaults(func=cmd_bench)

    pg = sub.add_parser(
        "postgres",
        help="a local PostgreSQL server for Dagster's instance (loopback; docs/operations.md)",
    )
    pg.add_argument("action", choices=["start", "stop", "status"])
    pg.set_defaults(func=cmd_postgres)

    c = sub.add_parser("check", help="run the reconciliation checks on the current warehouse")
    c.add_argument("--warehouse")
    c.add_argument("--date", metavar="YYYY-MM-DD", help="only this as-of date")
    c.add_argument("--max-rows", type=int, default=10, help="failing rows shown per check")
    c.add_argument(
        "--all",
        action="store_true",
        help="validate every month again (default: only the months whose recon rows changed "
        "since they were validated; the others are carried forward)",
    )
    c.set_defaults(func=cmd_check)

    rp = sub.add_parser("report", help="write the briefing and exception lists from the marts")
    rp.add_argument("--warehouse")
    rp.add_argument("--reports", help="reports folder (default: $NHCS_REPORTS_DIR)")
    rp.add_argument(
        "--as-of",
        metavar="YYYY-MM-DD",
        help="month-end (default: the latest quarter-end in the marts)",
    )
    rp.set_defaults(func=cmd_report)

    pb = sub.add_parser(
        "publish",
        help="publish analytics.duckdb and the marts as Parquet/CSV for analysts (atomic swap)",
    )
    pb.add_argument("--warehouse")
    pb.add_argument(
        "--full",
        action="store_true",
        help="write every table anew instead of updating the spare with what changed",
    )
    pb.set_defaults(func=cmd_publish)

    v = sub.add_parser(
        "validate",
        help="check an office's delivery folder before it is sent (no warehouse needed); "
        "exit 0 pass, 1 identity break, 3 rejected (docs/validate.md)",
    )
    v.add_argument("folder", metavar="FOLDER", help="the delivery folder <raw>/<YYYY-MM-DD>/<UNIT>")
    v.add_argument(
        "--out", default=".", help="where the report (HTML, XLSX) goes (default: this folder)"
    )
    v.add_argument(
        "--write-manifest",
        action="store_true",
        help="if the folder passes, write its manifest (manifest.csv, or manifest_rN.csv for a "
        "re-delivery); nothing else is ever written into the folder",
    )
    v.add_argument("--workers", type=int, default=2, help="reader processes (default 2)")
    v.set_defaults(func=cmd_validate)

    x = sub.add_parser(
        "explain",
        help="a briefing figure (F1..F14 or a mart column) at a month-end: definition, model "
        "chain, parts by office and organization with their delivered files",
    )
    x.add_argument("figure", metavar="FIGURE", help="F1..F14, or a column of mart_briefing_kpis")
    x.add_argument("--as-of", metavar="YYYY-MM-DD", help="month-end (default: the latest)")
    x.add_argument("--warehouse", help="DuckDB file (default: $NHCS_WAREHOUSE)")
    x.add_argument(
        "--published",
        action="store_true",
        help="read the published analytics.duckdb instead of the working warehouse",
    )
    x.set_defaults(func=cmd_explain)

    d = sub.add_parser("dbt-prepare", help="parse the dbt project for Dagster (manifest)")
    d.add_argument("--verbose", action="store_true")
    d.set_defaults(func=cmd_dbt_prepare)

    u = sub.add_parser("ui", help="the Dagster UI with its daemon")
    u.add_argument(
        "--host",
        default="127.0.0.1",
        help="bind address (default 127.0.0.1: not exposed to the network)",
    )
    u.add_argument("--port", type=int, default=3000)
    u.set_defaults(func=cmd_ui)
    return p


def subcommands() -> set[str]:
    """The names of the ``nhcs`` subcommands."""
    return set(build_parser()._subparsers._group_actions[0].choices)  # noqa: SLF001


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except SettingsError as exc:
        print(f"nhcs: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
