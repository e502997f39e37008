"""Which files a validation reads: the office's folder as it will be delivered, and the earlier
files of the same office that its identities need.

The folder is ``<raw>/<YYYY-MM-DD>/<UNIT>/`` (contract §1). It is judged by ingestion's own
discovery (``discover_folder``):

- *as delivered*, when its latest manifest lists every file now in it: exactly what the branch
  will read (the manifest's sizes and SHA-256 included);
- *as it will be delivered*, when it has no manifest yet or holds files its latest manifest
  does not list (an ``_r2`` waiting for its ``manifest_r2.csv``): every file as the next
  manifest would list it (``folder_listing``). A file that an earlier manifest lists but that
  changed since is a problem of its own: a delivered file is never changed, a correction comes
  as ``_rN``.

A month-end folder (one with a Mẫu 31) is checked together with what the same raw folder holds
of the office: the journal days of the month (``SKGD``, contract §4.2: the month's journal per
loan and type = the Mẫu 31 month columns) and the previous month-end's Mẫu 31 (the opening of
the roll-forward). They are read by the same discovery, as delivered; their own problems are
listed apart and do not decide whether this folder would be rejected.
"""

from __future__ import annotations

import calendar
import os
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from pipelines.contract.naming import manifest_revision, parse_file_name
from pipelines.ingest import discover_folder, folder_listing
from pipelines.ingest.discovery import parse_manifest
from pipelines.ingest.errors import printable
from pipelines.ingest.files import entries
from pipelines.ingest.model import Delivery, Discovery, Rejection

JOURNAL, LOAN_FILE = "SKGD", "M31"


class FolderError(ValueError):
    """The path given is not a delivery folder ``<raw>/<YYYY-MM-DD>/<UNIT>/``."""


@dataclass
class Plan:
    folder: Path
    raw_root: Path
    data_date: date | None
    unit: str
    discovery: Discovery  # the folder (and its context deliveries) as ingestion discovers them
    pending: bool  # read as its next manifest would list it (no manifest yet, or new files)
    manifest: str | None  # the manifest read (as delivered) or to be written (pending)
    listing: list[tuple[int, str, int, str]] | None  # the folder's files (pending)
    changed: list[Rejection] = field(default_factory=list)  # listed files changed in place
    journal_days: list[date] = field(default_factory=list)  # journal days of the month read
    opening: date | None = None  # the previous month-end whose Mẫu 31 is read
    context_files: set[str] = field(default_factory=set)  # rel paths of the context files
    context_notes: list[str] = field(default_factory=list)  # context folders not read

    @property
    def journal_complete(self) -> bool:
        """The month's journal can be summed: the raw folder holds the office's other
        deliveries (journal days of the month, or the previous month-end), so it is the
        office's archive and the days without a journal had no transactions. A folder alone
        shows one day of the month."""
        others = [d for d in self.journal_days if d != self.data_date]
        return bool(others) or self.opening is not None

    @property
    def rel(self) -> str:
        return f"{self.folder.parent.name}/{self.folder.name}"


def plan(folder: Path) -> Plan:
    folder = Path(os.path.abspath(folder))  # absolute, links kept: discovery judges them
    if not folder.is_dir() or folder.is_symlink():
        raise FolderError(
            f"{printable(str(folder))} is not a delivery folder (a folder "
            "<raw>/<YYYY-MM-DD>/<UNIT>/, e.g. data/raw/2022-03-31/0107)"
        )
    raw_root = folder.parent.parent
    current = _latest_manifest(folder)
    listing = folder_listing(folder)
    pending, changed = _pending(folder, current, listing)
    disc = discover_folder(folder, listing if pending else None)
    d = disc.deliveries[0] if disc.deliveries else None
    p = Plan(
        folder=folder,
        raw_root=raw_root,
        data_date=d.data_date if d else None,
        unit=folder.name,
        discovery=disc,
        pending=pending,
        manifest=d.manifest if d else None,
        listing=listing if pending else None,
        changed=[_changed_rejection(d, r) for r in changed] if d else [],
    )
    if d is not None and any(f.spec.code == LOAN_FILE for f in d.files):
        _add_context(p, d)
    return p


def _latest_manifest(folder: Path) -> str | None:
    found = [(rev, e.name) for e in entries(folder) if (rev := manifest_revision(e.name))]
    return max(found)[1] if found else None


def _pending(folder: Path, manifest: str | None, listing) -> tuple[bool, list]:
    """Whether the folder is read as its next manifest will list it, and the files its latest
    manifest lists that changed since (size or SHA-256)."""
    if manifest is None:
        return True, []
    try:
        listed = parse_manifest((folder / manifest).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return False, []  # discovery reports the unreadable manifest, as ingestion would
    by_name = {name: (size, sha) for _, name, size, sha in listed}
    now = {name: (size, sha) for _, name, size, sha in listing}
    changed = [
        (manifest, name)
        for name, figures in by_name.items()
        if name in now and now[name] != figures
    ]
    if set(now) <= set(by_name):
        return False, []  # as delivered: discovery and the readers judge the differences
    return True, changed


def _changed_rejection(d: Delivery, item: tuple[str, str]) -> Rejection:
    manifest, name = item
    rel = f"{d.rel}/{printable(name)}"
    return Rejection(
        file=rel,
        row=None,
        column=None,
        value=None,
        expected=f"the file as {manifest} lists it",
        message=f"{rel}: changed since {manifest} listed it; a delivered file is never "
        "changed: restore it and deliver the correction as a new revision (_r2, ...)",
        data_date=d.data_date,
        unit=d.unit,
    )


def _add_context(p: Plan, d: Delivery) -> None:
    """The office's journal days of the month and previous month-end Mẫu 31 from the raw
    folder, as deliveries of their own with only those files."""
    first = d.data_date.replace(day=1)
    days = [first + timedelta(days=i) for i in range(d.data_date.day)]
    opening = first - timedelta(days=1)
    wanted = {day: JOURNAL for day in days if day != d.data_date}
    if opening.day == calendar.monthrange(opening.year, opening.month)[1]:
        wanted[opening] = LOAN_FILE
    if any(f.spec.code == JOURNAL for f in d.files):
        p.journal_days.append(d.data_date)
    for day, report in sorted(wanted.items()):
        other = p.raw_root / day.isoformat() / p.unit
        if not other.is_dir() or other.is_symlink():
            continue
        found = discover_folder(other)
        p.context_notes.extend(f"{i}: no manifest yet, not read" for i in found.incomplete)
        for r in found.rejections:  # the date folder itself
            p.discovery.rejections.append(r)
            p.context_files.add(r.file)
        for cd in found.deliveries:
            cd.files = [f for f in cd.files if f.spec.code == report]
            cd.notes = []
            cd.rejections = [r for r in cd.rejections if _concerns(r.file, report)]
            if not cd.files and not cd.rejections:
                continue
            p.discovery.deliveries.append(cd)
            p.context_files.update(f.rel for f in cd.files)
            p.context_files.update(r.file for r in cd.rejections)
            if any(f.spec.code == JOURNAL for f in cd.files):
                p.journal_days.append(day)
            if report == LOAN_FILE and cd.files:
                p.opening = day
    p.journal_days.sort()


def _concerns(rel: str, report: str) -> bool:
    """A rejection of the context folder that concerns ``report``: one of its files, or the
    folder and its manifest (not a file of another report)."""
    try:
        return parse_file_name(rel.rsplit("/", 1)[-1]).report.code == report
    except ValueError:
        return True
