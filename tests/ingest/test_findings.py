"""What real exports contain loads (issue 19, item 1): a cell is empty where no value applies,
and only what a figure or an identity depends on can make a file unusable.

- Số CCCD is empty for employers (``Doanh nghiệp``); every loan column of a savings-only M31 row
  is empty: both load, with no finding.
- A blank or malformed descriptive or personal field is a data-quality finding on its row
  (``raw._findings``, the cell loads empty), never a rejection, and a personal value is never
  repeated in it.
- One rejected file never takes another valid file down with it: a district office's 01.1 form
  maps its commune names through any M31 of the office loaded in the run or before, and says
  exactly why when there is none.
"""

from __future__ import annotations

from datetime import date

from builders import (
    DAY,
    OFFICE,
    Folder,
    form_row,
    form_sheet,
    headers_of,
    m31_name,
    m31_row,
    report_sheet,
    savings_only_row,
    standard_files,
    xlsx_bytes,
)

from pipelines.contract.reports import DESCRIPTIVE, M31, REPORTS

F11 = f"BCDHTD_01.1_{OFFICE}_{DAY:%d%m%Y}.xlsx"


def _employer(n: int, **over) -> dict:
    """A direct loan to an employer: no group, no national ID (contract §4.1)."""
    return m31_row(
        n,
        group_code=None,
        group_name=None,
        org_code="99",
        household_category="Doanh nghiệp",
        national_id=None,
        customer_name=f"Công ty TNHH Số {n}",
        gender=None,
        birth_year=None,
        ethnicity=None,
        loan_code=f"6000{n:012d}",
        program_code="03",
        channel="1",
        **over,
    )


def _findings(env) -> list[tuple]:
    return env.query(
        'SELECT file, "row", "column", value, message FROM raw._findings ORDER BY "row", "column"'
    )


def test_employer_without_national_id_and_savings_only_rows_load_with_their_forms(env):
    """The issue's first report: a valid M31 used to be rejected ("is empty; a value is
    required"), and its rejection took the office's 01.1 form down with it."""
    files = standard_files()
    files[m31_name()] = xlsx_bytes(
        report_sheet(M31, [m31_row(1), m31_row(2), _employer(3), savings_only_row(4)])
    )
    folder = Folder(env.raw)
    for n, d in files.items():
        folder.add(n, d)
    folder.manifest()

    res = env.ingest()

    assert res.ok, [r.message for r in res.rejections]
    assert res.files_loaded == len(files)
    assert env.query(
        "SELECT customer_code, national_id, loan_code, outstanding FROM raw.m31 "
        "WHERE customer_code IN ('0000000003', '0000000004') ORDER BY 1"
    ) == [
        ("0000000003", None, "6000000000000003", 45_000_000),
        ("0000000004", "000000000004", None, None),
    ]
    assert env.scalar("SELECT count(*) FROM raw.bcdhtd_011 WHERE row_code IS NOT NULL") == 2
    # an employer has no CCCD, gender, birth year or ethnicity by nature: no finding
    assert _findings(env) == []


def test_malformed_descriptive_and_personal_fields_are_findings_not_rejections(env):
    bad = m31_row(
        2,
        national_id="12AB",  # personal, malformed
        customer_name="   ",  # personal, blank
        gender="X",
        birth_year="19a0",
        ethnicity=None,
        maturity_date="31/02/2025",
        loan_status="MỞ",
        interest_rate_pct_month="không",
    )
    Folder(env.raw).add(m31_name(), xlsx_bytes(report_sheet(M31, [m31_row(1), bad]))).manifest()

    res = env.ingest()

    assert res.ok, [r.message for r in res.rejections]
    assert env.scalar("SELECT count(*) FROM raw.m31") == 2
    got = {(r, c): v for _, r, c, v, _ in _findings(env)}
    assert got == {
        (7, "Số CCCD"): None,  # personal: what is wrong, never the value
        (7, "Tên khách hàng"): None,
        (7, "Giới tính"): "X",
        (7, "Năm sinh"): "19a0",
        (7, "Dân tộc"): None,  # empty: there is no value to show
        (7, "Ngày đến hạn"): "31/02/2025",
        (7, "Tình trạng món vay"): "MỞ",
        (7, "Lãi suất"): "không",
    }
    messages = " ".join(f[4] for f in _findings(env))
    assert "12AB" not in messages and "is not a code of 12 characters" in messages
    assert "is empty; a value is required" in messages
    # a finding's cell loads empty: only values that meet the contract reach raw.*
    assert env.query(
        "SELECT national_id, customer_name, gender, birth_year, maturity_date, loan_status, "
        "interest_rate_pct_month, outstanding FROM raw.m31 WHERE _row_number = 7"
    ) == [(None, None, None, None, None, None, None, 45_000_000)]
    assert res.findings == {f"{DAY.isoformat()}/{OFFICE}/{m31_name()}": 8}
    assert any("8 data-quality finding(s)" in line for line in res.summary_lines())


def test_a_household_without_national_id_is_a_finding_an_employer_is_not(env):
    rows = [m31_row(1, national_id=None), _employer(2)]
    Folder(env.raw).add(m31_name(), xlsx_bytes(report_sheet(M31, rows))).manifest()
    assert env.ingest().ok
    assert [(r, c) for _, r, c, _, _ in _findings(env)] == [(6, "Số CCCD")]


def test_a_missing_descriptive_column_loads_empty_with_a_finding(env):
    order = [h for h in headers_of(M31) if h not in ("Dân tộc", "Số điện thoại")]
    sheet = report_sheet(M31, [m31_row(1), m31_row(2)], order=order)
    Folder(env.raw).add(m31_name(), xlsx_bytes(sheet)).manifest()
    assert env.ingest().ok
    assert env.query("SELECT count(*), count(ethnicity), count(phone) FROM raw.m31") == [(2, 0, 0)]
    assert [(r, c) for _, r, c, _, _ in _findings(env)] == [(5, "Dân tộc"), (5, "Số điện thoại")]


def test_a_loan_figure_on_a_row_without_loan_code_rejects_the_file(env):
    """Figures without their key would vanish from every loan total: the file is refused."""
    row = savings_only_row(3, outstanding="45.000.000")
    Folder(env.raw).add(m31_name(), xlsx_bytes(report_sheet(M31, [m31_row(1), row]))).manifest()
    res = env.ingest()
    assert not res.ok
    assert [(r.row, r.column) for r in res.rejections] == [(7, "Tổng dư nợ")]
    assert "without 'Số khế ước'" in res.rejections[0].message
    assert env.scalar("SELECT count(*) FROM raw.m31") == 0


def test_a_figure_still_rejects(env):
    """The other side of the rule: a blank amount, code or key is no finding."""
    rows = [m31_row(1, outstanding=None, outstanding_in_term=None), m31_row(2, customer_code=None)]
    Folder(env.raw).add(m31_name(), xlsx_bytes(report_sheet(M31, rows))).manifest()
    res = env.ingest()
    got = {(r.row, r.column) for r in res.rejections}
    assert got >= {(6, "Tổng dư nợ"), (6, "Dư nợ trong hạn"), (7, "Mã KH")}
    assert env.scalar("SELECT count(*) FROM raw._findings") == 0


def test_findings_are_replaced_by_a_redelivery_and_kept_on_a_rerun(env):
    folder = Folder(env.raw).add(
        m31_name(), xlsx_bytes(report_sheet(M31, [m31_row(1, gender="?")]))
    )
    folder.manifest()
    assert env.ingest().ok
    assert len(_findings(env)) == 1
    assert env.ingest().files_skipped == 1  # unchanged: not read, findings kept
    assert len(_findings(env)) == 1
    folder.add(m31_name(rev=2), xlsx_bytes(report_sheet(M31, [m31_row(1)])))
    folder.manifest(revision=2)
    assert env.ingest().ok
    assert _findings(env) == []


def test_personal_columns_never_reject_and_every_report_has_a_rule_for_each_column():
    """The rules live on the contract specs: every personal column is descriptive."""
    for spec in REPORTS:
        for col in spec.columns:
            if col.personal:
                assert col.role == DESCRIPTIVE, (spec.code, col.key)
            if col.applies_if:
                assert col.applies_if in spec.keys, (spec.code, col.key)


# ------------------------------------------------------------------ one file, not two
def _m31_with(*rows) -> bytes:
    return xlsx_bytes(report_sheet(M31, list(rows)))


def _form_011() -> bytes:
    return xlsx_bytes(
        form_sheet(
            [form_row("Phường Bạch Đằng", "1"), form_row("Phường Minh Khai", "2")],
            form_row("TỔNG CỘNG", None, "90.000000"),
        )
    )


def test_a_rejected_m31_leaves_the_form_waiting_with_its_reason_then_both_load(env):
    folder = Folder(env.raw)
    folder.add(m31_name(), _m31_with(m31_row(1, outstanding="12a")))
    folder.add(F11, _form_011())
    folder.manifest()

    res = env.ingest()

    rel = f"{DAY.isoformat()}/{OFFICE}"
    form = [r for r in res.rejections if r.file == f"{rel}/{F11}"]
    assert len(form) == 1
    msg = form[0].message
    assert f"waits for an M31 of office {OFFICE}" in msg
    assert f"this run rejected {rel}/{m31_name()}" in msg
    assert "nothing is wrong with this form" in msg

    folder.add(m31_name(rev=2), _m31_with(m31_row(1), m31_row(2)))
    folder.manifest(revision=2)
    res = env.ingest()
    assert res.ok, [r.message for r in res.rejections]
    assert env.scalar("SELECT count(*) FROM raw.bcdhtd_011 WHERE row_code IS NOT NULL") == 2
    # the form's wait is over; the first M31's own rejection stays on record (it was bad)
    assert env.query("SELECT DISTINCT file FROM raw._rejections") == [(f"{rel}/{m31_name()}",)]


def test_a_form_maps_through_a_later_m31_of_the_same_run(env):
    """January's M31 is rejected, February's loads in the same run: January's form maps its
    communes through February's names instead of failing for want of an M31."""
    jan, feb = date(2022, 1, 31), date(2022, 2, 28)
    Folder(env.raw, jan).add(
        m31_name(day=jan), _m31_with(m31_row(1, as_of_date="31/01/2022", outstanding="x"))
    ).add(f"BCDHTD_01.1_{OFFICE}_{jan:%d%m%Y}.xlsx", _form_011()).manifest()
    Folder(env.raw, feb).add(
        m31_name(day=feb),
        _m31_with(m31_row(1, as_of_date="28/02/2022"), m31_row(2, as_of_date="28/02/2022")),
    ).manifest()

    res = env.ingest()

    assert {r.file for r in res.rejections} == {f"{jan.isoformat()}/{OFFICE}/{m31_name(day=jan)}"}
    assert env.scalar("SELECT count(*) FROM raw.bcdhtd_011 WHERE row_code IS NOT NULL") == 2
