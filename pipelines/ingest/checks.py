"""The row checks of a report, built from its contract spec, and their evaluation.

Which problems reject a file and which are findings on a row is the spec's (``Column.role``,
``applies_if``, ``empty_for``, ``upper_bound``; ``ReportSpec.unique_key``, ``balances``,
``data_date_key``): nothing here branches on a report's code. A check is a polars mask over the
converted frame (``convert``), evaluated for every file of a chunk at once (``collect``), whose
failing rows become problems or findings of their own file. A finding's cell loads empty; a
personal column's value is never copied into a problem or a finding.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import polars as pl

from pipelines.contract.codes import UNIT_BY_CODE
from pipelines.contract.reports import Column, ReportSpec

from .errors import Problem, display_header
from .frame import FILE, ROW, TOTAL, WANT_DATE, WANT_UNIT, raw_of


@dataclass
class Check:
    """One rule over the converted frame, and how its failing rows are reported."""

    column: str | None
    mask: pl.Expr  # True where the row is wrong
    value: pl.Expr | None  # what to show (text); None for personal data
    expected: str
    problem: str | pl.Expr  # text, or an expression giving the text per row
    rejects: bool = True  # False: a finding on the row, whose cell (``key``) loads empty
    key: str | None = None


@dataclass
class PerFile:
    """Problems (or findings) per file of a chunk: the first ``cap`` kept, all counted."""

    cap: int
    found: dict[int, list[Problem]] = field(default_factory=lambda: defaultdict(list))
    totals: dict[int, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, f: int, p: Problem) -> None:
        self.totals[f] += 1
        if len(self.found[f]) < self.cap:
            self.found[f].append(p)


_TYPE_CHECKS: dict[str, list[Check]] = {}


def checks_for(spec: ReportSpec) -> list[Check]:
    """Type checks of every column, then the row rules (built once per report)."""
    if spec.code not in _TYPE_CHECKS:
        checks = [ch for c in spec.columns for ch in _column_checks(spec, c)]
        checks += _validation_checks(spec)
        _TYPE_CHECKS[spec.code] = checks
    return _TYPE_CHECKS[spec.code]


def _column_checks(spec: ReportSpec, col: Column) -> list[Check]:
    """The column's rules; a descriptive column's are findings, never rejections."""
    name = display_header(spec, col)
    raw, typed = pl.col(raw_of(col.key)), pl.col(col.key)
    # a personal value is never shown: the problem says what is wrong without it
    shown = None if col.personal else raw
    checks: list[Check] = []

    def check(mask, value, expected, problem) -> None:
        checks.append(Check(name, mask, value, expected, problem, col.rejects, col.key))

    def unreadable(expected: str, problem: str) -> None:
        """A value is there but the column's type rules could not read it."""
        check(raw.is_not_null() & typed.is_null(), shown, expected, problem)

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
        unreadable(what, f"is not {what}")
        check(typed < 0, shown, f"{what}, not negative", "is negative; must be ≥ 0")
        unit = ", not a real count" if col.count else " đồng, not a real amount"
        bounded(what, unit)
    elif t == "decimal":
        unreadable("a decimal number", "is not a decimal number")
        check(typed < 0, shown, "a number ≥ 0", "is negative; must be ≥ 0")
    elif t == "date":
        unreadable("a date dd/mm/yyyy", "is not a date (dd/mm/yyyy or an Excel date cell)")
    elif t == "million":
        bounded("an amount in triệu đồng", " triệu đồng, not a real amount")
    return checks


def _allowed_text(allowed: tuple[str, ...]) -> str:
    if set(allowed) <= set(UNIT_BY_CODE) and len(allowed) > 8:
        return f"a unit code {min(allowed)}..{max(allowed)}"
    return "one of " + ", ".join(allowed)


def _validation_checks(spec: ReportSpec) -> list[Check]:
    """Row rules beyond types: data date, unit, balance identities, unique keys."""
    checks: list[Check] = []
    keys = set(spec.keys)
    date_key = spec.data_date_key
    if date_key:
        checks.append(
            Check(
                display_header(spec, spec.column(date_key)),
                pl.col(date_key) != pl.col(WANT_DATE),
                pl.col(raw_of(date_key)),
                "the delivery's data date",
                pl.format(
                    "is not the delivery's data date {}", pl.col(WANT_DATE).dt.strftime("%d/%m/%Y")
                ),
            )
        )
    if "pgd_code" in keys and not spec.unit_is_org:
        checks.append(
            Check(
                display_header(spec, spec.column("pgd_code")),
                pl.col("pgd_code") != pl.col(WANT_UNIT),
                pl.col(raw_of("pgd_code")),
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


def _balance_checks(spec: ReportSpec) -> list[Check]:
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
                Check(
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
                Check(
                    name,
                    s > total,
                    pl.col(b.total).cast(pl.Utf8),
                    f"{name} ≥ {heads}",
                    pl.format("is less than " + heads + " = {}", s),
                )
            )
    return checks


def duplicate_checks(spec: ReportSpec) -> list[Check]:
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
        Check(
            name,
            dup,
            shown,
            f"a unique key {label}",
            pl.format("repeats the key {} of row {}", pl.lit(label), first_row),
        )
    ]


def collect(
    df: pl.DataFrame,
    checks: list[Check],
    problems: PerFile,
    findings: PerFile,
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
