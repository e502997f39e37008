"""The briefing printed as a reader prints it: headless Chromium's "Save as PDF" with the page's
own @page rule. The PDF is read back (PDFium): A4 portrait pages, the headline on the first
page, and nothing printed outside the page margins (a table too wide for the paper would run
into them). Each page is rendered to a PNG, kept when NHCS_SCREENSHOT_DIR is set."""

from __future__ import annotations

import os
import re
import shutil
from datetime import date
from pathlib import Path

import pytest
from browser import needs_chromium, print_to_pdf
from fixture_warehouse import build_fixture
from printed import inked_box_mm, png, read_pdf

from pipelines.reports import build_reports

pytestmark = [pytest.mark.xdist_group("reports"), needs_chromium]

A4_MM = (210, 297)
# the @page margins of the template (top, right, bottom, left), less half a millimetre for the
# anti-aliased edge of a rendered line
MARGINS_MM = (12, 10, 14, 10)


def _printed(html: Path, tmp_path: Path, name: str):
    pdf = print_to_pdf(html.as_uri(), tmp_path / f"{name}.pdf")
    pages = read_pdf(pdf)
    keep = os.environ.get("NHCS_SCREENSHOT_DIR")
    for i, page in enumerate(pages, start=1):
        shot = tmp_path / f"{name}-page-{i}.png"
        shot.write_bytes(png(page.pixels))
        if keep:
            Path(keep).mkdir(parents=True, exist_ok=True)
            shutil.copy2(shot, Path(keep) / shot.name)
    return pages


def _within_margins(pages) -> None:
    top, right, bottom, left = (m - 0.5 for m in MARGINS_MM)
    for i, page in enumerate(pages, start=1):
        assert (round(page.width_mm), round(page.height_mm)) == A4_MM, i  # A4 portrait
        x0, y0, x1, y1 = inked_box_mm(page)
        assert x0 >= left and y0 >= top, (i, x0, y0)
        assert x1 <= A4_MM[0] - right and y1 <= A4_MM[1] - bottom, (i, x1, y1)


@pytest.fixture(scope="module")
def printed_q1(fixture_reports, tmp_path_factory):
    return _printed(fixture_reports["briefing.html"], tmp_path_factory.mktemp("print"), "q1-2022")


def test_printed_briefing_is_a4_with_the_headline(printed_q1):
    pages = printed_q1
    assert len(pages) > 2
    _within_margins(pages)
    first = " ".join(pages[0].text.split())
    assert "Kết quả ủy thác cho vay qua các tổ chức chính trị - xã hội quý I/2022" in first
    assert "tổng dư nợ ủy thác qua các TCCTXH là 11.637 tỷ đồng, chiếm 97,3%" in first
    assert "gần 250 ngàn hộ" in first
    # the whole briefing is printed: the last section is on the last pages
    assert "Chất lượng dữ liệu" in " ".join(p.text for p in pages[-2:])
    # no blank page: ink on more than 2 % of every page but the last
    assert all((p.pixels < 245).any(axis=2).mean() > 0.02 for p in pages[:-1])


# a row of the debt-quality table by district: office code, then outstanding in tỷ (1 decimal)
DEBT_ROW = re.compile(r"\b01(?:0[1-9]|[12]\d|30) \d[\d.]*,\d \d")
DEBT_HEADER = "Mã PGD Dư nợ (tỷ đồng) Nợ quá hạn (triệu đồng) Nợ khoanh (triệu đồng)"


def test_a_table_over_a_page_break_repeats_its_header_and_totals_once(printed_q1):
    """The 30 districts' debt-quality table runs over a page break: its header row is printed
    again on the next page, and its "Toàn chi nhánh" total only once, after the last row."""
    texts = [" ".join(p.text.split()) for p in printed_q1]
    pages = [i for i, t in enumerate(texts) if DEBT_ROW.search(t)]
    assert len(pages) >= 2, "the table fits one page: nothing to check"
    for i in pages:
        assert DEBT_HEADER in texts[i], i
    for i in pages:
        *_, last_row = DEBT_ROW.finditer(texts[i])
        after = texts[i][texts[i].index("%", last_row.end()) + 1 :].lstrip()
        assert after.startswith("Toàn chi nhánh") == (i == pages[-1]), (i, after[:40])


def test_a_later_quarter_prints_on_a4_too(tmp_path):
    """Q1 2023 of a five-quarter history, whose organization table has its widest layout (the
    year-ago column): it still fits the paper."""
    wh = tmp_path / "wh.duckdb"
    build_fixture(wh, quarters=5, scale=0.01)
    html = build_reports(wh, tmp_path / "out", as_of=date(2023, 3, 31))[0]
    pages = _printed(html, tmp_path, "q1-2023")
    _within_margins(pages)
    first = " ".join(pages[0].text.split())
    assert "xã hội quý I/2023" in first
    assert "Tăng/giảm so với cùng kỳ năm trước" in " ".join(" ".join(p.text.split()) for p in pages)
