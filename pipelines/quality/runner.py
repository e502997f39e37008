"""Run the reconciliation checks on a warehouse: read the recon models, validate, record.

A recon model is validated in row chunks (``NHCS_CHECK_CHUNK_ROWS``, default 2,000,000), and
only the columns its rules read are loaded; every column is fetched for failing rows alone. At
national size the roll-forward model has ~57 million rows: loaded whole, with every column, the
checks were killed at 24 GB (docs/performance.md). Rows keep DuckDB's ``rowid`` as their index,
so a failing row found in any chunk is located in the table itself.

Incremental: when the whole warehouse is checked, only the months whose recon rows changed since
they were last validated are read and validated; the other months' results are carried forward
from the run that validated them (pipelines/quality/carry.py). With nothing changed, Great
Expectations is not even loaded.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from ..settings import check_chunk_rows
from .carry import MonthPlan, carried_failing_rows, plan_months
from .identities import IDENTITIES, CheckSpec, IdentitySpec
from .report import CheckResult, FailingRow, MonthResult, QualityReport, Status

RECON_SCHEMA = "recon"
# Failing rows listed with their detail, per check (all of them are counted). A systematic
# break at national size would otherwise mean tens of millions of listed rows; the exception
# lists (pipelines/reports) read the recon models themselves.
MAX_LISTED_ROWS = 100_000


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
    chunk_rows: int | None = None,
    incremental: bool = True,
) -> QualityReport:
    """Check every identity of contract section 5 on ``warehouse``'s ``recon.*`` models.

    ``as_of``: None checks every row of every model (the whole warehouse); a date checks, per
    model, the rows of the latest date on or before it (the figures as known at that date).
    A check that cannot run (warehouse, model or column missing, no rows) has status
    ``error``, which counts as failed. With ``persist``, the run's summary and every listed
    failing row are appended to ``quality.check_results`` (and the run to
    ``quality.check_runs``). ``chunk_rows``: rows validated at a time (default
    ``NHCS_CHECK_CHUNK_ROWS``). ``incremental`` (whole-warehouse runs only): validate only the
    months that changed since they were last validated and carry the others forward.
    """
    warehouse = Path(warehouse)
    run_id = run_id or uuid.uuid4().hex
    checked_at = datetime.now(UTC)
    chunk_rows = chunk_rows or check_chunk_rows()
    say = progress or (lambda _msg: None)

    contexts: list[Any] = []

    def context():
        # Great Expectations costs seconds to import: only when something is validated
        if not contexts:
            from .gx_suites import ephemeral_context

            contexts.append(ephemeral_context())
        return contexts[0]

    by_month = incremental and as_of is None
    results: list[CheckResult] = []
    for spec in identities:
        if not warehouse.exists():
            msg = f"warehouse {warehouse} does not exist (nothing ingested or built yet)"
            results.extend(_errored(spec, msg))
            continue
        try:
            results.extend(
                _check_identity(warehouse, spec, as_of, context, chunk_rows, say, by_month)
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
        if warehouse.exists():
            from .store import persist_report

            persist_report(warehouse, report)
        else:
            say(f"{warehouse} does not exist: results not recorded")
    return report


def _check_identity(
    warehouse, spec, as_of, context, chunk_rows, say, by_month
) -> list[CheckResult]:
    from ..warehouse_db import connect
    from ..warehouse_lock import warehouse_lock

    # One read-only connection for the whole identity: the rowids that locate failing rows
    # stay valid while no writer replaces the table, which the lock rules out.
    with warehouse_lock(warehouse), connect(warehouse, read_only=True) as con:
        model = _Model(con, spec, as_of, by_month)
        tally = _Tally(spec)
        if model.plan.tracked:
            say(
                f"identity {spec.identity}: validating {len(model.plan.fresh)} month(s), "
                f"{len(model.plan.versions) - len(model.plan.fresh)} carried forward"
            )
        try:
            if model.rows:
                from .gx_suites import SuiteValidator

                validate = SuiteValidator(context(), spec)
                for frame in model.chunks(chunk_rows, say):
                    tally.add(frame, validate(frame))
        except Exception as exc:  # noqa: BLE001 - a suite that cannot run is an error, loudly
            return _errored(spec, f"validation raised {type(exc).__name__}: {exc}")
        records = model.records(tally.listed_ids())
        carried = {
            key: carried_failing_rows(con, key, months)
            for key, months in model.plan.carried.items()
        }
    return tally.results(records, model.plan, carried)


# --- reading ------------------------------------------------------------------------------


class _Model:
    """One recon model as the checks read it: its rows in chunks, and failing rows' detail."""

    def __init__(self, con, spec: IdentitySpec, as_of: date | None, by_month: bool = False):
        self.con, self.spec, self.as_of = con, spec, as_of
        self.table = f"{RECON_SCHEMA}.{spec.model}"
        present = {
            name
            for (name,) in con.execute(
                "select column_name from information_schema.columns "
                "where table_schema = ? and table_name = ?",
                [RECON_SCHEMA, spec.model],
            ).fetchall()
        }
        if not present:
            raise _Unavailable(
                f"{self.table} does not exist (has `dbt build` run on this warehouse?)"
            )
        missing = [c for c in spec.all_columns() if c not in present and c not in _OPTIONAL]
        if missing:
            raise _Unavailable(f"{self.table} lacks column(s) {', '.join(missing)}")
        self.columns = [c for c in spec.all_columns() if c in present]
        self.plan = MonthPlan()
        if by_month:
            self.plan = plan_months(con, spec, self.table, present)
        if self.plan.tracked:
            # the months to validate, as literals (a pruned scan of the table)
            days = ", ".join(f"date '{d.isoformat()}'" for d in self.plan.fresh)
            self.where, self.params = f"where as_of_date in ({days or 'null'})", []
        elif as_of is None:
            self.where, self.params = "", []
        else:
            self.where = (
                f"where as_of_date = (select max(as_of_date) from {self.table} "
                "where as_of_date <= ?)"
            )
            self.params = [as_of]
        (self.rows,) = con.execute(
            f"select count(*) from {self.table} {self.where}", self.params
        ).fetchone()
        if not self.rows and not self.plan.versions:
            if as_of is None:
                raise _Unavailable(f"{self.table} has no rows: nothing was reconciled")
            raise _Unavailable(f"{self.table} has no rows dated on or before {as_of.isoformat()}")

    def chunks(self, chunk_rows: int, say: Callable[[str], None]) -> Iterator[Any]:
        """The rule columns, ``chunk_rows`` at a time, indexed by rowid."""
        # A rule column the model lacks is left out: its expectation then fails loudly.
        wanted = ["as_of_date", *self.spec.rule_columns()]
        cols = ", ".join(f'"{c}"' for c in dict.fromkeys(wanted) if c in self.columns)
        self.con.execute(
            f"select rowid as _row, {cols} from {self.table} {self.where}", self.params
        )
        vectors = max(1, chunk_rows // 2048)  # DuckDB hands rows out in vectors of 2,048
        done = 0
        while True:
            frame = self.con.fetch_df_chunk(vectors)
            if frame.empty:
                return
            done += len(frame)
            say(
                f"identity {self.spec.identity}: validating rows to {done:,} of "
                f"{self.rows:,} of {self.table}"
            )
            # unnamed: GX reports a named index's labels as {name: label} dicts
            yield frame.set_index("_row").rename_axis(None)

    def records(self, ids: list[int]) -> dict[int, dict[str, Any]]:
        """Every column of the listed failing rows, by rowid."""
        import pandas as pd

        records: dict[int, dict[str, Any]] = {}
        wanted = pd.DataFrame({"_row": ids}, dtype="int64")
        if wanted.empty:
            return records
        cols = ", ".join(f't."{c}"' for c in self.columns)
        self.con.register("_failing_rowids", wanted)
        try:
            found = self.con.execute(
                f"select t.rowid as _row, {cols} from {self.table} as t "
                "semi join _failing_rowids as f on t.rowid = f._row"
            ).df()
        finally:
            self.con.unregister("_failing_rowids")
        for row in found.to_dict("records"):
            records[int(row.pop("_row"))] = {k: _clean(v) for k, v in row.items()}
        return records


# Key columns a model may legitimately lack.
_OPTIONAL = frozenset({"pgd_code", "missing_in", "row_name", "expected_source", "actual_source"})


# --- results ------------------------------------------------------------------------------


def _check_result(
    spec: IdentitySpec, check: CheckSpec, status: Status, message: str, **counts: Any
) -> CheckResult:
    return CheckResult(
        key=check.key,
        identity=check.identity,
        title=check.title,
        blocking=check.blocking,
        model=spec.model,
        status=status,
        rules=[r.text for r in spec.rules if r.check == check.key],
        message=message,
        **counts,
    )


def _errored(spec: IdentitySpec, message: str) -> list[CheckResult]:
    return [_check_result(spec, c, Status.ERROR, message) for c in spec.checks]


@dataclass
class _CheckTally:
    items: int = 0
    failed: int = 0
    listed: dict[int, list[str]] = field(default_factory=dict)  # rowid -> rules broken
    errors: list[str] = field(default_factory=list)
    unlocated: list[str] = field(default_factory=list)
    month_items: dict[date, int] = field(default_factory=dict)
    month_failed: dict[date, int] = field(default_factory=dict)


def _count_by_month(values, into: dict[date, int]) -> None:
    import numpy as np
    import pandas as pd

    if not len(values):
        return
    keys, counts = np.unique(np.asarray(values, dtype="datetime64[D]"), return_counts=True)
    for key, n in zip(pd.to_datetime(keys).date, counts.tolist(), strict=True):
        into[key] = into.get(key, 0) + n


class _Tally:
    """Each check's counts and listed failing rows, accumulated over the chunks."""

    def __init__(self, spec: IdentitySpec):
        self.spec = spec
        self.checks = {c.key: _CheckTally() for c in spec.checks}

    def add(self, frame, outcomes) -> None:
        """A pandas chunk and its outcomes: items are the rows of ``check.items``."""
        import numpy as np

        for check in self.spec.checks:
            t = self.checks[check.key]
            selected = frame if check.items is None else frame.query(check.items)
            items = np.asarray(selected.index, dtype="int64")
            if "as_of_date" in frame:
                _count_by_month(selected["as_of_date"].to_numpy(), t.month_items)
            broken = self.add_check(
                check, len(items), outcomes, lambda hits, i=items: hits[np.isin(hits, i)]
            )
            if "as_of_date" in frame and broken:
                _count_by_month(frame.loc[sorted(broken), "as_of_date"].to_numpy(), t.month_failed)

    def add_check(self, check: CheckSpec, n_items: int, outcomes, in_items) -> dict:
        """One check's items (``n_items``) and the rules' unexpected rows, whatever the
        DataFrame's kind; ``in_items(ids)`` keeps the ids that are items of the check (a rule
        may cover other rows). Returns the broken items: id -> rules broken."""
        import numpy as np

        t = self.checks[check.key]
        t.items += n_items
        broken: dict[int, list[str]] = {}
        for o in (o for o in outcomes if o.rule.check == check.key):
            if o.error:
                if f"{o.rule.text}: {o.error}" not in t.errors:
                    t.errors.append(f"{o.rule.text}: {o.error}")
                continue
            hits = np.asarray(o.unexpected_index, dtype="int64")
            hits = np.asarray(in_items(hits) if len(hits) else hits, dtype="int64")
            # A rule that failed without pointing at rows (should not happen for row rules).
            if not o.success and not len(hits) and o.rule.text not in t.unlocated:
                t.unlocated.append(o.rule.text)
            for idx in hits.tolist():
                broken.setdefault(idx, []).append(o.rule.text)
        t.failed += len(broken)
        room = max(MAX_LISTED_ROWS - len(t.listed), 0)
        for idx in sorted(broken)[:room]:
            t.listed[idx] = broken[idx]
        return broken

    def listed_ids(self) -> list[int]:
        return sorted({idx for t in self.checks.values() for idx in t.listed})

    def results(
        self,
        records: dict[int, dict[str, Any]],
        plan: MonthPlan | None = None,
        carried_rows: dict[str, list[FailingRow]] | None = None,
    ) -> list[CheckResult]:
        spec, out = self.spec, []
        plan = plan or MonthPlan()
        for check in spec.checks:
            t = self.checks[check.key]
            rows = [_failing_row(spec, records[idx], rules) for idx, rules in t.listed.items()]
            rows += (carried_rows or {}).get(check.key, [])
            rows.sort(key=_sort_key)
            months = _months(plan, check.key, t)
            kept = [m for m in months if m.checked_in_run_id is not None]
            items = t.items + sum(m.items_checked for m in kept)
            failed = t.failed + sum(m.items_failed for m in kept)
            if t.errors:
                status, message = Status.ERROR, "; ".join(t.errors)
            elif not items and check.blocking:
                status = Status.ERROR
                message = f"no items to check in {RECON_SCHEMA}.{spec.model} ({check.items})"
            elif failed or t.unlocated:
                status = Status.FAILED
                message = _failure_message(check, failed, t.unlocated, len(rows))
            else:
                status, message = Status.PASSED, ""
            out.append(
                _check_result(
                    spec,
                    check,
                    status,
                    message,
                    items_checked=items,
                    items_failed=failed,
                    failing_rows=rows[:MAX_LISTED_ROWS],
                    months=months,
                    rules_digest=plan.digest or None,
                )
            )
        return out


def _months(plan: MonthPlan, key: str, t: _CheckTally) -> list[MonthResult]:
    """Each month's result: validated now, or carried from the run that validated it."""
    if not plan.tracked:
        return []
    out = []
    fresh = set(plan.fresh) | (set(t.month_items) - set(plan.versions))
    for day in sorted(fresh):
        v = plan.versions.get(day)
        out.append(
            MonthResult(
                day,
                t.month_items.get(day, 0),
                t.month_failed.get(day, 0),
                v.inputs_loaded_at if v else None,
                v.rows if v else 0,
            )
        )
    for day, prior in sorted(plan.carried.get(key, {}).items()):
        v = plan.versions[day]
        out.append(
            MonthResult(
                day,
                prior.items_checked,
                prior.items_failed,
                v.inputs_loaded_at,
                v.rows,
                prior.checked_in_run_id,
            )
        )
    return out


def _failure_message(check: CheckSpec, n: int, unlocated: list[str], listed: int) -> str:
    what = "findings" if not check.blocking else "breaks"
    text = f"{n} {what}"
    if listed < n:
        text += f" (the first {listed:,} by rowid listed)"
    if unlocated:
        text += f"; rule(s) failed without row detail: {', '.join(unlocated)}"
    return text


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
