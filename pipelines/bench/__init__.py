"""`nhcs bench`: wall time, CPU time and peak memory of every stage, against measured floors.

Every stage runs as its own child process (the same `nhcs` / `dbt` commands users run), so
its peak RSS is the kernel's figure (``wait4``: the largest single process of the tree), not a
guess; beside it, the summed RSS of the whole tree (the parse workers beside the ingest parent,
Spark's JVM under dbt) is sampled twice a second. Results go
to ``data/bench/<stamp>/results.json`` and ``results.md`` and ``data/bench/latest.md``.

Floors, measured in the same run on the same files (issue 10):
- parse floor: the bare parse time of every delivered file with the fastest reader
  (``pipelines.ingest.bench.parse_floor``), against which ingest is compared;
- SQL floor: ``floor.sql``, the briefing KPIs computed by hand from ``raw.*`` in one script,
  against which the dbt build is compared.

Nightly scenarios (``nightly-*``, issue 18): the history is delivered except its last journal
day before the period end and the period end itself, the main job builds it, then three nights
are measured one after the other: the mid-month (journal) day, the month-end, and an old Mẫu 31
re-delivered as ``_r2`` (the first month-end after the opening). Run once after a single quarter
and once after a longer history (``--calibration``), their ratio says whether a night's cost
grows with the history held.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path

import psutil

from ..engines import BUILD_ARGS
from ..settings import DBT_PROJECT_DIR, PROJECT_ROOT

BIN = Path(sys.executable).parent
FLOOR_SQL = Path(__file__).with_name("floor.sql")


@dataclass(frozen=True)
class Scenario:
    name: str
    scale: float
    fmt: str
    calibration: str | None = None
    nightly: bool = False  # the three measured nights after a built history (see above)


# The five-quarter history of shared/contract/calibration.md §3 (issue 17).
HISTORY_CALIBRATION = (
    PROJECT_ROOT / "pipelines" / "generate" / "calibrations" / "hanoi-2022q1-2023q1.yaml"
)

SCENARIOS: dict[str, Scenario] = {
    "hanoi-0.1": Scenario("hanoi-0.1", 0.1, "xlsx"),
    "hanoi-1.0": Scenario("hanoi-1.0", 1.0, "xlsx"),
    # One branch scaled to national size: ~6.8 M customers is ~26.8x Hanoi's ~254 k.
    "national": Scenario("national", 26.8, "parquet"),
    # The nights after one quarter (the default calibration) and after five quarters.
    "nightly-0.1": Scenario("nightly-0.1", 0.1, "xlsx", nightly=True),
    "nightly-1.0": Scenario("nightly-1.0", 1.0, "xlsx", nightly=True),
    "nightly-history-0.1": Scenario(
        "nightly-history-0.1", 0.1, "xlsx", str(HISTORY_CALIBRATION), nightly=True
    ),
    "nightly-history-1.0": Scenario(
        "nightly-history-1.0", 1.0, "xlsx", str(HISTORY_CALIBRATION), nightly=True
    ),
}


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


def _py(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def run_scenario(
    sc: Scenario,
    work: Path,
    progress,
    engines: tuple[str, ...] = ("duckdb",),
    raw_dir: Path | None = None,
    main_only: bool = False,
    dagster_url: str | None = None,
) -> list[StageResult]:
    """``raw_dir``: existing deliveries (no generation; never written to). ``main_only``: skip
    the stage-by-stage runs and the parse floor; each `nhcs run` still gives its steps."""
    raw = Path(raw_dir) if raw_dir else work / "raw"
    wh, reports = work / "warehouse.duckdb", work / "reports"
    log = work / "bench.log"
    env = {
        "NHCS_RAW_DIR": str(raw),
        "NHCS_WAREHOUSE": str(wh),
        "NHCS_REPORTS_DIR": str(reports),
        "DAGSTER_HOME": str(work / "dagster_home"),
    }
    if dagster_url:  # Dagster's instance on PostgreSQL (pipelines/pgserver.py)
        env["NHCS_DAGSTER_PG_URL"] = dagster_url
    (work / "dagster_home").mkdir(parents=True, exist_ok=True)
    nhcs = str(BIN / "nhcs")
    results: list[StageResult] = []

    def stage(name, cmd, **kw):
        progress(f"[{sc.name}] {name} ...")
        r = measure(name, cmd, env={**env, **(kw.pop("env", None) or {})}, log=log, **kw)
        progress(
            f"[{sc.name}] {name}: {r.wall_s:.1f}s wall, {r.cpu_s:.1f}s cpu, "
            f"{r.peak_rss_mb:.0f} MB peak ({r.peak_tree_mb or 0:.0f} MB tree)"
            f"{'' if r.ok else ' FAILED ' + r.detail}"
        )
        results.append(r)
        return r

    if raw_dir is None:
        if sc.calibration and not Path(sc.calibration).exists():
            raise FileNotFoundError(f"scenario {sc.name}: calibration {sc.calibration} not found")
        gen = [nhcs, "generate", "--raw", str(raw), "--scale", str(sc.scale), "--format", sc.fmt]
        if sc.calibration:
            gen += ["--calibration", sc.calibration]
        stage("generate", gen)
    if sc.nightly:
        _nights(stage, nhcs, raw, work, env, progress)
        return results
    # The nightly run: one data date again after the full build (the last one delivered).
    last = max(p.name for p in raw.iterdir() if p.is_dir() and not p.name.startswith("_"))
    if main_only:
        _main_jobs(stage, nhcs, wh, last, engines, work)
        return results

    sql_floor = _stage_by_stage(stage, nhcs, raw, wh, work)
    _main_job(stage, nhcs, wh, work, "duckdb")
    _nightly(stage, nhcs, work, "nightly_one_day", last)
    if "spark" in engines:
        _spark_stages(stage, nhcs, wh, last, sql_floor, work)
    return results


def _run(nhcs: str, work: Path, name: str, *args: str) -> tuple[list[str], Path]:
    """``nhcs run`` with its steps written as JSON (``work/<name>.json``) for the timings."""
    out = work / f"{name}.json"
    out.unlink(missing_ok=True)
    return [nhcs, "run", *args, "--summary-json", str(out)], out


def _nightly(stage, nhcs: str, work: Path, name: str, day: str, *args: str, **kw) -> StageResult:
    """``nhcs run --date day`` as the stage ``name``, with its steps' timings."""
    cmd, steps = _run(nhcs, work, name, *args, "--date", day)
    night = stage(name, cmd, **kw)
    night.extra.update(_step_seconds(steps))
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


def _nights(stage, nhcs: str, raw: Path, work: Path, env: dict, progress) -> None:
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
    cmd, steps = _run(nhcs, work, "history_main_job")
    stage("history_main_job", cmd).extra.update(_step_seconds(steps))

    deliver(plan.mid_month_day)
    _nightly(stage, nhcs, work, "nightly_mid_month_day", plan.mid_month_day)

    deliver(plan.month_end)
    _nightly(stage, nhcs, work, "nightly_month_end", plan.month_end)

    # the same content, a higher revision: ingestion loads it and every month after depends on it
    folder = night_raw / plan.redelivered.parent.parent.name / plan.redelivered.parent.name
    r2 = folder / f"{plan.redelivered.stem}_r2{plan.redelivered.suffix}"
    shutil.copyfile(plan.redelivered, r2)
    write_manifest(folder, "manifest_r2.csv")
    day = plan.redelivered.parent.parent.name
    night = _nightly(stage, nhcs, work, "nightly_redelivered_old_file", day)
    night.extra["redelivered"] = f"{day}/{plan.redelivered.parent.name}/{r2.name}"
    progress(f"nights: {plan.mid_month_day}, {plan.month_end}, {night.extra['redelivered']}")


def _link_or_copy(src, dst):
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _main_job(stage, nhcs: str, wh: Path, work: Path, engine: str) -> StageResult:
    """The main job on existing deliveries, from an empty warehouse (ingest -> reports)."""
    spark_dir, lake = wh.with_name("spark"), wh.with_name("lake")
    for p in (wh, wh.with_name("analytics.duckdb")):
        p.unlink(missing_ok=True)
    for folder in (spark_dir, lake):
        shutil.rmtree(folder, ignore_errors=True)
    if engine == "duckdb":
        cmd, steps = _run(nhcs, work, "main_job")
        main = stage("main_job", cmd)
    elif engine == "spark-thrift":
        main, steps = _cluster_main_job(stage, nhcs, work, spark_dir, lake)
    else:
        env = {"NHCS_SPARK_DIR": str(spark_dir), "NHCS_LAKE_DIR": str(lake)}
        cmd, steps = _run(nhcs, work, f"main_job_{engine}", "--engine", engine)
        main = stage(f"main_job_{engine}", cmd, env=env)
    main.extra.update(_step_seconds(steps))
    return main


def _cluster_main_job(
    stage, nhcs: str, work: Path, spark_dir: Path, lake: Path
) -> tuple[StageResult, Path]:
    """The main job on a local Spark cluster started for it (``nhcs spark-cluster``, its state
    under the scenario's spark/ folder) and stopped afterwards. The cluster's JVMs (master,
    workers, executors, Thrift server) count in the main job's memory tree; their CPU is not
    in ``wait4``'s figure (they are not the job's children): it is read from the processes."""
    env = {"NHCS_SPARK_DIR": str(spark_dir), "NHCS_LAKE_DIR": str(lake)}
    stage("cluster_start", [nhcs, "spark-cluster", "start"], env=env)
    cluster = _bench_cluster(spark_dir)
    pids = [p.pid for p in cluster.status().processes if p.pid]
    cpu_before = _cpu_seconds(pids)
    name = "main_job_spark-thrift"
    cmd, steps = _run(nhcs, work, name, "--engine", "spark-thrift")
    try:
        main = stage(name, cmd, env=env, also=pids)
        main.extra["cluster_cpu_s"] = round(_cpu_seconds(pids) - cpu_before, 1)
    finally:
        stage("cluster_stop", [nhcs, "spark-cluster", "stop"], env=env)
    return main, steps


def _bench_cluster(spark_dir: Path):
    """The cluster ``nhcs spark-cluster`` started with this spark/ folder (to read its pids)."""
    from ..settings import load_settings
    from ..spark_cluster import ClusterConfig, LocalCluster

    settings = replace(load_settings(), spark_dir_override=spark_dir)
    return LocalCluster(ClusterConfig.from_settings(settings))


def _cpu_seconds(pids: list[int]) -> float:
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


def _main_jobs(stage, nhcs: str, wh: Path, last: str, engines, work: Path) -> None:
    """``--main-only``: each engine's main job, the SQL floor on the warehouse it ingested, and
    DuckDB's nightly run. (Spark's nightly run rebuilds every table model: at national size it
    is another full build, so it is left to the full scenario.)"""
    sql_floor = None
    for engine in engines:
        main = _main_job(stage, nhcs, wh, work, engine)
        if sql_floor is None:
            sql_floor = stage("sql_floor", _sql_floor(wh))
        dbt_s = main.extra.get("step_nhcs_dbt_models_s")
        if dbt_s and sql_floor.ok and sql_floor.wall_s:
            main.extra["dbt_step_vs_sql_floor"] = round(dbt_s / sql_floor.wall_s, 1)
        if engine == "duckdb":
            _nightly(stage, nhcs, work, "nightly_one_day", last)


def _stage_by_stage(stage, nhcs: str, raw: Path, wh: Path, work: Path) -> StageResult:
    """Each stage as its own process against its floor; returns the SQL floor's result."""
    floor = stage(
        "parse_floor",
        _py(
            "import json,sys; from pathlib import Path; from pipelines.ingest.bench import parse_floor;"
            f"json.dump(parse_floor(Path({str(raw)!r})), open({str(work / 'parse_floor.json')!r},'w'),"
            "default=str)"
        ),
    )
    ingest = stage("ingest", [nhcs, "ingest", "--raw", str(raw), "--warehouse", str(wh)])
    ingest.floor, ingest.ratio_to_floor = "parse_floor", _ratio(ingest, floor)
    rows = _raw_rows(wh)
    if rows and ingest.wall_s:
        ingest.extra["rows"] = rows
        ingest.extra["rows_per_s"] = round(rows / ingest.wall_s)

    dbt = stage("dbt_build", _dbt_build(), cwd=DBT_PROJECT_DIR)
    sql_floor = stage("sql_floor", _sql_floor(wh))
    dbt.floor, dbt.ratio_to_floor = "sql_floor", _ratio(dbt, sql_floor)
    for name in ("check", "report", "publish"):
        stage(name, [nhcs, name])

    return sql_floor


def _dbt_build(*extra: str) -> list[str]:
    """The production dbt build (pipelines.engines.BUILD_ARGS) as its own process."""
    dirs = ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    return [str(BIN / "dbt"), *BUILD_ARGS, *extra, *dirs, "--quiet"]


def _sql_floor(wh: Path) -> list[str]:
    return _py(f"from pipelines.bench import run_sql_floor; run_sql_floor({str(wh)!r})")


def _step_seconds(steps: Path) -> dict[str, float]:
    """Each step's duration inside one ``nhcs run`` (its ``--summary-json`` file)."""
    if not steps.exists():  # the run failed before writing it
        return {}
    data = json.loads(steps.read_text(encoding="utf-8"))
    return {f"step_{key}_s": round(s["seconds"], 1) for key, s in data["steps"].items()}


def _spark_stages(stage, nhcs: str, wh: Path, last: str, sql_floor: StageResult, work) -> None:
    """The same dbt project on local Spark (docs/scale-out.md), on the warehouse built above."""
    spark_dir, lake = wh.with_name("spark"), wh.with_name("lake")
    env = {"NHCS_SPARK_DIR": str(spark_dir), "NHCS_LAKE_DIR": str(lake)}
    stage("lake_sync", [nhcs, "ingest", "--lake"], env=env)
    dbt = stage("dbt_build_spark", _dbt_build("--target", "spark"), cwd=DBT_PROJECT_DIR, env=env)
    dbt.floor, dbt.ratio_to_floor = "sql_floor", _ratio(dbt, sql_floor)
    _main_job(stage, nhcs, wh, work, "spark")
    _nightly(stage, nhcs, work, "nightly_one_day_spark", last, "--engine", "spark", env=env)


def run_sql_floor(warehouse: str) -> list[tuple]:
    """Run floor.sql read-only against a warehouse; returns the KPI rows."""
    import duckdb

    statements = [x for x in FLOOR_SQL.read_text(encoding="utf-8").split(";") if x.strip()]
    with duckdb.connect(warehouse, read_only=True) as con:
        for statement in statements[:-1]:
            con.execute(statement)
        return con.execute(statements[-1]).fetchall()


def _ratio(stage: StageResult, floor: StageResult) -> float | None:
    if not (stage.ok and floor.ok and floor.wall_s > 0):
        return None
    return round(stage.wall_s / floor.wall_s, 2)


def _raw_rows(wh: Path) -> int | None:
    import duckdb

    try:
        with duckdb.connect(str(wh), read_only=True) as c:
            tables = c.execute(
                "select table_name from information_schema.tables where table_schema='raw' "
                "and table_name not like '\\_%' escape '\\'"
            ).fetchall()
            return sum(
                c.execute(f'select count(*) from raw."{t}"').fetchone()[0] for (t,) in tables
            )
    except duckdb.Error:
        return None


def machine() -> dict:
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def run_bench(
    names: list[str],
    out_root: Path,
    keep: bool = False,
    progress=print,
    engines: tuple[str, ...] = ("duckdb",),
    raw_dir: Path | None = None,
    main_only: bool = False,
    calibration: Path | None = None,
    dagster_storage: str = "sqlite",
) -> Path:
    """``calibration``: generate every scenario from this file instead of its own.
    ``dagster_storage``: ``postgres`` runs a local PostgreSQL server (pipelines/pgserver.py)
    for Dagster's instance during the runs, instead of the default SQLite files."""
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
    out = out_root / stamp
    out.mkdir(parents=True, exist_ok=True)
    report = {
        "machine": machine(),
        "started": stamp,
        "engines": list(engines),
        "raw_dir": str(raw_dir) if raw_dir else None,
        "dagster_storage": dagster_storage,
        "scenarios": {},
    }
    pg = None
    if dagster_storage == "postgres":
        from .. import pgserver

        # under /tmp: the server runs as the `postgres` user when root starts it
        pg = pgserver.server(Path(tempfile.mkdtemp(prefix="nhcs-bench-pg-")) / "data")
        pg.data_dir.parent.chmod(0o755)
        pgserver.start(pg)
        progress(f"Dagster's instance on PostgreSQL: {pg.url}")
    try:
        _run_scenarios(names, out, report, keep, progress, engines, raw_dir, main_only,
                       calibration, pg.url if pg else None)  # fmt: skip
    finally:
        if pg is not None:
            pgserver.stop(pg)
            shutil.rmtree(pg.data_dir.parent, ignore_errors=True)
    md = to_markdown(report)
    (out / "results.md").write_text(md, encoding="utf-8")
    (out_root / "latest.md").write_text(md, encoding="utf-8")
    return out


def _run_scenarios(
    names, out, report, keep, progress, engines, raw_dir, main_only, calibration, dagster_url
) -> None:
    for name in names:
        sc = SCENARIOS[name]
        if calibration is not None:
            sc = Scenario(sc.name, sc.scale, sc.fmt, str(calibration), sc.nightly)
        work = out / name
        work.mkdir(parents=True, exist_ok=True)
        results = run_scenario(sc, work, progress, engines, raw_dir, main_only, dagster_url)
        report["scenarios"][name] = {"scenario": asdict(sc), "stages": [asdict(r) for r in results]}
        (out / "results.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
        if not keep:
            for sub in ("raw", "nightly_raw", "dagster_home", "spark", "lake"):
                shutil.rmtree(work / sub, ignore_errors=True)


def to_markdown(report: dict) -> str:
    m = report["machine"]
    lines = [
        f"# Benchmark {report['started']}",
        "",
        f"Machine: {m['cores']} cores, {m['memory_gib']} GiB, Python {m['python']}. "
        f"Dagster storage: {report.get('dagster_storage', 'sqlite')}.",
        "",
    ]
    for name, sc in report["scenarios"].items():
        lines += [
            f"## {name} (scale {sc['scenario']['scale']}, {sc['scenario']['fmt']})",
            "",
            "| stage | wall s | cpu s | peak MB | tree MB | vs floor | notes |",
            "|---|---:|---:|---:|---:|---:|---|",
        ]
        for s in sc["stages"]:
            ratio = f"{s['ratio_to_floor']}x {s['floor']}" if s["ratio_to_floor"] else ""
            notes = ", ".join(f"{k}={v}" for k, v in s["extra"].items())
            if not s["ok"]:
                notes = f"FAILED {s['detail']} {notes}"
            lines.append(
                f"| {s['stage']} | {s['wall_s']} | {s['cpu_s']} | {s['peak_rss_mb']} "
                f"| {s.get('peak_tree_mb') or ''} | {ratio} | {notes} |"
            )
        lines.append("")
    lines += _history_ratios(report)
    return "\n".join(lines)


NIGHTS = ("nightly_mid_month_day", "nightly_month_end", "nightly_redelivered_old_file")


def _history_ratios(report: dict) -> list[str]:
    """Each night after the longer history against the same night after one quarter, when both
    scenarios of a scale ran (nightly-S and nightly-history-S)."""
    lines = []
    for name, sc in report["scenarios"].items():
        other = name.replace("nightly-history-", "nightly-")
        if not name.startswith("nightly-history-") or other not in report["scenarios"]:
            continue
        short = {s["stage"]: s for s in report["scenarios"][other]["stages"]}
        lines += [
            f"## {name} against {other}",
            "",
            "| night | one quarter s | history s | ratio |",
            "|---|---:|---:|---:|",
        ]
        for s in sc["stages"]:
            base = short.get(s["stage"])
            if s["stage"] in NIGHTS and base and s["ok"] and base["ok"] and base["wall_s"]:
                ratio = round(s["wall_s"] / base["wall_s"], 2)
                lines.append(f"| {s['stage']} | {base['wall_s']} | {s['wall_s']} | {ratio} |")
        lines.append("")
    return lines


__all__ = ["SCENARIOS", "run_bench", "measure", "PROJECT_ROOT"]
