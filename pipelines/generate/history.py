"""Histories (calibration.md section 3): later periods continue the first period's loan book.

The first period is ``model.build`` exactly as for a single-period file (same draws, same
arrays). Every later period starts from the book at the previous period's end (each loan's
in-term, overdue and frozen balance, the customers, the groups) and is solved for its own
figures, the same way the first period is:

- households per organization (customers with outstanding at the period's end) = those of the
  previous end, minus the customers who settle in the period, plus the customers new to the
  bank. New customers are ~62 % of the organization's turns (at least its growth), so the
  number of settlers follows; settlers are the customers whose loans mature first (the rest of
  a matured loan is an extension, gia hạn). Every continuing group keeps its members with the
  latest maturities, so it keeps outstanding;
- groups per organization: when the target falls, the groups with the fewest members with
  outstanding settle entirely; when it rises, new groups open with new customers (3 or more);
- outstanding per organization and direct: the principal instalments of the continuing loans
  are solved for: new lending - settlements - troubled repayments - (end - previous end);
  the direct book settles its loans in order of maturity (early where a book runs off) and
  solves the instalments of the rest;
- turns, programme counts, workers and works: exact multisets over the period's new loans, as
  in the first period;
- reconciliation: within a calendar year the campaign's register continues in its order; the
  first period of a year opens that year's campaign, whose scope is every customer with
  outstanding at the 31 December just before (recorded in ``notes["derived"]``);
- quality (approximate): part of the overdue and frozen debt is collected, frozen or written
  off each period, and new overdue debt brings the stock back to the period's ratio.

A later period draws from its own generator (``[seed, 0x4157, period number]``), so the first
period's files are a single-period file's. Its steps: ``turnover`` (who settles, which groups
close and open, the new customers), ``loans.later_book`` (the new loans), ``repayments`` (the
period's flows), then here: interest, the period appended to the scenario and its figures
checked, the campaign (``campaign``) and the new savings books.
"""

from __future__ import annotations

import numpy as np

from pipelines.contract.codes import ENTRUSTED_ORGS

from . import campaign, turnover
from .alloc import apportion
from .branch import new_groups
from .calibration import History
from .customers import personal_data, savings_balance, savings_books
from .loans import later_book
from .model import build
from .period import Period
from .repayments import PeriodFlows, period_flows
from .scenario import (
    FLOW_TYPES,
    Scenario,
    customer_totals,
    m31_listing,
    make_sparse,
    roll_forward,
)


def build_history(hist: History, seed: int) -> Scenario:
    """The scenario of a history of several periods (one Scenario, every snapshot)."""
    sc = build(hist.first, seed, sparse=False)
    sc.bounds = [hist.bounds[0]]
    first = hist.first.reconciliation
    derived: dict = {
        "campaigns": {
            str(first.campaign_year): {
                "scope_date": str(hist.opening_date),
                "in_scope": int(len(sc.recon["customer"])),
                "given": True,
            }
        },
        "periods": [],
    }
    it, ov, fz = roll_forward(sc.opening, sc.flows, sc.n_snap)
    bal = (it[:, -1].copy(), ov[:, -1].copy(), fz[:, -1].copy())
    del it, ov, fz
    for p, pcal in enumerate(hist.periods[1:], start=2):
        rng = np.random.default_rng([seed, 0x4157, p])
        per = Period.after(sc.dates, pcal, p, bal)
        bal, notes = continue_book(rng, sc, per, derived["campaigns"])
        derived["periods"].append(notes)
        sc.bounds.append(hist.bounds[p - 1])
    # What depends on the whole history: which loans each M31 lists, the savings balances,
    # and the sparse storage of the rare flows.
    sc.present = m31_listing(sc.loans["start"], sc.loans["settle_month"], sc.dates)
    sc.savings["balance"] = savings_balance(sc.savings, sc.n_snap)
    sc.gn_wrong = make_sparse(sc.flows, sc.gn_wrong)
    sc.notes["derived"] = derived
    return sc


def continue_book(
    rng: np.random.Generator, sc: Scenario, per: Period, campaigns: dict
) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], dict]:
    """Extend ``sc`` by one later period, solved from the book at the previous period's
    end; return each loan's balances at the period's end and the period's notes (``campaigns``
    gains the year's campaign when the period opens one)."""
    t = turnover.turnover(rng, sc, per)
    groups = new_groups(rng, per.cal, sc.communes, sc.groups["code"], t.new_g_org, t.new_g_com)
    new_cust = turnover.new_customers(rng, sc, groups, t)
    NL = later_book(rng, sc, per, t, new_cust)
    n_c = len(sc.customers["kind"])
    new_cust.update(
        personal_data(rng, new_cust, sc.communes, NL["customer"], NL["program"], NL["direct"], n_c)
    )
    pf = period_flows(rng, sc, per, t, new_cust, NL)
    bal = _roll(sc, per, pf, NL)
    _append(sc, per, pf, new_cust, groups, NL)
    _check_figures(sc, per, bal)
    _reconciliation(rng, sc, per, campaigns)
    n_new_ent = len(t.new_c_group)  # direct borrowers keep no member savings book
    books = savings_books(
        rng, n_c + np.arange(n_new_ent), np.ones(n_new_ent, bool), np.zeros(n_new_ent, bool)
    )
    books["balance"] = np.zeros((len(books["customer"]), sc.savings["balance"].shape[1]), np.int64)
    books["from"] = np.full(len(books["customer"]), per.k0 + 1)
    _append_rows(sc.savings, books)
    sc.dates = per.dates
    return bal, {"period": per.p} | t.notes | pf.notes


def _roll(
    sc: Scenario, per: Period, pf: PeriodFlows, NL: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Interest (TL) on each month's opening balance, and the balances rolled to the
    period's end."""
    F, L = pf.flows, sc.loans
    z = np.zeros(len(NL["customer"]), np.int64)
    it = np.concatenate([per.it0, z])
    ov = np.concatenate([per.ov0, z])
    fz = np.concatenate([per.fz0, z])
    rate = np.concatenate([L["rate"], NL["rate"]])
    earns = (rate > 0) & ~pf.bad
    for j in range(per.n_m):
        F["tl"][:, j] = np.where(earns, np.rint((it + ov + fz) * rate / 100), 0).astype(np.int64)
        it = it + F["disb"][:, j] - F["rev"][:, j] - F["th"][:, j] - F["cqh"][:, j]
        ov = ov + F["cqh"][:, j] - F["qh"][:, j] - F["khn"][:, j]
        fz = fz + F["khn"][:, j] - F["kh"][:, j] - F["wo"][:, j]
        if (it < 0).any() or (ov < 0).any() or (fz < 0).any():
            raise AssertionError(f"generator bug: a negative balance in {per.where}")
    return it, ov, fz


def _append(
    sc: Scenario,
    per: Period,
    pf: PeriodFlows,
    new_cust: dict[str, np.ndarray],
    groups: dict[str, np.ndarray],
    NL: dict[str, np.ndarray],
) -> None:
    """The period into the scenario: new columns for every loan, new rows for the new
    loans, customers and groups."""
    n_new = len(NL["customer"])
    z = np.zeros(n_new, np.int64)
    for t in FLOW_TYPES:
        old = np.concatenate([sc.flows[t], np.zeros((n_new, sc.flows[t].shape[1]), np.int64)])
        sc.flows[t] = np.concatenate([old, pf.flows[t]], axis=1)
    old = np.concatenate([sc.gn_wrong, np.zeros((n_new, sc.gn_wrong.shape[1]), np.int64)])
    sc.gn_wrong = np.concatenate([old, pf.gn_wrong], axis=1)
    sc.opening = tuple(np.concatenate([x, z]) for x in sc.opening)
    sc.present = np.zeros((len(sc.loans["customer"]) + n_new, 0), bool)  # made at the end
    _append_rows(sc.customers, new_cust)
    _append_rows(sc.groups, groups)
    _append_rows(sc.loans, NL)


def _append_rows(d: dict, new: dict) -> None:
    if set(d) != set(new):
        raise AssertionError(f"generator bug: appending {sorted(new)} to {sorted(d)}")
    for key, v in new.items():
        d[key] = np.concatenate([d[key], np.asarray(v, dtype=d[key].dtype)])


def _check_figures(
    sc: Scenario, per: Period, bal: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> None:
    """The period's figures, exactly (else the recipe has a bug)."""
    cal = per.cal
    it, ov, fz = bal
    tot = it + ov + fz
    C = sc.customers
    L = sc.loans
    c_tot = customer_totals(L["customer"], tot, len(C["kind"]))
    for o, code in enumerate(ENTRUSTED_ORGS):
        t = cal.orgs[code]
        in_o = L["org"] == o
        pos_c = (c_tot > 0) & (C["org"] == o)
        got = (
            int(tot[in_o].sum()),
            int(pos_c.sum()),
            len(np.unique(C["group"][pos_c])),
        )
        if got != (t.outstanding_vnd, t.households, t.groups):
            raise AssertionError(f"generator bug: {per.where} org {code}: {got} != {t}")
    if int(tot[L["direct"]].sum()) != cal.direct_outstanding_vnd:
        raise AssertionError(f"generator bug: {per.where} direct book")


def _reconciliation(rng: np.random.Generator, sc: Scenario, per: Period, campaigns: dict) -> None:
    """The first period of a year opens its campaign, whose scope is every customer with
    outstanding at the 31 December just before; a later one continues it."""
    rc, L = sc.recon, sc.loans
    R = per.cal.reconciliation.reconciled
    year = per.year
    if year != sc.dates[per.k0].year:
        n_c = len(sc.customers["kind"])
        c_tot = customer_totals(L["customer"][: len(per.tot0)], per.tot0, n_c)
        scope = np.flatnonzero(c_tot > 0)
        if R > len(scope):
            raise per.fail(
                f"{per.key}reconciliation.reconciled",
                f"{R} exceeds the {year} campaign's scope: {len(scope)} customers had "
                f"outstanding on 31/12/{year - 1}",
            )
        _append_rows(
            rc,
            campaign.open_campaign(
                rng,
                year,
                scope,
                sc.customers["commune"][scope],
                len(sc.communes["code"]),
                campaign.meeting_day(L["customer"], L["tday"], n_c)[scope],
                np.repeat(per.snapshots, apportion(R, np.ones(per.n_m))),
            ),
        )
        campaigns[str(year)] = {
            "scope_date": str(sc.dates[per.k0]),
            "in_scope": int(len(scope)),
            "given": False,
        }
        return
    rows = np.flatnonzero(rc["campaign"] == year)
    if R > len(rows):
        raise per.fail(
            f"{per.key}reconciliation.reconciled",
            f"{R} exceeds the {year} campaign's scope ({len(rows)})",
        )
    campaign.continue_campaign(rc, year, R, per.snapshots)
