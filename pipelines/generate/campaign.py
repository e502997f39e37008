"""The reconciliation campaigns (đối chiếu): one per calendar year, whose scope is every
customer with outstanding at the 31 December before it, visited commune by commune.

The register (``Scenario.recon``) has one row per customer in a campaign's scope: the month
(snapshot) it was reconciled in (0: not yet), its meeting day, the campaign year and its
place in the campaign's order. Reconciled counts are exact: the first ``reconciled`` rows in
that order, spread over the months.
"""

from __future__ import annotations

import numpy as np

from .alloc import apportion
from .assumptions import RECON_MONTH_WEIGHTS


def meeting_day(l_cust: np.ndarray, tday: np.ndarray, n_cust: int) -> np.ndarray:
    """Each customer's meeting day: its first loan's transaction day (the commune's day, the
    loan's own for a direct borrower)."""
    c_day = np.zeros(n_cust, np.int64)
    c_day[l_cust[::-1]] = tday[::-1]
    return c_day


def month_weights(n_months: int) -> np.ndarray:
    """How a quarter's reconciliations spread over its months; even over other periods."""
    return np.array(RECON_MONTH_WEIGHTS[:n_months] if n_months == 3 else np.ones(n_months))


def open_campaign(
    rng: np.random.Generator,
    year: int,
    scope: np.ndarray,
    scope_commune: np.ndarray,
    n_communes: int,
    day: np.ndarray,
    months: np.ndarray,
) -> dict[str, np.ndarray]:
    """The register of a new campaign over the customers ``scope``: communes in a random
    order, customers a little shuffled across neighbouring communes; the first
    ``len(months)`` reconciled, in ``months`` (snapshot indices, in order)."""
    com_rank = rng.permutation(n_communes)
    keyr = com_rank[scope_commune] + rng.random(len(scope)) * 3.0
    order = np.argsort(keyr, kind="stable")
    month = np.zeros(len(scope), np.int64)
    month[order[: len(months)]] = months
    rank = np.empty(len(scope), np.int64)
    rank[order] = np.arange(len(scope))
    return {
        "customer": scope,
        "month": month,
        "day": day,
        # Later periods of the same year continue the campaign in this order.
        "campaign": np.full(len(scope), year, np.int64),
        "rank": rank,
    }


def continue_campaign(
    recon: dict[str, np.ndarray], year: int, reconciled: int, snapshots: np.ndarray
) -> None:
    """A later period of the campaign's year: the next customers in its order, up to
    ``reconciled`` in all, evenly over ``snapshots``."""
    rows = np.flatnonzero(recon["campaign"] == year)
    done = int((recon["month"][rows] > 0).sum())
    more = rows[(recon["rank"][rows] >= done) & (recon["rank"][rows] < reconciled)]
    more = more[np.argsort(recon["rank"][more])]
    recon["month"][more] = np.repeat(snapshots, apportion(len(more), np.ones(len(snapshots))))
