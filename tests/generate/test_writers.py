"""Writer units: the big-sheet writer and its xlsxwriter fallback give the same sheet."""

from __future__ import annotations

import datetime as dt

import polars as pl

from pipelines.generate import writers

from .readback import read_rows


def _frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "Ngày số liệu": [dt.date(2022, 3, 31)] * 3,
            "Mã PGD": ["0107", "0107", None],
            "Tổng dư nợ": [1_500_000, 0, 12],
            "Tên": ["Nguyễn Thị Hoa", "Trần Văn Nam", "Lê Thị Lan"],
        }
    )


def test_fallback_writes_the_same_sheet(tmp_path, monkeypatch):
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    lines = ["Tiêu đề", "Đơn vị: PGD NHCSXH quận Hai Bà Trưng - Ngày số liệu: 31/03/2022"]
    writers.write_big_xlsx(a, _frame(), lines, 4)
    monkeypatch.setattr(writers, "rustpy_xlsxwriter", None)
    writers.write_big_xlsx(b, _frame(), lines, 4)
    assert read_rows(a) == read_rows(b)
    assert read_rows(a)[3] == ["Ngày số liệu", "Mã PGD", "Tổng dư nợ", "Tên"]


def test_thousands_and_million_text():
    s = pl.DataFrame({"v": [0, 999, 1000, 1_500_000, 123_456_789_012]})
    out = s.select(writers.thousands(pl.col("v")))["v"].to_list()
    assert out == ["0", "999", "1.000", "1.500.000", "123.456.789.012"]
    assert writers.fmt_million(1_234_567) == "1.234567"
    assert writers.fmt_million(5) == "0.000005"
    assert writers.fmt_million(1_234_567, 2) == "1.23"
    assert str(writers.decimal_series(pl.Series([1_234_567]), 6)[0]) == "1.234567"
