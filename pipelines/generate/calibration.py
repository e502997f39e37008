"""The calibration file (contract calibration.md section 2): loading, validation, scaling.

Every published figure the generator reproduces comes from this file; the generator's own
module holds only structural choices (program mix, amount ranges, ...), never a target.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import yaml

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
    in_scope: int
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
                r(self.reconciliation.in_scope),
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


def _req(d: dict, key: str, where: str) -> Any:
    if not isinstance(d, dict) or key not in d:
        raise ValueError(f"calibration: missing required key {where}{key}")
    return d[key]


def _int(v: Any, key: str, minimum: int | None = 0) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise ValueError(f"calibration: {key} must be an integer, got {v!r}")
    if minimum is not None and v < minimum:
        raise ValueError(f"calibration: {key} must be >= {minimum}, got {v}")
    return v


def _date(v: Any, key: str) -> dt.date:
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    try:
        return dt.date.fromisoformat(str(v))
    except ValueError:
        raise ValueError(f"calibration: {key} must be a date YYYY-MM-DD, got {v!r}") from None


def _ratio(v: Any, key: str) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float) or not (0 <= v <= 1):
        raise ValueError(f"calibration: {key} must be a number in [0, 1], got {v!r}")
    return float(v)


def parse_calibration(raw: Any, source: str = "") -> Calibration:
    """Validate a parsed YAML document; raise ``ValueError`` naming the offending key."""
    if not isinstance(raw, dict):
        raise ValueError("calibration: the file must be a YAML mapping")
    period = _req(raw, "period", "")
    start = _date(_req(period, "start", "period."), "period.start")
    end = _date(_req(period, "end", "period."), "period.end")
    opening = _date(_req(raw, "opening_date", ""), "opening_date")
    if not (opening < start <= end):
        raise ValueError("calibration: need opening_date < period.start <= period.end")
    if start.day != 1 or start.month != 1 or (end + dt.timedelta(days=1)).day != 1:
        # Year-to-date columns are modelled from the opening year-end, so the period starts
        # on 1 January (Q1, H1, ... scenarios).
        raise ValueError("calibration: period.start must be 1 January and period.end a month-end")
    if start.year != end.year or opening != start - dt.timedelta(days=1):
        raise ValueError(
            "calibration: period must lie in one year and opening_date be the day before it"
        )
    units = _int(_req(raw, "units", ""), "units", 1)
    if units != 30:
        raise ValueError("calibration: units must be 30 (the contract's offices 0101..0130)")
    communes = _int(_req(raw, "communes", ""), "communes", units)
    orgs_raw = _req(raw, "orgs", "")
    if not isinstance(orgs_raw, dict):
        raise ValueError("calibration: orgs must be a mapping of organization code -> targets")
    orgs: dict[str, OrgTarget] = {}
    for code in ENTRUSTED_ORGS:
        o = orgs_raw.get(code, orgs_raw.get(int(code)))
        if o is None:
            raise ValueError(f"calibration: missing required key orgs.{code}")
        w = f"orgs.{code}."
        orgs[code] = OrgTarget(
            _int(_req(o, "households", w), w + "households", 1),
            _int(_req(o, "groups", w), w + "groups", 1),
            _int(_req(o, "outstanding_vnd", w), w + "outstanding_vnd", 1),
        )
        # Every group needs a member with outstanding, and groups hold at most 60 members.
        if not orgs[code].groups <= orgs[code].households <= 58 * orgs[code].groups:
            raise ValueError(
                f"calibration: {w}households must be between {w}groups and 58 x groups"
            )
    extra = set(map(str, orgs_raw)) - set(ENTRUSTED_ORGS)
    if extra:
        raise ValueError(f"calibration: orgs has unknown organization codes {sorted(extra)}")
    pl_ = _req(raw, "period_lending", "")
    w = "period_lending."
    lending = PeriodLending(
        *(
            _int(_req(pl_, k, w), w + k, 0)
            for k in (
                "loan_turns",
                "poor_group_turns",
                "job_creation_turns",
                "workers_attracted",
                "water_sanitation_works",
            )
        )
    )
    if lending.poor_group_turns + lending.job_creation_turns > lending.loan_turns:
        raise ValueError("calibration: period_lending turns of programs exceed loan_turns")
    rec = _req(raw, "reconciliation", "")
    w = "reconciliation."
    recon = Reconciliation(
        _int(_req(rec, "campaign_year", w), w + "campaign_year", 1900),
        _int(_req(rec, "in_scope", w), w + "in_scope", 1),
        _int(_req(rec, "reconciled", w), w + "reconciled", 0),
    )
    if recon.reconciled > recon.in_scope:
        raise ValueError("calibration: reconciliation.reconciled exceeds in_scope")
    if recon.campaign_year != start.year:
        raise ValueError("calibration: reconciliation.campaign_year must be the period's year")
    q_raw = raw.get("quality") or {}
    if not isinstance(q_raw, dict):
        raise ValueError("calibration: quality must be a mapping")
    q = Quality()
    quality = Quality(
        _ratio(
            q_raw.get("overdue_frozen_ratio", q.overdue_frozen_ratio),
            "quality.overdue_frozen_ratio",
        ),
        _ratio(q_raw.get("groups_rated_good", q.groups_rated_good), "quality.groups_rated_good"),
    )
    seed = _int(raw.get("seed", DEFAULT_SEED), "seed", 0)
    scale = raw.get("scale", 1.0)
    if isinstance(scale, bool) or not isinstance(scale, int | float) or not 0 < scale <= MAX_SCALE:
        raise ValueError(
            f"calibration: scale must be a number in (0, {MAX_SCALE:g}], got {scale!r}"
        )
    branch = _req(raw, "branch", "")
    if not isinstance(branch, str) or not branch:
        raise ValueError("calibration: branch must be a non-empty text")
    change = _int(_req(raw, "entrusted_change_vnd", ""), "entrusted_change_vnd", None)
    org_change = _org_change(raw.get("org_change_vnd"), change, orgs)
    return Calibration(
        branch=branch,
        period_start=start,
        period_end=end,
        opening_date=opening,
        units=units,
        communes=communes,
        orgs=orgs,
        entrusted_change_vnd=change,
        direct_outstanding_vnd=_int(
            _req(raw, "direct_outstanding_vnd", ""), "direct_outstanding_vnd", 1
        ),
        period_lending=lending,
        reconciliation=recon,
        quality=quality,
        seed=seed,
        scale=float(scale),
        source=source,
        org_change_vnd=org_change,
    )


def _org_change(
    raw: Any, total: int, orgs: dict[str, OrgTarget], where: str = ""
) -> dict[str, int] | None:
    """``org_change_vnd`` (optional): one integer per organization 11-14, summing to
    ``entrusted_change_vnd``, and no organization's opening outstanding at or below zero."""
    if raw is None:
        return None
    key = f"{where}org_change_vnd"
    if not isinstance(raw, dict):
        raise ValueError(f"calibration: {key} must be a mapping of organization code -> đồng")
    extra = set(map(str, raw)) - set(ENTRUSTED_ORGS)
    if extra:
        raise ValueError(f"calibration: {key} has unknown organization codes {sorted(extra)}")
    out = {}
    for code in ENTRUSTED_ORGS:
        v = raw.get(code, raw.get(int(code)))
        if v is None:
            raise ValueError(f"calibration: missing required key {key}.{code}")
        out[code] = _int(v, f"{key}.{code}", None)
        if out[code] >= orgs[code].outstanding_vnd:
            raise ValueError(
                f"calibration: {key}.{code} leaves organization {code} no outstanding at the "
                f"opening date ({where}orgs.{code}.outstanding_vnd minus the change)"
            )
    if sum(out.values()) != total:
        raise ValueError(
            f"calibration: {key} sums to {sum(out.values())}, not to "
            f"{where}entrusted_change_vnd ({total}): {key}.11 + .12 + .13 + .14 must equal it"
        )
    return out


def load_calibration(path: str | Path) -> Calibration:
    """Read and validate a calibration YAML file."""
    p = Path(path)
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ValueError(f"calibration: {p} is not valid YAML: {exc}") from None
    return parse_calibration(raw, source=str(p))
