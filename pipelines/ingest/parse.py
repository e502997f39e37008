"""Turn one delivered file into a typed, validated Arrow table for ``raw.<report>``.

``parse_file`` is what the worker processes run. It reads the grid (``readers``), locates the
spec's columns by header, drops title rows, total rows (kept as control totals where the
contract says so) and signature blocks, converts every column to its logical type, runs the
per-file validations, and returns either the table or the problems that reject the file.

All conversions are vectorised polars expressions on text columns, except ``million`` amounts
(only in the small 01.x and HOI_* files), which go through ``Decimal`` so no float drift can
reach ``DECIMAL(24,6)``.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from pathlib import Path

import polars as pl
import pyarrow as pa

from pipelines.contract.codes import BRANCH_OFFICE, UNIT_BY_CODE
from pipelines.contract.naming import fold
from pipelines.contract.reports import FORM_HEADERS, Column, ReportSpec

from .errors import MAX_ERRORS_PER_FILE, FileProblems, Problem, file_problem
from .names import DISTRICT_NAMES, PROGRAM_NAMES
from .readers import Grid, read_grid

ROW = "_row_number"
TOTAL = "_is_total"
TOTAL_LABEL = "TỔNG CỘNG"

# int columns that are counts, not amounts in đồng (for the wording of messages)
COUNT_KEYS = frozenset(
    {
        "birth_year",
        "workers_attracted",
        "water_works",
        "sanitation_works",
        "members",
        "members_with_outstanding",
        "score",
        "campaign_year",
        "customers_with_outstanding",
        "loan_turns_ytd",
        "groups",
        "households_with_outstanding",
    }
)
# The date column that must equal the delivery's data date.
DATA_DATE_COLUMN = {"M31": "as_of_date", "SKGD": "txn_date"}
# Keys that must be unique within a file (M31 has its own rule, see _duplicate_checks).
UNIQUE_KEYS = {
    "SKGD": ("txn_id",),
    "BC0437": ("group_code",),
    "DOICHIEU": ("campaign_year", "customer_code"),
    "BCDHTD_01.1": ("row_code",),
    "BCDHTD_01.2": ("row_code",),
    "HOI": ("pgd_code",),
}
_SIGNATURE = (
    r"^(nguoi lap bieu|lap bieu|kiem soat|ke toan|truong phong|pho giam doc|giam doc|"
    r"thu truong)|ngay .{0,16}thang .{0,16}nam"
)


@dataclass(frozen=True)
class FileContext:
    """What the worker needs to know about a file besides its bytes."""

    rel: str  # path relative to the raw root
    display: str  # path as shown in messages (e.g. data/raw/2022-03-31/0107/...)
    spec: ReportSpec
    unit: str  # file name's unit (office code, or organization for HOI_*)
    folder_unit: str  # 0100..0130 or HOI
    data_date: date
    revision: int
    sha256: str  # expected (manifest)
    extension: str
    size: int = 0
    path: str = ""  # absolute path of the file (read by the worker)


@dataclass
class ParsedFile:
    ctx: FileContext
    table: pa.Table | None = None
    problems: list[Problem] = field(default_factory=list)
    total_problems: int = 0
    communes: list[tuple[str, str]] | None = None  # M31: distinct (commune_code, name)
    needs_commune_codes: bool = False  # 01.1 of a district office
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.table is not None and not self.problems

    @property
    def rows(self) -> int:
        return 0 if self.table is None else self.table.num_rows


def display_header(spec: ReportSpec, col: Column) -> str:
    """The column as named in messages: its header, or marker + header on the 01.x forms."""
    if spec.marker_row:
        i = int(col.header.strip("()")) - 1
        return f"{col.header} {FORM_HEADERS[i]}"
    return col.header


# ------------------------------------------------------------------------------- entry point
def parse_file(ctx: FileContext, data: bytes | None = None) -> ParsedFile:
    t0 = time.perf_counter()
    out = ParsedFile(ctx)
    try:
        if data is None:
            data = Path(ctx.path).read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if digest != ctx.sha256:
            raise file_problem(
                f"SHA-256 {ctx.sha256} (manifest)",
                f"corrupt: its SHA-256 {digest} differs from the manifest's {ctx.sha256}",
            )
        grid = read_grid(data, ctx.extension, ctx.spec)
        df = _extract(grid, ctx.spec)
        typed = _convert(df, ctx.spec)
        typed = _derive(typed, ctx)
        _validate(typed, ctx)
        out.table = _finalize(typed, ctx)
        if ctx.spec.code == "M31":
            out.communes = (
                typed.select("commune_code", "commune_name").unique().sort("commune_code").rows()
            )
        out.needs_commune_codes = ctx.spec.code == "BCDHTD_01.1" and ctx.unit != BRANCH_OFFICE
    except FileProblems as exc:
        out.problems = exc.problems
        out.total_problems = exc.total
    out.seconds = time.perf_counter() - t0
    return out


# ---------------------------------------------------------------------------------- columns
def _fold_expr(e: pl.Expr) -> pl.Expr:
    return (
        e.str.normalize("NFD")
        .str.replace_all(r"\p{Mn}", "")
        .str.replace_all("Đ", "D", literal=True)
        .str.replace_all("đ", "d", literal=True)
        .str.to_lowercase()
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )


def _extract(grid: Grid, spec: ReportSpec) -> pl.DataFrame:
    """Select the spec's columns (renamed to keys), row numbers and the total-row flag."""
    by_fold: dict[str, list[int]] = {}
    for i, h in enumerate(grid.headers):
        if h is not None and str(h).strip():
            by_fold.setdefault(fold(h), []).append(i)
    problems: list[Problem] = []
    chosen: dict[str, str] = {}
    for col in spec.columns:
        hits = by_fold.get(fold(col.header), [])
        name = display_header(spec, col)
        if not hits:
            if col.required:
                problems.append(
                    Problem(
                        grid.header_row or None,
                        name,
                        None,
                        f"a column '{name}'",
                        f"missing required column '{name}' in the header"
                        + (f" (row {grid.header_row})" if grid.header_row else ""),
                    )
                )
            continue
        if len(hits) > 1:
            problems.append(
                Problem(
                    grid.header_row or None,
                    name,
                    None,
                    f"one column '{name}'",
                    f"the header names column '{name}' {len(hits)} times",
                )
            )
            continue
        chosen[col.key] = grid.columns[hits[0]]
    if problems:
        raise FileProblems(problems)

    # Cells: trimmed, blank -> null.
    body = grid.df.with_columns(
        pl.col(c).str.strip_chars().replace("", None) for c in grid.df.columns
    ).with_columns(grid.row_numbers.alias(ROW))
    cells = [c for c in grid.df.columns]
    first = pl.coalesce(cells) if cells else pl.lit(None, pl.Utf8)
    body = body.with_columns(
        first.is_null().alias("__empty"),
        _fold_expr(first).alias("__first"),
    )
    body = body.with_columns(
        (pl.col("__first") == "tong cong").fill_null(False).alias(TOTAL),
        pl.col("__first").str.contains(_SIGNATURE).fill_null(False).alias("__sig"),
    )
    stops = (body.get_column("__empty") | body.get_column("__sig")).arg_true()
    if len(stops):
        end = int(stops[0])
        data = body.slice(0, end)
        trailer = body.slice(end).filter(~pl.col("__empty"))
        sig = trailer.get_column("__sig").arg_true()
        before = trailer.slice(0, int(sig[0])) if len(sig) else trailer
        stray = before.filter(~pl.col(TOTAL))
        if stray.height:
            after_row = int(body.get_column(ROW)[end])
            raise file_problem(
                "data rows without gaps, then at most a total row and a signature block",
                f"has data after the empty row {after_row} that is not a signature block "
                "(Người lập biểu / Kiểm soát / Giám đốc)",
                row=int(stray.get_column(ROW)[0]),
            )
        data = pl.concat([data, before.filter(pl.col(TOTAL))], how="vertical")
    else:
        data = body

    totals = data.filter(pl.col(TOTAL))
    if spec.keeps_total_row:
        if totals.height > 1:
            raise file_problem(
                f"one {TOTAL_LABEL} row",
                f"has {totals.height} {TOTAL_LABEL} rows (rows "
                + ", ".join(str(r) for r in totals.get_column(ROW).to_list()[:5])
                + ")",
                row=int(totals.get_column(ROW)[1]),
            )
    elif totals.height:
        data = data.filter(~pl.col(TOTAL))
    out = data.select(
        *[pl.col(src).alias(key) for key, src in chosen.items()],
        *[pl.lit(None, pl.Utf8).alias(c.key) for c in spec.columns if c.key not in chosen],
        pl.col(ROW),
        pl.col(TOTAL),
    )
    if spec.marker_row and "row_name" in out.columns:
        # the total row's label may sit in column (1) with (2) empty
        out = out.with_columns(
            pl.when(pl.col(TOTAL) & pl.col("row_name").is_null())
            .then(pl.lit(TOTAL_LABEL))
            .otherwise(pl.col("row_name"))
            .alias("row_name")
        )
    if spec.code == "HOI" and "district_name" in out.columns:
        out = out.with_columns(
            pl.when(pl.col(TOTAL) & pl.col("district_name").is_null())
            .then(pl.lit(TOTAL_LABEL))
            .otherwise(pl.col("district_name"))
            .alias("district_name")
        )
    data_rows = out.filter(~pl.col(TOTAL)).height
    if data_rows == 0 and spec.code != "SKGD":
        raise file_problem(
            "at least one data row",
            f"is empty: a header (row {grid.header_row}) but no data rows"
            if grid.header_row
            else "is empty: no data rows",
        )
    return out


# ---------------------------------------------------------------------------------- types
@dataclass
class _Check:
    column: str | None
    mask: pl.Expr  # True where the row is wrong
    value: pl.Expr | None  # what to show (text)
    expected: str
    problem: str | pl.Expr  # text, or an expression giving the text per row


_INT_PLAIN = r"^-?\d+$"
_INT_GROUPED = r"^-?\d{1,3}(\.\d{3})+$"
_INT_FLOAT = r"^-?\d+\.0$"
_DEC = r"^-?\d+([.,]\d+)?([eE][-+]?\d+)?$"
_DMY = r"^\d{1,2}/\d{1,2}/\d{4}$"
_ISO = r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$"
_SERIAL = r"^\d{5}(\.0+)?$"
_EXCEL_EPOCH = date(1899, 12, 30)


def _raw(key: str) -> str:
    return f"__raw_{key}"


def _allowed_text(allowed: tuple[str, ...]) -> str:
    if set(allowed) <= set(UNIT_BY_CODE) and len(allowed) > 8:
        return f"a unit code {min(allowed)}..{max(allowed)}"
    return "one of " + ", ".join(allowed)


def _value_expr(col: Column) -> pl.Expr | None:
    """The typed value of a column from its raw text (None: done in Python, see _millions)."""
    s = pl.col(col.key)
    if col.type == "code":
        v = s
        if col.width:
            v = pl.when(v.str.contains(r"^\d+\.0+$")).then(v.str.replace(r"\.0+$", "")).otherwise(v)
            v = (
                pl.when(v.str.contains(r"^\d+$") & (v.str.len_chars() < col.width))
                .then(v.str.zfill(col.width))
                .otherwise(v)
            )
        return v.str.normalize("NFC")
    if col.type == "text":
        v = s.str.normalize("NFC")
        if col.allowed:
            mapping = {fold(a): a for a in col.allowed}
            v = _fold_expr(s).replace_strict(mapping, default=None, return_dtype=pl.Utf8)
        return v
    if col.type == "int":
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
    if col.type == "decimal":
        return (
            pl.when(s.str.contains(_DEC))
            .then(s.str.replace(",", ".", literal=True))
            .otherwise(None)
            .cast(pl.Float64, strict=False)
        )
    if col.type == "date":
        dmy = pl.when(s.str.contains(_DMY)).then(s.str.strptime(pl.Date, "%d/%m/%Y", strict=False))
        iso = pl.when(s.str.contains(_ISO)).then(
            s.str.slice(0, 10).str.strptime(pl.Date, "%Y-%m-%d", strict=False)
        )
        serial = pl.when(s.str.contains(_SERIAL)).then(
            pl.lit(_EXCEL_EPOCH)
            + pl.duration(days=s.str.extract(r"^(\d{5})", 1).cast(pl.Int64, strict=False))
        )
        v = pl.coalesce(dmy, iso, serial)
        return pl.when(v.dt.year().is_between(1900, 2100)).then(v).otherwise(None)
    if col.type == "million":
        return None
    raise ValueError(f"unknown column type {col.type!r} of {col.key}")  # pragma: no cover


def _type_checks(spec: ReportSpec, col: Column) -> list[_Check]:
    name = display_header(spec, col)
    raw, typed = pl.col(_raw(col.key)), pl.col(col.key)
    checks: list[_Check] = []
    if not col.nullable:
        empty_ok = pl.lit(False)
        if spec.keeps_total_row and col.key == "stt":
            empty_ok = pl.col(TOTAL)
        checks.append(
            _Check(
                name, raw.is_null() & ~empty_ok, None, "a value", "is empty; a value is required"
            )
        )
    t = col.type
    if t == "code":
        if col.width:
            checks.append(
                _Check(
                    name,
                    raw.is_not_null() & (typed.str.len_chars() != col.width),
                    raw,
                    f"a code of {col.width} characters",
                    f"is not a code of {col.width} characters (leading zeros are kept)",
                )
            )
        if col.allowed:
            checks.append(
                _Check(
                    name,
                    typed.is_not_null() & ~typed.is_in(list(col.allowed)),
                    raw,
                    _allowed_text(col.allowed),
                    f"is not a known code (expected {_allowed_text(col.allowed)})",
                )
            )
    elif t == "text" and col.allowed:
        checks.append(
            _Check(
                name,
                raw.is_not_null() & typed.is_null(),
                raw,
                _allowed_text(col.allowed),
                f"is not one of the contract's values ({', '.join(col.allowed)})",
            )
        )
    elif t == "int":
        what = "a whole number" if col.key in COUNT_KEYS else "an integer amount in đồng"
        checks.append(
            _Check(name, raw.is_not_null() & typed.is_null(), raw, what, f"is not {what}")
        )
        checks.append(
            _Check(name, typed < 0, raw, f"{what}, not negative", "is negative; must be ≥ 0")
        )
    elif t == "decimal":
        checks.append(
            _Check(
                name,
                raw.is_not_null() & typed.is_null(),
                raw,
                "a decimal number",
                "is not a decimal number",
            )
        )
        checks.append(_Check(name, typed < 0, raw, "a number ≥ 0", "is negative; must be ≥ 0"))
    elif t == "date":
        checks.append(
            _Check(
                name,
                raw.is_not_null() & typed.is_null(),
                raw,
                "a date dd/mm/yyyy",
                "is not a date (dd/mm/yyyy or an Excel date cell)",
            )
        )
    return checks


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


def _millions(df: pl.DataFrame, spec: ReportSpec) -> tuple[dict[str, pl.Series], list[Problem]]:
    """Exact Decimal conversion of the million columns (small files only)."""
    out: dict[str, pl.Series] = {}
    problems: list[Problem] = []
    rows = df.get_column(ROW).to_list()
    for col in spec.columns:
        if col.type != "million":
            continue
        name = display_header(spec, col)
        values: list[Decimal | None] = []
        for r, text in zip(rows, df.get_column(col.key).to_list(), strict=True):
            if text is None:
                values.append(None)
                continue
            v, why = _parse_million(text, col.scale)
            if why:
                problems.append(
                    Problem(r, name, text, f"an amount in triệu đồng, ≤ {col.scale} decimals", why)
                )
            values.append(v)
        out[col.key] = pl.Series(col.key, values, dtype=pl.Decimal(24, 6))
    return out, problems


def _convert(df: pl.DataFrame, spec: ReportSpec) -> pl.DataFrame:
    exprs = {c.key: _value_expr(c) for c in spec.columns}
    typed = df.select(
        pl.col(ROW),
        pl.col(TOTAL),
        *[pl.col(c.key).alias(_raw(c.key)) for c in spec.columns],
        *[e.alias(k) for k, e in exprs.items() if e is not None],
    )
    millions, problems = _millions(df, spec)
    if millions:
        typed = typed.with_columns(list(millions.values()))
    checks = [ch for c in spec.columns for ch in _type_checks(spec, c)]
    _run_checks(typed, checks, problems)
    return typed


def _run_checks(df: pl.DataFrame, checks: list[_Check], problems: list[Problem]) -> None:
    """Evaluate checks; raise FileProblems with the first MAX_ERRORS_PER_FILE problems."""
    total = len(problems)
    if checks:
        counts = df.select(
            [ch.mask.fill_null(False).sum().alias(f"m{i}") for i, ch in enumerate(checks)]
        ).row(0)
        for ch, n in zip(checks, counts, strict=True):
            if not n:
                continue
            total += n
            room = MAX_ERRORS_PER_FILE - len(problems)
            if room <= 0:
                continue
            problem = ch.problem if isinstance(ch.problem, pl.Expr) else pl.lit(ch.problem)
            value = ch.value.cast(pl.Utf8) if ch.value is not None else pl.lit(None, pl.Utf8)
            bad = (
                df.select(
                    pl.col(ROW),
                    value.alias("v"),
                    problem.alias("p"),
                    ch.mask.fill_null(False).alias("m"),
                )
                .filter(pl.col("m"))
                .head(room)
                .drop("m")
            )
            for r, v, p in bad.iter_rows():
                problems.append(Problem(r, ch.column, v, ch.expected, p))
    if problems:
        problems.sort(key=lambda p: p.row or 0)
        raise FileProblems(problems[:MAX_ERRORS_PER_FILE], total)


# ------------------------------------------------------------------------- derived columns
def _map_names(
    df: pl.DataFrame, spec: ReportSpec, name_key: str, index
) -> tuple[list[str | None], list[Problem]]:
    codes: list[str | None] = []
    problems: list[Problem] = []
    header = display_header(spec, spec.column(name_key))
    for r, name, is_total in df.select(ROW, name_key, TOTAL).iter_rows():
        if is_total or name is None:
            codes.append(None)
            continue
        code, why = index.lookup(name)
        if why:
            problems.append(Problem(r, header, name, f"a {index.kind} name of the contract", why))
        codes.append(code)
    return codes, problems


def _derive(df: pl.DataFrame, ctx: FileContext) -> pl.DataFrame:
    spec = ctx.spec
    if spec.code in ("BCDHTD_01.1", "BCDHTD_01.2"):
        if spec.code == "BCDHTD_01.2":
            kind, codes, problems = "program", *_map_names(df, spec, "row_name", PROGRAM_NAMES)
        elif ctx.unit == BRANCH_OFFICE:
            kind, codes, problems = "district", *_map_names(df, spec, "row_name", DISTRICT_NAMES)
        else:  # commune names: mapped by the loader with the office's M31 (resolve_communes)
            kind, codes, problems = "commune", [None] * df.height, []
        if problems:
            raise FileProblems(problems[:MAX_ERRORS_PER_FILE], len(problems))
        return df.with_columns(
            pl.when(pl.col(TOTAL)).then(pl.lit("total")).otherwise(pl.lit(kind)).alias("row_kind"),
            pl.Series("row_code", codes, dtype=pl.Utf8),
        )
    if spec.code == "HOI":
        codes, problems = _map_names(df, spec, "district_name", DISTRICT_NAMES)
        if problems:
            raise FileProblems(problems[:MAX_ERRORS_PER_FILE], len(problems))
        return df.with_columns(
            pl.lit(ctx.unit).alias("org_code"),
            pl.Series("pgd_code", codes, dtype=pl.Utf8),
            pl.col(TOTAL).alias("is_total"),
        )
    return df


# ------------------------------------------------------------------------------ validation
def _validate(df: pl.DataFrame, ctx: FileContext) -> None:
    spec = ctx.spec
    checks: list[_Check] = []
    keys = set(spec.keys)
    date_key = DATA_DATE_COLUMN.get(spec.code)
    if date_key:
        checks.append(
            _Check(
                display_header(spec, spec.column(date_key)),
                pl.col(date_key) != pl.lit(ctx.data_date),
                pl.col(_raw(date_key)),
                f"the delivery's data date {ctx.data_date:%d/%m/%Y}",
                f"is not the delivery's data date {ctx.data_date:%d/%m/%Y}",
            )
        )
    if "pgd_code" in keys and not spec.unit_is_org:
        checks.append(
            _Check(
                display_header(spec, spec.column("pgd_code")),
                pl.col("pgd_code") != pl.lit(ctx.folder_unit),
                pl.col(_raw("pgd_code")),
                f"the delivery's unit {ctx.folder_unit}",
                f"is not the delivery's unit {ctx.folder_unit}",
            )
        )
    checks.extend(_balance_checks(spec))
    checks.extend(duplicate_checks(spec))
    problems: list[Problem] = []
    _run_checks(df, checks, problems)


def _balance_checks(spec: ReportSpec) -> list[_Check]:
    if spec.code == "M31":
        parts = ("outstanding_in_term", "outstanding_overdue", "outstanding_frozen")
        total = "outstanding"
    elif spec.marker_row:
        parts = ("outstanding_in_term_mil", "outstanding_overdue_mil", "outstanding_frozen_mil")
        total = "outstanding_mil"
    elif spec.code == "BC0437":
        name = spec.column("outstanding").header
        over = pl.col("outstanding_overdue") + pl.col("outstanding_frozen")
        return [
            _Check(
                name,
                over > pl.col("outstanding"),
                pl.col("outstanding").cast(pl.Utf8),
                "Tổng dư nợ ≥ Dư nợ quá hạn + Dư nợ khoanh",
                pl.format("is less than overdue + frozen = {}", over),
            )
        ]
    else:
        return []
    name = display_header(spec, spec.column(total))
    s = pl.col(parts[0]) + pl.col(parts[1]) + pl.col(parts[2])
    heads = " + ".join(display_header(spec, spec.column(p)) for p in parts)
    return [
        _Check(
            name,
            pl.col(total) != s,
            pl.col(total).cast(pl.Utf8),
            f"{name} = {heads}",
            pl.format(
                "is not in term + overdue + frozen = {} + {} + {} = {}",
                *[pl.col(p) for p in parts],
                s,
            ),
        )
    ]


def duplicate_checks(spec: ReportSpec) -> list[_Check]:
    if spec.code == "M31":
        loan, book, cust = pl.col("loan_code"), pl.col("savings_book_no"), pl.col("customer_code")
        key = (
            pl.when(loan.is_null())
            .then(pl.concat_str(pl.lit("S|"), cust, pl.lit("|"), book.fill_null("")))
            .otherwise(pl.concat_str(pl.lit("L|"), loan, pl.lit("|"), book.fill_null("")))
        )
        name = spec.column("loan_code").header
        label = "(Số khế ước, Số sổ TK 105)"
        shown = pl.concat_str(loan.fill_null(cust), pl.lit(" / "), book.fill_null("-"))
    elif spec.code in UNIQUE_KEYS:
        cols = UNIQUE_KEYS[spec.code]
        key = pl.concat_str([pl.col(c).cast(pl.Utf8) for c in cols], separator="|")
        name = display_header(spec, spec.column(cols[-1])) if cols[-1] in spec.keys else cols[-1]
        label = (
            "("
            + ", ".join(display_header(spec, spec.column(c)) if c in spec.keys else c for c in cols)
            + ")"
        )
        shown = key
        if spec.keeps_total_row:
            key = pl.when(pl.col(TOTAL)).then(pl.lit(None)).otherwise(key)
    else:
        return []
    first_row = pl.col(ROW).first().over(key)
    dup = key.is_not_null() & ~key.is_first_distinct()
    return [
        _Check(
            name,
            dup,
            shown,
            f"a unique key {label}",
            pl.format("repeats the key {} of row {}", pl.lit(label), first_row),
        )
    ]


# ------------------------------------------------------------------------------- output
def _finalize(df: pl.DataFrame, ctx: FileContext) -> pa.Table:
    spec = ctx.spec
    derived = [name for name, _ in spec.derived]
    out = df.select(
        *[pl.col(k) for k in spec.keys],
        *[pl.col(k) for k in derived],
        pl.lit(ctx.rel).alias("_source_file"),
        pl.lit(ctx.revision, pl.Int32).alias("_revision"),
        pl.lit(ctx.sha256).alias("_sha256"),
        pl.col(ROW).cast(pl.Int32).alias("_row_number"),
        pl.lit(ctx.folder_unit).alias("_unit"),
        pl.lit(ctx.data_date, pl.Date).alias("_data_date"),
    )
    return out.to_arrow(compat_level=pl.CompatLevel.oldest())


def resolve_communes(parsed: ParsedFile, index) -> ParsedFile:
    """Fill row_code of a district office's 01.1 form from commune names (loader side)."""
    df = pl.from_arrow(parsed.table)
    spec = parsed.ctx.spec
    df = df.with_columns((pl.col("row_kind") == "total").alias(TOTAL))
    if index is None or len(index) == 0:
        problems = [
            Problem(
                None,
                display_header(spec, spec.column("row_name")),
                None,
                "commune names known from an M31 of the same office",
                f"cannot map commune names: no M31 of office {parsed.ctx.unit} has been loaded",
            )
        ]
        return ParsedFile(parsed.ctx, None, problems, 1, seconds=parsed.seconds)
    codes, problems = _map_names(df, spec, "row_name", index)
    df = df.with_columns(pl.Series("row_code", codes, dtype=pl.Utf8))
    if not problems:
        try:
            _run_checks(df, duplicate_checks(spec), problems)
        except FileProblems as exc:
            return ParsedFile(parsed.ctx, None, exc.problems, exc.total, seconds=parsed.seconds)
    if problems:
        return ParsedFile(
            parsed.ctx,
            None,
            problems[:MAX_ERRORS_PER_FILE],
            len(problems),
            seconds=parsed.seconds,
        )
    table = df.drop(TOTAL).to_arrow(compat_level=pl.CompatLevel.oldest())
    return ParsedFile(parsed.ctx, table, [], 0, seconds=parsed.seconds)
