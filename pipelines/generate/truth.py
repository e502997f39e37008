"""The scenario's true aggregates (``_truth.json``), with the marts' definitions.

Each office's worker computes its share of every snapshot from its own report frames
(``truth_partial``); the parent adds the shares up (``truth_finish``) and writes the file. A
history of several periods adds its periods (targets, the change since the year start, the
lending of the period, the campaign) and each campaign's scope (``history_truth``).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from pipelines.contract.codes import (
    DIRECT_ORG,
    ENTRUSTED_ORGS,
    JOB_CREATION_PROGRAM,
    POOR_GROUP_PROGRAMS,
    RATING_GOOD,
    WATER_SANITATION_PROGRAM,
)

from .calibration import LENDING_KEYS, Calibration, History
from .frames import Frames
from .scenario import campaign_of


def truth_file(
    hist: History,
    seed: int,
    fmt: str,
    dates: list[dt.date],
    offices: list[dict],
    hoi: list[dict],
    structure: dict,
    derived: dict,
) -> dict:
    """The content of ``_truth.json``, from the offices' shares (``truth_partial``), the HOI
    reports' differences and the scenario's structure."""
    cal = hist.last
    snaps = {
        k: truth_finish(campaign_of(dates, k), k, [r["truth"][k] for r in offices])
        for k in range(len(dates))
    }
    placed = [f for r in sorted(offices, key=lambda r: r["office"]) for f in r["faults"]]
    out = compute_truth(dates, snaps)
    if len(hist.periods) == 1:
        differences = hoi[0]["differences"]
    else:  # every period's reports, each difference with its date
        differences = [
            {"as_of": str(dates[k]), **x}
            for (_a, k), h in zip(hist.bounds, hoi, strict=True)
            for x in h["differences"]
        ]
    out.update(
        {
            "scenario": {
                "branch": cal.branch,
                "calibration": str(cal.source),
                "scale": cal.scale,
                "seed": seed,
                "format": fmt,
                "period": [str(hist.first.period_start), str(cal.period_end)],
                "opening_date": str(hist.opening_date),
            },
            "targets": targets(cal),
            "hoi_differences": differences,
            "faults": sorted(placed, key=lambda f: f["fault"]),
            "structure": structure,
        }
    )
    if len(hist.periods) > 1:
        out.update(history_truth(hist, dates, snaps, derived))
    return out


def targets(cal: Calibration) -> dict:
    return {
        "orgs": {k: vars(v) for k, v in cal.orgs.items()},
        "entrusted_change_vnd": cal.entrusted_change_vnd,
        "org_change_vnd": cal.org_change_vnd,
        "direct_outstanding_vnd": cal.direct_outstanding_vnd,
        "period_lending": vars(cal.period_lending),
        "reconciliation": dict(vars(cal.reconciliation)),
        "quality": vars(cal.quality),
        "communes": cal.communes,
    }


def year_start_of(dates: list[dt.date], k: int) -> int:
    """The snapshot of the last 31 December before snapshot ``k`` (the base of "so với đầu
    năm")."""
    return dates.index(dt.date(dates[k].year - (k > 0), 12, 31))


def compute_truth(dates: list[dt.date], snaps: dict[int, dict]) -> dict:
    """The scenario's aggregates per snapshot (see ``truth_finish``) and the change since the
    year start at the last snapshot."""
    out: dict = {"as_of": {d.isoformat(): snaps[k] for k, d in enumerate(dates)}}
    first = dates[year_start_of(dates, len(dates) - 1)].isoformat()
    last = dates[-1].isoformat()
    out["entrusted_change_vnd"] = (
        out["as_of"][last]["entrusted_outstanding_vnd"]
        - out["as_of"][first]["entrusted_outstanding_vnd"]
    )
    out["org_change_vnd"] = {
        org: out["as_of"][last]["orgs"][org]["outstanding_vnd"]
        - out["as_of"][first]["orgs"][org]["outstanding_vnd"]
        for org in ENTRUSTED_ORGS
    }
    return out


ORG_SUMS = ("outstanding_vnd", "overdue_vnd", "frozen_vnd", "households", "groups")


def truth_partial(fr: Frames, k: int) -> dict:
    """One office's counts and sums of snapshot ``k``, with the marts' definitions, from the
    report frames. Every customer, loan and group belongs to one office, so the branch's
    figures are the sums of these (``truth_finish``)."""
    sc = fr.sc
    d = sc.dates[k]
    ll = fr.loan_level(k)
    ent = ll.filter(pl.col("org_code") != DIRECT_ORG)
    dire = ll.filter(pl.col("org_code") == DIRECT_ORG)
    orgs = {}
    for org in ENTRUSTED_ORGS:
        o = ent.filter(pl.col("org_code") == org)
        pos = o.filter(pl.col("outstanding") > 0)
        orgs[org] = {
            "outstanding_vnd": int(o["outstanding"].sum()),
            "overdue_vnd": int(o["outstanding_overdue"].sum()),
            "frozen_vnd": int(o["outstanding_frozen"].sum()),
            "households": pos["customer_code"].n_unique(),
            "groups": pos["group_code"].n_unique(),
        }
    net_ytd = pl.col("disbursed_ytd") - pl.col("disbursement_reversed_ytd")
    year_start = dt.date(d.year, 1, 1)
    lending = _lending(ll.filter(net_ytd > 0), year_start)
    if k == 0:
        lending_ptd = lending
    else:
        # Period to date: the loans with net disbursement since the period's first month
        # (the marts' quarter to date when the periods are quarters; = year to date in a
        # period that starts on 1 January).
        a = sc.period_first(k)
        idx = ll["loan_idx"].to_numpy()
        net = (sc.flows["disb"][idx, a : k + 1] - sc.flows["rev"][idx, a : k + 1]).sum(1)
        start = sc.dates[a].replace(day=1)
        lending_ptd = _lending(ll.filter(pl.Series(net > 0)), start)
    rec = fr.doichieu_all(k)
    g_pos = ent.filter(pl.col("outstanding") > 0)["group_code"].unique()
    gs = pl.DataFrame({"group_code": sc.groups["code"], "score": sc.groups["score"]})
    gs = gs.filter(pl.col("group_code").is_in(g_pos.implode()))
    return {
        "entrusted_outstanding_vnd": int(ent["outstanding"].sum()),
        "direct_outstanding_vnd": int(dire["outstanding"].sum()),
        "orgs": orgs,
        "households_entrusted": ent.filter(pl.col("outstanding") > 0)["customer_code"].n_unique(),
        "groups_with_outstanding": len(g_pos),
        "lending": lending,
        "lending_ptd": lending_ptd,
        "in_scope": rec.height,
        "reconciled": rec.filter(pl.col("result").is_not_null()).height,
        "overdue_vnd": int(ll["outstanding_overdue"].sum()),
        "frozen_vnd": int(ll["outstanding_frozen"].sum()),
        "groups_rated": gs.height,
        "groups_good": gs.filter(
            pl.col("score").is_between(RATING_GOOD.low, RATING_GOOD.high)
        ).height,
    }


def empty_partial() -> dict:
    """``truth_partial`` of an office without customers (tiny scales)."""
    return {
        "entrusted_outstanding_vnd": 0,
        "direct_outstanding_vnd": 0,
        "orgs": {org: dict.fromkeys(ORG_SUMS, 0) for org in ENTRUSTED_ORGS},
        "households_entrusted": 0,
        "groups_with_outstanding": 0,
        "lending": dict.fromkeys(LENDING_KEYS, 0),
        "lending_ptd": dict.fromkeys(LENDING_KEYS, 0),
        "in_scope": 0,
        "reconciled": 0,
        "overdue_vnd": 0,
        "frozen_vnd": 0,
        "groups_rated": 0,
        "groups_good": 0,
    }


def _lending(turns: pl.DataFrame, start: dt.date) -> dict:
    """Loan turns and their outputs (workers of the 03 turns, works of the 06 turns first
    disbursed since ``start``)."""
    in_period = pl.col("disbursement_date") >= pl.lit(start)
    return {
        "loan_turns": turns.height,
        "poor_group_turns": turns.filter(pl.col("program_code").is_in(POOR_GROUP_PROGRAMS)).height,
        "job_creation_turns": turns.filter(pl.col("program_code") == JOB_CREATION_PROGRAM).height,
        "workers_attracted": int(
            turns.filter((pl.col("program_code") == JOB_CREATION_PROGRAM) & in_period)[
                "workers_attracted"
            ].sum()
        ),
        "water_sanitation_works": int(
            turns.filter((pl.col("program_code") == WATER_SANITATION_PROGRAM) & in_period)
            .select((pl.col("water_works") + pl.col("sanitation_works")).sum())
            .item()
        ),
    }


def truth_finish(campaign_year: int, k: int, parts: list[dict]) -> dict:
    """The branch's aggregates of snapshot ``k``: the offices' ``truth_partial`` summed."""

    def tot(key: str) -> int:
        return sum(int(p[key]) for p in parts)

    e_out, d_out = tot("entrusted_outstanding_vnd"), tot("direct_outstanding_vnd")
    total = e_out + d_out
    overdue, frozen = tot("overdue_vnd"), tot("frozen_vnd")
    rated, good = tot("groups_rated"), tot("groups_good")
    lending = {x: sum(int(p["lending"][x]) for p in parts) for x in LENDING_KEYS}
    lending_ptd = {x: sum(int(p["lending_ptd"][x]) for p in parts) for x in LENDING_KEYS}
    return {
        "entrusted_outstanding_vnd": e_out,
        "direct_outstanding_vnd": d_out,
        "total_outstanding_vnd": total,
        "entrusted_share": round(e_out / total, 6) if total else None,
        "orgs": {
            org: {x: sum(int(p["orgs"][org][x]) for p in parts) for x in ORG_SUMS}
            for org in ENTRUSTED_ORGS
        },
        "households_entrusted": tot("households_entrusted"),
        "groups_with_outstanding": tot("groups_with_outstanding"),
        "period_lending": {"qtd": lending_ptd if k > 0 else None, "ytd": lending},
        "reconciliation": {
            "campaign_year": campaign_year,
            "in_scope": tot("in_scope"),
            "reconciled": tot("reconciled"),
        },
        "overdue_vnd": overdue,
        "frozen_vnd": frozen,
        "overdue_frozen_ratio": round((overdue + frozen) / total, 8) if total else None,
        "groups_rated_good_share": round(good / rated, 6) if rated else None,
    }


def history_truth(
    hist: History, dates: list[dt.date], snaps: dict[int, dict], derived: dict
) -> dict:
    """Per period of a history: its (scaled) targets, with the derived figures filled in, and
    what the scenario gives at the period's end; per campaign: its scope."""
    campaigns = derived["campaigns"]
    extra = {int(p["period"]): p for p in derived["periods"]}
    periods = []
    for p, (pcal, (_a, k)) in enumerate(zip(hist.periods, hist.bounds, strict=True), start=1):
        end = snaps[k]
        base = snaps[year_start_of(dates, k)]
        t = targets(pcal)
        year = pcal.reconciliation.campaign_year
        t["reconciliation"]["in_scope"] = campaigns[str(year)]["in_scope"]
        periods.append(
            {
                "period": [str(pcal.period_start), str(pcal.period_end)],
                "year_start_date": str(dates[year_start_of(dates, k)]),
                "targets": t,
                "entrusted_change_vnd": end["entrusted_outstanding_vnd"]
                - base["entrusted_outstanding_vnd"],
                "org_change_vnd": {
                    org: end["orgs"][org]["outstanding_vnd"] - base["orgs"][org]["outstanding_vnd"]
                    for org in ENTRUSTED_ORGS
                },
                "period_lending": end["period_lending"]["qtd"],
                "reconciliation": end["reconciliation"],
                "structure": {key: v for key, v in extra.get(p, {}).items() if key != "period"},
            }
        )
    return {"periods": periods, "campaigns": campaigns}
