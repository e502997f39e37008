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
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
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


SCENARIOS: dict[str, Scenario] = {
    "hanoi-0.1": Scenario("hanoi-0.1", 0.1, "xlsx"),
    "hanoi-1.0": Scenario("hanoi-1.0", 1.0, "xlsx"),
    # One branch scaled to national size: ~6.8 M customers is ~26.8x Hanoi's ~254 k.
    "national": Scenario("national", 26.8, "parquet"),
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

    def __init__(self, pid: int, interval: float = 0.5):
        self.pid, self.interval, self.peak = pid, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _sample(self) -> int:
        try:
            root = psutil.Process(self.pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.Error:
            return 0
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
) -> StageResult:
    """Run ``cmd`` as a child process; wall, CPU (user+sys, children included), peak RSS."""
    started = time.monotonic()
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115
    try:
        proc = subprocess.Popen(
            cmd, env={**os.environ, **(env or {})}, cwd=cwd, stdout=out, stderr=subprocess.STDOUT
        )
        tree = TreeMemory(proc.pid)
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
        gen = [nhcs, "generate", "--raw", str(raw), "--scale", str(sc.scale), "--format", sc.fmt]
        if sc.calibration:
            gen += ["--calibration", sc.calibration]
        stage("generate", gen)
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


def _nightly(stage, nhcs: str, work: Path, name: str, last: str, *args: str, **kw) -> None:
    cmd, steps = _run(nhcs, work, name, *args, "--date", last)
    stage(name, cmd, **kw).extra.update(_step_seconds(steps))


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
    else:
        env = {"NHCS_SPARK_DIR": str(spark_dir), "NHCS_LAKE_DIR": str(lake)}
        cmd, steps = _run(nhcs, work, f"main_job_{engine}", "--engine", engine)
        main = stage(f"main_job_{engine}", cmd, env=env)
    main.extra.update(_step_seconds(steps))
    return main


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
) -> Path:
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
    out = out_root / stamp
    out.mkdir(parents=True, exist_ok=True)
    report = {
        "machine": machine(),
        "started": stamp,
        "engines": list(engines),
        "raw_dir": str(raw_dir) if raw_dir else None,
        "scenarios": {},
    }
    for name in names:
        sc = SCENARIOS[name]
        work = out / name
        work.mkdir(parents=True, exist_ok=True)
        results = run_scenario(sc, work, progress, engines, raw_dir, main_only)
        report["scenarios"][name] = {"scenario": asdict(sc), "stages": [asdict(r) for r in results]}
        (out / "results.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
        if not keep:
            for sub in ("raw", "dagster_home", "spark", "lake"):
                shutil.rmtree(work / sub, ignore_errors=True)
    md = to_markdown(report)
    (out / "results.md").write_text(md, encoding="utf-8")
    (out_root / "latest.md").write_text(md, encoding="utf-8")
    return out


def to_markdown(report: dict) -> str:
    m = report["machine"]
    lines = [
        f"# Benchmark {report['started']}",
        "",
        f"Machine: {m['cores']} cores, {m['memory_gib']} GiB, Python {m['python']}.",
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
    return "\n".join(lines)


__all__ = ["SCENARIOS", "run_bench", "measure", "PROJECT_ROOT"]
