"""History of quality runs in the warehouse: ``quality.check_runs`` and ``quality.check_results``.

Append-only. ``check_results`` has one ``summary`` row per check and run (status, items checked
and failed), one ``failure`` row per failing item (its keys, expected, actual, difference), and,
for incremental checks (pipelines/quality/carry.py), one ``month`` row per check and month of
the recon model: its counts, the load time and row count of the month validated, and
``checked_in_run_id``, the run that validated it. A month carried forward is recorded again in
every later run with the run that checked it, its failure rows copied along. The warehouse is
opened read-write only for the insert, under the writer lock (DuckDB has one writer).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from .report import FailingRow, QualityReport

SCHEMA = "quality"

DDL = f"""
create schema if not exists {SCHEMA};
create table if not exists {SCHEMA}.check_runs (
    run_id varchar not null,
    checked_at timestamptz not null,
    as_of_date date,
    checks integer not null,
    checks_failed integer not null,
    blocking_failed boolean not null,
    summary varchar not null
);
create table if not exists {SCHEMA}.check_results (
    run_id varchar not null,
    checked_at timestamptz not null,
    run_as_of_date date,
    identity_no integer not null,
    check_name varchar not null,
    source_model varchar not null,
    blocking boolean not null,
    row_type varchar not null,
    status varchar not null,
    items_checked bigint,
    items_failed bigint,
    message varchar,
    rule varchar,
    as_of_date date,
    pgd_code varchar,
    commune_code varchar,
    program_code varchar,
    group_code varchar,
    loan_code varchar,
    customer_code varchar,
    org_code varchar,
    item_key varchar,
    column_name varchar,
    expected decimal(38, 6),
    actual decimal(38, 6),
    difference decimal(38, 6)
);
"""
# Columns added by incremental checks (described below); an older quality schema gains them in
# place.
MONTH_COLUMNS = {
    "checked_in_run_id": "varchar",
    "inputs_loaded_at": "timestamp",
    "month_rows": "bigint",
    "rules_digest": "varchar",
}
MIGRATE = "".join(
    f"alter table {SCHEMA}.check_results add column if not exists {name} {kind};\n"
    for name, kind in MONTH_COLUMNS.items()
)

# The data dictionary of the quality tables: stored as COMMENTs with the DDL, published with
# them into analytics.duckdb (the dbt models' descriptions come from the dbt docs instead).
DESCRIPTIONS: dict[str, tuple[str, dict[str, str]]] = {
    "check_runs": (
        "One row per run of the reconciliation checks (nhcs check, or the pipeline's checks).",
        {
            "run_id": "Identifier of the run.",
            "checked_at": "When the run checked.",
            "as_of_date": "The run's --date; empty when it checked every date in the warehouse.",
            "checks": "Checks run.",
            "checks_failed": "Checks failed or in error, blocking or not.",
            "blocking_failed": "A blocking check failed: the report and publication were skipped.",
            "summary": "One-line summary of the run.",
        },
    ),
    "check_results": (
        "Results of the reconciliation checks: one summary row per check and run, one "
        "failure row per failing item (all of them), and one month row per check and month "
        "with the run that validated it.",
        {
            "run_id": "Identifier of the run (quality.check_runs).",
            "checked_at": "When the run checked.",
            "run_as_of_date": "The run's --date; empty when it checked every date.",
            "identity_no": "Number of the identity in contract section 5 (1..6); 0 for the "
            "deliveries (contract section 1).",
            "check_name": "Name of the check.",
            "source_model": "The recon.<model> the check read.",
            "blocking": "A failure of this check stops the report and the publication.",
            "row_type": "summary (one per check and run), failure (one per failing item) or "
            "month (one per check and month of the recon model, incremental checks).",
            "status": "passed, failed or error (summary rows); failed on failure rows.",
            "items_checked": "Summary rows: items the check examined.",
            "items_failed": "Summary rows: items that failed.",
            "message": "What the check found, in words.",
            "rule": "Failure rows: the rule(s) the item broke.",
            "as_of_date": "Failure rows: the item's data date.",
            "pgd_code": "Failure rows: transaction office of the item.",
            "commune_code": "Failure rows: commune of the item.",
            "program_code": "Failure rows: lending program of the item.",
            "group_code": "Failure rows: savings and loan group of the item.",
            "loan_code": "Failure rows: loan of the item.",
            "customer_code": "Failure rows: customer code of the item.",
            "org_code": "Failure rows: organization of the item.",
            "item_key": "Failure rows: every key of the item, as k=v pairs.",
            "column_name": "Failure rows: the figure compared.",
            "expected": "Failure rows: the reference value.",
            "actual": "Failure rows: the value checked.",
            "difference": "Failure rows: actual - expected.",
            "checked_in_run_id": "Month and failure rows: the run that validated the month "
            "(this run, or an earlier one whose result is carried forward).",
            "inputs_loaded_at": "Month rows: the load time of the deliveries the recon month "
            "was built from (its _inputs_loaded_at) when validated.",
            "month_rows": "Month rows: rows of the recon month when validated.",
            "rules_digest": "Month rows: a digest of what the check asserted; a change "
            "validates every month again.",
        },
    ),
}


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


COMMENTS = "\n".join(
    f"comment on table {SCHEMA}.{table} is {_lit(text)};\n"
    + "\n".join(
        f"comment on column {SCHEMA}.{table}.{col} is {_lit(c)};" for col, c in cols.items()
    )
    for table, (text, cols) in DESCRIPTIONS.items()
)

_COLUMNS = (
    "run_id",
    "checked_at",
    "run_as_of_date",
    "identity_no",
    "check_name",
    "source_model",
    "blocking",
    "row_type",
    "status",
    "items_checked",
    "items_failed",
    "message",
    "rule",
    "as_of_date",
    "pgd_code",
    "commune_code",
    "program_code",
    "group_code",
    "loan_code",
    "customer_code",
    "org_code",
    "item_key",
    "column_name",
    "expected",
    "actual",
    "difference",
    *MONTH_COLUMNS,
)
_KEY_COLUMNS = (
    "commune_code",
    "program_code",
    "group_code",
    "loan_code",
    "customer_code",
    "org_code",
)


def _decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return Decimal(int(value))
    try:
        return Decimal(str(value)).quantize(Decimal("0.000001"))
    except ArithmeticError:
        return None


def _failure_row(base: dict[str, Any], row: FailingRow) -> dict[str, Any]:
    return {
        **base,
        "row_type": "failure",
        "status": "failed",
        "rule": row.rule,
        "as_of_date": row.as_of_date,
        "pgd_code": row.pgd_code,
        **{k: row.keys.get(k) for k in _KEY_COLUMNS},
        "item_key": row.key_text(),
        "column_name": row.column,
        "expected": _decimal(row.expected),
        "actual": _decimal(row.actual),
        "difference": _decimal(row.difference),
    }


def report_rows(report: QualityReport) -> list[dict[str, Any]]:
    """The rows this run writes itself (carried failure rows are copied in SQL)."""
    rows = []
    for r in report.results:
        base = {
            "run_id": report.run_id,
            "checked_at": report.checked_at,
            "run_as_of_date": report.as_of,
            "identity_no": r.identity,
            "check_name": r.key,
            "source_model": f"recon.{r.model}",
            "blocking": r.blocking,
        }
        rows.append(
            {
                **base,
                "row_type": "summary",
                "status": r.status.value,
                "items_checked": r.items_checked,
                "items_failed": r.items_failed,
                "message": r.message or None,
            }
        )
        rows.extend(
            {**_failure_row(base, f), "checked_in_run_id": report.run_id}
            for f in r.failing_rows
            if f.checked_in_run_id is None
        )
        rows.extend(
            {
                **base,
                "row_type": "month",
                "status": "failed" if m.items_failed else "passed",
                "items_checked": m.items_checked,
                "items_failed": m.items_failed,
                "as_of_date": m.as_of_date,
                "checked_in_run_id": m.checked_in_run_id or report.run_id,
                "inputs_loaded_at": m.inputs_loaded_at,
                "month_rows": m.rows,
                "rules_digest": r.rules_digest,
            }
            for m in r.months
        )
    return [{c: row.get(c) for c in _COLUMNS} for row in rows]


def _carried_copies(report: QualityReport) -> list[tuple[str, str, date]]:
    """(run that validated, check, month) of every carried month with failures."""
    return [
        (m.checked_in_run_id, r.key, m.as_of_date)
        for r in report.results
        for m in r.months
        if m.checked_in_run_id is not None and m.items_failed
    ]


def _arrow_table(rows: list[dict[str, Any]]):
    import pyarrow as pa

    schema = pa.schema(
        [
            ("run_id", pa.string()),
            ("checked_at", pa.timestamp("us", tz="UTC")),
            ("run_as_of_date", pa.date32()),
            ("identity_no", pa.int32()),
            ("check_name", pa.string()),
            ("source_model", pa.string()),
            ("blocking", pa.bool_()),
            ("row_type", pa.string()),
            ("status", pa.string()),
            ("items_checked", pa.int64()),
            ("items_failed", pa.int64()),
            ("message", pa.string()),
            ("rule", pa.string()),
            ("as_of_date", pa.date32()),
            *((c, pa.string()) for c in ("pgd_code", *_KEY_COLUMNS, "item_key", "column_name")),
            ("expected", pa.decimal128(38, 6)),
            ("actual", pa.decimal128(38, 6)),
            ("difference", pa.decimal128(38, 6)),
            ("checked_in_run_id", pa.string()),
            ("inputs_loaded_at", pa.timestamp("us")),
            ("month_rows", pa.int64()),
            ("rules_digest", pa.string()),
        ]
    )
    return pa.Table.from_pylist(rows, schema=schema)


def persist_report(warehouse: Path, report: QualityReport) -> int:
    """Append the run to the quality tables (created if missing). Returns rows written."""
    from ..warehouse_db import connect
    from ..warehouse_lock import warehouse_lock

    rows = report_rows(report)
    table = _arrow_table(rows)
    failed = sum(1 for r in report.results if not r.passed)
    with warehouse_lock(Path(warehouse)), connect(warehouse) as con:
        con.execute(DDL)
        con.execute(MIGRATE)
        con.execute(COMMENTS)
        con.register("_quality_results", table)
        con.execute("begin")
        con.execute(
            f"insert into {SCHEMA}.check_runs values (?, ?, ?, ?, ?, ?, ?)",
            [
                report.run_id,
                report.checked_at,
                report.as_of,
                len(report.results),
                failed,
                report.blocking_failed,
                "\n".join(r.headline() for r in report.results),
            ],
        )
        con.execute(
            f"insert into {SCHEMA}.check_results ({', '.join(_COLUMNS)}) "
            f"select {', '.join(_COLUMNS)} from _quality_results"
        )
        copied = [c for c in _COLUMNS if c not in ("run_id", "checked_at", "run_as_of_date")]
        for checked_in, check, day in _carried_copies(report):
            con.execute(
                f"insert into {SCHEMA}.check_results (run_id, checked_at, run_as_of_date, "
                f"{', '.join(copied)}) select ?, ?, ?, {', '.join(copied)} "
                f"from {SCHEMA}.check_results where run_id = ? and check_name = ? "
                "and row_type = 'failure' and as_of_date = ?",
                [report.run_id, report.checked_at, report.as_of, checked_in, check, day],
            )
        con.execute("commit")
    return len(rows)
