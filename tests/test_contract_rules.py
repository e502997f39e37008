"""The contract's rules have one home, the specs in pipelines/contract: the other modules (and
the dbt seeds and macros, tests/dbt/test_seeds.py) take them from there instead of re-typing
them. These tests hold the specs to the contract and fail where a rule is typed a second time."""

from __future__ import annotations

import ast
import re
from datetime import date

import pytest

from pipelines.contract import codes
from pipelines.contract.reports import BC0437, M31, PERSONAL_COLUMN, PERSONAL_COLUMNS, REPORTS
from pipelines.settings import PROJECT_ROOT

PIPELINES = PROJECT_ROOT / "pipelines"


def _sources_saying(pattern: str) -> list[str]:
    """The modules of ``pipelines/`` whose source matches ``pattern``."""
    return sorted(
        str(p.relative_to(PROJECT_ROOT))
        for p in PIPELINES.rglob("*.py")
        if re.search(pattern, p.read_text(encoding="utf-8"))
    )


def test_the_specs_mark_the_contracts_personal_columns():
    """Names, ID numbers, phones (contract §4.1), the group leader (§4.4), the officer (§4.5)."""
    marked = {r.table: r.personal_keys for r in REPORTS if r.personal_keys}
    assert marked == {
        "m31": ("group_name", "customer_name", "national_id", "phone"),
        "bc0437": ("leader_name",),
        "doichieu": ("officer",),
    }
    assert set(PERSONAL_COLUMNS) == {k for keys in marked.values() for k in keys}


def test_a_name_containing_a_personal_column_is_personal():
    for key in PERSONAL_COLUMNS:
        assert PERSONAL_COLUMN.search(key) and PERSONAL_COLUMN.search(f"{key.upper()}_2")
    for code in ("customer_code", "group_code", "org_code", "pgd_code", "program_name"):
        assert not PERSONAL_COLUMN.search(code)


def test_personal_column_names_are_typed_once():
    """Reports and publication use the specs' list; no module lists the names again."""
    names = "customer_name|national_id|phone|group_name|leader_name|officer"
    listing = rf"""\b({names})["',|\s]+({names})\b"""
    assert _sources_saying(listing) == []


def test_no_personal_column_in_an_exception_list():
    from pipelines.reports.data import listed_columns

    shown = listed_columns(["pgd_code", *PERSONAL_COLUMNS, "officer_name", "_inputs_loaded_at"])
    assert shown == ["pgd_code"]


def test_hanoi_time_is_defined_once():
    """Data dates, partitions and freshness deadlines are days in Hanoi, one definition."""
    from pipelines.defs.partitions import daily_partitions

    assert _sources_saying(r"Asia/Ho_Chi_Minh") == ["pipelines/contract/codes.py"]
    assert daily_partitions(date(2022, 1, 1)).timezone == codes.TIMEZONE


@pytest.mark.parametrize(
    ("bands", "low", "high"),
    [(codes.RATING_BANDS, 0, 100), (codes.TERM_BANDS, 0, None)],
    ids=["ratings", "terms"],
)
def test_bands_cover_their_range_once(bands, low, high):
    """Every score 0..100 has one rating, every term from 0 months one class: the bands follow
    each other without a gap or an overlap."""
    ordered = sorted(bands, key=lambda b: b.low)
    assert ordered[0].low == low and ordered[-1].high == high
    for before, after in zip(ordered, ordered[1:], strict=False):
        assert after.low == before.high + 1, (before, after)


def test_ratings_and_term_classes_follow_the_contract():
    """Contract 2.4: Tốt from 85, Khá from 70, Trung bình from 50; short up to 12 months,
    medium up to 60."""
    assert [codes.rating_for_score(s) for s in (100, 85, 84, 70, 69, 50, 49, 0)] == [
        "Tốt",
        "Tốt",
        "Khá",
        "Khá",
        "Trung bình",
        "Trung bình",
        "Yếu",
        "Yếu",
    ]
    assert codes.RATINGS == ("Tốt", "Khá", "Trung bình", "Yếu")
    assert [codes.term_class(m) for m in (1, 12, 13, 60, 61, 240)] == [
        "Ngắn hạn",
        "Ngắn hạn",
        "Trung hạn",
        "Trung hạn",
        "Dài hạn",
        "Dài hạn",
    ]
    with pytest.raises(ValueError, match="group score 101"):
        codes.rating_for_score(101)


def test_entrusted_organizations_come_from_the_organization_list():
    assert codes.ENTRUSTED_ORGS == ("11", "12", "13", "14")
    assert codes.ENTRUSTED_ORGS == tuple(o.code for o in codes.ORGANIZATIONS if o.entrusted)
    assert not codes.ORG_BY_CODE[codes.DIRECT_ORG].entrusted
    # groups are entrusted lending only; Mẫu 31 takes any organization
    assert BC0437.column("org_code").allowed == codes.ENTRUSTED_ORGS
    assert set(M31.column("org_code").allowed) == set(codes.ORG_BY_CODE)
    assert M31.column("channel").allowed == codes.CHANNELS
    assert M31.column("funding_source").allowed == codes.FUNDING_SOURCES


# The generator models each program's loans its own way (terms, amounts, workers, repayment):
# that is a model of the branch, not a rule of the contract, so these modules may name programs.
_MODELS_PROGRAMS = {
    "pipelines/generate/loans.py",
    "pipelines/generate/flows.py",
    "pipelines/generate/repayments.py",
}


def _compared_strings(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return [v for e in node.elts for v in _compared_strings(e)]
    return []


def test_no_module_compares_with_a_code_it_could_take_from_the_contract():
    """``txn_type == "TNTH"``, ``pgd_code == "0100"``, ``code in ("11", "12", "13", "14")``,
    ``program_code.is_in(("01", "19", "20"))``: each is a rule with a name in
    ``pipelines.contract.codes`` (TXN_REPAY_IN_TERM, BRANCH_OFFICE, ENTRUSTED_ORGS,
    POOR_GROUP_PROGRAMS), used instead of a copy."""
    contract = (
        set(codes.TXN_TYPES)
        | set(codes.TERM_CLASSES)
        | set(codes.ORG_BY_CODE)
        | set(codes.UNIT_BY_CODE)
        | set(codes.LOAN_STATUSES)
        | set(codes.RECON_RESULTS)
        | set(codes.HOUSEHOLD_CATEGORIES)
        | set(codes.GENDERS)
        | set(codes.RATINGS)
    )
    programs = set(codes.PROGRAM_BY_CODE)
    found = []
    for path in sorted(PIPELINES.rglob("*.py")):
        name = str(path.relative_to(PROJECT_ROOT))
        if name.startswith("pipelines/contract/"):
            continue
        watched = contract if name in _MODELS_PROGRAMS else contract | programs
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Compare):
                operands = [node.left, *node.comparators]
            elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "is_in":
                operands = list(node.args)
            else:
                continue
            spelt = {v for op in operands for v in _compared_strings(op) if v in watched}
            found += [f"{name}:{node.lineno}: {v!r}" for v in sorted(spelt)]
    assert found == []
