"""A later period's flows: its new loans' disbursements, the settlers' last instalments, the
period's trouble, and the principal instalments that make each organization's and the
direct book's outstanding at the period's end exact.

Matrices here are (every loan, the period's months): the old loans first, then the new.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipelines.contract.codes import BRANCH_OFFICE, ENTRUSTED_ORGS

from .alloc import apportion
from .assumptions import (
    DIRECT_EARLY_SHARE,
    FROZEN_ACTIONS,
    MIN_BALANCE,
    OVERDUE_ACTIONS,
    PAYER_FREQUENCY,
    STEP,
    TWO_PART_SETTLEMENT,
)
from .flows import disburse
from .period import Period
from .scenario import FLOW_TYPES, Scenario
from .turnover import Turnover


@dataclass(frozen=True)
class PeriodFlows:
    flows: dict[str, np.ndarray]
    gn_wrong: np.ndarray
    bad: np.ndarray  # loans with overdue or frozen debt, or turned overdue in the period
    notes: dict


@dataclass(frozen=True)
class _Book:
    """The loans at the previous end, the new ones (zero) appended."""

    n_old: int
    it0: np.ndarray
    ov0: np.ndarray
    fz0: np.ndarray
    tot0: np.ndarray
    cust: np.ndarray
    org: np.ndarray
    mat: np.ndarray  # maturity dates


def month_of(d: np.ndarray, per: Period) -> np.ndarray:
    """The month (0..n_m-1) of each date within the period, or -1 outside it."""
    end_day = np.datetime64(per.cal.period_end, "D")
    first_of = [np.datetime64(m.replace(day=1), "D") for m in per.months]
    j = np.searchsorted(np.array(first_of), d, side="right") - 1
    return np.where((d >= first_of[0]) & (d <= end_day), j, -1)


def period_flows(
    rng: np.random.Generator,
    sc: Scenario,
    per: Period,
    t: Turnover,
    new_cust: dict[str, np.ndarray],
    NL: dict[str, np.ndarray],
) -> PeriodFlows:
    """Every flow of the period. Records on ``sc.loans`` which old loans settle (and when)
    and which turn troubled; a new loan may lend more where a book must grow."""
    L = sc.loans
    n_old, n_new = len(L["customer"]), len(NL["customer"])
    n = n_old + n_new
    z = np.zeros(n_new, np.int64)
    it0 = np.concatenate([per.it0, z])
    ov0 = np.concatenate([per.ov0, z])
    fz0 = np.concatenate([per.fz0, z])
    b = _Book(
        n_old=n_old,
        it0=it0,
        ov0=ov0,
        fz0=fz0,
        tot0=it0 + ov0 + fz0,
        cust=np.concatenate([L["customer"], NL["customer"]]),
        org=np.concatenate([L["org"], NL["org"]]),
        mat=np.concatenate([L["mat_date"], NL["mat_date"]]).astype("datetime64[D]"),
    )
    F = {t_: np.zeros((n, per.n_m), np.int64) for t_ in FLOW_TYPES}
    wrong_f = np.zeros((n, per.n_m), np.int64)
    new_i = n_old + np.arange(n_new)
    js = NL["start"] - per.k0 - 1
    n_rev = disburse(rng, F, wrong_f, new_i, js, NL["amount"])
    settling = _settlements(rng, sc, per, t, b, F)
    bad, n_bad = _trouble(rng, sc, per, t, b, F, new_cust, settling)
    _organization_instalments(rng, per, b, F, settling, bad, NL, new_i, js)
    n_settled = _direct_book(rng, sc, per, b, F, new_cust, NL, new_i, js)
    return PeriodFlows(
        flows=F,
        gn_wrong=wrong_f,
        bad=bad,
        notes={
            "troubled_loans_new": n_bad,
            "direct_settled": n_settled,
            "reversals": int(n_rev),
        },
    )


def _settlements(
    rng: np.random.Generator,
    sc: Scenario,
    per: Period,
    t: Turnover,
    b: _Book,
    F: dict[str, np.ndarray],
) -> np.ndarray:
    """Every open loan of a settler settles in its customer's latest maturity month (any
    month when that is outside the period), some over two months."""
    L = sc.loans
    settling = np.zeros(len(b.it0), bool)
    settling[: b.n_old] = t.settler[L["customer"]] & (per.tot0 > 0)
    si = np.flatnonzero(settling)
    c_month = month_of(t.latest_maturity.astype("datetime64[D]"), per)
    c_month = np.where(c_month >= 0, c_month, rng.integers(0, per.n_m, len(c_month)))
    sj = c_month[b.cust[si]]
    two = (rng.random(len(si)) < TWO_PART_SETTLEMENT) & (sj > 0)
    first_part = b.it0[si] // 2 // STEP * STEP
    F["th"][si[two], sj[two] - 1] = first_part[two]
    F["th"][si, sj] += np.where(two, b.it0[si] - first_part, b.it0[si])
    L["settle_month"][si] = per.k0 + 1 + sj
    return settling


def _trouble(
    rng: np.random.Generator,
    sc: Scenario,
    per: Period,
    t: Turnover,
    b: _Book,
    F: dict[str, np.ndarray],
    new_cust: dict[str, np.ndarray],
    settling: np.ndarray,
) -> tuple[np.ndarray, int]:
    """Part of the overdue debt is collected (TNQH) or frozen (KHN), part of the frozen debt
    written off (XN) or collected (TNKH); new overdue debt (CQH) in troubled communes brings
    the stock back near the period's ratio (approximate). Returns the troubled loans and how
    many turned troubled."""
    cal, L, n_m = per.cal, sc.loans, per.n_m
    n_old, ov0, fz0, tot0 = b.n_old, b.ov0, b.fz0, b.tot0
    bad = np.concatenate([L["bad"], np.zeros(len(tot0) - n_old, bool)]) | (ov0 + fz0 > 0)
    stock = int((ov0 + fz0).sum())
    ovl = np.flatnonzero(ov0 > 0)
    act = rng.choice(3, len(ovl), p=OVERDUE_ACTIONS)
    when = rng.integers(0, n_m, len(ovl))
    paid = np.minimum(ov0[ovl], tot0[ovl] - MIN_BALANCE) // STEP * STEP
    col = (act == 0) & (paid > 0)
    F["qh"][ovl[col], when[col]] = paid[col]
    F["khn"][ovl[act == 1], when[act == 1]] = ov0[ovl[act == 1]]
    stock -= int(paid[col].sum())
    fzl = np.flatnonzero((fz0 > 0) & (ov0 == 0))
    act = rng.choice(3, len(fzl), p=FROZEN_ACTIONS)
    when = rng.integers(0, n_m, len(fzl))
    room = np.minimum(fz0[fzl], tot0[fzl] - MIN_BALANCE)
    wo = np.minimum(
        (fz0[fzl] * rng.uniform(0.2, 0.6, len(fzl))).astype(np.int64) // STEP * STEP, room
    )
    kh = np.minimum(STEP * rng.integers(1, 500, len(fzl)), room)
    w_ok = (act == 0) & (wo > 0)
    k_ok = (act == 1) & (kh > 0)
    F["wo"][fzl[w_ok], when[w_ok]] = wo[w_ok]
    F["kh"][fzl[k_ok], when[k_ok]] = kh[k_ok]
    stock -= int(wo[w_ok].sum() + kh[k_ok].sum())
    total_end = sum(o.outstanding_vnd for o in cal.orgs.values()) + cal.direct_outstanding_vnd
    target = cal.quality.overdue_frozen_ratio * total_end
    com_troubled = np.concatenate([sc.customers["commune"], new_cust["commune"]])
    com_troubled = sc.communes["troubled"][com_troubled]
    sec = np.zeros(n_old, bool)
    if t.second:
        sec_c = np.zeros(len(t.settler), bool)
        sec_c[np.concatenate(t.second)] = True
        sec = sec_c[L["customer"]]
    cand = np.flatnonzero(
        (per.it0 >= 2 * MIN_BALANCE)
        & ~bad[:n_old]
        & ~settling[:n_old]
        & ~sec
        & ~L["direct"]
        & com_troubled[L["customer"]]
    )
    n_bad = 0
    if target > stock and len(cand):
        mean_q = max(1.0, float(per.it0[cand].mean()) * 0.65)
        n_bad = int(min(len(cand), max(1, round((target - stock) / mean_q))))
        bi = rng.choice(cand, n_bad, replace=False)
        q = (per.it0[bi] * rng.uniform(0.3, 1.0, n_bad)).astype(np.int64) // STEP * STEP
        q = np.clip(q, STEP, per.it0[bi])
        F["cqh"][bi, rng.integers(0, n_m, n_bad)] = q
        bad[bi] = True
        L["bad"][bi] = True
    return bad, n_bad


def _organization_instalments(
    rng: np.random.Generator,
    per: Period,
    b: _Book,
    F: dict[str, np.ndarray],
    settling: np.ndarray,
    bad: np.ndarray,
    NL: dict[str, np.ndarray],
    new_i: np.ndarray,
    js: np.ndarray,
) -> None:
    """The continuing entrusted loans' instalments: each organization's end exactly. Where
    an organization grows faster than its new loans lend, those lend more (5-million
    steps)."""
    cal, n_old, it0, tot0 = per.cal, b.n_old, b.it0, b.tot0
    n = len(it0)
    out = F["th"] + F["qh"] + F["kh"] + F["wo"]
    payers_all = (np.arange(n) < n_old) & (tot0 > 0) & ~settling & ~bad & (it0 >= 2 * MIN_BALANCE)
    freq_all = rng.choice(3, n, p=PAYER_FREQUENCY)
    weight_all = it0 * rng.uniform(0.5, 1.5, n)
    month_all = rng.integers(0, per.n_m, n)
    for o, code in enumerate(ENTRUSTED_ORGS):
        in_o = b.org == o
        target_o = cal.orgs[code].outstanding_vnd
        need = int(tot0[in_o].sum() + (F["disb"] - F["rev"])[in_o].sum() - out[in_o].sum())
        need -= target_o
        if need < 0:
            grow = np.flatnonzero(in_o[n_old:] & (NL["program"] != "06"))
            if not len(grow):
                raise per.fail(
                    f"{per.key}orgs.{code}.outstanding_vnd",
                    "grows by more than the period's new loans can lend",
                )
            units = (-need + 4_999_999) // 5_000_000
            add = apportion(units, NL["amount"][grow].astype(float)) * 5_000_000
            NL["amount"][grow] += add
            F["disb"][new_i[grow], js[grow]] += add
            need += int(add.sum())
        _instalments(
            per,
            F["th"],
            need,
            in_o & payers_all,
            it0,
            freq_all,
            weight_all,
            month_all,
            f"{per.key}orgs.{code}.outstanding_vnd",
        )


def _instalments(
    per: Period,
    th: np.ndarray,
    need: int,
    payers: np.ndarray,
    it0: np.ndarray,
    freq: np.ndarray,
    weight: np.ndarray,
    month: np.ndarray,
    key: str,
) -> None:
    """Spread ``need`` đồng of principal over ``payers`` (monthly or once in the period),
    each keeping at least ``MIN_BALANCE``."""
    if need == 0:
        return
    pay = np.flatnonzero(payers & (freq < 2))
    cap = (it0[pay] - MIN_BALANCE) // STEP
    if cap.sum() * STEP < need:  # everyone pays this time
        pay = np.flatnonzero(payers)
        cap = (it0[pay] - MIN_BALANCE) // STEP
    if cap.sum() * STEP < need or not len(pay):
        raise per.fail(key, "falls by more than the continuing loans can repay")
    r = apportion(need // STEP, weight[pay], hi=cap) * STEP
    room = it0[pay] - MIN_BALANCE - r
    r[int(np.argmax(room))] += need % STEP
    n_m = th.shape[1]
    monthly = freq[pay] == 0
    base = (r[monthly] // n_m) // STEP * STEP
    for j in range(n_m):
        th[pay[monthly], j] += base if j < n_m - 1 else r[monthly] - base * (n_m - 1)
    th[pay[~monthly], month[pay[~monthly]]] += r[~monthly]


def _direct_book(
    rng: np.random.Generator,
    sc: Scenario,
    per: Period,
    b: _Book,
    F: dict[str, np.ndarray],
    new_cust: dict[str, np.ndarray],
    NL: dict[str, np.ndarray],
    new_i: np.ndarray,
    js: np.ndarray,
) -> int:
    """The direct book: loans settle in order of maturity, early when the book runs off,
    the rest repay monthly; the new direct loans lend more when it grows. Returns how many
    settled."""
    cal, L = per.cal, sc.loans
    n_old, it0, tot0, mat = b.n_old, b.it0, b.tot0, b.mat
    end_day = np.datetime64(cal.period_end, "D")
    n = len(it0)
    direct = np.concatenate([L["direct"], NL["direct"]])
    old = np.flatnonzero(direct & (np.arange(n) < n_old) & (tot0 > 0))
    new_d = NL["amount"][NL["direct"]]
    keep = cal.direct_outstanding_vnd - int(new_d.sum())  # the old loans' end balance
    key = f"{per.key}direct_outstanding_vnd"
    book = int(tot0[old].sum())
    if keep > book:
        grow = np.flatnonzero(NL["direct"])
        if not len(grow):
            raise per.fail(key, "grows, but the period has no new direct loan to lend it")
        units = (keep - book + 9_999_999) // 10_000_000
        add = apportion(units, NL["amount"][grow].astype(float)) * 10_000_000
        NL["amount"][grow] += add
        F["disb"][new_i[grow], js[grow]] += add
        keep -= int(add.sum())
    order = old[np.lexsort((rng.random(len(old)), mat[old]))]
    rest = book
    n_rest = len(order)
    settle = []
    # The branch office keeps a direct loan (and so its month-end reports) unless the
    # period lends it a new one.
    office = np.concatenate([sc.customers["office"], new_cust["office"]])
    at_branch = office[b.cust] == BRANCH_OFFICE
    branch_left = int(at_branch[old].sum()) - (0 if (at_branch[n_old:]).any() else 1)
    for i in order:
        bal = int(tot0[i])
        if at_branch[i] and branch_left <= 0:
            continue
        matured = mat[i] <= end_day
        early = rest - keep > DIRECT_EARLY_SHARE * rest
        tight = n_rest * MIN_BALANCE > keep  # too many loans for what is left
        fits = rest - bal >= keep and (n_rest > 1 or rest - bal == keep)
        if fits and (matured or early or tight):
            settle.append(i)
            rest -= bal
            n_rest -= 1
            branch_left -= int(at_branch[i])
        elif not matured and not early and not tight:
            break
    settle = np.asarray(settle, np.int64)
    sj = month_of(mat[settle], per)
    sj = np.where(sj >= 0, sj, rng.integers(0, per.n_m, len(settle)))
    F["th"][settle, sj] += it0[settle]
    L["settle_month"][settle] = per.k0 + 1 + sj
    payers = np.zeros(n, bool)
    payers[np.setdiff1d(old, settle)] = True
    _instalments(
        per,
        F["th"],
        rest - keep,
        payers,
        it0,
        np.zeros(n, np.int64),  # direct loans repay monthly
        it0 * rng.uniform(0.5, 1.5, n),
        np.zeros(n, np.int64),
        key,
    )
    return int(len(settle))
