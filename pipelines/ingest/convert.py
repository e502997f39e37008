"""Typed values from the delivered text of a report's body (contract section 3).

Conversion is two-phase: a cheap pass (casts, one date format) for every column, then, only
for the columns where the cheap pass left values unparsed or the text has combining marks, the
full rules (``.`` thousands separators, numbers typed as ``107.0``, zero padding, Excel serial
dates, NFC). ``million`` amounts (only in the small 01.x and HOI_* files) go through
``Decimal`` so no float drift reaches ``DECIMAL(24,6)``. Each typed column keeps its delivered
text beside it (``frame.raw_of``): a value the rules could not read is null next to non-null
text, which is what the checks (``checks``) report.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

import polars as pl

from pipelines.contract.naming import fold
from pipelines.contract.reports import Column, ReportSpec

from .errors import Problem, display_header
from .frame import FILE, ROW, TOTAL, WANT_DATE, WANT_UNIT, raw_of
from .readers import cached_fold

_INT_PLAIN = r"^-?\d+$"
_INT_GROUPED = r"^-?\d{1,3}(\.\d{3})+$"
_INT_FLOAT = r"^-?\d+\.0$"
_DEC = r"^-?\d+([.,]\d+)?([eE][-+]?\d+)?$"
_DMY = r"^\d{1,2}/\d{1,2}/\d{4}$"
_ISO = r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$"
_SERIAL = r"^\d{5}(\.0+)?$"
_EXCEL_EPOCH = date(1899, 12, 30)
_ISO_RE = re.compile(_ISO)


def _fast_expr(col: Column, s: pl.Expr, sample: str | None) -> pl.Expr | None:
    """The cheap conversion: right for well-formed values; None where a value needs more."""
    t = col.type
    if t == "code":
        return s
    if t == "text":
        return s.str.strip_chars().replace("", None)
    if t == "int":
        return s.cast(pl.Int64, strict=False)
    if t == "decimal":
        return s.cast(pl.Float64, strict=False)
    if t == "date":
        if sample is not None and _ISO_RE.match(sample):
            return s.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
        return s.str.to_date("%d/%m/%Y", strict=False)
    return None  # million: Decimal, in Python


def _full_expr(col: Column, s: pl.Expr) -> pl.Expr:
    """Every rule of contract section 3 for one column (used where the cheap pass failed)."""
    s = s.str.strip_chars().replace("", None)
    t = col.type
    if t == "code":
        v = s
        if col.width:
            v = pl.when(v.str.contains(r"^\d+\.0+$")).then(v.str.replace(r"\.0+$", "")).otherwise(v)
            v = (
                pl.when(v.str.contains(r"^\d+$") & (v.str.len_chars() < col.width))
                .then(v.str.zfill(col.width))
                .otherwise(v)
            )
        return v.str.normalize("NFC")
    if t == "text":
        return s.str.normalize("NFC")
    if t == "int":
        clean = (
            pl.when(s.str.contains(_INT_PLAIN))
            .then(s)
            .when(s.str.contains(_INT_GROUPED))
            .then(s.str.replace_all(".", "", literal=True))
            .when(s.str.contains(_INT_FLOAT))
            .then(s.str.replace(r"\.0$", ""))
            .otherwise(None)
        )
        return clean.cast(pl.Int64, strict=False)
    if t == "decimal":
        return (
            pl.when(s.str.contains(_DEC))
            .then(s.str.replace(",", ".", literal=True))
            .otherwise(None)
            .cast(pl.Float64, strict=False)
        )
    if t == "date":
        dmy = pl.when(s.str.contains(_DMY)).then(s.str.strptime(pl.Date, "%d/%m/%Y", strict=False))
        iso = pl.when(s.str.contains(_ISO)).then(
            s.str.slice(0, 10).str.strptime(pl.Date, "%Y-%m-%d", strict=False)
        )
        serial = pl.when(s.str.contains(_SERIAL)).then(
            pl.lit(_EXCEL_EPOCH)
            + pl.duration(days=s.str.extract(r"^(\d{5})", 1).cast(pl.Int64, strict=False))
        )
        return pl.coalesce(dmy, iso, serial)
    raise ValueError(f"no full conversion for {t!r} ({col.key})")  # pragma: no cover


def _needs_full(col: Column) -> pl.Expr | None:
    """Aggregate: True when the cheap pass is not enough for this column."""
    raw, fast = pl.col(raw_of(col.key)), pl.col(col.key)
    t = col.type
    if t in ("int", "decimal", "date"):
        return (raw.is_not_null() & fast.is_null()).any()
    if t == "code":
        odd = raw.str.len_bytes() != raw.str.len_chars()  # non-ASCII: normalise
        if col.width:
            odd = odd | (raw.str.len_chars() != col.width)
        else:
            odd = odd | raw.str.contains(r"^\s|\s$")
        return odd.any()
    if t == "text" and not col.allowed:
        return fast.str.contains(r"\p{M}").any()  # combining marks: NFD text
    return None


def convert(
    body: pl.DataFrame, spec: ReportSpec, dates: dict[int, date], units: dict[int, str]
) -> tuple[pl.DataFrame, list[tuple[int, Problem]]]:
    """Typed columns beside their raw text (``__raw_<key>``), plus the expected data date and
    unit of each row's file (``dates`` and ``units`` by file index)."""
    fast = []
    for c in spec.columns:
        if c.type == "text" and c.allowed:
            canon = {fold(a): a for a in c.allowed}
            values = body.get_column(c.key).drop_nulls().unique().to_list()
            mapping = {v: canon.get(cached_fold(v)) for v in values}
            fast.append(
                pl.col(c.key)
                .replace_strict(mapping, default=None, return_dtype=pl.Utf8)
                .alias(c.key)
            )
            continue
        sample = None
        if c.type == "date":
            nn = body.get_column(c.key).drop_nulls()
            sample = nn[0] if len(nn) else None
        e = _fast_expr(c, pl.col(c.key), sample)
        if e is not None:
            fast.append(e.alias(c.key))
    typed = body.select(
        pl.col(ROW),
        pl.col(TOTAL),
        pl.col(FILE),
        pl.col(FILE).replace_strict(dates, return_dtype=pl.Date).alias(WANT_DATE),
        pl.col(FILE).replace_strict(units, return_dtype=pl.Utf8).alias(WANT_UNIT),
        *[pl.col(c.key).alias(raw_of(c.key)) for c in spec.columns],
        *fast,
    )
    probes = {c.key: e for c in spec.columns if (e := _needs_full(c)) is not None}
    if probes and typed.height:
        flags = typed.select(e.alias(k) for k, e in probes.items()).row(0, named=True)
        redo = [c for c in spec.columns if flags.get(c.key)]
        if redo:
            # the full rules work on the trimmed text (blank = null), which is also what
            # the checks then see as the raw value
            typed = typed.with_columns(
                pl.col(raw_of(c.key)).str.strip_chars().replace("", None).alias(raw_of(c.key))
                for c in redo
                if c.type != "text"
            )
            typed = typed.with_columns(
                _full_expr(c, pl.col(raw_of(c.key))).alias(c.key) for c in redo
            )
    dated = [c.key for c in spec.columns if c.type == "date"]
    if dated:
        typed = typed.with_columns(
            pl.when(pl.col(k).dt.year().is_between(1900, 2100)).then(pl.col(k)).alias(k)
            for k in dated
        )
    millions, problems = _millions(body, spec)
    if millions:
        typed = typed.hstack(list(millions.values()))
    return typed, problems


def _parse_million(text: str, scale: int) -> tuple[Decimal | None, str | None]:
    t = text.replace(" ", "").replace("\u00a0", "")
    if "," in t and "." in t:
        t = (
            t.replace(".", "").replace(",", ".")
            if t.rfind(",") > t.rfind(".")
            else t.replace(",", "")
        )
    elif "," in t:
        t = t.replace(",", ".") if t.count(",") == 1 else t.replace(",", "")
    elif t.count(".") > 1:
        t = t.replace(".", "")
    try:
        d = Decimal(t)
    except InvalidOperation:
        return None, f"is not an amount in triệu đồng (up to {scale} decimals)"
    if not d.is_finite():
        return None, f"is not an amount in triệu đồng (up to {scale} decimals)"
    q = d.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_EVEN)
    if abs(d - q) > Decimal("1e-9"):
        return None, f"has more than {scale} decimals (triệu đồng, {scale} decimals)"
    if q < 0:
        return None, "is negative; must be ≥ 0"
    return q.quantize(Decimal("0.000001")), None


def _millions(
    df: pl.DataFrame, spec: ReportSpec
) -> tuple[dict[str, pl.Series], list[tuple[int, Problem]]]:
    """Exact Decimal conversion of the million columns (small files only)."""
    out: dict[str, pl.Series] = {}
    problems: list[tuple[int, Problem]] = []
    rows = df.get_column(ROW).to_list()
    files = df.get_column(FILE).to_list()
    for col in spec.columns:
        if col.type != "million":
            continue
        name = display_header(spec, col)
        values: list[Decimal | None] = []
        for f, r, text in zip(files, rows, df.get_column(col.key).to_list(), strict=True):
            if text is None or not text.strip():
                values.append(None)
                continue
            v, why = _parse_million(text, col.scale)
            if why:
                expected = f"an amount in triệu đồng, ≤ {col.scale} decimals"
                problems.append((f, Problem(r, name, text, expected, why)))
            values.append(v)
        out[col.key] = pl.Series(col.key, values, dtype=pl.Decimal(24, 6))
    return out, problems
