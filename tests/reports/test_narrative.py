"""The narrative says what the figures say (issue 25): "đều tăng" only when every organization
grew since 31 December, otherwise it names the organizations that grew and those that fell, and
the branch's change takes its verb from its sign. Built on the fixture warehouse with the
organizations' Q1 changes overridden (at 1 % scale: the wording, not the published figures)."""

from __future__ import annotations

import duckdb
import pytest
from fixture_warehouse import build_fixture
from readback import narrative

from pipelines.contract import codes
from pipelines.reports import build_reports

pytestmark = pytest.mark.xdist_group("reports")

NAMES = {o.code: o.name for o in codes.ORGANIZATIONS}


def _built(tmp_path, **changes) -> tuple[str, dict[str, int], int]:
    """The narrative of a Q1 briefing whose organizations changed by ``changes`` (đồng), with
    the mart's changes by organization and the entrusted total's change."""
    wh = tmp_path / "wh.duckdb"
    build_fixture(wh, scale=0.01, org_change=changes or None)
    html = build_reports(wh, tmp_path / "out")[0]
    con = duckdb.connect(str(wh), read_only=True)
    try:
        by_org = dict(
            con.execute(
                "select org_code, outstanding_change_ytd_vnd from marts.mart_org_summary "
                "where as_of_date = '2022-03-31' and is_entrusted"
            ).fetchall()
        )
        total = con.execute(
            "select entrusted_change_ytd_vnd from marts.mart_briefing_kpis "
            "where as_of_date = '2022-03-31'"
        ).fetchone()[0]
    finally:
        con.close()
    return narrative(html), by_org, total


def _sentence(text: str, start: str) -> str:
    return next(s for s in text.split(". ") if s.startswith(start))


def test_every_organization_grew(tmp_path):
    text, by_org, total = _built(tmp_path)
    assert all(v > 0 for v in by_org.values()) and total > 0
    assert "dư nợ ủy thác tăng" in text and "so với đầu năm" in text
    sentence = _sentence(text, "Dư nợ ủy thác qua các TCCTXH đều tăng so với đầu năm")
    for code in by_org:
        assert f"{NAMES[code]} (+" in sentence, code


def test_one_organization_falls_and_is_named(tmp_path):
    """The demo's contradiction of issue 25: Hội Cựu chiến binh and Đoàn Thanh niên fell while
    the total grew; the narrative must not say "đều tăng"."""
    text, by_org, total = _built(tmp_path, **{"13": -150_000_000, "14": -32_000_000})
    assert by_org["13"] < 0 and by_org["14"] < 0 and by_org["11"] > 0 and by_org["12"] > 0
    assert "đều tăng" not in text and "đều giảm" not in text
    sentence = _sentence(text, "So với đầu năm, dư nợ ủy thác qua")
    grew, _, fell = sentence.partition(" tăng; qua ")
    assert NAMES["11"] in grew and NAMES["12"] in grew
    assert NAMES["13"] not in grew and NAMES["14"] not in grew
    assert fell.rstrip(".").endswith("giảm")
    assert f"{NAMES['13']} (-150 triệu đồng)" in fell and f"{NAMES['14']} (-32 triệu đồng)" in fell
    # the branch's own change keeps the sign of the mart
    assert ("dư nợ ủy thác tăng" in text) == (total > 0)


def test_every_organization_fell(tmp_path):
    text, by_org, total = _built(
        tmp_path, **{"11": -60_000_000, "12": -90_000_000, "13": -50_000_000, "14": -20_000_000}
    )
    assert all(v < 0 for v in by_org.values()) and total < 0
    assert "dư nợ ủy thác giảm 220 triệu đồng so với đầu năm" in text
    assert _sentence(text, "Dư nợ ủy thác qua các TCCTXH đều giảm so với đầu năm")
    assert "tăng" not in _sentence(text, "Đến 31/03/2022")


def test_an_unchanged_organization_is_said_unchanged(tmp_path):
    text, by_org, _ = _built(tmp_path, **{"14": 0})
    assert by_org["14"] == 0
    sentence = _sentence(text, "So với đầu năm, dư nợ ủy thác qua")
    assert f"qua {NAMES['14']} không đổi" in sentence
    assert "đều tăng" not in text
