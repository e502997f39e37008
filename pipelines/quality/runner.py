"""Run the reconciliation checks on a warehouse: read the recon models, validate, record."""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from .identities import IDENTITIES, CheckSpec, IdentitySpec
from .report import CheckResult, FailingRow, QualityReport, Status

RECON_SCHEMA = "recon"


class _Unavailable(Exception):
    """A recon model cannot be checked (missing table or column, no rows)."""


def run_checks(
    warehouse: Path,
    *,
    as_of: date | None = None,
    run_id: str | None = None,
    persist: bool = True,
    progress: Callable[[str], None] | None = None,
    identities: Iterable[IdentitySpec] = IDENTITIES,
) -> QualityReport:
    """Check every identity of contract section 5 on ``warehouse``'s ``recon.*`` models.

    ``as_of``: None checks every row of every model (the whole warehouse); a date checks, per
    model, the rows of the latest date on or before it (the figures as known at that date).
    A check that cannot run (warehouse, model or column missing, no rows) has status
    ``error``, which counts as failed. With ``persist``, the run's summary and every failing
    row are appended to ``quality.check_results`` (and the run to ``quality.check_runs``).
    """
    from .gx_suites import ephemeral_context, validate

    warehouse = Path(warehouse)
    run_id = run_id or uuid.uuid4().hex
    checked_at = datetime.now(UTC)
    identities = tuple(identities)
    say = progress or (lambda _msg: None)

    context = None
    results: list[CheckResult] = []
    # One identity at a time: only one recon model is in memory at once (at national size a
    # single one is tens of millions of rows; docs/performance.md).
    for spec in identities:
        frames, problems = _load_frames(warehouse, (spec,), as_of)
        if spec.model in problems:
            results.extend(_errored(spec, problems[spec.model]))
            continue
        df = frames.pop(spec.model)
        if context is None:
            context = ephemeral_context()
        say(f"identity {spec.identity}: validating {len(df)} rows of {RECON_SCHEMA}.{spec.model}")
        try:
            outcomes = validate(context, spec, df)
        except Exception as exc:  # noqa: BLE001 - a suite that cannot run is an error, loudly
            results.extend(_errored(spec, f"validation raised {type(exc).__name__}: {exc}"))
            continue
        results.extend(_results(spec, df, outcomes))
        del df, outcomes

    report = QualityReport(
        run_id=run_id,
        checked_at=checked_at,
        warehouse=str(warehouse),
        as_of=as_of,
        results=results,
    )
    if persist:
        if warehouse.exists():
            from .store import persist_report

            persist_report(warehouse, report)
        else:
            say(f"{warehouse} does not exist: results not recorded")
    return report


# --- reading ------------------------------------------------------------------------------


def _load_frames(warehouse: Path, identities: tuple[IdentitySpec, ...], as_of: date | None):
    """The recon models as DataFrames (read-only, one short connection), or why not."""
    import duckdb

    from ..warehouse_lock import warehouse_lock

    frames: dict[str, Any] = {}
    problems: dict[str, str] = {}
    if not warehouse.exists():
        msg = f"warehouse {warehouse} does not exist (nothing ingested or built yet)"
        return frames, {spec.model: msg for spec in identities}
    # The lock keeps this read from colliding with a writer (DuckDB refuses a read-only
    # connection while another process writes); it is held for the read only.
    with warehouse_lock(warehouse), duckdb.connect(str(warehouse), read_only=True) as con:
        for spec in identities:
            try:
                frames[spec.model] = _load_frame(con, spec, as_of)
            except _Unavailable as exc:
                problems[spec.model] = str(exc)
    return frames, problems


def _load_frame(con, spec: IdentitySpec, as_of: date | None):
    table = f"{RECON_SCHEMA}.{spec.model}"
    present = {
        name
        for (name,) in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = ? and table_name = ?",
            [RECON_SCHEMA, spec.model],
        ).fetchall()
    }
    if not present:
        raise _Unavailable(f"{table} does not exist (has `dbt build` run on this warehouse?)")
    wanted = spec.all_columns()
    missing = [c for c in wanted if c not in present and c not in _OPTIONAL]
    if missing:
        raise _Unavailable(f"{table} lacks column(s) {', '.join(missing)}")
    cols = ", ".join(f'"{c}"' for c in wanted if c in present)
    if as_of is None:
        df = con.execute(f"select {cols} from {table}").df()
        if df.empty:
            raise _Unavailable(f"{table} has no rows: nothing was reconciled")
    else:
        df = con.execute(
            f"select {cols} from {table} where as_of_date = "
            f"(select max(as_of_date) from {table} where as_of_date <= ?)",
            [as_of],
        ).df()
        if df.empty:
            raise _Unavailable(f"{table} has no rows dated on or before {as_of.isoformat()}")
    if spec.coverage:
        df = _with_coverage(con, spec, df, as_of)
    return df.reset_index(drop=True)


NOT_LOADED = "report_not_loaded"


def _with_coverage(con, spec: IdentitySpec, df, as_of: date | None):
    """Append a failing item for every key the model should have rows for and has none."""
    import duckdb
    import pandas as pd

    try:
        expected = con.execute(f"select distinct * from ({spec.coverage}) as c").df()
    except duckdb.Error as exc:
        raise _Unavailable(
            f"cannot list what recon.{spec.model} must cover: {str(exc).splitlines()[0]}"
        ) from exc
    if as_of is not None and not expected.empty:
        dates = pd.to_datetime(expected["as_of_date"]).dt.date
        known = dates[dates <= as_of]
        expected = expected[dates == known.max()] if not known.empty else expected.iloc[0:0]
    if expected.empty:
        return df
    keys = list(expected.columns)
    present = df[keys].drop_duplicates().astype(str)
    marker = expected.astype(str).merge(present, on=keys, how="left", indicator=True)["_merge"]
    missing = expected[(marker == "left_only").to_numpy()]
    if missing.empty:
        return df
    rows = missing.copy()
    rows["check_item"] = NOT_LOADED
    rows["expected"], rows["actual"], rows["difference"] = 1, 0, -1
    rows["is_break"] = True
    if "missing_in" in df.columns:
        rows["missing_in"] = "recon"
    if "column_name" in df.columns:
        rows["column_name"] = NOT_LOADED
    if "is_finding" in df.columns:
        rows["is_finding"] = False
    return pd.concat([df, rows], ignore_index=True)


# Key columns a model may legitimately lack (e.g. identity 4 is branch-wide: no office).
_OPTIONAL = frozenset({"pgd_code", "missing_in", "row_name", "expected_source"})


# --- results ------------------------------------------------------------------------------


def _errored(spec: IdentitySpec, message: str) -> list[CheckResult]:
    return [
        CheckResult(
            key=c.key,
            identity=c.identity,
            title=c.title,
            blocking=c.blocking,
            model=spec.model,
            status=Status.ERROR,
            rules=[r.text for r in spec.rules if r.check == c.key],
            message=message,
        )
        for c in spec.checks
    ]


def _results(spec: IdentitySpec, df, outcomes) -> list[CheckResult]:
    results = []
    records: dict[Any, dict[str, Any]] = {}
    for check in spec.checks:
        mine = [o for o in outcomes if o.rule.check == check.key]
        items = df.index if check.items is None else df.query(check.items).index
        item_set = set(items)
        errors = [f"{o.rule.text}: {o.error}" for o in mine if o.error]
        broken: dict[Any, list[str]] = {}
        for o in mine:
            for idx in o.unexpected_index:
                if idx in item_set:
                    broken.setdefault(idx, []).append(o.rule.text)
        # A rule that failed without pointing at rows (should not happen for row rules).
        unlocated = [
            o.rule.text
            for o in mine
            if not o.success and not o.error and not any(i in item_set for i in o.unexpected_index)
        ]
        rows = [
            _failing_row(spec, _record(df, idx, records), rules) for idx, rules in broken.items()
        ]
        rows.sort(key=_sort_key)
        if errors:
            status, message = Status.ERROR, "; ".join(errors)
        elif not item_set and check.blocking:
            status = Status.ERROR
            message = f"no items to check in {RECON_SCHEMA}.{spec.model} ({check.items})"
        elif broken or unlocated:
            status = Status.FAILED
            message = _failure_message(check, len(broken), unlocated)
        else:
            status, message = Status.PASSED, ""
        results.append(
            CheckResult(
                key=check.key,
                identity=check.identity,
                title=check.title,
                blocking=check.blocking,
                model=spec.model,
                status=status,
                items_checked=len(item_set),
                items_failed=len(broken),
                failing_rows=rows,
                rules=[r.text for r in spec.rules if r.check == check.key],
                message=message,
            )
        )
    return results


def _failure_message(check: CheckSpec, n: int, unlocated: list[str]) -> str:
    what = "findings" if not check.blocking else "breaks"
    text = f"{n} {what}"
    if unlocated:
        text += f"; rule(s) failed without row detail: {', '.join(unlocated)}"
    return text


def _record(df, idx, cache: dict[Any, dict[str, Any]]) -> dict[str, Any]:
    if idx not in cache:
        cache[idx] = {k: _clean(v) for k, v in df.loc[idx].to_dict().items()}
    return cache[idx]


def _clean(value: Any) -> Any:
    """numpy / pandas scalars to plain Python; NaN / NaT / NA to None."""
    if value is None:
        return None
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, datetime):
        return value.date() if value.time() == datetime.min.time() else value
    if hasattr(value, "to_pydatetime"):
        return value.to_pydatetime().date()
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return value


def _failing_row(spec: IdentitySpec, row: dict[str, Any], rules: list[str]) -> FailingRow:
    keys = {
        k: str(row[k])
        for k in spec.key_columns
        if k != "pgd_code" and row.get(k) not in (None, "") and not isinstance(row[k], bool)
    }
    derived = {k: str(v) for k, v in spec.derive(row).items() if v not in (None, "")}
    # A derived key renames a generic one (a 01.1 row code is a commune code): show it once.
    for k in [k for k, v in keys.items() if v in derived.values()]:
        del keys[k]
    keys.update(derived)
    as_of = row.get("as_of_date")
    return FailingRow(
        rule="; ".join(rules),
        as_of_date=as_of if isinstance(as_of, date) else None,
        pgd_code=row.get("pgd_code"),
        keys=keys,
        column=spec.column(row),
        expected=row.get("expected"),
        actual=row.get("actual"),
        difference=row.get("difference"),
    )


def _sort_key(row: FailingRow):
    return (row.as_of_date or date.min, row.pgd_code or "", row.key_text(), row.column or "")
