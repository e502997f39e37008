"""The scenario: the arrays every report is computed from, and the forms they are kept in.

One element per commune, group, customer, loan, savings book or campaign row; flows and
balances are (loans, snapshots) matrices whose column 0 is the opening snapshot.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from .calibration import Calibration

# Loan kinds
K_CONT, K_SECOND, K_SETTLED, K_NEW, K_DIRECT_OLD, K_DIRECT_NEW = range(6)
# Customer kinds
C_CONT, C_NEW, C_SETTLED, C_SAVINGS, C_DIRECT_OLD, C_DIRECT_NEW = range(6)

FLOW_TYPES = ("disb", "rev", "th", "qh", "kh", "tl", "wo", "cqh", "khn")
# Flows on a few loans only: kept as ``SparseRows`` in the branch-wide scenario.
SPARSE_FLOWS = ("rev", "qh", "kh", "wo", "cqh", "khn")


def month_day(month_index: np.ndarray, day: np.ndarray) -> np.ndarray:
    """``datetime64[D]`` of month ``month_index`` (year * 12 + month - 1), day ``min(day, 28)``,
    for whole arrays (8 bytes a date instead of a Python ``date`` object)."""
    m = (np.asarray(month_index, np.int64) - 1970 * 12).astype("datetime64[M]")
    return m.astype("datetime64[D]") + (np.minimum(day, 28) - 1).astype("timedelta64[D]")


def digits(x: np.ndarray, width: int = 1) -> np.ndarray:
    """Decimal text of non-negative integers, zero-padded to ``width``, as a fixed-width
    array no wider than needed (``astype(str)`` would make 21-character elements)."""
    x = np.asarray(x, np.int64)
    if not len(x):
        return np.zeros(0, f"<U{width}")
    w = max(width, len(str(int(x.max()))))
    return np.char.zfill(x.astype(f"<U{w}"), width)


class SparseRows:
    """A (rows, snapshots) matrix that is zero on almost every row, stored as its non-zero
    rows: reversals, overdue, frozen and write-off flows touch ~1 % of the loans, and nine
    dense flow matrices were the largest arrays of a national-size build."""

    def __init__(self, dense: np.ndarray):
        self.shape = dense.shape
        self.dtype = dense.dtype
        self.rows = np.flatnonzero(dense.any(axis=1))
        self.values = dense[self.rows]

    def take(self, sel: np.ndarray) -> np.ndarray:
        """The dense rows ``sel`` (an increasing index array)."""
        out = np.zeros((len(sel), self.shape[1]), self.dtype)
        if len(self.rows) and len(sel):
            pos = np.minimum(np.searchsorted(self.rows, sel), len(self.rows) - 1)
            hit = self.rows[pos] == sel
            out[hit] = self.values[pos[hit]]
        return out

    def column(self, m: int) -> np.ndarray:
        out = np.zeros(self.shape[0], self.dtype)
        out[self.rows] = self.values[:, m]
        return out


def dense_rows(a: np.ndarray | SparseRows, sel: np.ndarray) -> np.ndarray:
    return a.take(sel) if isinstance(a, SparseRows) else a[sel]


def dense_column(a: np.ndarray | SparseRows, m: int) -> np.ndarray:
    return a.column(m) if isinstance(a, SparseRows) else a[:, m]


def make_sparse(flows: dict, gn_wrong: np.ndarray) -> SparseRows:
    """Store the rare flows of ``flows`` (in place) and return the wrong disbursements as
    their non-zero rows."""
    for t in SPARSE_FLOWS:
        flows[t] = SparseRows(flows[t])
    return SparseRows(gn_wrong)


def roll_forward(
    opening: tuple[np.ndarray, np.ndarray, np.ndarray], flows: dict[str, np.ndarray], n_snap: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """In-term, overdue and frozen balances at every snapshot from the opening ones and the
    monthly flows (contract 4.1's balance identity, per debt status)."""
    n = len(opening[0])
    it = np.zeros((n, n_snap), np.int64)
    ov = np.zeros((n, n_snap), np.int64)
    fz = np.zeros((n, n_snap), np.int64)
    it[:, 0], ov[:, 0], fz[:, 0] = opening
    for m in range(1, n_snap):
        f = {k: v[:, m] for k, v in flows.items()}
        it[:, m] = it[:, m - 1] + f["disb"] - f["rev"] - f["th"] - f["cqh"]
        ov[:, m] = ov[:, m - 1] + f["cqh"] - f["qh"] - f["khn"]
        fz[:, m] = fz[:, m - 1] + f["khn"] - f["kh"] - f["wo"]
    return it, ov, fz


@dataclass
class Scenario:
    cal: Calibration
    dates: list[dt.date]  # snapshot dates: opening + month-ends
    communes: dict[str, np.ndarray]
    groups: dict[str, np.ndarray]
    customers: dict[str, np.ndarray]
    loans: dict[str, np.ndarray]
    # (n_loans, n_snap) in-term / overdue / frozen balances. ``build`` leaves them None (the
    # branch-wide matrices are the biggest arrays of a national run) and keeps ``opening``;
    # an office slice rolls its own forward from the flows (``roll_forward``).
    it: np.ndarray | None
    ov: np.ndarray | None
    fz: np.ndarray | None
    flows: dict[str, np.ndarray]  # type -> (n_loans, n_snap), [:,0] = December (a slice:
    # dense; branch-wide: SPARSE_FLOWS as SparseRows)
    present: np.ndarray  # (n_loans, n_snap) bool: loan in that M31
    savings: dict[str, np.ndarray]  # one element per savings book
    recon: dict[str, np.ndarray]  # one element per in-scope customer
    gn_wrong: np.ndarray  # wrong first disbursement later reversed (DK)
    notes: dict = field(default_factory=dict)
    opening: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # it, ov, fz at [:, 0]
    # Per period of a history, the snapshot indices of its first and last month-ends (None:
    # one period, every month-end after the opening).
    bounds: list[tuple[int, int]] | None = None

    @property
    def n_snap(self) -> int:
        return len(self.dates)

    @property
    def periods(self) -> list[tuple[int, int]]:
        return self.bounds or [(1, self.n_snap - 1)]

    def period_first(self, k: int) -> int:
        """The first month-end of the period that snapshot ``k`` (>= 1) belongs to."""
        return next(a for a, b in self.periods if a <= k <= b)

    def year_first(self, k: int) -> int:
        """The first month-end (index >= 1) of the calendar year of snapshot ``k``: where the
        year-to-date columns start."""
        y = self.dates[k].year
        return next(j for j in range(1, self.n_snap) if self.dates[j].year == y)

    def campaign_of(self, k: int) -> int:
        return campaign_of(self.dates, k)

    def scope_index(self, campaign_year: int) -> int:
        """The snapshot of 31 December before the campaign (its scope)."""
        return self.dates.index(dt.date(campaign_year - 1, 12, 31))


def campaign_of(dates: list[dt.date], k: int) -> int:
    """The reconciliation campaign whose register is delivered at snapshot ``k``: the year of
    the date; the opening year-end delivers the first campaign's (empty) register."""
    return dates[k].year if k > 0 else dates[0].year + 1


def customer_totals(l_cust: np.ndarray, balance: np.ndarray, n_cust: int) -> np.ndarray:
    """Each customer's sum of its loans' ``balance`` (``l_cust``: each loan's customer)."""
    out = np.zeros(n_cust, np.int64)
    np.add.at(out, l_cust, balance)
    return out


def m31_listing(start: np.ndarray, settle_month: np.ndarray, dates: list[dt.date]) -> np.ndarray:
    """(loans, snapshots) bool: which loans each M31 lists. A loan is listed from its first
    disbursement; once settled (as CLOSE) until the end of that year (contract 2.4)."""
    snap_year = np.array([d.year for d in dates])
    k = np.arange(len(dates))
    settled = settle_month > 0
    settle_year = np.where(settled, snap_year[settle_month], 0)
    return (k[None, :] >= start[:, None]) & ~(
        settled[:, None] & (snap_year[None, :] > settle_year[:, None])
    )
