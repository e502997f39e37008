"""Reading a calibration file: YAML in either form (calibration.md sections 2 and 3) -> a
validated ``History``. Every refusal is a ``ValueError`` naming the key and, in the history
form, the period.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml

from pipelines.contract.codes import ENTRUSTED_ORGS

from .calibration import (
    DEFAULT_SEED,
    LENDING_KEYS,
    MAX_SCALE,
    PERIOD_KEYS,
    Calibration,
    History,
    OrgTarget,
    PeriodLending,
    Quality,
    Reconciliation,
    implied_change,
)


def load_calibration(path: str | Path) -> Calibration:
    """Read and validate a single-period calibration YAML file (section 2, or a history of
    one period)."""
    raw, src = _read(path)
    return parse_calibration(raw, source=src)


def load_history(path: str | Path) -> History:
    """Read and validate a calibration YAML file of either form (sections 2 and 3)."""
    raw, src = _read(path)
    return parse_history(raw, source=src)


def _read(path: str | Path) -> tuple[Any, str]:
    p = Path(path)
    try:
        return yaml.safe_load(p.read_text(encoding="utf-8")), str(p)
    except yaml.YAMLError as exc:
        raise ValueError(f"calibration: {p} is not valid YAML: {exc}") from None


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
) -> Calibration:
    """One entry of ``periods`` (or a single-period file's top level), checked key by key in
    the file's order."""
    w0 = _where(i, form)
    if not isinstance(raw, dict):
        raise ValueError(f"calibration: periods[{i}] must be a mapping")
    opening = branch["opening_date"]
    prev_end = before[-1].period_end if before else opening
    start, end = _period_dates(_req(raw, "period", w0), i, w0, opening, prev_end)
    orgs = _orgs(_req(raw, "orgs", w0), w0)
    direct = _int(_req(raw, "direct_outstanding_vnd", w0), f"{w0}direct_outstanding_vnd", 1)
    lending = _lending(_req(raw, "period_lending", w0), w0)
    reconciliation = _reconciliation(_req(raw, "reconciliation", w0), i, w0, start, opening, before)
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
        reconciliation=reconciliation,
        quality=quality,
        seed=branch["seed"],
        scale=branch["scale"],
        source=source,
        org_change_vnd=org_change,
    )


# ---------------------------------------------------------------------------------------------
# one key at a time
# ---------------------------------------------------------------------------------------------
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


# ---------------------------------------------------------------------------------------------
# a period's dates, campaign and change since the year start: the rules that tie a
# history's periods together (calibration.md section 3)
# ---------------------------------------------------------------------------------------------
def _period_dates(
    period: Any, i: int, w0: str, opening: dt.date, prev_end: dt.date
) -> tuple[dt.date, dt.date]:
    start = _date(_req(period, "start", f"{w0}period."), f"{w0}period.start")
    end = _date(_req(period, "end", f"{w0}period."), f"{w0}period.end")
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
    return start, end


def _reconciliation(
    rec: Any, i: int, w0: str, start: dt.date, opening: dt.date, before: list[Calibration]
) -> Reconciliation:
    """The campaign of the period's year: one scope per campaign, given only for the opening
    year's, and a register that never shrinks within the year."""
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
    return Reconciliation(year, in_scope, reconciled)


def _implied_change(
    raw: dict, i: int, orgs: dict[str, OrgTarget], start: dt.date, before: list[Calibration]
) -> tuple[int, dict[str, int] | None]:
    """A later period's change "so với đầu năm" follows from the other periods' orgs; when
    the file gives it, it must agree (calibration.md section 3)."""
    w0 = f"periods[{i}]."
    base_where, change, org_change = implied_change(before, start.year, orgs)
    if "entrusted_change_vnd" in raw:
        given = _int(raw["entrusted_change_vnd"], f"{w0}entrusted_change_vnd", None)
        if given != change:
            raise ValueError(
                f"calibration: {w0}entrusted_change_vnd is {given} but the history implies "
                f"{change} ({w0}orgs.*.outstanding_vnd minus {base_where} at 31/12/"
                f"{start.year - 1})"
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
