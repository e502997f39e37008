"""Injected faults: where each one goes (``plan_faults``, in the parent), what it changes in
an office's delivery and how ``_truth.json["faults"]`` records it (in the office's worker).

Faults touch distinct offices; everything else stays clean, and the truth's aggregates are
those of the clean (corrected) data. In a history they land in the last period (its months
are the only ones a first period of the same length would have).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from pipelines.contract.codes import DISTRICT_OFFICES, RECON_DIFFERENCE, TXN_REPAY_IN_TERM

from . import writers as w
from .frames import Frames
from .journal import build_journal
from .offices import OFFICE_CODES, OfficeSplit

FAULTS: dict[str, str] = {
    "control-total-mismatch": "one (5) cell of a BCDHTD_01.1 form is off by a known amount",
    "rollforward-break": "one journal (SKGD) line is dropped, so M31 no longer rolls forward",
    "group-register-mismatch": "one BC0437 group's Tổng dư nợ differs from its members' M31",
    "reconciliation-discrepancy": "one DOICHIEU row is 'Chênh lệch' with confirmed != bank",
    "redelivery": "a wrong first M31 delivery, superseded by an _r2 file and manifest_r2.csv",
    "corrupt-file": "a file whose bytes and SHA-256 no longer match its manifest line",
}


def plan_faults(split: OfficeSplit, bases: dict[str, dict], inject: list[str], seed: int) -> dict:
    """Where each requested fault goes. Runs in the parent, office by office (only when
    faults are asked for), and draws exactly what a branch-wide pass would draw."""
    if not inject:
        return {}
    rng = np.random.default_rng([seed, 0xFA17])
    planner = _Planner(split, bases)
    offices = list(rng.permutation(planner.candidates()))
    place = {
        "control-total-mismatch": planner.control_total_mismatch,
        "rollforward-break": planner.rollforward_break,
        "group-register-mismatch": planner.group_register_mismatch,
        "reconciliation-discrepancy": planner.reconciliation_discrepancy,
        "redelivery": planner.redelivery,
        "corrupt-file": planner.corrupt_file,
    }
    return {name: place[name](rng, str(offices[i % len(offices)])) for i, name in enumerate(inject)}


class _Planner:
    """Picks each fault's office, snapshot and row in the last snapshot of the scenario."""

    def __init__(self, split: OfficeSplit, bases: dict[str, dict]):
        self.split, self.bases = split, bases
        self.sc = split.sc
        self.last = self.sc.n_snap - 1
        self.first_of_last = self.sc.periods[-1][0]
        self._frames: dict[str, Frames] = {}

    def frames(self, office: str) -> Frames:
        # Only the offices the faults land in are kept; the scans build and drop the others.
        if office not in self._frames:
            self._frames[office] = Frames(self.split.scenario(office))
        return self._frames[office]

    def candidates(self) -> list[str]:
        """District offices delivering an M31 and a non-empty BC0437 at the last snapshot."""
        out = []
        for u in DISTRICT_OFFICES:
            fr = Frames(self.split.scenario(u.code))
            if u.code in fr.m31_by_office(self.last) and fr.bc0437(self.last, u.code).height > 0:
                out.append(u.code)
            del fr
        return out

    def control_total_mismatch(self, rng: np.random.Generator, office: str) -> dict:
        form = self.frames(office).form(self.last, office, "01.1")
        row = int(rng.integers(0, form.height - 1))
        return {
            "office": office,
            "k": self.last,
            "row_name": form["row_name"][row],
            # (5) Thu nợ trong tháng: no within-row identity ties it, so the form still loads
            # and the difference shows up only against M31 (contract 4.3, identity 1).
            "marker": "(5)",
            "delta_vnd": 1_000_000,
        }

    def rollforward_break(self, rng: np.random.Generator, office: str) -> dict:
        last, first = self.last, self.first_of_last
        mid = first - 1 + max(1, (last - first + 2) // 2)
        # The branch's TNTH lines of the middle month, in journal order.
        pool = pl.concat(
            [
                build_journal(Frames(self.split.scenario(o)), self.bases[o]).filter(
                    (pl.col("month") == mid) & (pl.col("txn_type") == TXN_REPAY_IN_TERM)
                )
                for o in OFFICE_CODES
            ]
        ).sort("txn_date", "txn_id")
        row = pool.row(int(rng.integers(0, pool.height)), named=True)
        day = build_journal(self.frames(row["pgd_code"]), self.bases[row["pgd_code"]]).filter(
            pl.col("txn_date") == row["txn_date"]
        )
        return {
            "txn_id": row["txn_id"],
            "office": row["pgd_code"],
            "loan_code": row["loan_code"],
            "txn_type": TXN_REPAY_IN_TERM,
            "amount": row["amount"],
            "date": row["txn_date"],
            # 1-based line of the file (header = line 1) the dropped line would have had.
            "line": 2 + day["txn_id"].to_list().index(row["txn_id"]),
        }

    def group_register_mismatch(self, rng: np.random.Generator, office: str) -> dict:
        bc = self.frames(office).bc0437(self.last, office)
        row = int(rng.integers(0, bc.height))
        return {
            "office": office,
            "k": self.last,
            "group_code": bc["group_code"][row],
            "delta_vnd": 5_000_000,
        }

    def reconciliation_discrepancy(self, rng: np.random.Generator, office: str) -> dict:
        last, d = self.last, self.sc.dates[self.last]
        # The branch's register in delivery order (offices in code order).
        register = pl.concat(
            [Frames(self.split.scenario(o)).doichieu_all(last) for o in OFFICE_CODES]
        )
        pool = register.filter(
            (pl.col("reconciled_on").dt.month() == d.month)
            & (pl.col("reconciled_on").dt.year() == d.year)
            & (pl.col("bank_outstanding") > 2_000_000)
        )
        row = pool.row(int(rng.integers(0, pool.height)), named=True)
        return {
            "office": row["pgd_code"],
            "k": last,
            "customer_code": row["customer_code"],
            "delta_vnd": 2_000_000,
            "bank_outstanding": row["bank_outstanding"],
        }

    def redelivery(self, rng: np.random.Generator, office: str) -> dict:
        m31 = self.frames(office).m31_by_office(self.last)[office]
        m = m31.filter(pl.col("outstanding") > 10_000_000)
        row = m.row(int(rng.integers(0, m.height)), named=True)
        return {
            "office": office,
            "k": self.last,
            "loan_code": row["loan_code"],
            "delta_vnd": 10_000_000,
        }

    def corrupt_file(self, rng: np.random.Generator, office: str) -> dict:
        k = max(self.first_of_last, self.last - 1)
        return {"office": office, "k": k, "report": "BC0437"}


# ---------------------------------------------------------------------------------------------
# in an office's delivery: each fault's change, and its record
# ---------------------------------------------------------------------------------------------
def landing(plan: dict, name: str, office: str, k: int | None = None) -> dict | None:
    """The fault ``name`` when it lands in ``office`` (at snapshot ``k``, when given)."""
    f = plan.get(name)
    if f and f["office"] == office and (k is None or f["k"] == k):
        return f
    return None


def rel(p: Path, raw: Path) -> str:
    return p.relative_to(raw).as_posix()


def _add_where(df: pl.DataFrame, key: str, values: list, column: str, delta: int) -> pl.DataFrame:
    return df.with_columns(
        pl.when(pl.col(key).is_in(values))
        .then(pl.col(column) + delta)
        .otherwise(pl.col(column))
        .alias(column)
    )


def drop_journal_line(journal: pl.DataFrame, f: dict) -> pl.DataFrame:
    return journal.filter(pl.col("txn_id") != f["txn_id"])


def journal_line_record(f: dict, file: str) -> dict:
    return {
        "fault": "rollforward-break",
        "file": file,
        "txn_id": f["txn_id"],
        "loan_code": f["loan_code"],
        "txn_type": f["txn_type"],
        "amount": f["amount"],
        "column": "Số tiền",
        "row": f["line"],
        "note": "line removed from this day's journal",
    }


def mistype_form_cell(form: pl.DataFrame, f: dict) -> pl.DataFrame:
    # The office's form software totals its rows, so the mistyped row carries into TỔNG
    # CỘNG: the form is self-consistent and only differs from M31.
    return _add_where(form, "row_name", [f["row_name"], "TỔNG CỘNG"], "c5", f["delta_vnd"])


def form_cell_record(f: dict, file: str, form: pl.DataFrame, first_row: int) -> dict:
    return {
        "fault": "control-total-mismatch",
        "file": file,
        "row_name": f["row_name"],
        "row": first_row + form["row_name"].to_list().index(f["row_name"]),
        "column": f["marker"],
        "delta_vnd": f["delta_vnd"],
    }


def misstate_group_total(bc: pl.DataFrame, f: dict) -> pl.DataFrame:
    return _add_where(bc, "group_code", [f["group_code"]], "outstanding", f["delta_vnd"])


def group_total_record(f: dict, file: str, bc: pl.DataFrame, first_row: int) -> dict:
    return {
        "fault": "group-register-mismatch",
        "file": file,
        "group_code": f["group_code"],
        "row": first_row + bc["group_code"].to_list().index(f["group_code"]),
        "column": "Tổng dư nợ",
        "delta_vnd": f["delta_vnd"],
    }


def disagree_confirmation(dc: pl.DataFrame, f: dict) -> pl.DataFrame:
    hit = pl.col("customer_code") == f["customer_code"]
    dc = _add_where(
        dc, "customer_code", [f["customer_code"]], "confirmed_outstanding", -f["delta_vnd"]
    )
    return dc.with_columns(
        pl.when(hit).then(pl.lit(RECON_DIFFERENCE)).otherwise(pl.col("result")).alias("result")
    )


def confirmation_record(f: dict, file: str, dc: pl.DataFrame, q: w.Quirks, fmt: str) -> dict:
    pos = dc["customer_code"].to_list().index(f["customer_code"])
    return {
        "fault": "reconciliation-discrepancy",
        "file": file,
        "customer_code": f["customer_code"],
        "data_row": pos + 1,
        # Sheet row (1-based; header on row 5 + the file's title shift) or CSV line.
        "row": (6 + q.shift + pos) if fmt == "xlsx" else pos + 2,
        "column": "Dư nợ khách hàng xác nhận",
        "bank_outstanding": f["bank_outstanding"],
        "delta_vnd": -f["delta_vnd"],
    }


def misstate_loan_balance(m31: pl.DataFrame, f: dict) -> pl.DataFrame:
    for c in ("outstanding", "outstanding_in_term"):
        m31 = _add_where(m31, "loan_code", [f["loan_code"]], c, f["delta_vnd"])
    return m31


def redelivery_record(f: dict, file: str, superseded_by: str, manifest: str) -> dict:
    return {
        "fault": "redelivery",
        "file": file,
        "superseded_by": superseded_by,
        "loan_code": f["loan_code"],
        "column": "Tổng dư nợ",
        "delta_vnd": f["delta_vnd"],
        "manifest": manifest,
    }


def corrupt_file(p: Path, raw: Path) -> dict:
    """Truncate ``p`` to half after its manifest line was written; return the record."""
    size, sha = w.file_digest(p)
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    size2, sha2 = w.file_digest(p)
    return {
        "fault": "corrupt-file",
        "file": rel(p, raw),
        "manifest": rel(p.parent / "manifest.csv", raw),
        "manifest_bytes": size,
        "manifest_sha256": sha,
        "actual_bytes": size2,
        "actual_sha256": sha2,
    }
