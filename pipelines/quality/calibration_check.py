"""The demo round trip's final check: the published figures of calibration.md §1 (F1-F15 and the
table by organization), read back from the marts, against the calibration file they were
generated from. The expected figures are read from the calibration file (at scale 1.0, where
the generator matches them exactly) or, at a smaller scale, from the generator's truth file
(``_truth.json``: the same figures scaled); nothing here knows a figure.

    python -m pipelines.quality.calibration_check --warehouse W --raw R [--calibration FILE]

prints one line per figure and exits 1 when any differs. ``.ci/run`` runs it after the
full-scale demo round trip.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from pipelines.contract.codes import ENTRUSTED_ORGS as ENTRUSTED

# ratios are compared to a relative 1e-9: both sides divide the same whole numbers
RATIO_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Figure:
    id: str
    label: str
    expected: Any
    actual: Any

    @property
    def ok(self) -> bool:
        if isinstance(self.expected, bool):
            return self.actual is self.expected
        if isinstance(self.expected, float) or isinstance(self.actual, float):
            if self.actual is None or self.expected is None:
                return False
            return math.isclose(self.actual, self.expected, rel_tol=RATIO_TOLERANCE)
        return self.actual == self.expected

    def line(self) -> str:
        mark = "OK" if self.ok else "MISMATCH"
        return f"[{mark:>8}] {self.id} {self.label}: expected {self.expected}, got {self.actual}"


def expected_figures(calibration: Mapping, truth: Mapping | None) -> tuple[Mapping, float]:
    """The figures to expect (a calibration-shaped mapping) and the scale: the calibration
    file's own at scale 1.0, else the truth file's targets (the generator scaled them)."""
    scale = float((truth or {}).get("scenario", {}).get("scale", calibration.get("scale", 1.0)))
    if scale == 1.0:
        return calibration, scale
    if not truth or "targets" not in truth:
        raise ValueError(f"scale {scale}: the truth file's targets are needed (scaled figures)")
    return {**calibration, **truth["targets"]}, scale


def calibration_figures(warehouse: Path, calibration: Mapping, truth: Mapping | None = None):
    """Every §1 figure of the calibration's period end, expected against the marts."""
    from ..warehouse_db import connect

    want, _ = expected_figures(calibration, truth)
    period = want.get("period") or calibration["period"]
    end = date.fromisoformat(str(period["end"]))
    opening = date.fromisoformat(str(calibration["opening_date"]))
    orgs = {str(k): v for k, v in want["orgs"].items()}
    lending = want["period_lending"]
    recon = want["reconciliation"]

    with connect(Path(warehouse), read_only=True) as con:
        kpi = _row(con, "select * from marts.mart_briefing_kpis where as_of_date = ?", [end])
        by_org = {
            r["org_code"]: r
            for r in _rows(con, "select * from marts.mart_org_summary where as_of_date = ?", [end])
        }
        at_opening = {
            r["org_code"]: r
            for r in _rows(
                con, "select * from marts.mart_org_summary where as_of_date = ?", [opening]
            )
        }

    entrusted = sum(int(orgs[o]["outstanding_vnd"]) for o in ENTRUSTED)
    direct = int(want["direct_outstanding_vnd"])
    households = sum(int(orgs[o]["households"]) for o in ENTRUSTED)
    k = kpi or {}
    figures = [
        Figure("F1", "entrusted outstanding (đồng)", entrusted, k.get("entrusted_outstanding_vnd")),
        Figure(
            "F2",
            "entrusted share of total outstanding",
            entrusted / (entrusted + direct),
            k.get("entrusted_share"),
        ),
        Figure(
            "F3",
            "entrusted change since 31/12 (đồng)",
            int(want["entrusted_change_vnd"]),
            k.get("entrusted_change_ytd_vnd"),
        ),
        Figure(
            "F4",
            "households with entrusted outstanding",
            households,
            k.get("households_with_entrusted_outstanding"),
        ),
        Figure(
            "F5",
            "groups with outstanding",
            sum(int(orgs[o]["groups"]) for o in ENTRUSTED),
            k.get("groups_with_outstanding"),
        ),
        Figure(
            "F6",
            "average entrusted outstanding per household (đồng)",
            entrusted / households,
            k.get("avg_entrusted_outstanding_per_household_vnd"),
        ),
    ]
    for fid, key in (
        ("F7", "loan_turns"),
        ("F8", "poor_group_turns"),
        ("F9", "job_creation_turns"),
        ("F10", "workers_attracted"),
        ("F11", "water_sanitation_works"),
    ):
        figures.append(Figure(fid, f"{key} in the quarter", int(lending[key]), k.get(f"{key}_qtd")))
    figures += [
        Figure(
            "F12", "customers reconciled", int(recon["reconciled"]), k.get("reconciled_customers")
        ),
        Figure(
            "F13",
            "customers in the campaign's scope",
            int(recon["in_scope"]),
            k.get("reconciliation_in_scope"),
        ),
        Figure(
            "F14",
            "reconciliation completion",
            int(recon["reconciled"]) / int(recon["in_scope"]),
            k.get("reconciliation_completion"),
        ),
    ]
    changes = {str(o): int(v) for o, v in (want.get("org_change_vnd") or {}).items()}
    for code in ENTRUSTED:
        now, then = by_org.get(code) or {}, at_opening.get(code) or {}
        change = (
            now["outstanding_vnd"] - then["outstanding_vnd"]
            if now.get("outstanding_vnd") is not None and then.get("outstanding_vnd") is not None
            else None
        )
        if code in changes:
            figures.append(
                Figure("F15", f"org {code} change since 31/12 (đồng)", changes[code], change)
            )
        figures.append(
            Figure(
                "F15",
                f"org {code} grew since 31/12",
                True,
                None if change is None else change > 0,
            )
        )
        for key, column in (
            ("households", "households_with_outstanding"),
            ("groups", "groups_with_outstanding"),
            ("outstanding_vnd", "outstanding_vnd"),
        ):
            figures.append(
                Figure("org", f"org {code} {column}", int(orgs[code][key]), now.get(column))
            )
    return figures


def _rows(con, sql: str, params: list) -> list[dict]:
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _row(con, sql: str, params: list) -> dict | None:
    rows = _rows(con, sql, params)
    return rows[0] if rows else None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m pipelines.quality.calibration_check", description=__doc__.split("\n\n")[0]
    )
    p.add_argument("--warehouse", required=True, type=Path)
    p.add_argument("--raw", required=True, type=Path, help="the demo deliveries (_truth.json)")
    p.add_argument(
        "--calibration", type=Path, help="default: the file the truth says it was made from"
    )
    a = p.parse_args(argv)
    truth = json.loads((a.raw / "_truth.json").read_text(encoding="utf-8"))
    cal_path = a.calibration or Path(truth["scenario"]["calibration"])
    calibration = yaml.safe_load(cal_path.read_text(encoding="utf-8"))
    figures = calibration_figures(a.warehouse, calibration, truth)
    _, scale = expected_figures(calibration, truth)
    print(f"calibration {cal_path} (scale {scale}) against {a.warehouse}")
    for f in figures:
        print(f.line())
    bad = [f for f in figures if not f.ok]
    print(f"{len(figures) - len(bad)} of {len(figures)} figures as calibrated")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
