"""A figure at a month-end, part by part: its value (``marts.mart_briefing_kpis``), its parts by
office and organization (``marts.mart_figure_breakdown``) and the delivered files behind each
part (``marts.mart_figure_lineage``). Read-only; shared by ``nhcs explain`` and the briefing's
appendix."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pipelines.contract.figures import FIGURE_BY_COLUMN, FIGURE_BY_ID, BriefingFigure

KPIS = "marts.mart_briefing_kpis"
BREAKDOWN = "marts.mart_figure_breakdown"
LINEAGE = "marts.mart_figure_lineage"


class ExplainError(ValueError):
    """The figure or date cannot be explained (the message says why and what can)."""


@dataclass(frozen=True)
class SourceFile:
    file: str
    report: str
    data_date: date
    revision: int
    sha256: str
    loaded_at: datetime | None
    rows: int


@dataclass
class Part:
    pgd_code: str
    office: str | None
    org_code: str
    org_short: str | None
    value: int
    items: int
    items_kind: str
    files: list[SourceFile] = field(default_factory=list)


@dataclass
class Breakdown:
    column: str
    as_of: date
    value: Any  # the figure in mart_briefing_kpis (None: not available at that date)
    parts: list[Part]

    @property
    def total(self) -> int:
        return sum(p.value for p in self.parts)

    @property
    def files(self) -> list[str]:
        return sorted({f.file for p in self.parts for f in p.files})

    @property
    def adds_up(self) -> bool:
        return (self.value is None and not self.parts) or (
            self.value is not None and self.total == self.value
        )


def resolve(figure: str, columns: list[str]) -> tuple[BriefingFigure | None, str]:
    """(the briefing figure if any, the mart column) for ``F1``..``F14`` or a column name."""
    key = figure.strip()
    if key.upper() in FIGURE_BY_ID:
        f = FIGURE_BY_ID[key.upper()]
        return f, f.column
    if key in FIGURE_BY_COLUMN:
        return FIGURE_BY_COLUMN[key], key
    if key in columns:
        return None, key
    raise ExplainError(
        f"{figure!r} is neither a briefing figure (F1..F14) nor a column with a breakdown "
        f"({', '.join(columns)})"
    )


def breakdown_columns(con) -> list[str]:
    """The mart columns that have a breakdown (every figure of the breakdown mart)."""
    return [
        r[0] for r in con.execute(f"select distinct figure from {BREAKDOWN} order by 1").fetchall()
    ]


def month_ends(con) -> list[date]:
    return [r[0] for r in con.execute(f"select as_of_date from {KPIS} order by 1").fetchall()]


def kpi_value(con, column: str, as_of: date) -> Any:
    kpi_columns = {
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = 'marts' and table_name = 'mart_briefing_kpis'"
        ).fetchall()
    }
    if column not in kpi_columns:
        raise ExplainError(f"{KPIS} has no column {column!r}")
    row = con.execute(f'select "{column}" from {KPIS} where as_of_date = ?', [as_of]).fetchone()
    if row is None:
        known = month_ends(con)
        shown = ", ".join(d.isoformat() for d in known[-6:])
        raise ExplainError(
            f"no figures at {as_of.isoformat()}: {KPIS} has the month-ends "
            f"{known[0].isoformat() if known else '-'} .. {known[-1].isoformat() if known else '-'}"
            f" (latest: {shown})"
        )
    return row[0]


def load_breakdown(con, column: str, as_of: date) -> Breakdown:
    """The column's value and parts at ``as_of``, each part with its files."""
    value = kpi_value(con, column, as_of)
    rows = con.execute(
        f"""
        select b.pgd_code, u.district_name, b.org_code, o.org_short, b.figure_value,
               b.items_counted, b.items_kind
        from {BREAKDOWN} as b
        left join marts.dim_unit as u on b.pgd_code = u.pgd_code
        left join marts.dim_organization as o on b.org_code = o.org_code
        where b.as_of_date = ? and b.figure = ?
        order by b.pgd_code, b.org_code
        """,
        [as_of, column],
    ).fetchall()
    parts = {(r[0], r[2]): Part(r[0], r[1], r[2], r[3], int(r[4]), int(r[5]), r[6]) for r in rows}
    for r in con.execute(
        f"""
        select pgd_code, org_code, source_file, source_report, source_date, source_revision,
               source_sha256, source_loaded_at, source_rows
        from {LINEAGE}
        where as_of_date = ? and figure = ?
        order by pgd_code, org_code, source_date, source_file
        """,
        [as_of, column],
    ).fetchall():
        part = parts.get((r[0], r[1]))
        if part is not None:
            part.files.append(SourceFile(r[2], r[3], r[4], int(r[5]), r[6], r[7], int(r[8])))
    return Breakdown(column, as_of, value, list(parts.values()))
