"""The briefing on the generated five-quarter history (Q1 2022 to Q1 2023, calibration.md §3) at
scale 0.01: generate → ingest → dbt build (shared, tests/shared_builds.py) → a briefing for every quarter end. Each one reports
the generator's truth at its date, compares with the truth at the end of the previous quarter
and a year earlier, names its period as the bank does and charts every quarter end up to it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from readback import narrative, parse_briefing

from pipelines.contract.codes import ORG_BY_CODE
from pipelines.generate import HISTORY_EXAMPLE
from pipelines.reports.fmt import fmt_amount, fmt_date
from tests.shared_builds import built_demo

pytestmark = [pytest.mark.xdist_group("reports-history-demo"), pytest.mark.slow]

QUARTER_ENDS = (
    date(2022, 3, 31),
    date(2022, 6, 30),
    date(2022, 9, 30),
    date(2022, 12, 31),
    date(2023, 3, 31),
)
PERIODS = ("quý I/2022", "6 tháng đầu năm 2022", "9 tháng đầu năm 2022", "năm 2022", "quý I/2023")


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> dict:
    from pipelines.reports import build_reports

    demo = built_demo(tmp_path_factory, "history", calibration=HISTORY_EXAMPLE)
    out = tmp_path_factory.mktemp("demo-history") / "reports"
    pages = {d: build_reports(demo.warehouse, out, as_of=d)[0] for d in QUARTER_ENDS}
    return {"pages": pages, "truth": demo.truth["as_of"]}


def _figures(page) -> dict[str, Decimal]:
    return {f["field"]: Decimal(f["value"]) for f in page.figures.values() if f["value"]}


@pytest.mark.parametrize(("as_of", "period"), zip(QUARTER_ENDS, PERIODS, strict=True), ids=str)
def test_each_quarter_end_reports_its_truth(history, as_of, period):
    t = history["truth"][str(as_of)]
    path = history["pages"][as_of]
    page = parse_briefing(path)
    v = _figures(page)
    assert v["entrusted_outstanding_vnd"] == t["entrusted_outstanding_vnd"]
    assert v["households_with_entrusted_outstanding"] == t["households_entrusted"]
    assert v["reconciliation_in_scope"] == t["reconciliation"]["in_scope"]
    for key, value in t["period_lending"]["qtd"].items():
        assert v[f"{key}_qtd"] == value, key
    if as_of.month != 3:  # the year so far, from the second quarter on
        for key, value in t["period_lending"]["ytd"].items():
            assert v[f"{key}_ytd"] == value, key
    year_start = history["truth"][f"{as_of.year - 1}-12-31"]
    assert v["entrusted_change_ytd_vnd"] == (
        t["entrusted_outstanding_vnd"] - year_start["entrusted_outstanding_vnd"]
    )
    html = path.read_text(encoding="utf-8")
    assert f"<title>Giao ban ủy thác {period} — " in html


@pytest.mark.parametrize("as_of", QUARTER_ENDS, ids=str)
def test_comparisons_are_the_truths_differences(history, as_of):
    """The narrative's changes since the previous quarter and a year earlier are the truth's."""
    truth = history["truth"]
    now = truth[str(as_of)]["entrusted_outstanding_vnd"]
    text = narrative(history["pages"][as_of])
    quarter_before = QUARTER_ENDS[QUARTER_ENDS.index(as_of) - 1] if as_of.month != 3 else None
    if quarter_before is not None:
        change = now - truth[str(quarter_before)]["entrusted_outstanding_vnd"]
        verb = "tăng" if change > 0 else "giảm"
        assert f"{verb} {fmt_amount(abs(change))} so với quý trước" in text
    year_ago = str(date(as_of.year - 1, as_of.month, as_of.day))
    if year_ago in truth:
        change = now - truth[year_ago]["entrusted_outstanding_vnd"]
        verb = "tăng" if change > 0 else "giảm"
        assert f"{verb} {fmt_amount(abs(change))} so với cùng kỳ năm trước" in text
    else:
        assert "cùng kỳ năm trước" not in text
    # every organization with its own change since 31 December, as the truth has it
    start = truth[f"{as_of.year - 1}-12-31"]["orgs"]
    for code, org in truth[str(as_of)]["orgs"].items():
        change = org["outstanding_vnd"] - start[code]["outstanding_vnd"]
        assert f"{ORG_BY_CODE[code].name} ({fmt_amount(change, signed=True)})" in text, code


def test_the_trend_holds_every_quarter_end_up_to_the_date(history):
    for as_of in QUARTER_ENDS:
        rows = parse_briefing(history["pages"][as_of]).tables["quarters"]["tbody"]
        held = [d for d in (date(2021, 12, 31), *QUARTER_ENDS) if d <= as_of]
        assert [r["as_of_date"] for r in rows] == [fmt_date(d) for d in held]
