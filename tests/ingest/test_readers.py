"""Reader rules of contract section 3 and 4, on hand-written files."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from decimal import Decimal

import pytest
from builders import (
    COMMUNES,
    DAY,
    OFFICE,
    SIGNATURE,
    Folder,
    bc0437_row,
    doichieu_row,
    form_row,
    form_sheet,
    headers_of,
    hoi_row,
    hoi_sheet,
    m31_name,
    m31_row,
    nfd,
    parquet_bytes,
    report_sheet,
    savings_only_row,
    skgd_row,
    spec_csv,
    xlsx_bytes,
)

from pipelines.contract.reports import BC0437, DOICHIEU, M31, SKGD


def _load(env, name: str, data: bytes, unit: str = OFFICE, extra: dict | None = None):
    f = Folder(env.raw, DAY, unit).add(name, data)
    for n, d in (extra or {}).items():
        f.add(n, d)
    f.manifest()
    res = env.ingest()
    assert res.ok, [r.message for r in res.rejections]
    return res


def _m31_folder_for_forms(env, unit=OFFICE) -> dict:
    return {m31_name(unit): xlsx_bytes(report_sheet(M31, [m31_row(1), m31_row(2)]))}


# ----------------------------------------------------------------------------- text, NFC
def test_nfd_text_and_headers_are_matched_and_stored_nfc(env):
    rows = [m31_row(1, commune_name=nfd("Phường Minh Khai"), customer_name=nfd("Đặng Thị Ửng"))]
    sheet = report_sheet(M31, rows)
    sheet.headers = [nfd(h) for h in sheet.headers]
    assert sheet.headers != headers_of(M31)
    _load(env, m31_name(), xlsx_bytes(sheet))
    name, cust = env.query("SELECT commune_name, customer_name FROM raw.m31")[0]
    assert name == "Phường Minh Khai" and unicodedata.is_normalized("NFC", name)
    assert cust == "Đặng Thị Ửng" and unicodedata.is_normalized("NFC", cust)


def test_closed_text_values_match_case_and_diacritics_insensitively(env):
    row = m31_row(1, gender="NỮ", household_category="ho ngheo", term_class=nfd("trung hạn"))
    _load(env, m31_name(), xlsx_bytes(report_sheet(M31, [row])))
    assert env.query("SELECT gender, household_category, term_class FROM raw.m31") == [
        ("Nữ", "Hộ nghèo", "Trung hạn")
    ]


# ------------------------------------------------------------------------------- amounts
def test_amounts_with_and_without_thousand_separators_and_numeric_cells(env):
    rows = [
        m31_row(1),  # '45.000.000' text with separators
        m31_row(
            2,
            loan_amount=50000000,  # numeric cells
            outstanding="45000000",  # plain text digits
            outstanding_in_term=40000000.0,
            outstanding_overdue="3.000.000",
            outstanding_frozen=2000000,
        ),
    ]
    _load(env, m31_name(), xlsx_bytes(report_sheet(M31, rows)))
    got = env.query(
        "SELECT loan_amount, outstanding, outstanding_in_term, outstanding_overdue, "
        "outstanding_frozen FROM raw.m31 ORDER BY customer_code"
    )
    assert got == [(50_000_000, 45_000_000, 40_000_000, 3_000_000, 2_000_000)] * 2


def test_interest_rate_with_decimal_comma_or_point(env):
    rows = [m31_row(1, interest_rate_pct_month="0,6875"), m31_row(2, interest_rate_pct_month=0.55)]
    _load(env, m31_name(), xlsx_bytes(report_sheet(M31, rows)))
    rates = env.query("SELECT interest_rate_pct_month FROM raw.m31 ORDER BY customer_code")
    assert rates == [(0.6875,), (0.55,)]


# -------------------------------------------------------------------------- header position
@pytest.mark.parametrize("header_row", [1, 3, 5, 9])
def test_header_found_on_any_row(env, header_row):
    sheet = report_sheet(M31, [m31_row(1)], header_row=header_row)
    _load(env, m31_name(), xlsx_bytes(sheet))
    assert env.query("SELECT _row_number FROM raw.m31") == [(header_row + 1,)]


def test_extra_and_reordered_columns(env):
    order = list(reversed(headers_of(M31)))
    order.insert(3, "Ghi chú")  # an extra column, ignored
    order.append("Cột thêm")
    rows = [dict(m31_row(1), **{"Ghi chú": "abc", "Cột thêm": 1})]
    sheet = report_sheet(M31, rows, order=order, first_col=0)
    _load(env, m31_name(), xlsx_bytes(sheet))
    got = env.query("SELECT pgd_code, outstanding, savings_book_no FROM raw.m31")
    assert got == [(OFFICE, 45_000_000, "TK000001")]
    cols = [r[0] for r in env.query("DESCRIBE raw.m31")]
    assert "Ghi chú" not in cols and "ghi_chu" not in cols


# ---------------------------------------------------------------------- codes and dates
def test_numeric_looking_codes_keep_leading_zeros(env):
    row = m31_row(
        1,
        pgd_code=107,
        commune_code=10701.0,
        hamlet_code=1070101,
        org_code=12,
        program_code=1,
        customer_code=1,
        loan_code=6600000000000001,
        channel=2,
    )
    _load(env, m31_name(), xlsx_bytes(report_sheet(M31, [row])))
    assert env.query(
        "SELECT pgd_code, commune_code, hamlet_code, org_code, program_code, customer_code, "
        "loan_code, channel FROM raw.m31"
    ) == [("0107", "010701", "01070101", "12", "01", "0000000001", "6600000000000001", "2")]


def test_excel_date_cells_and_text_dates(env):
    rows = [
        m31_row(1, as_of_date=DAY, disbursement_date=date(2022, 1, 15), maturity_date="5/1/2025"),
        m31_row(2, disbursement_date=datetime(2021, 12, 3), maturity_date="44651"),
    ]
    _load(env, m31_name(), xlsx_bytes(report_sheet(M31, rows)))
    assert env.query(
        "SELECT as_of_date, disbursement_date, maturity_date FROM raw.m31 ORDER BY customer_code"
    ) == [
        (DAY, date(2022, 1, 15), date(2025, 1, 5)),
        (DAY, date(2021, 12, 3), date(2022, 3, 31)),  # 44651 = Excel serial of 31/03/2022
    ]


# ------------------------------------------------------------ totals and signature blocks
def test_m31_total_row_and_signature_block_are_not_data(env):
    total = {"as_of_date": "Tổng cộng", "outstanding": "90.000.000"}
    cells = [[total.get(c.key) for c in M31.columns]]
    sheet = report_sheet(M31, [m31_row(1), m31_row(2)], after=cells + SIGNATURE)
    _load(env, m31_name(), xlsx_bytes(sheet))
    assert env.scalar("SELECT count(*) FROM raw.m31") == 2


def test_savings_book_rows_and_savings_only_rows_load(env):
    rows = [
        m31_row(1, savings_book_no="TK1", savings_balance="100.000"),
        m31_row(1, savings_book_no="TK2", savings_balance="300.000"),  # 2nd book, same loan
        savings_only_row(3),  # every loan column empty (contract 4.1)
        savings_only_row(4, zeros=True),  # ... or amounts written as 0
    ]
    _load(env, m31_name(), xlsx_bytes(report_sheet(M31, rows)))
    assert env.query("SELECT count(*), count(loan_code), count(outstanding) FROM raw.m31") == [
        (4, 2, 3)
    ]
    assert env.scalar("SELECT count(*) FROM raw._findings") == 0


# --------------------------------------------------------------------------- 01.x forms
def test_form_011_commune_names_mapped_via_m31_total_kept(env):
    form = form_sheet(
        [
            form_row("PHƯỜNG BẠCH ĐẰNG", "1"),  # case-insensitive
            form_row(nfd("phuong minh khai"), "2"),  # no diacritics, NFD
        ],
        form_row("TỔNG CỘNG", None, "90.000000"),
    )
    _load(
        env,
        f"BCDHTD_01.1_{OFFICE}_{DAY:%d%m%Y}.xlsx",
        xlsx_bytes(form),
        extra=_m31_folder_for_forms(env),
    )
    assert env.query(
        "SELECT row_kind, row_code, row_name, outstanding_mil, _row_number "
        "FROM raw.bcdhtd_011 ORDER BY _row_number"
    ) == [
        ("commune", COMMUNES[0][0], "PHƯỜNG BẠCH ĐẰNG", Decimal("45.000000"), 9),
        ("commune", COMMUNES[1][0], "phuong minh khai", Decimal("45.000000"), 10),
        ("total", None, "TỔNG CỘNG", Decimal("90.000000"), 11),
    ]


def test_form_011_names_from_an_m31_of_another_date(env):
    Folder(env.raw, date(2022, 2, 28)).add(
        m31_name(day=date(2022, 2, 28)),
        xlsx_bytes(
            report_sheet(
                M31, [m31_row(1, as_of_date="28/02/2022"), m31_row(2, as_of_date="28/02/2022")]
            )
        ),
    ).manifest()
    form = form_sheet([form_row("Phường Minh Khai", "1")], form_row("TỔNG CỘNG", None))
    _load(env, f"BCDHTD_01.1_{OFFICE}_{DAY:%d%m%Y}.xlsx", xlsx_bytes(form))
    assert env.query("SELECT row_code FROM raw.bcdhtd_011 WHERE row_kind = 'commune'") == [
        (COMMUNES[1][0],)
    ]


def test_form_011_of_branch_office_is_by_district(env):
    form = form_sheet(
        [form_row("Quận Ba Đình", "1"), form_row("ung hoa", "2")],
        form_row("Tổng cộng", None, "90.000000"),
    )
    _load(env, f"BCDHTD_01.1_0100_{DAY:%d%m%Y}.xlsx", xlsx_bytes(form), unit="0100")
    assert env.query("SELECT row_kind, row_code FROM raw.bcdhtd_011 ORDER BY _row_number") == [
        ("district", "0101"),
        ("district", "0130"),
        ("total", None),
    ]


def test_form_012_program_names_mapped_and_exact_millions(env):
    form = form_sheet(
        [
            form_row(
                "Cho vay học sinh, sinh viên có hoàn cảnh khó khăn",
                "1",
                "1234567.123456",
                **{"(10)": "1234567.123455", "(11)": "0.000001", "(3)": 0.1},
            ),
            form_row(nfd("CHO VAY NHÀ Ở XÃ HỘI"), "2", "0.3", **{"(10)": 0.3}),
        ],
        form_row(
            "TỔNG CỘNG", None, "1234567.423456", **{"(10)": "1234567.423455", "(11)": "0.000001"}
        ),
    )
    _load(env, f"BCDHTD_01.2_{OFFICE}_{DAY:%d%m%Y}.xlsx", xlsx_bytes(form))
    assert env.query(
        "SELECT row_kind, row_code, outstanding_mil, outstanding_in_term_mil, "
        "disbursed_month_mil FROM raw.bcdhtd_012 ORDER BY _row_number"
    ) == [
        ("program", "02", Decimal("1234567.123456"), Decimal("1234567.123455"), Decimal("0.1")),
        ("program", "12", Decimal("0.3"), Decimal("0.3"), Decimal("0")),
        ("total", None, Decimal("1234567.423456"), Decimal("1234567.423455"), Decimal("0")),
    ]
    assert (
        env.scalar("SELECT typeof(outstanding_mil) FROM raw.bcdhtd_012 LIMIT 1") == "DECIMAL(24,6)"
    )


def test_form_total_label_in_first_column(env):
    total = form_row(None, "Tổng cộng", "45.000000")
    form = form_sheet([form_row("Cho vay hộ nghèo", "1")], total)
    _load(env, f"BCDHTD_01.2_{OFFICE}_{DAY:%d%m%Y}.xlsx", xlsx_bytes(form))
    assert env.query("SELECT row_kind, row_name FROM raw.bcdhtd_012 ORDER BY _row_number") == [
        ("program", "Cho vay hộ nghèo"),
        ("total", "TỔNG CỘNG"),
    ]


# ---------------------------------------------------------------------------------- HOI
def test_hoi_districts_org_from_file_name_and_total(env):
    sheet = hoi_sheet(
        [hoi_row("Ba Đình", "1"), hoi_row("Huyện Ứng Hòa", "2", **{"Dư nợ (triệu đồng)": 1500.5})],
        hoi_row("TỔNG CỘNG", None, **{"Dư nợ (triệu đồng)": "211.846,17"}),
    )
    _load(env, f"HOI_12_{DAY:%Y%m%d}.xlsx", xlsx_bytes(sheet), unit="HOI")
    assert env.query(
        "SELECT org_code, pgd_code, is_total, households_with_outstanding, outstanding_mil, "
        "overdue_mil, _unit FROM raw.hoi ORDER BY _row_number"
    ) == [
        ("12", "0101", False, 4500, Decimal("210345.67"), Decimal("12.5"), "HOI"),
        ("12", "0130", False, 4500, Decimal("1500.5"), Decimal("12.5"), "HOI"),
        ("12", None, True, 4500, Decimal("211846.17"), Decimal("12.5"), "HOI"),
    ]


def test_two_hoi_files_are_two_keys(env):
    f = Folder(env.raw, DAY, "HOI")
    for org in ("11", "12"):
        f.add(f"HOI_{org}_{DAY:%Y%m%d}.xlsx", xlsx_bytes(hoi_sheet([hoi_row("Ba Vì")])))
    f.manifest()
    assert env.ingest().ok
    assert env.query("SELECT org_code, count(*) FROM raw.hoi GROUP BY ALL ORDER BY 1") == [
        ("11", 1),
        ("12", 1),
    ]


# ---------------------------------------------------------------------------- csv, parquet
def test_journal_csv_with_bom_semicolon_and_separators(env):
    rows = [skgd_row(1, amount="1.500.000", memo="Thu nợ; gốc"), skgd_row(2, amount="250000")]
    data = spec_csv(SKGD, rows)
    assert data.startswith(b"\xef\xbb\xbf")
    _load(env, f"SKGD_{OFFICE}_{DAY:%Y%m%d}.csv", data)
    assert env.query("SELECT txn_id, amount, memo, _row_number FROM raw.skgd ORDER BY 1") == [
        ("GD20220331000001", 1_500_000, "Thu nợ; gốc", 2),
        ("GD20220331000002", 250_000, "Thu nợ gốc, trong hạn", 3),
    ]


def test_journal_csv_with_line_break_in_memo_keeps_line_numbers(env):
    rows = [skgd_row(1, memo="dòng 1\ndòng 2"), skgd_row(2)]
    _load(env, f"SKGD_{OFFICE}_{DAY:%Y%m%d}.csv", spec_csv(SKGD, rows))
    assert env.query("SELECT _row_number FROM raw.skgd ORDER BY txn_id") == [(2,), (4,)]


def test_header_only_journal_loads_zero_rows(env):
    _load(env, f"SKGD_{OFFICE}_{DAY:%Y%m%d}.csv", spec_csv(SKGD, []))
    assert env.scalar("SELECT count(*) FROM raw.skgd") == 0
    assert env.scalar("SELECT rows FROM raw._loads WHERE report = 'SKGD'") == 0


def test_bc0437_as_csv(env):
    rows = [bc0437_row(1), bc0437_row(2, rating="Khá")]
    _load(env, f"BC0437_{OFFICE}_{DAY:%Y%m%d}.csv", spec_csv(BC0437, rows))
    assert env.query("SELECT group_code, rating FROM raw.bc0437 ORDER BY 1") == [
        ("0701001", "Tốt"),
        ("0701002", "Khá"),
    ]


def test_parquet_with_native_types(env):
    import pyarrow as pa

    rows = [doichieu_row(1), doichieu_row(2, reconciled_on=None, result=None, officer=None)]
    cols = {c.header: [r[c.key] for r in rows] for c in DOICHIEU.columns}
    cols["Năm đối chiếu"] = pa.array([2022, 2022], pa.int64())
    cols["Dư nợ chốt"] = pa.array([45_000_000, 45_000_000], pa.int64())
    cols["Ngày đối chiếu"] = pa.array([date(2022, 2, 20), None], pa.date32())
    cols["Mã ĐVUT"] = pa.array([12, 12], pa.int32())  # numeric codes get their zeros back
    _load(env, f"DOICHIEU_{OFFICE}_{DAY:%Y%m%d}.parquet", parquet_bytes(cols))
    assert env.query(
        "SELECT campaign_year, org_code, scope_outstanding, reconciled_on, result, _row_number "
        "FROM raw.doichieu ORDER BY _row_number"
    ) == [
        (2022, "12", 45_000_000, date(2022, 2, 20), "Khớp", 1),
        (2022, "12", 45_000_000, None, None, 2),
    ]


def test_lineage_columns(env):
    _load(env, m31_name(), xlsx_bytes(report_sheet(M31, [m31_row(1)])))
    (src, rev, sha, row, unit, d, at) = env.query(
        "SELECT _source_file, _revision, _sha256, _row_number, _unit, _data_date, _loaded_at "
        "FROM raw.m31"
    )[0]
    assert (src, rev, row, unit, d) == (f"2022-03-31/{OFFICE}/{m31_name()}", 1, 6, OFFICE, DAY)
    assert len(sha) == 64 and at is not None


def test_total_row_found_by_its_label_column_when_columns_are_swapped(env):
    from builders import Sheet

    from pipelines.contract.reports import HOI

    headers = ["STT", "Số Tổ TK&VV", "Đơn vị"] + headers_of(HOI)[3:]  # (2) and (3) swapped
    rows = [hoi_row("Ba Vì", "1"), hoi_row("TỔNG CỘNG", None)]
    cells = [[r[h] for h in headers] for r in rows]
    sheet = Sheet(headers=headers, rows=cells, title=HOI.title, after=SIGNATURE)
    _load(env, f"HOI_14_{DAY:%Y%m%d}.xlsx", xlsx_bytes(sheet), unit="HOI")
    assert env.query("SELECT pgd_code, is_total FROM raw.hoi ORDER BY _row_number") == [
        ("0114", False),
        (None, True),
    ]


def test_commune_names_that_differ_only_by_a_tone_mark(env):
    m31 = [
        m31_row(1, commune_code="010701", commune_name="Xã Thụy Liên"),
        m31_row(2, commune_code="010702", commune_name="Xã Thủy Liên"),
    ]
    form = form_sheet(
        [
            form_row("XÃ THỦY LIÊN", "1"),
            form_row(nfd("xã thụy liên"), "2"),
        ],
        form_row("TỔNG CỘNG", None, "90.000000"),
    )
    extra = {m31_name(): xlsx_bytes(report_sheet(M31, m31))}
    _load(env, f"BCDHTD_01.1_{OFFICE}_{DAY:%d%m%Y}.xlsx", xlsx_bytes(form), extra=extra)
    assert env.query(
        "SELECT row_code FROM raw.bcdhtd_011 WHERE row_kind = 'commune' ORDER BY _row_number"
    ) == [("010702",), ("010701",)]


def test_name_index_ambiguity_without_diacritics():
    from pipelines.ingest.names import NameIndex

    idx = NameIndex([("1", "Xã Thụy Liên"), ("2", "Xã Thủy Liên")], "commune")
    assert idx.lookup("xã thủy liên") == ("2", None)
    code, why = idx.lookup("Xa Thuy Lien")
    assert code is None and "matches several communes (1, 2)" in why
    assert idx.lookup("Thụy Liên") == ("1", None)  # without the prefix
