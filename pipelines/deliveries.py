"""A cheap view of which delivery folders are complete, for sensors and run planning.

A folder ``<raw>/<YYYY-MM-DD>/<UNIT>/`` is complete once a manifest is in it (contract §1). Its
signature is the hash of its manifests' content: a re-delivery (``manifest_r2.csv``) changes
it, a repeated look does not. The full file checks (sizes, SHA-256) are ingestion's job.

Like ingestion, this look never follows a link: a date or unit folder, or a manifest, that is a
symbolic link (or a FIFO, a device) is not looked into, read or hashed. Ingestion reports it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from .contract.naming import manifest_revision
from .ingest.discovery import MAX_MANIFEST_BYTES
from .ingest.errors import FileProblems
from .ingest.files import entries, read_regular_file


def complete_folders(raw_dir: Path) -> dict[tuple[date, str], str]:
    """(data date, unit) -> signature of every complete delivery folder under ``raw_dir``."""
    out: dict[tuple[date, str], str] = {}
    if not raw_dir.is_dir():
        return out
    for day_dir in entries(Path(raw_dir).resolve()):
        if not day_dir.is_dir or day_dir.name.startswith(("_", ".")):
            continue
        try:
            day = date.fromisoformat(day_dir.name)
        except ValueError:
            continue
        for unit_dir in (e for e in entries(day_dir.path) if e.is_dir):
            manifests = [e for e in entries(unit_dir.path) if manifest_revision(e.name) is not None]
            if not manifests:
                continue
            h = hashlib.sha256()
            for m in manifests:
                h.update(m.name.encode())
                if m.is_file:
                    try:
                        h.update(read_regular_file(m.path, limit=MAX_MANIFEST_BYTES))
                    except FileProblems as exc:  # ingestion will say what is wrong
                        h.update(exc.problems[0].problem.encode())
                else:
                    h.update(m.kind.encode())
            out[(day, unit_dir.name)] = h.hexdigest()[:16]
    return out


def day_signatures(raw_dir: Path) -> dict[date, str]:
    """data date -> one signature over all its complete unit folders."""
    per_day: dict[date, list[str]] = {}
    for (day, unit), sig in complete_folders(raw_dir).items():
        per_day.setdefault(day, []).append(f"{unit}:{sig}")
    return {
        d: hashlib.sha256("|".join(sorted(v)).encode()).hexdigest()[:16] for d, v in per_day.items()
    }


def delivered_dates(raw_dir: Path) -> list[date]:
    return sorted(day_signatures(raw_dir))


class NoDeliveries(LookupError):
    """Nothing to ingest: the raw folder is missing, or holds no complete delivery (for the
    dates asked). ``nhcs ingest`` and ``nhcs run`` both stop on it before opening the
    warehouse, so no empty warehouse is ever created."""


def require_deliveries(raw_dir: Path, dates: Sequence[date] | None = None) -> list[date]:
    """The delivered data dates under ``raw_dir`` (only ``dates`` if given), or ``NoDeliveries``
    with a message naming the folder and what to do."""
    if not raw_dir.is_dir():
        raise NoDeliveries(
            f"raw folder {raw_dir} does not exist: put the branch deliveries there "
            "(README, 'Dropping in real deliveries') or run `nhcs generate` for the demo"
        )
    delivered = delivered_dates(raw_dir)
    if not delivered:
        raise NoDeliveries(
            f"no complete delivery under {raw_dir} (a <YYYY-MM-DD>/<unit>/ folder is complete "
            "once its manifest.csv is written); run `nhcs generate` for the demo"
        )
    if dates is None:
        return delivered
    wanted = [d for d in delivered if d in set(dates)]
    if not wanted:
        asked = ", ".join(sorted(d.isoformat() for d in set(dates)))
        raise NoDeliveries(
            f"no complete delivery under {raw_dir} for {asked} (delivered: "
            f"{delivered[0]} .. {delivered[-1]}, {len(delivered)} dates)"
        )
    return wanted


def earliest_delivered_date(raw_dir: Path) -> date | None:
    """The first data date with a complete delivery folder (cheap: stops at the first)."""
    if not raw_dir.is_dir():
        return None
    for day_dir in sorted(raw_dir.iterdir()):
        try:
            day = date.fromisoformat(day_dir.name)
        except ValueError:
            continue
        if not day_dir.is_dir():
            continue
        for unit_dir in day_dir.iterdir():
            if unit_dir.is_dir() and any(
                manifest_revision(p.name) is not None for p in unit_dir.iterdir()
            ):
                return day
    return None
