"""Customers: how many of each kind, who belongs to which group, where the direct borrowers
are, their personal data, the groups' leaders and the members' savings books."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipelines.contract.codes import BRANCH_OFFICE, ENTRUSTED_ORGS, HOUSEHOLD_EMPLOYER

from . import names
from .alloc import apportion
from .assumptions import (
    CATEGORY_OF_PROGRAM,
    DIRECT_AT_DISTRICT_SHARE,
    DIRECT_MEAN_OUTSTANDING,
    EMPTY_PHONE_SHARE,
    GROUP_MAX_MEMBERS,
    GROUP_MIN_MEMBERS,
    NEW_CUSTOMER_SHARE,
    SAVINGS_BOOK_SHARE,
    SAVINGS_ONLY_SHARE,
    TWO_BOOKS_SHARE,
)
from .branch import direct_weight
from .calibration import Calibration
from .scenario import C_CONT, C_DIRECT_NEW, C_DIRECT_OLD, C_NEW, C_SAVINGS, C_SETTLED, digits
from .turns import turn_mix


@dataclass(frozen=True)
class Counts:
    """The first period's customers of each kind, per organization (in ``ENTRUSTED_ORGS``
    order) where they are entrusted: what makes households and the campaign's scope exact."""

    households: np.ndarray  # with outstanding at the period's end
    new: np.ndarray  # turns to customers new to the bank
    second: np.ndarray  # turns to continuing customers (a loan in a second programme)
    settled: np.ndarray  # had outstanding at the opening date, none at the end
    savings_only: np.ndarray
    direct_old: int
    direct_new: int
    water_turns: int  # NSVSMT turns (``turns.turn_mix``)
    other_turns: int  # turns in programmes 02 / 04 / 07, direct ones included

    @property
    def settled_total(self) -> int:
        return int(self.settled.sum())


def counts(cal: Calibration) -> Counts:
    """Customers new to the bank are ~62 % of an organization's turns, the rest go to
    continuing customers; the settlers are what the campaign's scope leaves: every customer
    with outstanding at the opening date is in scope."""
    pl_ = cal.period_lending
    H = np.array([cal.orgs[o].households for o in ENTRUSTED_ORGS])
    n6, others, others_direct = turn_mix(pl_, cal.direct_outstanding_vnd)
    t_org = apportion(pl_.loan_turns - others_direct, H)
    new_org = np.minimum(np.round(t_org * NEW_CUSTOMER_SHARE).astype(np.int64), H - 1)
    second_org = t_org - new_org
    cont_org = H - new_org
    if (second_org > cont_org).any():
        raise ValueError("calibration: orgs.*.households too few for the period's loan turns")
    n_dold = max(1, round(cal.direct_outstanding_vnd / DIRECT_MEAN_OUTSTANDING))
    settled_total = cal.reconciliation.in_scope - n_dold - int(cont_org.sum())
    if settled_total < 0:
        raise ValueError(
            "calibration: reconciliation.in_scope is smaller than the customers who must have "
            "had outstanding at opening_date (households at period end minus new borrowers)"
        )
    return Counts(
        households=H,
        new=new_org,
        second=second_org,
        settled=apportion(settled_total, H),
        savings_only=np.round(H * SAVINGS_ONLY_SHARE).astype(np.int64),
        direct_old=n_dold,
        direct_new=others_direct,
        water_turns=n6,
        other_turns=others,
    )


def members(
    rng: np.random.Generator, n: Counts, g_org: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The entrusted customers, group by group: each one's group and kind. Group sizes
    (members with outstanding at the end) are apportioned to sum to the households, every
    group having at least one; settled and savings-only members come on top."""
    n_grp = len(g_org)
    H = n.households
    active = np.zeros(n_grp, np.int64)
    extra = np.zeros(n_grp, np.int64)
    for o in range(4):
        gi = np.flatnonzero(g_org == o)
        m = H[o] / len(gi)
        raw = np.clip(rng.normal(m, 0.28 * m, len(gi)), 1, GROUP_MAX_MEMBERS - 5)
        lo = min(GROUP_MIN_MEMBERS, H[o] // len(gi))
        active[gi] = apportion(int(H[o]), raw, lo=lo, hi=GROUP_MAX_MEMBERS - 2)
        n_extra = int(n.settled[o] + n.savings_only[o])
        cap = GROUP_MAX_MEMBERS - active[gi]
        extra[gi] = apportion(n_extra, active[gi] * rng.uniform(0.5, 1.5, len(gi)), hi=cap)

    # Per group: the members with outstanding at the end first, then the others.
    cust_group = np.repeat(np.arange(n_grp), active + extra)
    pos_in_group = np.arange(len(cust_group)) - np.repeat(
        np.cumsum(active + extra) - (active + extra), active + extra
    )
    is_active = pos_in_group < np.repeat(active, active + extra)
    c_kind_arr = np.full(len(cust_group), C_CONT, np.int64)
    for o in range(4):
        org_mask = g_org[cust_group] == o
        act = np.flatnonzero(org_mask & is_active)
        newc = rng.choice(act, int(n.new[o]), replace=False)
        c_kind_arr[newc] = C_NEW
        ext = rng.permutation(np.flatnonzero(org_mask & ~is_active))
        c_kind_arr[ext[: n.settled[o]]] = C_SETTLED
        c_kind_arr[ext[n.settled[o] :]] = C_SAVINGS
    return cust_group, c_kind_arr


def table(
    rng: np.random.Generator,
    communes: dict[str, np.ndarray],
    groups: dict[str, np.ndarray],
    cust_group: np.ndarray,
    c_kind: np.ndarray,
    n: Counts,
) -> dict[str, np.ndarray]:
    """Every customer's kind, group, commune, organization, office and hamlet: the entrusted
    members first, then the direct borrowers (old, then new), most of them at the branch
    office."""
    g_com, g_org, g_hamlet_no = groups["commune"], groups["org"], groups["hamlet_no"]
    n_com = len(communes["code"])
    n_ent_c = len(cust_group)
    n_dold, n_dnew = n.direct_old, n.direct_new
    n_dir = n_dold + n_dnew
    d_at_0100 = rng.random(n_dir) >= DIRECT_AT_DISTRICT_SHARE
    dw = direct_weight(communes)
    d_com = rng.choice(n_com, n_dir, p=dw / dw.sum())

    n_cust = n_ent_c + n_dir
    cust = {
        "kind": np.concatenate(
            [c_kind, np.full(n_dold, C_DIRECT_OLD), np.full(n_dnew, C_DIRECT_NEW)]
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
    return cust


def group_leaders(cust_group: np.ndarray, c_kind: np.ndarray, n_grp: int) -> np.ndarray:
    """A continuing member of each group (the first member otherwise)."""
    leader = np.full(n_grp, -1, np.int64)
    members_idx = np.arange(len(cust_group))
    pref = np.where(c_kind == C_CONT, 0, 1)
    o2 = np.lexsort((members_idx, pref, cust_group))
    first_pos = np.r_[0, np.flatnonzero(np.diff(cust_group[o2])) + 1]
    leader[cust_group[o2][first_pos]] = o2[first_pos]
    return leader


def personal_data(
    rng: np.random.Generator,
    cust: dict[str, np.ndarray],
    communes: dict[str, np.ndarray],
    l_cust: np.ndarray,
    l_prog: np.ndarray,
    direct: np.ndarray,
    code_base: int,
) -> dict[str, np.ndarray]:
    """``people`` of the customers ``cust``, numbered from ``code_base``, given the loans:
    the household category follows a customer's first loan (savings-only members are
    households); direct borrowers in programme 30 (employers) or 03 are enterprises."""
    n_cust = len(cust["org"])
    own = l_cust >= code_base
    first_prog = np.full(n_cust, "", dtype=object)
    first_prog[l_cust[own][::-1] - code_base] = l_prog[own][::-1]
    is_company = np.zeros(n_cust, bool)
    d = direct & own
    is_company[l_cust[d] - code_base] = np.isin(l_prog[d], ["30", "03"])
    district = communes["district"][cust["commune"]]
    return people(rng, cust["org"], district, is_company, first_prog, code_base)


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
        np.char.add("001", digits(century)),
        np.char.add(digits(birth % 100, 2), digits(rng.integers(0, 1_000_000, n_cust), 6)),
    )
    phone = np.char.add(
        np.asarray(["09", "03", "08", "07"])[rng.integers(0, 4, n_cust)],
        digits(rng.integers(0, 100_000_000, n_cust), 8),
    ).astype(object)
    phone[rng.random(n_cust) < EMPTY_PHONE_SHARE] = None
    category = np.full(n_cust, "Hộ gia đình", dtype=object)
    for p_, cat in CATEGORY_OF_PROGRAM.items():
        category[first_prog == p_] = cat
    category[is_company] = HOUSEHOLD_EMPLOYER
    code_perm = rng.permutation(n_cust)
    return {
        "code": digits(10_000_000 + (code_base + code_perm) * 7 + 3, 10),
        "name": cname,
        "female": female,
        "birth": birth,
        "ethnicity": eth,
        "national_id": nid,
        "phone": phone,
        "category": category,
    }


def savings_books(
    rng: np.random.Generator, cust: np.ndarray, borrower: np.ndarray, saver: np.ndarray
) -> dict[str, np.ndarray]:
    """The TK 105 books of the customers ``cust``: most borrowers hold one, a few two (the
    contract's duplicate M31 rows), every savings-only member one; sorted by customer and
    book. ``sav0`` + ``dep`` per month since ``from`` is the balance (``savings_balance``)."""
    has_book = borrower & (rng.random(len(cust)) < SAVINGS_BOOK_SHARE)
    has_book |= saver
    two = has_book & borrower & (rng.random(len(cust)) < TWO_BOOKS_SHARE)
    book_cust = np.concatenate([cust[has_book], cust[two]])
    book_no = np.concatenate([np.ones(has_book.sum(), np.int64), np.full(two.sum(), 2)])
    o3 = np.lexsort((book_no, book_cust))
    book_cust, book_no = book_cust[o3], book_no[o3]
    nb = len(book_cust)
    sav0 = rng.integers(200, 8000, nb) * 1000
    dep = rng.integers(5, 30, nb) * 10_000
    return {
        "customer": book_cust,
        "no": book_no,
        "code": np.char.add(np.char.add("105", digits(book_cust + 1, 8)), digits(book_no)),
        "sav0": sav0,
        "dep": dep,
    }


def savings_balance(savings: dict[str, np.ndarray], n_snap: int) -> np.ndarray:
    """(books, snapshots): the opening deposit and a monthly deposit from the book's first
    snapshot."""
    k = np.arange(n_snap)
    return savings["sav0"][:, None] + savings["dep"][:, None] * np.maximum(
        0, k[None, :] - savings["from"][:, None]
    )
