"""One writer at a time for the DuckDB warehouse.

DuckDB allows a single writing process; a second one fails with "Could not set lock". Every
step that writes the warehouse (ingest, dbt, checks, publish) takes this advisory file lock
first, so a second run waits for the first instead of failing. The lock is re-entrant within a
process (a run holds it, and its steps take it again without deadlocking).
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

_held: dict[str, tuple[int, int]] = {}  # lock path -> (fd, depth), this process only
_guard = threading.Lock()


class WarehouseBusy(TimeoutError):
    pass


def lock_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".writer.lock")


@contextmanager
def warehouse_lock(
    warehouse: Path,
    *,
    timeout: float = 3600.0,
    progress: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """Hold the warehouse's writer lock; wait (up to ``timeout`` s) while another run holds it."""
    path = lock_path(Path(warehouse))
    key = str(path)
    with _guard:
        if key in _held:
            fd, depth = _held[key]
            _held[key] = (fd, depth + 1)
            reentered = True
        else:
            reentered = False
    if not reentered:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + timeout
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not told and progress:
                    progress(f"another run is writing {warehouse}; waiting for it to finish")
                    told = True
                if time.monotonic() > deadline:
                    os.close(fd)
                    raise WarehouseBusy(
                        f"{warehouse} is still locked by another run after {timeout:.0f}s "
                        f"(lock file {path})"
                    ) from None
                time.sleep(0.5)
        with _guard:
            _held[key] = (fd, 1)
    try:
        yield
    finally:
        with _guard:
            fd, depth = _held[key]
            if depth > 1:
                _held[key] = (fd, depth - 1)
            else:
                del _held[key]
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)
