"""One office's deliveries (runs in a pool worker): from its slice of the scenario, every
file of every snapshot, the faults that land in it, the manifests, and its share of the
truth and of the HOI reports.

Per snapshot folder ``<date>/<office>/``: M31, BCDHTD_01.1, BCDHTD_01.2, BC0437 (district
offices only: the branch office has no groups), DOICHIEU; the journal's days go to their own
date's folder; ``manifest.csv`` last.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import gc
import pickle
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipelines.contract.codes import BRANCH_OFFICE
from pipelines.contract.naming import file_name, manifest_name
from pipelines.contract.reports import (
    BC0437,
    BCDHTD_011,
    BCDHTD_012,
    DOICHIEU,
    M31,
    SKGD,
    ReportSpec,
)

from . import faults
from . import writers as w
from .frames import Frames
from .journal import build_journal, day_file
from .report_files import unit_line, write_form, write_small, write_table
from .scenario import Scenario
from .truth import empty_partial, truth_partial


class _Delivery:
    """What one office has written so far: its folders (each emptied first), the counts and
    the faults placed."""

    def __init__(self, pkg: dict):
        self.office, self.fmt, self.seed = pkg["office"], pkg["fmt"], pkg["seed"]
        self.raw, self.plan = pkg["raw"], pkg["plan"]
        self.files = self.rows = 0
        self.folders: set[Path] = set()
        self.faults: list[dict] = []

    def folder(self, d: dt.date) -> Path:
        p = self.raw / d.isoformat() / self.office
        if p not in self.folders:
            w.fresh_folder(p)
            self.folders.add(p)
        return p

    def path(self, spec: ReportSpec, d: dt.date, revision: int = 1) -> Path:
        """Where the report goes (its folder made on first use)."""
        return self.folder(d) / file_name(spec, self.office, d, self.fmt, revision=revision)

    def quirks(self, path: Path) -> w.Quirks:
        """Excel files carry the format quirks; CSV and Parquet are for large-scale runs."""
        return w.Quirks.for_file(path.name, self.seed, self.fmt == "xlsx")

    def landing(self, fault: str, k: int | None = None) -> dict | None:
        return faults.landing(self.plan, fault, self.office, k)

    def rel(self, p: Path) -> str:
        return faults.rel(p, self.raw)

    def wrote(self, rows: int) -> None:
        self.files += 1
        self.rows += rows


@dataclass(frozen=True)
class _Snapshot:
    """An office's report frames of one snapshot."""

    k: int
    d: dt.date
    m31: pl.DataFrame
    forms: dict[str, pl.DataFrame]
    bc0437: pl.DataFrame | None
    doichieu: pl.DataFrame | None


def write_office(pkg: dict) -> dict:
    """Compute and write every file of one office from its slice of the scenario; return
    the counts, the faults placed and the office's share of the truth and of HOI."""
    with open(pkg["slice"], "rb") as fh:
        sc: Scenario = pickle.load(fh)
    pkg["slice"].unlink()  # scratch space back as soon as the office is in memory
    if len(sc.customers["kind"]) == 0:  # an office without customers (tiny scales): no files
        zero = empty_partial()
        return {
            "office": pkg["office"],
            "files": 0,
            "rows": 0,
            "folders": [],
            "faults": [],
            "truth": {k: zero for k in range(sc.n_snap)},
            "hoi": {},
        }
    out = _Delivery(pkg)
    fr = Frames(sc)
    _write_journal(out, fr, pkg["txn_base"])
    truth: dict[int, dict] = {}
    hoi: dict[int, pl.DataFrame] = {}
    clean_m31: dict[int, pl.DataFrame] = {}
    period_ends = {b for _a, b in sc.periods}
    for k, d in enumerate(sc.dates):
        truth[k] = truth_partial(fr, k)
        if k in period_ends:
            hoi[k] = fr.hoi_bank(k)
        snap = _snapshot(out.office, fr, k, d)
        if snap is None:
            continue
        _write_m31(out, snap, clean_m31)
        _write_forms(out, snap)
        _write_bc0437(out, snap)
        _write_doichieu(out, snap)
    _write_manifests(out, sc.dates, clean_m31)
    f = out.landing("corrupt-file")
    if f:
        d = sc.dates[f["k"]]
        p = out.raw / d.isoformat() / out.office / file_name(BC0437, out.office, d, out.fmt)
        out.faults.append(faults.corrupt_file(p, out.raw))
    del fr, sc, clean_m31
    _release_memory()
    return {
        "office": out.office,
        "files": out.files,
        "rows": out.rows,
        "folders": [str(p) for p in out.folders],
        "faults": out.faults,
        "truth": truth,
        "hoi": hoi,
    }


def _write_journal(out: _Delivery, fr: Frames, txn_base: dict[dt.date, int]) -> None:
    """One CSV per day with transactions (always CSV: contract 4.2)."""
    jr = build_journal(fr, txn_base)
    f = out.landing("rollforward-break")
    if f:
        jr = faults.drop_journal_line(jr, f)
    if not jr.height:
        return
    for (d,), part in jr.partition_by("txn_date", as_dict=True, maintain_order=True).items():
        path = out.folder(d) / file_name(SKGD, out.office, d, "csv")
        w.write_csv(path, day_file(part, w.Quirks.for_file(path.name, out.seed)), bom=True, sep=";")
        out.wrote(part.height)
        if f and f["date"] == d:
            out.faults.append(faults.journal_line_record(f, out.rel(path)))


def _snapshot(office: str, fr: Frames, k: int, d: dt.date) -> _Snapshot | None:
    """The office's frames of snapshot ``k`` (None: the office has no M31 then); the
    snapshot's big caches are released before anything is written."""
    m31 = fr.m31_by_office(k).get(office)
    if m31 is None:
        fr.release(k)
        return None
    forms = {which: fr.form(k, office, which) for which in ("01.1", "01.2")}
    bc = fr.bc0437(k, office) if office != BRANCH_OFFICE else None
    dc = fr.doichieu_all(k)
    fr.release(k)
    return _Snapshot(k, d, m31, forms, bc, dc if dc.height else None)


def _write_m31(out: _Delivery, snap: _Snapshot, clean_m31: dict[int, pl.DataFrame]) -> None:
    path = out.path(M31, snap.d)
    q = out.quirks(path)
    f = out.landing("redelivery", snap.k)
    if f:
        clean_m31[snap.k] = snap.m31  # the corrected file, written after the first manifest
        m31 = faults.misstate_loan_balance(snap.m31, f)
        write_table(path, M31, m31, out.fmt, q, out.office, snap.d)
        out.faults.append(
            faults.redelivery_record(
                f,
                out.rel(path),
                out.rel(out.path(M31, snap.d, revision=2)),
                out.rel(path.parent / manifest_name(2)),
            )
        )
    else:
        write_table(path, M31, snap.m31, out.fmt, q, out.office, snap.d)
    out.wrote(snap.m31.height)


def _write_forms(out: _Delivery, snap: _Snapshot) -> None:
    for which, spec in (("01.1", BCDHTD_011), ("01.2", BCDHTD_012)):
        form = snap.forms[which]
        path = out.path(spec, snap.d)
        q = out.quirks(path)
        f = out.landing("control-total-mismatch", snap.k) if which == "01.1" else None
        if f:
            form = faults.mistype_form_cell(form, f)
        first = write_form(path, form, which, out.fmt, q, out.office, snap.d)
        if f:
            out.faults.append(faults.form_cell_record(f, out.rel(path), form, first))
        out.wrote(form.height)


def _write_bc0437(out: _Delivery, snap: _Snapshot) -> None:
    bc = snap.bc0437
    if bc is None:
        return
    path = out.path(BC0437, snap.d)
    q = out.quirks(path)
    f = out.landing("group-register-mismatch", snap.k)
    if f:
        bc = faults.misstate_group_total(bc, f)
    title = f"{BC0437.title} {snap.d:%d/%m/%Y}"
    unit = unit_line(out.office, snap.d)
    first = write_small(path, BC0437, bc, out.fmt, q, title, unit, snap.d)
    if f:
        out.faults.append(faults.group_total_record(f, out.rel(path), bc, first))
    out.wrote(bc.height)


def _write_doichieu(out: _Delivery, snap: _Snapshot) -> None:
    dc = snap.doichieu
    if dc is None:
        return
    f = out.landing("reconciliation-discrepancy", snap.k)
    if f:
        dc = faults.disagree_confirmation(dc, f)
    path = out.path(DOICHIEU, snap.d)
    q = out.quirks(path)
    write_table(path, DOICHIEU, dc, out.fmt, q, out.office, snap.d)
    if f:
        out.faults.append(faults.confirmation_record(f, out.rel(path), dc, q, out.fmt))
    out.wrote(dc.height)


def _write_manifests(
    out: _Delivery, dates: list[dt.date], clean_m31: dict[int, pl.DataFrame]
) -> None:
    """Manifests last, folder by folder. A redelivered M31: the first delivery's manifest
    is written before the corrected ``_r2`` file arrives, then ``manifest_r2.csv``."""
    f = out.landing("redelivery")
    for fo in sorted(out.folders):
        d = dates[f["k"]] if f else None
        if f and fo == out.raw / d.isoformat() / out.office:
            w.write_manifest(fo)
            path = out.path(M31, d, revision=2)
            tmp = fo.parent / f".{path.name}"
            write_table(tmp, M31, clean_m31[f["k"]], out.fmt, out.quirks(path), out.office, d)
            tmp.rename(path)
            out.files += 1
            w.write_manifest(fo, manifest_name(2))
            continue
        w.write_manifest(fo)


def _release_memory() -> None:
    """Hand freed heap memory back to the system between offices (a pool worker lives for
    many offices; glibc keeps freed blocks otherwise)."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass
