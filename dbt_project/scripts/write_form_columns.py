"""Write dbt_project/macros/form_columns.sql, the official forms' columns, from the contract.

The columns of forms 01.1/01.2 (marker, raw column in triệu đồng, staging column) live on the
report specs in ``pipelines/contract/reports.py``; staging and the control-total
reconciliation take them from the macros this script writes. It is their only writer, and
``tests/dbt/test_form_columns.py`` fails when the macro file differs from what it would write.
Run from the project root:

    .venv/bin/python dbt_project/scripts/write_form_columns.py
"""

from __future__ import annotations

from pathlib import Path

from pipelines.contract.reports import BCDHTD_011, BCDHTD_012

MACRO_FILE = Path(__file__).resolve().parents[1] / "macros" / "form_columns.sql"
# Raw amounts are triệu đồng (``_mil``); staging converts them to đồng and drops the suffix.
_MILLION_SUFFIX = "_mil"


def form_columns() -> dict[str, list[tuple[str, str, str]]]:
    """Amount and count columns of the forms: (marker, raw column, staging column)."""
    if BCDHTD_011.columns != BCDHTD_012.columns:
        raise ValueError("forms 01.1 and 01.2 no longer share their columns: one macro each")
    amounts = [
        (c.header, c.key, c.key.removesuffix(_MILLION_SUFFIX))
        for c in BCDHTD_011.columns
        if c.type == "million"
    ]
    counts = [(c.header, c.key, c.key) for c in BCDHTD_011.columns if c.type == "int" and c.count]
    return {"form_amount_columns": amounts, "form_count_columns": counts}


_HEADER = """\
{#- Written by dbt_project/scripts/write_form_columns.py from the 01.x forms' report specs
    (pipelines/contract/reports.py); do not edit: tests/dbt/test_form_columns.py fails when
    this file differs from the specs. -#}
"""
_DOCS = {
    "form_amount_columns": "The amount columns of the official forms 01.1/01.2 (contract §4.3):"
    " marker, raw column in\n    triệu đồng, staging column in đồng. One list, used by staging"
    " and by the control-total\n    reconciliation, so the two cannot disagree on a column.",
    "form_count_columns": "The count columns: marker, raw column, staging column.",
}


def render() -> str:
    parts = [_HEADER]
    for name, rows in form_columns().items():
        listed = "".join(f"        ({', '.join(repr(v) for v in row)}),\n" for row in rows)
        parts.append(
            f"\n{{#- {_DOCS[name]} -#}}\n"
            f"{{% macro {name}() -%}}\n"
            f"    {{{{ return([\n{listed}    ]) }}}}\n"
            "{%- endmacro %}\n"
        )
    return "".join(parts)


def main() -> None:
    MACRO_FILE.write_text(render(), encoding="utf-8")
    print(f"wrote {MACRO_FILE}")


if __name__ == "__main__":
    main()
