"""Ingest assets: complete branch deliveries -> raw.* tables."""

from pathlib import Path

from dagster import AssetExecutionContext, AssetSpec, MaterializeResult, MetadataValue, multi_asset

from ..contract.reports import REPORTS
from .resources import NhcsPaths

RAW_SPECS = [
    AssetSpec(
        ["raw", spec.table],
        group_name="raw",
        description=f"{spec.code}: {spec.description} Every delivered row with its lineage.",
        kinds={"duckdb", "python"},
        owners=["team:data"],
    )
    for spec in REPORTS
]


@multi_asset(specs=RAW_SPECS, name="raw_deliveries", can_subset=False)
def raw_deliveries(context: AssetExecutionContext, paths: NhcsPaths):
    """Ingest every complete delivery folder under the raw directory (idempotent: unchanged
    files are skipped; a re-delivery replaces its report, unit and date)."""
    from ..ingest import ingest

    result = ingest(Path(paths.raw_dir), Path(paths.warehouse), progress=context.log.info)
    for line in result.summary_lines():
        context.log.info(line)
    for rejection in result.rejections:
        context.log.warning(rejection.message)
    for spec in REPORTS:
        rejected = [r for r in result.rejections if _report_of(r.file) == spec.code]
        yield MaterializeResult(
            asset_key=["raw", spec.table],
            metadata={
                "dagster/row_count": result.table_rows.get(spec.table, 0),
                "rejected_files": len({r.file for r in rejected}),
                "rejections": MetadataValue.md(
                    "\n".join(f"- {r.message}" for r in rejected[:20]) or "none"
                ),
            },
        )


def _report_of(file: str) -> str:
    from ..contract.naming import FileNameError, parse_file_name

    try:
        return parse_file_name(Path(file).name).report.code
    except FileNameError:
        return ""
