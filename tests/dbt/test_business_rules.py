"""Every business-rule dbt test proven able to fail: the break it exists to catch is planted in
the mini branch's raw rows (as a bad delivery would land), the project is built, and the test
must fail, returning exactly the planted rows (located by their keys: the generic tests return
the failing rows themselves, macros/located_tests.sql) and counting them.

A business rule is a test on what was delivered: every test on a staging model (but the models
of ingestion's lineage columns, ``LINEAGE_MODELS``), the tests on
``int_loan_month_balances`` (the collapsed Mẫu 31 loan rows) and the rule that a commune
belongs to one office (``int_communes.offices_seen``). The other tests guard the grain of derived models (a GROUP BY key is
unique, a constant is in its list) and test the SQL, not the data; every business-rule test
must have a plant here (``test_every_business_rule_has_a_planted_break``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import duckdb
import pytest
from conftest import fixtures, run_dbt

pytestmark = [pytest.mark.xdist_group("dbt"), pytest.mark.slow]

D1, D2, D3 = (d.isoformat() for d in (fixtures.D1, fixtures.D2, fixtures.D3))
OFFICE_OF_A_COMMUNE = ("int_communes", "accepted_values", "offices_seen")


@dataclass(frozen=True)
class Plant:
    sql: str  # applied to the raw rows
    by: tuple[str, ...]  # the columns that locate a failing row
    rows: frozenset[tuple]  # the failing rows the test must return, by those columns


def plant(sql: str, by: tuple[str, ...], *rows: tuple) -> Plant:
    return Plant(sql, by, frozenset(rows))


def _dup(table: str, where: str) -> str:
    return f"insert into raw.{table} select * from raw.{table} where {where}"


def _copy_as_unit(table: str, unit: str, where: str) -> str:
    return f"insert into raw.{table} select * replace ('{unit}' as _unit) from raw.{table} where {where}"


def _m31(loan: str, day: str, assignment: str) -> str:
    return f"update raw.m31 set {assignment} where loan_code = '{loan}' and _data_date = '{day}'"


def _form_rows(office: str, day: str, form: str) -> list[tuple]:
    import datetime as dt

    return [
        (day, "0199", r["row_code"])
        for r in fixtures.form_rows(office, dt.date.fromisoformat(day), form)
    ]


LOAN = ("as_of_date", "pgd_code", "loan_code")

# (model, test, column) -> the break it exists to catch
BUSINESS_RULES: dict[tuple[str, str, str | None], Plant] = {
    # --- Mẫu 31, one row per loan -------------------------------------------------------
    ("int_loan_month_balances", "expression_is_true", None): plant(
        _m31("6600010100000004", D3, "outstanding = outstanding + 5000"),
        LOAN,
        (D3, "0101", "6600010100000004"),
    ),
    # two rows of one loan that differ beyond the savings-book columns (contract §4.1 quirk)
    ("int_loan_month_balances", "unique_combination", None): plant(
        "update raw.m31 set outstanding = outstanding + 1000, "
        "outstanding_in_term = outstanding_in_term + 1000 where loan_code = "
        f"'6600010100000001' and _data_date = '{D3}' and savings_book_no = '105000002'",
        ("as_of_date", "loan_code", "n_rows"),
        (D3, "6600010100000001", 2),
    ),
    # the loan snapshot's date: int_loan_month_balances is partitioned by it (no null month)
    ("stg_branch__loan_snapshots", "not_null", "as_of_date"): plant(
        _m31("6600010100000004", D2, "as_of_date = null"),
        ("as_of_date", "pgd_code", "loan_code"),
        (None, "0101", "6600010100000004"),
    ),
    ("int_loan_month_balances", "not_null", "pgd_code"): plant(
        _m31("6600010100000006", D2, "pgd_code = null"),
        LOAN,
        (D2, None, "6600010100000006"),
    ),
    ("int_loan_month_balances", "not_null", "org_code"): plant(
        _m31("6600010200000001", D3, "org_code = null"),
        LOAN,
        (D3, "0102", "6600010200000001"),
    ),
    ("int_loan_month_balances", "not_null", "customer_code"): plant(
        _m31("6600010200000003", D3, "customer_code = null"),
        LOAN,
        (D3, "0102", "6600010200000003"),
    ),
    ("int_loan_month_balances", "relationships", "pgd_code"): plant(
        _m31("6600010100000002", D3, "pgd_code = '0199'"),
        LOAN,
        (D3, "0199", "6600010100000002"),
    ),
    ("int_loan_month_balances", "relationships", "org_code"): plant(
        _m31("6600010200000002", D1, "org_code = '15'"),
        ("as_of_date", "org_code", "loan_code"),
        (D1, "15", "6600010200000002"),
    ),
    ("int_loan_month_balances", "relationships", "household_category"): plant(
        _m31("6600010100000001", D1, "household_category = 'Hộ khá'"),
        ("as_of_date", "household_category", "loan_code"),
        (D1, "Hộ khá", "6600010100000001"),
    ),
    ("int_loan_month_balances", "relationships", "program_code"): plant(
        _m31("6600010100000003", D2, "program_code = '98'"),
        ("as_of_date", "program_code", "loan_code"),
        (D2, "98", "6600010100000003"),
    ),
    ("int_loan_month_balances", "relationships", "term_class"): plant(
        _m31("6000010100000001", D2, "term_class = 'Rất dài hạn'"),
        ("as_of_date", "term_class", "loan_code"),
        (D2, "Rất dài hạn", "6000010100000001"),
    ),
    ("int_loan_month_balances", "accepted_values", "loan_status"): plant(
        _m31("6600010200000001", D2, "loan_status = 'CLOSED'"),
        ("as_of_date", "loan_status", "loan_code"),
        (D2, "CLOSED", "6600010200000001"),
    ),
    # a commune of 0101 on a loan of 0102: a commune belongs to one office (severity warn).
    # 010101 is then seen in 0101, 0102 and in 0199, the unknown office planted above.
    ("int_communes", "accepted_values", "offices_seen"): plant(
        f"update raw.m31 set commune_code = '010101' where customer_code = '0102000001' "
        f"and _data_date = '{D2}'",
        ("commune_code", "offices_seen"),
        ("010101", 3),
    ),
    # --- Mẫu 31, one row per customer and per savings book --------------------------------
    ("stg_branch__customers", "not_null", "customer_code"): plant(
        "",  # the customer_code planted for int_loan_month_balances above
        ("as_of_date", "pgd_code", "customer_code"),
        (D3, "0102", None),
    ),
    ("stg_branch__customers", "accepted_values", "gender"): plant(
        f"update raw.m31 set gender = 'Khác' where customer_code = '0101000005' "
        f"and _data_date = '{D2}'",
        ("as_of_date", "customer_code", "gender"),
        (D2, "0101000005", "Khác"),
    ),
    ("stg_branch__member_savings", "unique_combination", None): plant(
        f"update raw.m31 set savings_book_no = '105000004' where customer_code = '0101000004' "
        f"and _data_date = '{D3}'",
        ("as_of_date", "savings_book_no", "n_rows"),
        (D3, "105000004", 2),
    ),
    # --- forms 01.1 / 01.2 ------------------------------------------------------------------
    ("stg_branch__form_011_rows", "relationships", "pgd_code"): plant(
        _copy_as_unit("bcdhtd_011", "0199", f"_unit = '0102' and _data_date = '{D1}'"),
        ("as_of_date", "pgd_code", "row_code"),
        *_form_rows("0102", D1, "011"),
    ),
    ("stg_branch__form_012_rows", "relationships", "pgd_code"): plant(
        _copy_as_unit("bcdhtd_012", "0199", f"_unit = '0102' and _data_date = '{D1}'"),
        ("as_of_date", "pgd_code", "row_code"),
        *_form_rows("0102", D1, "012"),
    ),
    ("stg_branch__form_011_rows", "accepted_values", "row_kind"): plant(
        f"update raw.bcdhtd_011 set row_kind = 'xa' where _unit = '0101' and _data_date = '{D2}' "
        "and row_code = '010102'",
        ("as_of_date", "pgd_code", "row_code", "row_kind"),
        (D2, "0101", "010102", "xa"),
    ),
    ("stg_branch__form_012_rows", "accepted_values", "row_kind"): plant(
        f"update raw.bcdhtd_012 set row_kind = 'ct' where _unit = '0101' and _data_date = '{D2}' "
        "and row_code = '01'",
        ("as_of_date", "pgd_code", "row_code", "row_kind"),
        (D2, "0101", "01", "ct"),
    ),
    # a commune listed twice on a form
    ("stg_branch__form_011_rows", "unique_combination", None): plant(
        _dup("bcdhtd_011", f"_unit = '0101' and _data_date = '{D3}' and row_code = '010101'"),
        ("as_of_date", "pgd_code", "row_code", "n_rows"),
        (D3, "0101", "010101", 2),
    ),
    ("stg_branch__form_012_rows", "unique_combination", None): plant(
        _dup("bcdhtd_012", f"_unit = '0101' and _data_date = '{D3}' and row_code = '19'"),
        ("as_of_date", "pgd_code", "row_code", "n_rows"),
        (D3, "0101", "19", 2),
    ),
    # --- DOICHIEU ---------------------------------------------------------------------------
    ("stg_branch__reconciliation", "relationships", "org_code"): plant(
        f"update raw.doichieu set org_code = '15' where _unit = '0102' and _data_date = '{D1}' "
        "and customer_code = '0102000001'",
        ("as_of_date", "org_code", "customer_code"),
        (D1, "15", "0102000001"),
    ),
    ("stg_branch__reconciliation", "not_null", "customer_code"): plant(
        f"update raw.doichieu set customer_code = null where _unit = '0100' "
        f"and _data_date = '{D3}'",
        ("as_of_date", "pgd_code", "customer_code"),
        (D3, "0100", None),
    ),
    ("stg_branch__reconciliation", "accepted_values", "result"): plant(
        f"update raw.doichieu set result = 'Khop' where _unit = '0101' and _data_date = '{D3}' "
        "and customer_code = '0101000001'",
        ("as_of_date", "customer_code", "result"),
        (D3, "0101000001", "Khop"),
    ),
    ("stg_branch__reconciliation", "unique_combination", None): plant(
        _dup(
            "doichieu", f"_unit = '0102' and _data_date = '{D2}' and customer_code = '0102000002'"
        ),
        ("as_of_date", "customer_code", "n_rows"),
        (D2, "0102000002", 2),
    ),
    # --- BC0437 -----------------------------------------------------------------------------
    ("stg_branch__savings_groups", "relationships", "org_code"): plant(
        f"update raw.bc0437 set org_code = '16' where _unit = '0101' and _data_date = '{D1}' "
        "and group_code = '0101002'",
        ("as_of_date", "org_code", "group_code"),
        (D1, "16", "0101002"),
    ),
    ("stg_branch__savings_groups", "not_null", "group_code"): plant(
        f"update raw.bc0437 set group_code = null where _unit = '0102' and _data_date = '{D3}' "
        "and group_code = '0102002'",
        ("as_of_date", "pgd_code", "group_code"),
        (D3, "0102", None),
    ),
    ("stg_branch__savings_groups", "relationships", "rating"): plant(
        f"update raw.bc0437 set rating = 'Xuất sắc' where _unit = '0101' and _data_date = '{D2}' "
        "and group_code = '0101001'",
        ("as_of_date", "group_code", "rating"),
        (D2, "0101001", "Xuất sắc"),
    ),
    ("stg_branch__savings_groups", "unique_combination", None): plant(
        _dup("bc0437", f"_unit = '0102' and _data_date = '{D3}' and group_code = '0102001'"),
        ("as_of_date", "group_code", "n_rows"),
        (D3, "0102001", 2),
    ),
    # --- SKGD -------------------------------------------------------------------------------
    # a journal line delivered twice
    ("stg_branch__transactions", "unique", "txn_id"): plant(
        _dup("skgd", "loan_code = '6600010100000006' and txn_type = 'GN'"),
        ("unique_field", "n_records"),
        (
            next(
                r["txn_id"]
                for r in fixtures.skgd_rows(fixtures.D1.replace(day=1), fixtures.D1)
                if r["loan_code"] == "6600010100000006" and r["txn_type"] == "GN"
            ),
            2,
        ),
    ),
    ("stg_branch__transactions", "relationships", "txn_type"): plant(
        "update raw.skgd set txn_type = 'TT' where loan_code = '6600010200000001' "
        "and txn_type = 'TNTH'",
        ("txn_date", "loan_code", "txn_type"),
        ("2022-01-10", "6600010200000001", "TT"),
    ),
    # --- HOI --------------------------------------------------------------------------------
    ("stg_orgs__reports", "relationships", "org_code"): plant(
        f"update raw.hoi set org_code = '17' where _data_date = '{D3}' and org_code = '12' "
        "and is_total",
        ("as_of_date", "org_code", "is_total_row"),
        (D3, "17", True),
    ),
    ("stg_orgs__reports", "unique_combination", None): plant(
        _dup("hoi", f"_data_date = '{D3}' and org_code = '13' and pgd_code = '0102'"),
        ("as_of_date", "org_code", "pgd_code", "n_rows"),
        (D3, "13", "0102", 2),
    ),
}


def _key(node: dict) -> tuple[str, str, str | None]:
    model = node["attached_node"].split(".")[-1]
    return model, node["test_metadata"]["name"], node.get("column_name")


# Staging models over the lineage columns ingestion stamps on every raw row (file, revision,
# hash, load time): their tests guard the grain of our own bookkeeping, not what was delivered.
LINEAGE_MODELS = {"stg_ingest__delivered_files", "stg_branch__file_rows"}


def _is_business_rule(node: dict, models: dict[str, dict]) -> bool:
    model = models[node["attached_node"]]
    return (
        model["fqn"][1] == "staging"
        and model["name"] not in LINEAGE_MODELS
        or model["name"] == "int_loan_month_balances"
        or _key(node) == OFFICE_OF_A_COMMUNE
    )


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    """The mini branch with every plant, built, and every business-rule test run."""
    work = tmp_path_factory.mktemp("dbt_business_rules")
    warehouse = work / "warehouse.duckdb"
    fixtures.build_raw(warehouse)
    with duckdb.connect(str(warehouse)) as con:
        for p in BUSINESS_RULES.values():
            if p.sql:
                con.execute(p.sql)
    run_dbt(warehouse, work, "seed")
    run_dbt(warehouse, work, "run")
    # exit 1: the planted tests failed, and nothing else went wrong
    run_dbt(
        warehouse,
        work,
        "test",
        "--select",
        "staging",
        "int_loan_month_balances",
        "int_communes",
        returncode=1,
    )
    manifest = json.loads((work / "target" / "manifest.json").read_text())
    results = json.loads((work / "target" / "run_results.json").read_text())["results"]
    return warehouse, manifest, {r["unique_id"]: r for r in results}


def test_every_business_rule_has_a_planted_break(broken):
    _, manifest, _ = broken
    models = manifest["nodes"]
    tests = [
        n
        for n in manifest["nodes"].values()
        if n["resource_type"] == "test" and n.get("attached_node") in models
    ]
    rules = [_key(n) for n in tests if _is_business_rule(n, models)]
    assert len(rules) == len(set(rules))
    assert set(rules) == set(BUSINESS_RULES)


@pytest.mark.parametrize("rule", list(BUSINESS_RULES), ids=lambda k: ".".join(filter(None, k)))
def test_planted_break_is_caught_located_and_counted(broken, rule):
    warehouse, manifest, results = broken
    (node,) = [
        n
        for n in manifest["nodes"].values()
        if n["resource_type"] == "test"
        and n.get("attached_node") in manifest["nodes"]
        and _key(n) == rule
    ]
    result = results[node["unique_id"]]
    expected = BUSINESS_RULES[rule]
    assert result["status"] == ("warn" if node["config"]["severity"] == "warn" else "fail")
    assert result["failures"] == len(expected.rows)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cur = con.execute(result["compiled_code"])
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    located = {
        tuple(str(v) if hasattr(v, "isoformat") else v for v in (r[c] for c in expected.by))
        for r in rows
    }
    assert located == set(expected.rows)
