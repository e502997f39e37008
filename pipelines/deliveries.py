"""A cheap view of which delivery folders are complete, for sensors and run planning.

A folder ``<raw>/<YYYY-MM-DD>/<UNIT>/`` is complete once a manifest is in it (contract §1). Its
signature is the hash of its manifests' content: a re-delivery (``manifest_r2.csv``) changes
it, a repeated look does not. The full file checks (sizes, SHA-256) are ingestion's job.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

from .contract.naming import manifest_revision


def complete_folders(raw_dir: Path) -> dict[tuple[date, str], str]:
    """(data date, unit) -> signature of every complete delivery folder under ``raw_dir``."""
    out: dict[tuple[date, str], str] = {}
    if not raw_dir.is_dir():
        return out
    for day_dir in sorted(raw_dir.iterdir()):
        if not day_dir.is_dir() or day_dir.name.startswith(("_", ".")):
            continue
        try:
            day = date.fromisoformat(day_dir.name)
        except ValueError:
            continue
        for unit_dir in sorted(p for p in day_dir.iterdir() if p.is_dir()):
            manifests = sorted(
                p for p in unit_dir.iterdir() if manifest_revision(p.name) is not None
            )
            if not manifests:
                continue
            h = hashlib.sha256()
            for m in manifests:
                h.update(m.name.encode())
                h.update(m.read_bytes())
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
