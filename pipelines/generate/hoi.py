"""The organizations' own reports (HOI_*): each entrusted organization's figures per
district at a period's end, which differ from the bank's in a few districts (recorded in
``_truth.json["hoi_differences"]``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.contract.codes import DISTRICT_OFFICES, ENTRUSTED_ORGS, HOI_UNIT, ORG_BY_CODE
from pipelines.contract.naming import file_name
from pipelines.contract.reports import HOI

from . import writers as w
from .calibration import History
from .report_files import file_frame, write_flat, write_small


def hoi_reports(
    hist: History, dates: list[dt.date], results: list[dict], raw: Path, seed: int, fmt: str
) -> list[dict]:
    """Every period end's reports, from the bank's figures the offices returned."""
    out = []
    for p, (_a, k) in enumerate(hist.bounds, start=1):
        bank = pl.concat([r["hoi"][k] for r in results if k in r["hoi"]]).sort(
            "org_code", "pgd_code"
        )
        # The first period's draws are a single-period file's, whatever follows it.
        rng = np.random.default_rng([seed, 0x401] if p == 1 else [seed, 0x401, p])
        out.append(_write_hoi(dates[k], bank, raw, seed, fmt, rng))
    return out


def _round_hundredths(v: int) -> int:
    """đồng -> hundredths of a triệu đồng, half up."""
    return (int(v) + 5_000) // 10_000


def _round_hundredths(v: int) -> int:
    """đồng -> hundredths of a triệu đồng, half up."""
    return (int(v) + 5_000) // 10_000


def _write_hoi(
    d: dt.date, bank: pl.DataFrame, raw: Path, seed: int, fmt: str, rng: np.random.Generator
) -> dict:
    """The four organizations' reports of the period ending ``d``."""
    fo = raw / d.isoformat() / HOI_UNIT
    w.fresh_folder(fo)
    differences: list[dict] = []
    rows = 0
    for org in ENTRUSTED_ORGS:
        table = _org_table(org, bank, rng, differences)
        rows += _write_org_file(fo, org, table, d, seed, fmt)
    w.write_manifest(fo)
    return {
        "office": HOI_UNIT,
        "files": len(ENTRUSTED_ORGS),
        "rows": rows,
        "folders": [str(fo)],
        "differences": differences,
    }


_NO_FIGURES = {
    "groups": 0,
    "households_with_outstanding": 0,
    "outstanding_vnd": 0,
    "overdue_vnd": 0,
}


def _org_table(
    org: str, bank: pl.DataFrame, rng: np.random.Generator, differences: list[dict]
) -> list[tuple]:
    """The organization's row per district (amounts in hundredths of a triệu đồng): the
    bank's figures, except in 1-3 districts, where the organization's books lag or lead the
    bank's by a few households (each difference appended to ``differences``)."""
    b = {r["pgd_code"]: r for r in bank.filter(pl.col("org_code") == org).iter_rows(named=True)}
    present = [u for u in DISTRICT_OFFICES if u.code in b]
    n_diff = min(len(present), int(rng.integers(1, 4)))
    diff_units = {present[i].code for i in rng.choice(len(present), n_diff, replace=False)}
    table = []
    for i, u in enumerate(DISTRICT_OFFICES, start=1):
        r = b.get(u.code, _NO_FIGURES)
        g, h = int(r["groups"]), int(r["households_with_outstanding"])
        o, od = _round_hundredths(r["outstanding_vnd"]), _round_hundredths(r["overdue_vnd"])
        if u.code in diff_units:
            dh = int(rng.choice([-1, 1]) * rng.integers(1, 7))
            do = int(rng.choice([-1, 1]) * rng.integers(50, 5000))
            dg = int(rng.integers(-1, 2)) if g > 1 else 0
            differences.append(
                {
                    "org_code": org,
                    "district": u.name,
                    "pgd_code": u.code,
                    "groups": {"bank": g, "org": g + dg},
                    "households_with_outstanding": {"bank": h, "org": max(0, h + dh)},
                    "outstanding_mil": {"bank": o / 100, "org": max(0, o + do) / 100},
                }
            )
            g, h, o = g + dg, max(0, h + dh), max(0, o + do)
        table.append((str(i), u.name, g, h, o, od))
    return table


def _write_org_file(fo: Path, org: str, table: list[tuple], d: dt.date, seed: int, fmt: str) -> int:
    """One organization's file with its TỔNG CỘNG row; returns its rows."""
    name = file_name(HOI, org, d, fmt)
    q = w.Quirks.for_file(name, seed, fmt == "xlsx")
    df = pl.DataFrame(
        table,
        schema=["stt", "district_name", "groups", "households_with_outstanding", "o", "od"],
        orient="row",
    )
    tot = [
        "",
        "TỔNG CỘNG",
        int(df["groups"].sum()),
        int(df["households_with_outstanding"].sum()),
        int(df["o"].sum()),
        int(df["od"].sum()),
    ]
    unit = f"Đơn vị: {ORG_BY_CODE[org].name} thành phố Hà Nội - Ngày số liệu: {d:%d/%m/%Y}"
    if fmt == "xlsx":
        df = df.with_columns(
            (pl.col("o") / 100).alias("outstanding_mil"),
            (pl.col("od") / 100).alias("overdue_mil"),
        ).drop("o", "od")
        tot_row = [None, "TỔNG CỘNG", tot[2], tot[3], tot[4] / 100, tot[5] / 100]
        write_small(fo / name, HOI, df, fmt, q, HOI.title, unit, d, total=tot_row)
        return df.height + 1
    df = df.with_columns(
        w.decimal_series(df["o"], 2).alias("outstanding_mil"),
        w.decimal_series(df["od"], 2).alias("overdue_mil"),
    ).drop("o", "od")
    ff = file_frame(HOI, df, q, fmt)
    total = pl.DataFrame(
        [[None, "TỔNG CỘNG", tot[2], tot[3]]], schema=ff.columns[:4], orient="row"
    ).with_columns(
        w.decimal_series(pl.Series([tot[4]]), 2).alias(ff.columns[4]),
        w.decimal_series(pl.Series([tot[5]]), 2).alias(ff.columns[5]),
    )
    write_flat(fo / name, pl.concat([ff, total.cast(ff.schema)]), fmt)
    return df.height + 1
