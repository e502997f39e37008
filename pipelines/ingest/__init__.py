"""Ingestion of the branch's deliveries into the ``raw`` schema of the warehouse.

``ingest()`` finds the complete delivery folders (``discover``), parses every current file in
a process pool (xlsx via calamine, csv, parquet), validates it against the contract, and loads
it into ``raw.<report>`` with lineage, replacing the key (report, unit, data date) in one
transaction. Rejected files are recorded in ``raw._rejections`` and under ``quarantine/``.
See docs/ingestion.md. This package does not import Dagster.
"""

from .discovery import discover, discover_all, discover_folder, folder_listing
from .model import Delivery, DeliveryFile, DeliveryResult, IngestResult, Note, Rejection
from .run import ingest

__all__ = [
    "Delivery",
    "DeliveryFile",
    "DeliveryResult",
    "IngestResult",
    "Note",
    "Rejection",
    "discover",
    "discover_all",
    "discover_folder",
    "folder_listing",
    "ingest",
]
