"""Report builders fed only from the warehouse's marts, recon and quality schemas: the
quarterly interagency briefing (HTML with inline SVG charts, XLSX) and the exception lists.
Domain code: no Dagster import here (the asset wrappers live in ``pipelines.defs.reports``)."""

from .build import build_reports
from .data import ReportDataError

__all__ = ["ReportDataError", "build_reports"]
