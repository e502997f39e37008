"""``validate_folder``: one office's delivery folder through ingestion's own code, into a scratch
warehouse that is thrown away, then the identities it can check alone.

The folder is discovered (``folder.py``), read, validated and loaded by ``pipelines.ingest``
exactly as the branch's nightly run would do it (the same discovery, budgets, isolated readers,
row rules, rejections and findings, word for word), but into a temporary DuckDB file and with no
quarantine report. The recon models then run there (``models.py``) and their failing items are
placed in the files (``identities.py``). Nothing in the folder is written or changed.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import duckdb

from pipelines.contract.codes import UNIT_BY_CODE
from pipelines.ingest import ingest
from pipelines.ingest.model import Rejection

from . import identities, models
from .folder import Plan, plan
from .result import BREAK, FINDING, NOTE, REJECTED, Item, Validation


def validate_folder(
    folder: Path, *, workers: int = 2, progress: Callable[[str], None] | None = None
) -> Validation:
    """Check ``folder`` (``<raw>/<YYYY-MM-DD>/<UNIT>/``) as the branch would load it."""
    t0 = time.perf_counter()
    say = progress or (lambda _m: None)
    p = plan(folder)
    v = Validation(
        folder=p.rel,
        data_date=p.data_date,
        unit=p.unit,
        pending=p.pending,
        manifest=p.manifest,
        journal_days=list(p.journal_days),
        opening=p.opening,
        listing=p.listing,
    )
    target = p.discovery.deliveries[0] if p.discovery.deliveries else None
    if target is not None:
        v.files = [f.rel for f in target.files]
    v.items.extend(_rejected(r, p) for r in p.changed)
    nodes = models.compiled_models(say) if _month_end(p) else []
    with tempfile.TemporaryDirectory(prefix="nhcs-validate-") as tmp:
        scratch = Path(tmp) / f"{models.DATABASE}.duckdb"
        say(f"reading {len(v.files)} file(s) of {p.rel} as the branch would")
        result = ingest(
            p.raw_root, scratch, discovery=p.discovery, workers=workers, quarantine=False
        )
        v.items.extend(_rejected(r, p) for r in result.rejections)
        v.items.extend(
            Item(NOTE, n.path, None, None, None, "", "", n.message) for n in result.notes
        )
        v.items.extend(
            Item(NOTE, i, None, None, None, "", "", "no manifest yet (delivery incomplete)")
            for i in result.incomplete
        )
        v.items.extend(
            Item(NOTE, n.split(":")[0], None, None, None, "", "", n, context=True)
            for n in p.context_notes
        )
        con = duckdb.connect(str(scratch))
        try:
            v.items.extend(_findings(con, p))
            v.rows = dict(
                con.execute("select source_file, rows from raw._loads order by 1").fetchall()
            )
            loaded_m31 = (
                target is not None
                and con.execute(
                    "select count(*) from raw._loads where report = 'M31' and data_date = ?",
                    [p.data_date],
                ).fetchone()[0]
            )
            if nodes and loaded_m31:
                say("checking the identities (recon models on the folder's rows)")
                models.build(con, nodes)
                outcomes, breaks = identities.check(
                    con, p.data_date, p.unit, journal=p.journal_complete,
                    opening=p.opening is not None,
                )  # fmt: skip
                v.identities.extend(outcomes)
                v.items.extend(breaks)
            elif nodes:
                v.items.append(
                    Item(
                        NOTE, p.rel, None, None, None, "", "",
                        "Mẫu 31 của thư mục không đọc được: các đối soát chưa được kiểm tra",
                    )
                )  # fmt: skip
            elif _owes_m31(p):
                name = f"M31_{p.unit}_{p.data_date:%Y%m%d}.*"
                v.items.append(
                    Item(
                        BREAK, f"{p.rel}/{name}", None, None, None, "có tệp", "không có",
                        "ngày cuối tháng nhưng thư mục không có Mẫu 31: các báo cáo cuối tháng "
                        "đi cùng sổ giao dịch của ngày cuối tháng (quy định §1); các đối soát "
                        "chưa được kiểm tra",
                    )
                )  # fmt: skip
        finally:
            con.close()
    _sheets(v, p)
    v.seconds = time.perf_counter() - t0
    return v


def _month_end(p: Plan) -> bool:
    """The folder holds a Mẫu 31: its identities can be checked."""
    return bool(p.discovery.deliveries) and any(
        f.spec.code == "M31" for f in p.discovery.deliveries[0].files
    )


def _owes_m31(p: Plan) -> bool:
    """A district or branch office's folder of a calendar month-end holds the month-end
    reports, its Mẫu 31 first (contract §1)."""
    d = p.data_date
    return (
        bool(p.discovery.deliveries)
        and d is not None
        and p.unit in UNIT_BY_CODE
        and (d + timedelta(days=1)).day == 1
    )


def _rejected(r: Rejection, p: Plan) -> Item:
    return Item(
        REJECTED,
        r.file,
        None,
        r.row,
        r.column,
        r.expected or "",
        r.value if r.value is not None else "",
        r.message,
        context=r.file in p.context_files,
    )


def _findings(con, p: Plan) -> list[Item]:
    rows = con.execute(
        'select file, "row", "column", value, expected, message from raw._findings '
        'order by file, "row"'
    ).fetchall()
    return [
        Item(FINDING, f, None, row, col, exp or "", val or "", msg, context=f in p.context_files)
        for f, row, col, val, exp, msg in rows
    ]


def _sheets(v: Validation, p: Plan) -> None:
    """The sheet of every item placed on a row of a workbook (the sheet its reader reads)."""
    from pipelines.ingest.readers import report_sheet

    names: dict[str, str | None] = {}
    for i, item in enumerate(v.items):
        if item.row is None or not item.file.endswith(".xlsx"):
            continue
        if item.file not in names:
            names[item.file] = None
            try:
                import fastexcel

                path = p.raw_root / item.file
                names[item.file] = report_sheet(fastexcel.read_excel(path.read_bytes()).sheet_names)
            except Exception:  # noqa: BLE001 - the sheet is a help to find the row, not a verdict
                pass
        if names[item.file]:
            v.items[i] = replace(item, sheet=names[item.file])
