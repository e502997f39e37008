"""How a period's loan turns split by kind (water and sanitation, what is left after job creation
and poor households, and how many of those can be direct loans), checked against the calibration.

Its own module because the customer counts of a first period (``customers``) and the turnover
of a later one (``turnover``) both start from this split, and ``loans`` needs both.
"""

from __future__ import annotations

from .assumptions import (
    AMOUNT_RANGE,
    DIRECT_NEW_PROGRAMS,
    MAX_WORKERS_PER_LOAN,
    WORKS_PER_WATER_LOAN,
)
from .calibration import PeriodLending


def turn_mix(pl_: PeriodLending, direct_end_vnd: int, where: str = "") -> tuple[int, int, int]:
    """The period's turns by kind: NSVSMT loans (``n6``, ~2 works each), the turns left
    after job creation, poor households and NSVSMT (``others``), and how many of those are
    direct loans. Raises ``ValueError`` naming the key when the figures cannot fit."""
    T, J, P = pl_.loan_turns, pl_.job_creation_turns, pl_.poor_group_turns
    K, W = pl_.water_sanitation_works, pl_.workers_attracted
    n6 = min(round(K / WORKS_PER_WATER_LOAN), T - J - P)
    if K > 0 and (n6 <= 0 or K > 4 * n6 or K < n6):
        raise ValueError(
            f"calibration: {where}period_lending.water_sanitation_works does not fit the loan "
            f"turns left after job creation and poor-household turns ({T - J - P})"
        )
    if W < J:
        raise ValueError(
            f"calibration: {where}period_lending.workers_attracted must be >= "
            "job_creation_turns (each job-creation loan attracts at least one worker)"
        )
    if W > MAX_WORKERS_PER_LOAN * J:
        raise ValueError(
            f"calibration: {where}period_lending.workers_attracted must be <= "
            f"{MAX_WORKERS_PER_LOAN} x job_creation_turns"
        )
    others = T - J - P - n6
    return n6, others, min(others // 3, direct_new_cap(direct_end_vnd))


def direct_new_cap(direct_end_vnd: int) -> int:
    """How many new direct loans a direct book of ``direct_end_vnd`` at period end can hold:
    at most half of it at the largest amount a new direct loan can have, so that a book that
    has run off to almost nothing (the wage-support loans of 2021-2022) is still reachable."""
    largest = max(AMOUNT_RANGE[p][1] for p in DIRECT_NEW_PROGRAMS) * 1_000_000
    return int(direct_end_vnd // (2 * largest))
