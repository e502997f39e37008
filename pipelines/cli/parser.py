"""The ``nhcs`` argument parser: every option with its help, dates checked as they are parsed.

Kept free of heavy imports, so ``nhcs --help`` answers at once.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from ..settings import PROJECT_ROOT, engines
from .errors import EXIT_USAGE

# The generator's formats and the benchmark's scenarios, named here so that `nhcs --help` does
# not import those packages (tests/test_cli_parser.py fails when they drift apart).
FORMATS = ("xlsx", "csv", "parquet")
SCENARIOS = (
    "hanoi-0.1",
    "hanoi-1.0",
    "national",
    "nightly-0.1",
    "nightly-1.0",
    "nightly-history-0.1",
    "nightly-history-1.0",
)


class Parser(argparse.ArgumentParser):
    """argparse, with its usage errors on one line: ``nhcs: <command>: <what is wrong>``."""

    def error(self, message: str):
        command = self.prog.removeprefix("nhcs").strip()
        where = f"{command}: " if command else ""
        self.exit(EXIT_USAGE, f"nhcs: {where}{message} (see {self.prog} --help)\n")


def iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a date YYYY-MM-DD (e.g. 2022-03-31), got {text!r}"
        ) from None


def positive_number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a number above 0, got {text!r}")
    return value


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def existing_file(text: str) -> Path:
    path = Path(text)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"no such file: {path.resolve()}")
    return path


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("nhcs-pipelines")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


RAW_HELP = "raw deliveries folder (default: $NHCS_RAW_DIR, else data/raw)"
WAREHOUSE_HELP = (
    "the DuckDB warehouse (default: $NHCS_WAREHOUSE, else data/warehouse/warehouse.duckdb)"
)
REPORTS_HELP = "reports folder (default: $NHCS_REPORTS_DIR, else data/reports)"


def build_parser() -> argparse.ArgumentParser:
    p = Parser(
        prog="nhcs",
        description="NHCSXH Hanoi policy-credit pipeline: branch exports -> DuckDB -> briefing. "
        "Exit codes: docs/operations.md.",
    )
    p.add_argument(
        "--version",
        action="version",
        version=f"nhcs {_version()}",
        help="print the version and exit",
    )
    p.add_argument(
        "--debug",
        action="store_true",
        help="print the Python traceback of a failure (default: one line)",
    )
    # --debug is accepted after the subcommand too; SUPPRESS keeps the global value otherwise.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print the Python traceback of a failure (default: one line)",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help, description=help, parents=[common])

    g = command("generate", "write calibrated demo deliveries (docs/generator.md)")
    g.add_argument(
        "--calibration",
        type=existing_file,
        metavar="YAML",
        help="calibration file (default: the shipped Hanoi Q1 2022)",
    )
    g.add_argument("--raw", help=RAW_HELP)
    g.add_argument(
        "--scale",
        type=positive_number,
        help="fraction of the calibrated customers (overrides the file's scale)",
    )
    g.add_argument("--seed", type=int, help="random seed (overrides the file's seed)")
    g.add_argument(
        "--format",
        choices=FORMATS,
        default="xlsx",
        help="file format of the deliveries (default: xlsx, as the branch sends)",
    )
    g.add_argument(
        "--inject",
        action="append",
        metavar="FAULT",
        help="add a named fault (repeatable); the list is in docs/generator.md",
    )
    g.add_argument(
        "--if-empty",
        action="store_true",
        help="do nothing when the raw folder already holds deliveries",
    )
    g.set_defaults(handler="generate")

    i = command("ingest", "load complete deliveries into the raw.* tables")
    i.add_argument("--raw", help=RAW_HELP)
    i.add_argument("--warehouse", help=WAREHOUSE_HELP)
    dates = i.add_mutually_exclusive_group()
    dates.add_argument(
        "--date",
        action="append",
        type=iso_date,
        metavar="YYYY-MM-DD",
        help="only the deliveries of this data date (repeatable)",
    )
    dates.add_argument("--all", action="store_true", help="every complete delivery (the default)")
    i.add_argument(
        "--lake",
        action="store_true",
        help="also mirror the raw tables as partitioned Parquet into $NHCS_LAKE_DIR "
        "(default: lake/ beside the warehouse); with a Spark engine the rows go to the lake only",
    )
    i.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="one line per delivery folder (default: the totals)",
    )
    i.set_defaults(handler="ingest")

    r = command(
        "run", "run the whole pipeline: the Dagster jobs nhcs_ingest then nhcs_build, in process"
    )
    r.add_argument("--raw", help=RAW_HELP)
    r.add_argument("--warehouse", help=WAREHOUSE_HELP)
    r.add_argument("--reports", help=REPORTS_HELP)
    r.add_argument(
        "--date",
        action="append",
        type=iso_date,
        metavar="YYYY-MM-DD",
        help="only the delivered dates from the first to the last --date given "
        "(default: every delivered date)",
    )
    r.add_argument(
        "--engine",
        choices=engines(),
        help="which engine builds the dbt models (default: $NHCS_ENGINE, else duckdb): "
        "duckdb, spark (a local session) or spark-thrift (a Spark cluster, e.g. `nhcs "
        "spark-cluster start`); the Spark engines read the Parquet lake (docs/scale-out.md)",
    )
    r.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="show Dagster's and dbt's full logs here instead of in the log file",
    )
    r.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild every month of the incremental dbt models (after a change to a model's "
        "SQL; a night rebuilds only the months its deliveries touched)",
    )
    r.add_argument(
        "--summary-json",
        type=Path,
        metavar="PATH",
        help="also write the steps and their durations as JSON to PATH (the benchmark reads it)",
    )
    r.set_defaults(handler="run")

    c = command("check", "run the reconciliation checks on the current warehouse")
    c.add_argument("--warehouse", help=WAREHOUSE_HELP)
    c.add_argument(
        "--date",
        type=iso_date,
        metavar="YYYY-MM-DD",
        help="only this as-of date (default: every date)",
    )
    c.add_argument(
        "--max-rows",
        type=positive_int,
        default=10,
        metavar="N",
        help="failing rows shown per check (default: 10; all are stored)",
    )
    c.add_argument(
        "--all",
        action="store_true",
        help="validate every month again (default: only the months whose recon rows changed "
        "since they were validated; the others are carried forward)",
    )
    c.set_defaults(handler="check")

    rp = command(
        "report",
        "write the briefing and the exception lists from the marts; refused (exit 4) unless "
        "the latest quality run passed every blocking check",
    )
    rp.add_argument("--warehouse", help=WAREHOUSE_HELP)
    rp.add_argument("--reports", help=REPORTS_HELP)
    rp.add_argument(
        "--as-of",
        type=iso_date,
        metavar="YYYY-MM-DD",
        help="the month-end to report (default: the latest quarter-end in the marts)",
    )
    rp.add_argument(
        "--force",
        action="store_true",
        help="write the briefing even when the latest quality run failed a blocking check "
        "(or none ran): it is marked CHƯA ĐƯỢC KIỂM CHỨNG (unverified) in the HTML and XLSX; "
        "it is never published",
    )
    rp.set_defaults(handler="report")

    pb = command(
        "publish",
        "publish analytics.duckdb and the marts as Parquet/CSV for analysts (atomic swap); "
        "refused (exit 4) unless the latest quality run passed every blocking check",
    )
    pb.add_argument("--warehouse", help=WAREHOUSE_HELP)
    pb.add_argument(
        "--full",
        action="store_true",
        help="write every table anew instead of updating the spare with what changed",
    )
    pb.set_defaults(handler="publish")

    v = command(
        "validate",
        "check an office's delivery folder before it is sent (no warehouse needed); exit 0 "
        "pass, 1 identity break, 3 rejected (docs/validate.md)",
    )
    v.add_argument(
        "folder", metavar="FOLDER", type=Path, help="the delivery folder <raw>/<YYYY-MM-DD>/<UNIT>"
    )
    v.add_argument(
        "--out",
        type=Path,
        default=Path("."),
        help="where the report (HTML, XLSX) goes (default: this folder)",
    )
    v.add_argument(
        "--write-manifest",
        action="store_true",
        help="if the folder passes, write its manifest (manifest.csv, or manifest_rN.csv for a "
        "re-delivery); nothing else is ever written into the folder",
    )
    v.add_argument("--workers", type=positive_int, default=2, help="reader processes (default 2)")
    v.set_defaults(handler="validate")

    x = command(
        "explain",
        "a briefing figure (F1..F14 or a mart column) at a month-end: definition, model chain, "
        "parts by office and organization with their delivered files",
    )
    x.add_argument("figure", metavar="FIGURE", help="F1..F14, or a column of mart_briefing_kpis")
    x.add_argument(
        "--as-of",
        type=iso_date,
        metavar="YYYY-MM-DD",
        help="the month-end (default: the latest in the marts)",
    )
    x.add_argument("--warehouse", help=WAREHOUSE_HELP)
    x.add_argument(
        "--published",
        action="store_true",
        help="read the published analytics.duckdb instead of the working warehouse",
    )
    x.set_defaults(handler="explain")

    b = command("bench", "measure every stage against its floor (docs/performance.md)")
    b.add_argument(
        "--scenario",
        action="append",
        choices=SCENARIOS,
        help="scenario to measure (repeatable; default: hanoi-0.1 and hanoi-1.0). nightly-*: "
        "three nights (a journal day, a month-end, a re-delivered old file) after the history; "
        "nightly-history-* after the five-quarter calibration",
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
        type=existing_file,
        metavar="YAML",
        help="generate the scenarios from this calibration file instead of their own",
    )
    b.add_argument(
        "--out",
        default=str(PROJECT_ROOT / "data" / "bench"),
        metavar="DIR",
        help="where the results go (default: data/bench)",
    )
    b.add_argument("--keep", action="store_true", help="keep the generated deliveries")
    b.add_argument(
        "--engine",
        action="append",
        choices=engines(),
        help="build on this engine (repeatable). The full scenario always runs duckdb "
        "too; with --main-only exactly the engines named run (default duckdb)",
    )
    b.add_argument(
        "--raw",
        help="benchmark these existing deliveries instead of generating them (read "
        "only; with one --scenario, which then only names the results)",
    )
    b.add_argument(
        "--main-only",
        action="store_true",
        help="only each engine's main job (its log gives each step), the SQL floor "
        "and DuckDB's nightly run",
    )
    b.set_defaults(handler="bench")

    pg = command(
        "postgres",
        "a local PostgreSQL server for Dagster's instance (loopback; docs/operations.md)",
    )
    pg.add_argument(
        "action",
        choices=["start", "stop", "status"],
        help="start (prints the NHCS_DAGSTER_PG_URL to export), stop, or status (exit 0 when "
        "running)",
    )
    pg.set_defaults(handler="postgres")

    sc = command(
        "spark-cluster",
        "a local Spark cluster (master, workers, Thrift server on loopback) for the "
        "spark-thrift engine (docs/scale-out.md)",
    )
    sc.add_argument(
        "action",
        choices=["start", "stop", "status"],
        help="start (idempotent), stop, or status (exit 0 when every process runs and the "
        "Thrift server answers)",
    )
    sc.add_argument("--warehouse", help=WAREHOUSE_HELP + "; its spark/ folder holds the cluster")
    for option, env in (
        ("--master-port", "NHCS_SPARK_MASTER_PORT, else 7077"),
        ("--master-ui-port", "NHCS_SPARK_MASTER_UI_PORT, else 8080"),
        ("--thrift-port", "NHCS_SPARK_THRIFT_PORT, else 10000"),
        ("--workers", "NHCS_SPARK_WORKERS, else 2"),
    ):
        sc.add_argument(option, type=positive_int, metavar="N", help=f"default: ${env}")
    sc.set_defaults(handler="spark_cluster")

    d = command("dbt-prepare", "parse the dbt project so Dagster can load it (manifest)")
    d.add_argument("--verbose", action="store_true", help="show dbt's output")
    d.set_defaults(handler="dbt_prepare")

    u = command("ui", "the Dagster UI (webserver and daemon)")
    u.add_argument(
        "--host",
        default="127.0.0.1",
        help="bind address (default 127.0.0.1: not exposed to the network)",
    )
    u.add_argument("--port", type=positive_int, default=3000, help="port (default 3000)")
    u.set_defaults(handler="ui")
    return p


def subcommands() -> set[str]:
    """The names of the ``nhcs`` subcommands."""
    return set(_subparsers(build_parser()))


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:  # noqa: SLF001 - argparse keeps them only here
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            return dict(action.choices)
    return {}


def all_parsers() -> dict[str, argparse.ArgumentParser]:
    """``nhcs`` and each subcommand's parser, by name (the tests check every option's help)."""
    parser = build_parser()
    return {"nhcs": parser, **_subparsers(parser)}
