"""The reconciliation identities of contract section 5, as checks on the ``recon.*`` models.

Each recon model (dbt, ``dbt_project/models/recon``) holds one row per checked item: its keys,
``check_item`` (what was compared), ``expected``, ``actual``, ``difference = actual - expected``
and ``is_break`` (the model's own verdict). The suites here restate each identity's rule on
those rows independently of ``is_break`` where the rule is simple (``expected = actual`` to the
đồng, ``reconciled <= in scope``), and also require ``is_break`` to be false, so a wrong flag in
the model cannot hide a break and a wrong comparison here cannot hide the model's verdict.

One suite per identity; an identity may feed two checks: its blocking rules and its findings
(identity 5: ``Chênh lệch`` rows are discrepancies the branch must explain, listed as findings,
not breaks). Identity 6 (the organizations' own reports) is findings only. The deliveries
(contract §1, numbered 0) come first: a file that never arrived leaves the identities nothing
to compare, so ``recon_deliveries`` names it, blocking when a published figure needs it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pipelines.contract.codes import BRANCH_OFFICE

Severity = Literal["critical", "warning"]


@dataclass(frozen=True)
class Rule:
    """One expectation of a suite, and the check whose result it feeds.

    kind: ``no_flag`` (``column`` is false and not null), ``equal`` (``expected = actual``),
    ``at_most`` (``actual <= expected``), ``null`` (``column`` is null).
    ``where``: a pandas row condition (GX ``row_condition``) restricting the rule's rows.
    """

    check: str
    kind: Literal["no_flag", "equal", "at_most", "null"]
    text: str  # how a person reads the rule in a failure listing
    column: str | None = None
    where: str | None = None


@dataclass(frozen=True)
class CheckSpec:
    key: str  # the check's name (Dagster check name, quality.check_results.check_name)
    identity: int
    title: str
    blocking: bool
    description: str
    # rows this check counts as "items checked" (pandas query); None = every row
    items: str | None = None


@dataclass(frozen=True)
class IdentitySpec:
    identity: int
    model: str  # recon.<model>
    title: str
    checks: tuple[CheckSpec, ...]
    rules: tuple[Rule, ...]
    key_columns: tuple[str, ...]  # what locates an item (besides date and office)
    column: Callable[[Mapping[str, Any]], str | None] = lambda row: row.get("check_item")
    required_columns: tuple[str, ...] = field(default=())
    # derived keys for the warehouse table (e.g. a 01.1 row code is a commune code)
    derive: Callable[[Mapping[str, Any]], dict[str, Any]] = lambda row: {}

    def all_columns(self) -> tuple[str, ...]:
        cols = ["as_of_date", "check_item", "expected", "actual", "difference", "is_break"]
        cols += [c for c in (*self.key_columns, *self.required_columns) if c not in cols]
        return tuple(cols)

    def rule_columns(self) -> tuple[str, ...]:
        """What the suite reads: the rules' columns and ``check_item`` (the only column a rule's
        ``where`` or a check's ``items`` may name). The other columns only describe a failing
        row, so the runner fetches them for failing rows alone."""
        cols = ["check_item", "expected", "actual", "is_break"]
        cols += [r.column for r in self.rules if r.column and r.column not in cols]
        return tuple(cols)


def _equal_and_flag(check: str, *, where: str | None = None) -> tuple[Rule, ...]:
    return (
        Rule(check, "no_flag", "is_break is false", column="is_break", where=where),
        Rule(check, "equal", "expected = actual (to the đồng)", where=where),
    )


def _form_column(row: Mapping[str, Any]) -> str | None:
    marker, name = row.get("column_marker"), row.get("column_name")
    if marker and name:
        return f"{marker} {name}"
    return name or marker


def _form_keys(row: Mapping[str, Any]) -> dict[str, Any]:
    # 01.1 rows are communes (districts, as office codes, for the branch office 0100);
    # 01.2 rows are programs.
    code = row.get("row_code")
    if not code:
        return {}
    if row.get("form_code") == "01.2":
        return {"program_code": code}
    if row.get("pgd_code") == BRANCH_OFFICE:
        return {"district_pgd_code": code}
    return {"commune_code": code}


def _org_report_keys(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"district_name": "TỔNG CỘNG"} if row.get("is_total_row") else {}


def _delivery_column(row: Mapping[str, Any]) -> str | None:
    return row.get("report_code") or row.get("check_item")


DELIVERIES = IdentitySpec(
    identity=0,
    model="recon_deliveries",
    title="deliveries (contract §1): every file the figures and identities need",
    checks=(
        CheckSpec(
            "deliveries",
            0,
            "deliveries complete (files a figure needs)",
            blocking=True,
            description="Every file due at every month-end of the history (Mẫu 31, forms 01.1 "
            "and 01.2, BC0437, DOICHIEU of every office) that a published figure depends on is "
            "loaded, and every office's journal (SKGD) has lines for every loan its Mẫu 31 "
            "shows activity for. A missing file blocks the report, naming the file.",
            items="check_item != 'optional_file'",
        ),
        CheckSpec(
            "deliveries_optional",
            0,
            "deliveries no figure needs (findings)",
            blocking=False,
            description="Files due that no published figure needs (the group and campaign "
            "registers at the history's opening month-end): missing, they are findings.",
            items="check_item == 'optional_file'",
        ),
    ),
    rules=(
        Rule(
            "deliveries",
            "no_flag",
            "is_break is false",
            column="is_break",
            where="check_item != 'optional_file'",
        ),
        Rule(
            "deliveries",
            "equal",
            "file loaded (journal: lines for every loan with month activity)",
            where="check_item != 'optional_file'",
        ),
        Rule(
            "deliveries_optional",
            "no_flag",
            "file loaded",
            column="is_finding",
            where="check_item == 'optional_file'",
        ),
    ),
    key_columns=("pgd_code", "expected_file", "missing_in", "needed_by"),
    required_columns=("report_code", "is_finding"),
    column=_delivery_column,
)


IDENTITIES: tuple[IdentitySpec, ...] = (
    DELIVERIES,
    IdentitySpec(
        identity=1,
        model="recon_control_totals",
        title="official control totals (01.1, 01.2, TỔNG CỘNG) = Mẫu 31",
        checks=(
            CheckSpec(
                "control_totals",
                1,
                "official control totals = loan-level file",
                blocking=True,
                description="Forms 01.1/BCTD (by commune) and 01.2/BCTD (by program) equal the "
                "sums of Mẫu 31 of the same office and month-end, every column (3)-(17), to the "
                "đồng; each TỔNG CỘNG row equals the sum of its form's rows.",
            ),
        ),
        rules=_equal_and_flag("control_totals"),
        key_columns=("pgd_code", "form_code", "row_code", "row_name", "missing_in"),
        required_columns=("column_marker", "column_name"),
        column=_form_column,
        derive=_form_keys,
    ),
    IdentitySpec(
        identity=2,
        model="recon_loan_rollforward",
        title="loan roll-forward through the journal",
        checks=(
            CheckSpec(
                "loan_rollforward",
                2,
                "loan roll-forward (Mẫu 31 m-1 + SKGD m = Mẫu 31 m)",
                blocking=True,
                description="Every loan's outstanding at month-end m = outstanding at m-1 + "
                "disbursed - reversed - principal repaid - written off (Mẫu 31 month columns), "
                "and the month's journal lines per type = those month columns.",
            ),
        ),
        rules=_equal_and_flag("loan_rollforward"),
        key_columns=(
            "pgd_code",
            "loan_code",
            "customer_code",
            "program_code",
            "org_code",
            "missing_in",
        ),
    ),
    IdentitySpec(
        identity=3,
        model="recon_group_register",
        title="group register BC0437 = members' balances",
        checks=(
            CheckSpec(
                "group_register",
                3,
                "group register = members' balances",
                blocking=True,
                description="Every group of BC0437: outstanding, overdue, frozen, savings and "
                "members with outstanding equal the sums over its members' Mẫu 31 rows.",
            ),
        ),
        rules=_equal_and_flag("group_register"),
        key_columns=("pgd_code", "group_code", "commune_code", "org_code", "missing_in"),
    ),
    IdentitySpec(
        identity=4,
        model="recon_org_totals",
        title="entrusted = Σ organizations 11-14; total = entrusted + direct",
        checks=(
            CheckSpec(
                "org_totals",
                4,
                "organization totals = branch figures",
                blocking=True,
                description="Per office and month-end: entrusted outstanding (Mẫu 31 loans of "
                "channel 2) = Σ organizations 11-14; direct (channel 1) = organization 99; the "
                "office's official total (form 01.1 TỔNG CỘNG) = Σ 11-14 + 99.",
            ),
        ),
        rules=_equal_and_flag("org_totals"),
        key_columns=("pgd_code", "expected_source", "actual_source"),
    ),
    IdentitySpec(
        identity=5,
        model="recon_reconciliation_campaign",
        title="reconciliation campaign (DOICHIEU)",
        checks=(
            CheckSpec(
                "reconciliation_campaign",
                5,
                "reconciliation campaign: scope, progress, Khớp rows",
                blocking=True,
                description="The register lists exactly the customers with outstanding on the "
                "previous 31/12 Mẫu 31 with that balance; reconciled <= in scope per office; "
                "every Khớp row has confirmed = bank (principal and interest).",
                items="check_item != 'discrepancy'",
            ),
            CheckSpec(
                "reconciliation_discrepancies",
                5,
                "reconciliation discrepancies (Chênh lệch rows)",
                blocking=False,
                description="Customers whose confirmed balance differs from the bank's "
                "(Kết quả = Chênh lệch): discrepancies the branch must explain. Listed as "
                "findings; they do not block the report.",
                items="check_item in ('matched_principal', 'discrepancy')",
            ),
        ),
        rules=(
            Rule(
                "reconciliation_campaign",
                "no_flag",
                "is_break is false",
                column="is_break",
                where="check_item != 'discrepancy'",
            ),
            Rule(
                "reconciliation_campaign",
                "equal",
                "in scope = customers with outstanding at the previous 31/12, that balance",
                where="check_item == 'scope_customer'",
            ),
            Rule(
                "reconciliation_campaign",
                "null",
                "customer on both the register and the 31/12 Mẫu 31",
                column="missing_in",
                where="check_item == 'scope_customer'",
            ),
            Rule(
                "reconciliation_campaign",
                "at_most",
                "reconciled <= in scope",
                where="check_item == 'reconciled_within_scope'",
            ),
            Rule(
                "reconciliation_campaign",
                "equal",
                "Khớp row: confirmed = bank",
                where="check_item in ('matched_principal', 'matched_interest')",
            ),
            Rule(
                "reconciliation_discrepancies",
                "no_flag",
                "no Chênh lệch row (confirmed = bank)",
                column="is_finding",
                where="check_item in ('matched_principal', 'discrepancy')",
            ),
        ),
        key_columns=("pgd_code", "campaign_year", "customer_code", "missing_in"),
        required_columns=("is_finding",),
    ),
    IdentitySpec(
        identity=6,
        model="recon_org_reports",
        title="organizations' own reports (HOI) vs the bank's figures",
        checks=(
            CheckSpec(
                "org_reports",
                6,
                "organizations' reports vs the bank",
                blocking=False,
                description="Each organization's quarter-end report (groups, households with "
                "outstanding, outstanding, overdue) against the bank's figures, per "
                "organization and district, and every organization's report delivered at every "
                "quarter-end. Differences and missing reports are findings the report lists.",
            ),
        ),
        # The model never flags a break here (is_break is always false); is_finding marks a
        # difference beyond the reports' rounding (tolerance: 5,000 đồng on amounts reported in
        # triệu đồng with 2 decimals, 0 on counts).
        rules=(
            Rule("org_reports", "no_flag", "is_break is false", column="is_break"),
            Rule(
                "org_reports",
                "no_flag",
                "organization = bank within the reports' rounding",
                column="is_finding",
            ),
        ),
        key_columns=(
            "pgd_code",
            "org_code",
            "district_name",
            "is_total_row",
            "missing_in",
            "expected_file",
        ),
        required_columns=("is_finding", "tolerance"),
        derive=_org_report_keys,
    ),
)


def all_checks() -> tuple[CheckSpec, ...]:
    return tuple(c for ident in IDENTITIES for c in ident.checks)


def identity_of(check_key: str) -> IdentitySpec:
    for ident in IDENTITIES:
        if any(c.key == check_key for c in ident.checks):
            return ident
    raise KeyError(check_key)
