"""The briefing for any quarter end of a history (issue 17 item 4): five quarters from Q1 2022 to
Q1 2023 plus the opening 31/12/2021 (the fixture warehouse carried on at 1 % scale). Each
quarter's briefing names its period as the bank does, compares with the previous quarter and the
same quarter a year earlier where the warehouse holds them, shows the year's lending so far,
and charts every quarter end held up to its date; `nhcs report --as-of` writes each."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest
from fixture_warehouse import build_fixture
from readback import narrative, parse_briefing, read_sheet

from pipelines.reports import build_reports
from pipelines.reports.fmt import parse_vn_number

pytestmark = pytest.mark.xdist_group("reports-history")

QUARTER_ENDS = [date(2022, 3, 31), date(2022, 6, 30), date(2022, 9, 30), date(2022, 12, 31)]
QUARTER_ENDS.append(date(2023, 3, 31))
PERIODS = {
    date(2022, 3, 31): "quý I/2022",
    date(2022, 6, 30): "6 tháng đầu năm 2022",
    date(2022, 9, 30): "9 tháng đầu năm 2022",
    date(2022, 12, 31): "năm 2022",
    date(2023, 3, 31): "quý I/2023",
}
QUARTERS = {
    date(2022, 3, 31): "quý I/2022",
    date(2022, 6, 30): "quý II/2022",
    date(2022, 9, 30): "quý III/2022",
    date(2022, 12, 31): "quý IV/2022",
    date(2023, 3, 31): "quý I/2023",
}


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> dict:
    work = tmp_path_factory.mktemp("history")
    wh = work / "warehouse.duckdb"
    build_fixture(wh, quarters=5, scale=0.01)
    pages = {d: build_reports(wh, work / "reports", as_of=d)[0] for d in QUARTER_ENDS}
    return {"warehouse": wh, "work": work, "pages": pages}


def _query(wh: Path, sql: str, params=None) -> list[dict]:
    con = duckdb.connect(str(wh), read_only=True)
    try:
        cur = con.execute(sql, params or [])
        names = [c[0] for c in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()


def _ty(vnd) -> Decimal:
    """An amount in đồng as the tables show it: tỷ, one decimal, half-up."""
    return (Decimal(str(vnd)) / 10**9).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _kpi(wh: Path, d: date) -> dict:
    return _query(wh, "select * from marts.mart_briefing_kpis where as_of_date = ?", [d])[0]


def test_default_is_the_latest_quarter_end(history, tmp_path):
    assert build_reports(history["warehouse"], tmp_path)[0].parent.name == "2023-03-31"


@pytest.mark.parametrize("as_of", QUARTER_ENDS, ids=str)
def test_period_wording_follows_the_bank(history, as_of):
    path = history["pages"][as_of]
    html = path.read_text(encoding="utf-8")
    page = parse_briefing(path)
    period, quarter = PERIODS[as_of], QUARTERS[as_of]
    assert f"<title>Giao ban ủy thác {period} — " in html
    assert f"xã hội {period}</h1>" in html
    text = narrative(path)
    assert f"Trong {quarter}, " in text
    labels = {f["field"]: f for f in page.figures.values()}
    assert f"Lượt hộ được vay vốn {quarter}" in html  # F7's label
    if as_of.month == 3:  # the first quarter is the year so far
        assert "Lũy kế" not in text and "loan_turns_ytd" not in labels
    else:
        assert f"Lũy kế {period}, " in text
        assert f"Lượt hộ được vay vốn {period}" in html


@pytest.mark.parametrize("as_of", [d for d in QUARTER_ENDS if d.month != 3], ids=str)
def test_year_to_date_lending_is_the_marts(history, as_of):
    kpi = _kpi(history["warehouse"], as_of)
    figures = {f["field"]: f for f in parse_briefing(history["pages"][as_of]).figures.values()}
    for field in (
        "loan_turns_ytd",
        "poor_group_turns_ytd",
        "job_creation_turns_ytd",
        "workers_attracted_ytd",
        "water_sanitation_works_ytd",
    ):
        assert Decimal(figures[field]["value"]) == kpi[field], field
        assert kpi[field] > kpi[field.replace("_ytd", "_qtd")]  # more than the quarter's


@pytest.mark.parametrize("as_of", QUARTER_ENDS, ids=str)
def test_comparisons_with_the_previous_quarter_and_a_year_earlier(history, as_of):
    wh = history["warehouse"]
    page = parse_briefing(history["pages"][as_of])
    rows = _query(
        wh,
        "select * from marts.mart_briefing_comparisons where as_of_date = ? "
        "and measure = 'entrusted_outstanding_vnd'",
        [as_of],
    )[0]
    table = page.tables["comparison"]["tbody"]
    entrusted = next(r for r in table if r["label"].startswith("Dư nợ ủy thác"))
    assert parse_vn_number(entrusted["value"]) == _ty(rows["as_of_value"])
    assert parse_vn_number(entrusted["quarter_change"]) == _ty(rows["change_previous_quarter"])
    held_a_year_ago = as_of >= date(2022, 12, 31)  # 31/12/2021 is the first month-end held
    assert (rows["year_ago_date"] is not None) == held_a_year_ago
    assert ("year_change" in entrusted) == held_a_year_ago
    if held_a_year_ago:
        assert parse_vn_number(entrusted["year_change"]) == _ty(rows["change_year_ago"])
    # by organization: "so với quý trước" from the second quarter on, "cùng kỳ" when held
    org_row = page.tables["by-org"]["tbody"][0]
    assert ("change_quarter" in org_row) == (as_of.month != 3)
    assert ("change_year" in org_row) == held_a_year_ago


def test_the_year_end_moves_the_start_of_the_year(history):
    """Q1 2023 compares with 31/12/2022, not 31/12/2021; the quarter's lending restarts."""
    wh = history["warehouse"]
    kpi = _kpi(wh, date(2023, 3, 31))
    page = parse_briefing(history["pages"][date(2023, 3, 31)])
    f3 = page.figures["F3"]
    assert Decimal(f3["value"]) == kpi["entrusted_change_ytd_vnd"]
    html = history["pages"][date(2023, 3, 31)].read_text(encoding="utf-8")
    assert "Dư nợ ủy thác tăng/giảm so với 31/12/2022" in html
    dec = _kpi(wh, date(2022, 12, 31))
    assert kpi["entrusted_change_ytd_vnd"] == (
        kpi["entrusted_outstanding_vnd"] - dec["entrusted_outstanding_vnd"]
    )
    assert kpi["loan_turns_ytd"] == kpi["loan_turns_qtd"] < dec["loan_turns_ytd"]


@pytest.mark.parametrize("as_of", QUARTER_ENDS, ids=str)
def test_trend_covers_every_quarter_end_held_up_to_the_date(history, as_of):
    path = history["pages"][as_of]
    page = parse_briefing(path)
    held = [
        r["as_of_date"]
        for r in _query(
            history["warehouse"],
            "select as_of_date from marts.mart_briefing_kpis where is_quarter_end "
            "and as_of_date <= ? order by 1",
            [as_of],
        )
    ]
    assert held[0] == date(2021, 12, 31) and held[-1] == as_of
    shown = [r["as_of_date"] for r in page.tables["quarters"]["tbody"]]
    assert shown == [f"{d:%d/%m/%Y}" for d in held]
    html = path.read_text(encoding="utf-8")
    chart = html[html.index("Dư nợ cuối quý") :]
    chart = chart[: chart.index("</svg>")]
    for d in held:
        assert f">{['I', 'II', 'III', 'IV'][(d.month - 1) // 3]}/{d.year}</text>" in chart
    assert f"/{as_of.year + 1}</text>" not in chart  # nothing after the as-of date


def test_outstanding_by_organization_quarter_by_quarter(history):
    as_of = QUARTER_ENDS[-1]
    page = parse_briefing(history["pages"][as_of])
    mart = _query(
        history["warehouse"],
        "select as_of_date, org_code, outstanding_vnd from marts.mart_org_summary "
        "where is_quarter_end order by as_of_date, org_code",
    )
    rows = {r["as_of_date"]: r for r in page.tables["org-quarters"]["tbody"]}
    assert len(rows) == 6
    for m in mart:
        shown = rows[f"{m['as_of_date']:%d/%m/%Y}"][m["org_code"]]
        assert parse_vn_number(shown) == _ty(m["outstanding_vnd"])
    xlsx = history["pages"][as_of].with_name("briefing.xlsx")
    sheet = read_sheet(xlsx, "Tổ chức theo quý")
    assert sheet.height == 6


def test_nhcs_report_as_of_writes_every_quarter_end(history):
    nhcs = Path(sys.executable).with_name("nhcs")
    out = history["work"] / "cli"
    for as_of in QUARTER_ENDS:
        proc = subprocess.run(
            [
                str(nhcs),
                "report",
                "--warehouse",
                str(history["warehouse"]),
                "--reports",
                str(out),
                "--as-of",
                as_of.isoformat(),
                # the fixture warehouse is built without a quality run: the gate is closed
                "--force",
            ],
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        gate, *paths = proc.stdout.splitlines()
        assert gate.startswith("nhcs report: UNVERIFIED briefing (--force)")
        written = [Path(p) for p in paths]
        assert [p.name for p in written] == ["briefing.html", "briefing.xlsx", "exceptions.xlsx"]
        assert all(p.parent == out / as_of.isoformat() and p.exists() for p in written)
        html = written[0].read_text(encoding="utf-8")
        assert f"<title>[CHƯA KIỂM CHỨNG] Giao ban ủy thác {PERIODS[as_of]} — " in html
