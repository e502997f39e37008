"""The reconciliation checks on Spark DataFrames, for a build made by a Spark engine.

The same identities (``identities.py``), the same expectation suites (``gx_suites``, with row
conditions read as Spark SQL), the same counting and listing (``runner._Tally``) and the same
results in the warehouse's ``quality.*`` as the DuckDB runner; only the reading differs. Each
recon model is read from the Parquet folder Spark's build wrote (``<spark_dir>/tables/recon``),
never copied into DuckDB first, and validated whole by GX's Spark data source: on a cluster the
work is spread over its executors. Rows are located by a ``_row`` id given when the model is
read (the model is persisted to disk, so the ids stay put while GX computes its metrics and the
failing rows are fetched afterwards).

A report that never arrived is named by ``recon_deliveries`` (a model like the others), so the
Spark build's checks read nothing but the recon models.

Where Spark runs: ``NHCS_SPARK_MASTER`` (default ``local[2]``, a Spark inside this process).
On a real cluster set it to the cluster's master (``yarn``, ``spark://host:7077``, ``k8s://…``);
on the local cluster of ``nhcs spark-cluster`` the Thrift server holds every core, so the
checks keep their local Spark there (docs/scale-out.md).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from .carry import VERSION_COLUMN, MonthPlan, MonthVersion, rules_digest
from .identities import IDENTITIES, IdentitySpec
from .report import CheckResult, QualityReport
from .runner import _OPTIONAL, RECON_SCHEMA, _clean, _errored, _Tally, _Unavailable

DEFAULT_MASTER = "local[2]"


def spark_session(master: str | None = None):
    """The checks' Spark session (``NHCS_SPARK_MASTER``); its UI and progress bars off."""
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master(master or os.environ.get("NHCS_SPARK_MASTER") or DEFAULT_MASTER)
        .appName("nhcs-checks")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.memory", os.environ.get("NHCS_SPARK_DRIVER_MEMORY") or "2g")
        .getOrCreate()
    )


def table_dir(spark_dir: Path, schema: str, model: str) -> Path:
    """Where Spark's build wrote a model (dbt_project.yml: location_root)."""
    return Path(spark_dir) / "tables" / schema / model


def run_checks_spark(
    spark_dir: Path,
    warehouse: Path,
    *,
    as_of: date | None = None,
    run_id: str | None = None,
    persist: bool = True,
    progress: Callable[[str], None] | None = None,
    identities: Iterable[IdentitySpec] = IDENTITIES,
    spark=None,
    incremental: bool = True,
) -> QualityReport:
    """``runner.run_checks`` for a Spark build: the recon models under ``spark_dir``, the
    results appended to ``warehouse``'s ``quality.*`` (with ``persist``). Each model is
    validated whole; with ``incremental`` and no ``as_of`` (as the DuckDB runner), each month's
    result is recorded too (a ``month`` row per check, ``pipelines.quality.carry``), every month
    as validated by this run: nothing is carried forward on Spark."""
    from .gx_suites import ephemeral_context

    run_id = run_id or uuid.uuid4().hex
    checked_at = datetime.now(UTC)
    say = progress or (lambda _msg: None)
    spark = spark or spark_session()
    context = ephemeral_context()
    results: list[CheckResult] = []
    by_month = incremental and as_of is None
    for spec in identities:
        try:
            results.extend(
                _check_identity(spark, Path(spark_dir), spec, as_of, context, say, by_month)
            )
        except _Unavailable as exc:
            results.extend(_errored(spec, str(exc)))
    report = QualityReport(
        run_id=run_id,
        checked_at=checked_at,
        warehouse=str(warehouse),
        as_of=as_of,
        results=results,
    )
    if persist:
        from .store import persist_report

        Path(warehouse).parent.mkdir(parents=True, exist_ok=True)
        persist_report(Path(warehouse), report)
    return report


def _read(spark, folder: Path, what: str):
    if not any(folder.rglob("*.parquet")):
        raise _Unavailable(f"{what} was not built by Spark (no Parquet file in {folder})")
    return spark.read.parquet(str(folder))


def _latest_on_or_before(df, as_of: date):
    from pyspark.sql import functions as F

    latest = df.filter(F.col("as_of_date") <= F.lit(as_of)).agg(F.max("as_of_date")).first()[0]
    return df.filter(F.col("as_of_date") == F.lit(latest)) if latest else df.limit(0)


def _check_identity(spark, spark_dir, spec: IdentitySpec, as_of, context, say, by_month):
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    from .gx_suites import ROW_ID, SuiteValidator

    table = f"{RECON_SCHEMA}.{spec.model}"
    df = _read(spark, table_dir(spark_dir, RECON_SCHEMA, spec.model), table)
    missing = [c for c in spec.all_columns() if c not in df.columns and c not in _OPTIONAL]
    if missing:
        raise _Unavailable(f"{table} lacks column(s) {', '.join(missing)}")
    plan = _every_month(df, spec) if by_month else MonthPlan()
    df = df.select(*[c for c in spec.all_columns() if c in df.columns])
    if as_of is not None:
        df = _latest_on_or_before(df, as_of)
    df = df.withColumn(ROW_ID, F.monotonically_increasing_id())
    df = df.persist(StorageLevel.DISK_ONLY)
    try:
        rows = df.count()
        if not rows:
            raise _Unavailable(
                f"{table} has no rows"
                + (f" dated on or before {as_of.isoformat()}" if as_of else ": nothing reconciled")
            )
        say(f"identity {spec.identity}: validating {rows:,} rows of {table} on Spark")
        try:
            outcomes = SuiteValidator(context, spec, engine="spark")(df)
        except Exception as exc:  # noqa: BLE001 - a suite that cannot run is an error, loudly
            return _errored(spec, f"validation raised {type(exc).__name__}: {exc}")
        tally = _Tally(spec)
        for check in spec.checks:
            items = df if check.items is None else df.filter(check.items)
            broken = tally.add_check(
                check, items.count(), outcomes, lambda hits, i=items: _ids_in(spark, i, hits)
            )
            if plan.tracked:
                t = tally.checks[check.key]
                t.month_items.update(_per_month(items))
                if broken:
                    t.month_failed.update(_per_month(_rows_with(spark, df, list(broken))))
        records = {
            row[ROW_ID]: {k: _value(v) for k, v in row.items() if k != ROW_ID}
            for row in (r.asDict() for r in _rows_with(spark, df, tally.listed_ids()).collect())
        }
        return tally.results(records, plan)
    finally:
        df.unpersist()


def _every_month(df, spec: IdentitySpec) -> MonthPlan:
    """Every month of the model, to validate now (``carry.plan_months`` without the carrying
    forward); untracked for a model without ``_inputs_loaded_at``, as on DuckDB."""
    from pyspark.sql import functions as F

    if VERSION_COLUMN not in df.columns:
        return MonthPlan(digest=rules_digest(spec))
    versions = {
        r[0]: MonthVersion(r[1], r[2])
        for r in df.groupBy("as_of_date").agg(F.max(VERSION_COLUMN), F.count("*")).collect()
    }
    return MonthPlan(
        versions, sorted(versions), {c.key: {} for c in spec.checks}, rules_digest(spec)
    )


def _per_month(df) -> dict[date, int]:
    return {r[0]: r[1] for r in df.groupBy("as_of_date").count().collect()}


def _ids(spark, ids):
    return spark.createDataFrame([(int(i),) for i in ids], "_row long")


def _rows_with(spark, df, ids):
    from .gx_suites import ROW_ID

    return df.join(_ids(spark, ids).hint("broadcast"), ROW_ID, "left_semi") if ids else df.limit(0)


def _ids_in(spark, df, hits) -> list[int]:
    from .gx_suites import ROW_ID

    return [r[0] for r in _rows_with(spark, df, list(hits)).select(ROW_ID).collect()]


def _value(v: Any) -> Any:
    """Spark's DECIMAL figures as the DuckDB runner's frames hold them (a float, a whole
    number as int), so both engines record the same results."""
    if isinstance(v, Decimal):
        v = float(v)
    return _clean(v)


def run_checks_for(settings, **kwargs) -> QualityReport:
    """The checks of the build the settings' engine made: DuckDB's recon models in the
    warehouse, or a Spark engine's Parquet tables (results in the warehouse either way)."""
    if settings.is_spark:
        return run_checks_spark(settings.spark_dir, settings.warehouse, **kwargs)
    from .runner import run_checks

    return run_checks(settings.warehouse, **kwargs)
