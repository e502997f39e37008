"""The columns a reader derives rather than reads: row kinds, and codes mapped from row names.

The 01.x forms and HOI_* reports name their rows (programs, districts or communes; contract
4.3, 4.6): ``map_names`` turns those names into codes through the name indexes (``names``);
a name that is unknown or ambiguous rejects the file. A district office's 01.1 names its
communes, whose codes come from the office's M31: those are mapped later, on the loader side
(``parse.resolve_communes``).
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from pipelines.contract.codes import BRANCH_OFFICE
from pipelines.contract.reports import ReportSpec

from .errors import Problem, display_header
from .frame import FILE, ROW, TOTAL
from .names import DISTRICT_NAMES, PROGRAM_NAMES


def map_names(
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


def name_kind(spec: ReportSpec, unit: str) -> str | None:
    """What the report's row names are (contract 4.3, 4.6): programs, districts or communes;
    the branch office 0100 reports its communes' form by district."""
    if not spec.row_names:
        return None
    kind = spec.row_names[1]
    if kind == "commune" and unit == BRANCH_OFFICE:
        return "district"
    return kind


_NAME_INDEX = {"program": PROGRAM_NAMES, "district": DISTRICT_NAMES, "commune": None}


def derive(
    df: pl.DataFrame, spec: ReportSpec, units: Sequence[str]
) -> tuple[pl.DataFrame, list[tuple[int, Problem]]]:
    """The reader's derived columns (01.x: row_kind, row_code; HOI: org, pgd, is_total).

    Commune names of a district office's 01.1 are left NULL here: the loader maps them with
    the office's M31 (``resolve_communes``)."""
    files = df.get_column(FILE).to_list()
    name_key = spec.row_names[0] if spec.row_names else None
    kinds_of = {f: name_kind(spec, units[f]) for f in set(files)}
    codes, problems = (
        map_names(df, spec, name_key, lambda f: _NAME_INDEX[kinds_of[f]])
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
        "org_code": [units[f] for f in files],  # HOI_*: from the file name
        "is_total": df.get_column(TOTAL),
    }
    derived = []
    for name, sql_type in spec.derived:
        if name not in values:  # pragma: no cover - a spec naming a column no reader derives
            raise ValueError(f"{spec.code}: no reader derives column {name!r}")
        dtype = pl.Boolean if sql_type == "BOOLEAN" else pl.Utf8
        derived.append(pl.Series(name, values[name], dtype=dtype))
    return df.hstack(derived), problems
