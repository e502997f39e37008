"""The outcome of a quality run: one ``CheckResult`` per check, failing rows with their keys."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    # The check could not run (missing model or column, no rows where rows are expected, an
    # expectation that raised). Treated as failed: never silently passed.
    ERROR = "error"


# Key columns a failing row may carry, in display order. A recon model has some of them.
KEY_FIELDS: tuple[str, ...] = (
    "commune_code",
    "program_code",
    "group_code",
    "loan_code",
    "customer_code",
    "org_code",
    "item",
)


@dataclass(frozen=True)
class FailingRow:
    """One checked item that broke a rule: where it is, which figure, expected vs actual."""

    rule: str  # the expectation (rule) it broke, e.g. "expected = actual"
    as_of_date: date | None
    pgd_code: str | None
    keys: dict[str, str]  # subset of KEY_FIELDS -> value (None/empty left out)
    column: str | None  # the figure compared (form column, balance, ...)
    expected: Any
    actual: Any
    difference: Any
    # set when the row is carried forward from the run that validated its month
    checked_in_run_id: str | None = None

    def key_text(self) -> str:
        parts = [f"{k}={v}" for k, v in self.keys.items()]
        return " ".join(parts) if parts else "-"

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "as_of_date": self.as_of_date,
            "pgd_code": self.pgd_code,
            **{k: self.keys.get(k) for k in KEY_FIELDS},
            "column": self.column,
            "expected": self.expected,
            "actual": self.actual,
            "difference": self.difference,
        }


@dataclass(frozen=True)
class MonthResult:
    """One month of one check: validated in this run (``checked_in_run_id`` None) or carried
    forward from the run that validated it."""

    as_of_date: date
    items_checked: int
    items_failed: int
    inputs_loaded_at: datetime | None
    rows: int
    checked_in_run_id: str | None = None


@dataclass
class CheckResult:
    """The outcome of one check (one identity of contract section 5, or its findings)."""

    key: str  # stable name, e.g. "control_totals" (also the Dagster check name)
    identity: int  # 1..6
    title: str
    blocking: bool
    model: str  # the recon model it reads, e.g. "recon_control_totals"
    status: Status
    items_checked: int = 0
    items_failed: int = 0
    failing_rows: list[FailingRow] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)  # every rule evaluated, for the record
    message: str = ""  # why it errored, or a one-line account of the failure
    # month by month (incremental checks, pipelines/quality/carry.py); empty when the model
    # was validated whole without month bookkeeping
    months: list[MonthResult] = field(default_factory=list)
    rules_digest: str | None = None

    @property
    def months_validated(self) -> int:
        return sum(1 for m in self.months if m.checked_in_run_id is None)

    @property
    def passed(self) -> bool:
        return self.status is Status.PASSED

    @property
    def kind(self) -> str:
        return "blocking" if self.blocking else "finding"

    def headline(self) -> str:
        mark = {Status.PASSED: "PASS", Status.FAILED: "FAIL", Status.ERROR: "ERROR"}[self.status]
        if not self.blocking and self.status is Status.FAILED:
            mark = "FINDINGS"
        text = (
            f"[{mark:>8}] {self.identity} {self.title} ({self.kind}): "
            f"{self.items_checked} items checked, {self.items_failed} failed"
        )
        if self.message and self.status is not Status.PASSED:
            text += f" - {self.message}"
        if self.months:
            carried = len(self.months) - self.months_validated
            text += f" [{self.months_validated} month(s) validated, {carried} carried forward]"
        return text


@dataclass
class QualityReport:
    run_id: str
    checked_at: datetime
    warehouse: str
    as_of: date | None
    results: list[CheckResult]

    @property
    def blocking_failed(self) -> bool:
        """True when a blocking check failed or could not run."""
        return any(r.blocking and not r.passed for r in self.results)

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    def result(self, key: str) -> CheckResult:
        for r in self.results:
            if r.key == key:
                return r
        raise KeyError(key)

    def summary_lines(self, max_rows: int = 10) -> list[str]:
        """A readable account: per check its counts, then up to ``max_rows`` failing rows."""
        scope = f"as of {self.as_of.isoformat()}" if self.as_of else "all dates"
        lines = [f"Quality checks on {self.warehouse} ({scope}), run {self.run_id}"]
        for r in self.results:
            lines.append(r.headline())
            lines.extend(f"    {row}" for row in _row_lines(r.failing_rows, max_rows))
            if len(r.failing_rows) > max_rows:
                lines.append(
                    f"    ... {len(r.failing_rows) - max_rows} more of {len(r.failing_rows)} "
                    "(all of them in quality.check_results)"
                )
        blocking = [r for r in self.results if r.blocking and not r.passed]
        findings = [r for r in self.results if not r.blocking and not r.passed]
        if blocking:
            lines.append(
                "BLOCKING: "
                + ", ".join(f"{r.identity} {r.key}" for r in blocking)
                + " - the report and publish steps must not run on these figures"
            )
        else:
            lines.append("No blocking failure.")
        if findings:
            lines.append(
                "Findings (listed, not blocking): "
                + ", ".join(f"{r.identity} {r.key} ({r.items_failed})" for r in findings)
            )
        return lines


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _row_lines(rows: Sequence[FailingRow], max_rows: int) -> Iterator[str]:
    for row in rows[:max_rows]:
        when = row.as_of_date.isoformat() if row.as_of_date else "-"
        yield (
            f"{when} pgd={row.pgd_code or '-'} {row.key_text()} "
            f"{row.column or '-'}: expected {_fmt(row.expected)}, actual {_fmt(row.actual)}, "
            f"difference {_fmt(row.difference)} [{row.rule}]"
        )


def markdown_table(rows: Sequence[FailingRow], max_rows: int = 25) -> str:
    """Failing rows as a markdown table (Dagster metadata), capped, with the total."""
    if not rows:
        return "no failing rows"
    header = "| date | office | keys | column | expected | actual | difference | rule |"
    lines = [header, "|---|---|---|---|---:|---:|---:|---|"]
    for row in rows[:max_rows]:
        when = row.as_of_date.isoformat() if row.as_of_date else "-"
        lines.append(
            f"| {when} | {row.pgd_code or '-'} | {row.key_text()} | {row.column or '-'} | "
            f"{_fmt(row.expected)} | {_fmt(row.actual)} | {_fmt(row.difference)} | {row.rule} |"
        )
    if len(rows) > max_rows:
        lines.append(
            f"\n{len(rows) - max_rows} more rows of {len(rows)}: see quality.check_results"
        )
    return "\n".join(lines)
