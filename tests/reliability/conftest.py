"""Shared material of the reliability tests.

- ``demo``: the calibrated demo at scale 0.01 with the ``redelivery`` fault (an M31 first
  delivered wrong, then corrected by ``_r2`` + ``manifest_r2.csv``), generated once per session.
  Its raw files are hashed when generated and must never change (checked by the tests that
  run the pipeline on it).
- ``reference``: one uninterrupted night (``nightly.py``) on ``demo``: the state every crashed
  and repeated run must reach.
- ``checksums()``: row count + an order-independent MD5 of every table of every warehouse
  schema, without the load-time columns (``is_load_time``) and, for ``quality``, only the
  latest check run.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pytest

from tests.shared_builds import shared_build

HERE = Path(__file__).parent
NIGHTLY = HERE / "nightly.py"
SCALE = 0.01
SCHEMAS = ("raw", "seeds", "staging", "intermediate", "marts", "recon", "quality")
# Columns that record *when* something was loaded or checked, not what: the only columns left
# out of the content checksums. Every column named ``*loaded_at``: ``_loaded_at`` stamped by
# ingest on raw rows and carried into later layers, ``_inputs_loaded_at`` on every month of an
# incremental model, ``source_loaded_at`` / ``last_loaded_at`` in the lineage and delivery
# marts, ``loaded_at`` and ``inputs_loaded_at`` in the ingest log and the checks' month rows;
# ``_built_at`` when the dbt run that rebuilt a month started; ``rejected_at`` is the ingest
# log's; ``run_id`` / ``checked_at`` / ``checked_in_run_id`` identify a quality run.
LOAD_TIME_COLUMNS = ("_built_at", "rejected_at", "run_id", "checked_at", "checked_in_run_id")


def is_load_time(column: str) -> bool:
    return column.endswith("loaded_at") or column in LOAD_TIME_COLUMNS


# A run's one-line summary says how it worked (months validated, months carried forward from
# an earlier run: incremental checks) as well as what it found; what it found is compared row
# by row in quality.check_results.
RUN_DESCRIPTION_COLUMNS = {("quality", "check_runs"): ("summary",)}


# ------------------------------------------------------------------------------ checksums
def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_checksum(con, schema: str, table: str) -> tuple[int, str]:
    cols = [
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns where table_catalog = "
            "current_database() and table_schema = ? and table_name = ? order by ordinal_position",
            [schema, table],
        ).fetchall()
    ]
    described = RUN_DESCRIPTION_COLUMNS.get((schema, table), ())
    keep = [c for c in cols if not is_load_time(c) and c not in described]
    where = ""
    if schema == "quality" and "run_id" in cols:
        # the history grows with every run: compare what the latest run found
        where = (
            " where run_id = (select run_id from quality.check_runs "
            "order by checked_at desc limit 1)"
        )
    select = ", ".join(_q(c) for c in keep)
    return con.execute(
        f"select count(*), md5(coalesce(string_agg(r, chr(10) order by r), '')) from ("
        f"select cast(row({select}) as varchar) as r from {_q(schema)}.{_q(table)}{where})"
    ).fetchone()


def checksums(db: Path, schemas=SCHEMAS) -> dict[str, tuple[int, str]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = current_database() order by 1, 2"
        ).fetchall()
        return {f"{s}.{t}": table_checksum(con, s, t) for s, t in tables if s in schemas}
    finally:
        con.close()


def file_digest(root: Path) -> dict[str, str]:
    """SHA-256 of every file under ``root`` (raw files are never changed by the pipeline)."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def raw_is_consistent(db: Path) -> None:
    """Nothing half loaded: every key in raw._loads has exactly its recorded rows, from its
    recorded file, and no raw row comes from a file that is not the loaded one."""
    from pipelines.contract.reports import REPORTS

    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = {r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()}
        if "_loads" not in tables:
            return
        loads = con.execute("select report, source_file, rows from raw._loads").fetchall()
        by_report: dict[str, dict[str, int]] = {}
        for report, source, rows in loads:
            by_report.setdefault(report, {})[source] = rows
        for spec in REPORTS:
            got = dict(
                con.execute(
                    f"select _source_file, count(*) from raw.{spec.table} group by 1"
                ).fetchall()
            )
            assert got == {f: n for f, n in by_report.get(spec.code, {}).items() if n}, spec.table
    finally:
        con.close()


# ------------------------------------------------------------------------------ the night
@dataclass
class Night:
    """Paths of one warehouse's nights (a data/ tree of its own)."""

    root: Path
    raw: Path

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse" / "warehouse.duckdb"

    @property
    def analytics(self) -> Path:
        return self.warehouse.with_name("analytics.duckdb")

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def work(self) -> Path:
        return self.root / "work"

    def args(self, dates=None) -> list[str]:
        out = [str(self.raw), str(self.warehouse), str(self.reports), str(self.work)]
        for d in dates or ():
            out += ["--date", d.isoformat()]
        return out


class Running:
    """``nightly.py`` (or ``cmd``) started in its own process group; its stdout lines arrive on a
    queue so a test can wait for a step marker and kill the whole group (dbt included) with
    SIGKILL. ``merge_stderr``: stderr lines arrive on the queue too (a log on stderr)."""

    def __init__(self, night: Night, dates=None, cmd=None, env=None, merge_stderr=False):
        night.work.mkdir(parents=True, exist_ok=True)
        self.night = night
        self.err = open(night.work / f"nightly-{time.monotonic_ns()}.err", "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            cmd or [sys.executable, str(NIGHTLY), *night.args(dates)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT if merge_stderr else self.err,
            text=True,
            env=env,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self._q: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for line in self.proc.stdout:
            self._q.put(line.rstrip("\n"))
        self._q.put(None)

    def wait_for_line(self, text: str, timeout: float = 300, contains: bool = False) -> None:
        """Until a line is ``text`` (or, ``contains``, holds it)."""
        deadline = time.monotonic() + timeout
        while not (any(text in line for line in self.lines) if contains else text in self.lines):
            try:
                line = self._q.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no {text!r} within {timeout}s: {self.lines}") from None
            if line is None:
                raise AssertionError(f"ended before {text!r}: {self.lines}\n{self.stderr()}")
            self.lines.append(line)

    def wait_until(self, condition, what: str, timeout: float = 300, poll: float = 0.01) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert self.proc.poll() is None, f"ended before {what}: {self.stderr()}"
            assert time.monotonic() < deadline, f"no {what} within {timeout}s"
            time.sleep(poll)

    def kill(self) -> None:
        """SIGKILL the process group: the job and its dbt child die at once, like a power cut
        or the OOM killer; nothing gets to clean up."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=60)
        self.err.close()

    def finish(self, timeout: float = 600) -> int:
        rc = self.proc.wait(timeout=timeout)
        while True:
            line = self._q.get(timeout=30)
            if line is None:
                break
            self.lines.append(line)
        self.err.close()
        return rc

    def stderr(self) -> str:
        if not self.err.closed:  # finish() closes it; the failure message reads it after
            self.err.flush()
        return Path(self.err.name).read_text(errors="replace")[-4000:]


def run_night(night: Night, dates=None, expect: int = 0) -> Running:
    r = Running(night, dates)
    rc = r.finish()
    assert rc == expect, f"nightly exited {rc}: {r.lines}\n{r.stderr()}"
    return r


# ------------------------------------------------------------------------------ fixtures
@dataclass
class Demo:
    raw: Path
    truth: dict
    digest: dict[str, str]

    @property
    def redelivery(self) -> dict:
        return next(f for f in self.truth["faults"] if f["fault"] == "redelivery")

    def dates(self) -> list[date]:
        return sorted(
            date.fromisoformat(p.name)
            for p in self.raw.iterdir()
            if p.is_dir() and not p.name.startswith("_")
        )


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> Demo:
    """The demo with a re-delivered file; generated once per run, shared by the workers."""

    def build(folder: Path) -> None:
        from pipelines.generate import generate

        generate(folder / "raw", scale=SCALE, inject=["redelivery"], workers=1)

    raw = shared_build(tmp_path_factory, "reliability-demo", build) / "raw"
    truth = json.loads((raw / "_truth.json").read_text(encoding="utf-8"))
    return Demo(raw, truth, file_digest(raw))


@pytest.fixture(scope="session")
def reference(demo, tmp_path_factory) -> Night:
    """One uninterrupted night on the demo; its checksums are the expected state. Shared by
    the workers: read it only."""
    root = shared_build(
        tmp_path_factory, "reliability-reference", lambda folder: run_night(Night(folder, demo.raw))
    )
    return Night(root, demo.raw)


@pytest.fixture(scope="session")
def reference_checksums(reference) -> dict[str, tuple[int, str]]:
    return checksums(reference.warehouse)


def copy_raw(src: Path, dst: Path, skip=()) -> Path:
    """A copy of a raw tree (hard links: the files are never written) minus ``skip``."""

    def link(s, d):
        if Path(s).relative_to(src).as_posix() in skip:
            return d
        os.link(s, d)
        return d

    shutil.copytree(src, dst, copy_function=link)
    return dst
