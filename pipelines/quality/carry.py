"""Which months of a recon model a run must validate, and what it carries forward.

Every recon model row carries ``_inputs_loaded_at``: the load time of the deliveries its month
was computed from (dbt_project/macros/incremental.sql). A check's result for one month is
recorded in ``quality.check_results`` as a ``month`` row with that load time, the month's row
count and a digest of the check's rules. The next run validates only the months whose load time
or row count changed (a night's new month-end, a re-delivered old date and the months after it
that the model rebuilt), or whose rules changed; the other months' results are carried forward:
copied into the new run with ``checked_in_run_id`` naming the run that validated them.

A recon model without ``_inputs_loaded_at`` (a warehouse built before incremental models, or a
hand-made table) is validated whole, as is every model when the run is not incremental.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from .identities import IdentitySpec
from .report import FailingRow

VERSION_COLUMN = "_inputs_loaded_at"


@dataclass(frozen=True)
class MonthVersion:
    inputs_loaded_at: datetime | None
    rows: int


@dataclass(frozen=True)
class PriorMonth:
    """A month's result as recorded by an earlier run."""

    check_name: str
    as_of_date: date
    checked_in_run_id: str
    items_checked: int
    items_failed: int


@dataclass
class MonthPlan:
    """``fresh``: the months to validate (None: the whole model, no month bookkeeping);
    ``carried``: check name -> month -> the earlier result kept."""

    versions: dict[date, MonthVersion] = field(default_factory=dict)
    fresh: list[date] | None = None
    carried: dict[str, dict[date, PriorMonth]] = field(default_factory=dict)
    digest: str = ""

    @property
    def tracked(self) -> bool:
        return self.fresh is not None


def rules_digest(spec: IdentitySpec) -> str:
    """Changes when what a check of this identity asserts changes."""
    parts = [spec.model]
    parts += [f"{c.key}|{c.blocking}|{c.items}" for c in spec.checks]
    parts += [f"{r.check}|{r.kind}|{r.column}|{r.where}|{r.text}" for r in spec.rules]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def plan_months(con, spec: IdentitySpec, table: str, columns: set[str]) -> MonthPlan:
    """The months of ``table`` to validate now and the results to carry forward."""
    digest = rules_digest(spec)
    if VERSION_COLUMN not in columns:
        return MonthPlan(digest=digest)
    versions = {
        d: MonthVersion(v, n)
        for d, v, n in con.execute(
            f"select as_of_date, max({VERSION_COLUMN}), count(*) from {table} group by as_of_date"
        ).fetchall()
    }
    prior = _prior_months(con, spec, digest)
    fresh, carried = [], {c.key: {} for c in spec.checks}
    for day in sorted(versions):
        version = versions[day]
        known = {key: prior.get((key, day)) for key in carried}
        if all(p is not None and p[1] == version for p in known.values()):
            for key, (month, _) in known.items():
                carried[key][day] = month
        else:
            fresh.append(day)
    return MonthPlan(versions, fresh, carried, digest)


def _prior_months(con, spec: IdentitySpec, digest: str) -> dict[tuple[str, date], tuple]:
    """(check, month) -> (PriorMonth, MonthVersion) of the latest month row with these rules."""
    from .store import SCHEMA

    has = con.execute(
        "select count(*) from information_schema.columns where table_schema = ? "
        "and table_name = 'check_results' and column_name = 'rules_digest'",
        [SCHEMA],
    ).fetchone()[0]
    if not has:
        return {}
    rows = con.execute(
        f"""
        select check_name, as_of_date, checked_in_run_id, items_checked, items_failed,
               inputs_loaded_at, month_rows
        from {SCHEMA}.check_results
        where row_type = 'month' and source_model = ? and rules_digest = ?
        qualify row_number() over (
            partition by check_name, as_of_date order by checked_at desc) = 1
        """,
        [f"recon.{spec.model}", digest],
    ).fetchall()
    return {
        (key, day): (PriorMonth(key, day, run, items, failed), MonthVersion(version, n))
        for key, day, run, items, failed, version, n in rows
    }


def carried_failing_rows(con, check_name: str, months: dict[date, PriorMonth]) -> list[FailingRow]:
    """The failing rows recorded for the carried months, by the runs that validated them."""
    from .store import SCHEMA

    if not months:
        return []
    out: list[FailingRow] = []
    by_run: dict[str, list[date]] = {}
    for day, prior in months.items():
        if prior.items_failed:
            by_run.setdefault(prior.checked_in_run_id, []).append(day)
    for run_id, days in by_run.items():
        cur = con.execute(
            f"""
            select rule, as_of_date, pgd_code, item_key, column_name, expected, actual,
                   difference
            from {SCHEMA}.check_results
            where row_type = 'failure' and run_id = ? and check_name = ?
              and list_contains(?, as_of_date)
            """,
            [run_id, check_name, days],
        )
        for rule, day, pgd, item_key, column, expected, actual, difference in cur.fetchall():
            out.append(
                FailingRow(
                    rule=rule,
                    as_of_date=day,
                    pgd_code=pgd,
                    keys=_keys(item_key),
                    column=column,
                    expected=_number(expected),
                    actual=_number(actual),
                    difference=_number(difference),
                    checked_in_run_id=run_id,
                )
            )
    return out


_KEY = re.compile(r"(\w+)=(.*?)(?= \w+=|$)")


def _keys(item_key: str | None) -> dict[str, str]:
    if not item_key or item_key == "-":
        return {}
    return {k: v for k, v in _KEY.findall(item_key)}


def _number(value: Any) -> Any:
    if value is None:
        return None
    as_int = int(value)
    return as_int if as_int == value else float(value)
