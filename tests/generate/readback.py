"""A small, independent reader of the generated files, for the tests.

It follows the contract (header found by content, names folded, codes zero-padded, amounts
with '.' separators, NFD text, TỔNG CỘNG and signature rows), not the generator's memory, so
the identities the tests check are checked on what a consumer would actually read.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from decimal import Decimal
from pathlib import Path

import fastexcel
import polars as pl

from pipelines.contract.naming import fold, parse_file_name
from pipelines.contract.reports import REPORT_BY_CODE, ReportSpec


def _nfc(v):
    return None if v is None else unicodedata.normalize("NFC", v)


def _int(v: str | None) -> int | None:
    if v is None or v == "":
        return None
    s = str(v).strip().replace(".", "") if "." in str(v) and "," not in str(v) else str(v)
    if s.endswith(".0"):
        s = s[:-2]
    try:
        return int(s)
    except ValueError:
        return int(float(v))


def _date(v) -> dt.date | None:
    if v is None or v == "":
        return None
    s = str(v)
    if "/" in s:
        d, m, y = s.split("/")
        return dt.date(int(y), int(m), int(d))
    return dt.date.fromisoformat(s[:10])


def _million(v) -> int | None:
    """triệu đồng (text or number) -> đồng, exactly."""
    if v is None or v == "":
        return None
    return int((Decimal(str(v)) * 1_000_000).to_integral_value())


def _cell_int(v):
    """Excel numbers arrive as '12.0' / '12' strings; thousands-separated text as '1.500.000'."""
    if v is None or v == "":
        return None
    s = str(v).strip()
    if s.count(".") > 1 or (
        s.count(".") == 1
        and len(s.split(".")[1]) == 3
        and s.split(".")[1].isdigit()
        and not s.endswith(".0")
    ):
        return int(s.replace(".", ""))
    return int(Decimal(s))


def read_rows(path: Path) -> list[list]:
    """All cells of a delivered file as strings (None for empty), rows as lists."""
    if path.suffix == ".xlsx":
        sheet = fastexcel.read_excel(str(path)).load_sheet(
            "BCQUERY", header_row=None, dtypes="string"
        )
        df = sheet.to_polars()
        return [list(r) for r in df.rows()]
    if path.suffix == ".csv":
        raw = path.read_bytes()
        sep = ";" if raw.startswith(b"\xef\xbb\xbf") else ","
        df = pl.read_csv(raw, separator=sep, infer_schema=False, encoding="utf8")
        return [df.columns] + [list(r) for r in df.rows()]
    df = pl.read_parquet(path)
    return [df.columns] + [["" if v is None else str(v) for v in r] for r in df.rows()]


def read_report(path: Path, spec: ReportSpec | None = None) -> tuple[pl.DataFrame, dict]:
    """Typed rows keyed by contract keys, and layout facts (header row, total row, ...)."""
    spec = spec or parse_file_name(path.name).report
    rows = read_rows(path)
    want = {fold(c.header): c for c in spec.columns}
    hdr = None
    for i, r in enumerate(rows):
        keys = {fold(_nfc(str(v))) for v in r if v is not None}
        if spec.marker_row and "(1)" in keys and "(17)" in keys:
            hdr = i
            break
        if not spec.marker_row and len(keys & set(want)) >= min(4, len(want)):
            hdr = i
            break
    if hdr is None:
        raise AssertionError(f"{path.name}: header row not found")
    cols = {}
    for j, v in enumerate(rows[hdr]):
        if v is not None and fold(_nfc(str(v))) in want:
            cols[want[fold(_nfc(str(v)))].key] = j
    missing = [c.key for c in spec.columns if c.required and c.key not in cols]
    if missing:
        raise AssertionError(f"{path.name}: missing columns {missing}")
    data, total = [], None
    for r in rows[hdr + 1 :]:
        if all(v is None or str(v).strip() == "" for v in r):
            break  # an empty row ends the data; a signature block may follow
        first = next((str(v) for v in r if v is not None and str(v).strip()), "")
        if fold(_nfc(first)) == "tong cong":
            total = r
            break
        data.append(r)
    out = {}
    for c in spec.columns:
        if c.key not in cols:
            continue
        vals = [r[cols[c.key]] if cols[c.key] < len(r) else None for r in data]
        out[c.key] = _typed(c, vals)
    df = pl.DataFrame(out, strict=False)
    tot = None
    if total is not None:
        tot = {c.key: _typed(c, [total[cols[c.key]]])[0] for c in spec.columns if c.key in cols}
    return df, {"header_row": hdr + 1, "total": tot, "rows": rows, "n_rows": len(rows)}


def _typed(c, vals):
    if c.type == "code":
        out = []
        for v in vals:
            if v is None or v == "":
                out.append(None)
                continue
            s = str(v)
            if s.endswith(".0"):
                s = s[:-2]
            out.append(s.zfill(c.width) if c.width else s)
        return pl.Series(out, dtype=pl.String)
    if c.type == "text":
        return pl.Series([_nfc(v) if v not in (None, "") else None for v in vals], dtype=pl.String)
    if c.type == "int":
        return pl.Series([_cell_int(v) for v in vals], dtype=pl.Int64)
    if c.type == "decimal":
        return pl.Series([None if v in (None, "") else float(v) for v in vals])
    if c.type == "million":
        return pl.Series([_million(v) for v in vals], dtype=pl.Int64)
    if c.type == "date":
        return pl.Series([_date(v) for v in vals], dtype=pl.Date)
    raise ValueError(c.type)


def manifest_ok(p: Path) -> bool:
    """Size and SHA-256 of ``p`` match the folder's latest manifest that lists it."""
    import csv  # noqa: PLC0415
    import hashlib  # noqa: PLC0415

    mans = sorted(p.parent.glob("manifest*.csv"), key=lambda m: (len(m.name), m.name))
    for man in reversed(mans):
        with man.open(encoding="utf-8") as fh:
            line = next((r for r in csv.DictReader(fh) if r["file_name"] == p.name), None)
        if line is not None:
            data = p.read_bytes()
            return (
                int(line["bytes"]) == len(data)
                and line["sha256"] == hashlib.sha256(data).hexdigest()
            )
    return False


def load_tree(
    raw: Path, reports=("M31", "SKGD", "BCDHTD_01.1", "BCDHTD_01.2", "BC0437", "DOICHIEU", "HOI")
) -> dict[str, pl.DataFrame]:
    """Every report of the tree (highest revision per report/unit/date), with _unit/_date."""
    best: dict[tuple, Path] = {}
    for p in sorted(raw.glob("20*/*/*")):
        if p.name.startswith("manifest") or p.name.startswith("."):
            continue
        if not manifest_ok(p):
            continue  # a corrupt file is rejected, as ingestion would
        f = parse_file_name(p.name)
        if f.report.code not in reports:
            continue
        key = (f.report.code, f.unit, f.data_date)
        if key not in best or parse_file_name(best[key].name).revision < f.revision:
            best[key] = p
    frames: dict[str, list[pl.DataFrame]] = {}
    for (code, unit, d), p in sorted(best.items()):
        df, meta = read_report(p, REPORT_BY_CODE[code])
        if code.startswith("BCDHTD") or code == "HOI":
            t = meta["total"]
            df = pl.concat(
                [
                    df.with_columns(pl.lit(False).alias("_total")),
                    pl.DataFrame(
                        {**{k: [v] for k, v in t.items()}, "_total": [True]},
                        schema=df.schema | {"_total": pl.Boolean},
                    ),
                ],
                how="vertical_relaxed",
            )
        frames.setdefault(code, []).append(
            df.with_columns(
                pl.lit(unit).alias("_unit"), pl.lit(d).alias("_date"), pl.lit(p.name).alias("_file")
            )
        )
    return {k: pl.concat(v, how="diagonal_relaxed") for k, v in frames.items()}
