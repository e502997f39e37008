"""One measured stage: a child process's wall time, CPU time and peak memory.

The peak RSS is the kernel's figure (``wait4``: the largest single process of the tree); beside
it the summed RSS of the whole process tree (the parse workers beside the ingest parent, Spark's
JVM under dbt) is sampled twice a second (``TreeMemory``). A stage that is an ``nhcs run`` also
gives each of its steps' durations, read from the run's ``--summary-json`` file.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil


@dataclass
class StageResult:
    stage: str
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    ok: bool
    detail: str = ""
    floor: str | None = None
    ratio_to_floor: float | None = None
    extra: dict = field(default_factory=dict)
    peak_tree_mb: float | None = None


class TreeMemory:
    """Peak summed RSS of a process and its descendants, sampled every ``interval`` seconds.

    ``wait4`` reports the largest single process only; the memory a stage needs from the
    machine is the sum over the processes alive at the same time."""

    def __init__(self, pid: int, interval: float = 0.5, also: list[int] | None = None):
        # ``also``: other processes the stage uses without starting them (a Spark cluster's
        # JVMs), counted with their descendants
        self.pid, self.interval, self.peak, self.also = pid, interval, 0, list(also or ())
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _sample(self) -> int:
        procs = []
        for pid in (self.pid, *self.also):
            try:
                root = psutil.Process(pid)
                procs += [root, *root.children(recursive=True)]
            except psutil.Error:
                continue
        total = 0
        for proc in procs:
            try:
                total += proc.memory_info().rss
            except psutil.Error:  # ended between the listing and the reading
                pass
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample())
            self._stop.wait(self.interval)

    def stop(self) -> float:
        """Stop sampling; the peak in MB."""
        self._stop.set()
        self._thread.join()
        return round(self.peak / 2**20, 1)


def measure(
    stage: str,
    cmd: list[str],
    env: dict | None = None,
    cwd: Path | None = None,
    log: Path | None = None,
    also: list[int] | None = None,
) -> StageResult:
    """Run ``cmd`` as a child process; wall, CPU (user+sys, children included), peak RSS.
    ``also``: pids of running processes whose memory counts in the stage's tree (a cluster)."""
    started = time.monotonic()
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115
    try:
        proc = subprocess.Popen(
            cmd, env={**os.environ, **(env or {})}, cwd=cwd, stdout=out, stderr=subprocess.STDOUT
        )
        tree = TreeMemory(proc.pid, also=also)
        try:
            _, status, ru = os.wait4(proc.pid, 0)
        finally:
            tree_mb = tree.stop()
    finally:
        if log:
            out.close()
    wall = time.monotonic() - started
    code = os.waitstatus_to_exitcode(status)
    # ru_maxrss is in KiB on Linux: the largest resident set of the child or its waited-for
    # descendants.
    return StageResult(
        stage,
        round(wall, 2),
        round(ru.ru_utime + ru.ru_stime, 2),
        round(ru.ru_maxrss / 1024, 1),
        code == 0,
        "" if code == 0 else f"exit {code}, see {log}",
        peak_tree_mb=tree_mb,
    )


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes and their descendants so far (executors end with
    their application: read before they do)."""
    total = 0.0
    for pid in pids:
        try:
            root = psutil.Process(pid)
            for proc in (root, *root.children(recursive=True)):
                t = proc.cpu_times()
                total += t.user + t.system + t.children_user + t.children_system
        except psutil.Error:
            continue
    return total


def nhcs_run(nhcs: str, work: Path, name: str, *args: str) -> tuple[list[str], Path]:
    """``nhcs run`` with its steps written as JSON (``work/<name>.json``) for the timings."""
    out = work / f"{name}.json"
    out.unlink(missing_ok=True)
    return [nhcs, "run", *args, "--summary-json", str(out)], out


def step_seconds(steps: Path) -> dict[str, float]:
    """Each step's duration inside one ``nhcs run`` (its ``--summary-json`` file)."""
    if not steps.exists():  # the run failed before writing it
        return {}
    data = json.loads(steps.read_text(encoding="utf-8"))
    return {f"step_{key}_s": round(s["seconds"], 1) for key, s in data["steps"].items()}
