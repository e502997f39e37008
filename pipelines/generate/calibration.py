"""What a calibration is: the figures of each period (calibration.md sections 2 and 3) and
how they scale. Reading and validating the file is ``calibration_file.py``.

Every published figure the generator reproduces comes from the file; the generator's own
modules hold only structural choices (``assumptions.py``), never a target.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from pipelines.contract.codes import ENTRUSTED_ORGS

DEFAULT_SEED = 20220331
# The largest scale the code widths of the contract leave room for at the Hanoi calibration's
# shape (the journal's 8-digit day sequence and the savings book numbers are the first to
# run out; ``model.build`` checks the actual counts) and far beyond what fits in memory on
# the reference machine: national size is 26.8.
MAX_SCALE = 100.0


@dataclass(frozen=True)
class OrgTarget:
    households: int
    groups: int
    outstanding_vnd: int


@dataclass(frozen=True)
class PeriodLending:
    loan_turns: int
    poor_group_turns: int
    job_creation_turns: int
    workers_attracted: int
    water_sanitation_works: int


@dataclass(frozen=True)
class Reconciliation:
    campaign_year: int
    # None for a campaign after the opening year's: its scope follows from the history.
    in_scope: int | None
    reconciled: int


@dataclass(frozen=True)
class Quality:
    overdue_frozen_ratio: float = 0.0003
    groups_rated_good: float = 0.90


@dataclass(frozen=True)
class Calibration:
    branch: str
    period_start: dt.date
    period_end: dt.date
    opening_date: dt.date
    units: int
    communes: int
    orgs: dict[str, OrgTarget]
    entrusted_change_vnd: int
    direct_outstanding_vnd: int
    period_lending: PeriodLending
    reconciliation: Reconciliation
    quality: Quality = field(default_factory=Quality)
    seed: int = DEFAULT_SEED
    scale: float = 1.0
    source: str = ""
    # Each organization's change since the opening date (calibration.md F15); optional, and
    # when given its values sum to ``entrusted_change_vnd``.
    org_change_vnd: dict[str, int] | None = None

    def scaled(self, scale: float | None = None) -> Calibration:
        """The same scenario with every count and amount multiplied by ``scale`` and rounded.

        Rounding is half-up on the exact decimal product, so ``0.01`` of 6,304,000,000,000 is
        exactly 63,040,000,000. Above 1 the branch grows (``26.8`` is a national-size run):
        customers, groups, loans, amounts and turns scale, but the structure does not: the
        31 units are fixed and communes scale down (never below one per district office)
        but never above the file's own count. Ratios (quality) do not scale.
        """
        s = self.scale if scale is None else scale
        if not (0 < s <= MAX_SCALE):
            raise ValueError(f"scale: must be in (0, {MAX_SCALE:g}], got {s}")
        ds = Decimal(str(s))

        def r(x: int) -> int:
            return int((Decimal(x) * ds).to_integral_value(ROUND_HALF_UP))

        orgs = {
            k: OrgTarget(r(v.households), r(v.groups), r(v.outstanding_vnd))
            for k, v in self.orgs.items()
        }
        for k, v in orgs.items():
            if v.groups < 1 or v.households < v.groups:
                raise ValueError(
                    f"scale {s} is too small: organization {k} would have {v.groups} groups "
                    f"and {v.households} households"
                )
        pl_ = self.period_lending
        out = Calibration(
            branch=self.branch,
            period_start=self.period_start,
            period_end=self.period_end,
            opening_date=self.opening_date,
            units=self.units,
            communes=min(self.communes, max(self.units, r(self.communes))),
            orgs=orgs,
            entrusted_change_vnd=r(self.entrusted_change_vnd),
            direct_outstanding_vnd=r(self.direct_outstanding_vnd),
            period_lending=PeriodLending(
                r(pl_.loan_turns),
                r(pl_.poor_group_turns),
                r(pl_.job_creation_turns),
                r(pl_.workers_attracted),
                r(pl_.water_sanitation_works),
            ),
            reconciliation=Reconciliation(
                self.reconciliation.campaign_year,
                None if self.reconciliation.in_scope is None else r(self.reconciliation.in_scope),
                r(self.reconciliation.reconciled),
            ),
            quality=self.quality,
            seed=self.seed,
            scale=s,
            source=self.source,
            org_change_vnd=(
                None
                if self.org_change_vnd is None
                else scale_parts(self.org_change_vnd, ds, r(self.entrusted_change_vnd))
            ),
        )
        return out

    @property
    def month_ends(self) -> list[dt.date]:
        """Month-ends of the period, in order."""
        out = []
        d = self.period_start
        while d <= self.period_end:
            nxt = dt.date(d.year + (d.month == 12), d.month % 12 + 1, 1)
            out.append(nxt - dt.timedelta(days=1))
            d = nxt
        return out

    @property
    def snapshot_dates(self) -> list[dt.date]:
        """The opening snapshot followed by every month-end of the period."""
        return [self.opening_date, *self.month_ends]


@dataclass(frozen=True)
class History:
    """Consecutive periods that continue one loan book (calibration.md section 3). A
    single-period file (section 2) is a history of one period.

    Each period is a ``Calibration`` of its own: ``opening_date`` is the previous period's
    end (the first period's is the file's), and ``entrusted_change_vnd`` /
    ``org_change_vnd`` are "so với đầu năm", against the last 31 December before the
    period's end (given in the first period, implied by the others' ``orgs`` after it).
    ``reconciliation.in_scope`` is None for campaigns after the opening year's.
    """

    periods: tuple[Calibration, ...]
    form: str = "period"  # "period" (section 2) or "periods" (section 3); output ignores it

    @property
    def first(self) -> Calibration:
        return self.periods[0]

    @property
    def last(self) -> Calibration:
        return self.periods[-1]

    @property
    def opening_date(self) -> dt.date:
        return self.first.opening_date

    @property
    def scale(self) -> float:
        return self.first.scale

    @property
    def seed(self) -> int:
        return self.first.seed

    @property
    def source(self) -> str:
        return self.first.source

    def scaled(self, scale: float | None = None) -> History:
        """Every period scaled as ``Calibration.scaled``; the implied figures (later periods'
        change since the year start, the opening year's scope) are derived again from the
        scaled figures, so the history stays consistent with itself at any scale."""
        periods = [p.scaled(scale) for p in self.periods]
        out = [periods[0]]
        for p in periods[1:]:
            year = p.period_start.year
            _, change, org_change = implied_change(out, year, p.orgs)
            rec = p.reconciliation
            if year == out[0].period_start.year:
                rec = Reconciliation(
                    rec.campaign_year, out[0].reconciliation.in_scope, rec.reconciled
                )
            out.append(
                dataclasses.replace(
                    p, entrusted_change_vnd=change, org_change_vnd=org_change, reconciliation=rec
                )
            )
        return History(tuple(out), self.form)

    @property
    def month_ends(self) -> list[dt.date]:
        return [d for p in self.periods for d in p.month_ends]

    @property
    def snapshot_dates(self) -> list[dt.date]:
        """The opening snapshot followed by every month-end of every period."""
        return [self.opening_date, *self.month_ends]

    @property
    def bounds(self) -> list[tuple[int, int]]:
        """Per period, the snapshot indices of its first and last month-ends."""
        out, k = [], 1
        for p in self.periods:
            n = len(p.month_ends)
            out.append((k, k + n - 1))
            k += n
        return out


def scale_parts(parts: dict[str, int], ds: Decimal, total: int) -> dict[str, int]:
    """``parts`` x ``ds``, rounded so that they still sum to ``total`` (the whole, scaled and
    rounded on its own): each part is rounded half-up, then the đồng the roundings lost or
    gained go to the parts whose rounding moved them most (largest remainder)."""
    exact = {k: Decimal(v) * ds for k, v in parts.items()}
    out = {k: int(x.to_integral_value(ROUND_HALF_UP)) for k, x in exact.items()}
    diff = total - sum(out.values())
    step = 1 if diff > 0 else -1
    # Parts whose rounding went furthest in the opposite direction of ``diff`` move first.
    order = sorted(exact, key=lambda k: (step * (out[k] - exact[k]), k))
    for k in order[: abs(diff)]:
        out[k] += step
    if sum(out.values()) != total:  # more than one đồng per part: the parts never summed
        raise ValueError("calibration: scaled parts do not sum to their total")
    return out


# The keys of one period (calibration.md section 2): at the top of a single-period file, in
# each entry of ``periods`` in the history form (section 3).
PERIOD_KEYS = (
    "period",
    "orgs",
    "entrusted_change_vnd",
    "org_change_vnd",
    "direct_outstanding_vnd",
    "period_lending",
    "reconciliation",
    "quality",
)
LENDING_KEYS = (
    "loan_turns",
    "poor_group_turns",
    "job_creation_turns",
    "workers_attracted",
    "water_sanitation_works",
)


def year_start_book(before: list[Calibration], year: int) -> tuple[str, int, dict[str, int] | None]:
    """The entrusted book at 31/12 of ``year - 1`` (the base of "so với đầu năm"): where it
    comes from, its total and, when known, each organization's."""
    first = before[0]
    if year == first.period_start.year:
        total = sum(o.outstanding_vnd for o in first.orgs.values()) - first.entrusted_change_vnd
        per_org = (
            None
            if first.org_change_vnd is None
            else {
                k: first.orgs[k].outstanding_vnd - first.org_change_vnd[k] for k in ENTRUSTED_ORGS
            }
        )
        return "opening_date (periods[1] minus its entrusted_change_vnd)", total, per_org
    j, p = next(
        (j, p)
        for j, p in enumerate(before, 1)
        if p.period_end.year == year - 1 and p.period_end.month == 12
    )
    return (
        f"periods[{j}].orgs",
        sum(o.outstanding_vnd for o in p.orgs.values()),
        {k: p.orgs[k].outstanding_vnd for k in ENTRUSTED_ORGS},
    )


def implied_change(
    before: list[Calibration], year: int, orgs: dict[str, OrgTarget]
) -> tuple[str, int, dict[str, int] | None]:
    """A later period's change "so với đầu năm" from its ``orgs``: where the year-start book
    comes from, the entrusted change and, when the book is known per organization, each
    one's."""
    base_where, base, base_org = year_start_book(before, year)
    change = sum(o.outstanding_vnd for o in orgs.values()) - base
    org_change = (
        None
        if base_org is None
        else {k: orgs[k].outstanding_vnd - base_org[k] for k in ENTRUSTED_ORGS}
    )
    return base_where, change, org_change
