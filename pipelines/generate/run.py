"""The generator's entry point: build the scenario in a process of its own, write the offices
in a pool of workers, then the organizations' reports and ``_truth.json``."""

from __future__ import annotations

import json
import multiprocessing as mp
import pickle
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from pipelines.progress import Tick

from .calibration import History
from .calibration_file import load_history
from .faults import FAULTS, plan_faults
from .history import build_history
from .hoi import hoi_reports
from .journal import txn_bases
from .model import build
from .office_files import write_office
from .offices import OFFICE_CODES, OfficeSplit
from .truth import truth_file

CALIBRATIONS = Path(__file__).with_name("calibrations")
DEFAULT_CALIBRATION = CALIBRATIONS / "hanoi-2022q1.yaml"
# The five-quarter example of calibration.md section 3 (Q1 2022 to Q1 2023).
HISTORY_EXAMPLE = CALIBRATIONS / "hanoi-2022q1-2023q1.yaml"
FORMATS = ("xlsx", "csv", "parquet")


def generate(
    raw_dir: Path,
    calibration: Path | None = None,
    *,
    scale: float | None = None,
    seed: int | None = None,
    fmt: str = "xlsx",
    inject: Sequence[str] = (),
    progress: Callable[[str], None] | None = None,
    workers: int = 2,
) -> dict:
    """Write the scenario's deliveries under raw_dir; return a summary dict."""
    t0 = time.perf_counter()
    say = progress or (lambda _m: None)
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {FORMATS}, got {fmt!r}")
    unknown = [f for f in inject if f not in FAULTS]
    if unknown:
        raise ValueError(f"unknown fault(s) {unknown}; known: {sorted(FAULTS)}")
    base = load_history(calibration or DEFAULT_CALIBRATION)
    hist = base.scaled(scale if scale is not None else base.scale)
    cal = hist.last
    seed_ = base.seed if seed is None else seed
    raw_dir = Path(raw_dir)
    raw_dir.mkdir(parents=True, exist_ok=True)

    say(f"building scenario (scale {cal.scale}, seed {seed_})")
    # The build is the run's memory peak (branch-wide arrays): with a pool it runs in a
    # process of its own, which returns every byte to the system when it ends, before the
    # writers start. It leaves one scratch file per office (its slice of the scenario).
    scratch = tempfile.TemporaryDirectory(prefix="nhcs-generate-")
    args = (hist, seed_, list(dict.fromkeys(inject)), Path(scratch.name))
    if workers > 1:
        with ProcessPoolExecutor(1, mp_context=mp.get_context("spawn")) as ex:
            prep = ex.submit(prepare, *args).result()
    else:
        prep = prepare(*args)
    structure = prep["structure"]
    say(f"scenario built: {structure['loans']} loans ({time.perf_counter() - t0:.1f}s)")

    def package(office: str) -> dict:
        return {
            "office": office,
            "fmt": fmt,
            "seed": seed_,
            "raw": raw_dir,
            "plan": prep["plan"],
            "slice": prep["slices"][office],
            "txn_base": prep["bases"][office],
        }

    # Biggest offices first, so that the last ones to finish are short.
    offices = sorted(OFFICE_CODES, key=lambda o: -prep["sizes"][o])
    say(f"writing {len(offices)} offices with {workers} worker(s)")
    results = _write_offices([package(o) for o in offices], workers, say)
    scratch.cleanup()
    hoi = hoi_reports(hist, prep["dates"], results, raw_dir, seed_, fmt)
    truth = truth_file(hist, seed_, fmt, prep["dates"], results, hoi, structure, prep["derived"])
    (raw_dir / "_truth.json").write_text(
        json.dumps(truth, ensure_ascii=False, indent=1, sort_keys=True, default=str) + "\n",
        encoding="utf-8",
    )
    results += hoi
    folders = sorted({f for r in results for f in r["folders"]})
    summary = {
        "raw_dir": str(raw_dir),
        "folders": len(folders),
        "files": sum(r["files"] for r in results),
        "rows": sum(r["rows"] for r in results),
        "seconds": round(time.perf_counter() - t0, 2),
        "scale": cal.scale,
        "seed": seed_,
        "format": fmt,
        "faults": [f["fault"] for f in truth["faults"]],
    }
    say(f"done: {summary['files']} files in {summary['folders']} folders, {summary['seconds']}s")
    return summary


def prepare(hist: History, seed: int, inject: list[str], scratch: Path) -> dict:
    """Build the scenario, place the faults, number the journal, and write every office's
    slice of the scenario to ``scratch``; return what the writers and the truth need."""
    sc = build(hist.first, seed) if len(hist.periods) == 1 else build_history(hist, seed)
    # Office by office from here: every report of an office depends on its own slice of the
    # scenario only (offices.py), so no branch-wide frame is built and a worker holds one
    # office at a time; memory follows the largest office, not the branch.
    split = OfficeSplit(sc)
    bases = txn_bases(split)
    plan = plan_faults(split, bases, inject, seed)
    slices = {}
    for o in OFFICE_CODES:
        slices[o] = scratch / f"{o}.pickle"
        with open(slices[o], "wb") as fh:
            pickle.dump(split.scenario(o), fh, protocol=pickle.HIGHEST_PROTOCOL)
    return {
        "plan": plan,
        "bases": bases,
        "slices": slices,
        "dates": sc.dates,
        "derived": sc.notes.pop("derived", {}),
        "sizes": {o: split.n_loans(o) for o in OFFICE_CODES},
        "structure": sc.notes
        | {
            "communes": len(sc.communes["code"]),
            "groups": len(sc.groups["code"]),
            "customers": len(sc.customers["kind"]),
            "loans": len(sc.loans["customer"]),
        },
    }


def _written(res: dict, done: int, total: int) -> Tick:
    """An office written, as a step of the generation's progress bar."""
    return Tick(
        f"office {res['office']} written ({res['files']} files)",
        task="generate",
        done=done,
        total=total,
    )


def _write_offices(packages: list[dict], workers: int, say: Callable[[str], None]) -> list[dict]:
    """``write_office`` of every package, in a pool of ``workers`` spawned processes (or in
    this one)."""
    results: list[dict] = []
    if workers <= 1:
        for package in packages:
            results.append(write_office(package))
            say(_written(results[-1], len(results), len(packages)))
        return results
    # Spawned, not forked: polars' thread pool does not survive fork. At most
    # ``workers + 1`` packages are submitted at once, which bounds the memory.
    ctx = mp.get_context("spawn")
    pool = ctx.Pool(workers)
    try:
        pending = []
        queue = list(packages)
        while queue or pending:
            while queue and len(pending) <= workers:
                pending.append(pool.apply_async(write_office, (queue.pop(0),)))
            done = next((p for p in pending if p.ready()), None)
            if done is None:
                pending[0].wait(0.05)
                continue
            pending.remove(done)
            res = done.get()
            results.append(res)
            say(_written(res, len(results), len(packages)))
    except BaseException:
        pool.terminate()
        raise
    # A graceful shutdown, not Pool.__exit__'s terminate(): terminate() signals SIGTERM
    # and then joins, which hangs forever where SIGTERM is ignored (a parent that set
    # SIG_IGN passes it on to its children; seen under pytest-xdist).
    pool.close()
    pool.join()
    return results
