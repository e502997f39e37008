"""Crash safety: the real night (`nhcs run`: the Dagster ingest and build jobs, in process)
SIGKILLed as a whole process group (the job and its dbt child) in ingest, in the dbt build and
in publish, then repeated, ends exactly where an uninterrupted `nhcs run` ends; meanwhile
nothing half loaded is visible and the published database stays the last good one.

One warehouse lives through a realistic sequence: a good night on January's deliveries
(publication P1), then nights over the whole quarter killed at several points, then a night
that completes while an analyst holds P1 open. The kill points are found in the job's own
log (Dagster's step events, dbt's model lines), never in a copy of its step order.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest

from .conftest import (
    Night,
    Running,
    checksums,
    file_digest,
    raw_is_consistent,
    sha256,
)

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.xdist_group("reliability")]

NHCS = Path(sys.executable).with_name("nhcs")


class NhcsRun(Running):
    """``nhcs run`` on a night's folders, in its own process group, its log (stdout and
    stderr: Dagster's events, dbt's lines, the CLI's progress) arriving line by line."""

    def __init__(self, night: Night, dates=None):
        cmd = [str(NHCS), "run", "--raw", str(night.raw), "--warehouse", str(night.warehouse)]
        # -v: Dagster's step events on the output, where the test waits for them
        cmd += ["--reports", str(night.reports), "-v"]
        for d in dates or ():
            cmd += ["--date", d.isoformat()]
        env = {**os.environ, "DAGSTER_HOME": str(night.root / "dagster_home")}
        super().__init__(night, cmd=cmd, env=env, merge_stderr=True)

    def wait_for(self, text: str, timeout: float = 600) -> None:
        """Until a log line contains ``text``."""
        self.wait_for_line(text, timeout, contains=True)

    def saw(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    def stderr(self) -> str:
        return "\n".join(self.lines[-60:])


def run_nhcs(night: Night, dates=None) -> NhcsRun:
    r = NhcsRun(night, dates)
    rc = r.finish(timeout=1800)
    assert rc == 0, f"nhcs run exited {rc}:\n{r.stderr()}"
    return r


def step_started(step: str) -> str:
    return f" - {step} - STEP_START - "


def step_succeeded(step: str) -> str:
    return f" - {step} - STEP_SUCCESS - "


@pytest.fixture(scope="module")
def cli_reference(demo, tmp_path_factory) -> Night:
    """One uninterrupted `nhcs run` on the demo; its state is what every killed and repeated
    night must reach."""
    night = Night(tmp_path_factory.mktemp("crash-reference"), demo.raw)
    run_nhcs(night)
    return night


PUBLISHED = ("marts", "recon", "quality")


def _tmp_files(night: Night) -> list[str]:
    """What a publication builds aside: ``*.tmp-<pid>`` files, links and version folders."""
    return sorted(p.name for p in night.warehouse.parent.rglob("*.tmp-*"))


def _opens_with_marts(db) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("select count(*) from marts.mart_briefing_kpis").fetchone()[0]
    finally:
        con.close()


def _assert_last_good(night: Night, p1: str) -> None:
    assert sha256(night.analytics) == p1  # byte for byte the last good publication
    assert _opens_with_marts(night.analytics) > 0
    raw_is_consistent(night.warehouse)


ANALYST = textwrap.dedent(
    """
    import sys, duckdb
    con = duckdb.connect(sys.argv[1], read_only=True)
    q = "select count(*), max(as_of_date) from marts.mart_briefing_kpis"
    print("before", *con.execute(q).fetchone(), flush=True)
    sys.stdin.readline()
    print("after", *con.execute(q).fetchone(), flush=True)
    """
)

# publish() with a SIGKILL at a chosen point of the swap; production code is unchanged, the
# test script wraps the functions publish() calls.
KILL_IN_PUBLISH = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    import pipelines.publish as pub
    warehouse, target, point = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    current = target.with_name(target.stem)   # the `analytics` symlink: the one switch
    die = lambda: os.kill(os.getpid(), signal.SIGKILL)
    real_replace, real_verify = os.replace, pub._verify
    def verify(path, expected):
        real_verify(path, expected)
        if point == "built-aside":
            die()          # the new copy is complete beside the target, not swapped in
    def replace(src, dst):
        if Path(dst) == current and point == "before-swap":
            die()          # the version folder complete and named, `analytics` not switched
        real_replace(src, dst)
        if Path(dst) == current and point == "after-swap":
            die()          # switched, directory not yet fsynced, old version not retired
    pub._verify = verify
    pub.os.replace = replace
    pub.publish(warehouse, target)
    """
)


def _kill_in_publish(night: Night, point: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", KILL_IN_PUBLISH, str(night.warehouse), str(night.analytics), point],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == -9, (point, proc.returncode, proc.stderr[-3000:])


def test_killed_nights_then_a_full_night_equal_an_uninterrupted_one(demo, cli_reference, tmp_path):
    reference_checksums = checksums(cli_reference.warehouse)
    night = Night(tmp_path, demo.raw)
    january = [d for d in demo.dates() if d <= date(2022, 1, 31)]

    # 0. a good night on January's deliveries: the last good publication P1
    run_nhcs(night, dates=january)
    p1 = sha256(night.analytics)
    jan_months = _opens_with_marts(night.analytics)

    # 1. ingest killed shortly after it starts (mid-parse / mid-load)
    r = NhcsRun(night)
    r.wait_for(step_started("raw_deliveries"))
    time.sleep(1.0)
    r.kill()
    assert not r.saw(step_succeeded("raw_deliveries")), "the kill landed after ingest returned"
    _assert_last_good(night, p1)

    # 2. dbt killed mid-build: the intermediate models done, marts being built
    r = NhcsRun(night)
    r.wait_for(step_started("nhcs_dbt_models"))
    r.wait_for("model marts.")
    r.kill()
    assert not r.saw(step_succeeded("nhcs_dbt_models"))
    _assert_last_good(night, p1)

    # 3. the whole night killed while publish builds the new copy aside
    r = NhcsRun(night)
    r.wait_for(step_started("analytics_db"))
    r.wait_until(lambda: _tmp_files(night), "the copy being built aside", poll=0.002)
    r.kill()
    _assert_last_good(night, p1)

    # 4. publish alone killed at the swap (the warehouse is fully built by now)
    for point in ("built-aside", "before-swap"):
        _kill_in_publish(night, point)
        _assert_last_good(night, p1)
    _kill_in_publish(night, "after-swap")
    swapped = sha256(night.analytics)
    assert swapped != p1  # the swap is one rename: the complete new file is in place
    assert _opens_with_marts(night.analytics) > jan_months
    assert sha256(night.analytics.with_name("analytics.previous.duckdb")) == p1

    # 5. a full night, while an analyst holds the current publication open read-only
    analyst = subprocess.Popen(
        [sys.executable, "-c", ANALYST, str(night.analytics)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        before = analyst.stdout.readline().split()
        assert before and before[0] == "before", analyst.stderr.read()
        done = run_nhcs(night)  # never blocked: completes with the connection open
        analyst.stdin.write("\n")
        analyst.stdin.flush()
        out, err = analyst.communicate(timeout=60)
    finally:
        if analyst.poll() is None:
            analyst.kill()
    assert analyst.returncode == 0, err
    assert out.split() == ["after", *before[1:]]  # still reads the file it opened
    assert done.saw("Summary: succeeded")

    # the same state as the uninterrupted night, in every layer
    after = checksums(night.warehouse)
    assert after.keys() == reference_checksums.keys()
    assert [k for k in after if after[k] != reference_checksums[k]] == []
    assert checksums(night.analytics, PUBLISHED) == checksums(cli_reference.analytics, PUBLISHED)
    assert sha256(night.analytics.with_name("analytics.previous.duckdb")) == swapped
    # nothing left behind by the killed runs, and the deliveries untouched
    assert _tmp_files(night) == []
    assert not any(p.name.startswith(".") for p in night.reports.rglob("*"))
    assert {p.name for p in (night.reports / "2022-03-31").iterdir()} == {
        "briefing.html",
        "briefing.xlsx",
        "exceptions.xlsx",
    }
    assert file_digest(demo.raw) == demo.digest
