"""The branch's geography and its groups: communes under the district offices, and the
savings-and-loan groups (tổ TK&VV) in them with their ratings."""

from __future__ import annotations

import datetime as dt

import numpy as np

from pipelines.contract.codes import DISTRICT_OFFICES, ENTRUSTED_ORGS

from . import names
from .alloc import apportion
from .assumptions import (
    HAMLETS_PER_COMMUNE,
    KIND_BORROWER_WEIGHT,
    KIND_COMMUNE_WEIGHT,
    RURAL_SCORE,
    TROUBLED_COMMUNE_SHARE,
)
from .calibration import Calibration
from .scenario import digits

FIRST_GROUP_CODE = 100_001


def rural_score(kind: np.ndarray) -> np.ndarray:
    """``RURAL_SCORE`` of each commune kind."""
    return np.select([kind == k for k in RURAL_SCORE], list(RURAL_SCORE.values()), 0.0)


def group_weight(communes: dict[str, np.ndarray]) -> np.ndarray:
    """Where groups open, and where trouble falls: rural communes first."""
    return communes["weight"] * (0.2 + rural_score(communes["kind"]))


def direct_weight(communes: dict[str, np.ndarray]) -> np.ndarray:
    """Where direct borrowers live: urban communes first."""
    return communes["weight"] * (1.5 - rural_score(communes["kind"]))


def _group_table(
    first_code: int,
    g_com: np.ndarray,
    g_org: np.ndarray,
    hamlet_no: np.ndarray,
    score: np.ndarray,
    established: np.ndarray,
    communes_troubled: np.ndarray,
) -> dict[str, np.ndarray]:
    """``Scenario.groups`` rows, numbered from ``first_code``, leaders not yet chosen."""
    return {
        "code": digits(first_code + np.arange(len(g_com)), 7),
        "commune": g_com,
        "org": g_org,
        "hamlet_no": hamlet_no,
        "leader": np.full(len(g_com), -1, np.int64),
        "score": score,
        "established": established,
        "troubled": communes_troubled[g_com],
    }


def communes(rng: np.random.Generator, cal: Calibration) -> dict[str, np.ndarray]:
    """The communes of every district office, their transaction day, hamlets and weight (how
    many borrowers live there), and the few troubled ones."""
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
    n_troubled = max(1, round(n_com * TROUBLED_COMMUNE_SHARE))
    pw = group_weight(communes)
    troubled_idx = rng.choice(n_com, size=n_troubled, replace=False, p=pw / pw.sum())
    communes["troubled"] = np.zeros(n_com, bool)
    communes["troubled"][troubled_idx] = True
    return communes


def groups(
    rng: np.random.Generator, cal: Calibration, communes: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Exactly the calibrated number of groups per organization, at least one per commune
    while there are enough; the leaders follow from the members (``customers``)."""
    n_com = len(communes["code"])
    pw = group_weight(communes)
    g_org_counts = np.array([cal.orgs[o].groups for o in ENTRUSTED_ORGS])
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
    return _group_table(
        FIRST_GROUP_CODE, g_com, g_org, g_hamlet_no, score, established, communes["troubled"]
    )


def new_groups(
    rng: np.random.Generator,
    cal: Calibration,
    communes: dict[str, np.ndarray],
    existing_codes: np.ndarray,
    g_org: np.ndarray,
    g_com: np.ndarray,
) -> dict[str, np.ndarray]:
    """Groups opened in a later period: codes continue the sequence, each is rated Tốt with
    the period's share (the rest worse in troubled communes), founded in its first month.
    Their leaders follow from the new customers (``turnover.new_customers``)."""
    n_ng = len(g_org)
    hamlets = communes["hamlets"][g_com]
    troubled = communes["troubled"][g_com]
    good = rng.random(n_ng) < cal.quality.groups_rated_good
    score = np.where(
        good,
        rng.integers(85, 101, n_ng),
        np.where(troubled, rng.integers(40, 70, n_ng), rng.integers(70, 85, n_ng)),
    )
    established = np.array(
        [cal.period_start.replace(day=int(d)) for d in rng.integers(1, 29, n_ng)], dtype=object
    )
    hamlet_no = (rng.random(n_ng) * hamlets).astype(np.int64) + 1
    first = (
        int(existing_codes.astype(np.int64).max()) + 1 if len(existing_codes) else FIRST_GROUP_CODE
    )
    return _group_table(first, g_com, g_org, hamlet_no, score, established, communes["troubled"])
