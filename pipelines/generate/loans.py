"""Loans: the period's turns (how many in which programme), each loan's customer, kind and
programme, and its terms: amount, term, rate, funding, transaction day, workers and works.

Loan turns, programme counts, workers and works come out exactly: the turns are exact
multisets of programme labels (``turn_programs``), workers and works are apportioned over
the programme-03 and programme-06 turns (``attributes``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from pipelines.contract.codes import PROGRAM_BY_CODE

from .alloc import apportion
from .assumptions import (
    AMOUNT_RANGE,
    DIRECT_NEW_PROGRAMS,
    DIRECT_OLD_MIX,
    ENTRUSTED_PROGRAMS,
    MAX_WORKERS_PER_LOAN,
    OLD_PROGRAM_MIX,
    SECOND_OLD_LOAN_SHARE,
    TERMS,
)
from .branch import rural_score
from .calibration import PeriodLending
from .scenario import (
    C_CONT,
    C_NEW,
    C_SETTLED,
    K_CONT,
    K_DIRECT_NEW,
    K_DIRECT_OLD,
    K_NEW,
    K_SECOND,
    K_SETTLED,
    Scenario,
    month_day,
)

if TYPE_CHECKING:
    from .customers import Counts
    from .period import Period
    from .turnover import Turnover


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


def first_book(
    rng: np.random.Generator,
    communes: dict[str, np.ndarray],
    cust: dict[str, np.ndarray],
    cust_group: np.ndarray,
    g_org: np.ndarray,
    n: Counts,
    pl_: PeriodLending,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The first period's loans: customer, kind and programme of each. Continuing customers
    hold one loan (a few two, in different programmes), settlers the loan they settle, the
    period's turns go to the new customers and, as a second programme, to continuing ones;
    then the direct loans, old and new."""
    c_kind_arr = cust["kind"][: len(cust_group)]
    n_ent_c = len(cust_group)
    n_cust = len(cust["kind"])
    n_dold, n_dnew = n.direct_old, n.direct_new
    kind_of_commune = communes["kind"][cust["commune"]]
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
            rng.choice(cont_c[g_org[cust_group[cont_c]] == o], int(n.second[o]), replace=False)
            for o in range(4)
        ]
    )
    turn_cust = np.concatenate([slots_new, slots_sec])
    others_ent = n.other_turns - n_dnew
    turn_prog = turn_programs(
        rng,
        rural_score(communes["kind"])[cust["commune"][turn_cust]],
        n.water_turns,
        pl_.poor_group_turns,
        pl_.job_creation_turns,
        others_ent,
    )
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
    return l_cust, l_kind, l_prog


def attributes(
    rng: np.random.Generator,
    l_prog: np.ndarray,
    direct: np.ndarray,
    is_new: np.ndarray,
    commune_day: np.ndarray,
    pl_: PeriodLending,
) -> dict[str, np.ndarray]:
    """Term, amount, workers and works, rate, funding and transaction day of each loan.
    ``commune_day``: the transaction day of each loan's commune."""
    n_loans = len(l_prog)
    amount_key = np.where(direct & (l_prog == "03"), "03d", l_prog)
    term, amount = terms_and_amounts(rng, amount_key)

    workers = np.zeros(n_loans, np.int64)
    water = np.zeros(n_loans, np.int64)
    sanit = np.zeros(n_loans, np.int64)
    turn03 = np.flatnonzero(is_new & (l_prog == "03"))
    if len(turn03):
        workers[turn03] = apportion(
            pl_.workers_attracted, rng.gamma(2.0, 1.0, len(turn03)), lo=1, hi=MAX_WORKERS_PER_LOAN
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
        tot = apportion(
            pl_.water_sanitation_works,
            np.ones(len(turn06)) + rng.random(len(turn06)) * 0.1,
            lo=1,
            hi=4,
        )
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
    tday = np.where(direct, rng.integers(1, 29, n_loans), commune_day)
    return {
        "term": term,
        "amount": amount,
        "rate": rate,
        "funding": funding,
        "tday": tday,
        "workers": workers,
        "water": water,
        "sanit": sanit,
    }


def later_book(
    rng: np.random.Generator,
    sc: Scenario,
    per: Period,
    t: Turnover,
    new_cust: dict[str, np.ndarray],
) -> dict[str, np.ndarray]:
    """A later period's new loans: one per new customer, one per continuing customer who
    borrows in a second programme, then the new direct loans; every attribute as in
    ``Scenario.loans``."""
    L, C, com = sc.loans, sc.customers, sc.communes
    pl_ = per.cal.period_lending
    n_c = len(C["kind"])
    n_new_ent = len(t.new_c_group)
    new_ent = n_c + np.arange(n_new_ent)
    new_dir = n_c + n_new_ent + np.arange(t.direct_new)
    sec = np.concatenate(t.second) if t.second else np.zeros(0, np.int64)
    turn_cust = np.concatenate([new_ent, sec]).astype(np.int64)
    all_commune = np.concatenate([C["commune"], new_cust["commune"]])
    all_org = np.concatenate([C["org"], new_cust["org"]])
    prog = turn_programs(
        rng,
        rural_score(com["kind"])[all_commune[turn_cust]],
        t.water_turns,
        pl_.poor_group_turns,
        pl_.job_creation_turns,
        t.other_turns - t.direct_new,
    )
    _not_held(rng, prog, turn_cust, len(new_ent), L["customer"], L["program"], per.tot0)
    d_prog = np.asarray(DIRECT_NEW_PROGRAMS, dtype=object)[np.arange(t.direct_new) % 2]
    l_cust = np.concatenate([turn_cust, new_dir]).astype(np.int64)
    l_prog = np.concatenate([prog, d_prog]).astype(object)
    n = len(l_cust)
    direct = np.concatenate([np.zeros(len(turn_cust), bool), np.ones(t.direct_new, bool)])
    attrs = attributes(rng, l_prog, direct, np.ones(n, bool), com["day"][all_commune[l_cust]], pl_)
    start = per.k0 + 1 + rng.integers(0, per.n_m, n)
    month_index = np.array([d.year * 12 + d.month - 1 for d in per.dates])[start]
    return {
        "customer": l_cust,
        "kind": np.where(direct, K_DIRECT_NEW, K_NEW),
        "program": l_prog,
        "org": all_org[l_cust],
        "direct": direct,
        "is_new": np.ones(n, bool),
        "start": start,
        "settle_month": np.zeros(n, np.int64),
        "age": np.zeros(n, np.int64),
        "term": attrs["term"],
        "amount": attrs["amount"],
        "rate": attrs["rate"],
        "funding": attrs["funding"],
        "tday": attrs["tday"],
        "disb_date": month_day(month_index, attrs["tday"]),
        "mat_date": month_day(month_index + attrs["term"], attrs["tday"]),
        "workers": attrs["workers"],
        "water": attrs["water"],
        "sanit": attrs["sanit"],
        "bad": np.zeros(n, bool),
    }


def _not_held(
    rng: np.random.Generator,
    prog: np.ndarray,
    turn_cust: np.ndarray,
    n_new: int,
    l_cust: np.ndarray,
    l_prog: np.ndarray,
    tot0: np.ndarray,
) -> None:
    """A continuing customer's new loan is in a programme it does not hold: its label is
    swapped with a new customer's (``prog[:n_new]``), so the programme counts stay exact."""
    sec = turn_cust[n_new:]
    mine = np.isin(l_cust, sec) & (tot0 > 0)
    held: dict[int, set] = {}
    for c, pr in zip(l_cust[mine], l_prog[mine], strict=True):
        held.setdefault(int(c), set()).add(pr)
    partners = rng.permutation(n_new)
    nxt = 0
    for i in range(n_new, len(turn_cust)):
        have = held.get(int(turn_cust[i]), set())
        if prog[i] not in have:
            continue
        for _ in range(n_new):  # the next new customer's label that this one lacks
            j = partners[nxt % n_new]
            nxt += 1
            if prog[j] not in have:
                prog[i], prog[j] = prog[j], prog[i]
                break
