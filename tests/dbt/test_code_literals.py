"""The models and macros spell no code of the contract that the seeds describe: an office or an
organization is told by its seed's properties (``units.is_branch_office``,
``organizations.is_entrusted``, ``channels.is_entrusted``), not by ``'0100'``, ``'99'`` or
``'2'``. Where SQL still names a code
(a transaction type pivoted into its column, a term class, a reconciliation result), the code
must be one of the contract's (pipelines/contract/codes.py): renaming a code there fails here
instead of silently emptying a column."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipelines.contract import codes
from pipelines.settings import DBT_PROJECT_DIR

# Columns whose codes the seeds describe: SQL reads what a code is from the seed, never the code.
BY_SEED = ("org_code", "pgd_code", "unit_code", "program_code", "district_pgd_code", "channel")
# Columns SQL may compare with a literal, and the contract's values for them.
CODE_LISTS = {
    "txn_type": codes.TXN_TYPES,
    "term_class": codes.TERM_CLASSES,
    "result": codes.RECON_RESULTS,
    "funding_source": codes.FUNDING_SOURCES,
    "loan_status": codes.LOAN_STATUSES,
    "household_category": codes.HOUSEHOLD_CATEGORIES,
    "rating": codes.RATINGS,
    "gender": codes.GENDERS,
}
_COMMENT = re.compile(r"\{#.*?#\}|--[^\n]*", re.DOTALL)
_QUOTED = re.compile(r"'([^']*)'")


def _sql_files() -> list[Path]:
    return sorted(
        p for folder in ("models", "macros") for p in (DBT_PROJECT_DIR / folder).rglob("*.sql")
    )


def _literals(text: str, column: str) -> list[str]:
    """Literals ``column`` is compared with: ``= 'x'``, ``<> 'x'``, ``in ('x', ...)``,
    ``case column when 'x' ...``."""
    col = rf"(?<![\w.])(?:\w+\.)?{column}\b"
    found = re.findall(rf"{col}\s*(?:=|<>|!=)\s*'([^']*)'", text, re.IGNORECASE)
    for listed in re.findall(rf"{col}\s+(?:not\s+)?in\s*\(([^)]*)\)", text, re.IGNORECASE):
        found += _QUOTED.findall(listed)
    for whens in re.findall(rf"case\s+{col}((?:\s+when\s+'[^']*'\s+then[^\n]*)+)", text, re.I):
        found += re.findall(r"when\s+'([^']*)'", whens, re.IGNORECASE)
    return found


def _journal_items(text: str) -> list[str]:
    """The transaction types of a Jinja ``journal_items`` list ((type, column, column), ...)."""
    block = re.search(r"set journal_items = \[(.*?)\]", text, re.DOTALL)
    return re.findall(r"\(\s*'([^']*)'", block.group(1)) if block else []


def _sources() -> dict[str, str]:
    return {
        str(p.relative_to(DBT_PROJECT_DIR)): _COMMENT.sub("", p.read_text(encoding="utf-8"))
        for p in _sql_files()
    }


def test_no_office_organization_or_program_code_is_spelt_in_sql():
    spelt = [
        f"{name}: {column} '{value}'"
        for name, text in _sources().items()
        for column in BY_SEED
        for value in _literals(text, column)
    ]
    assert spelt == [], "read the code's property from its seed (units, organizations, programs)"


@pytest.mark.parametrize("column", sorted(CODE_LISTS))
def test_codes_named_in_sql_are_the_contracts(column):
    unknown = [
        f"{name}: {column} '{value}'"
        for name, text in _sources().items()
        for value in _literals(text, column)
        if value not in CODE_LISTS[column]
    ]
    assert unknown == []


def test_the_journal_types_the_rollforward_checks_are_the_contracts():
    named = [v for text in _sources().values() for v in _journal_items(text)]
    assert named, "recon_loan_rollforward's journal_items list was not found"
    assert set(named) <= set(codes.TXN_TYPES)


def test_the_scan_sees_the_literals_it_looks_for():
    """The patterns find each form of comparison (else the tests above would prove nothing)."""
    sql = (
        "where b.org_code <> '99' and pgd_code = '0100' and txn_type in ('GN', 'DK')\n"
        "case txn_type\n    when 'TNTH' then 'in_term'\n    when 'TNQH' then 'overdue'\nend"
    )
    assert _literals(sql, "org_code") == ["99"]
    assert _literals(sql, "pgd_code") == ["0100"]
    assert _literals(sql, "txn_type") == ["GN", "DK", "TNTH", "TNQH"]
    assert _literals("district_pgd_code = '0101'", "pgd_code") == []
