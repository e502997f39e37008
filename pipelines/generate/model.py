"""The first period's scenario, drawn from one seeded generator in a fixed order, so that a
calibration + seed + scale always gives the same scenario (see docs/generator.md).

Where each calibrated figure is made exact:

- households and groups per organization: ``customers.members`` (group sizes apportioned so
  that the members with outstanding at the end sum to the target, every group having one);
- outstanding per organization at period end: ``flows.end_balances``;
- entrusted change since the opening date: ``flows.instalments``;
- loan turns, programme counts, workers and works: ``loans.turn_programs`` and
  ``loans.attributes``;
- reconciliation scope: ``customers.counts`` (the number of customers who settle in the
  period makes the customers with outstanding at the opening date equal the scope).
"""

from __future__ import annotations

import numpy as np

from . import branch, campaign, customers, flows, loans
from .alloc import apportion
from .calibration import Calibration
from .scenario import (
    C_SAVINGS,
    FLOW_TYPES,
    K_DIRECT_NEW,
    K_DIRECT_OLD,
    K_NEW,
    Scenario,
    m31_listing,
    make_sparse,
)


def build(cal: Calibration, seed: int, sparse: bool = True) -> Scenario:
    """The scenario of ``cal`` (one period). ``sparse``: store the rare flows as their
    non-zero rows; a history extends the dense matrices first (``history.py``)."""
    rng = np.random.default_rng(seed)
    dates = cal.snapshot_dates
    n_months = len(dates) - 1
    pl_ = cal.period_lending

    communes = branch.communes(rng, cal)
    groups = branch.groups(rng, cal, communes)
    n = customers.counts(cal)
    cust_group, c_kind = customers.members(rng, n, groups["org"])
    cust = customers.table(rng, communes, groups, cust_group, c_kind, n)

    l_cust, l_kind, l_prog = loans.first_book(
        rng, communes, cust, cust_group, groups["org"], n, pl_
    )
    n_loans = len(l_cust)
    direct = l_kind >= K_DIRECT_OLD
    is_new = (l_kind == K_NEW) | (l_kind == K_DIRECT_NEW)
    l_org = cust["org"][l_cust]
    attrs = loans.attributes(
        rng, l_prog, direct, is_new, communes["day"][cust["commune"][l_cust]], pl_
    )
    amount = attrs["amount"]

    # Months: 0 = December (opening), 1..n_months = the period's months.
    fl = {t: np.zeros((n_loans, len(dates)), np.int64) for t in FLOW_TYPES}
    gn_wrong = np.zeros((n_loans, len(dates)), np.int64)
    t = flows.timeline(
        rng, l_kind, direct, is_new, attrs["term"], attrs["tday"], n_months, cal.opening_date
    )
    end_bal = flows.end_balances(rng, cal, amount, attrs["term"], l_org, t)
    in_troubled_commune = communes["troubled"][cust["commune"][l_cust]]
    open_ov, open_fz, is_bad = flows.troubled(
        rng, cal, fl, l_kind, in_troubled_commune, t.age, end_bal
    )
    flows.settlements(rng, fl, amount, t.settled, t.settle_month)
    n_rev = flows.disburse(rng, fl, gn_wrong, t.new, t.start[t.new], amount[t.new])
    flows.instalments(rng, cal, fl, l_kind, l_org, direct, is_bad, t.age, end_bal)
    flows.direct_instalments(rng, fl, l_kind, l_prog, end_bal)
    opening = flows.opening_book(fl, end_bal, is_new, open_ov, open_fz)
    flows.interest(fl, opening, end_bal, attrs["rate"], is_bad, t.age)
    open_tot = opening[0] + opening[1] + opening[2]
    amount = flows.covering_amount(amount, open_tot, direct)
    # December repayments of monthly payers are part of the opening picture (no journal).
    fl["disb"][t.december, 0] = amount[t.december]
    del end_bal, open_ov, open_fz
    loan_table = {
        "customer": l_cust,
        "kind": l_kind,
        "program": l_prog,
        "org": l_org,
        "direct": direct,
        "is_new": is_new,
        "start": t.start,
        "settle_month": t.settle_month,
        "age": t.age,
        "term": attrs["term"],
        "amount": amount,
        "rate": attrs["rate"],
        "funding": attrs["funding"],
        "tday": attrs["tday"],
        "disb_date": t.disb_date,
        "mat_date": t.mat_date,
        "workers": attrs["workers"],
        "water": attrs["water"],
        "sanit": attrs["sanit"],
        "bad": is_bad,
    }
    if sparse:  # before the customers' texts, the build's peak (docs/generator.md, memory)
        gn_wrong = make_sparse(fl, gn_wrong)

    cust.update(customers.personal_data(rng, cust, communes, l_cust, l_prog, direct, 0))
    groups["leader"] = customers.group_leaders(cust_group, c_kind, len(groups["org"]))
    n_cust = len(cust["kind"])
    savings = customers.savings_books(
        rng,
        np.arange(n_cust),
        (cust["kind"] != C_SAVINGS) & (cust["group"] >= 0),
        cust["kind"] == C_SAVINGS,
    )
    savings["from"] = np.zeros(len(savings["customer"]), np.int64)
    savings["balance"] = customers.savings_balance(savings, len(dates))
    _check_code_widths(groups, cust, savings)

    # Every customer with outstanding at the opening date is in the campaign's scope.
    scope = np.flatnonzero(np.bincount(l_cust, weights=open_tot, minlength=n_cust) > 0)
    if len(scope) != cal.reconciliation.in_scope:
        raise AssertionError(f"generator bug: scope {len(scope)} != {cal.reconciliation.in_scope}")
    reconciled = cal.reconciliation.reconciled
    recon = campaign.open_campaign(
        rng,
        cal.reconciliation.campaign_year,
        scope,
        cust["commune"][scope],
        len(communes["code"]),
        campaign.meeting_day(l_cust, attrs["tday"], n_cust)[scope],
        np.repeat(
            np.arange(1, n_months + 1), apportion(reconciled, campaign.month_weights(n_months))
        ),
    )

    return Scenario(
        cal=cal,
        dates=dates,
        communes=communes,
        groups=groups,
        customers=cust,
        loans=loan_table,
        it=None,
        ov=None,
        fz=None,
        flows=fl,
        present=m31_listing(t.start, t.settle_month, dates),
        savings=savings,
        recon=recon,
        gn_wrong=gn_wrong,
        notes={
            "n_troubled_loans": int(is_bad.sum()),
            "settled_customers": n.settled_total,
            "new_customers": int(n.new.sum()),
            "reversals": int(n_rev),
            "year": cal.period_start.year,
        },
        opening=opening,
    )


def _check_code_widths(groups: dict, cust: dict, savings: dict) -> None:
    """The contract's code widths (4.1): ``digits`` widens rather than truncates, so a scale
    too large for a code shows here instead of as a silently longer or duplicated code."""
    for what, codes, width in (
        ("Mã tổ (group code)", groups["code"], 7),
        ("Mã KH (customer code)", cust["code"], 10),
        ("Số sổ TK 105 (savings book number)", savings["code"], 12),
    ):
        if codes.dtype.itemsize // 4 > width:
            raise ValueError(f"scale too large: {what} would exceed {width} characters")
