"""Parsing in a process pool: files are grouped into chunks, chunks parsed by workers.

Small files (the daily journals) are bundled so that a task is worth its round trip; a big
file is a chunk of its own. The parent consumes results in submission order with a bounded
number of chunks in flight, so memory stays bounded by a few of the largest files.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import pyarrow as pa

from .parse import FileContext, ParsedFile, parse_files

CHUNK_BYTES = 4 * 1024 * 1024
CHUNK_FILES = 64
T = TypeVar("T")
R = TypeVar("R")


def chunk(items: Sequence[T], size_of: Callable[[T], int]) -> list[list[T]]:
    chunks: list[list[T]] = []
    current: list[T] = []
    total = 0
    for item in items:
        size = size_of(item)
        if current and (total + size > CHUNK_BYTES or len(current) >= CHUNK_FILES):
            chunks.append(current)
            current, total = [], 0
        current.append(item)
        total += size
    if current:
        chunks.append(current)
    return chunks


def parse_chunk(contexts: list[FileContext], spill_dir: str | None = None) -> list[ParsedFile]:
    """Worker task: read, parse and validate a chunk of files.

    With ``spill_dir`` (process pool), each table is written there as an Arrow IPC file and
    only its path travels back: the parent memory-maps it instead of unpickling a copy that
    went through a pipe."""
    outs = parse_files(contexts)
    if spill_dir:
        for p in outs:
            if p.table is not None and p.ok:
                path = Path(spill_dir) / f"{uuid.uuid4().hex}.arrow"
                with pa.OSFile(str(path), "wb") as sink:
                    with pa.ipc.new_file(sink, p.table.schema) as writer:
                        writer.write_table(p.table)
                p.row_count, p.table, p.spill = p.table.num_rows, None, str(path)
    return outs


def unspill(p: ParsedFile) -> ParsedFile:
    """Map a spilled table back (zero-copy) in the parent."""
    if p.spill is not None and p.table is None:
        p.table = pa.ipc.open_file(pa.memory_map(p.spill, "r")).read_all()
        p.row_count = None
    return p


def drop_spill(p: ParsedFile) -> None:
    if p.spill is not None:
        Path(p.spill).unlink(missing_ok=True)
        p.spill = None


@contextmanager
def spill_directory(near: Path):
    """A private directory for spilled tables: in /dev/shm when there is one."""
    shm = Path("/dev/shm")
    base = shm if shm.is_dir() and os.access(shm, os.W_OK) else Path(near)
    path = Path(tempfile.mkdtemp(prefix="nhcs-ingest-", dir=base))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextmanager
def _single_threaded_polars():
    """Workers each use one polars thread: the pool is the parallelism."""
    old = os.environ.get("POLARS_MAX_THREADS")
    os.environ["POLARS_MAX_THREADS"] = old or "1"
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("POLARS_MAX_THREADS", None)


def run_ordered(
    fn: Callable[[T], R], tasks: Iterable[T], workers: int, window: int | None = None
) -> Iterator[R]:
    """``map(fn, tasks)`` on a spawn process pool, in order, with a bounded window."""
    tasks = iter(tasks)
    if workers <= 1:
        for t in tasks:
            yield fn(t)
        return
    window = window or 2 * workers
    with _single_threaded_polars():
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            pending: deque[Future] = deque()
            for t in tasks:
                pending.append(pool.submit(fn, t))
                if len(pending) >= window:
                    break
            while pending:
                fut = pending.popleft()
                result = fut.result()
                for t in tasks:
                    pending.append(pool.submit(fn, t))
                    break
                yield result
