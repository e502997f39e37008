"""The history form of the calibration file (calibration.md section 3): the shipped example,
contradictions refused naming the period and the keys, a direct book that has run off,
and a single-period file byte-identical to the same figures written as a history of one."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import polars as pl
import pytest
import yaml

from pipelines.generate import (
    DEFAULT_CALIBRATION,
    FAULTS,
    HISTORY_EXAMPLE,
    generate,
    load_calibration,
    load_history,
)
from pipelines.generate.calibration import PERIOD_KEYS
from pipelines.generate.model import build
from pipelines.generate.scenario import roll_forward

from . import checks
from .conftest import digests
from .readback import load_tree

SPEC = Path(__file__).resolve().parents[3] / "shared" / "contract" / "calibration.md"
ORDER = ("12", "11", "13", "14")  # the table's column order
TY = 1_000_000_000


def _n(s: str) -> int:
    return int(s.strip().replace(",", ""))


@pytest.mark.skipif(not SPEC.exists(), reason="the shared contract is not beside the repo")
def test_shipped_history_is_the_table_of_section_3():
    text = SPEC.read_text(encoding="utf-8").split("## 3.", 1)[1]
    rows = [r for r in text.splitlines() if re.match(r"\| \d\d/\d\d/\d{4} \|", r)]
    hist = load_history(HISTORY_EXAMPLE)
    assert len(rows) == len(hist.periods) == 5
    for row, p in zip(rows, hist.periods, strict=True):
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert dt.datetime.strptime(cells[0], "%d/%m/%Y").date() == p.period_end
        for org, cell in zip(ORDER, cells[1:5], strict=True):
            hh, groups, ty = (_n(x) for x in cell.split("/"))
            assert (hh, groups, ty * TY) == (
                p.orgs[org].households,
                p.orgs[org].groups,
                p.orgs[org].outstanding_vnd,
            )
        assert _n(cells[5]) * TY == p.direct_outstanding_vnd
        pl_ = p.period_lending
        assert [_n(c) for c in cells[6:11]] == [
            pl_.loan_turns,
            pl_.poor_group_turns,
            pl_.job_creation_turns,
            pl_.workers_attracted,
            pl_.water_sanitation_works,
        ]
        assert _n(cells[11].split()[0]) == p.reconciliation.reconciled
    first = hist.first
    # Q1 2022 is section 2's file, as shipped.
    assert first == dataclasses.replace(load_calibration(DEFAULT_CALIBRATION), source=first.source)
    # 31/12/2022: 12,541 tỷ entrusted + 190 tỷ direct = 12,731 tỷ; the rule of section 3
    # for quality (section 2's figures in every period).
    dec = hist.periods[3]
    assert sum(o.outstanding_vnd for o in dec.orgs.values()) == 12_541 * TY
    assert all(p.quality == first.quality for p in hist.periods)


def test_later_figures_are_implied():
    hist = load_history(HISTORY_EXAMPLE)
    q4, q1 = hist.periods[3], hist.periods[4]
    assert q4.entrusted_change_vnd == (12_541 - 11_615) * TY  # against 31/12/2021
    assert q1.entrusted_change_vnd == (6_960 + 3_172 + 2_116 + 598 - 12_541) * TY  # 31/12/2022
    assert q1.org_change_vnd == {"12": 166 * TY, "11": 75 * TY, "13": 50 * TY, "14": 14 * TY}
    assert [p.reconciliation.in_scope for p in hist.periods] == [254_076] * 4 + [None]
    small = hist.scaled(0.01)
    for p in small.periods[1:]:
        assert sum(p.org_change_vnd.values()) == p.entrusted_change_vnd


def _history(tmp_path: Path, mutate) -> Path:
    raw = yaml.safe_load(HISTORY_EXAMPLE.read_text("utf-8"))
    mutate(raw)
    p = tmp_path / "history.yaml"
    p.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return p


def _set(path: str, value):
    """A mutation setting ``periods.<i>.<key>...`` (0-based list index) to ``value``."""

    def mutate(raw):
        node = raw
        keys = path.split(".")
        for k in keys[:-1]:
            node = node[int(k)] if isinstance(node, list) else node[k]
        if value is None:
            node.pop(keys[-1])
        else:
            node[keys[-1]] = value

    return mutate


@pytest.mark.parametrize(
    ("mutate", "names"),
    [
        # an implied figure given differently
        (
            _set("periods.1.entrusted_change_vnd", 200_000_000_000),
            [r"periods\[2\]", r"periods\[2\]\.entrusted_change_vnd"],
        ),
        (
            _set("periods.4.org_change_vnd", {"12": 1, "11": 2, "13": 3, "14": 305 * TY - 6}),
            [r"periods\[5\]\.org_change_vnd\.11"],
        ),
        (
            _set("periods.2.reconciliation.in_scope", 250_000),
            [r"periods\[3\]\.reconciliation\.in_scope", r"periods\[1\]"],
        ),
        (_set("periods.4.reconciliation.in_scope", 257_000), [r"periods\[5\]\.reconciliation"]),
        # a reconciliation above its scope, or going backwards within a campaign year
        (
            _set("periods.1.reconciliation.reconciled", 300_000),
            [r"periods\[2\]\.reconciliation\.reconciled exceeds in_scope"],
        ),
        (
            _set("periods.2.reconciliation.reconciled", 200_000),
            [r"periods\[3\]\.reconciliation\.reconciled", r"periods\[2\]"],
        ),
        (
            _set("periods.1.reconciliation.campaign_year", 2023),
            [r"periods\[2\]\.reconciliation\.campaign_year"],
        ),
        # a period that does not follow the previous one
        (
            _set("periods.2.period", {"start": dt.date(2022, 7, 2), "end": dt.date(2022, 9, 30)}),
            [r"periods\[3\]", r"periods\[3\]\.period\.start", r"periods\[2\]\.period\.end"],
        ),
        (
            _set("periods.3.period", {"start": dt.date(2022, 10, 1), "end": dt.date(2023, 1, 31)}),
            [r"periods\[4\]\.period"],
        ),
        (_set("periods.0.entrusted_change_vnd", None), [r"periods\[1\]\.entrusted_change_vnd"]),
        (_set("periods.3.orgs.13.groups", "many"), [r"periods\[4\]\.orgs\.13\.groups"]),
        (_set("orgs", {"12": {}}), [r"orgs belong"]),
        (_set("periods", []), [r"periods must be a non-empty list"]),
    ],
)
def test_contradictions_are_refused_naming_period_and_keys(tmp_path, mutate, names):
    with pytest.raises(ValueError) as e:
        load_history(_history(tmp_path, mutate))
    for name in names:
        assert re.search(name, str(e.value)), (name, str(e.value))


@pytest.mark.parametrize(
    ("mutate", "names"),
    [
        # The 2023 campaign's scope follows from the history (customers with outstanding on
        # 31/12/2022): more reconciled than that is found when the book is built.
        (
            _set("periods.4.reconciliation.reconciled", 300_000),
            [r"periods\[5\]", r"periods\[5\]\.reconciliation\.reconciled", "31/12/2022"],
        ),
        # More new households than the period's turns can bring.
        (
            _set("periods.1.orgs.12.households", 180_000),
            [r"periods\[2\]", r"periods\[2\]\.orgs\.12\.households"],
        ),
    ],
)
def test_contradictions_found_in_the_book_name_period_and_keys(tmp_path, mutate, names):
    with pytest.raises(ValueError) as e:
        generate(tmp_path / "raw", _history(tmp_path, mutate), scale=0.004, fmt="csv")
    for name in names:
        assert re.search(name, str(e.value)), (name, str(e.value))


def test_load_calibration_is_for_one_period():
    with pytest.raises(ValueError, match="history of 5 periods"):
        load_calibration(HISTORY_EXAMPLE)


# ----- a direct book that has run off to almost nothing ----------------------------------------
FEW_TY = 3 * TY  # of a ~12,000-tỷ branch


def test_single_period_with_a_tiny_direct_book(tmp_path):
    """Before, new direct loans were ~a third of the turns left after job creation, poor
    households and NSVSMT, and a direct book smaller than them was refused ("outstanding of
    organization 99 is too small"). Here many such turns meet a 3-tỷ direct book."""
    raw = yaml.safe_load(DEFAULT_CALIBRATION.read_text("utf-8"))
    raw["direct_outstanding_vnd"] = FEW_TY
    raw["period_lending"]["job_creation_turns"] = 12_000
    raw["period_lending"]["workers_attracted"] = 14_000
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    cal = load_calibration(path)
    sc = build(cal, cal.seed, sparse=False)  # scale 1.0: the model alone, no files
    it, ov, fz = roll_forward(sc.opening, sc.flows, sc.n_snap)
    end = (it + ov + fz)[:, -1]
    assert int(end[sc.loans["direct"]].sum()) == FEW_TY
    assert int((sc.loans["direct"] & sc.loans["is_new"]).sum()) == 1
    assert int(sc.loans["is_new"].sum()) == cal.period_lending.loan_turns


def test_history_whose_direct_book_runs_off(tmp_path):
    def run_off(raw):
        raw["periods"][3]["direct_outstanding_vnd"] = 5 * TY
        raw["periods"][4]["direct_outstanding_vnd"] = FEW_TY

    scale = 0.004
    out = tmp_path / "raw"
    generate(out, _history(tmp_path, run_off), scale=scale, fmt="parquet")
    m31 = load_tree(out, reports=("M31",))["M31"]
    ln = checks.loans(m31)
    direct = (
        ln.filter(pl.col("org_code") == "99").group_by("_date").agg(pl.col("outstanding").sum())
    )
    got = {r["_date"]: r["outstanding"] for r in direct.iter_rows(named=True)}
    assert got[dt.date(2022, 12, 31)] == 5 * TY * scale
    assert got[dt.date(2023, 3, 31)] == FEW_TY * scale
    assert got[dt.date(2022, 9, 30)] == 240 * TY * scale
    # The branch office still delivers its month-end reports.
    assert {"0100"} <= set(m31.filter(pl.col("_date") == dt.date(2023, 3, 31))["_unit"])
    assert checks.rollforward(m31).height == 0


# ----- one period: the single-period form and the history form give the same bytes -------------
def test_single_period_file_and_history_of_one_period_give_the_same_bytes(tmp_path):
    single = DEFAULT_CALIBRATION.read_text("utf-8")
    doc = yaml.safe_load(single)
    doc["periods"] = [{k: doc.pop(k) for k in PERIOD_KEYS if k in doc}]
    path = tmp_path / "calibration.yaml"  # one path: _truth.json names the file
    trees = []
    for text in (single, yaml.safe_dump(doc, sort_keys=False)):
        path.write_text(text, encoding="utf-8")
        raw = tmp_path / f"raw{len(trees)}"
        generate(raw, path, scale=0.004, inject=sorted(FAULTS))
        trees.append(digests(raw))
    assert len(trees[0]) > 600
    assert trees[0] == trees[1]
