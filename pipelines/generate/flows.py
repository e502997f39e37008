"""The first period's monthly flows and balances: when each loan started and settles, what
it owes at the period's end and at the opening date, its troubles, disbursements,
instalments and interest. Column 0 of every matrix is the opening snapshot (December),
columns 1.. the period's month-ends.

Outstanding per organization comes out exactly from the balances at the period's end
(``end_balances``), the change since the opening date from the instalments
(``instalments``); the opening balances follow from both (``opening_book``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from pipelines.contract.codes import ENTRUSTED_ORGS, SOCIAL_HOUSING_PROGRAM

from .alloc import split_amount
from .assumptions import (
    DEC_DISBURSED_SHARE,
    PAYER_FREQUENCY,
    REVERSAL_SHARE,
    TURN_MONTH_WEIGHTS,
    TWO_PART_SETTLEMENT,
)
from .calibration import Calibration
from .scenario import K_CONT, K_DIRECT_OLD, K_SECOND, K_SETTLED, month_day, roll_forward


@dataclass(frozen=True)
class Timeline:
    """When each loan of the first period starts, how old it is and when it settles."""

    start: np.ndarray  # first snapshot the loan appears in (0: it was there at opening)
    age: np.ndarray  # months since its first disbursement, at the opening date
    settle_month: np.ndarray  # snapshot of its last instalment (0: none in the period)
    disb_date: np.ndarray
    mat_date: np.ndarray
    new: np.ndarray  # indices of the period's new loans
    settled: np.ndarray  # indices of the loans settled in the period
    continuing: np.ndarray  # indices of the loans open at opening and at the end
    december: np.ndarray  # continuing loans first disbursed in December (age 0)


def timeline(
    rng: np.random.Generator,
    l_kind: np.ndarray,
    direct: np.ndarray,
    is_new: np.ndarray,
    term: np.ndarray,
    tday: np.ndarray,
    n_months: int,
    opening: dt.date,
) -> Timeline:
    n_loans = len(l_kind)
    start_month = np.zeros(n_loans, np.int64)
    tw = np.array(TURN_MONTH_WEIGHTS[:n_months], float)
    if len(tw) < n_months:
        tw = np.ones(n_months)
    new_i = np.flatnonzero(is_new)
    start_month[new_i] = 1 + rng.choice(n_months, len(new_i), p=tw / tw.sum())

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
    if len(tday) and tday.min() < 1:
        raise AssertionError("generator bug: a transaction day below 1")
    disb_month = np.where(is_new, start_month, -age) + opening.year * 12 + opening.month - 1
    disb_date = month_day(disb_month, tday)
    mat_date = month_day(disb_month + term, tday)
    return Timeline(
        start=start_month,
        age=age,
        settle_month=settle_month,
        disb_date=disb_date,
        mat_date=mat_date,
        new=new_i,
        settled=settled_i,
        continuing=cont_like,
        december=dec,
    )


def end_balances(
    rng: np.random.Generator,
    cal: Calibration,
    amount: np.ndarray,
    term: np.ndarray,
    l_org: np.ndarray,
    t: Timeline,
) -> np.ndarray:
    """Each loan's balance at the period's end. New loans owe their amount; the continuing
    loans' balances are scaled so that each organization's (and the direct book's) sum to
    its target, integer-exact (largest remainder, one loan takes the residue)."""
    n_loans = len(amount)
    age, new_i, dec, cont_like = t.age, t.new, t.december, t.continuing
    org_codes = list(ENTRUSTED_ORGS)
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
    return end_bal


def troubled(
    rng: np.random.Generator,
    cal: Calibration,
    flows: dict[str, np.ndarray],
    l_kind: np.ndarray,
    in_troubled_commune: np.ndarray,
    age: np.ndarray,
    end_bal: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A few continuing loans in troubled communes turn overdue (CQH), repay overdue debt
    (TNQH), are frozen (KHN) or written off in part (XN) and repay frozen debt (TNKH), so
    that overdue + frozen is near the calibrated ratio. Returns the opening overdue and
    frozen balances and which loans are troubled."""
    n_loans = len(l_kind)
    n_months = flows["th"].shape[1] - 1
    total_end = sum(o.outstanding_vnd for o in cal.orgs.values()) + cal.direct_outstanding_vnd
    of_target = cal.quality.overdue_frozen_ratio * total_end
    cand = np.flatnonzero((l_kind == K_CONT) & in_troubled_commune & (age > 0))
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
    return open_ov, open_fz, is_bad


def settlements(
    rng: np.random.Generator,
    flows: dict[str, np.ndarray],
    amount: np.ndarray,
    settled_i: np.ndarray,
    settle_month: np.ndarray,
) -> None:
    """The settled loans' last instalment(s): a small rest of the amount, some over two
    months."""
    frac = rng.uniform(0.04, 0.3, len(settled_i))
    last = np.maximum(1, (amount[settled_i] * frac) // 1000 * 1000).astype(np.int64)
    two_part = (rng.random(len(settled_i)) < TWO_PART_SETTLEMENT) & (settle_month[settled_i] > 1)
    for j, i in enumerate(settled_i):
        m = int(settle_month[i])
        if two_part[j]:
            first = last[j] // 2 // 1000 * 1000
            flows["th"][i, m - 1] = first
            flows["th"][i, m] = last[j] - first
        else:
            flows["th"][i, m] = last[j]


def disburse(
    rng: np.random.Generator,
    flows: dict[str, np.ndarray],
    gn_wrong: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    amount: np.ndarray,
) -> int:
    """New loans ``rows`` disburse ``amount`` in month ``cols``; a few are first disbursed a
    wrong amount, reversed (DK) and re-disbursed the same day. Returns how many."""
    flows["disb"][rows, cols] = amount
    n_rev = round(len(rows) * REVERSAL_SHARE)
    rev = rng.choice(len(rows), n_rev, replace=False) if n_rev else np.zeros(0, np.int64)
    wrong = amount[rev] + rng.integers(1, 10, len(rev)) * 1_000_000
    gn_wrong[rows[rev], cols[rev]] = wrong
    flows["disb"][rows[rev], cols[rev]] += wrong
    flows["rev"][rows[rev], cols[rev]] = wrong
    return n_rev


def instalments(
    rng: np.random.Generator,
    cal: Calibration,
    flows: dict[str, np.ndarray],
    l_kind: np.ndarray,
    l_org: np.ndarray,
    direct: np.ndarray,
    is_bad: np.ndarray,
    age: np.ndarray,
    end_bal: np.ndarray,
) -> None:
    """The principal instalments of the continuing entrusted loans, solved so that (new
    loans) - (repayments) - (write-offs) = the change since the opening date exactly (each
    organization's own when the file gives it); monthly or once in the period."""
    n_months = flows["th"].shape[1] - 1
    org_codes = list(ENTRUSTED_ORGS)
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
    freq = rng.choice(3, len(payers), p=PAYER_FREQUENCY)
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


def direct_instalments(
    rng: np.random.Generator,
    flows: dict[str, np.ndarray],
    l_kind: np.ndarray,
    l_prog: np.ndarray,
    end_bal: np.ndarray,
) -> None:
    """Direct loans: social housing (12) repays monthly; the others at maturity."""
    n_months = flows["th"].shape[1] - 1
    d_old_i = np.flatnonzero(l_kind == K_DIRECT_OLD)
    d_pay = d_old_i[l_prog[d_old_i] == SOCIAL_HOUSING_PROGRAM]
    inst = (end_bal[d_pay] * rng.uniform(0.004, 0.012, len(d_pay)) // 1000 * 1000).astype(np.int64)
    for m in range(1, n_months + 1):
        flows["th"][d_pay, m] = inst


def opening_book(
    flows: dict[str, np.ndarray],
    end_bal: np.ndarray,
    is_new: np.ndarray,
    open_ov: np.ndarray,
    open_fz: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """In-term, overdue and frozen balances at the opening date: the balance at the end plus
    what the loan repaid and wrote off, minus what it borrowed, in the period."""
    period = slice(1, flows["th"].shape[1])
    out_period = (
        flows["th"][:, period]
        + flows["qh"][:, period]
        + flows["kh"][:, period]
        + flows["wo"][:, period]
    ).sum(1)
    in_period = (flows["disb"][:, period] - flows["rev"][:, period]).sum(1)
    open_bal = np.zeros(len(end_bal), np.int64)
    open_bal[~is_new] = end_bal[~is_new] + out_period[~is_new] - in_period[~is_new]
    open_bal[is_new] = 0
    return open_bal - open_ov - open_fz, open_ov, open_fz


def interest(
    flows: dict[str, np.ndarray],
    opening: tuple[np.ndarray, np.ndarray, np.ndarray],
    end_bal: np.ndarray,
    rate: np.ndarray,
    is_bad: np.ndarray,
    age: np.ndarray,
) -> None:
    """Monthly interest (TL) on the previous month-end's balance; troubled loans pay none.
    Rolling the balances forward for it also checks the recipe: no balance below zero, and
    every loan ends at ``end_bal``."""
    n_snap = flows["th"].shape[1]
    it, ov, fz = roll_forward(opening, flows, n_snap)
    if (it < 0).any() or (ov < 0).any() or (fz < 0).any():
        raise AssertionError("generator bug: a negative balance")
    tot = it + ov + fz
    del it, ov, fz
    assert (tot[:, -1] == end_bal).all(), "generator bug: period-end balances drifted"
    earns = (~is_bad) & (rate > 0)
    for m in range(1, n_snap):
        flows["tl"][:, m] = np.where(earns, np.rint(tot[:, m - 1] * rate / 100), 0).astype(np.int64)
    flows["tl"][:, 0] = np.where(earns & (age > 0), np.rint(tot[:, 0] * rate / 100), 0).astype(
        np.int64
    )


def covering_amount(amount: np.ndarray, open_bal: np.ndarray, direct: np.ndarray) -> np.ndarray:
    """The contract amount covers the largest balance the loan ever had (rounded up to 5
    million, 10 for direct loans)."""
    need_amt = np.maximum(open_bal, amount)
    step = np.where(direct, 10_000_000, 5_000_000)
    return np.where(open_bal > amount, -(-need_amt // step) * step, amount)
