"""The quality gate of every door out of the warehouse: the report and the publication go out
only when the latest quality run (``quality.check_runs``, written by the Dagster checks and by
``nhcs check``) passed every blocking check. Dagster's blocking asset checks hold the job's
doors; ``nhcs report`` and ``nhcs publish`` ask ``quality_gate`` before doing anything.

No quality run on the warehouse is no pass: nothing has shown the figures tie out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path


@dataclass(frozen=True)
class GateVerdict:
    passed: bool
    run_id: str | None = None
    checked_at: datetime | None = None
    # blocking checks that failed or could not run, as "name (status)"
    blocking: tuple[str, ...] = field(default=())
    problem: str | None = None  # why no run could be read

    def line(self) -> str:
        """One line for a person at a terminal."""
        if self.passed:
            return (
                f"quality gate open: latest quality run {self.run_id} passed every blocking check"
            )
        if self.problem:
            return f"quality gate closed: {self.problem} (run `nhcs check`)"
        return (
            f"quality gate closed: the latest quality run {self.run_id} "
            f"({self.checked_at:%Y-%m-%d %H:%M %Z}) failed blocking check(s) "
            f"{', '.join(self.blocking)} (see `nhcs check` or quality.check_results)"
        )

    def note_vi(self) -> str:
        """Why a briefing written anyway is unverified, in Vietnamese, for its readers."""
        if self.passed:
            return ""
        if self.problem:
            why = "chưa có lần kiểm tra chất lượng dữ liệu nào trên kho dữ liệu này"
        else:
            why = (
                f"lần kiểm tra chất lượng gần nhất (mã {self.run_id}) không đạt ở "
                f"{len(self.blocking)} kiểm tra bắt buộc: {', '.join(self.blocking)}"
            )
        return (
            f"BÁO CÁO CHƯA ĐƯỢC KIỂM CHỨNG: {why}. Số liệu có thể sai; "
            "không dùng để công bố hay gửi các tổ chức."
        )


def quality_gate(warehouse: Path) -> GateVerdict:
    """The verdict of the latest quality run recorded in ``warehouse``."""
    from ..warehouse_db import connect
    from .store import SCHEMA

    warehouse = Path(warehouse)
    if not warehouse.exists():
        return GateVerdict(False, problem=f"warehouse {warehouse} does not exist")
    with connect(warehouse, read_only=True) as con:
        tables = {
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables where table_schema = ?",
                [SCHEMA],
            ).fetchall()
        }
        if not {"check_runs", "check_results"} <= tables:
            return GateVerdict(False, problem="no quality run is recorded on this warehouse")
        latest = con.execute(
            f"select run_id, checked_at, blocking_failed from {SCHEMA}.check_runs "
            "order by checked_at desc limit 1"
        ).fetchone()
        if latest is None:
            return GateVerdict(False, problem="no quality run is recorded on this warehouse")
        run_id, checked_at, blocking_failed = latest
        blocking = tuple(
            f"{name} ({status})"
            for name, status in con.execute(
                f"select check_name, status from {SCHEMA}.check_results "
                "where run_id = ? and row_type = 'summary' and blocking and status <> 'passed' "
                "order by identity_no, check_name",
                [run_id],
            ).fetchall()
        )
    failed = bool(blocking_failed) or bool(blocking)
    return GateVerdict(not failed, run_id, checked_at, blocking)
