"""Plain data classes of the ingestion: deliveries, rejections, results.

Nothing here touches files or the warehouse; these are what ``discover()`` and ``ingest()``
return and what the CLI and the Dagster assets print or attach as metadata.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.contract.reports import ReportSpec

if TYPE_CHECKING:
    from .lake import LakeSync


@dataclass(frozen=True)
class Rejection:
    """One reason a file (or a delivery folder) was not loaded.

    ``file`` is the path relative to the raw root (``2022-03-31/0107/M31_0107_20220331.xlsx``);
    ``row`` is the 1-based row of the sheet (xlsx), line of the file (csv) or data row (parquet);
    ``column`` the column's header as the contract names it.
    """

    file: str
    row: int | None
    column: str | None
    value: str | None
    expected: str
    message: str
    data_date: date | None = None
    unit: str | None = None
    sha256: str | None = None


@dataclass(frozen=True)
class Note:
    """Something ignored on purpose (a file not in the manifest, a ``_``-prefixed file, ...)."""

    path: str
    message: str


@dataclass(frozen=True)
class DeliveryFile:
    """A current file of a delivery: the highest revision of its (report, unit, date)."""

    path: Path  # absolute
    rel: str  # relative to the raw root, '/'-separated
    spec: ReportSpec
    unit: str  # the file name's unit: office code, or org code for HOI_*
    data_date: date
    revision: int
    extension: str
    size: int  # bytes according to the manifest
    sha256: str  # according to the manifest

    @property
    def key(self) -> tuple[str, str, date]:
        """The load key: (report, unit, data date)."""
        return (self.spec.code, self.unit, self.data_date)


@dataclass
class Delivery:
    """A complete delivery folder ``<raw>/<YYYY-MM-DD>/<UNIT>/`` (it has a manifest)."""

    data_date: date
    unit: str  # 0100..0130 or HOI
    path: Path
    manifest: str  # the current manifest's file name
    manifest_revision: int
    files: list[DeliveryFile] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)  # found by discovery
    notes: list[Note] = field(default_factory=list)

    @property
    def rel(self) -> str:
        return f"{self.data_date.isoformat()}/{self.unit}"


@dataclass
class Discovery:
    """Everything ``discover_all`` found under a raw root."""

    deliveries: list[Delivery] = field(default_factory=list)
    incomplete: list[str] = field(default_factory=list)  # folders without a manifest
    rejections: list[Rejection] = field(default_factory=list)  # bad folders
    notes: list[Note] = field(default_factory=list)


@dataclass
class DeliveryResult:
    data_date: date
    unit: str
    files_loaded: int = 0
    files_skipped: int = 0
    files_rejected: int = 0
    rows: int = 0  # rows loaded in this run
    notes: list[Note] = field(default_factory=list)
    findings: int = 0  # data-quality findings of the files loaded in this run

    @property
    def rel(self) -> str:
        return f"{self.data_date.isoformat()}/{self.unit}"

    def line(self) -> str:
        parts = [
            f"{self.rel}: {self.files_loaded} loaded",
            f"{self.files_skipped} unchanged",
            f"{self.files_rejected} rejected",
            f"{self.rows:,} rows",
        ]
        if self.findings:
            parts.append(f"{self.findings:,} findings")
        if self.notes:
            parts.append(f"{len(self.notes)} ignored")
        return ", ".join(parts)


@dataclass
class TableLoad:
    """What one run did to one raw table (the raw assets' metadata in Dagster)."""

    rows: int = 0  # rows loaded in this run
    files_loaded: int = 0
    files_unchanged: int = 0


@dataclass
class IngestResult:
    deliveries: list[DeliveryResult] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    table_rows: dict[str, int] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)
    incomplete: list[str] = field(default_factory=list)
    seconds: float = 0.0
    lake: LakeSync | None = None  # set when the run also synced the Parquet lake
    # data-quality findings (descriptive columns) of the files loaded in this run, per file
    findings: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # e.g. an unusable quarantine folder
    loads: dict[str, TableLoad] = field(default_factory=dict)  # raw table -> this run's load

    def load_of(self, table: str) -> TableLoad:
        return self.loads.setdefault(table, TableLoad())

    @property
    def ok(self) -> bool:
        return not self.rejections

    @property
    def files_loaded(self) -> int:
        return sum(d.files_loaded for d in self.deliveries)

    @property
    def files_skipped(self) -> int:
        return sum(d.files_skipped for d in self.deliveries)

    @property
    def files_rejected(self) -> int:
        return len({r.file for r in self.rejections})

    @property
    def rows_loaded(self) -> int:
        return sum(d.rows for d in self.deliveries)

    @property
    def findings_total(self) -> int:
        return sum(self.findings.values())

    def summary_lines(self) -> list[str]:
        lines = [d.line() for d in self.deliveries]
        for folder in self.incomplete:
            lines.append(f"{folder}: no manifest yet (delivery incomplete), not ingested")
        # whatever is skipped is named (superseded revisions, unlisted files, stray entries)
        for note in self.notes:
            lines.append(f"{note.path}: {note.message}")
        lines.append(
            f"total: {len(self.deliveries)} deliveries, {self.files_loaded} files loaded, "
            f"{self.files_skipped} unchanged, {self.files_rejected} rejected, "
            f"{self.rows_loaded:,} rows loaded in {self.seconds:.1f}s"
        )
        if self.table_rows:
            lines.append(
                "raw tables: " + ", ".join(f"{t} {n:,}" for t, n in self.table_rows.items())
            )
        if self.lake is not None:
            lines.append(self.lake.line())
        if self.findings:
            lines.append(
                f"{self.findings_total:,} data-quality finding(s) in {len(self.findings)} loaded "
                "file(s) (descriptive fields empty or malformed; the files loaded): see "
                "raw._findings"
            )
        lines.extend(f"WARNING: {w}" for w in self.warnings)
        if self.rejections:
            lines.append(
                f"{len(self.rejections)} rejection(s) in {self.files_rejected} file(s); "
                "see raw._rejections and the quarantine reports"
            )
        return lines
