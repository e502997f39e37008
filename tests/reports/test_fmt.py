"""Vietnamese number formatting: thousands ``.``, decimal ``,``, the briefing's units."""

from datetime import date
from decimal import Decimal

import pytest

from pipelines.reports import fmt


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (0, 0, "0"),
        (7082, 0, "7.082"),
        (217978, 0, "217.978"),
        (11637000000000, 0, "11.637.000.000.000"),
        (1234567.891, 2, "1.234.567,89"),
        (-1500, 0, "-1.500"),
        (-0.04, 1, "0,0"),
        (Decimal("2.5"), 0, "3"),  # half-up, as people round
        (999.95, 1, "1.000,0"),
    ],
)
def test_fmt_number(value, decimals, expected):
    assert fmt.fmt_number(value, decimals) == expected


def test_amounts_in_the_briefings_units():
    assert fmt.fmt_ty(11637000000000) == "11.637 tỷ đồng"
    assert fmt.fmt_ty(6304000000000) == "6.304 tỷ đồng"
    assert fmt.fmt_ty(22000000000, signed=True) == "+22 tỷ đồng"
    assert fmt.fmt_ty(-3_400_000_000, signed=True) == "-3 tỷ đồng"
    assert fmt.fmt_ty(116_370_000_000, 1) == "116,4 tỷ đồng"
    assert fmt.fmt_trieu(46_828_973.8, suffix="/hộ") == "47 triệu đồng/hộ"
    assert fmt.fmt_trieu(46_828_973.8, 2) == "46,83 triệu đồng"
    assert fmt.fmt_ty(None) == fmt.DASH


def test_amounts_keep_meaning_at_small_scales():
    assert fmt.fmt_amount(11637000000000) == "11.637 tỷ đồng"
    assert fmt.fmt_amount(22000000000, signed=True) == "+22 tỷ đồng"
    assert fmt.fmt_amount(3_238_526_000) == "3,2 tỷ đồng"
    assert fmt.fmt_amount(220_000_000, signed=True) == "+220 triệu đồng"
    assert fmt.fmt_amount(-220_000_000, signed=True) == "-220 triệu đồng"
    assert fmt.ty_decimals([116_150_000_000, 116_726_620_000]) == 1
    assert fmt.ty_decimals([0, 63_000_000_000]) == 0
    assert fmt.ty_decimals([116_150_000_000, 116_370_000_000]) == 2


def test_percentages():
    assert fmt.fmt_pct(0.973) == "97,3%"
    assert fmt.fmt_pct(0.97299331) == "97,3%"
    assert fmt.fmt_pct(217978 / 254076, 0) == "86%"
    assert fmt.fmt_pct(217978 / 254076, 2) == "85,79%"
    assert fmt.fmt_pct(0.0003, 2) == "0,03%"
    assert fmt.fmt_pct(1.0) == "100,0%"


def test_counts_in_words_as_the_briefing_writes_them():
    assert fmt.fmt_approx(248_500) == "gần 250 ngàn"
    assert fmt.fmt_approx(28_123) == "trên 28 ngàn"
    assert fmt.fmt_approx(18_900) == "gần 19 ngàn"
    assert fmt.fmt_approx(21_100) == "trên 21 ngàn"
    assert fmt.fmt_approx(28_000) == "28 ngàn"
    assert fmt.fmt_approx(481) == "481"
    assert fmt.fmt_approx(2_485) == "gần 2.500"
    assert fmt.fmt_approx(1_761) == "trên 1.700"


def test_signed_and_dates_and_quarters():
    assert fmt.fmt_signed(22) == "+22"
    assert fmt.fmt_signed(-5) == "-5"
    assert fmt.fmt_signed(0) == "0"
    assert fmt.fmt_date(date(2022, 3, 31)) == "31/03/2022"
    assert fmt.quarter_label(date(2022, 3, 31)) == "quý I/2022"
    assert fmt.quarter_label(date(2022, 12, 31)) == "quý IV/2022"


@pytest.mark.parametrize("n", [0, 7, 7082, 11637, 248500, 11637000000000, -1500])
def test_parse_is_the_inverse_of_format(n):
    assert fmt.parse_vn_number(fmt.fmt_number(n)) == n
    assert fmt.parse_vn_number(fmt.fmt_number(n / 1000, 3)) == Decimal(n) / 1000


@pytest.mark.parametrize(
    ("as_of", "year_so_far", "quarter"),
    [
        (date(2022, 3, 31), "quý I/2022", "quý I/2022"),
        (date(2022, 6, 30), "6 tháng đầu năm 2022", "quý II/2022"),
        (date(2022, 9, 30), "9 tháng đầu năm 2022", "quý III/2022"),
        (date(2022, 12, 31), "năm 2022", "quý IV/2022"),
        (date(2023, 1, 31), "tháng 1/2023", "quý I/2023"),
        (date(2022, 5, 31), "5 tháng đầu năm 2022", "quý II/2022"),
    ],
)
def test_periods_as_the_bank_names_them(as_of, year_so_far, quarter):
    assert fmt.ytd_label(as_of) == year_so_far
    assert fmt.quarter_label(as_of) == quarter


def test_a_change_takes_its_verb_from_its_sign():
    assert fmt.change_phrase(22, "22 tỷ đồng") == "tăng 22 tỷ đồng"
    assert fmt.change_phrase(Decimal("-3.2"), "3,2 tỷ đồng") == "giảm 3,2 tỷ đồng"
    assert fmt.change_phrase(0, "0 tỷ đồng") == "không đổi"
    assert fmt.change_phrase(None, "") == fmt.DASH
