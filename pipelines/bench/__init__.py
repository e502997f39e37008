"""`nhcs bench`: wall time, CPU time and peak memory of every stage, against measured floors.

Every stage runs as its own child process (the same `nhcs` / `dbt` commands users run),
measured by ``stage.measure``: the kernel's peak RSS, not a guess, and the summed RSS of the
whole process tree. Results go to ``data/bench/<stamp>/results.json`` and ``results.md``
(``markdown``) and ``data/bench/latest.md``. This module holds the scenarios and the order in
which each runs its stages.

Floors, measured in the same run on the same files (issue 10):
- parse floor: the bare parse time of every delivered file with the fastest reader
  (``pipelines.ingest.bench.parse_floor``), against which ingest is compared;
- SQL floor: ``floor.sql``, the briefing KPIs computed by hand from ``raw.*`` in one script,
  against which the dbt build is compared.

Nightly scenarios (``nightly-*``, issue 18; ``nights``): three nights measured after a built
history. Run once after a single quarter and once after a longer history (``--calibration``),
their ratio says whether a night's cost grows with the history held.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
import tempfile
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path

import psutil

from ..engines import BUILD_ARGS
from ..settings import DBT_PROJECT_DIR, PROJECT_ROOT
from .markdown import to_markdown
from .nights import nightly, run_nights
from .stage import StageResult, cpu_seconds, measure, nhcs_run, step_seconds

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
        run_nights(stage, nhcs, raw, work, env, progress)
        return results
    # The nightly run: one data date again after the full build (the last one delivered).
    last = max(p.name for p in raw.iterdir() if p.is_dir() and not p.name.startswith("_"))
    if main_only:
        _main_jobs(stage, nhcs, wh, last, engines, work)
        return results

    sql_floor = _stage_by_stage(stage, nhcs, raw, wh, work)
    _main_job(stage, nhcs, wh, work, "duckdb")
    nightly(stage, nhcs, work, "nightly_one_day", last)
    if "spark" in engines:
        _spark_stages(stage, nhcs, wh, last, sql_floor, work)
    return results


def _main_job(stage, nhcs: str, wh: Path, work: Path, engine: str) -> StageResult:
    """The main job on existing deliveries, from an empty warehouse (ingest -> reports)."""
    spark_dir, lake = wh.with_name("spark"), wh.with_name("lake")
    for p in (wh, wh.with_name("analytics.duckdb")):
        p.unlink(missing_ok=True)
    for folder in (spark_dir, lake):
        shutil.rmtree(folder, ignore_errors=True)
    if engine == "duckdb":
        cmd, steps = nhcs_run(nhcs, work, "main_job")
        main = stage("main_job", cmd)
    elif engine == "spark-thrift":
        main, steps = _cluster_main_job(stage, nhcs, work, spark_dir, lake)
    else:
        env = {"NHCS_SPARK_DIR": str(spark_dir), "NHCS_LAKE_DIR": str(lake)}
        cmd, steps = nhcs_run(nhcs, work, f"main_job_{engine}", "--engine", engine)
        main = stage(f"main_job_{engine}", cmd, env=env)
    main.extra.update(step_seconds(steps))
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
    cpu_before = cpu_seconds(pids)
    name = "main_job_spark-thrift"
    cmd, steps = nhcs_run(nhcs, work, name, "--engine", "spark-thrift")
    try:
        main = stage(name, cmd, env=env, also=pids)
        main.extra["cluster_cpu_s"] = round(cpu_seconds(pids) - cpu_before, 1)
    finally:
        stage("cluster_stop", [nhcs, "spark-cluster", "stop"], env=env)
    return main, steps


def _bench_cluster(spark_dir: Path):
    """The cluster ``nhcs spark-cluster`` started with this spark/ folder (to read its pids)."""
    from ..settings import load_settings
    from ..spark_cluster import ClusterConfig, LocalCluster

    settings = replace(load_settings(), spark_dir_override=spark_dir)
    return LocalCluster(ClusterConfig.from_settings(settings))


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
            nightly(stage, nhcs, work, "nightly_one_day", last)


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


def _spark_stages(stage, nhcs: str, wh: Path, last: str, sql_floor: StageResult, work) -> None:
    """The same dbt project on local Spark (docs/scale-out.md), on the warehouse built above."""
    spark_dir, lake = wh.with_name("spark"), wh.with_name("lake")
    env = {"NHCS_SPARK_DIR": str(spark_dir), "NHCS_LAKE_DIR": str(lake)}
    stage("lake_sync", [nhcs, "ingest", "--lake"], env=env)
    dbt = stage("dbt_build_spark", _dbt_build("--target", "spark"), cwd=DBT_PROJECT_DIR, env=env)
    dbt.floor, dbt.ratio_to_floor = "sql_floor", _ratio(dbt, sql_floor)
    _main_job(stage, nhcs, wh, work, "spark")
    nightly(stage, nhcs, work, "nightly_one_day_spark", last, "--engine", "spark", env=env)


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


__all__ = ["SCENARIOS", "run_bench", "PROJECT_ROOT"]
