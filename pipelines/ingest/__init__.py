"""Ingestion of the branch's deliveries into the ``raw`` schema of the warehouse.

``ingest()`` finds the complete delivery folders (``discover``), parses every current file in
a process pool (xlsx via calamine, csv, parquet), validates it against the contract, and loads
it into ``raw.<report>`` with lineage, replacing the key (report, unit, data date) in one
transaction. Rejected files are recorded in ``raw._rejections`` and under ``quarantine/``.
See docs/ingestion.md. This package does not import Dagster.

The names below are imported on first use: a parse worker imports ``pipelines.ingest.worker``
(and so this package) and must not pay for the loader, the lake and DuckDB, which only the
parent uses.
"""

from __future__ import annotations

import importlib

_HOME = {
    "discover": "discovery",
    "discover_all": "discovery",
    "discover_folder": "discovery",
    "folder_listing": "discovery",
    "Delivery": "model",
    "DeliveryFile": "model",
    "DeliveryResult": "model",
    "IngestResult": "model",
    "Note": "model",
    "Rejection": "model",
    "ingest": "run",
}

__all__ = sorted(_HOME)


def __getattr__(name: str):
    if name in _HOME:
        value = getattr(importlib.import_module(f".{_HOME[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
