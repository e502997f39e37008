"""Parsing in worker processes where a crash costs one file, never the pool or the delivery.

Files are grouped into chunks (the daily journals are bundled so that a task is worth its round
trip; a big file is a chunk of its own) and parsed by ``workers`` spawned processes. The parent
consumes results in submission order with a bounded number of chunks in flight, so memory
stays bounded by a few of the largest files.

Every chunk runs under its files' budget (``budget.py``): a watchdog thread in the parent reads
each busy worker's resident memory and elapsed time a few times a second and kills a worker
over either. A worker that dies (killed, or a reader aborting the process, as calamine does when
an allocation fails) takes only its current chunk with it: the other chunks queued to it go to
another worker, the chunk is split into single files and re-run, and the one file that fails
alone is rejected by name with the reason. A replacement worker is started, so the rest of the
run goes on, and a re-run meets the same file the same way.

With ``workers=0`` everything runs in the calling process (tests of the parsing rules,
debugging): no isolation, no watchdog.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import tempfile
import threading
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from pathlib import Path
from typing import TypeVar

import psutil
import pyarrow as pa

from .parse import FileContext, ParsedFile, parse_files

CHUNK_BYTES = 4 * 1024 * 1024
CHUNK_FILES = 64
WATCH_SECONDS = 0.05  # how often the watchdog looks at the workers
JOBS_PER_WORKER = 2  # one running, one waiting in its pipe while the parent loads
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


# ----------------------------------------------------------------------------- the worker
def _serve(conn, state) -> None:
    """A worker's loop: run (job id, fn, items) messages until told to stop.

    ``state`` (shared with the parent's watchdog): the id of the job being run (-1: none), when
    it started (``time.monotonic``, the same clock in every process) and the worker's resident
    memory then (a budget is what one job may add: memory freed by the previous job may still
    be held by the allocator)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when workers stop
    page = os.sysconf("SC_PAGE_SIZE")
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        job_id, fn, items = msg
        with open("/proc/self/statm", "rb") as f:
            state[2] = int(f.read().split()[1]) * page
        state[1] = time.monotonic()
        state[0] = job_id
        try:
            reply = (job_id, True, fn(items))
        except BaseException as exc:  # noqa: BLE001 - reported to the parent, per file
            # the type only: a message could quote a cell, and cells can be personal data
            traceback.clear_frames(exc.__traceback__)
            reply = (job_id, False, type(exc).__name__)
        state[0] = -1
        try:
            conn.send(reply)
        except (BrokenPipeError, OSError):
            return


@dataclass
class _Job:
    id: int
    slot: int
    positions: list[int]  # the items' positions in their slot
    items: list
    memory: int  # budget: resident bytes of the worker
    seconds: float  # budget: wall time


@dataclass
class _Slot:
    items: list
    results: dict[int, object] = field(default_factory=dict)

    @property
    def done(self) -> bool:
        return len(self.results) == len(self.items)


class _Worker:
    def __init__(self, ctx):
        self.parent_conn, child_conn = ctx.Pipe()
        self.state = ctx.Array("d", [-1.0, 0.0, 0.0], lock=False)
        self.proc = ctx.Process(target=_serve, args=(child_conn, self.state), daemon=True)
        self.proc.start()
        child_conn.close()
        self.jobs: deque[_Job] = deque()  # sent, in the order the worker runs them
        self.killed_for: tuple[int, str] | None = None  # (job id, why) when the watchdog killed
        try:
            self.ps = psutil.Process(self.proc.pid)
        except psutil.Error:  # pragma: no cover - died at start
            self.ps = None

    def running(self) -> _Job | None:
        job_id = int(self.state[0])
        return next((j for j in self.jobs if j.id == job_id), None) if job_id >= 0 else None

    def kill(self, job: _Job, why: str) -> None:
        if self.killed_for is None:
            self.killed_for = (job.id, why)
        try:
            self.proc.kill()
        except (OSError, ValueError):  # pragma: no cover - already gone
            pass


class IsolatedPool:
    """``map(fn, chunks)`` over worker processes, in order, where a file that kills its worker
    or exceeds its budget is failed on its own (``failed(item, why)``) and the run goes on.

    ``budget_of(items) -> (memory bytes, seconds)`` is each chunk's budget."""

    def __init__(
        self,
        fn: Callable[[list[T]], list[R]],
        workers: int,
        budget_of: Callable[[list[T]], tuple[int, float]],
        failed: Callable[[T, str], R] | None,
        window: int | None = None,
    ):
        self.fn = fn
        self.n = max(1, workers)
        self.budget_of = budget_of
        self.failed = failed
        self.window = window or 2 * self.n
        self.ctx = multiprocessing.get_context("spawn")
        self.workers: list[_Worker] = []
        self.queue: deque[_Job] = deque()
        self.slots: dict[int, _Slot] = {}
        self.next_job = 0
        self.lock = threading.Lock()
        self.stop = threading.Event()

    # ------------------------------------------------------------------ the watchdog
    def _watch(self) -> None:
        while not self.stop.wait(WATCH_SECONDS):
            with self.lock:
                workers = list(self.workers)
            for w in workers:
                job = w.running()
                if job is None or w.killed_for is not None:
                    continue
                elapsed = time.monotonic() - w.state[1]
                if elapsed > job.seconds:
                    w.kill(job, f"took more than its time budget of {job.seconds:,.0f} s")
                    continue
                try:
                    rss = w.ps.memory_info().rss if w.ps else 0
                except psutil.Error:
                    continue
                grown = rss - w.state[2]
                if grown > job.memory:
                    w.kill(
                        job,
                        f"needed more than its memory budget of {job.memory / 2**20:,.0f} MiB "
                        f"(the reader had taken {grown / 2**20:,.0f} MiB more)",
                    )

    # ------------------------------------------------------------------ scheduling
    def _job(self, slot: int, positions: list[int], items: list) -> _Job:
        memory, seconds = self.budget_of(items)
        self.next_job += 1
        return _Job(self.next_job, slot, positions, items, memory, seconds)

    def _dispatch(self) -> None:
        while self.queue:
            idle = [w for w in self.workers if len(w.jobs) < JOBS_PER_WORKER]
            if not idle and len(self.workers) < self.n:
                with _single_threaded_polars():
                    w = _Worker(self.ctx)
                with self.lock:
                    self.workers.append(w)
                idle = [w]
            if not idle:
                return
            w = min(idle, key=lambda w: len(w.jobs))
            job = self.queue.popleft()
            try:
                w.parent_conn.send((job.id, self.fn, job.items))
            except (BrokenPipeError, OSError):
                self.queue.appendleft(job)
                self._buried(w)
                continue
            w.jobs.append(job)

    def _complete(self, job: _Job, results: list) -> None:
        slot = self.slots[job.slot]
        for pos, r in zip(job.positions, results, strict=True):
            slot.results[pos] = r

    def _fail(self, job: _Job, why: str) -> None:
        if len(job.items) > 1:  # find the one file: each on its own
            for pos, item in reversed(list(zip(job.positions, job.items, strict=True))):
                self.queue.appendleft(self._job(job.slot, [pos], [item]))
            return
        if self.failed is None:
            raise RuntimeError(f"a worker failed on {job.items[0]!r}: {why}")
        self._complete(job, [self.failed(job.items[0], why)])

    def _buried(self, w: _Worker) -> None:
        """A worker died: its running job failed, the jobs waiting behind it go elsewhere."""
        w.proc.join(timeout=5)
        if w.killed_for is not None:  # the watchdog's job (unless it finished just before)
            culprit = next((j for j in w.jobs if j.id == w.killed_for[0]), None)
        else:
            culprit = w.running() or (w.jobs[0] if w.jobs else None)
        with self.lock:
            self.workers.remove(w)
        w.parent_conn.close()
        for job in reversed(w.jobs):
            if job is not culprit:
                self.queue.appendleft(job)
        if culprit is not None:
            code = w.proc.exitcode
            how = (w.killed_for[1] if w.killed_for else None) or (
                f"crashed (killed by signal {signal.Signals(-code).name})"
                if code is not None and code < 0
                else f"crashed (exit code {code})"
            )
            self._fail(culprit, how)

    def _receive(self, timeout: float) -> None:
        conns = {w.parent_conn: w for w in self.workers}
        sentinels = {w.proc.sentinel: w for w in self.workers}
        ready = wait([*conns, *sentinels], timeout=timeout)
        dead: list[_Worker] = []
        for r in ready:
            if r in conns:
                w = conns[r]
                try:
                    job_id, ok, payload = w.parent_conn.recv()
                except (EOFError, OSError):
                    dead.append(w)
                    continue
                job = w.jobs.popleft()
                assert job.id == job_id, (job.id, job_id)
                if ok:
                    self._complete(job, payload)
                else:
                    self._fail(job, f"failed with an internal error ({payload})")
            elif sentinels[r] not in dead:
                w = sentinels[r]
                if w.parent_conn.poll():  # its last reply came before it died: read it first
                    continue
                dead.append(w)
        for w in dead:
            if w in self.workers:
                self._buried(w)

    def run(self, tasks: Iterable[list[T]]) -> Iterator[list[R]]:
        tasks = iter(tasks)
        watchdog = threading.Thread(target=self._watch, name="nhcs-ingest-watchdog", daemon=True)
        watchdog.start()
        next_slot, next_out, exhausted = 0, 0, False
        try:
            while True:
                while not exhausted and next_slot - next_out < self.window:
                    items = next(tasks, None)
                    if items is None:
                        exhausted = True
                        break
                    self.slots[next_slot] = _Slot(list(items))
                    self.queue.append(self._job(next_slot, list(range(len(items))), list(items)))
                    next_slot += 1
                if next_out in self.slots and self.slots[next_out].done:
                    slot = self.slots.pop(next_out)
                    next_out += 1
                    yield [slot.results[i] for i in range(len(slot.items))]
                    continue
                if exhausted and next_out == next_slot:
                    return
                self._dispatch()
                self._receive(timeout=1.0)
        finally:
            self.stop.set()
            watchdog.join(timeout=5)
            self._shutdown()

    def _shutdown(self) -> None:
        for w in self.workers:
            try:
                w.parent_conn.send(None)
            except (BrokenPipeError, OSError):
                pass
        deadline = time.monotonic() + 10
        for w in self.workers:
            w.proc.join(timeout=max(0.1, deadline - time.monotonic()))
            if w.proc.is_alive():
                w.proc.kill()
                w.proc.join(timeout=5)
            w.parent_conn.close()
        self.workers.clear()


def run_isolated(
    fn: Callable[[list[T]], list[R]],
    tasks: Iterable[list[T]],
    workers: int,
    budget_of: Callable[[list[T]], tuple[int, float]] | None = None,
    failed: Callable[[T, str], R] | None = None,
) -> Iterator[list[R]]:
    """``map(fn, tasks)`` in order: in ``workers`` isolated processes, or in this process when
    ``workers`` is 0 (no isolation)."""
    if workers <= 0:
        for t in tasks:
            yield fn(t)
        return
    no_limit = (1 << 62, float("inf"))
    pool = IsolatedPool(fn, workers, budget_of or (lambda items: no_limit), failed)
    yield from pool.run(tasks)
