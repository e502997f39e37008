"""The report and publish steps as Dagster assets (thin wrappers over pipelines.reports and
pipelines.publish).

- ``briefing_report``: the quarterly briefing (HTML, XLSX) and the exception lists for the
  latest quarter-end month-end in the marts, in ``<reports_dir>/<as_of>/``.
- ``analytics_db``: ``analytics.duckdb``, the analysts' copy of marts/recon/quality, swapped in
  atomically after the report.

Both sit downstream of the report marts, which carry the blocking reconciliation gate check
(``pipelines.defs.checks``): when an identity does not tie out, Dagster skips them and the
previous report and published file stay in place.
"""

from pathlib import Path

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from ..warehouse_lock import warehouse_lock
from .freshness import NIGHTLY
from .resources import NhcsPaths

# Everything the report reads (marts only; recon and quality come through the checks).
REPORT_MARTS: tuple[str, ...] = (
    "mart_briefing_kpis",
    "mart_briefing_comparisons",
    "mart_org_summary",
    "mart_program_summary",
    "mart_district_summary",
    "mart_reconciliation_summary",
    "mart_group_ratings",
    "mart_delivery_summary",
    "fct_reconciliation",
    "dim_organization",
    "dim_program",
    # the appendix (pipelines/reports/lineage.py)
    "mart_figure_breakdown",
    "mart_figure_lineage",
    "dim_unit",
)
REPORT_DEPS: list[AssetKey] = [AssetKey(["marts", m]) for m in REPORT_MARTS]
GROUP = "reports"


@asset(
    name="briefing_report",
    group_name=GROUP,
    deps=REPORT_DEPS,
    kinds={"html", "excel"},
    owners=["team:data"],
    freshness_policy=NIGHTLY,
    description="The quarterly interagency briefing (briefing.html, briefing.xlsx) and the "
    "exception lists (exceptions.xlsx) for the latest quarter-end month-end in the marts, "
    "written to <reports_dir>/<as_of>/.",
)
def briefing_report(context: AssetExecutionContext, paths: NhcsPaths) -> MaterializeResult:
    from ..reports import build_reports
    from ..reports.data import load_report_data
    from ..reports.figures import headline

    warehouse = Path(paths.warehouse)
    with warehouse_lock(warehouse, progress=context.log.info):
        written = build_reports(warehouse, Path(paths.reports_dir))
        data = load_report_data(warehouse, as_of=_as_of(written))
    figures = {f"{f.id} {f.label}": f.text for f in headline(data)}
    context.log.info(f"briefing for {data.as_of}: {written[0]}")
    return MaterializeResult(
        metadata={
            "as_of_date": data.as_of.isoformat(),
            "briefing_html": MetadataValue.path(str(written[0])),
            "briefing_xlsx": MetadataValue.path(str(written[1])),
            "exceptions_xlsx": MetadataValue.path(str(written[2])),
            "headline": MetadataValue.json(figures),
            "exception_rows": MetadataValue.json({k: len(v) for k, v in data.exceptions.items()}),
            "quality_checks": "not run" if data.checks is None else len(data.checks),
        }
    )


def _as_of(written: list[Path]):
    from datetime import date

    return date.fromisoformat(written[0].parent.name)


@asset(
    name="analytics_db",
    group_name=GROUP,
    deps=[briefing_report, *REPORT_DEPS],
    kinds={"duckdb", "parquet", "csv"},
    owners=["team:data"],
    freshness_policy=NIGHTLY,
    description="data/warehouse/analytics.duckdb: the marts, recon and quality schemas "
    "(no raw, no staging, no personal data) for analysts, in a storage format DuckDB 1.4 reads, "
    "with the dbt docs as comments and main.catalog; beside it analytics/parquet|csv/ (the "
    "marts; the facts one file per month-end). Built aside, rewriting only what changed, and swapped in atomically; the replaced "
    "publication is kept as analytics.previous.duckdb.",
)
def analytics_db(context: AssetExecutionContext, paths: NhcsPaths) -> MaterializeResult:
    from ..publish import previous_path, publish

    target = paths.settings().analytics_db
    pub = publish(Path(paths.warehouse), target)
    context.log.info(pub.summary())
    if pub.undocumented:
        context.log.warning(
            f"{len(pub.undocumented)} published column(s) without a description, e.g. "
            f"{', '.join(pub.undocumented[:5])}"
        )
    return MaterializeResult(
        metadata={
            "path": MetadataValue.path(str(pub.path)),
            "previous": MetadataValue.path(str(previous_path(pub.path))),
            "exports": MetadataValue.path(str(pub.version)),
            "size_mb": round(pub.path.stat().st_size / 2**20, 1),
            "mode": f"{pub.mode} ({pub.reason})",
            "tables": MetadataValue.md(_row_count_table(pub.tables, pub.rewritten)),
            "rows_written": pub.rows_written,
            "export_files_written": len(pub.exports.written),
            "undocumented_columns": len(pub.undocumented),
            "seconds": round(pub.seconds, 2),
        }
    )


def _row_count_table(tables: dict[str, int], rewritten: dict[str, str]) -> str:
    """The published tables and their rows as a markdown table (the asset's metadata)."""
    done = {"create": "rewritten", "parts": "changed parts", "drop": "dropped"}
    lines = ["| table | rows | this publication |", "|---|---:|---|"]
    lines += [
        f"| {name} | {rows:,} | {done.get(rewritten.get(name, ''), 'unchanged')} |"
        for name, rows in sorted(tables.items())
    ]
    return "\n".join(lines)


REPORT_ASSETS = [briefing_report, analytics_db]
