"""Reconciliation quality: the identities of contract section 5 as Great Expectations suites
run on the ``recon.*`` models, with results recorded in ``quality.*``. No Dagster here: the
asset checks (``pipelines.defs.checks``), the ``nhcs check`` command and the tests all call
``run_checks``. See docs/quality.md."""

from .command import check_command
from .identities import IDENTITIES, CheckSpec, IdentitySpec, Rule, all_checks
from .report import CheckResult, FailingRow, QualityReport, Status, markdown_table
from .runner import run_checks

__all__ = [
    "IDENTITIES",
    "CheckResult",
    "CheckSpec",
    "FailingRow",
    "IdentitySpec",
    "QualityReport",
    "Rule",
    "Status",
    "all_checks",
    "check_command",
    "markdown_table",
    "run_checks",
]
