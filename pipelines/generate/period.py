"""A later period of a history: its calibration, where its month-ends fall among the
snapshots, and the book it starts from (each loan's balances at the previous period's end)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from .calibration import Calibration


@dataclass(frozen=True)
class Period:
    cal: Calibration
    p: int  # its number in the file (2, 3, ...)
    dates: list[dt.date]  # every snapshot up to the period's end
    it0: np.ndarray  # per loan at the previous end: in term, overdue, frozen
    ov0: np.ndarray
    fz0: np.ndarray
    tot0: np.ndarray

    @classmethod
    def after(
        cls,
        dates: list[dt.date],
        cal: Calibration,
        p: int,
        bal: tuple[np.ndarray, np.ndarray, np.ndarray],
    ) -> Period:
        it0, ov0, fz0 = bal
        return cls(cal, p, [*dates, *cal.month_ends], it0, ov0, fz0, it0 + ov0 + fz0)

    @property
    def months(self) -> list[dt.date]:
        return self.cal.month_ends

    @property
    def n_m(self) -> int:
        return len(self.months)

    @property
    def k0(self) -> int:
        """The snapshot of the previous period's end."""
        return len(self.dates) - self.n_m - 1

    @property
    def snapshots(self) -> np.ndarray:
        """The period's month-ends as snapshot indices."""
        return self.k0 + 1 + np.arange(self.n_m)

    @property
    def year(self) -> int:
        return self.cal.period_start.year

    @property
    def key(self) -> str:
        """The prefix of the period's keys in the file."""
        return f"periods[{self.p}]."

    @property
    def where(self) -> str:
        return f"periods[{self.p}] ({self.cal.period_start} to {self.cal.period_end})"

    def fail(self, keys: str, why: str) -> ValueError:
        """A figure of the file the book cannot reach, named by its keys."""
        return ValueError(f"calibration: {self.where}: {keys}: {why}")
