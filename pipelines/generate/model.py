"""The scenario: offices, communes, groups, customers, loans and their monthly flows.

Everything is built with numpy arrays (one element per customer or per loan) from one seeded
generator, in a fixed order, so a calibration + seed + scale always gives the same scenario.

How the calibrated figures come out exactly (see docs/generator.md):

- households and groups per organization: group sizes are apportioned so that the members
  with outstanding at period end sum to the target, every group having at least one;
- outstanding per organization at period end: the balances of the loans alive at period end
  are scaled to the target, integer-exact (largest remainder, one loan takes the residue);
- entrusted change since the opening date: the Q1 principal instalments of the continuing
  loans are solved for so that (new loans) - (repayments) - (write-offs) = the change;
- loan turns, programme counts, workers and works: exact multisets of labels and apportioned
  counts over the new loans;
- reconciliation scope: the number of customers who settle in Q1 is chosen so that the
  customers with outstanding at the opening date equal the campaign scope.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from pipelines.contract.codes import (
    BRANCH_OFFICE,
    DISTRICT_OFFICES,
    ENTRUSTED_ORGS,
    PROGRAM_BY_CODE,
)

from . import names
from .alloc import apportion, split_amount
from .calibration import Calibration, PeriodLending

# ---------------------------------------------------------------------------------------------
# Structural choices (not calibration targets): plausible shapes of the Hanoi portfolio.
# ---------------------------------------------------------------------------------------------
KIND_BORROWER_WEIGHT = {"urban": 1.0, "town": 1.6, "rural": 3.0}
KIND_COMMUNE_WEIGHT = {"urban": 0.75, "town": 1.0, "rural": 1.0}
HAMLETS_PER_COMMUNE = (4, 13)
GROUP_MAX_MEMBERS = 60
GROUP_MIN_MEMBERS = 3
NEW_CUSTOMER_SHARE = 0.62  # share of Q1 turns that go to customers new to the bank
SAVINGS_ONLY_SHARE = 0.025  # savings-only members per member with outstanding
SECOND_OLD_LOAN_SHARE = 0.06  # continuing customers with a loan in a second programme
DEC_DISBURSED_SHARE = 0.015  # continuing loans first disbursed in December (opening)
TWO_BOOKS_SHARE = 0.03  # borrowers with a second savings book (contract 4.1 quirk)
SAVINGS_BOOK_SHARE = 0.92  # borrowers with a savings book at all
WORKS_PER_WATER_LOAN = 2.05  # water + sanitation works per NSVSMT loan (~8.6k loans)
REVERSAL_SHARE = 0.01  # turns with a wrong disbursement reversed (DK) and redone
TURN_MONTH_WEIGHTS = (0.36, 0.24, 0.40)  # Tết falls in February
DIRECT_MEAN_OUTSTANDING = 420_000_000
DIRECT_AT_DISTRICT_SHARE = 0.12
TROUBLED_COMMUNE_SHARE = 0.012
EMPTY_PHONE_SHARE = 0.15

ENTRUSTED_PROGRAMS = ("01", "19", "20", "03", "06", "02", "04", "07")
OLD_PROGRAM_MIX = {
    "rural": (0.05, 0.12, 0.05, 0.33, 0.22, 0.04, 0.03, 0.16),
    "town": (0.035, 0.09, 0.035, 0.47, 0.12, 0.07, 0.04, 0.14),
    "urban": (0.02, 0.06, 0.02, 0.60, 0.03, 0.10, 0.05, 0.12),
}
# (min, max, step) of the contract amount in đồng, and the terms in months.
AMOUNT_RANGE = {
    "01": (50, 100, 5),
    "19": (50, 100, 5),
    "20": (50, 100, 5),
    "03": (30, 100, 5),
    "06": (20, 40, 5),
    "02": (30, 60, 5),
    "04": (60, 100, 5),
    "07": (50, 100, 5),
    "12": (300, 900, 10),
    "30": (50, 1500, 10),
    "03d": (200, 1200, 10),
}
TERMS = {
    "01": (36, 48, 60),
    "19": (36, 48, 60),
    "20": (36, 48, 60),
    "03": (36, 60, 84, 120),
    "06": (60,),
    "02": (48, 60, 72),
    "04": (12, 24, 36),
    "07": (36, 60),
    "12": (300,),
    "30": (12,),
    "03d": (60,),
}
DIRECT_OLD_MIX = (("30", 0.50), ("12", 0.42), ("03", 0.08))
DIRECT_NEW_PROGRAMS = ("30", "12")  # alternating; never 03, which counts as job creation
CATEGORY_OF_PROGRAM = {"01": "Hộ nghèo", "19": "Hộ cận nghèo", "20": "Hộ mới thoát nghèo"}
RECON_MONTH_WEIGHTS = (0.28, 0.30, 0.42)
MAX_WORKERS_PER_LOAN = 8

# Loan kinds
K_CONT, K_SECOND, K_SETTLED, K_NEW, K_DIRECT_OLD, K_DIRECT_NEW = range(6)
# Customer kinds
C_CONT, C_NEW, C_SETTLED, C_SAVINGS, C_DIRECT_OLD, C_DIRECT_NEW = range(6)

FLOW_TYPES = ("disb", "rev", "th", "qh", "kh", "tl", "wo", "cqh", "khn")
# Flows on a few loans only: kept as ``SparseRows`` in the branch-wide scenario.
SPARSE_FLOWS = ("rev", "qh", "kh", "wo", "cqh", "khn")


def _month_day(month_index: np.ndarray, day: np.ndarray) -> np.ndarray:
    """``datetime64[D]`` of month ``month_index`` (year * 12 + month - 1), day ``min(day, 28)``,
    for whole arrays (8 bytes a date instead of a Python ``date`` object)."""
    m = (np.asarray(month_index, np.int64) - 1970 * 12).astype("datetime64[M]")
    return m.astype("datetime64[D]") + (np.minimum(day, 28) - 1).astype("timedelta64[D]")


def _digits(x: np.ndarray, width: int = 1) -> np.ndarray:
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


def people(
    rng: np.random.Generator,
    org: np.ndarray,
    district: np.ndarray,
    is_company: np.ndarray,
    first_prog: np.ndarray,
    code_base: int,
) -> dict[str, np.ndarray]:
    """Customers' personal data and codes (one element per customer, in the order given).

    ``code_base``: how many customers earlier periods already numbered; codes continue that
    sequence (a permutation of the new customers' numbers), so they stay unique."""
    n_cust = len(org)
    female = rng.random(n_cust) < np.where(
        org == 1, 0.97, np.where(org == 3, 0.35, 0.5)
    )  # Women's Union members are nearly all women
    female[org == 2] = rng.random((org == 2).sum()) < 0.12  # veterans
    person = names.person_names(rng, female)
    company = names.company_names(rng, int(is_company.sum()))
    cname = person.copy()
    cname[is_company] = company
    birth = rng.integers(1950, 2003, n_cust)
    birth[org == 3] = rng.integers(1982, 2004, (org == 3).sum())  # youth union
    birth[org == 2] = rng.integers(1945, 1975, (org == 2).sum())
    eth = np.full(n_cust, "Kinh", dtype=object)
    u = rng.random(n_cust)
    bavi = district == "Ba Vì"
    eth[bavi & (u < 0.16)] = "Mường"
    eth[bavi & (u >= 0.16) & (u < 0.20)] = "Dao"
    hill = np.isin(district, ["Mỹ Đức", "Thạch Thất", "Quốc Oai", "Chương Mỹ"])
    eth[hill & (u < 0.03)] = "Mường"
    eth[~bavi & ~hill & (u > 0.997)] = np.asarray(["Tày", "Thái", "Nùng"], dtype=object)[
        rng.integers(0, 3, (~bavi & ~hill & (u > 0.997)).sum())
    ]
    century = np.where(birth >= 2000, 2, 0) + female.astype(np.int64)
    nid = np.char.add(
        np.char.add("001", _digits(century)),
        np.char.add(_digits(birth % 100, 2), _digits(rng.integers(0, 1_000_000, n_cust), 6)),
    )
    phone = np.char.add(
        np.asarray(["09", "03", "08", "07"])[rng.integers(0, 4, n_cust)],
        _digits(rng.integers(0, 100_000_000, n_cust), 8),
    ).astype(object)
    phone[rng.random(n_cust) < EMPTY_PHONE_SHARE] = None
    category = np.full(n_cust, "Hộ gia đình", dtype=object)
    for p_, cat in CATEGORY_OF_PROGRAM.items():
        category[first_prog == p_] = cat
    category[is_company] = "Doanh nghiệp"
    code_perm = rng.permutation(n_cust)
    return {
        "code": _digits(10_000_000 + (code_base + code_perm) * 7 + 3, 10),
        "name": cname,
        "female": female,
        "birth": birth,
        "ethnicity": eth,
        "national_id": nid,
        "phone": phone,
        "category": category,
    }


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
        """The reconciliation campaign whose register is delivered at snapshot ``k``: the
        year of the date; the opening year-end delivers the first campaign's (empty) register."""
        return self.dates[k].year if k > 0 else self.dates[0].year + 1

    def scope_index(self, campaign_year: int) -> int:
        """The snapshot of 31 December before the campaign (its scope)."""
        return self.dates.index(dt.date(campaign_year - 1, 12, 31))


def turn_mix(pl_: PeriodLending, direct_end_vnd: int, where: str = "") -> tuple[int, int, int]:
    """The period's turns by kind: NSVSMT loans (``n6``, ~2 works each), the turns left
    after job creation, poor households and NSVSMT (``others``), and how many of those are
    direct loans. Raises ``ValueError`` naming the key when the figures cannot fit."""
    T, J, P = pl_.loan_turns, pl_.job_creation_turns, pl_.poor_group_turns
    K, W = pl_.water_sanitation_works, pl_.workers_attracted
    n6 = min(round(K / WORKS_PER_WATER_LOAN), T - J - P)
    if K > 0 and (n6 <= 0 or K > 4 * n6 or K < n6):
        raise ValueError(
            f"calibration: {where}period_lending.water_sanitation_works does not fit the loan "
            f"turns left after job creation and poor-household turns ({T - J - P})"
        )
    if W < J:
        raise ValueError(
            f"calibration: {where}period_lending.workers_attracted must be >= "
            "job_creation_turns (each job-creation loan attracts at least one worker)"
        )
    if W > MAX_WORKERS_PER_LOAN * J:
        raise ValueError(
            f"calibration: {where}period_lending.workers_attracted must be <= "
            f"{MAX_WORKERS_PER_LOAN} x job_creation_turns"
        )
    others = T - J - P - n6
    return n6, others, min(others // 3, direct_new_cap(direct_end_vnd))


def turn_programs(
    rng: np.random.Generator, rural: np.ndarray, n6: int, P: int, J: int, others_ent: int
) -> np.ndarray:
    """Programme of each entrusted turn (one slot per element of ``rural``, the rural score
    of its commune): exact multisets of labels, NSVSMT and poor programmes to the most rural
    slots."""
    n_poor = np.array([round(P * 0.45), round(P * 0.40)])
    poor_labels = ["01"] * int(n_poor[0]) + ["19"] * int(n_poor[1]) + ["20"] * int(P - n_poor.sum())
    o_lab = ["02", "04", "07"]
    other_labels = [o_lab[i % 3] for i in range(others_ent)]
    key = rural + rng.random(len(rural))
    order = np.argsort(-key, kind="stable")
    rural_first = order[: n6 + P]
    rest = order[n6 + P :]
    turn_prog = np.empty(len(rural), dtype=object)
    turn_prog[rng.permutation(rural_first)] = np.array(["06"] * n6 + poor_labels, dtype=object)
    turn_prog[rng.permutation(rest)] = np.array(["03"] * J + other_labels, dtype=object)
    return turn_prog


def terms_and_amounts(
    rng: np.random.Generator, amount_key: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Term (months) and contract amount (đồng) of each loan, from its programme's ranges."""
    n_loans = len(amount_key)
    term = np.zeros(n_loans, np.int64)
    amount = np.zeros(n_loans, np.int64)
    for key_, terms in TERMS.items():
        sel = amount_key == key_
        if not sel.any():
            continue
        term[sel] = np.asarray(terms)[rng.integers(0, len(terms), sel.sum())]
        lo_, hi_, st = AMOUNT_RANGE[key_]
        amount[sel] = rng.integers(lo_ // st, hi_ // st + 1, sel.sum()) * st * 1_000_000
    return term, amount


def direct_new_cap(direct_end_vnd: int) -> int:
    """How many new direct loans a direct book of ``direct_end_vnd`` at period end can hold:
    at most half of it at the largest amount a new direct loan can have, so that a book that
    has run off to almost nothing (the wage-support loans of 2021-2022) is still reachable."""
    largest = max(AMOUNT_RANGE[p][1] for p in DIRECT_NEW_PROGRAMS) * 1_000_000
    return int(direct_end_vnd // (2 * largest))


def build(cal: Calibration, seed: int, sparse: bool = True) -> Scenario:  # noqa: C901 - one linear recipe
    rng = np.random.default_rng(seed)
    dates = cal.snapshot_dates
    n_snap = len(dates)
    n_months = n_snap - 1
    year = cal.period_start.year
    pl_ = cal.period_lending

    # ----- offices and communes -------------------------------------------------------------
    offices = DISTRICT_OFFICES
    kinds = np.array([u.kind for u in offices])
    dist_w = np.array([KIND_BORROWER_WEIGHT[k] for k in kinds]) * rng.lognormal(0, 0.25, 30)
    com_w = np.array([KIND_COMMUNE_WEIGHT[k] for k in kinds]) * rng.uniform(0.7, 1.3, 30)
    n_com_d = apportion(cal.communes, com_w, lo=1)
    c_office, c_name, c_kind = [], [], []
    for i, u in enumerate(offices):
        n = int(n_com_d[i])
        if u.kind == "urban":
            nm = names.commune_names(rng, n, "Phường")
        elif u.kind == "town":
            half = n // 2
            nm = names.commune_names(rng, n - half, "Phường") + names.commune_names(rng, half, "Xã")
            nm = list(dict.fromkeys(nm))
            while len(nm) < n:  # a Phường and a Xã may not collide, but keep the count exact
                nm += [x for x in names.commune_names(rng, 1, "Xã") if x not in nm]
        else:
            nm = (
                ["Thị trấn " + u.name] + names.commune_names(rng, n - 1, "Xã")
                if n > 1
                else (names.commune_names(rng, 1, "Xã"))
            )
        c_office += [u.code] * n
        c_name += nm
        c_kind += [u.kind] * n
    n_com = len(c_name)
    c_office = np.array(c_office)
    c_kind = np.array(c_kind)
    c_dist_idx = np.repeat(np.arange(30), n_com_d)
    communes = {
        "code": np.array([f"{1 + 3 * i:06d}" for i in range(n_com)]),
        "name": np.array(c_name, dtype=object),
        "office": c_office,
        "district": np.array([offices[i].name for i in c_dist_idx], dtype=object),
        "kind": c_kind,
        "day": rng.integers(1, 29, n_com),
        "hamlets": rng.integers(HAMLETS_PER_COMMUNE[0], HAMLETS_PER_COMMUNE[1] + 1, n_com),
        "weight": (dist_w / n_com_d)[c_dist_idx] * rng.lognormal(0, 0.3, n_com),
    }
    rural_score = np.select([c_kind == "rural", c_kind == "town"], [1.0, 0.5], 0.0)
    n_troubled = max(1, round(n_com * TROUBLED_COMMUNE_SHARE))
    pw = communes["weight"] * (0.2 + rural_score)
    troubled_idx = rng.choice(n_com, size=n_troubled, replace=False, p=pw / pw.sum())
    communes["troubled"] = np.zeros(n_com, bool)
    communes["troubled"][troubled_idx] = True

    # ----- groups -------------------------------------------------------------------------
    org_codes = list(ENTRUSTED_ORGS)
    g_org_counts = np.array([cal.orgs[o].groups for o in org_codes])
    n_grp = int(g_org_counts.sum())
    if n_grp >= n_com:
        per_com = 1 + apportion(n_grp - n_com, communes["weight"])
    else:
        per_com = np.zeros(n_com, np.int64)
        per_com[rng.choice(n_com, n_grp, replace=False, p=pw / pw.sum())] = 1
    g_com = np.repeat(np.arange(n_com), per_com)
    g_org = rng.permutation(np.repeat(np.arange(4), g_org_counts))
    g_hamlet_no = (rng.random(n_grp) * communes["hamlets"][g_com]).astype(np.int64) + 1
    g_troubled = communes["troubled"][g_com]
    # Ratings: exactly the calibrated share rated Tốt; the rest first in troubled communes.
    n_good = round(cal.quality.groups_rated_good * n_grp)
    order = np.lexsort((rng.random(n_grp), ~g_troubled))
    score = rng.integers(85, 101, n_grp)
    bad = order[: n_grp - n_good]
    score[bad] = rng.integers(70, 85, len(bad))
    tb = bad[g_troubled[bad]]
    score[tb] = rng.integers(40, 70, len(tb))
    established = np.array(
        [
            dt.date(2003 + int(y), int(m), int(d))
            for y, m, d in zip(
                rng.integers(0, 18, n_grp),
                rng.integers(1, 13, n_grp),
                rng.integers(1, 29, n_grp),
                strict=True,
            )
        ],
        dtype=object,
    )

    # ----- customer counts ----------------------------------------------------------------
    H = np.array([cal.orgs[o].households for o in org_codes])
    T = pl_.loan_turns
    J, P, K = pl_.job_creation_turns, pl_.poor_group_turns, pl_.water_sanitation_works
    W = pl_.workers_attracted
    n6, others, others_direct = turn_mix(pl_, cal.direct_outstanding_vnd)
    t_ent = T - others_direct
    t_org = apportion(t_ent, H)
    new_org = np.minimum(np.round(t_org * NEW_CUSTOMER_SHARE).astype(np.int64), H - 1)
    second_org = t_org - new_org  # turns to continuing customers (a second programme)
    cont_org = H - new_org
    if (second_org > cont_org).any():
        raise ValueError("calibration: orgs.*.households too few for the period's loan turns")
    # Direct lending at period end
    d_old_target = cal.direct_outstanding_vnd
    n_dold = max(1, round(d_old_target / DIRECT_MEAN_OUTSTANDING))
    S = cal.reconciliation.in_scope
    settled_total = S - n_dold - int(cont_org.sum())
    if settled_total < 0:
        raise ValueError(
            "calibration: reconciliation.in_scope is smaller than the customers who must have "
            "had outstanding at opening_date (households at period end minus new borrowers)"
        )
    settled_org = apportion(settled_total, H)
    saving_org = np.round(H * SAVINGS_ONLY_SHARE).astype(np.int64)

    # ----- members per group --------------------------------------------------------------
    active = np.zeros(n_grp, np.int64)
    extra = np.zeros(n_grp, np.int64)
    for o in range(4):
        gi = np.flatnonzero(g_org == o)
        m = H[o] / len(gi)
        raw = np.clip(rng.normal(m, 0.28 * m, len(gi)), 1, GROUP_MAX_MEMBERS - 5)
        lo = min(GROUP_MIN_MEMBERS, H[o] // len(gi))
        active[gi] = apportion(int(H[o]), raw, lo=lo, hi=GROUP_MAX_MEMBERS - 2)
        n_extra = int(settled_org[o] + saving_org[o])
        cap = GROUP_MAX_MEMBERS - active[gi]
        extra[gi] = apportion(n_extra, active[gi] * rng.uniform(0.5, 1.5, len(gi)), hi=cap)

    # Customer table: per group, active members first, then settled and savings-only.
    cust_group = np.repeat(np.arange(n_grp), active + extra)
    pos_in_group = np.arange(len(cust_group)) - np.repeat(
        np.cumsum(active + extra) - (active + extra), active + extra
    )
    is_active = pos_in_group < np.repeat(active, active + extra)
    c_kind_arr = np.full(len(cust_group), C_CONT, np.int64)
    for o in range(4):
        org_mask = g_org[cust_group] == o
        act = np.flatnonzero(org_mask & is_active)
        newc = rng.choice(act, int(new_org[o]), replace=False)
        c_kind_arr[newc] = C_NEW
        ext = rng.permutation(np.flatnonzero(org_mask & ~is_active))
        c_kind_arr[ext[: settled_org[o]]] = C_SETTLED
        c_kind_arr[ext[settled_org[o] :]] = C_SAVINGS
    # Group leaders: the first continuing member (any member if none).
    n_ent_c = len(cust_group)

    # Direct customers: old then new.
    n_dnew = others_direct
    n_dir = n_dold + n_dnew
    d_at_0100 = rng.random(n_dir) >= DIRECT_AT_DISTRICT_SHARE
    dw = communes["weight"] * (1.5 - rural_score)
    d_com = rng.choice(n_com, n_dir, p=dw / dw.sum())

    n_cust = n_ent_c + n_dir
    cust = {
        "kind": np.concatenate(
            [c_kind_arr, np.full(n_dold, C_DIRECT_OLD), np.full(n_dnew, C_DIRECT_NEW)]
        ),
        "group": np.concatenate([cust_group, np.full(n_dir, -1)]),
        "commune": np.concatenate([g_com[cust_group], d_com]),
    }
    cust["org"] = np.where(cust["group"] >= 0, g_org[np.maximum(cust["group"], 0)], 4)
    cust["office"] = np.where(
        cust["group"] >= 0,
        communes["office"][cust["commune"]],
        np.where(
            np.concatenate([np.zeros(n_ent_c, bool), d_at_0100]),
            BRANCH_OFFICE,
            communes["office"][cust["commune"]],
        ),
    )
    cust["hamlet_no"] = np.where(
        cust["group"] >= 0,
        g_hamlet_no[np.maximum(cust["group"], 0)],
        (rng.random(n_cust) * communes["hamlets"][cust["commune"]]).astype(np.int64) + 1,
    )

    # ----- loans --------------------------------------------------------------------------
    kind_of_commune = c_kind[cust["commune"]]
    old_prog = np.empty(n_cust, dtype=object)
    for k, mix in OLD_PROGRAM_MIX.items():
        sel = kind_of_commune == k
        old_prog[sel] = np.asarray(ENTRUSTED_PROGRAMS, dtype=object)[
            rng.choice(8, sel.sum(), p=np.array(mix) / sum(mix))
        ]
    ent_idx = np.arange(n_ent_c)
    cont_c = ent_idx[c_kind_arr == C_CONT]
    settled_c = ent_idx[c_kind_arr == C_SETTLED]
    new_c = ent_idx[c_kind_arr == C_NEW]
    second_mask = rng.random(len(cont_c)) < SECOND_OLD_LOAN_SHARE
    second_c = cont_c[second_mask]
    second_prog = np.asarray(ENTRUSTED_PROGRAMS, dtype=object)[rng.integers(0, 8, len(second_c))]
    clash = second_prog == old_prog[second_c]
    second_prog[clash] = np.where(old_prog[second_c][clash] == "03", "06", "03")

    # Turns: exact multisets of programmes, NSVSMT and poor programmes to the most rural slots.
    slots_new = new_c  # customers new to the bank
    slots_sec = np.concatenate(
        [
            rng.choice(cont_c[g_org[cust_group[cont_c]] == o], int(second_org[o]), replace=False)
            for o in range(4)
        ]
    )
    turn_cust = np.concatenate([slots_new, slots_sec])
    others_ent = others - others_direct
    turn_prog = turn_programs(rng, rural_score[cust["commune"][turn_cust]], n6, P, J, others_ent)
    # A continuing customer's new loan must not duplicate their existing programme.
    sec_pos = np.arange(len(slots_new), len(turn_cust))
    dup = turn_prog[sec_pos] == old_prog[turn_cust[sec_pos]]
    old_prog[turn_cust[sec_pos][dup]] = np.where(turn_prog[sec_pos][dup] == "07", "03", "07")
    has_sec_old = np.isin(second_c, turn_cust[sec_pos])
    second_c, second_prog = second_c[~has_sec_old], second_prog[~has_sec_old]

    d_old_c = np.arange(n_ent_c, n_ent_c + n_dold)
    d_new_c = np.arange(n_ent_c + n_dold, n_cust)
    dp = np.array([p for _, p in DIRECT_OLD_MIX])
    d_old_prog = np.asarray([c for c, _ in DIRECT_OLD_MIX], dtype=object)[
        rng.choice(3, n_dold, p=dp / dp.sum())
    ]
    d_new_prog = np.asarray(DIRECT_NEW_PROGRAMS, dtype=object)[np.arange(n_dnew) % 2]
    # Direct social-housing loans at district offices are individuals; enterprises borrow at
    # the branch office.
    old_prog[d_old_c] = d_old_prog
    old_prog[d_new_c] = d_new_prog

    l_cust = np.concatenate([cont_c, second_c, settled_c, turn_cust, d_old_c, d_new_c])
    l_kind = np.concatenate(
        [
            np.full(len(cont_c), K_CONT),
            np.full(len(second_c), K_SECOND),
            np.full(len(settled_c), K_SETTLED),
            np.full(len(turn_cust), K_NEW),
            np.full(n_dold, K_DIRECT_OLD),
            np.full(n_dnew, K_DIRECT_NEW),
        ]
    )
    l_prog = np.concatenate(
        [
            old_prog[cont_c],
            second_prog,
            old_prog[settled_c],
            turn_prog,
            d_old_prog,
            d_new_prog,
        ]
    ).astype(object)
    n_loans = len(l_cust)
    direct = l_kind >= K_DIRECT_OLD
    is_new = (l_kind == K_NEW) | (l_kind == K_DIRECT_NEW)
    l_org = cust["org"][l_cust]
    amount_key = np.where(direct & (l_prog == "03"), "03d", l_prog)

    term, amount = terms_and_amounts(rng, amount_key)

    # Outputs: workers (GQVL, XKLD, TLNV), works (NSVSMT)
    workers = np.zeros(n_loans, np.int64)
    water = np.zeros(n_loans, np.int64)
    sanit = np.zeros(n_loans, np.int64)
    turn03 = np.flatnonzero(is_new & (l_prog == "03"))
    if len(turn03):
        workers[turn03] = apportion(
            W, rng.gamma(2.0, 1.0, len(turn03)), lo=1, hi=MAX_WORKERS_PER_LOAN
        )
    old03 = np.flatnonzero(~is_new & (l_prog == "03"))
    workers[old03] = np.where(
        direct[old03], rng.integers(5, 60, len(old03)), rng.integers(1, 4, len(old03))
    )
    sel = l_prog == "04"
    workers[sel] = 1
    sel = l_prog == "30"
    workers[sel] = rng.integers(8, 250, sel.sum())
    turn06 = np.flatnonzero(is_new & (l_prog == "06"))
    if len(turn06):
        tot = apportion(K, np.ones(len(turn06)) + rng.random(len(turn06)) * 0.1, lo=1, hi=4)
        water[turn06] = np.minimum(1, tot)
        sanit[turn06] = tot - water[turn06]
        amount[turn06] = np.minimum(tot, 2) * 20_000_000
    old06 = np.flatnonzero(~is_new & (l_prog == "06"))
    water[old06] = rng.integers(0, 2, len(old06))
    sanit[old06] = 1

    # Rates: GQVL at the priority rate for a tenth of households (disabled, ethnic minorities).
    rate = np.array([PROGRAM_BY_CODE[p].rate_pct_month for p in l_prog])
    prio = (l_prog == "03") & ~direct & (rng.random(n_loans) < 0.1)
    rate[prio] = PROGRAM_BY_CODE["03"].priority_rate_pct_month
    funding = np.where(rng.random(n_loans) < 0.18, "2", "1")  # city budget entrusted share

    # Transaction day: the commune's day for entrusted loans; the branch's own for direct.
    tday = np.where(direct, rng.integers(1, 29, n_loans), communes["day"][cust["commune"][l_cust]])

    # Months: 0 = December (opening), 1..n_months = the period's months.
    flows = {t: np.zeros((n_loans, n_snap), np.int64) for t in FLOW_TYPES}
    gn_wrong = np.zeros((n_loans, n_snap), np.int64)
    start_month = np.zeros(n_loans, np.int64)  # first snapshot index the loan appears in
    tw = np.array(TURN_MONTH_WEIGHTS[:n_months], float)
    if len(tw) < n_months:
        tw = np.ones(n_months)
    new_i = np.flatnonzero(is_new)
    start_month[new_i] = 1 + rng.choice(n_months, len(new_i), p=tw / tw.sum())

    # Disbursement dates
    age = np.zeros(n_loans, np.int64)
    settled_i = np.flatnonzero(l_kind == K_SETTLED)
    cont_like = np.flatnonzero((l_kind == K_CONT) | (l_kind == K_SECOND) | (l_kind == K_DIRECT_OLD))
    max_age = np.maximum(1, term[cont_like] - n_months - 2)
    age[cont_like] = 1 + (rng.random(len(cont_like)) * max_age).astype(np.int64)
    dec = cont_like[(rng.random(len(cont_like)) < DEC_DISBURSED_SHARE) & ~direct[cont_like]]
    age[dec] = 0
    settle_month = np.zeros(n_loans, np.int64)
    settle_month[settled_i] = 1 + rng.integers(0, n_months, len(settled_i))
    age[settled_i] = term[settled_i] - settle_month[settled_i]
    opening = cal.opening_date
    if len(tday) and tday.min() < 1:
        raise AssertionError("generator bug: a transaction day below 1")
    disb_month = np.where(is_new, start_month, -age) + opening.year * 12 + opening.month - 1
    disb_date = _month_day(disb_month, tday)
    mat_date = _month_day(disb_month + term, tday)
    del disb_month

    # ----- balances at period end ---------------------------------------------------------
    end_bal = np.zeros(n_loans, np.int64)
    end_bal[new_i] = amount[new_i]
    end_bal[dec] = amount[dec]
    remaining = 1 - 0.85 * (age / np.maximum(term, 1)) * rng.uniform(0.75, 1.0, n_loans)
    raw_end = amount * np.clip(remaining, 0.05, 1.0)
    scalable = np.zeros(n_loans, bool)
    scalable[cont_like] = True
    scalable[dec] = False
    for o in range(5):
        in_o = l_org == o
        target = cal.orgs[org_codes[o]].outstanding_vnd if o < 4 else cal.direct_outstanding_vnd
        fixed = int(end_bal[in_o & ~scalable].sum())
        sel = np.flatnonzero(in_o & scalable)
        if target - fixed <= 0 or len(sel) == 0:
            raise ValueError(
                f"calibration: outstanding of organization {'99' if o == 4 else org_codes[o]} "
                "is too small for its new loans"
            )
        end_bal[sel] = split_amount(target - fixed, raw_end[sel])
    if (end_bal[cont_like] <= 0).any():
        raise ValueError("calibration: outstanding targets too small for the number of loans")

    # ----- troubled loans: overdue, frozen, written off -----------------------------------
    it = np.zeros((n_loans, n_snap), np.int64)
    ov = np.zeros((n_loans, n_snap), np.int64)
    fz = np.zeros((n_loans, n_snap), np.int64)
    total_end = sum(o.outstanding_vnd for o in cal.orgs.values()) + cal.direct_outstanding_vnd
    of_target = cal.quality.overdue_frozen_ratio * total_end
    cand = np.flatnonzero(
        (l_kind == K_CONT) & communes["troubled"][cust["commune"][l_cust]] & (age > 0)
    )
    mean_bad = max(1.0, float(end_bal[cand].mean()) * 0.65) if len(cand) else 1.0
    # At least one loan of each troubled kind, so every journal type appears at any scale.
    n_bad = min(len(cand), max(4, round(of_target / mean_bad))) if of_target > 0 else 0
    bad = rng.choice(cand, n_bad, replace=False) if n_bad else np.zeros(0, np.int64)
    bad_type = rng.permutation(np.arange(n_bad) % 4)
    bad_month = 1 + rng.integers(0, n_months, n_bad)
    q = (end_bal[bad] * rng.uniform(0.3, 1.0, n_bad) // 1000 * 1000).astype(np.int64)
    q = np.maximum(np.minimum(q, end_bal[bad]), 1)
    open_ov = np.zeros(n_loans, np.int64)
    open_fz = np.zeros(n_loans, np.int64)
    for j, i in enumerate(bad):
        m, qq, t_ = int(bad_month[j]), int(q[j]), int(bad_type[j])
        if t_ == 0:
            flows["cqh"][i, m] = qq
        elif t_ == 1:
            p = max(1000, qq * int(rng.integers(10, 50)) // 100 // 1000 * 1000)
            open_ov[i] = qq + p
            flows["qh"][i, m] = p
        elif t_ == 2:
            open_ov[i] = qq
            flows["khn"][i, m] = qq
        else:
            wo = max(1000, qq * int(rng.integers(20, 60)) // 100 // 1000 * 1000)
            k = 1000 * int(rng.integers(1, 500))
            open_fz[i] = qq + wo + k
            flows["wo"][i, m] = wo
            flows["kh"][i, 1 + (m % n_months)] = k
    is_bad = np.zeros(n_loans, bool)
    is_bad[bad] = True

    # ----- settled loans: the final instalment(s) -----------------------------------------
    open_bal = np.zeros(n_loans, np.int64)
    frac = rng.uniform(0.04, 0.3, len(settled_i))
    open_bal[settled_i] = np.maximum(1, (amount[settled_i] * frac) // 1000 * 1000)
    two_part = (rng.random(len(settled_i)) < 0.4) & (settle_month[settled_i] > 1)
    for j, i in enumerate(settled_i):
        m = int(settle_month[i])
        if two_part[j]:
            first = open_bal[i] // 2 // 1000 * 1000
            flows["th"][i, m - 1] = first
            flows["th"][i, m] = open_bal[i] - first
        else:
            flows["th"][i, m] = open_bal[i]

    # ----- new loans: disbursement, a few reversals -----------------------------------------
    flows["disb"][new_i, start_month[new_i]] = amount[new_i]
    n_rev = round(len(new_i) * REVERSAL_SHARE)
    rev_i = rng.choice(new_i, n_rev, replace=False) if n_rev else np.zeros(0, np.int64)
    wrong = amount[rev_i] + rng.integers(1, 10, len(rev_i)) * 1_000_000
    gn_wrong[rev_i, start_month[rev_i]] = wrong
    flows["disb"][rev_i, start_month[rev_i]] += wrong
    flows["rev"][rev_i, start_month[rev_i]] = wrong

    # ----- instalments of continuing loans: solve the entrusted change exactly -------------
    ent = ~direct
    fixed_out = (
        flows["th"][ent].sum()
        + flows["qh"][ent].sum()
        + flows["kh"][ent].sum()
        + flows["wo"][ent].sum()
    )
    net_new = (flows["disb"][ent] - flows["rev"][ent]).sum()
    need = int(net_new - fixed_out - cal.entrusted_change_vnd)
    if need < 0:
        raise ValueError(
            "calibration: entrusted_change_vnd is larger than the period's new lending allows"
        )
    payers = np.flatnonzero(((l_kind == K_CONT) | (l_kind == K_SECOND)) & ~is_bad & (age > 0))
    freq = rng.choice(3, len(payers), p=[0.45, 0.40, 0.15])  # monthly, quarterly, none
    pay = payers[freq < 2]
    freq = freq[freq < 2]
    weights = end_bal[pay] * rng.uniform(0.5, 1.5, len(pay))
    if cal.org_change_vnd is None:
        r = split_amount(need, weights)
    else:
        # Each organization's change (F15): its own instalments, solved the same way.
        r = np.zeros(len(pay), np.int64)
        for o, org in enumerate(org_codes):
            in_o = l_org == o
            need_o = int(
                (flows["disb"][in_o] - flows["rev"][in_o]).sum()
                - sum(flows[t][in_o].sum() for t in ("th", "qh", "kh", "wo"))
                - cal.org_change_vnd[org]
            )
            if need_o < 0:
                raise ValueError(
                    f"calibration: org_change_vnd.{org} is larger than the period's new "
                    f"lending in organization {org} allows"
                )
            sel = l_org[pay] == o
            r[sel] = split_amount(need_o, weights[sel])
    monthly = freq == 0
    base = (r[monthly] // n_months) // 1000 * 1000
    for m in range(1, n_months + 1):
        flows["th"][pay[monthly], m] += base if m < n_months else r[monthly] - base * (n_months - 1)
    qm = 1 + rng.integers(0, n_months, (~monthly).sum())
    flows["th"][pay[~monthly], qm] += r[~monthly]
    # Direct loans: social housing repays monthly; the others at maturity.
    d_old_i = np.flatnonzero(l_kind == K_DIRECT_OLD)
    d_pay = d_old_i[l_prog[d_old_i] == "12"]
    inst = (end_bal[d_pay] * rng.uniform(0.004, 0.012, len(d_pay)) // 1000 * 1000).astype(np.int64)
    for m in range(1, n_months + 1):
        flows["th"][d_pay, m] = inst

    # ----- opening balances, then roll forward ---------------------------------------------
    period = slice(1, n_snap)
    out_period = (
        flows["th"][:, period]
        + flows["qh"][:, period]
        + flows["kh"][:, period]
        + flows["wo"][:, period]
    ).sum(1)
    in_period = (flows["disb"][:, period] - flows["rev"][:, period]).sum(1)
    open_bal[~is_new] = end_bal[~is_new] + out_period[~is_new] - in_period[~is_new]
    open_bal[is_new] = 0
    del it, ov, fz
    it, ov, fz = roll_forward((open_bal - open_ov - open_fz, open_ov, open_fz), flows, n_snap)
    if (it < 0).any() or (ov < 0).any() or (fz < 0).any():
        raise AssertionError("generator bug: a negative balance")
    tot = it + ov + fz
    assert (tot[:, -1] == end_bal).all(), "generator bug: period-end balances drifted"
    # The contract amount covers the largest balance the loan ever had.
    need_amt = np.maximum(open_bal, amount)
    step = np.where(direct, 10_000_000, 5_000_000)
    amount = np.where(open_bal > amount, -(-need_amt // step) * step, amount)

    # ----- interest ------------------------------------------------------------------------
    present = np.ones((n_loans, n_snap), bool)
    present[new_i, :] = np.arange(n_snap)[None, :] >= start_month[new_i][:, None]
    earns = (~is_bad) & (rate > 0)
    for m in range(1, n_snap):
        flows["tl"][:, m] = np.where(earns, np.rint(tot[:, m - 1] * rate / 100), 0).astype(np.int64)
    flows["tl"][:, 0] = np.where(earns & (age > 0), np.rint(tot[:, 0] * rate / 100), 0).astype(
        np.int64
    )
    flows["disb"][dec, 0] = amount[dec]
    # December repayments of monthly payers are part of the opening picture (no journal).
    loans = {
        "customer": l_cust,
        "kind": l_kind,
        "program": l_prog,
        "org": l_org,
        "direct": direct,
        "is_new": is_new,
        "start": start_month,
        "settle_month": settle_month,
        "age": age,
        "term": term,
        "amount": amount,
        "rate": rate,
        "funding": funding,
        "tday": tday,
        "disb_date": disb_date,
        "mat_date": mat_date,
        "workers": workers,
        "water": water,
        "sanit": sanit,
        "bad": is_bad,
    }

    # The balance matrices and the loan-level working arrays are not needed any more: free
    # them before the customers' texts (the build's peak; see docs/generator.md, memory).
    opening_bal = (it[:, 0].copy(), ov[:, 0].copy(), fz[:, 0].copy())
    open_tot = tot[:, 0].copy()
    del it, ov, fz, tot, earns, need_amt, step, open_bal, open_ov, open_fz
    del out_period, in_period, end_bal, raw_end, remaining, scalable, amount_key, kind_of_commune
    if sparse:  # a history extends the dense matrices first (``history.py``)
        for t in SPARSE_FLOWS:
            flows[t] = SparseRows(flows[t])
        gn_wrong = SparseRows(gn_wrong)

    # ----- customers' personal data ------------------------------------------------------
    is_company = np.zeros(n_cust, bool)
    is_company[np.concatenate([d_old_c, d_new_c])] = np.isin(
        old_prog[np.concatenate([d_old_c, d_new_c])], ["30", "03"]
    )
    # Category from the customer's first loan programme; savings-only members are households.
    first_prog = np.full(n_cust, "", dtype=object)
    first_prog[l_cust[::-1]] = l_prog[::-1]
    cust.update(
        people(rng, cust["org"], communes["district"][cust["commune"]], is_company, first_prog, 0)
    )
    # Group leaders: a continuing member of the group (the first member otherwise).
    leader = np.full(n_grp, -1, np.int64)
    members_idx = np.arange(n_ent_c)
    pref = np.where(c_kind_arr == C_CONT, 0, 1)
    o2 = np.lexsort((members_idx, pref, cust_group))
    first_pos = np.r_[0, np.flatnonzero(np.diff(cust_group[o2])) + 1]
    leader[cust_group[o2][first_pos]] = o2[first_pos]
    groups = {
        "code": _digits(100_001 + np.arange(n_grp), 7),
        "commune": g_com,
        "org": g_org,
        "hamlet_no": g_hamlet_no,
        "leader": leader,
        "score": score,
        "established": established,
        "troubled": g_troubled,
    }

    # ----- savings books (TK 105) -----------------------------------------------------------
    borrower = (cust["kind"] != C_SAVINGS) & (cust["group"] >= 0)
    has_book = borrower & (rng.random(n_cust) < SAVINGS_BOOK_SHARE)
    has_book |= cust["kind"] == C_SAVINGS
    two = has_book & borrower & (rng.random(n_cust) < TWO_BOOKS_SHARE)
    book_cust = np.concatenate([np.flatnonzero(has_book), np.flatnonzero(two)])
    book_no = np.concatenate([np.ones(has_book.sum(), np.int64), np.full(two.sum(), 2)])
    o3 = np.lexsort((book_no, book_cust))
    book_cust, book_no = book_cust[o3], book_no[o3]
    nb = len(book_cust)
    sav0 = rng.integers(200, 8000, nb) * 1000
    dep = rng.integers(5, 30, nb) * 10_000
    sav = sav0[:, None] + dep[:, None] * np.arange(n_snap)[None, :]
    savings = {
        "customer": book_cust,
        "no": book_no,
        "code": np.char.add(np.char.add("105", _digits(book_cust + 1, 8)), _digits(book_no)),
        "balance": sav,
        # How the balances were made, so that a history extends them (``history.py``).
        "sav0": sav0,
        "dep": dep,
        "from": np.zeros(nb, np.int64),
    }

    # The contract's code widths (4.1): ``_digits`` widens rather than truncates, so a scale
    # too large for a code shows here instead of as a silently longer or duplicated code.
    for what, codes, width in (
        ("Mã tổ (group code)", groups["code"], 7),
        ("Mã KH (customer code)", cust["code"], 10),
        ("Số sổ TK 105 (savings book number)", savings["code"], 12),
    ):
        if codes.dtype.itemsize // 4 > width:
            raise ValueError(f"scale too large: {what} would exceed {width} characters")

    # ----- reconciliation campaign -----------------------------------------------------------
    c_open = np.bincount(l_cust, weights=open_tot, minlength=n_cust) > 0
    scope = np.flatnonzero(c_open)
    if len(scope) != S:
        raise AssertionError(f"generator bug: scope {len(scope)} != {S}")
    R = cal.reconciliation.reconciled
    com_rank = rng.permutation(n_com)
    keyr = com_rank[cust["commune"][scope]] + rng.random(len(scope)) * 3.0
    order = np.argsort(keyr, kind="stable")
    rec_month = np.zeros(len(scope), np.int64)
    done = order[:R]
    rm = np.repeat(
        np.arange(1, n_months + 1),
        apportion(
            R, np.array(RECON_MONTH_WEIGHTS[:n_months] if n_months == 3 else np.ones(n_months))
        ),
    )
    rec_month[done] = rm
    # The customer's meeting day: the commune's transaction day (the loan's own for direct).
    c_day = np.zeros(n_cust, np.int64)
    c_day[l_cust[::-1]] = tday[::-1]
    rank = np.empty(len(scope), np.int64)
    rank[order] = np.arange(len(scope))
    recon = {
        "customer": scope,
        "month": rec_month,
        "day": c_day[scope],
        # The campaign year (a history has one per calendar year) and each customer's place in
        # the campaign's order, which later periods of the year continue.
        "campaign": np.full(len(scope), cal.reconciliation.campaign_year, np.int64),
        "rank": rank,
    }

    return Scenario(
        cal=cal,
        dates=dates,
        communes=communes,
        groups=groups,
        customers=cust,
        loans=loans,
        it=None,
        ov=None,
        fz=None,
        flows=flows,
        present=present,
        savings=savings,
        recon=recon,
        gn_wrong=gn_wrong,
        notes={
            "n_troubled_loans": int(n_bad),
            "settled_customers": int(settled_total),
            "new_customers": int(new_org.sum()),
            "reversals": int(n_rev),
            "year": year,
        },
        opening=opening_bal,
    )
