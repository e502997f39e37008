"""The nights a nightly scenario measures after a built history (``nhcs run --date``).

The history is delivered except its last journal day before the period end and the period end
itself, the main job builds it, then three nights are measured one after the other: the
mid-month (journal) day, the month-end, and an old Mẫu 31 re-delivered as ``_r2`` (the first
month-end after the opening).
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from .stage import StageResult, nhcs_run, step_seconds


def nightly(stage, nhcs: str, work: Path, name: str, day: str, *args: str, **kw) -> StageResult:
    """``nhcs run --date day`` as the stage ``name``, with its steps' timings."""
    cmd, steps = nhcs_run(nhcs, work, name, *args, "--date", day)
    night = stage(name, cmd, **kw)
    night.extra.update(step_seconds(steps))
    return night


@dataclass(frozen=True)
class NightPlan:
    """The dates a nightly scenario holds back and re-delivers (see the module docstring)."""

    mid_month_day: str
    month_end: str
    redelivered: Path  # the old Mẫu 31 file delivered again as _r2


def plan_nights(raw: Path) -> NightPlan:
    """From a delivery folder: the last journal day before the last month-end, that month-end,
    and a Mẫu 31 of the first month-end after the opening (an old file)."""
    import datetime as dt

    dates = sorted(p.name for p in raw.iterdir() if p.is_dir() and p.name[:1].isdigit())

    def month_end(day: str) -> bool:
        d = dt.date.fromisoformat(day)
        return (d + dt.timedelta(days=1)).day == 1

    ends = [d for d in dates if month_end(d)]
    if len(ends) < 3:
        raise ValueError(f"{raw}: a nightly scenario needs at least three month-ends")
    last = ends[-1]
    days = [d for d in dates if d < last and not month_end(d)]
    if not days:
        raise ValueError(f"{raw}: no journal day before {last}")
    old = raw / ends[1]
    m31 = sorted(p for p in old.glob("*/M31_*") if not re.search(r"_r\d+$", p.stem))
    if not m31:
        raise ValueError(f"{old}: no Mẫu 31 file to re-deliver")
    return NightPlan(days[-1], last, m31[0])


def run_nights(stage, nhcs: str, raw: Path, work: Path, env: dict, progress) -> None:
    """Build the history less its last two dates, then measure three nights (module docstring).
    The deliveries are hard-linked (or copied) into ``work/nightly_raw``: ``raw`` is never
    written to."""
    from ..generate.writers import write_manifest

    plan = plan_nights(raw)
    held = {plan.mid_month_day, plan.month_end}
    night_raw = work / "nightly_raw"
    shutil.rmtree(night_raw, ignore_errors=True)
    night_raw.mkdir(parents=True)

    def deliver(day: str) -> None:
        shutil.copytree(raw / day, night_raw / day, copy_function=_link_or_copy)

    for folder in sorted(raw.iterdir()):
        if folder.is_dir() and folder.name not in held:
            deliver(folder.name)
    env["NHCS_RAW_DIR"] = str(night_raw)
    wh = Path(env["NHCS_WAREHOUSE"])
    for p in (wh, wh.with_name("analytics.duckdb")):
        p.unlink(missing_ok=True)
    cmd, steps = nhcs_run(nhcs, work, "history_main_job")
    stage("history_main_job", cmd).extra.update(step_seconds(steps))

    deliver(plan.mid_month_day)
    nightly(stage, nhcs, work, "nightly_mid_month_day", plan.mid_month_day)

    deliver(plan.month_end)
    nightly(stage, nhcs, work, "nightly_month_end", plan.month_end)

    # the same content, a higher revision: ingestion loads it and every month after depends on it
    folder = night_raw / plan.redelivered.parent.parent.name / plan.redelivered.parent.name
    r2 = folder / f"{plan.redelivered.stem}_r2{plan.redelivered.suffix}"
    shutil.copyfile(plan.redelivered, r2)
    write_manifest(folder, "manifest_r2.csv")
    day = plan.redelivered.parent.parent.name
    night = nightly(stage, nhcs, work, "nightly_redelivered_old_file", day)
    night.extra["redelivered"] = f"{day}/{plan.redelivered.parent.name}/{r2.name}"
    progress(f"nights: {plan.mid_month_day}, {plan.month_end}, {night.extra['redelivered']}")


def _link_or_copy(src, dst):
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)
