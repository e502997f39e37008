"""Orchestration: build the scenario, write every delivery folder, the faults and the truth."""

from __future__ import annotations

import ctypes
import datetime as dt
import gc
import json
import multiprocessing as mp
import pickle
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.contract.codes import (
    BRANCH_OFFICE,
    DISTRICT_OFFICES,
    ENTRUSTED_ORGS,
    HOI_UNIT,
    ORG_BY_CODE,
    RECON_DIFFERENCE,
    UNIT_BY_CODE,
)
from pipelines.contract.naming import file_name, manifest_name
from pipelines.contract.reports import (
    BC0437,
    BCDHTD_011,
    BCDHTD_012,
    DOICHIEU,
    FORM_HEADERS,
    FORM_TITLE,
    HOI,
    M31,
    SKGD,
    ReportSpec,
)

from . import writers as w
from .calibration import History, load_history
from .frames import Frames
from .history import build_history
from .model import Scenario, build
from .offices import OFFICE_CODES, OfficeSplit
from .truth import (
    LENDING,
    ORG_SUMS,
    campaign_of,
    compute_truth,
    history_truth,
    targets,
    truth_finish,
    truth_partial,
)

CALIBRATIONS = Path(__file__).with_name("calibrations")
DEFAULT_CALIBRATION = CALIBRATIONS / "hanoi-2022q1.yaml"
# The five-quarter example of calibration.md section 3 (Q1 2022 to Q1 2023).
HISTORY_EXAMPLE = CALIBRATIONS / "hanoi-2022q1-2023q1.yaml"
FORMATS = ("xlsx", "csv", "parquet")

FAULTS: dict[str, str] = {
    "control-total-mismatch": "one (5) cell of a BCDHTD_01.1 form is off by a known amount",
    "rollforward-break": "one journal (SKGD) line is dropped, so M31 no longer rolls forward",
    "group-register-mismatch": "one BC0437 group's Tổng dư nợ differs from its members' M31",
    "reconciliation-discrepancy": "one DOICHIEU row is 'Chênh lệch' with confirmed != bank",
    "redelivery": "a wrong first M31 delivery, superseded by an _r2 file and manifest_r2.csv",
    "corrupt-file": "a file whose bytes and SHA-256 no longer match its manifest line",
}

JOURNAL_TYPES = ("GN", "DK", "TNTH", "TNQH", "TNKH", "TL", "CQH", "KHN", "XN")
FLOW_OF_TYPE = {
    "TNTH": "th",
    "TNQH": "qh",
    "TNKH": "kh",
    "TL": "tl",
    "CQH": "cqh",
    "KHN": "khn",
    "XN": "wo",
}
MEMO = {
    "GN": "Giải ngân khế ước",
    "DK": "Đảo khoản giải ngân sai số tiền",
    "TNTH": "Thu nợ gốc trong hạn",
    "TNQH": "Thu nợ gốc quá hạn",
    "TNKH": "Thu nợ khoanh",
    "TL": "Thu lãi tháng",
    "CQH": "Chuyển nợ quá hạn",
    "KHN": "Chuyển nợ khoanh",
    "XN": "Xóa nợ theo quyết định",
}
FORM_GROUPS = (
    ("Doanh số cho vay", 2, 3),
    ("Doanh số thu nợ", 4, 5),
    ("Xóa nợ", 6, 7),
    ("Dư nợ", 8, 14),
    ("Khách hàng", 15, 16),
)
TEXT_AMOUNT_COLS = (
    "loan_amount",
    "outstanding",
    "savings_balance",
    "scope_outstanding",
    "bank_outstanding",
    "confirmed_outstanding",
)
NUMERIC_CODE_COLS = ("pgd_code", "program_code", "org_code")


# ---------------------------------------------------------------------------------------------
# public entry point
# ---------------------------------------------------------------------------------------------
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
            prep = ex.submit(_prepare, *args).result()
    else:
        prep = _prepare(*args)
    plan, bases, slices, dates = prep["plan"], prep["bases"], prep["slices"], prep["dates"]
    sizes, structure, derived = prep["sizes"], prep["structure"], prep["derived"]
    offices = sorted(OFFICE_CODES, key=lambda o: -sizes[o])
    say(f"scenario built: {structure['loans']} loans ({time.perf_counter() - t0:.1f}s)")

    def package(office: str) -> dict:
        return {
            "office": office,
            "fmt": fmt,
            "seed": seed_,
            "raw": raw_dir,
            "plan": plan,
            "slice": slices[office],
            "txn_base": bases[office],
        }

    results: list[dict] = []
    say(f"writing {len(offices)} offices with {workers} worker(s)")
    if workers > 1:
        # Spawned, not forked: polars' thread pool does not survive fork. At most
        # ``workers + 1`` packages are alive at once, which bounds the memory.
        ctx = mp.get_context("spawn")
        pool = ctx.Pool(workers)
        try:
            pending = []
            queue = list(offices)
            while queue or pending:
                while queue and len(pending) <= workers:
                    pending.append(pool.apply_async(_write_office, (package(queue.pop(0)),)))
                done = next((p for p in pending if p.ready()), None)
                if done is None:
                    pending[0].wait(0.05)
                    continue
                pending.remove(done)
                res = done.get()
                results.append(res)
                say(f"office {res['office']} written ({res['files']} files)")
        except BaseException:
            pool.terminate()
            raise
        # A graceful shutdown, not Pool.__exit__'s terminate(): terminate() signals SIGTERM
        # and then joins, which hangs forever where SIGTERM is ignored (a parent that set
        # SIG_IGN passes it on to its children; seen under pytest-xdist).
        pool.close()
        pool.join()
    else:
        for o in offices:
            results.append(_write_office(package(o)))
    scratch.cleanup()
    snaps_truth = {
        k: truth_finish(campaign_of(dates, k), k, [r["truth"][k] for r in results])
        for k in range(len(dates))
    }
    hoi = []
    for p, (_a, k) in enumerate(hist.bounds, start=1):
        bank = pl.concat([r["hoi"][k] for r in results if k in r["hoi"]]).sort(
            "org_code", "pgd_code"
        )
        # The first period's draws are a single-period file's, whatever follows it.
        rng = np.random.default_rng([seed_, 0x401] if p == 1 else [seed_, 0x401, p])
        hoi.append(_write_hoi(dates[k], bank, raw_dir, seed_, fmt, rng))
    results += hoi

    faults_out = []
    for r in sorted(results, key=lambda r: r["office"]):
        faults_out += r.get("faults", [])
    truth = compute_truth(dates, snaps_truth)
    if len(hist.periods) == 1:
        differences = hoi[0]["differences"]
    else:  # every period's reports, each difference with its date
        differences = [
            {"as_of": str(dates[k]), **x}
            for (_a, k), h in zip(hist.bounds, hoi, strict=True)
            for x in h["differences"]
        ]
    truth.update(
        {
            "scenario": {
                "branch": cal.branch,
                "calibration": str(cal.source),
                "scale": cal.scale,
                "seed": seed_,
                "format": fmt,
                "period": [str(hist.first.period_start), str(cal.period_end)],
                "opening_date": str(hist.opening_date),
            },
            "targets": targets(cal),
            "hoi_differences": differences,
            "faults": sorted(faults_out, key=lambda f: f["fault"]),
            "structure": structure,
        }
    )
    if len(hist.periods) > 1:
        truth.update(history_truth(hist, dates, snaps_truth, derived))
    (raw_dir / "_truth.json").write_text(
        json.dumps(truth, ensure_ascii=False, indent=1, sort_keys=True, default=str) + "\n",
        encoding="utf-8",
    )
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


def _prepare(hist: History, seed: int, inject: list[str], scratch: Path) -> dict:
    """Build the scenario, place the faults, number the journal, and write every office's
    slice of the scenario to ``scratch``; return what the writers and the truth need."""
    sc = build(hist.first, seed) if len(hist.periods) == 1 else build_history(hist, seed)
    # Office by office from here: every report of an office depends on its own slice of the
    # scenario only (offices.py), so no branch-wide frame is built and a worker holds one
    # office at a time; memory follows the largest office, not the branch.
    split = OfficeSplit(sc)
    bases = split.txn_bases()
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


# ---------------------------------------------------------------------------------------------
# journal
# ---------------------------------------------------------------------------------------------
def build_journal(fr: Frames, base: dict[dt.date, int] | None = None) -> pl.DataFrame:
    """Every journal line of the scenario (one frame), in delivery order, with txn ids.

    ``base``: for an office slice, the branch-wide sequence number before the office's first
    line of each day (``OfficeSplit.txn_bases``); without it the lines are numbered 1, 2, ...
    """
    sc = fr.sc
    parts = []
    for m in range(1, sc.n_snap):
        disb = sc.flows["disb"][:, m]
        wrong = sc.gn_wrong[:, m]
        idx = np.flatnonzero(wrong > 0)
        for typ, amt, seq in (("GN", wrong[idx], 0), ("DK", wrong[idx], 1)):
            parts.append((idx, m, typ, amt, seq))
        idx = np.flatnonzero(disb - wrong > 0)
        parts.append((idx, m, "GN", (disb - wrong)[idx], 2))
        for typ, flow in FLOW_OF_TYPE.items():
            a = sc.flows[flow][:, m]
            idx = np.flatnonzero(a > 0)
            parts.append((idx, m, typ, a[idx], 0))
    frames = [
        pl.DataFrame(
            {
                "loan_idx": i,
                "month": np.full(len(i), m),
                "y": np.full(len(i), sc.dates[m].year),
                "cm": np.full(len(i), sc.dates[m].month),
                "txn_type": t,
                "amount": a.astype(np.int64),
                "seq": np.full(len(i), s),
            },
            schema_overrides={"txn_type": pl.String},
        )
        for i, m, t, a, s in parts
        if len(i)
    ]
    # An office slice may have no line at all at tiny scales.
    empty = {
        "loan_idx": pl.Int64,
        "month": pl.Int64,
        "y": pl.Int64,
        "cm": pl.Int64,
        "txn_type": pl.String,
    }
    df = (
        pl.concat(frames)
        if frames
        else pl.DataFrame(schema=empty | {"amount": pl.Int64, "seq": pl.Int64})
    )
    order = {t: n for n, t in enumerate(JOURNAL_TYPES)}
    static = fr.loans_static().select("loan_idx", "cust_idx", "loan_code", "program_code", "tday")
    cust = fr.customers().select(
        "cust_idx", "pgd_code", "commune_code", "group_code", "customer_code"
    )
    df = (
        df.join(static, on="loan_idx", how="left")
        .join(cust, on="cust_idx", how="left")
        .with_columns(
            pl.date(pl.col("y"), pl.col("cm"), pl.col("tday")).alias("txn_date"),
            pl.col("txn_type").replace_strict(order, return_dtype=pl.Int64).alias("_t"),
            pl.col("txn_type").replace_strict(MEMO).alias("memo"),
        )
        .sort(
            "txn_date",
            "pgd_code",
            "commune_code",
            "group_code",
            "customer_code",
            "loan_code",
            "_t",
            "seq",
            nulls_last=False,
        )
    )
    if base is None:
        seq = pl.int_range(1, pl.len() + 1)
    elif not base:  # an office with no journal line: an empty mapping has no dtype to return
        seq = pl.int_range(1, pl.len() + 1).over("txn_date")
    else:
        seq = pl.int_range(1, pl.len() + 1).over("txn_date") + pl.col("txn_date").replace_strict(
            base, return_dtype=pl.Int64
        )
    df = df.with_columns(
        (pl.col("txn_date").dt.strftime("%y%m%d") + seq.cast(pl.String).str.zfill(8)).alias(
            "txn_id"
        ),
        (
            pl.col("memo")
            + pl.when(pl.col("txn_type") == "TL")
            .then(pl.col("txn_date").dt.strftime(" %m/%Y"))
            .otherwise(pl.lit(""))
        ).alias("memo"),
    )
    return df.select(
        "txn_date",
        "txn_id",
        "pgd_code",
        "commune_code",
        "group_code",
        "customer_code",
        "loan_code",
        "program_code",
        "txn_type",
        "amount",
        "memo",
        "loan_idx",
        "month",
    )


# ---------------------------------------------------------------------------------------------
# faults
# ---------------------------------------------------------------------------------------------
def plan_faults(split: OfficeSplit, bases: dict[str, dict], inject: list[str], seed: int) -> dict:
    """Where each requested fault goes. Runs in the parent, office by office (only when
    faults are asked for), and draws exactly what a branch-wide pass would draw."""
    if not inject:
        return {}
    sc = split.sc
    rng = np.random.default_rng([seed, 0xFA17])
    last = sc.n_snap - 1
    # Faults go to the last period of a history (its months are the only ones a first period
    # of the same length would have).
    first_of_last = sc.periods[-1][0]
    frames: dict[str, Frames] = {}

    def fr_of(office: str) -> Frames:
        # Only the offices the faults land in are kept; the scans below build and drop.
        if office not in frames:
            frames[office] = Frames(split.scenario(office))
        return frames[office]

    cands = []
    for u in DISTRICT_OFFICES:
        fr = Frames(split.scenario(u.code))
        if u.code in fr.m31_by_office(last) and fr.bc0437(last, u.code).height > 0:
            cands.append(u.code)
        del fr
    offices = list(rng.permutation(cands))
    plan: dict[str, dict] = {}
    for i, name in enumerate(inject):
        office = str(offices[i % len(offices)])
        if name == "control-total-mismatch":
            form = fr_of(office).form(last, office, "01.1")
            row = int(rng.integers(0, form.height - 1))
            plan[name] = {
                "office": office,
                "k": last,
                "row_name": form["row_name"][row],
                # (5) Thu nợ trong tháng: no within-row identity ties it, so the form still loads
                # and the difference shows up only against M31 (contract 4.3, identity 1).
                "marker": "(5)",
                "delta_vnd": 1_000_000,
            }
        elif name == "rollforward-break":
            mid = first_of_last - 1 + max(1, (last - first_of_last + 2) // 2)
            # The branch's TNTH lines of the middle month, in journal order.
            pool = pl.concat(
                [
                    build_journal(Frames(split.scenario(o)), bases[o]).filter(
                        (pl.col("month") == mid) & (pl.col("txn_type") == "TNTH")
                    )
                    for o in OFFICE_CODES
                ]
            ).sort("txn_date", "txn_id")
            row = pool.row(int(rng.integers(0, pool.height)), named=True)
            day = build_journal(fr_of(row["pgd_code"]), bases[row["pgd_code"]]).filter(
                pl.col("txn_date") == row["txn_date"]
            )
            plan[name] = {
                "txn_id": row["txn_id"],
                "office": row["pgd_code"],
                "loan_code": row["loan_code"],
                "txn_type": "TNTH",
                "amount": row["amount"],
                "date": row["txn_date"],
                # 1-based line of the file (header = line 1) the dropped line would have had.
                "line": 2 + day["txn_id"].to_list().index(row["txn_id"]),
            }
        elif name == "group-register-mismatch":
            bc = fr_of(office).bc0437(last, office)
            row = int(rng.integers(0, bc.height))
            plan[name] = {
                "office": office,
                "k": last,
                "group_code": bc["group_code"][row],
                "delta_vnd": 5_000_000,
            }
        elif name == "reconciliation-discrepancy":
            # The branch's register in delivery order (offices in code order).
            d = pl.concat([Frames(split.scenario(o)).doichieu_all(last) for o in OFFICE_CODES])
            pool = d.filter(
                (pl.col("reconciled_on").dt.month() == sc.dates[last].month)
                & (pl.col("reconciled_on").dt.year() == sc.dates[last].year)
                & (pl.col("bank_outstanding") > 2_000_000)
            )
            row = pool.row(int(rng.integers(0, pool.height)), named=True)
            plan[name] = {
                "office": row["pgd_code"],
                "k": last,
                "customer_code": row["customer_code"],
                "delta_vnd": 2_000_000,
                "bank_outstanding": row["bank_outstanding"],
            }
        elif name == "redelivery":
            m = fr_of(office).m31_by_office(last)[office].filter(pl.col("outstanding") > 10_000_000)
            row = m.row(int(rng.integers(0, m.height)), named=True)
            plan[name] = {
                "office": office,
                "k": last,
                "loan_code": row["loan_code"],
                "delta_vnd": 10_000_000,
            }
        elif name == "corrupt-file":
            plan[name] = {"office": office, "k": max(first_of_last, last - 1), "report": "BC0437"}
    return plan


# ---------------------------------------------------------------------------------------------
# per-office writing (runs in a worker)
# ---------------------------------------------------------------------------------------------
def _unit_line(office: str, d: dt.date) -> str:
    return f"Đơn vị: {UNIT_BY_CODE[office].office_name} - Ngày số liệu: {d:%d/%m/%Y}"


def _file_frame(spec: ReportSpec, df: pl.DataFrame, q: w.Quirks, fmt: str) -> pl.DataFrame:
    """Contract keys -> the file's columns (headers, text/number forms, quirks)."""
    cols = []
    for c in spec.columns:
        e = pl.col(c.key)
        if c.type == "date":
            if fmt == "csv" or (fmt == "xlsx" and not q.date_cells):
                e = e.dt.strftime("%d/%m/%Y")
        elif c.type == "text" and q.nfd:
            e = e.str.normalize("NFD")
        elif c.type == "int" and q.text_amounts and c.key in TEXT_AMOUNT_COLS:
            e = w.thousands(e)
        elif c.type == "code" and q.numeric_codes and c.key in NUMERIC_CODE_COLS:
            e = e.cast(pl.Int64, strict=False)
        cols.append(e.alias(c.header))
    out = df.select(cols)
    if q.swap_columns and not spec.keeps_total_row:
        names = out.columns
        i = 8 if len(names) > 10 else 1
        names[i], names[i + 1] = names[i + 1], names[i]
        out = out.select(names)
    if q.extra_column:
        out = out.with_columns(pl.lit(None, pl.String).alias("Ghi chú"))
    return out


def _write_table(
    path: Path,
    spec: ReportSpec,
    df: pl.DataFrame,
    fmt: str,
    q: w.Quirks,
    title: str,
    office: str,
    d: dt.date,
) -> None:
    ff = _file_frame(spec, df, q, fmt)
    if fmt == "csv":
        w.write_csv(path, ff)
    elif fmt == "parquet":
        w.write_parquet(path, ff)
    else:
        lines = [title, _unit_line(office, d)] + ([w.EXTRA_TITLE] if q.shift > 0 else [])
        w.write_big_xlsx(path, ff, lines, 4 + q.shift)


def _write_small(
    path: Path,
    spec: ReportSpec,
    df: pl.DataFrame,
    fmt: str,
    q: w.Quirks,
    title: str,
    unit_line: str,
    d: dt.date,
    total: list | None = None,
) -> int:
    """BC0437 / HOI through xlsxwriter; returns the sheet row (1-based) of the first data row."""
    ff = _file_frame(spec, df, q, fmt)
    if fmt != "xlsx":
        if total is not None:
            ff = pl.concat([ff, pl.DataFrame([total], schema=ff.schema, orient="row")])
        (w.write_csv if fmt == "csv" else w.write_parquet)(path, ff)
        return 2
    s = w.SmallSheet(path)
    s.ws.write_string(1, 1, title, s.bold)
    r = 2
    if q.shift >= 0:
        s.ws.write_string(2, 1, unit_line)
        r = 3
    if q.shift > 0:
        s.ws.write_string(3, 1, w.EXTRA_TITLE)
        r = 4
    hr = r + 1 if q.shift >= 0 else r
    s.row(hr, ff.columns, [s.center] * ff.width)
    rows = ff.rows()
    for i, row in enumerate(rows):
        s.row(hr + 1 + i, row)
    end = hr + 1 + len(rows)
    if total is not None:
        # The total row follows the file's column order (a swapped-columns quirk included).
        by_header = dict(zip([c.header for c in spec.columns], total, strict=True))
        trow = [by_header.get(h) for h in ff.columns]
        s.row(end, trow, [s.bold] * len(trow))
        end += 1
    if q.signature or total is not None:
        s.signature(end + 1, f"Hà Nội, ngày {d.day:02d} tháng {d.month:02d} năm {d.year}", ff.width)
    s.close()
    return hr + 2


def _write_form(
    path: Path, form: pl.DataFrame, which: str, fmt: str, q: w.Quirks, office: str, d: dt.date
) -> int:
    """01.1/01.2: two-level header, marker row, data, TỔNG CỘNG, signature. Returns the
    1-based sheet row of the first data row (or the CSV line)."""
    amounts = [f"c{i}" for i in range(3, 16)]
    counts = ["c16", "c17"]
    markers = [f"({i})" for i in range(1, 18)]
    name_col = "row_name"
    if q.nfd:
        form = form.with_columns(pl.col(name_col).str.normalize("NFD"))
    if fmt == "csv":
        out = form.select(
            pl.col("stt").alias("(1)"),
            pl.col(name_col).alias("(2)"),
            *[
                pl.col(c).map_elements(w.fmt_million, pl.String).alias(markers[i + 2])
                for i, c in enumerate(amounts)
            ],
            *[pl.col(c).alias(markers[15 + i]) for i, c in enumerate(counts)],
        )
        w.write_csv(path, out)
        return 2
    if fmt == "parquet":
        out = form.select(
            pl.col("stt").alias("(1)"),
            pl.col(name_col).alias("(2)"),
            *[w.decimal_series(form[c], 6).alias(markers[i + 2]) for i, c in enumerate(amounts)],
            *[pl.col(c).alias(markers[15 + i]) for i, c in enumerate(counts)],
        )
        w.write_parquet(path, out)
        return 2
    s = w.SmallSheet(path)
    code = "01.1/BCTD" if which == "01.1" else "01.2/BCTD"
    s.ws.write_string(0, 1, w.BANK_LINE, s.bold)
    s.ws.write_string(0, 14, f"Mẫu số: {code}", s.bold)
    s.ws.write_string(1, 1, FORM_TITLE, s.bold)
    s.ws.write_string(2, 1, _unit_line(office, d))
    r = 3
    if q.shift >= 0:
        s.ws.write_string(3, 1, "Đơn vị tính: triệu đồng")
        r = 4
    if q.shift > 0:
        s.ws.write_string(4, 1, "(Ban hành kèm theo quy định chế độ báo cáo thống kê)")
        r = 5
    for label, a, b in FORM_GROUPS:
        s.ws.merge_range(r, 1 + a, r, 1 + b, label, s.center)
    s.ws.write_string(r, 1, "STT", s.center)
    s.ws.write_string(r, 2, "Tên đơn vị" if which == "01.1" else "Chương trình", s.center)
    s.row(r + 1, list(FORM_HEADERS), [s.center] * 17)
    s.row(r + 2, markers, [s.center] * 17)
    first = r + 3
    fmts = [None, None] + [s.mil6] * 13 + [s.int] * 2
    for i, row in enumerate(form.iter_rows(named=True)):
        vals = [int(row["stt"]) if row["stt"] else None, row[name_col]]
        vals += [row[c] / 1_000_000 for c in amounts] + [row[c] for c in counts]
        s.row(first + i, vals, fmts)
    end = first + form.height
    s.signature(end + 1, f"Hà Nội, ngày {d.day:02d} tháng {d.month:02d} năm {d.year}", 17)
    s.close()
    return first + 1


def _write_office(pkg: dict) -> dict:  # noqa: C901 - one delivery recipe per office
    """Compute and write every file of one office from its slice of the scenario; return
    the counts, the faults placed and the office's share of the truth and of HOI."""
    office = pkg["office"]
    fmt, seed, raw, plan = pkg["fmt"], pkg["seed"], pkg["raw"], pkg["plan"]
    with open(pkg["slice"], "rb") as fh:
        sc: Scenario = pickle.load(fh)
    pkg["slice"].unlink()  # scratch space back as soon as the office is in memory
    if len(sc.customers["kind"]) == 0:  # an office without customers (tiny scales): no files
        zero = {
            "entrusted_outstanding_vnd": 0,
            "direct_outstanding_vnd": 0,
            "orgs": {org: dict.fromkeys(ORG_SUMS, 0) for org in ENTRUSTED_ORGS},
            "households_entrusted": 0,
            "groups_with_outstanding": 0,
            "lending": dict.fromkeys(LENDING, 0),
            "lending_ptd": dict.fromkeys(LENDING, 0),
            "in_scope": 0,
            "reconciled": 0,
            "overdue_vnd": 0,
            "frozen_vnd": 0,
            "groups_rated": 0,
            "groups_good": 0,
        }
        return {
            "office": office,
            "files": 0,
            "rows": 0,
            "folders": [],
            "faults": [],
            "truth": {k: zero for k in range(sc.n_snap)},
            "hoi": {},
        }
    fr = Frames(sc)
    dates = sc.dates
    ext = fmt
    files = rows = 0
    folders: set[Path] = set()
    faults: list[dict] = []
    clean_m31: dict[int, pl.DataFrame] = {}

    def folder(d: dt.date) -> Path:
        p = raw / d.isoformat() / office
        if p not in folders:
            _fresh_folder(p)
            folders.add(p)
        return p

    # Journal: one CSV per day with transactions.
    jr = build_journal(fr, pkg["txn_base"])
    f = plan.get("rollforward-break")
    if f and f["office"] == office:
        jr = jr.filter(pl.col("txn_id") != f["txn_id"])
    if jr.height:
        for (d,), part in jr.partition_by("txn_date", as_dict=True, maintain_order=True).items():
            name = file_name(SKGD, office, d, "csv")
            q = w.Quirks.for_file(name, seed)
            out = part.select([pl.col(c.key).alias(c.header) for c in SKGD.columns])
            if q.text_amounts:
                out = out.with_columns(w.thousands(pl.col("Số tiền")))
            if q.nfd:
                out = out.with_columns(pl.col("Diễn giải").str.normalize("NFD"))
            w.write_csv(folder(d) / name, out, bom=True, sep=";")
            files += 1
            rows += out.height
            f = plan.get("rollforward-break")
            if f and f["office"] == office and f["date"] == d:
                faults.append(
                    {
                        "fault": "rollforward-break",
                        "file": _rel(folder(d) / name, raw),
                        "txn_id": f["txn_id"],
                        "loan_code": f["loan_code"],
                        "txn_type": f["txn_type"],
                        "amount": f["amount"],
                        "column": "Số tiền",
                        "row": f["line"],
                        "note": "line removed from this day's journal",
                    }
                )

    del jr

    truth: dict[int, dict] = {}
    hoi: dict[int, pl.DataFrame] = {}
    period_ends = {b for _a, b in sc.periods}
    for k, d in enumerate(dates):
        truth[k] = truth_partial(fr, k)
        if k in period_ends:
            hoi[k] = fr.hoi_bank(k)
        m31 = fr.m31_by_office(k).get(office)
        if m31 is None:
            fr.release(k)
            continue
        snap = {
            "forms": {wh: fr.form(k, office, wh) for wh in ("01.1", "01.2")},
            "bc0437": fr.bc0437(k, office) if office != BRANCH_OFFICE else None,
            "doichieu": fr.doichieu_all(k),
        }
        if snap["doichieu"].height == 0:
            snap["doichieu"] = None
        f = plan.get("reconciliation-discrepancy")
        if f and f["office"] == office and f["k"] == k and snap["doichieu"] is not None:
            snap["doichieu"] = snap["doichieu"].with_columns(
                pl.when(pl.col("customer_code") == f["customer_code"])
                .then(pl.col("confirmed_outstanding") - f["delta_vnd"])
                .otherwise(pl.col("confirmed_outstanding"))
                .alias("confirmed_outstanding"),
                pl.when(pl.col("customer_code") == f["customer_code"])
                .then(pl.lit(RECON_DIFFERENCE))
                .otherwise(pl.col("result"))
                .alias("result"),
            )
        fr.release(k)
        fo = folder(d)
        f = plan.get("redelivery")
        if f and f["office"] == office and f["k"] == k:
            clean_m31[k] = m31  # the corrected file, written after the first manifest
        # M31
        name = file_name(M31, office, d, ext)
        q = w.Quirks.for_file(name, seed, fmt == "xlsx")
        f = plan.get("redelivery")
        if f and f["office"] == office and f["k"] == k:
            wrong = m31.with_columns(
                [
                    pl.when(pl.col("loan_code") == f["loan_code"])
                    .then(pl.col(c) + f["delta_vnd"])
                    .otherwise(pl.col(c))
                    .alias(c)
                    for c in ("outstanding", "outstanding_in_term")
                ]
            )
            _write_table(fo / name, M31, wrong, fmt, q, M31.title, office, d)
            name2 = file_name(M31, office, d, ext, revision=2)
            faults.append(
                {
                    "fault": "redelivery",
                    "file": _rel(fo / name, raw),
                    "superseded_by": _rel(fo / name2, raw),
                    "loan_code": f["loan_code"],
                    "column": "Tổng dư nợ",
                    "delta_vnd": f["delta_vnd"],
                    "manifest": _rel(fo / manifest_name(2), raw),
                }
            )
        else:
            _write_table(fo / name, M31, m31, fmt, q, M31.title, office, d)
        files += 1
        rows += m31.height
        # 01.1 / 01.2
        for which, spec in (("01.1", BCDHTD_011), ("01.2", BCDHTD_012)):
            form = snap["forms"][which]
            name = file_name(spec, office, d, ext)
            q = w.Quirks.for_file(name, seed, fmt == "xlsx")
            f = plan.get("control-total-mismatch")
            hit = which == "01.1" and f and f["office"] == office and f["k"] == k
            if hit:
                # The office's form software totals its rows, so the mistyped row carries
                # into TỔNG CỘNG: the form is self-consistent and only differs from M31.
                form = form.with_columns(
                    pl.when(pl.col("row_name").is_in([f["row_name"], "TỔNG CỘNG"]))
                    .then(pl.col("c5") + f["delta_vnd"])
                    .otherwise(pl.col("c5"))
                    .alias("c5")
                )
            first = _write_form(fo / name, form, which, fmt, q, office, d)
            if hit:
                pos = form["row_name"].to_list().index(f["row_name"])
                faults.append(
                    {
                        "fault": "control-total-mismatch",
                        "file": _rel(fo / name, raw),
                        "row_name": f["row_name"],
                        "row": first + pos,
                        "column": f["marker"],
                        "delta_vnd": f["delta_vnd"],
                    }
                )
            files += 1
            rows += form.height
        # BC0437 (district offices: the branch office has no groups)
        if snap["bc0437"] is not None:
            bc = snap["bc0437"]
            name = file_name(BC0437, office, d, ext)
            q = w.Quirks.for_file(name, seed, fmt == "xlsx")
            f = plan.get("group-register-mismatch")
            hit = f and f["office"] == office and f["k"] == k
            if hit:
                bc = bc.with_columns(
                    pl.when(pl.col("group_code") == f["group_code"])
                    .then(pl.col("outstanding") + f["delta_vnd"])
                    .otherwise(pl.col("outstanding"))
                )
            title = f"{BC0437.title} {d:%d/%m/%Y}"
            first = _write_small(fo / name, BC0437, bc, fmt, q, title, _unit_line(office, d), d)
            if hit:
                pos = bc["group_code"].to_list().index(f["group_code"])
                faults.append(
                    {
                        "fault": "group-register-mismatch",
                        "file": _rel(fo / name, raw),
                        "group_code": f["group_code"],
                        "row": first + pos,
                        "column": "Tổng dư nợ",
                        "delta_vnd": f["delta_vnd"],
                    }
                )
            files += 1
            rows += bc.height
        # DOICHIEU
        dc = snap["doichieu"]
        if dc is not None:
            name = file_name(DOICHIEU, office, d, ext)
            q = w.Quirks.for_file(name, seed, fmt == "xlsx")
            _write_table(fo / name, DOICHIEU, dc, fmt, q, DOICHIEU.title, office, d)
            f = plan.get("reconciliation-discrepancy")
            if f and f["office"] == office and f["k"] == k:
                pos = dc["customer_code"].to_list().index(f["customer_code"])
                faults.append(
                    {
                        "fault": "reconciliation-discrepancy",
                        "file": _rel(fo / name, raw),
                        "customer_code": f["customer_code"],
                        "data_row": pos + 1,
                        # Sheet row (1-based; header on row 5 + the file's title shift) or
                        # CSV line.
                        "row": (6 + q.shift + pos) if fmt == "xlsx" else pos + 2,
                        "column": "Dư nợ khách hàng xác nhận",
                        "bank_outstanding": f["bank_outstanding"],
                        "delta_vnd": -f["delta_vnd"],
                    }
                )
            files += 1
            rows += dc.height

    # Manifests last, folder by folder.
    for fo in sorted(folders):
        f = plan.get("redelivery")
        if (
            f
            and f["office"] == office
            and fo.name == office
            and fo.parent.name == str(dates[f["k"]])
        ):
            name2 = file_name(M31, office, dates[f["k"]], ext, revision=2)
            tmp = fo.parent / f".{name2}"
            # The first delivery's manifest is written before the corrected file arrives.
            w.write_manifest(fo)
            _write_table(
                tmp,
                M31,
                clean_m31[f["k"]],
                fmt,
                w.Quirks.for_file(name2, seed, fmt == "xlsx"),
                M31.title,
                office,
                dates[f["k"]],
            )
            tmp.rename(fo / name2)
            files += 1
            w.write_manifest(fo, manifest_name(2))
            continue
        w.write_manifest(fo)
    f = plan.get("corrupt-file")
    if f and f["office"] == office:
        d = dates[f["k"]]
        p = raw / d.isoformat() / office / file_name(BC0437, office, d, ext)
        size, sha = w.file_digest(p)
        data = p.read_bytes()
        p.write_bytes(data[: len(data) // 2])
        size2, sha2 = w.file_digest(p)
        faults.append(
            {
                "fault": "corrupt-file",
                "file": _rel(p, raw),
                "manifest": _rel(p.parent / "manifest.csv", raw),
                "manifest_bytes": size,
                "manifest_sha256": sha,
                "actual_bytes": size2,
                "actual_sha256": sha2,
            }
        )
    del fr, sc, clean_m31
    _release_memory()
    return {
        "office": office,
        "files": files,
        "rows": rows,
        "folders": [str(p) for p in folders],
        "faults": faults,
        "truth": truth,
        "hoi": hoi,
    }


def _release_memory() -> None:
    """Hand freed heap memory back to the system between offices (a pool worker lives for
    many offices; glibc keeps freed blocks otherwise)."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def _fresh_folder(p: Path) -> None:
    """Create a delivery folder this run writes, emptied of an earlier run's files first:
    its manifest must list exactly this run's files. Folders the run does not write (other
    dates, other scenarios) are left alone."""
    if p.exists():
        shutil.rmtree(p)
    p.mkdir(parents=True)


def _rel(p: Path, raw: Path) -> str:
    return p.relative_to(raw).as_posix()


# ---------------------------------------------------------------------------------------------
# HOI_* (organizations' own figures)
# ---------------------------------------------------------------------------------------------
def _round_hundredths(v: int) -> int:
    """đồng -> hundredths of a triệu đồng, half up."""
    return (int(v) + 5_000) // 10_000


def _write_hoi(
    d: dt.date, bank: pl.DataFrame, raw: Path, seed: int, fmt: str, rng: np.random.Generator
) -> dict:
    """The four organizations' reports of the period ending ``d``."""
    fo = raw / d.isoformat() / HOI_UNIT
    _fresh_folder(fo)
    differences = []
    files = rows = 0
    for org in ENTRUSTED_ORGS:
        b = {r["pgd_code"]: r for r in bank.filter(pl.col("org_code") == org).iter_rows(named=True)}
        present = [u for u in DISTRICT_OFFICES if u.code in b]
        n_diff = min(len(present), int(rng.integers(1, 4)))
        diff_units = {present[i].code for i in rng.choice(len(present), n_diff, replace=False)}
        table = []
        for i, u in enumerate(DISTRICT_OFFICES, start=1):
            r = b.get(
                u.code,
                {
                    "groups": 0,
                    "households_with_outstanding": 0,
                    "outstanding_vnd": 0,
                    "overdue_vnd": 0,
                },
            )
            g, h = int(r["groups"]), int(r["households_with_outstanding"])
            o, od = _round_hundredths(r["outstanding_vnd"]), _round_hundredths(r["overdue_vnd"])
            if u.code in diff_units:
                # The organization's books lag or lead the bank's by a few households.
                dh = int(rng.choice([-1, 1]) * rng.integers(1, 7))
                do = int(rng.choice([-1, 1]) * rng.integers(50, 5000))
                dg = int(rng.integers(-1, 2)) if g > 1 else 0
                differences.append(
                    {
                        "org_code": org,
                        "district": u.name,
                        "pgd_code": u.code,
                        "groups": {"bank": g, "org": g + dg},
                        "households_with_outstanding": {"bank": h, "org": max(0, h + dh)},
                        "outstanding_mil": {"bank": o / 100, "org": max(0, o + do) / 100},
                    }
                )
                g, h, o = g + dg, max(0, h + dh), max(0, o + do)
            table.append((str(i), u.name, g, h, o, od))
        name = file_name(HOI, org, d, fmt)
        q = w.Quirks.for_file(name, seed, fmt == "xlsx")
        df = pl.DataFrame(
            table,
            schema=["stt", "district_name", "groups", "households_with_outstanding", "o", "od"],
            orient="row",
        )
        tot = [
            "",
            "TỔNG CỘNG",
            int(df["groups"].sum()),
            int(df["households_with_outstanding"].sum()),
            int(df["o"].sum()),
            int(df["od"].sum()),
        ]
        if fmt == "xlsx":
            df = df.with_columns(
                (pl.col("o") / 100).alias("outstanding_mil"),
                (pl.col("od") / 100).alias("overdue_mil"),
            )
            tot_row = [None, "TỔNG CỘNG", tot[2], tot[3], tot[4] / 100, tot[5] / 100]
        else:
            df = df.with_columns(
                w.decimal_series(df["o"], 2).alias("outstanding_mil"),
                w.decimal_series(df["od"], 2).alias("overdue_mil"),
            )
            tot_row = [None, "TỔNG CỘNG", tot[2], tot[3], None, None]
        df = df.drop("o", "od")
        title = HOI.title
        unit = f"Đơn vị: {ORG_BY_CODE[org].name} thành phố Hà Nội - Ngày số liệu: {d:%d/%m/%Y}"
        if fmt == "xlsx":
            _write_small(fo / name, HOI, df, fmt, q, title, unit, d, total=tot_row)
        else:
            ff = _file_frame(HOI, df, q, fmt)
            total = pl.DataFrame(
                [[None, "TỔNG CỘNG", tot[2], tot[3]]], schema=ff.columns[:4], orient="row"
            ).with_columns(
                w.decimal_series(pl.Series([tot[4]]), 2).alias(ff.columns[4]),
                w.decimal_series(pl.Series([tot[5]]), 2).alias(ff.columns[5]),
            )
            ff = pl.concat([ff, total.cast(ff.schema)])
            (w.write_csv if fmt == "csv" else w.write_parquet)(fo / name, ff)
        files += 1
        rows += df.height + 1
    w.write_manifest(fo)
    return {
        "office": HOI_UNIT,
        "files": files,
        "rows": rows,
        "folders": [str(fo)],
        "differences": differences,
    }
