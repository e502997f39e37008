"""``build_reports``: the briefing (HTML + XLSX) and the exception lists for one month-end."""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path

from .data import load_report_data
from .html import render_html
from .lineage import load_appendix
from .tables import HANOI
from .xlsx import write_briefing_xlsx, write_exceptions_xlsx


def build_reports(
    warehouse: Path,
    reports_dir: Path,
    as_of: date | None = None,
    *,
    produced_at: datetime | None = None,
    unverified: str | None = None,
) -> list[Path]:
    """Write ``reports_dir/<as_of>/{briefing.html, briefing.xlsx, exceptions.xlsx}`` from the
    warehouse's marts, recon and quality schemas (read-only connection). ``as_of`` defaults to
    the latest quarter-end month-end in ``marts.mart_briefing_kpis`` (else the latest
    month-end). Each file is written aside and renamed into place, so a reader never sees a
    half-written report. ``unverified``: why the figures are not verified (the quality gate
    did not pass, ``nhcs report --force``); the briefing then says so at its top, in the HTML
    and the XLSX. Returns the paths written."""
    data = load_report_data(Path(warehouse), as_of)
    data.unverified = unverified
    lineage = load_appendix(Path(warehouse), data.as_of)
    produced_at = produced_at or datetime.now(HANOI)
    out_dir = Path(reports_dir) / data.as_of.isoformat()
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, write in (
        (
            "briefing.html",
            lambda p: p.write_text(render_html(data, produced_at, lineage=lineage), "utf-8"),
        ),
        ("briefing.xlsx", lambda p: write_briefing_xlsx(data, p, produced_at)),
        ("exceptions.xlsx", lambda p: write_exceptions_xlsx(data, p)),
    ):
        final = out_dir / name
        tmp = out_dir / f".{name}.tmp-{os.getpid()}"
        try:
            write(tmp)
            os.replace(tmp, final)
        finally:
            tmp.unlink(missing_ok=True)
        written.append(final)
    return written
