"""Exact integer apportionment: the tool that makes every calibrated total come out exactly."""

from __future__ import annotations

import numpy as np


def apportion(
    total: int,
    weights: np.ndarray,
    lo: np.ndarray | int = 0,
    hi: np.ndarray | int | None = None,
) -> np.ndarray:
    """Split the integer ``total`` into integers proportional to ``weights`` within [lo, hi].

    Largest-remainder rounding, then bounds are enforced by moving units to the elements
    that still have room, largest weight first. Raises ``ValueError`` when the bounds make
    the total impossible.
    """
    w = np.asarray(weights, dtype=np.float64)
    n = len(w)
    lo_a = np.broadcast_to(np.asarray(lo, dtype=np.int64), (n,)).copy()
    hi_a = (
        np.full(n, max(int(total), 0) + 1, dtype=np.int64)
        if hi is None
        else np.broadcast_to(np.asarray(hi, dtype=np.int64), (n,)).copy()
    )
    if n == 0:
        if total:
            raise ValueError(f"cannot apportion {total} over no elements")
        return np.zeros(0, dtype=np.int64)
    if lo_a.sum() > total or hi_a.sum() < total:
        raise ValueError(f"cannot apportion {total} within the bounds given")
    if w.sum() <= 0:
        w = np.ones(n)
    share = w * (total / w.sum())
    base = np.floor(share).astype(np.int64)
    rem = int(total - base.sum())
    if rem > 0:
        order = np.argsort(-(share - base), kind="stable")
        base[order[:rem]] += 1
    out = np.clip(base, lo_a, hi_a)
    diff = int(total - out.sum())
    order = np.argsort(-w, kind="stable")
    while diff != 0:
        if diff > 0:
            room = (hi_a - out)[order]
        else:
            room = (out - lo_a)[order]
        cand = order[room > 0]
        if len(cand) == 0:
            raise ValueError(f"cannot apportion {total} within the bounds given")
        room_c = (hi_a - out)[cand] if diff > 0 else (out - lo_a)[cand]
        step = min(abs(diff), len(cand))
        # One unit to each of the first ``step`` candidates per pass; keeps the spread even.
        take = cand[:step]
        sign = 1 if diff > 0 else -1
        ok = room_c[:step] > 0
        out[take[ok]] += sign
        diff -= sign * int(ok.sum())
    return out


def split_amount(total: int, weights: np.ndarray, unit: int = 1000) -> np.ndarray:
    """Split an amount in đồng proportionally, in multiples of ``unit`` except one residue.

    The residue (``total % unit``) goes to the largest share, so the parts sum to ``total``
    exactly while almost every part stays a round amount.
    """
    if total < 0:
        raise ValueError(f"cannot split a negative amount {total}")
    units = apportion(total // unit, weights) * unit
    if len(units):
        units[int(np.argmax(units))] += total % unit
    return units
