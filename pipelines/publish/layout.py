"""Where a publication lives on disk, and the one rename that makes it current.

With ``target = data/warehouse/analytics.duckdb``::

    analytics.duckdb            -> analytics/analytics.duckdb            (symlinks, never change)
    analytics.previous.duckdb   -> analytics/previous/analytics.duckdb
    analytics                   -> analytics.versions/<id>               (swapped by one rename)
    analytics.versions/<id>/    analytics.duckdb, parquet/<table>.parquet, csv/<table>.csv
                                (a fact: parquet|csv/<table>/<date>.*, one per month-end),
                                publication.json, previous -> ../<id before>
    analytics.versions/spare.duckdb   the publication before the previous one, which the next
                                      publication updates in place (nothing else reads it)

A version folder is built as ``<id>.tmp-<pid>``, renamed to ``<id>`` when complete, and made
current by replacing the ``analytics`` symlink (``os.replace``, atomic on POSIX). That one rename
changes the database, its Parquet/CSV exports and the previous publication together (the version
names its predecessor). A reader resolves the symlinks when it opens a file and keeps that
inode, so an open connection never sees a later publication, and nothing is ever written into a
file that the current or previous publication holds.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

SPARE_NAME = "spare.duckdb"
MANIFEST_NAME = "publication.json"
PREVIOUS_LINK = "previous"


@dataclass(frozen=True)
class Layout:
    target: Path

    @property
    def folder(self) -> Path:
        return self.target.parent

    @property
    def stem(self) -> str:
        return self.target.stem

    @property
    def db_name(self) -> str:
        return self.target.name

    @property
    def current(self) -> Path:
        """The symlink to the current version folder (``analytics``)."""
        return self.folder / self.stem

    @property
    def previous_db(self) -> Path:
        return self.folder / f"{self.stem}.previous{self.target.suffix}"

    @property
    def versions(self) -> Path:
        return self.folder / f"{self.stem}.versions"

    @property
    def spare(self) -> Path:
        return self.versions / SPARE_NAME

    def version_of(self, link: Path) -> Path | None:
        """The version folder a symlink points to, or None."""
        if not link.is_symlink():
            return None
        path = (link.parent / os.readlink(link)).resolve()
        return path if path.is_dir() else None

    def current_version(self) -> Path | None:
        return self.version_of(self.current)

    def previous_version(self) -> Path | None:
        current = self.current_version()
        return self.version_of(current / PREVIOUS_LINK) if current else None


def set_link(link: Path, dest: str) -> None:
    """Point ``link`` at ``dest`` (relative) atomically: a new symlink renamed over the old one
    (or over a regular file left by an older layout)."""
    tmp = link.with_name(f"{link.name}.tmp-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    os.symlink(dest, tmp)
    os.replace(tmp, link)


def fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def pid_of(path: Path) -> int | None:
    """The process id in a ``<name>.tmp-<pid>[...]`` name."""
    if ".tmp-" not in path.name:
        return None
    pid = path.name.rsplit(".tmp-", 1)[1].split(".", 1)[0]
    return int(pid) if pid.isdigit() else None


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_orphans(layout: Layout) -> None:
    """Delete what a killed publication left behind (``*.tmp-<pid>`` files, symlinks and version
    folders of dead processes): never used, but they would fill the disk night after night.
    A publication still running (its process alive) is left alone."""
    candidates = [*layout.folder.glob(f"{layout.stem}*.tmp-*")]
    if layout.versions.is_dir():
        candidates += layout.versions.glob("*.tmp-*")
    for path in candidates:
        pid = pid_of(path)
        if pid is None or pid == os.getpid() or alive(pid):
            continue
        remove(path)


def remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def retire(layout: Layout) -> None:
    """Remove the version folders that are neither current nor previous; the newest such
    database becomes the spare the next publication updates (an older spare is dropped)."""
    keep = {layout.current_version(), layout.previous_version()}
    old = [
        p
        for p in layout.versions.iterdir()
        if p.is_dir() and pid_of(p) is None and p.resolve() not in keep
    ]
    for i, folder in enumerate(sorted(old, key=lambda p: p.name, reverse=True)):
        db = folder / layout.db_name
        if i == 0 and db.exists() and not db.with_name(db.name + ".wal").exists():
            os.replace(db, layout.spare)
        remove(folder)
