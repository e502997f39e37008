"""Turn delivered files into typed, validated Arrow tables for ``raw.<report>``.

``parse_files`` is what the worker processes run, on a chunk of files. Each file is read into a
grid (``readers``), its columns located by header, and its data rows cut out: title rows are
above the header, a signature block and anything after the first empty row go, total rows are
dropped or kept as control totals (``keeps_total_row``). Then the bodies of the files of one
report are converted and validated *together* (one vectorised pass for a whole chunk of small
journals, instead of a fixed cost per file), and each file gets its own slice of the result or
its own problems: a file with any problem is rejected whole.

Conversion is two-phase: a cheap pass (casts, one date format) for every column, then, only
for the columns where the cheap pass left values unparsed or the text has combining marks, the
full rules (``.`` thousands separators, numbers typed as ``107.0``, zero padding, Excel serial
dates, NFC). ``million`` amounts (only in the small 01.x and HOI_* files) go through
``Decimal`` so no float drift reaches ``DECIMAL(24,6)``.

Which problems reject a file and which are findings on a row is the contract spec's
(``Column.role``, ``applies_if``, ``empty_for``, ``upper_bound``; ``ReportSpec.unique_key``,
``balances``, ``data_date_key``): nothing here branches on a report's code. A finding's cell
loads empty; a personal column's value is never copied into a problem or a finding.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

import numpy as np
import polars as pl
import pyarrow as pa

from pipelines.contract.codes import BRANCH_OFFICE, UNIT_BY_CODE
from pipelines.contract.naming import fold
from pipelines.contract.reports import FORM_HEADERS, Column, ReportSpec

from .budget import DEFAULT_BUDGET, FileBudget, check_size
from .errors import (
    MAX_ERRORS_PER_FILE,
    MAX_FINDINGS_PER_FILE,
    FileProblems,
    Problem,
    file_problem,
)
from .files import read_regular_file
from .names import DISTRICT_NAMES, PROGRAM_NAMES
from .readers import Grid, cached_fold, read_grid

ROW = "_row_number"
TOTAL = "_is_total"
_FIRST = "__first_cell"
_HIT = "__total_label"
FILE = "__file"
WANT_DATE = "__want_date"
WANT_UNIT = "__want_unit"
TOTAL_LABEL = "TỔNG CỘNG"

_SIGNATURE_RE = re.compile(
    r"^(nguoi lap bieu|lap bieu|kiem soat|ke toan|truong phong|pho giam doc|giam doc|"
    r"thu truong)|ngay .{0,16}thang .{0,16}nam"
)
_TOTAL_RE = r"(?i)^\s*t\S{1,4}ng\s+c\S{1,4}ng\s*$"  # Tổng cộng, any case, NFC/NFD/ASCII


# A first cell that is only digits, dates or punctuation is data, never a label.
_NOT_A_LABEL = r"^[\d\s/.,:\-]*$"


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
    budget: FileBudget = DEFAULT_BUDGET


@dataclass
class ParsedFile:
    ctx: FileContext
    table: pa.Table | None = None
    problems: list[Problem] = field(default_factory=list)
    total_problems: int = 0
    # data-quality findings of a loaded file (descriptive columns), capped per file
    findings: list[Problem] = field(default_factory=list)
    total_findings: int = 0
    communes: list[tuple[str, str]] | None = None  # M31: distinct (commune_code, name)
    needs_commune_codes: bool = False  # 01.1 of a district office
    seconds: float = 0.0
    row_count: int | None = None  # kept once the table is handed to the warehouse
    spill: str | None = None  # Arrow IPC file holding the table on its way to the parent

    @property
    def ok(self) -> bool:
        held = self.table is not None or self.spill is not None or self.row_count is not None
        return held and not self.problems

    @property
    def rows(self) -> int:
        if self.row_count is not None:
            return self.row_count
        return 0 if self.table is None else self.table.num_rows

    def reject(self, problems: list[Problem], total: int | None = None) -> None:
        self.table = None
        self.problems = problems[:MAX_ERRORS_PER_FILE]
        self.total_problems = max(total or 0, len(problems))
        self.findings, self.total_findings = [], 0  # nothing of the file is loaded

    def add_findings(self, findings: list[Problem], total: int | None = None) -> None:
        room = MAX_FINDINGS_PER_FILE - len(self.findings)
        self.findings.extend(findings[: max(room, 0)])
        self.total_findings += max(total or 0, len(findings))


def display_header(spec: ReportSpec, col: Column) -> str:
    """The column as named in messages: its header, or marker + header on the 01.x forms."""
    if spec.marker_row:
        i = int(col.header.strip("()")) - 1
        return f"{col.header} {FORM_HEADERS[i]}"
    return col.header


# ------------------------------------------------------------------------------ entry points
def parse_file(ctx: FileContext, data: bytes | None = None) -> ParsedFile:
    return parse_files([ctx], [data])[0]


def parse_files(
    contexts: list[FileContext], datas: list[bytes | None] | None = None
) -> list[ParsedFile]:
    """Parse and validate files; the files of one report are converted in one pass."""
    outs = [ParsedFile(ctx) for ctx in contexts]
    datas = datas or [None] * len(contexts)
    groups: dict[str, list[tuple[int, pl.DataFrame]]] = defaultdict(list)
    started = [0.0] * len(contexts)
    for i, (ctx, data) in enumerate(zip(contexts, datas, strict=True)):
        started[i] = time.perf_counter()
        try:
            body, findings = _read_body(ctx, data)
        except FileProblems as exc:
            outs[i].reject(exc.problems, exc.total)
            outs[i].seconds = time.perf_counter() - started[i]
            continue
        outs[i].add_findings(findings)
        groups[ctx.spec.code].append((i, body))
        outs[i].seconds = time.perf_counter() - started[i]
    for items in groups.values():
        spec = contexts[items[0][0]].spec
        t0 = time.perf_counter()
        _process(spec, items, contexts, outs)
        share = (time.perf_counter() - t0) / len(items)
        for i, _ in items:
            outs[i].seconds += share
    return outs


def _read_body(ctx: FileContext, data: bytes | None) -> tuple[pl.DataFrame, list[Problem]]:
    if data is None:
        check_size(ctx.size, ctx.budget, ctx.extension)  # before reading a byte
        data = read_regular_file(ctx.path, limit=ctx.budget.max_bytes_for(ctx.extension))
    digest = hashlib.sha256(data).hexdigest()
    if digest != ctx.sha256:
        raise file_problem(
            f"SHA-256 {ctx.sha256} (manifest)",
            f"corrupt: its SHA-256 {digest} differs from the manifest's {ctx.sha256}",
        )
    grid = read_grid(data, ctx.extension, ctx.spec, ctx.budget)
    return _body(grid, ctx.spec)


def _process(
    spec: ReportSpec,
    items: list[tuple[int, pl.DataFrame]],
    contexts: list[FileContext],
    outs: list[ParsedFile],
) -> None:
    bodies = [b.hstack([pl.Series(FILE, np.full(b.height, i, dtype=np.int32))]) for i, b in items]
    body = bodies[0] if len(bodies) == 1 else pl.concat(bodies, how="vertical", rechunk=True)
    ids = [i for i, _ in items]
    problems = _PerFile(MAX_ERRORS_PER_FILE)
    findings = _PerFile(MAX_FINDINGS_PER_FILE)
    typed, early = _convert(body, spec, {i: contexts[i] for i in ids})
    if spec.derived:
        typed, more = _derive(typed, spec, contexts)
        early += more
    for f, p in early:
        problems.add(f, p)
    # a descriptive column missing from a header was reported once: not again on every row
    absent = {i: {p.column for p in outs[i].findings if p.column} for i in ids}
    typed = _collect(typed, _checks(spec), problems, findings, absent)
    table = _finalize(typed, spec, {i: contexts[i] for i in ids})
    offset = 0
    communes = _communes_by_file(typed, spec.commune_names) if spec.commune_names else {}
    for (i, b), _ in zip(items, bodies, strict=True):
        n = b.height
        if problems.found.get(i):
            probs = sorted(problems.found[i], key=lambda p: p.row or 0)
            outs[i].reject(probs, problems.totals[i])
        else:
            outs[i].table = table.slice(offset, n)
            outs[i].add_findings(
                sorted(findings.found.get(i, []), key=lambda p: p.row or 0), findings.totals[i]
            )
            outs[i].communes = communes.get(i, []) if spec.commune_names else None
            outs[i].needs_commune_codes = _name_kind(spec, contexts[i]) == "commune"
        offset += n


@dataclass
class _PerFile:
    """Problems (or findings) per file of a chunk: the first ``cap`` kept, all counted."""

    cap: int
    found: dict[int, list[Problem]] = field(default_factory=lambda: defaultdict(list))
    totals: dict[int, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, f: int, p: Problem) -> None:
        self.totals[f] += 1
        if len(self.found[f]) < self.cap:
            self.found[f].append(p)


def _communes_by_file(
    typed: pl.DataFrame, keys: tuple[str, str]
) -> dict[int, list[tuple[str, str]]]:
    code, name = keys
    pairs = typed.select(FILE, code, name).drop_nulls().unique().sort(pl.all())
    out: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for f, c, n in pairs.iter_rows():
        out[f].append((c, n))
    return out


# ------------------------------------------------------------------------------- the body
def _locate(grid: Grid, spec: ReportSpec) -> tuple[dict[str, str], list[Problem]]:
    """grid column -> spec key of every spec column found in the header, and the findings of
    the descriptive columns that are missing or named twice (those load empty). A figure
    column missing or named twice rejects the file."""
    by_fold: dict[str, list[int]] = {}
    for i, h in enumerate(grid.headers):
        if h is not None and str(h).strip():
            by_fold.setdefault(cached_fold(h), []).append(i)
    problems: list[Problem] = []
    findings: list[Problem] = []
    chosen: dict[str, str] = {}
    at = f" (row {grid.header_row})" if grid.header_row else ""
    for col in spec.columns:
        hits = by_fold.get(cached_fold(col.header), [])
        name = display_header(spec, col)
        if not hits:
            if not col.required:
                continue
            if col.rejects:
                problems.append(
                    Problem(
                        grid.header_row or None,
                        name,
                        None,
                        f"a column '{name}'",
                        f"missing required column '{name}' in the header{at}",
                    )
                )
            else:
                findings.append(
                    Problem(
                        grid.header_row or None,
                        name,
                        None,
                        f"a column '{name}'",
                        f"no column '{name}' in the header{at}; it loads empty",
                    )
                )
            continue
        if len(hits) > 1:
            p = Problem(
                grid.header_row or None,
                name,
                None,
                f"one column '{name}'",
                f"the header names column '{name}' {len(hits)} times{at}",
            )
            if col.rejects:
                problems.append(p)
            else:
                findings.append(replace(p, problem=p.problem + "; it loads empty"))
            continue
        chosen[grid.columns[hits[0]]] = col.key
    if problems:
        raise FileProblems(problems)
    return chosen, findings


def _body(grid: Grid, spec: ReportSpec) -> tuple[pl.DataFrame, list[Problem]]:
    """The data rows: the spec's columns as text under their keys, the row number and the
    total-row flag; and the header's findings. Rows end at the first empty row or signature
    line; after that only a total row and the signature block may follow."""
    chosen, findings = _locate(grid, spec)
    names = [chosen.get(c, c) for c in grid.columns]
    norm = grid.df.rename(dict(zip(grid.columns, names, strict=True)))
    height = norm.height
    empty_idx: list[int] = []
    labels: dict[int, str] = {}
    totals_by_label: set[int] = set()
    label_cols = [k for k in spec.total_label_keys if k in norm.columns]
    # one pass over the grid: the spec's columns, each row's first non-null cell (readers give
    # null for empty cells), and whether a label column spells a total row
    wanted = [pl.col(k) if k in norm.columns else pl.lit(None, pl.Utf8).alias(k) for k in spec.keys]
    extra = [pl.coalesce(names).alias(_FIRST)] if height else []
    if height and label_cols:
        extra.append(
            pl.any_horizontal(pl.col(k).str.contains(_TOTAL_RE) for k in label_cols).alias(_HIT)
        )
    picked = norm.select(*wanted, *extra)
    if height:
        first = picked.get_column(_FIRST)
        empty_idx = first.is_null().arg_true().to_list()
        cand = (first.is_not_null() & ~first.str.contains(_NOT_A_LABEL)).arg_true().to_list()
        # a total row may carry its label in a name column rather than in its first cell
        if label_cols:
            for i in picked.get_column(_HIT).fill_null(False).arg_true().to_list():
                row = norm.row(i, named=True)
                if any(cached_fold(row[k] or "") == "tong cong" for k in label_cols):
                    totals_by_label.add(i)
        labels = {}
        for i in cand:
            label = first[i]
            if not label.strip():  # whitespace-only first cell: look further along the row
                label = next((v for v in norm.row(i) if v is not None and v.strip()), None)
                if label is None:
                    empty_idx.append(i)
                    continue
            labels[i] = cached_fold(label)
        empty_idx.sort()
    totals = {i for i, f in labels.items() if f == "tong cong"} | totals_by_label
    sigs = sorted(i for i, f in labels.items() if _SIGNATURE_RE.search(f))
    stops = sorted(set(empty_idx[:1]) | set(sigs[:1]))
    rows = grid.row_numbers
    if stops:
        end = stops[0]
        empty = set(empty_idx)
        trailer = [i for i in range(end, height) if i not in empty]
        sig_at = next((i for i in sigs if i >= end), height)
        stray = [i for i in trailer if i < sig_at and i not in totals]
        if stray:
            raise file_problem(
                "data rows without gaps, then at most a total row and a signature block",
                f"has data after the empty row {int(rows[end])} that is not a signature block "
                "(Người lập biểu / Kiểm soát / Giám đốc)",
                row=int(rows[stray[0]]),
            )
        keep = list(range(end)) + [i for i in trailer if i < sig_at and i in totals]
    else:
        keep = list(range(height))
    total_rows = [i for i in keep if i in totals]
    if spec.keeps_total_row and len(total_rows) > 1:
        raise file_problem(
            f"one {TOTAL_LABEL} row",
            f"has {len(total_rows)} {TOTAL_LABEL} rows (rows "
            + ", ".join(str(int(rows[i])) for i in total_rows[:5])
            + ")",
            row=int(rows[total_rows[1]]),
        )
    if not spec.keeps_total_row:
        keep = [i for i in keep if i not in totals]
    data_rows = len(keep) - (len(total_rows) if spec.keeps_total_row else 0)
    if data_rows == 0 and not spec.allows_no_rows:
        raise file_problem(
            "at least one data row",
            f"is empty: a header (row {grid.header_row}) but no data rows"
            if grid.header_row
            else "is empty: no data rows",
        )
    body = picked[list(spec.keys)]
    if keep == list(range(len(keep))):
        body, row_numbers = body.head(len(keep)), rows.head(len(keep))
    else:
        idx = pl.Series(keep, dtype=pl.UInt32)
        body, row_numbers = body[idx], rows.gather(idx)
    is_total = pl.Series(TOTAL, [i in totals for i in keep], dtype=pl.Boolean)
    body = body.hstack([row_numbers.alias(ROW), is_total])
    label_key = spec.row_names[0] if spec.row_names else None
    if label_key and total_rows and spec.keeps_total_row:
        # the total row's label may sit in column (1) with (2) empty
        body = body.with_columns(
            pl.when(pl.col(TOTAL) & pl.col(label_key).is_null())
            .then(pl.lit(TOTAL_LABEL))
            .otherwise(pl.col(label_key))
            .alias(label_key)
        )
    return body, findings


# ---------------------------------------------------------------------------------- types
@dataclass
class _Check:
    column: str | None
    mask: pl.Expr  # True where the row is wrong
    value: pl.Expr | None  # what to show (text); None for personal data
    expected: str
    problem: str | pl.Expr  # text, or an expression giving the text per row
    rejects: bool = True  # False: a finding on the row, whose cell (``key``) loads empty
    key: str | None = None


_INT_PLAIN = r"^-?\d+$"
_INT_GROUPED = r"^-?\d{1,3}(\.\d{3})+$"
_INT_FLOAT = r"^-?\d+\.0$"
_DEC = r"^-?\d+([.,]\d+)?([eE][-+]?\d+)?$"
_DMY = r"^\d{1,2}/\d{1,2}/\d{4}$"
_ISO = r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$"
_SERIAL = r"^\d{5}(\.0+)?$"
_EXCEL_EPOCH = date(1899, 12, 30)
_DMY_RE, _ISO_RE = re.compile(_DMY), re.compile(_ISO)


def _raw(key: str) -> str:
    return f"__raw_{key}"


def _allowed_text(allowed: tuple[str, ...]) -> str:
    if set(allowed) <= set(UNIT_BY_CODE) and len(allowed) > 8:
        return f"a unit code {min(allowed)}..{max(allowed)}"
    return "one of " + ", ".join(allowed)


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
    raw, fast = pl.col(_raw(col.key)), pl.col(col.key)
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


def _convert(
    body: pl.DataFrame, spec: ReportSpec, contexts: dict[int, FileContext]
) -> tuple[pl.DataFrame, list[tuple[int, Problem]]]:
    """Typed columns beside their raw text (``__raw_<key>``), plus the expected data date and
    unit of each row's file."""
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
    dates = {i: ctx.data_date for i, ctx in contexts.items()}
    units = {i: ctx.folder_unit for i, ctx in contexts.items()}
    typed = body.select(
        pl.col(ROW),
        pl.col(TOTAL),
        pl.col(FILE),
        pl.col(FILE).replace_strict(dates, return_dtype=pl.Date).alias(WANT_DATE),
        pl.col(FILE).replace_strict(units, return_dtype=pl.Utf8).alias(WANT_UNIT),
        *[pl.col(c.key).alias(_raw(c.key)) for c in spec.columns],
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
                pl.col(_raw(c.key)).str.strip_chars().replace("", None).alias(_raw(c.key))
                for c in redo
                if c.type != "text"
            )
            typed = typed.with_columns(
                _full_expr(c, pl.col(_raw(c.key))).alias(c.key) for c in redo
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


_TYPE_CHECKS: dict[str, list[_Check]] = {}


def _checks(spec: ReportSpec) -> list[_Check]:
    """Type checks of every column, then the row rules (built once per report)."""
    if spec.code not in _TYPE_CHECKS:
        checks = [ch for c in spec.columns for ch in _column_checks(spec, c)]
        checks += _validation_checks(spec)
        _TYPE_CHECKS[spec.code] = checks
    return _TYPE_CHECKS[spec.code]


def _column_checks(spec: ReportSpec, col: Column) -> list[_Check]:
    """The column's rules; a descriptive column's are findings, never rejections."""
    name = display_header(spec, col)
    raw, typed = pl.col(_raw(col.key)), pl.col(col.key)
    # a personal value is never shown: the problem says what is wrong without it
    shown = None if col.personal else raw
    checks: list[_Check] = []

    def check(mask, value, expected, problem) -> None:
        checks.append(_Check(name, mask, value, expected, problem, col.rejects, col.key))

    def bounded(what: str, unit: str) -> None:
        """The contract's upper bound (``Column.upper_bound``): no sum of them can wrap."""
        bound = col.upper_bound
        if bound is not None:
            shown_bound = f"{bound:,}".replace(",", ".")
            check(typed > bound, shown, f"{what} ≤ {shown_bound}", f"is above {shown_bound}{unit}")

    applies = pl.col(col.applies_if).is_not_null() if col.applies_if else pl.lit(True)
    t = col.type
    if col.type == "text" and col.allowed:
        empty = typed.is_null() & (raw.is_null() | (raw.str.strip_chars() == ""))
    elif col.type == "text":
        empty = typed.is_null()
    else:
        empty = typed.is_null() & raw.is_null()
    if not col.nullable:
        where = applies
        if col.empty_for:
            other, values = col.empty_for
            where = where & ~pl.col(other).is_in(list(values)).fill_null(False)
        check(empty & where, None, "a value", "is empty; a value is required")
    if col.applies_if:
        present = ~empty
        if t in ("int", "decimal", "million"):
            present = present & (typed.is_null() | (typed != 0))
        anchor = display_header(spec, spec.column(col.applies_if))
        check(
            present & ~applies,
            shown,
            f"empty where '{anchor}' is empty",
            f"has a value on a row without '{anchor}' (such a row has none of these values)",
        )
    if t == "code":
        if col.width:
            check(
                raw.is_not_null() & (typed.str.len_chars() != col.width),
                shown,
                f"a code of {col.width} characters",
                f"is not a code of {col.width} characters (leading zeros are kept)",
            )
        if col.allowed:
            check(
                typed.is_not_null() & ~typed.is_in(list(col.allowed)),
                shown,
                _allowed_text(col.allowed),
                f"is not a known code (expected {_allowed_text(col.allowed)})",
            )
    elif t == "text" and col.allowed:
        check(
            raw.is_not_null() & typed.is_null() & (raw.str.strip_chars() != ""),
            shown,
            _allowed_text(col.allowed),
            f"is not one of the contract's values ({', '.join(col.allowed)})",
        )
    elif t == "int":
        what = "a whole number" if col.count else "an integer amount in đồng"
        check(raw.is_not_null() & typed.is_null(), shown, what, f"is not {what}")
        check(typed < 0, shown, f"{what}, not negative", "is negative; must be ≥ 0")
        unit = ", not a real count" if col.count else " đồng, not a real amount"
        bounded(what, unit)
    elif t == "decimal":
        check(
            raw.is_not_null() & typed.is_null(),
            shown,
            "a decimal number",
            "is not a decimal number",
        )
        check(typed < 0, shown, "a number ≥ 0", "is negative; must be ≥ 0")
    elif t == "date":
        check(
            raw.is_not_null() & typed.is_null(),
            shown,
            "a date dd/mm/yyyy",
            "is not a date (dd/mm/yyyy or an Excel date cell)",
        )
    elif t == "million":
        bounded("an amount in triệu đồng", " triệu đồng, not a real amount")
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


def _collect(
    df: pl.DataFrame,
    checks: list[_Check],
    problems: _PerFile,
    findings: _PerFile,
    absent: dict[int, set[str]] | None = None,
) -> pl.DataFrame:
    """Evaluate checks; failing rows go to ``problems`` (rejecting checks) or ``findings``
    per file (except a file's findings in its ``absent`` columns, already reported once). A
    finding's cell is emptied in the returned frame: what loads is only ever a value that meets
    the contract, or nothing."""
    absent = absent or {}
    if not checks or df.height == 0:
        return df
    counts = df.select(
        [ch.mask.fill_null(False).sum().alias(f"m{i}") for i, ch in enumerate(checks)]
    ).row(0)
    blank: dict[str, list[pl.Expr]] = defaultdict(list)
    for ch, n in zip(checks, counts, strict=True):
        if not n:
            continue
        problem = ch.problem if isinstance(ch.problem, pl.Expr) else pl.lit(ch.problem)
        value = ch.value.cast(pl.Utf8) if ch.value is not None else pl.lit(None, pl.Utf8)
        bad = (
            df.select(
                pl.col(FILE),
                pl.col(ROW),
                value.alias("v"),
                problem.alias("p"),
                ch.mask.fill_null(False).alias("m"),
            )
            .filter(pl.col("m"))
            .drop("m")
        )
        into = problems if ch.rejects else findings
        for f, r, v, p in bad.iter_rows():
            if not ch.rejects and ch.column in absent.get(f, ()):
                continue
            into.add(f, Problem(r, ch.column, v, ch.expected, p))
        if not ch.rejects and ch.key is not None:
            blank[ch.key].append(ch.mask.fill_null(False))
    if blank:
        df = df.with_columns(
            pl.when(pl.any_horizontal(masks)).then(None).otherwise(pl.col(k)).alias(k)
            for k, masks in blank.items()
        )
    return df


# ------------------------------------------------------------------------- derived columns
def _map_names(
    df: pl.DataFrame, spec: ReportSpec, name_key: str, index_of
) -> tuple[list[str | None], list[tuple[int, Problem]]]:
    """Codes of the name column; ``index_of(file)`` gives the NameIndex (None: leave NULL)."""
    codes: list[str | None] = []
    problems: list[tuple[int, Problem]] = []
    header = display_header(spec, spec.column(name_key))
    for f, r, name, is_total in df.select(FILE, ROW, name_key, TOTAL).iter_rows():
        index = index_of(f)
        if is_total or name is None or index is None:
            codes.append(None)
            continue
        code, why = index.lookup(name)
        if why:
            expected = f"a {index.kind} name of the contract"
            problems.append((f, Problem(r, header, name, expected, why)))
        codes.append(code)
    return codes, problems


def _name_kind(spec: ReportSpec, ctx: FileContext) -> str | None:
    """What the report's row names are (contract 4.3, 4.6): programs, districts or communes;
    the branch office 0100 reports its communes' form by district."""
    if not spec.row_names:
        return None
    kind = spec.row_names[1]
    if kind == "commune" and ctx.unit == BRANCH_OFFICE:
        return "district"
    return kind


_NAME_INDEX = {"program": PROGRAM_NAMES, "district": DISTRICT_NAMES, "commune": None}


def _derive(
    df: pl.DataFrame, spec: ReportSpec, contexts: list[FileContext]
) -> tuple[pl.DataFrame, list[tuple[int, Problem]]]:
    """The reader's derived columns (01.x: row_kind, row_code; HOI: org, pgd, is_total).

    Commune names of a district office's 01.1 are left NULL here: the loader maps them with
    the office's M31 (``resolve_communes``)."""
    files = df.get_column(FILE).to_list()
    name_key = spec.row_names[0] if spec.row_names else None
    kinds_of = {f: _name_kind(spec, contexts[f]) for f in set(files)}
    codes, problems = (
        _map_names(df, spec, name_key, lambda f: _NAME_INDEX[kinds_of[f]])
        if name_key
        else ([None] * len(files), [])
    )
    values = {
        "row_kind": [
            "total" if t else kinds_of[f]
            for f, t in zip(files, df.get_column(TOTAL).to_list(), strict=True)
        ],
        "row_code": codes,
        "pgd_code": codes,  # HOI_*: the office of the district named on the row
        "org_code": [contexts[f].unit for f in files],  # HOI_*: from the file name
        "is_total": df.get_column(TOTAL),
    }
    derived = []
    for name, sql_type in spec.derived:
        if name not in values:  # pragma: no cover - a spec naming a column no reader derives
            raise ValueError(f"{spec.code}: no reader derives column {name!r}")
        dtype = pl.Boolean if sql_type == "BOOLEAN" else pl.Utf8
        derived.append(pl.Series(name, values[name], dtype=dtype))
    return df.hstack(derived), problems


# ------------------------------------------------------------------------------ validation
def _validation_checks(spec: ReportSpec) -> list[_Check]:
    """Row rules beyond types: data date, unit, balance identities, unique keys."""
    checks: list[_Check] = []
    keys = set(spec.keys)
    date_key = spec.data_date_key
    if date_key:
        checks.append(
            _Check(
                display_header(spec, spec.column(date_key)),
                pl.col(date_key) != pl.col(WANT_DATE),
                pl.col(_raw(date_key)),
                "the delivery's data date",
                pl.format(
                    "is not the delivery's data date {}", pl.col(WANT_DATE).dt.strftime("%d/%m/%Y")
                ),
            )
        )
    if "pgd_code" in keys and not spec.unit_is_org:
        checks.append(
            _Check(
                display_header(spec, spec.column("pgd_code")),
                pl.col("pgd_code") != pl.col(WANT_UNIT),
                pl.col(_raw("pgd_code")),
                "the delivery's unit",
                pl.format("is not the delivery's unit {}", pl.col(WANT_UNIT)),
            )
        )
    checks.extend(_balance_checks(spec))
    checks.extend(duplicate_checks(spec))
    return checks


def _exact(key: str, spec: ReportSpec) -> pl.Expr:
    """An amount for identity arithmetic: 128-bit integers (or the decimals of triệu đồng), so
    no sum can wrap around whatever the file holds."""
    col = pl.col(key)
    return col if spec.column(key).type == "million" else col.cast(pl.Int128)


def _balance_checks(spec: ReportSpec) -> list[_Check]:
    checks = []
    for b in spec.balances:
        name = display_header(spec, spec.column(b.total))
        total = _exact(b.total, spec)
        parts = [_exact(p, spec) for p in b.parts]
        s = parts[0]
        for part in parts[1:]:
            s = s + part
        heads = " + ".join(display_header(spec, spec.column(p)) for p in b.parts)
        if b.exact:
            checks.append(
                _Check(
                    name,
                    total != s,
                    pl.col(b.total).cast(pl.Utf8),
                    f"{name} = {heads}",
                    pl.format(
                        "is not " + heads + " = " + " + ".join(["{}"] * len(parts)) + " = {}",
                        *parts,
                        s,
                    ),
                )
            )
        else:
            checks.append(
                _Check(
                    name,
                    s > total,
                    pl.col(b.total).cast(pl.Utf8),
                    f"{name} ≥ {heads}",
                    pl.format("is less than " + heads + " = {}", s),
                )
            )
    return checks


def duplicate_checks(spec: ReportSpec) -> list[_Check]:
    """A repeated key within one file (the savings-book rows of M31 are not repeats)."""
    uk = spec.unique_key
    if uk is None:
        return []
    stand_in = dict(uk.stand_in)
    parts, shown_parts = [], []
    for c in uk.columns:
        v = pl.col(c).cast(pl.Utf8)
        if c in stand_in:
            sub = pl.col(stand_in[c]).cast(pl.Utf8)
            # "~" keeps a stand-in from ever equalling a real value of the column
            parts.append(pl.when(v.is_null()).then(pl.concat_str(pl.lit("~"), sub)).otherwise(v))
            shown_parts.append(pl.coalesce(v, sub))
        else:
            parts.append(v.fill_null(""))
            shown_parts.append(v.fill_null("-"))
    # a row whose key columns are all empty (a 01.1 form's communes before they are mapped)
    # has no key yet; an empty part of a key is a value (an M31 row without a savings book)
    unkeyed = pl.all_horizontal(pl.col(c).is_null() for c in uk.columns)
    key = pl.when(unkeyed).then(None).otherwise(pl.concat_str(parts, separator="|"))
    shown = pl.concat_str(shown_parts, separator=" / ")

    def label_of(c: str) -> str:
        return display_header(spec, spec.column(c)) if c in spec.keys else c

    name = label_of(uk.column)
    label = "(" + ", ".join(label_of(c) for c in uk.columns) + ")"
    if spec.keeps_total_row:
        key = pl.when(pl.col(TOTAL)).then(pl.lit(None)).otherwise(key)
    key = pl.concat_str(pl.col(FILE).cast(pl.Utf8), pl.lit("#"), key)
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
def _finalize(df: pl.DataFrame, spec: ReportSpec, contexts: dict[int, FileContext]) -> pa.Table:
    derived = [name for name, _ in spec.derived]
    f = pl.col(FILE)

    def per_file(attr: str, dtype) -> pl.Expr:
        values = {i: getattr(c, attr) for i, c in contexts.items()}
        if len(values) == 1:
            return pl.lit(next(iter(values.values())), dtype)
        return f.replace_strict(values, return_dtype=dtype)

    out = df.select(
        *[pl.col(k) for k in spec.keys],
        *[pl.col(k) for k in derived],
        per_file("rel", pl.Utf8).alias("_source_file"),
        per_file("revision", pl.Int32).alias("_revision"),
        per_file("sha256", pl.Utf8).alias("_sha256"),
        pl.col(ROW).cast(pl.Int32).alias("_row_number"),
        per_file("folder_unit", pl.Utf8).alias("_unit"),
        per_file("data_date", pl.Date).alias("_data_date"),
    )
    return out.to_arrow(compat_level=pl.CompatLevel.oldest())


def resolve_communes(parsed: ParsedFile, index, why_none: str = "") -> ParsedFile:
    """Fill row_code of a district office's 01.1 form from commune names (loader side).

    ``index`` holds the commune names of an M31 of the same office (the same date, else the
    nearest). With none, the form is not loaded and says why (``why_none``): nothing is wrong
    with it, and it loads by itself on the first run after an M31 of the office loads."""
    spec = parsed.ctx.spec
    out = ParsedFile(
        parsed.ctx,
        seconds=parsed.seconds,
        findings=parsed.findings,
        total_findings=parsed.total_findings,
    )
    if index is None or len(index) == 0:
        office = parsed.ctx.unit
        out.reject(
            [
                Problem(
                    None,
                    display_header(spec, spec.column("row_name")),
                    None,
                    f"commune names known from an M31 of office {office}",
                    f"waits for an M31 of office {office}: its rows name communes, whose codes "
                    f"come from the office's M31, and no M31 of office {office} is loaded"
                    + (f" ({why_none})" if why_none else "")
                    + "; nothing is wrong with this form, it loads on the first run after an "
                    f"M31 of office {office} loads",
                )
            ]
        )
        return out
    df = pl.from_arrow(parsed.table)
    df = df.with_columns(
        (pl.col("row_kind") == "total").alias(TOTAL), pl.lit(0, pl.Int32).alias(FILE)
    )
    codes, problems = _map_names(df, spec, "row_name", lambda f: index)
    df = df.with_columns(pl.Series("row_code", codes, dtype=pl.Utf8))
    if problems:
        out.reject([p for _, p in problems], len(problems))
        return out
    found, unused = _PerFile(MAX_ERRORS_PER_FILE), _PerFile(0)
    _collect(df, duplicate_checks(spec), found, unused)
    if found.found.get(0):
        out.reject(found.found[0], found.totals[0])
        return out
    out.table = df.drop(TOTAL, FILE).to_arrow(compat_level=pl.CompatLevel.oldest())
    return out
