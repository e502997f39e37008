"""``nhcs explain``: a briefing figure at a month-end, its definition and model chain from dbt's
docs and graph, and its parts by office and organization with the delivered files behind each
(marts.mart_figure_breakdown, marts.mart_figure_lineage). Read-only. No Dagster."""

from pipelines.reports.breakdown import Breakdown, ExplainError, Part, SourceFile, load_breakdown

from .explanation import Explanation, explain, explain_command, lines

__all__ = [
    "Breakdown",
    "ExplainError",
    "Explanation",
    "Part",
    "SourceFile",
    "explain",
    "explain_command",
    "lines",
    "load_breakdown",
]
