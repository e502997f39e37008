"""History of quality runs in the warehouse: ``quality.check_runs`` and ``quality.check_results``.

Append-only. ``check_results`` has one ``summary`` row per check and run (status, items checked
and failed) and one ``failure`` row per failing item (its keys, expected, actual, difference),
all of them, uncapped. The warehouse is opened read-write only for the insert, under the
writer lock (DuckDB has one writer).
"""

from __future__ import annotations

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
        "Results of the reconciliation checks: one summary row per check and run, and one "
        "failure row per failing item (all of them).",
        {
            "run_id": "Identifier of the run (quality.check_runs).",
            "checked_at": "When the run checked.",
            "run_as_of_date": "The run's --date; empty when it checked every date.",
            "identity_no": "Number of the identity in contract section 5 (1..6); 0 for the "
            "deliveries (contract section 1).",
            "check_name": "Name of the check.",
            "source_model": "The recon.<model> the check read.",
            "blocking": "A failure of this check stops the report and the publication.",
            "row_type": "summary (one per check and run) or failure (one per failing item).",
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
        rows.extend(_failure_row(base, f) for f in r.failing_rows)
    return [{c: row.get(c) for c in _COLUMNS} for row in rows]


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
        con.execute("commit")
    return len(rows)
