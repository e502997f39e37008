"""A later period's customers: who settles, who borrows in a second programme, which groups
close and open, and where the customers new to the bank go.

Households per organization come out exactly: previous households - settlers + new
customers. New customers are ~62 % of the organization's turns (at least its growth), which
fixes the number of settlers; settlers are the customers whose loans mature first, and every
continuing group keeps its members with the latest maturities, so it keeps outstanding.
Groups per organization: when the target falls, the groups with the fewest members with
outstanding settle entirely; when it rises, new groups open with new customers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipelines.contract.codes import BRANCH_OFFICE, ENTRUSTED_ORGS

from .alloc import apportion
from .assumptions import (
    DIRECT_AT_DISTRICT_SHARE,
    GROUP_MAX_MEMBERS,
    GROUP_MIN_MEMBERS,
    NEW_CUSTOMER_SHARE,
)
from .branch import direct_weight, group_weight
from .period import Period
from .scenario import C_DIRECT_NEW, C_NEW, C_SAVINGS, Scenario, customer_totals
from .turns import turn_mix


@dataclass(frozen=True)
class Standing:
    """The book at the previous period's end, per customer and per group."""

    active: np.ndarray  # an entrusted customer with outstanding
    troubled: np.ndarray  # a customer with overdue or frozen debt
    latest_maturity: np.ndarray  # days since 1970 of the customer's latest open loan's (-1)
    open_loans: np.ndarray  # the customer's loans with outstanding
    group_active: np.ndarray  # members with outstanding per group
    group_troubled: np.ndarray

    @property
    def group_alive(self) -> np.ndarray:
        return self.group_active > 0


@dataclass(frozen=True)
class Turnover:
    """Who leaves and who arrives in the period (customers indexed as in the scenario, new
    groups numbered after the existing ones)."""

    settler: np.ndarray  # bool per customer: all its loans settle in the period
    second: list[np.ndarray]  # per organization: continuing customers with a new loan
    new_c_group: np.ndarray  # the group of each new entrusted customer
    new_g_org: np.ndarray  # organization and commune of each new group
    new_g_com: np.ndarray
    water_turns: int  # ``turns.turn_mix``
    other_turns: int
    direct_new: int
    troubled: np.ndarray  # Standing.troubled
    latest_maturity: np.ndarray  # Standing.latest_maturity
    notes: dict


def standing(sc: Scenario, per: Period) -> Standing:
    L, C, G = sc.loans, sc.customers, sc.groups
    n_c, n_g = len(C["kind"]), len(G["code"])
    c_tot = customer_totals(L["customer"], per.tot0, n_c)
    ent = C["group"] >= 0
    active = (c_tot > 0) & ent
    troubled = np.zeros(n_c, bool)
    troubled[L["customer"][(per.ov0 + per.fz0) > 0]] = True
    open_l = per.tot0 > 0
    mat = L["mat_date"].astype("datetime64[D]").astype(np.int64)
    c_mat = np.full(n_c, -1, np.int64)
    np.maximum.at(c_mat, L["customer"][open_l], mat[open_l])
    grp = np.maximum(C["group"], 0)
    return Standing(
        active=active,
        troubled=troubled,
        latest_maturity=c_mat,
        open_loans=np.bincount(L["customer"][open_l], minlength=n_c),
        group_active=np.bincount(grp[active], minlength=n_g),
        group_troubled=np.bincount(grp[troubled & ent], minlength=n_g) > 0,
    )


def turnover(rng: np.random.Generator, sc: Scenario, per: Period) -> Turnover:
    cal, key = per.cal, per.key
    C, G = sc.customers, sc.groups
    s = standing(sc, per)
    H = np.array([cal.orgs[o].households for o in ENTRUSTED_ORGS])
    Gt = np.array([cal.orgs[o].groups for o in ENTRUSTED_ORGS])
    n6, others, n_dnew = turn_mix(cal.period_lending, cal.direct_outstanding_vnd, key)
    t_org = apportion(cal.period_lending.loan_turns - n_dnew, H)
    H_prev = np.bincount(C["org"][s.active], minlength=5)[:4]
    G_prev = np.bincount(G["org"][s.group_alive], minlength=4)
    grow = H - H_prev
    for o, org in enumerate(ENTRUSTED_ORGS):
        if grow[o] > t_org[o]:
            raise per.fail(
                f"{key}orgs.{org}.households",
                f"grows by {grow[o]} from the previous period's {H_prev[o]}, more than the "
                f"{t_org[o]} turns of the organization (period_lending.loan_turns) allow",
            )
    new_org = np.clip(
        np.round(t_org * NEW_CUSTOMER_SHARE).astype(np.int64), np.maximum(grow, 0), t_org
    )
    settled_org = H_prev - H + new_org
    second_org = t_org - new_org

    closing = _closing_groups(rng, sc, per, s, G_prev - Gt, settled_org)
    anchor = _anchors(rng, sc, s, closing)
    settler, second = _settlers(
        rng, sc, per, s, closing, anchor, H, H_prev, new_org, settled_org, second_org
    )
    members = _members_listed(sc, per)
    new_c_group, new_g_org, new_g_com = _place_new_customers(
        rng, sc, per, s, closing, members, np.maximum(0, Gt - G_prev), new_org
    )
    return Turnover(
        settler=settler,
        second=second,
        new_c_group=new_c_group,
        new_g_org=new_g_org,
        new_g_com=new_g_com,
        water_turns=n6,
        other_turns=others,
        direct_new=n_dnew,
        troubled=s.troubled,
        latest_maturity=s.latest_maturity,
        notes={
            "settled_customers": int(settler.sum()),
            "new_customers": int(len(new_c_group) + n_dnew),
            "second_programme_turns": int(second_org.sum()),
            "groups_closed": int(closing.sum()),
            "groups_opened": len(new_g_org),
        },
    )


def _closing_groups(
    rng: np.random.Generator,
    sc: Scenario,
    per: Period,
    s: Standing,
    n_close_org: np.ndarray,
    settled_org: np.ndarray,
) -> np.ndarray:
    """Groups that close, every member with outstanding settling: the smallest first, never
    an office's last group (an office keeps delivering its month-end reports)."""
    G, key = sc.groups, per.key
    g_act, g_alive = s.group_active, s.group_alive
    closing = np.zeros(len(G["code"]), bool)
    g_office = sc.communes["office"][G["commune"]]
    offices, g_office_i = np.unique(g_office, return_inverse=True)
    alive_in_office = np.bincount(g_office_i[g_alive], minlength=len(offices))
    for o, org in enumerate(ENTRUSTED_ORGS):
        n_close = n_close_org[o]
        if n_close <= 0:
            continue
        cand = np.flatnonzero(g_alive & (G["org"] == o) & ~s.group_troubled)
        chosen = []
        for g in cand[np.lexsort((rng.random(len(cand)), g_act[cand]))]:
            if len(chosen) == n_close:
                break
            if alive_in_office[g_office_i[g]] > 1:
                chosen.append(g)
                alive_in_office[g_office_i[g]] -= 1
        cand = np.asarray(chosen, np.int64)
        if len(cand) < n_close or g_act[cand].sum() > settled_org[o]:
            raise per.fail(
                f"{key}orgs.{org}.groups, {key}orgs.{org}.households",
                f"{n_close} groups would have to close, but their members with outstanding "
                f"are more than the {settled_org[o]} customers who can settle",
            )
        closing[cand] = True
    return closing


def _anchors(
    rng: np.random.Generator, sc: Scenario, s: Standing, closing: np.ndarray
) -> np.ndarray:
    """The members each continuing group keeps: those with the latest maturities (troubled
    members never settle), so that it keeps outstanding, and its size, next year."""
    grp = np.maximum(sc.customers["group"], 0)
    stay_key = np.where(s.troubled, 10**9, s.latest_maturity)
    order = np.lexsort((rng.random(len(grp)), -stay_key, grp))
    order = order[s.active[order] & ~closing[grp[order]]]
    g_sorted = grp[order]
    first_pos = np.searchsorted(g_sorted, g_sorted, side="left")
    keep = (np.arange(len(order)) - first_pos) < np.minimum(
        GROUP_MIN_MEMBERS, s.group_active[g_sorted]
    )
    anchor = np.zeros(len(grp), bool)
    anchor[order[keep]] = True
    return anchor


def _settlers(
    rng: np.random.Generator,
    sc: Scenario,
    per: Period,
    s: Standing,
    closing: np.ndarray,
    anchor: np.ndarray,
    H: np.ndarray,
    H_prev: np.ndarray,
    new_org: np.ndarray,
    settled_org: np.ndarray,
    second_org: np.ndarray,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """The settlers (the closing groups' members, then the earliest maturities) and the
    continuing customers who borrow in a second programme (those with one loan first)."""
    C, key = sc.customers, per.key
    grp = np.maximum(C["group"], 0)
    active, troubled = s.active, s.troubled
    forced = active & closing[grp]
    settler = forced.copy()
    second: list[np.ndarray] = []
    tie = rng.random(len(grp))
    for o, org in enumerate(ENTRUSTED_ORGS):
        need = settled_org[o] - int((forced & (C["org"] == o)).sum())
        cand = np.flatnonzero(active & (C["org"] == o) & ~closing[grp] & ~anchor & ~troubled)
        if need > len(cand):
            raise per.fail(
                f"{key}orgs.{org}.households",
                f"falls to {H[o]} from {H_prev[o]} with {new_org[o]} new customers: "
                f"{settled_org[o]} customers would have to settle, more than the groups "
                "can lose",
            )
        cand = cand[np.lexsort((tie[cand], s.latest_maturity[cand]))]
        settler[cand[:need]] = True
        cand = np.flatnonzero(active & (C["org"] == o) & ~settler & ~troubled)
        cand = cand[np.lexsort((rng.random(len(cand)), s.open_loans[cand] > 1))]
        if second_org[o] > len(cand):
            raise per.fail(
                f"{key}orgs.{org}.households, {key}period_lending.loan_turns",
                f"{second_org[o]} turns would go to continuing customers, more than the "
                f"{len(cand)} who continue",
            )
        second.append(np.sort(cand[: second_org[o]]))
    return settler, second


def _members_listed(sc: Scenario, per: Period) -> np.ndarray:
    """Members per group in the period's last M31 (this year's settlers still are, as CLOSE):
    the room left against the contract's 60."""
    L, C = sc.loans, sc.customers
    snap_year = np.array([d.year for d in per.dates])
    sm = L["settle_month"]
    listed = (sm == 0) | (snap_year[sm] == per.year)
    listed_c = np.zeros(len(C["kind"]), bool)
    listed_c[L["customer"][listed]] = True
    listed_c |= C["kind"] == C_SAVINGS
    grp = np.maximum(C["group"], 0)
    return np.bincount(grp[listed_c & (C["group"] >= 0)], minlength=len(sc.groups["code"]))


def _place_new_customers(
    rng: np.random.Generator,
    sc: Scenario,
    per: Period,
    s: Standing,
    closing: np.ndarray,
    members: np.ndarray,
    n_open_org: np.ndarray,
    new_org: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The new groups (organization, commune), then the group of each new customer: 3 in
    each new group, the rest spread over the organization's groups with room."""
    G, key = sc.groups, per.key
    n_g = len(G["code"])
    g_act = s.group_active
    new_g_org, new_g_com = [], []
    new_c_group: list[np.ndarray] = []
    n_new_g = 0
    for o, org in enumerate(ENTRUSTED_ORGS):
        n_open_g = int(n_open_org[o])
        if new_org[o] < GROUP_MIN_MEMBERS * n_open_g:
            raise per.fail(
                f"{key}orgs.{org}.groups",
                f"{n_open_g} new groups need {GROUP_MIN_MEMBERS} new customers each, but "
                f"the turns bring {new_org[o]}",
            )
        w = group_weight(sc.communes)
        g_com = rng.choice(len(w), n_open_g, p=w / w.sum()) if n_open_g else []
        new_g_org += [o] * n_open_g
        new_g_com += list(g_com)
        old = np.flatnonzero(s.group_alive & ~closing & (G["org"] == o))
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
            raise per.fail(
                f"{key}orgs.{org}.households",
                f"{new_org[o]} new customers do not fit in the organization's groups "
                f"({GROUP_MAX_MEMBERS} members at most)",
            )
        alloc = apportion(rest, weight, hi=room.clip(0))
        alloc[len(old) :] += GROUP_MIN_MEMBERS
        new_c_group.append(np.repeat(ids, alloc))
        n_new_g += n_open_g
    return (
        np.concatenate(new_c_group) if new_c_group else np.zeros(0, np.int64),
        np.asarray(new_g_org, np.int64),
        np.asarray(new_g_com, np.int64),
    )


def new_customers(
    rng: np.random.Generator,
    sc: Scenario,
    new_groups: dict[str, np.ndarray],
    t: Turnover,
) -> dict[str, np.ndarray]:
    """The new customers: entrusted ones (by group), then direct ones (most at the branch
    office). Sets the new groups' leaders (their first member)."""
    C, G, com = sc.customers, sc.groups, sc.communes
    n_c, n_g = len(C["kind"]), len(G["code"])
    g_all_com = np.concatenate([G["commune"], new_groups["commune"]]).astype(np.int64)
    g_all_hamlet = np.concatenate([G["hamlet_no"], new_groups["hamlet_no"]])
    g_all_org = np.concatenate([G["org"], new_groups["org"]])
    grp = t.new_c_group
    n_ent = len(grp)
    n_d = t.direct_new
    dw = direct_weight(com)
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
    is_new_g = grp >= n_g
    first = np.unique(grp[is_new_g], return_index=True)
    new_groups["leader"][first[0] - n_g] = n_c + np.flatnonzero(is_new_g)[first[1]]
    return {
        "kind": np.concatenate([np.full(n_ent, C_NEW), np.full(n_d, C_DIRECT_NEW)]),
        "group": np.concatenate([grp, np.full(n_d, -1)]),
        "commune": commune,
        "org": org,
        "office": office,
        "hamlet_no": hamlet,
    }
