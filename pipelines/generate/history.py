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
period's files are a single-period file's.
"""

from __future__ import annotations

import numpy as np

from pipelines.contract.codes import BRANCH_OFFICE, ENTRUSTED_ORGS, PROGRAM_BY_CODE

from .alloc import apportion
from .calibration import Calibration, History
from .model import (
    C_DIRECT_NEW,
    C_NEW,
    C_SAVINGS,
    DIRECT_AT_DISTRICT_SHARE,
    DIRECT_NEW_PROGRAMS,
    FLOW_TYPES,
    GROUP_MAX_MEMBERS,
    GROUP_MIN_MEMBERS,
    K_DIRECT_NEW,
    K_NEW,
    MAX_WORKERS_PER_LOAN,
    NEW_CUSTOMER_SHARE,
    REVERSAL_SHARE,
    SAVINGS_BOOK_SHARE,
    SPARSE_FLOWS,
    TWO_BOOKS_SHARE,
    Scenario,
    SparseRows,
    _digits,
    _month_day,
    build,
    people,
    roll_forward,
    terms_and_amounts,
    turn_mix,
    turn_programs,
)

# Structural choices of the later periods (not calibration targets).
PAYER_FREQUENCY = (0.45, 0.40, 0.15)  # monthly, once in the period, not this period
TWO_PART_SETTLEMENT = 0.4  # settlers paying their last balance over two months
OVERDUE_ACTIONS = (0.4, 0.2, 0.4)  # an overdue loan: collected (TNQH), frozen (KHN), unchanged
FROZEN_ACTIONS = (0.35, 0.35, 0.3)  # a frozen loan: written off in part (XN), collected, unchanged
MIN_BALANCE = 1_000  # a continuing loan keeps at least this (its customer keeps outstanding)
STEP = 1_000  # instalments are whole thousands of đồng, except one residue per book
DIRECT_EARLY_SHARE = 0.5  # a direct book repaying more than this share settles loans early
RURAL_SCORE = {"rural": 1.0, "town": 0.5, "urban": 0.0}


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
        bal = Continuation(sc, pcal, p, rng, bal, derived).run()
        sc.bounds.append(hist.bounds[p - 1])
    _finish(sc)
    sc.notes["derived"] = derived
    return sc


def _finish(sc: Scenario) -> None:
    """What depends on the whole history: which loans each M31 lists, the savings balances,
    and the sparse storage of the rare flows."""
    L = sc.loans
    snap_year = np.array([d.year for d in sc.dates])
    k = np.arange(sc.n_snap)
    settled = L["settle_month"] > 0
    settle_year = np.where(settled, snap_year[L["settle_month"]], 0)
    # A loan is listed from its first disbursement; once settled, until the end of that year.
    sc.present = (k[None, :] >= L["start"][:, None]) & ~(
        settled[:, None] & (snap_year[None, :] > settle_year[:, None])
    )
    s = sc.savings
    s["balance"] = s["sav0"][:, None] + s["dep"][:, None] * np.maximum(
        0, k[None, :] - s["from"][:, None]
    )
    for t in SPARSE_FLOWS:
        sc.flows[t] = SparseRows(sc.flows[t])
    sc.gn_wrong = SparseRows(sc.gn_wrong)


def _append(d: dict, new: dict) -> None:
    if set(d) != set(new):
        raise AssertionError(f"generator bug: appending {sorted(new)} to {sorted(d)}")
    for key, v in new.items():
        d[key] = np.concatenate([d[key], np.asarray(v, dtype=d[key].dtype)])


class Continuation:
    """One later period, solved from the book at the previous period's end."""

    def __init__(
        self,
        sc: Scenario,
        cal: Calibration,
        p: int,
        rng: np.random.Generator,
        bal: tuple[np.ndarray, np.ndarray, np.ndarray],
        derived: dict,
    ):
        self.sc, self.cal, self.p, self.rng, self.derived = sc, cal, p, rng, derived
        self.where = f"periods[{p}] ({cal.period_start} to {cal.period_end})"
        self.key = f"periods[{p}]."
        self.it0, self.ov0, self.fz0 = bal
        self.tot0 = self.it0 + self.ov0 + self.fz0
        self.k0 = sc.n_snap - 1
        self.months = cal.month_ends
        self.n_m = len(self.months)
        self.dates = [*sc.dates, *self.months]
        self.year = cal.period_start.year
        self.notes: dict = {"period": p}

    def fail(self, keys: str, why: str) -> ValueError:
        return ValueError(f"calibration: {self.where}: {keys}: {why}")

    # ---------------------------------------------------------------------------------------
    def run(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        self._customers()
        self._new_people()
        self._new_loans()
        self._flows()
        bal = self._roll()
        self._reconciliation()
        self._savings()
        self.sc.dates = self.dates
        self.derived["periods"].append(self.notes)
        return bal

    # ----- who settles, who borrows again, where new customers go ----------------------------
    def _customers(self) -> None:  # noqa: C901 - one recipe per organization
        sc, cal, rng = self.sc, self.cal, self.rng
        L, C, G = sc.loans, sc.customers, sc.groups
        n_c, n_g = len(C["kind"]), len(G["code"])
        c_tot = np.zeros(n_c, np.int64)
        np.add.at(c_tot, L["customer"], self.tot0)
        ent = C["group"] >= 0
        active = (c_tot > 0) & ent
        troubled = np.zeros(n_c, bool)
        troubled[L["customer"][(self.ov0 + self.fz0) > 0]] = True
        open_l = self.tot0 > 0
        mat = L["mat_date"].astype("datetime64[D]").astype(np.int64)
        c_mat = np.full(n_c, -1, np.int64)  # days since 1970 of the latest maturity
        np.maximum.at(c_mat, L["customer"][open_l], mat[open_l])
        n_open = np.bincount(L["customer"][open_l], minlength=n_c)
        grp = np.maximum(C["group"], 0)
        g_act = np.bincount(grp[active], minlength=n_g)
        g_alive = g_act > 0
        g_trouble = np.bincount(grp[troubled & ent], minlength=n_g) > 0

        H = np.array([cal.orgs[o].households for o in ENTRUSTED_ORGS])
        Gt = np.array([cal.orgs[o].groups for o in ENTRUSTED_ORGS])
        n6, others, n_dnew = turn_mix(cal.period_lending, cal.direct_outstanding_vnd, self.key)
        t_org = apportion(cal.period_lending.loan_turns - n_dnew, H)
        H_prev = np.bincount(C["org"][active], minlength=5)[:4]
        G_prev = np.bincount(G["org"][g_alive], minlength=4)
        grow = H - H_prev
        for o, org in enumerate(ENTRUSTED_ORGS):
            if grow[o] > t_org[o]:
                raise self.fail(
                    f"{self.key}orgs.{org}.households",
                    f"grows by {grow[o]} from the previous period's {H_prev[o]}, more than the "
                    f"{t_org[o]} turns of the organization (period_lending.loan_turns) allow",
                )
        new_org = np.clip(
            np.round(t_org * NEW_CUSTOMER_SHARE).astype(np.int64), np.maximum(grow, 0), t_org
        )
        settled_org = H_prev - H + new_org
        second_org = t_org - new_org

        # Groups that close: every member with outstanding settles; the smallest first, never
        # an office's last group (an office keeps delivering its month-end reports).
        closing = np.zeros(n_g, bool)
        g_office = sc.communes["office"][G["commune"]]
        offices, g_office_i = np.unique(g_office, return_inverse=True)
        alive_in_office = np.bincount(g_office_i[g_alive], minlength=len(offices))
        for o, org in enumerate(ENTRUSTED_ORGS):
            n_close = G_prev[o] - Gt[o]
            if n_close <= 0:
                continue
            cand = np.flatnonzero(g_alive & (G["org"] == o) & ~g_trouble)
            chosen = []
            for g in cand[np.lexsort((rng.random(len(cand)), g_act[cand]))]:
                if len(chosen) == n_close:
                    break
                if alive_in_office[g_office_i[g]] > 1:
                    chosen.append(g)
                    alive_in_office[g_office_i[g]] -= 1
            cand = np.asarray(chosen, np.int64)
            if len(cand) < n_close or g_act[cand].sum() > settled_org[o]:
                raise self.fail(
                    f"{self.key}orgs.{org}.groups, {self.key}orgs.{org}.households",
                    f"{n_close} groups would have to close, but their members with outstanding "
                    f"are more than the {settled_org[o]} customers who can settle",
                )
            closing[cand] = True
        forced = active & closing[grp]
        # Each continuing group keeps its members with the latest maturities (troubled members
        # never settle): it keeps outstanding, and its size, next year.
        stay_key = np.where(troubled, 10**9, c_mat)
        order = np.lexsort((rng.random(n_c), -stay_key, grp))
        order = order[active[order] & ~closing[grp[order]]]
        g_sorted = grp[order]
        first_pos = np.searchsorted(g_sorted, g_sorted, side="left")
        keep = (np.arange(len(order)) - first_pos) < np.minimum(GROUP_MIN_MEMBERS, g_act[g_sorted])
        anchor = np.zeros(n_c, bool)
        anchor[order[keep]] = True

        settler = forced.copy()
        second: list[np.ndarray] = []
        tie = rng.random(n_c)
        for o, org in enumerate(ENTRUSTED_ORGS):
            need = settled_org[o] - int((forced & (C["org"] == o)).sum())
            cand = np.flatnonzero(active & (C["org"] == o) & ~closing[grp] & ~anchor & ~troubled)
            if need > len(cand):
                raise self.fail(
                    f"{self.key}orgs.{org}.households",
                    f"falls to {H[o]} from {H_prev[o]} with {new_org[o]} new customers: "
                    f"{settled_org[o]} customers would have to settle, more than the groups "
                    "can lose",
                )
            cand = cand[np.lexsort((tie[cand], c_mat[cand]))]
            settler[cand[:need]] = True
            # A second programme for continuing customers, those with one loan first.
            cand = np.flatnonzero(active & (C["org"] == o) & ~settler & ~troubled)
            cand = cand[np.lexsort((rng.random(len(cand)), n_open[cand] > 1))]
            if second_org[o] > len(cand):
                raise self.fail(
                    f"{self.key}orgs.{org}.households, {self.key}period_lending.loan_turns",
                    f"{second_org[o]} turns would go to continuing customers, more than the "
                    f"{len(cand)} who continue",
                )
            second.append(np.sort(cand[: second_org[o]]))

        # Room in each group at the period's end: members listed then (this year's settlers
        # still are, as CLOSE) against the contract's 60.
        snap_year = np.array([d.year for d in self.dates])
        sm = L["settle_month"]
        listed = (sm == 0) | (snap_year[sm] == self.year)
        listed_c = np.zeros(n_c, bool)
        listed_c[L["customer"][listed]] = True
        listed_c |= C["kind"] == C_SAVINGS
        members = np.bincount(grp[listed_c & ent], minlength=n_g)

        # New groups, then the new customers' groups.
        com = sc.communes
        new_g_org, new_g_com = [], []
        new_c_group: list[np.ndarray] = []
        n_new_g = 0
        for o, org in enumerate(ENTRUSTED_ORGS):
            n_open_g = max(0, Gt[o] - G_prev[o])
            if new_org[o] < GROUP_MIN_MEMBERS * n_open_g:
                raise self.fail(
                    f"{self.key}orgs.{org}.groups",
                    f"{n_open_g} new groups need {GROUP_MIN_MEMBERS} new customers each, but "
                    f"the turns bring {new_org[o]}",
                )
            w = com["weight"] * (0.2 + np.vectorize(RURAL_SCORE.get)(com["kind"]))
            g_com = rng.choice(len(w), n_open_g, p=w / w.sum()) if n_open_g else []
            new_g_org += [o] * n_open_g
            new_g_com += list(g_com)
            old = np.flatnonzero(g_alive & ~closing & (G["org"] == o))
            ids = np.concatenate([old, n_g + n_new_g + np.arange(n_open_g)]).astype(np.int64)
            weight = np.concatenate(
                [g_act[old], np.full(n_open_g, max(1.0, g_act[old].mean() if len(old) else 1))]
            ) * rng.uniform(0.5, 1.5, len(ids))
            room = np.concatenate(
                [
                    GROUP_MAX_MEMBERS - members[old],
                    np.full(n_open_g, GROUP_MAX_MEMBERS - GROUP_MIN_MEMBERS),
                ]
            )
            rest = int(new_org[o] - GROUP_MIN_MEMBERS * n_open_g)
            if room.clip(0).sum() < rest:
                raise self.fail(
                    f"{self.key}orgs.{org}.households",
                    f"{new_org[o]} new customers do not fit in the organization's groups "
                    f"({GROUP_MAX_MEMBERS} members at most)",
                )
            alloc = apportion(rest, weight, hi=room.clip(0))
            alloc[len(old) :] += GROUP_MIN_MEMBERS
            new_c_group.append(np.repeat(ids, alloc))
            n_new_g += n_open_g
        self.new_c_group = np.concatenate(new_c_group) if new_c_group else np.zeros(0, np.int64)
        self.new_g_org = np.asarray(new_g_org, np.int64)
        self.new_g_com = np.asarray(new_g_com, np.int64)
        self.settler, self.second = settler, second
        self.t_org, self.n6, self.others, self.n_dnew = t_org, n6, others, n_dnew
        self.troubled_c = troubled
        self.c_mat = c_mat
        self.notes.update(
            {
                "settled_customers": int(settler.sum()),
                "new_customers": int(len(self.new_c_group) + n_dnew),
                "second_programme_turns": int(second_org.sum()),
                "groups_closed": int(closing.sum()),
                "groups_opened": int(n_new_g),
            }
        )

    # ----- new customers and groups ------------------------------------------------------------
    def _new_people(self) -> None:
        sc, rng = self.sc, self.rng
        C, G, com = sc.customers, sc.groups, sc.communes
        n_c, n_g = len(C["kind"]), len(G["code"])
        n_ng = len(self.new_g_org)
        # Groups
        hamlets = com["hamlets"][self.new_g_com]
        troubled = com["troubled"][self.new_g_com]
        good = rng.random(n_ng) < self.cal.quality.groups_rated_good
        score = np.where(
            good,
            rng.integers(85, 101, n_ng),
            np.where(troubled, rng.integers(40, 70, n_ng), rng.integers(70, 85, n_ng)),
        )
        first_month = self.cal.period_start
        established = np.array(
            [first_month.replace(day=int(d)) for d in rng.integers(1, 29, n_ng)], dtype=object
        )
        g_all_com = np.concatenate([G["commune"], self.new_g_com]).astype(np.int64)
        g_all_hamlet = np.concatenate(
            [G["hamlet_no"], (rng.random(n_ng) * hamlets).astype(np.int64) + 1]
        )
        g_all_org = np.concatenate([G["org"], self.new_g_org])
        # Customers: entrusted (by group), then direct.
        grp = self.new_c_group
        n_ent = len(grp)
        n_d = self.n_dnew
        rural = np.vectorize(RURAL_SCORE.get)(com["kind"])
        dw = com["weight"] * (1.5 - rural)
        d_com = rng.choice(len(dw), n_d, p=dw / dw.sum()) if n_d else np.zeros(0, np.int64)
        d_at_0100 = rng.random(n_d) >= DIRECT_AT_DISTRICT_SHARE
        commune = np.concatenate([g_all_com[grp], d_com]).astype(np.int64)
        office = com["office"][commune].copy()
        office[n_ent:][d_at_0100] = BRANCH_OFFICE
        hamlet = np.concatenate(
            [
                g_all_hamlet[grp],
                (rng.random(n_d) * com["hamlets"][d_com]).astype(np.int64) + 1,
            ]
        )
        org = np.concatenate([g_all_org[grp], np.full(n_d, 4)])
        self.new_cust = {
            "kind": np.concatenate([np.full(n_ent, C_NEW), np.full(n_d, C_DIRECT_NEW)]),
            "group": np.concatenate([grp, np.full(n_d, -1)]),
            "commune": commune,
            "org": org,
            "office": office,
            "hamlet_no": hamlet,
        }
        # Leaders of the new groups: their first member.
        leader = np.full(n_ng, -1, np.int64)
        is_new_g = grp >= n_g
        first = np.unique(grp[is_new_g], return_index=True)
        leader[first[0] - n_g] = n_c + np.flatnonzero(is_new_g)[first[1]]
        start_code = int(G["code"].astype(np.int64).max()) + 1 if n_g else 100_001
        self.new_groups = {
            "code": _digits(start_code + np.arange(n_ng), 7),
            "commune": self.new_g_com,
            "org": self.new_g_org,
            "hamlet_no": g_all_hamlet[n_g:],
            "leader": leader,
            "score": score,
            "established": established,
            "troubled": troubled,
        }
        self.n_new_ent, self.n_c, self.n_g = n_ent, n_c, n_g

    # ----- the period's new loans ----------------------------------------------------------
    def _new_loans(self) -> None:  # noqa: C901 - one attribute after the other
        sc, cal, rng = self.sc, self.cal, self.rng
        L, C, com = sc.loans, sc.customers, sc.communes
        pl_ = cal.period_lending
        n_c = self.n_c
        new_ent = n_c + np.arange(self.n_new_ent)
        new_dir = n_c + self.n_new_ent + np.arange(self.n_dnew)
        sec = np.concatenate(self.second) if self.second else np.zeros(0, np.int64)
        turn_cust = np.concatenate([new_ent, sec]).astype(np.int64)
        all_commune = np.concatenate([C["commune"], self.new_cust["commune"]])
        all_org = np.concatenate([C["org"], self.new_cust["org"]])
        rural = np.vectorize(RURAL_SCORE.get)(com["kind"])
        prog = turn_programs(
            rng,
            rural[all_commune[turn_cust]],
            self.n6,
            pl_.poor_group_turns,
            pl_.job_creation_turns,
            self.others - self.n_dnew,
        )
        # A continuing customer's new loan is in a programme it does not hold: swap the
        # label with a new customer's (the programme counts stay exact).
        mine = np.isin(L["customer"], sec) & (self.tot0 > 0)
        held: dict[int, set] = {}
        for c, pr in zip(L["customer"][mine], L["program"][mine], strict=True):
            held.setdefault(int(c), set()).add(pr)
        n_new = len(new_ent)
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
        d_prog = np.asarray(DIRECT_NEW_PROGRAMS, dtype=object)[np.arange(self.n_dnew) % 2]
        l_cust = np.concatenate([turn_cust, new_dir]).astype(np.int64)
        l_prog = np.concatenate([prog, d_prog]).astype(object)
        n = len(l_cust)
        direct = np.concatenate([np.zeros(len(turn_cust), bool), np.ones(self.n_dnew, bool)])
        term, amount = terms_and_amounts(rng, l_prog)
        workers = np.zeros(n, np.int64)
        water = np.zeros(n, np.int64)
        sanit = np.zeros(n, np.int64)
        t03 = np.flatnonzero(l_prog == "03")
        if len(t03):
            workers[t03] = apportion(
                pl_.workers_attracted,
                rng.gamma(2.0, 1.0, len(t03)),
                lo=1,
                hi=MAX_WORKERS_PER_LOAN,
            )
        workers[l_prog == "04"] = 1
        sel = l_prog == "30"
        workers[sel] = rng.integers(8, 250, sel.sum())
        t06 = np.flatnonzero(l_prog == "06")
        if len(t06):
            tot = apportion(
                pl_.water_sanitation_works,
                np.ones(len(t06)) + rng.random(len(t06)) * 0.1,
                lo=1,
                hi=4,
            )
            water[t06] = np.minimum(1, tot)
            sanit[t06] = tot - water[t06]
            amount[t06] = np.minimum(tot, 2) * 20_000_000
        rate = np.array([PROGRAM_BY_CODE[p_].rate_pct_month for p_ in l_prog])
        prio = (l_prog == "03") & ~direct & (rng.random(n) < 0.1)
        rate[prio] = PROGRAM_BY_CODE["03"].priority_rate_pct_month
        funding = np.where(rng.random(n) < 0.18, "2", "1")
        tday = np.where(direct, rng.integers(1, 29, n), com["day"][all_commune[l_cust]])
        start = self.k0 + 1 + rng.integers(0, self.n_m, n)
        month_index = np.array([d.year * 12 + d.month - 1 for d in self.dates])[start]
        self.new_loans = {
            "customer": l_cust,
            "kind": np.where(direct, K_DIRECT_NEW, K_NEW),
            "program": l_prog,
            "org": all_org[l_cust],
            "direct": direct,
            "is_new": np.ones(n, bool),
            "start": start,
            "settle_month": np.zeros(n, np.int64),
            "age": np.zeros(n, np.int64),
            "term": term,
            "amount": amount,
            "rate": rate,
            "funding": funding,
            "tday": tday,
            "disb_date": _month_day(month_index, tday),
            "mat_date": _month_day(month_index + term, tday),
            "workers": workers,
            "water": water,
            "sanit": sanit,
            "bad": np.zeros(n, bool),
        }
        # Category of the new customers from their first loan; employers for TLNV.
        first_prog = np.full(self.n_new_ent + self.n_dnew, "", dtype=object)
        own = l_cust >= n_c  # one loan each
        first_prog[l_cust[own] - n_c] = l_prog[own]
        is_company = np.zeros(len(first_prog), bool)
        is_company[self.n_new_ent :] = np.isin(d_prog, ["30", "03"])
        district = com["district"][self.new_cust["commune"]]
        self.new_cust.update(
            people(rng, self.new_cust["org"], district, is_company, first_prog, n_c)
        )

    # ----- the period's flows --------------------------------------------------------------
    def _flows(self) -> None:  # noqa: C901 - settlements, trouble, instalments, direct book
        sc, cal, rng = self.sc, self.cal, self.rng
        L, NL = sc.loans, self.new_loans
        n_old, n_new, n_m = len(L["customer"]), len(NL["customer"]), self.n_m
        n = n_old + n_new
        F = {t: np.zeros((n, n_m), np.int64) for t in FLOW_TYPES}
        wrong_f = np.zeros((n, n_m), np.int64)
        it0 = np.concatenate([self.it0, np.zeros(n_new, np.int64)])
        ov0 = np.concatenate([self.ov0, np.zeros(n_new, np.int64)])
        fz0 = np.concatenate([self.fz0, np.zeros(n_new, np.int64)])
        tot0 = it0 + ov0 + fz0
        cust = np.concatenate([L["customer"], NL["customer"]])
        org = np.concatenate([L["org"], NL["org"]])
        amount = NL["amount"]
        mat = np.concatenate([L["mat_date"], NL["mat_date"]]).astype("datetime64[D]")
        end_day = np.datetime64(cal.period_end, "D")
        # Month (0..n_m-1) of a date within the period, or -1 outside it.
        first_of = [np.datetime64(d.replace(day=1), "D") for d in self.months]

        def month_of(d: np.ndarray) -> np.ndarray:
            j = np.searchsorted(np.array(first_of), d, side="right") - 1
            return np.where((d >= first_of[0]) & (d <= end_day), j, -1)

        # New loans: disbursement, a few reversals (DK, re-disbursed the same day).
        new_i = n_old + np.arange(n_new)
        js = NL["start"] - self.k0 - 1
        F["disb"][new_i, js] = amount
        n_rev = round(n_new * REVERSAL_SHARE)
        rev = rng.choice(n_new, n_rev, replace=False) if n_rev else np.zeros(0, np.int64)
        wrong = amount[rev] + rng.integers(1, 10, len(rev)) * 1_000_000
        wrong_f[new_i[rev], js[rev]] = wrong
        F["disb"][new_i[rev], js[rev]] += wrong
        F["rev"][new_i[rev], js[rev]] = wrong

        # Settlements: every open loan of a settler, in its maturity month (any month when it
        # matures outside the period), some over two months.
        settling = np.zeros(n, bool)
        settling[:n_old] = self.settler[L["customer"]] & (self.tot0 > 0)
        si = np.flatnonzero(settling)
        c_month = month_of(self.c_mat.astype("datetime64[D]"))
        c_month = np.where(c_month >= 0, c_month, rng.integers(0, n_m, len(c_month)))
        sj = c_month[cust[si]]
        two = (rng.random(len(si)) < TWO_PART_SETTLEMENT) & (sj > 0)
        first_part = it0[si] // 2 // STEP * STEP
        F["th"][si[two], sj[two] - 1] = first_part[two]
        F["th"][si, sj] += np.where(two, it0[si] - first_part, it0[si])
        L["settle_month"][si] = self.k0 + 1 + sj

        # Trouble: collect, freeze or write off part of the stock; new overdue debt.
        bad = np.concatenate([L["bad"], np.zeros(n_new, bool)]) | (ov0 + fz0 > 0)
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
        com_troubled = np.concatenate([sc.customers["commune"], self.new_cust["commune"]])
        com_troubled = sc.communes["troubled"][com_troubled]
        sec = np.zeros(n_old, bool)
        if self.second:
            sec_c = np.zeros(len(self.settler), bool)
            sec_c[np.concatenate(self.second)] = True
            sec = sec_c[L["customer"]]
        cand = np.flatnonzero(
            (self.it0 >= 2 * MIN_BALANCE)
            & ~bad[:n_old]
            & ~settling[:n_old]
            & ~sec
            & ~L["direct"]
            & com_troubled[L["customer"]]
        )
        n_bad = 0
        if target > stock and len(cand):
            mean_q = max(1.0, float(self.it0[cand].mean()) * 0.65)
            n_bad = int(min(len(cand), max(1, round((target - stock) / mean_q))))
            b = rng.choice(cand, n_bad, replace=False)
            q = (self.it0[b] * rng.uniform(0.3, 1.0, n_bad)).astype(np.int64) // STEP * STEP
            q = np.clip(q, STEP, self.it0[b])
            F["cqh"][b, rng.integers(0, n_m, n_bad)] = q
            bad[b] = True
            L["bad"][b] = True
        self.notes["troubled_loans_new"] = n_bad

        # Instalments of the continuing entrusted loans: each organization's end exactly.
        out = F["th"] + F["qh"] + F["kh"] + F["wo"]
        payers_all = (
            (np.arange(n) < n_old) & (tot0 > 0) & ~settling & ~bad & (it0 >= 2 * MIN_BALANCE)
        )
        freq_all = rng.choice(3, n, p=PAYER_FREQUENCY)
        weight_all = it0 * rng.uniform(0.5, 1.5, n)
        month_all = rng.integers(0, n_m, n)
        for o, code in enumerate(ENTRUSTED_ORGS):
            in_o = org == o
            target_o = cal.orgs[code].outstanding_vnd
            need = int(tot0[in_o].sum() + (F["disb"] - F["rev"])[in_o].sum() - out[in_o].sum())
            need -= target_o
            if need < 0:  # the organization grows faster than its new loans lend: lend more
                grow = np.flatnonzero(in_o[n_old:] & (NL["program"] != "06"))
                if not len(grow):
                    raise self.fail(
                        f"{self.key}orgs.{code}.outstanding_vnd",
                        "grows by more than the period's new loans can lend",
                    )
                units = (-need + 4_999_999) // 5_000_000
                add = apportion(units, amount[grow].astype(float)) * 5_000_000
                NL["amount"][grow] += add
                F["disb"][new_i[grow], js[grow]] += add
                need += int(add.sum())
            self._instalments(
                F["th"],
                need,
                in_o & payers_all,
                it0,
                freq_all,
                weight_all,
                month_all,
                f"{self.key}orgs.{code}.outstanding_vnd",
            )

        # The direct book: loans settle in order of maturity, early when the book runs off.
        self._direct(F, it0, tot0, mat, end_day, month_of, new_i, js, n_old)
        self.F, self.wrong_f, self.bad = F, wrong_f, bad
        self.notes["reversals"] = int(n_rev)

    def _instalments(
        self,
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
            raise self.fail(key, "falls by more than the continuing loans can repay")
        r = apportion(need // STEP, weight[pay], hi=cap) * STEP
        room = it0[pay] - MIN_BALANCE - r
        r[int(np.argmax(room))] += need % STEP
        n_m = th.shape[1]
        monthly = freq[pay] == 0
        base = (r[monthly] // n_m) // STEP * STEP
        for j in range(n_m):
            th[pay[monthly], j] += base if j < n_m - 1 else r[monthly] - base * (n_m - 1)
        th[pay[~monthly], month[pay[~monthly]]] += r[~monthly]

    def _direct(self, F, it0, tot0, mat, end_day, month_of, new_i, js, n_old) -> None:  # noqa: PLR0913
        cal, rng, L, NL = self.cal, self.rng, self.sc.loans, self.new_loans
        n = len(it0)
        direct = np.concatenate([L["direct"], NL["direct"]])
        old = np.flatnonzero(direct & (np.arange(n) < n_old) & (tot0 > 0))
        new_d = NL["amount"][NL["direct"]]
        keep = cal.direct_outstanding_vnd - int(new_d.sum())  # the old loans' end balance
        key = f"{self.key}direct_outstanding_vnd"
        book = int(tot0[old].sum())
        if keep > book:  # the book grows: the new direct loans lend more
            grow = np.flatnonzero(NL["direct"])
            if not len(grow):
                raise self.fail(key, "grows, but the period has no new direct loan to lend it")
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
        office = np.concatenate([self.sc.customers["office"], self.new_cust["office"]])
        at_branch = office[np.concatenate([L["customer"], NL["customer"]])] == BRANCH_OFFICE
        branch_left = int(at_branch[old].sum()) - (0 if (at_branch[n_old:]).any() else 1)
        for i in order:
            b = int(tot0[i])
            if at_branch[i] and branch_left <= 0:
                continue
            matured = mat[i] <= end_day
            early = rest - keep > DIRECT_EARLY_SHARE * rest
            tight = n_rest * MIN_BALANCE > keep  # too many loans for what is left
            fits = rest - b >= keep and (n_rest > 1 or rest - b == keep)
            if fits and (matured or early or tight):
                settle.append(i)
                rest -= b
                n_rest -= 1
                branch_left -= int(at_branch[i])
            elif not matured and not early and not tight:
                break
        settle = np.asarray(settle, np.int64)
        sj = month_of(mat[settle])
        sj = np.where(sj >= 0, sj, rng.integers(0, self.n_m, len(settle)))
        F["th"][settle, sj] += it0[settle]
        L["settle_month"][settle] = self.k0 + 1 + sj
        payers = np.zeros(n, bool)
        payers[np.setdiff1d(old, settle)] = True
        self._instalments(
            F["th"],
            rest - keep,
            payers,
            it0,
            np.zeros(n, np.int64),  # direct loans repay monthly
            it0 * rng.uniform(0.5, 1.5, n),
            np.zeros(n, np.int64),
            key,
        )
        self.notes["direct_settled"] = int(len(settle))

    # ----- balances, interest, the checks of the period's figures ----------------------------
    def _roll(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        sc, cal, F = self.sc, self.cal, self.F
        L, NL = sc.loans, self.new_loans
        n_new = len(NL["customer"])
        z = np.zeros(n_new, np.int64)
        it = np.concatenate([self.it0, z])
        ov = np.concatenate([self.ov0, z])
        fz = np.concatenate([self.fz0, z])
        rate = np.concatenate([L["rate"], NL["rate"]])
        earns = (rate > 0) & ~self.bad
        for j in range(self.n_m):
            F["tl"][:, j] = np.where(earns, np.rint((it + ov + fz) * rate / 100), 0).astype(
                np.int64
            )
            it = it + F["disb"][:, j] - F["rev"][:, j] - F["th"][:, j] - F["cqh"][:, j]
            ov = ov + F["cqh"][:, j] - F["qh"][:, j] - F["khn"][:, j]
            fz = fz + F["khn"][:, j] - F["kh"][:, j] - F["wo"][:, j]
            if (it < 0).any() or (ov < 0).any() or (fz < 0).any():
                raise AssertionError(f"generator bug: a negative balance in {self.where}")
        # Append the period: new columns for every loan, new rows for the new loans.
        for t in FLOW_TYPES:
            old = np.concatenate([sc.flows[t], np.zeros((n_new, sc.flows[t].shape[1]), np.int64)])
            sc.flows[t] = np.concatenate([old, F[t]], axis=1)
        old = np.concatenate([sc.gn_wrong, np.zeros((n_new, sc.gn_wrong.shape[1]), np.int64)])
        sc.gn_wrong = np.concatenate([old, self.wrong_f], axis=1)
        sc.opening = tuple(np.concatenate([x, z]) for x in sc.opening)
        sc.present = np.zeros((len(it), 0), bool)  # made for the whole history at the end
        _append(sc.customers, self.new_cust)
        _append(sc.groups, self.new_groups)
        _append(sc.loans, NL)
        # The period's figures, exactly (else the recipe above has a bug).
        tot = it + ov + fz
        C = sc.customers
        L = sc.loans
        c_tot = np.zeros(len(C["kind"]), np.int64)
        np.add.at(c_tot, L["customer"], tot)
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
                raise AssertionError(f"generator bug: {self.where} org {code}: {got} != {t}")
        if int(tot[L["direct"]].sum()) != cal.direct_outstanding_vnd:
            raise AssertionError(f"generator bug: {self.where} direct book")
        return it, ov, fz

    # ----- the reconciliation campaign ------------------------------------------------------
    def _reconciliation(self) -> None:
        sc, cal, rng = self.sc, self.cal, self.rng
        rc, L = sc.recon, sc.loans
        R = cal.reconciliation.reconciled
        year = self.year
        ks = self.k0 + 1 + np.arange(self.n_m)
        if year != sc.dates[self.k0].year:  # a new year: the campaign of this year starts
            n_c = len(sc.customers["kind"])
            c_tot = np.zeros(n_c, np.int64)
            np.add.at(c_tot, L["customer"][: len(self.tot0)], self.tot0)
            scope = np.flatnonzero(c_tot > 0)
            if R > len(scope):
                raise self.fail(
                    f"{self.key}reconciliation.reconciled",
                    f"{R} exceeds the {year} campaign's scope: {len(scope)} customers had "
                    f"outstanding on 31/12/{year - 1}",
                )
            n_com = len(sc.communes["code"])
            com_rank = rng.permutation(n_com)
            keyr = com_rank[sc.customers["commune"][scope]] + rng.random(len(scope)) * 3.0
            order = np.argsort(keyr, kind="stable")
            rank = np.empty(len(scope), np.int64)
            rank[order] = np.arange(len(scope))
            c_day = np.zeros(n_c, np.int64)
            c_day[L["customer"][::-1]] = L["tday"][::-1]
            month = np.zeros(len(scope), np.int64)
            month[order[:R]] = np.repeat(ks, apportion(R, np.ones(self.n_m)))
            _append(
                rc,
                {
                    "customer": scope,
                    "month": month,
                    "day": c_day[scope],
                    "campaign": np.full(len(scope), year),
                    "rank": rank,
                },
            )
            self.derived["campaigns"][str(year)] = {
                "scope_date": str(sc.dates[self.k0]),
                "in_scope": int(len(scope)),
                "given": False,
            }
            return
        rows = np.flatnonzero(rc["campaign"] == year)
        done = int((rc["month"][rows] > 0).sum())
        if R > len(rows):
            raise self.fail(
                f"{self.key}reconciliation.reconciled",
                f"{R} exceeds the {year} campaign's scope ({len(rows)})",
            )
        more = rows[(rc["rank"][rows] >= done) & (rc["rank"][rows] < R)]
        more = more[np.argsort(rc["rank"][more])]
        rc["month"][more] = np.repeat(ks, apportion(len(more), np.ones(self.n_m)))

    # ----- savings books of the new customers ------------------------------------------------
    def _savings(self) -> None:
        sc, rng = self.sc, self.rng
        n_new = self.n_new_ent  # direct borrowers keep no member savings book
        c = self.n_c + np.arange(n_new)
        has = rng.random(n_new) < SAVINGS_BOOK_SHARE
        two = has & (rng.random(n_new) < TWO_BOOKS_SHARE)
        book_cust = np.concatenate([c[has], c[two]])
        book_no = np.concatenate([np.ones(has.sum(), np.int64), np.full(two.sum(), 2)])
        o = np.lexsort((book_no, book_cust))
        book_cust, book_no = book_cust[o], book_no[o]
        nb = len(book_cust)
        _append(
            sc.savings,
            {
                "customer": book_cust,
                "no": book_no,
                "code": np.char.add(
                    np.char.add("105", _digits(book_cust + 1, 8)), _digits(book_no)
                ),
                "balance": np.zeros((nb, sc.savings["balance"].shape[1]), np.int64),
                "sav0": rng.integers(200, 8000, nb) * 1000,
                "dep": rng.integers(5, 30, nb) * 10_000,
                "from": np.full(nb, self.k0 + 1),
            },
        )
