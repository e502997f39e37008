"""The reconciliation identities as Dagster asset checks (a thin wrapper over pipelines.quality).

One ``@multi_asset_check`` runs every Great Expectations suite once and reports:

- one check per identity on the recon model that holds its items (``recon/<model>``):
  the deliveries (``recon/recon_deliveries``: a missing file, a journal hole) and identities
  1-5 blocking (severity ERROR), the findings checks (files no figure needs, identity 5's
  ``Chênh lệch`` rows, identity 6 with its missing reports) non-blocking (severity WARN);
- one gate check, ``reconciliation_identities``, on each mart the report and publish steps
  read (``GUARDED_ASSETS``), blocking, failed when any blocking identity failed or could not
  run. Dagster skips an asset downstream of a failed blocking check, so the report built on
  ``marts/mart_briefing_kpis`` does not run on figures that do not tie out.

When a blocking check fails, the check step itself fails (Dagster raises
``DagsterAssetCheckFailedError`` after recording every result), so the run says why.
"""

from collections.abc import Iterable, Sequence

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    MetadataValue,
    multi_asset_check,
)

from ..quality.identities import IDENTITIES
from ..quality.report import CheckResult, QualityReport, markdown_table
from .resources import NhcsPaths

# The marts the report and publish assets read: the gate check sits on them.
GUARDED_ASSETS: tuple[AssetKey, ...] = (
    AssetKey(["marts", "mart_briefing_kpis"]),
    AssetKey(["marts", "mart_org_summary"]),
)
GATE_CHECK = "reconciliation_identities"
MAX_METADATA_ROWS = 25


def recon_asset_key(model: str) -> AssetKey:
    return AssetKey(["recon", model])


def check_specs(guarded_assets: Sequence[AssetKey] = GUARDED_ASSETS) -> list[AssetCheckSpec]:
    specs = [
        AssetCheckSpec(
            check.key,
            asset=recon_asset_key(ident.model),
            description=f"{_identity_name(ident.identity)} "
            f"({'blocking' if check.blocking else 'findings'}): {check.description}",
            blocking=check.blocking,
            metadata={"identity": ident.identity, "blocking": check.blocking},
        )
        for ident in IDENTITIES
        for check in ident.checks
    ]
    recon_keys = [recon_asset_key(ident.model) for ident in IDENTITIES]
    specs += [
        AssetCheckSpec(
            GATE_CHECK,
            asset=key,
            description="Every file the figures need was delivered and every blocking "
            "reconciliation identity (contract section 5, 1-5) passed: the figures of this "
            "mart tie out and may be reported and published.",
            additional_deps=recon_keys,
            blocking=True,
        )
        for key in guarded_assets
    ]
    return specs


def _identity_name(identity: int) -> str:
    return "Deliveries" if identity == 0 else f"Identity {identity}"


def _metadata(result: CheckResult, report: QualityReport) -> dict:
    return {
        "identity": result.identity,
        "status": result.status.value,
        "blocking": result.blocking,
        "items_checked": MetadataValue.int(result.items_checked),
        "items_failed": MetadataValue.int(result.items_failed),
        "failing_rows": MetadataValue.md(markdown_table(result.failing_rows, MAX_METADATA_ROWS)),
        "rules": MetadataValue.md("\n".join(f"- {r}" for r in result.rules) or "-"),
        "message": result.message or "-",
        "source_model": f"recon.{result.model}",
        "quality_run_id": report.run_id,
        "all_failing_rows": MetadataValue.text(
            f"select * from quality.check_results where run_id = '{report.run_id}' "
            f"and check_name = '{result.key}' and row_type = 'failure'"
        ),
    }


def check_results(
    report: QualityReport, guarded_assets: Iterable[AssetKey] = GUARDED_ASSETS
) -> list[AssetCheckResult]:
    """The Dagster results of a quality report (pure: tested without running Dagster)."""
    models = {c.key: ident.model for ident in IDENTITIES for c in ident.checks}
    out = [
        AssetCheckResult(
            check_name=r.key,
            asset_key=recon_asset_key(models[r.key]),
            passed=r.passed,
            severity=AssetCheckSeverity.ERROR if r.blocking else AssetCheckSeverity.WARN,
            description=r.headline(),
            metadata=_metadata(r, report),
        )
        for r in report.results
    ]
    blocking = [r for r in report.results if r.blocking and not r.passed]
    gate_text = (
        "blocked by: "
        + ", ".join(
            f"{_identity_name(r.identity).lower()} {r.key} ({r.status.value})" for r in blocking
        )
        if blocking
        else "every blocking identity passed"
    )
    summary = "\n".join(f"- {r.headline()}" for r in report.results)
    for key in guarded_assets:
        out.append(
            AssetCheckResult(
                check_name=GATE_CHECK,
                asset_key=key,
                passed=not blocking,
                severity=AssetCheckSeverity.ERROR,
                description=gate_text,
                metadata={
                    "blocking_failed": [r.key for r in blocking],
                    "identities": MetadataValue.md(summary),
                    "quality_run_id": report.run_id,
                },
            )
        )
    return out


def build_quality_checks(
    guarded_assets: Sequence[AssetKey] = GUARDED_ASSETS, name: str = "reconciliation_checks"
):
    """The multi-asset check; ``guarded_assets`` are the marts the report/publish steps read."""
    guarded = tuple(guarded_assets)

    @multi_asset_check(
        specs=check_specs(guarded),
        name=name,
        description="Great Expectations suites on the recon models, one per identity of "
        "contract section 5; results also appended to quality.check_results.",
    )
    def reconciliation_checks(context: AssetCheckExecutionContext, paths: NhcsPaths):
        from ..quality.spark_runner import run_checks_for

        # on the engine that built the models (a Spark build is checked on Spark DataFrames)
        report = run_checks_for(
            paths.settings(),
            run_id=context.op_execution_context.run_id,
            progress=context.log.debug,
        )
        for line in report.summary_lines():
            (context.log.warning if report.blocking_failed else context.log.info)(line)
        yield from check_results(report, guarded)

    return reconciliation_checks


reconciliation_checks = build_quality_checks()
QUALITY_CHECKS = [reconciliation_checks]
