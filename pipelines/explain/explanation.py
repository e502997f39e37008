"""``explain``: everything ``nhcs explain`` tells about a figure at a month-end, and how it
prints it (Vietnamese labels, Vietnamese numbers; the definitions are dbt's docs)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pipelines.contract.figures import BriefingFigure
from pipelines.reports import fmt
from pipelines.reports.breakdown import (
    Breakdown,
    ExplainError,
    breakdown_columns,
    kpi_value,
    load_breakdown,
    resolve,
)
from pipelines.reports.breakdown import month_ends as kpi_month_ends

from .dbt_graph import KPI_MODEL, ChainNode, DbtDocs


@dataclass
class Explanation:
    figure: BriefingFigure | None
    column: str
    as_of: date
    value: Any
    definition: str
    model_doc: str
    chain: list[ChainNode]
    breakdowns: list[Breakdown] = field(default_factory=list)

    @property
    def adds_up(self) -> bool:
        return all(b.adds_up for b in self.breakdowns)


def explain(con, figure: str, as_of: date | None, docs: DbtDocs) -> Explanation:
    """``figure`` (F1..F14 or a mart column) at ``as_of`` (default: the latest month-end) on a
    read-only connection to a warehouse or a published database."""
    bf, column = resolve(figure, breakdown_columns(con))
    if as_of is None:
        known = kpi_month_ends(con)
        if not known:
            raise ExplainError("marts.mart_briefing_kpis has no month-end yet")
        as_of = known[-1]
    value = kpi_value(con, column, as_of)
    parts = bf.parts if bf else (column,)
    return Explanation(
        figure=bf,
        column=column,
        as_of=as_of,
        value=value,
        definition=docs.column_doc(KPI_MODEL, column),
        model_doc=docs.model_doc(KPI_MODEL),
        chain=docs.chain(KPI_MODEL),
        breakdowns=[load_breakdown(con, c, as_of) for c in parts],
    )


def _value(column: str, v: Any) -> str:
    if v is None:
        return f"{fmt.DASH} (không có số liệu tại ngày này)"
    if isinstance(v, float):
        pct = fmt.fmt_pct(v, 2) if v <= 1 else fmt.fmt_number(v, 2)
        return f"{pct} ({v!r})"
    if column.endswith("_vnd"):
        return f"{fmt.fmt_int(v)} đồng ({fmt.fmt_amount(v)})"
    return fmt.fmt_int(v)


def lines(e: Explanation) -> list[str]:
    """The explanation as printed."""
    head = f"{e.figure.id} " if e.figure else ""
    label = f" — {e.figure.label}" if e.figure else ""
    out = [
        f"{head}{e.column}{label}, ngày số liệu {fmt.fmt_date(e.as_of)}",
        f"Giá trị: {_value(e.column, e.value)}",
    ]
    if e.figure and e.figure.ratio:
        num, den = e.breakdowns
        out.append(
            f"  = {num.column} / {den.column} = {_value(num.column, num.value)} / "
            f"{_value(den.column, den.value)}"
        )
    out.append(f"Định nghĩa (dbt docs, {KPI_MODEL}.{e.column}): {e.definition or fmt.DASH}")
    out.append(f"Chuỗi mô hình (đồ thị dbt, từ {KPI_MODEL} về dữ liệu gốc):")
    for n in e.chain:
        kind = {"source": " [nguồn]", "seed": " [danh mục]"}.get(n.kind, "")
        out.append(f"  {'  ' * n.depth}{n.name}{kind} — {n.description}")
    for b in e.breakdowns:
        out.append("")
        out.append(
            f"Chi tiết {b.column} theo PGD và tổ chức (marts.mart_figure_breakdown; tệp: "
            "marts.mart_figure_lineage):"
        )
        for p in b.parts:
            office = f"{p.pgd_code} {p.office or ''}".strip()
            org = f"{p.org_code} {p.org_short or ''}".strip()
            out.append(
                f"  {office:<24} {org:<8} {fmt.fmt_int(p.value):>22}  "
                f"({fmt.fmt_int(p.items)} {_kind(p.items_kind)})"
            )
            for f in p.files:
                loaded = f"{f.loaded_at:%d/%m/%Y %H:%M}" if f.loaded_at else fmt.DASH
                out.append(
                    f"      {f.file}  r{f.revision}  sha256 {f.sha256}  nạp {loaded}  "
                    f"{fmt.fmt_int(f.rows)} dòng"
                )
        check = "khớp" if b.adds_up else "KHÔNG KHỚP"
        out.append(
            f"Cộng {fmt.fmt_int(len(b.parts))} phần: {fmt.fmt_int(b.total) if b.parts else fmt.DASH}"
            f" — giá trị chỉ tiêu {_value(b.column, b.value)}: {check}; "
            f"{fmt.fmt_int(len(b.files))} tệp"
        )
    return out


def _kind(kind: str) -> str:
    return {"loans": "khoản vay", "customers": "khách hàng", "groups": "tổ"}.get(kind, kind)


def explain_command(
    database: Path, figure: str, as_of: date | None, manifest: Path, out=print
) -> int:
    """Print the explanation; 0 when the parts add up to the figure, 1 when they do not."""
    from pipelines.warehouse_db import connect

    docs = DbtDocs(manifest)
    con = connect(database, read_only=True)
    try:
        e = explain(con, figure, as_of, docs)
    finally:
        con.close()
    out(f"(đọc từ {database})")
    for line in lines(e):
        out(line)
    return 0 if e.adds_up else 1
