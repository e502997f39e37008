"""Turn delivered files into typed, validated Arrow tables for ``raw.<report>``.

``parse_files`` is what the worker processes run, on a chunk of files; this module holds that
orchestration and the types it hands on (``FileContext`` in, ``ParsedFile`` out). Each file is
read into a grid (``readers``), its table located and its data rows cut out (``layout``). Then
the bodies of the files of one report are converted (``convert``), given their derived columns
(``derive``) and checked (``checks``) *together* (one vectorised pass for a whole chunk of
small journals, instead of a fixed cost per file), and each file gets its own slice of the
result or its own problems: a file with any problem is rejected whole. The slices carry the
lineage columns (``_source_file``, ``_revision``, ...) that the loader writes.

``resolve_communes`` is the loader's second step for a district office's 01.1 form, whose
commune names are mapped to codes only once the office's M31 is known.
"""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import polars as pl
import pyarrow as pa

from pipelines.contract.reports import ReportSpec

from .budget import DEFAULT_BUDGET, FileBudget, check_size
from .checks import PerFile, checks_for, collect, duplicate_checks
from .convert import convert
from .derive import derive, map_names, name_kind
from .errors import (
    MAX_ERRORS_PER_FILE,
    MAX_FINDINGS_PER_FILE,
    FileProblems,
    Problem,
    display_header,
    file_problem,
)
from .files import read_regular_file
from .frame import FILE, ROW, TOTAL
from .layout import cut_body
from .readers import read_grid


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
    """One file's outcome: its table (or where it is held) and findings, or its problems."""

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
    return cut_body(grid, ctx.spec)


def _process(
    spec: ReportSpec,
    items: list[tuple[int, pl.DataFrame]],
    contexts: list[FileContext],
    outs: list[ParsedFile],
) -> None:
    bodies = [b.hstack([pl.Series(FILE, np.full(b.height, i, dtype=np.int32))]) for i, b in items]
    body = bodies[0] if len(bodies) == 1 else pl.concat(bodies, how="vertical", rechunk=True)
    ids = [i for i, _ in items]
    problems = PerFile(MAX_ERRORS_PER_FILE)
    findings = PerFile(MAX_FINDINGS_PER_FILE)
    dates = {i: contexts[i].data_date for i in ids}
    units = {i: contexts[i].folder_unit for i in ids}
    typed, early = convert(body, spec, dates, units)
    if spec.derived:
        typed, more = derive(typed, spec, [c.unit for c in contexts])
        early += more
    for f, p in early:
        problems.add(f, p)
    # a descriptive column missing from a header was reported once: not again on every row
    absent = {i: {p.column for p in outs[i].findings if p.column} for i in ids}
    typed = collect(typed, checks_for(spec), problems, findings, absent)
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
            outs[i].needs_commune_codes = name_kind(spec, contexts[i].unit) == "commune"
        offset += n


def _communes_by_file(
    typed: pl.DataFrame, keys: tuple[str, str]
) -> dict[int, list[tuple[str, str]]]:
    code, name = keys
    pairs = typed.select(FILE, code, name).drop_nulls().unique().sort(pl.all())
    out: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for f, c, n in pairs.iter_rows():
        out[f].append((c, n))
    return out


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


# ------------------------------------------------------------------------------ loader side
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
    codes, problems = map_names(df, spec, "row_name", lambda f: index)
    df = df.with_columns(pl.Series("row_code", codes, dtype=pl.Utf8))
    if problems:
        out.reject([p for _, p in problems], len(problems))
        return out
    found, unused = PerFile(MAX_ERRORS_PER_FILE), PerFile(0)
    collect(df, duplicate_checks(spec), found, unused)
    if found.found.get(0):
        out.reject(found.found[0], found.totals[0])
        return out
    out.table = df.drop(TOTAL, FILE).to_arrow(compat_level=pl.CompatLevel.oldest())
    return out
