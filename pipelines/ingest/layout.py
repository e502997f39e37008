"""Where the table sits in a file's grid: its columns by header, its data rows, its total row.

``readers`` give every file the same shape (a grid of text cells and the header row it found);
here the spec's columns are located by folded header text (a figure column missing or named
twice rejects the file, a descriptive one is a finding and loads empty), and the data rows are
cut out: title rows are above the header, the rows end at the first empty row or signature
line, after which only a total row and the signature block may follow. A total row is dropped,
or kept as the control total of a report that ``keeps_total_row``.
"""

from __future__ import annotations

import re
from dataclasses import replace

import polars as pl

from pipelines.contract.reports import ReportSpec

from .errors import FileProblems, Problem, display_header, file_problem
from .frame import ROW, TOTAL
from .readers import Grid, cached_fold

_FIRST = "__first_cell"
_HIT = "__total_label"
TOTAL_LABEL = "TỔNG CỘNG"

_SIGNATURE_RE = re.compile(
    r"^(nguoi lap bieu|lap bieu|kiem soat|ke toan|truong phong|pho giam doc|giam doc|"
    r"thu truong)|ngay .{0,16}thang .{0,16}nam"
)
_TOTAL_RE = r"(?i)^\s*t\S{1,4}ng\s+c\S{1,4}ng\s*$"  # Tổng cộng, any case, NFC/NFD/ASCII


# A first cell that is only digits, dates or punctuation is data, never a label.
_NOT_A_LABEL = r"^[\d\s/.,:\-]*$"


def locate_columns(grid: Grid, spec: ReportSpec) -> tuple[dict[str, str], list[Problem]]:
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


def cut_body(grid: Grid, spec: ReportSpec) -> tuple[pl.DataFrame, list[Problem]]:
    """The data rows: the spec's columns as text under their keys, the row number and the
    total-row flag; and the header's findings. Rows end at the first empty row or signature
    line; after that only a total row and the signature block may follow."""
    chosen, findings = locate_columns(grid, spec)
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
