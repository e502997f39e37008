"""The calibration file (contract calibration.md section 2): loading, validation, scaling.

Every published figure the generator reproduces comes from this file; the generator's own
module holds only structural choices (program mix, amount ranges, ...), never a target.
"""

from __future__ import annotations

import dataclasses
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
            _, base, base_org = year_start_book(out, year)
            change = sum(o.outstanding_vnd for o in p.orgs.values()) - base
            org_change = (
                None
                if base_org is None
                else {k: p.orgs[k].outstanding_vnd - base_org[k] for k in ENTRUSTED_ORGS}
            )
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


def _month_end(d: dt.date) -> bool:
    return (d + dt.timedelta(days=1)).day == 1


def _orgs(orgs_raw: Any, w0: str) -> dict[str, OrgTarget]:
    if not isinstance(orgs_raw, dict):
        raise ValueError(f"calibration: {w0}orgs must be a mapping of organization code -> targets")
    orgs: dict[str, OrgTarget] = {}
    for code in ENTRUSTED_ORGS:
        o = orgs_raw.get(code, orgs_raw.get(int(code)))
        if o is None:
            raise ValueError(f"calibration: missing required key {w0}orgs.{code}")
        w = f"{w0}orgs.{code}."
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
        raise ValueError(f"calibration: {w0}orgs has unknown organization codes {sorted(extra)}")
    return orgs


def _lending(pl_: Any, w0: str) -> PeriodLending:
    w = f"{w0}period_lending."
    lending = PeriodLending(*(_int(_req(pl_, k, w), w + k, 0) for k in LENDING_KEYS))
    if lending.poor_group_turns + lending.job_creation_turns > lending.loan_turns:
        raise ValueError(f"calibration: {w0}period_lending turns of programs exceed loan_turns")
    return lending


def _quality(q_raw: Any, w0: str) -> Quality:
    q_raw = q_raw or {}
    if not isinstance(q_raw, dict):
        raise ValueError(f"calibration: {w0}quality must be a mapping")
    q = Quality()
    return Quality(
        _ratio(
            q_raw.get("overdue_frozen_ratio", q.overdue_frozen_ratio),
            f"{w0}quality.overdue_frozen_ratio",
        ),
        _ratio(
            q_raw.get("groups_rated_good", q.groups_rated_good), f"{w0}quality.groups_rated_good"
        ),
    )


def _branch_keys(raw: dict) -> dict:
    """The keys that describe the branch, the same in both forms."""
    opening = _date(_req(raw, "opening_date", ""), "opening_date")
    units = _int(_req(raw, "units", ""), "units", 1)
    if units != 30:
        raise ValueError("calibration: units must be 30 (the contract's offices 0101..0130)")
    communes = _int(_req(raw, "communes", ""), "communes", units)
    seed = _int(raw.get("seed", DEFAULT_SEED), "seed", 0)
    scale = raw.get("scale", 1.0)
    if isinstance(scale, bool) or not isinstance(scale, int | float) or not 0 < scale <= MAX_SCALE:
        raise ValueError(
            f"calibration: scale must be a number in (0, {MAX_SCALE:g}], got {scale!r}"
        )
    branch = _req(raw, "branch", "")
    if not isinstance(branch, str) or not branch:
        raise ValueError("calibration: branch must be a non-empty text")
    return {
        "branch": branch,
        "opening_date": opening,
        "units": units,
        "communes": communes,
        "seed": seed,
        "scale": float(scale),
    }


def parse_calibration(raw: Any, source: str = "") -> Calibration:
    """A single-period document (calibration.md section 2, or a history of one period);
    raise ``ValueError`` naming the offending key."""
    hist = parse_history(raw, source)
    if len(hist.periods) != 1:
        raise ValueError(
            f"calibration: {source or 'the file'} is a history of {len(hist.periods)} periods "
            "(use load_history)"
        )
    return hist.periods[0]


def parse_history(raw: Any, source: str = "") -> History:
    """Validate a parsed YAML document in either form (calibration.md sections 2 and 3);
    raise ``ValueError`` naming the period and the offending keys."""
    if not isinstance(raw, dict):
        raise ValueError("calibration: the file must be a YAML mapping")
    if "periods" in raw:
        misplaced = [k for k in PERIOD_KEYS if k in raw]
        if misplaced:
            raise ValueError(
                f"calibration: {', '.join(misplaced)} belong(s) in each entry of periods in "
                "the history form (calibration.md section 3), not at the top"
            )
        periods_raw = raw["periods"]
        if not isinstance(periods_raw, list) or not periods_raw:
            raise ValueError("calibration: periods must be a non-empty list of periods")
        form = "periods"
    else:
        periods_raw = [{k: raw[k] for k in PERIOD_KEYS if k in raw}]
        if "period" not in raw:
            raise ValueError("calibration: missing required key period")
        form = "period"
    branch = _branch_keys(raw)
    periods: list[Calibration] = []
    for i, praw in enumerate(periods_raw, start=1):
        periods.append(_parse_period(praw, i, form, branch, periods, source))
    _check_history(periods, form)
    return History(tuple(periods), form)


def _where(i: int, form: str) -> str:
    return "" if form == "period" else f"periods[{i}]."


def _parse_period(
    raw: Any, i: int, form: str, branch: dict, before: list[Calibration], source: str
) -> Calibration:  # noqa: C901 - one check per key, in the file's order
    w0 = _where(i, form)
    if not isinstance(raw, dict):
        raise ValueError(f"calibration: periods[{i}] must be a mapping")
    opening = branch["opening_date"]
    period = _req(raw, "period", w0)
    start = _date(_req(period, "start", f"{w0}period."), f"{w0}period.start")
    end = _date(_req(period, "end", f"{w0}period."), f"{w0}period.end")
    prev_end = before[-1].period_end if before else opening
    if i == 1:
        if not (opening < start <= end):
            raise ValueError(f"calibration: need opening_date < {w0}period.start <= period.end")
        if start.day != 1 or start.month != 1 or not _month_end(end):
            # Year-to-date columns are modelled from the opening year-end, so the first
            # period starts on 1 January (Q1, H1, ... scenarios).
            raise ValueError(
                f"calibration: {w0}period.start must be 1 January and period.end a month-end"
            )
        if start.year != end.year or opening != start - dt.timedelta(days=1):
            raise ValueError(
                f"calibration: {w0}period must lie in one year and opening_date be the day "
                "before it"
            )
    else:
        label = f"periods[{i}] ({start} to {end})"
        if start != prev_end + dt.timedelta(days=1):
            raise ValueError(
                f"calibration: {label} does not follow periods[{i - 1}]: periods[{i}].period."
                f"start must be {prev_end + dt.timedelta(days=1)}, the day after "
                f"periods[{i - 1}].period.end"
            )
        if start.day != 1 or not _month_end(end) or start > end or start.year != end.year:
            raise ValueError(
                f"calibration: {label}: periods[{i}].period must run from the first of a month "
                "to a month-end within one calendar year"
            )
    orgs = _orgs(_req(raw, "orgs", w0), w0)
    direct = _int(_req(raw, "direct_outstanding_vnd", w0), f"{w0}direct_outstanding_vnd", 1)
    lending = _lending(_req(raw, "period_lending", w0), w0)
    rec = _req(raw, "reconciliation", w0)
    w = f"{w0}reconciliation."
    year = _int(_req(rec, "campaign_year", w), w + "campaign_year", 1900)
    if year != start.year:
        raise ValueError(f"calibration: {w}campaign_year must be the period's year")
    first_year = opening.year + 1
    if i == 1:
        in_scope = _int(_req(rec, "in_scope", w), w + "in_scope", 1)
    elif year == first_year:
        in_scope = before[0].reconciliation.in_scope
        if "in_scope" in rec and rec["in_scope"] != in_scope:
            raise ValueError(
                f"calibration: {w}in_scope ({rec['in_scope']!r}) differs from "
                f"periods[1].reconciliation.in_scope ({in_scope}): one campaign, one scope"
            )
    else:
        if "in_scope" in rec:
            raise ValueError(
                f"calibration: {w}in_scope must not be given: the scope of the {year} campaign "
                f"is every customer with outstanding on 31/12/{year - 1}, which follows from "
                "the history (the generator records it in _truth.json)"
            )
        in_scope = None
    reconciled = _int(_req(rec, "reconciled", w), w + "reconciled", 0)
    if in_scope is not None and reconciled > in_scope:
        raise ValueError(f"calibration: {w}reconciled exceeds in_scope")
    same_campaign = [p for p in before if p.reconciliation.campaign_year == year]
    if same_campaign and reconciled < same_campaign[-1].reconciliation.reconciled:
        j = len(before)
        raise ValueError(
            f"calibration: {w}reconciled ({reconciled}) is below periods[{j}].reconciliation."
            f"reconciled ({same_campaign[-1].reconciliation.reconciled}): the register is "
            "cumulative within the campaign year"
        )
    quality = _quality(raw.get("quality"), w0)
    # "So với đầu năm": against the entrusted book at the last 31 December before the end.
    if i == 1:
        change = _int(_req(raw, "entrusted_change_vnd", w0), f"{w0}entrusted_change_vnd", None)
        org_change = _org_change(raw.get("org_change_vnd"), change, orgs, w0)
    else:
        change, org_change = _implied_change(raw, i, orgs, start, before)
    return Calibration(
        branch=branch["branch"],
        period_start=start,
        period_end=end,
        opening_date=prev_end,
        units=branch["units"],
        communes=branch["communes"],
        orgs=orgs,
        entrusted_change_vnd=change,
        direct_outstanding_vnd=direct,
        period_lending=lending,
        reconciliation=Reconciliation(year, in_scope, reconciled),
        quality=quality,
        seed=branch["seed"],
        scale=branch["scale"],
        source=source,
        org_change_vnd=org_change,
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


def _implied_change(
    raw: dict, i: int, orgs: dict[str, OrgTarget], start: dt.date, before: list[Calibration]
) -> tuple[int, dict[str, int] | None]:
    """A later period's change "so với đầu năm" follows from the other periods' orgs; when
    the file gives it, it must agree (calibration.md section 3)."""
    w0 = f"periods[{i}]."
    base_where, base, base_org = year_start_book(before, start.year)
    change = sum(o.outstanding_vnd for o in orgs.values()) - base
    if "entrusted_change_vnd" in raw:
        given = _int(raw["entrusted_change_vnd"], f"{w0}entrusted_change_vnd", None)
        if given != change:
            raise ValueError(
                f"calibration: {w0}entrusted_change_vnd is {given} but the history implies "
                f"{change} ({w0}orgs.*.outstanding_vnd minus {base_where} at 31/12/"
                f"{start.year - 1})"
            )
    org_change = (
        None
        if base_org is None
        else {k: orgs[k].outstanding_vnd - base_org[k] for k in ENTRUSTED_ORGS}
    )
    if raw.get("org_change_vnd") is not None:
        if org_change is None:
            raise ValueError(
                f"calibration: {w0}org_change_vnd needs the opening book per organization: "
                "give org_change_vnd in periods[1] (it fixes the opening book)"
            )
        given_org = _org_change(raw["org_change_vnd"], change, orgs, w0)
        wrong = sorted(k for k in ENTRUSTED_ORGS if given_org[k] != org_change[k])
        if wrong:
            raise ValueError(
                f"calibration: {w0}org_change_vnd."
                + f", {w0}org_change_vnd.".join(wrong)
                + f" differ from what the history implies ({w0}orgs.<org>.outstanding_vnd "
                f"minus {base_where}): " + ", ".join(f"{k}: {org_change[k]}" for k in wrong)
            )
    return change, org_change


def _check_history(periods: list[Calibration], form: str) -> None:
    """Cross-period checks that need the whole list."""
    first = periods[0]
    opening_book = sum(o.outstanding_vnd for o in first.orgs.values()) - first.entrusted_change_vnd
    if opening_book <= 0:
        raise ValueError(
            f"calibration: {_where(1, form)}entrusted_change_vnd leaves no entrusted "
            "outstanding at the opening date"
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


def _read(path: str | Path) -> tuple[Any, str]:
    p = Path(path)
    try:
        return yaml.safe_load(p.read_text(encoding="utf-8")), str(p)
    except yaml.YAMLError as exc:
        raise ValueError(f"calibration: {p} is not valid YAML: {exc}") from None


def load_calibration(path: str | Path) -> Calibration:
    """Read and validate a single-period calibration YAML file (section 2, or a history of
    one period)."""
    raw, src = _read(path)
    return parse_calibration(raw, source=src)


def load_history(path: str | Path) -> History:
    """Read and validate a calibration YAML file of either form (sections 2 and 3)."""
    raw, src = _read(path)
    return parse_history(raw, source=src)
