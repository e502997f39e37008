"""Bad files: each is rejected whole, with file, row and column named; the rest loads."""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass, field

import pytest
from builders import (
    DAY,
    OFFICE,
    SIGNATURE,
    Folder,
    Sheet,
    bc0437_row,
    documented,
    doichieu_row,
    form_row,
    form_sheet,
    headers_of,
    m31_name,
    m31_row,
    report_sheet,
    skgd_row,
    spec_csv,
    standard_files,
    xlsx_bytes,
)

from pipelines.contract.reports import BC0437, DOICHIEU, M31, SKGD

M31_NAME = m31_name()
SKGD_NAME = f"SKGD_{OFFICE}_{DAY:%Y%m%d}.csv"
BC_NAME = f"BC0437_{OFFICE}_{DAY:%Y%m%d}.xlsx"
DC_NAME = f"DOICHIEU_{OFFICE}_{DAY:%Y%m%d}.xlsx"
F11_NAME = f"BCDHTD_01.1_{OFFICE}_{DAY:%d%m%Y}.xlsx"
F12_NAME = f"BCDHTD_01.2_{OFFICE}_{DAY:%d%m%Y}.xlsx"


@dataclass
class Case:
    name: str  # the bad file's name in the folder
    data: bytes
    row: int | None  # the row the message must name (None: file-level)
    column: str | None
    fragment: str  # a part of the message
    value: str | None = None
    drop: tuple[str, ...] = ()  # good files left out (the 01.1 form needs M31's names)
    manifest_override: dict = field(default_factory=dict)


def _m31(rows, **kw) -> bytes:
    return xlsx_bytes(report_sheet(M31, rows, **kw))


def _m31_without(header: str) -> bytes:
    order = [h for h in headers_of(M31) if h != header]
    return xlsx_bytes(report_sheet(M31, [m31_row(1)], order=order))


def _truncated() -> bytes:
    good = xlsx_bytes(report_sheet(DOICHIEU, [doichieu_row(1)]))
    return good[: len(good) // 2]


def _deflate64_part() -> bytes:
    """A workbook whose first part claims zip method 9 (deflate64), which no reader here reads."""
    good = zipfile.ZipFile(io.BytesIO(xlsx_bytes(report_sheet(DOICHIEU, [doichieu_row(1)]))))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as out:
        for info in good.infolist():
            out.writestr(info.filename, good.read(info))
    data = bytearray(buf.getvalue())
    method = (9).to_bytes(2, "little")
    data[8:10] = method  # the first local header (offset 0)
    central = data.index(b"PK\x01\x02")
    data[central + 10 : central + 12] = method
    return bytes(data)


def _empty_sheet() -> bytes:
    return xlsx_bytes(Sheet(headers=[], rows=[], title="", unit_line=""))


CASES = [
    Case(
        M31_NAME,
        _m31_without("Tổng dư nợ"),
        5,
        "Tổng dư nợ",
        "missing required column",
        drop=(F11_NAME,),
    ),
    Case(
        M31_NAME,
        _m31([m31_row(1), m31_row(2, outstanding="12a.000")]),
        7,
        "Tổng dư nợ",
        "is not an integer amount in đồng",
        value="12a.000",
        drop=(F11_NAME,),
    ),
    Case(
        M31_NAME,
        _m31([m31_row(1, org_code="15")]),
        6,
        "Mã ĐVUT",
        "is not a known code",
        value="15",
        drop=(F11_NAME,),
    ),
    Case(
        M31_NAME,
        _m31([m31_row(1), m31_row(2, as_of_date="30/03/2022")]),
        7,
        "Ngày số liệu",
        "is not the delivery's data date 31/03/2022",
        value="30/03/2022",
        drop=(F11_NAME,),
    ),
    Case(
        M31_NAME,
        _m31([m31_row(1, disbursement_date="31/02/2022")]),
        6,
        "Ngày giải ngân",
        "is not a date",
        value="31/02/2022",
        drop=(F11_NAME,),
    ),
    Case(
        M31_NAME,
        _m31([m31_row(1, outstanding="46.000.000")]),
        6,
        "Tổng dư nợ",
        "is not Dư nợ trong hạn + Dư nợ quá hạn + Dư nợ khoanh = 40000000 + 3000000 + 2000000 = 45000000",
        drop=(F11_NAME,),
    ),
    Case(
        M31_NAME,
        _m31([m31_row(1), m31_row(2), m31_row(1)]),
        8,
        "Số khế ước",
        "repeats the key (Số khế ước, Số sổ TK 105) of row 6",
        drop=(F11_NAME,),
    ),
    Case(
        M31_NAME,
        _m31([m31_row(1, commune_code="1234567")]),
        6,
        "Mã xã",
        "is not a code of 6 characters",
        value="1234567",
        drop=(F11_NAME,),
    ),
    Case(M31_NAME, b"", None, None, "is empty (0 bytes)", drop=(F11_NAME,)),
    Case(
        M31_NAME,
        _m31([m31_row(1)], after=[[], [None] * 8 + ["0000000009"]]),
        8,
        None,
        "has data after the empty row 7 that is not a signature block",
        drop=(F11_NAME,),
    ),
    Case(
        M31_NAME,
        _m31([m31_row(1, pgd_code="0108")]),
        6,
        "Mã PGD",
        "is not the delivery's unit 0107",
        value="0108",
        drop=(F11_NAME,),
    ),
    Case(
        SKGD_NAME,
        spec_csv(SKGD, [skgd_row(1), skgd_row(2, txn_date="30/03/2022")]),
        3,
        "Ngày GD",
        "is not the delivery's data date",
        value="30/03/2022",
    ),
    Case(
        SKGD_NAME,
        spec_csv(SKGD, [skgd_row(1), skgd_row(1)]),
        3,
        "Mã GD",
        "repeats the key (Mã GD) of row 2",
    ),
    Case(
        SKGD_NAME,
        spec_csv(SKGD, [skgd_row(1)], sep=","),
        1,
        None,
        "uses ',' as the separator; the contract requires ';'",
    ),
    Case(
        SKGD_NAME,
        spec_csv(SKGD, [skgd_row(1, memo="Thu nợ")]).replace("Thu nợ".encode(), b"Thu n\xf4\xef"),
        2,
        None,
        "is not UTF-8",
    ),
    Case(
        SKGD_NAME,
        spec_csv(SKGD, [skgd_row(1, txn_type="ABC")]),
        2,
        "Loại GD",
        "is not one of the contract's values",
        value="ABC",
    ),
    Case(SKGD_NAME, "Ngày GD;Mã GD\n".encode(), 1, None, "no header line found"),
    Case(
        BC_NAME,
        xlsx_bytes(report_sheet(BC0437, [bc0437_row(1, savings_balance="-5.000")])),
        6,
        "Số dư tiết kiệm",
        "is negative",
        value="-5.000",
    ),
    Case(BC_NAME, xlsx_bytes(report_sheet(BC0437, [])), None, None, "no data rows"),
    Case(BC_NAME, _empty_sheet(), None, None, "the sheet is empty"),
    Case(
        BC_NAME,
        xlsx_bytes(report_sheet(BC0437, [bc0437_row(1)])),
        None,
        None,
        "differs from the manifest's",
        manifest_override={"sha256": "0" * 64},
    ),
    Case(
        BC_NAME,
        xlsx_bytes(report_sheet(BC0437, [bc0437_row(1)])),
        None,
        None,
        "corrupt: ",
        manifest_override={"bytes": 12},
    ),
    Case(DC_NAME, _truncated(), None, None, "is not a readable .xlsx workbook"),
    Case(DC_NAME, _deflate64_part(), None, None, "is compressed with zip method 9"),
    Case(
        DC_NAME,
        xlsx_bytes(report_sheet(DOICHIEU, [doichieu_row(1, result="OK")])),
        6,
        "Kết quả",
        "is not one of the contract's values",
        value="OK",
    ),
    Case(
        F11_NAME,
        xlsx_bytes(form_sheet([form_row("Phường Không Có", "1")], form_row("TỔNG CỘNG", None))),
        9,
        "(2) Tên đơn vị",
        "is not a known commune name",
        value="Phường Không Có",
    ),
    Case(
        F12_NAME,
        xlsx_bytes(form_sheet([form_row("Cho vay mua ô tô", "1")], form_row("TỔNG CỘNG", None))),
        9,
        "(2) Tên đơn vị",
        "is not a known program name",
        value="Cho vay mua ô tô",
    ),
    Case(
        F12_NAME,
        xlsx_bytes(
            form_sheet([form_row("Cho vay hộ nghèo", "1", "45.000000", **{"(10)": "40"})], None)
        ),
        9,
        "(9) Tổng dư nợ",
        "is not (10) Dư nợ trong hạn + (11) Dư nợ quá hạn + (12) Dư nợ khoanh = 40.000000",
    ),
    Case(
        F12_NAME,
        xlsx_bytes(
            form_sheet(
                [form_row("Cho vay hộ nghèo", "1", "4.1234567", **{"(10)": "4.1234567"})], None
            )
        ),
        9,
        "(9) Tổng dư nợ",
        "has more than 6 decimals",
    ),
]


def _case_id(c: Case) -> str:
    return f"{c.name.split('_')[0]}-{c.fragment[:40]}"


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_bad_file_rejected_whole_rest_of_delivery_loads(env, case: Case):
    good = {n: d for n, d in standard_files().items() if n != case.name and n not in case.drop}
    folder = Folder(env.raw)
    for n, d in good.items():
        folder.add(n, d)
    folder.add(case.name, case.data)
    override = {}
    if case.manifest_override:
        size = case.manifest_override.get("bytes", len(case.data))
        sha = case.manifest_override.get("sha256", hashlib.sha256(case.data).hexdigest())
        override[case.name] = (size, sha)
    folder.manifest(override=override)
    before = env.raw_digest()

    res = env.ingest()

    rel = f"{DAY.isoformat()}/{OFFICE}/{case.name}"
    assert not res.ok
    assert {r.file for r in res.rejections} == {rel}
    first = res.rejections[0]
    assert f"data/raw/{rel}" in first.message
    assert case.fragment in " ".join(r.message for r in res.rejections)
    assert all(documented(r.message) for r in res.rejections), "docs/operations.md"
    if case.row is not None:
        assert first.row == case.row and f"{rel} row {case.row}" in first.message
    if case.column is not None:
        assert first.column == case.column and f"column '{case.column}'" in first.message
    if case.value is not None:
        assert first.value == case.value and f"'{case.value}'" in first.message
    # nothing of the bad file, everything else
    loaded = {r[0] for r in env.query("SELECT source_file FROM raw._loads")}
    assert loaded == {f"{DAY.isoformat()}/{OFFICE}/{n}" for n in good}
    for t in ("m31", "skgd", "bcdhtd_011", "bcdhtd_012", "bc0437", "doichieu"):
        assert env.scalar(f"SELECT count(*) FROM raw.{t} WHERE _source_file = ?", [rel]) == 0
    assert res.deliveries[0].files_loaded == len(good)
    assert res.deliveries[0].files_rejected == 1
    # recorded, with a readable report; the raw file is untouched
    stored = env.query('SELECT file, "row", "column", message FROM raw._rejections')
    assert {s[0] for s in stored} == {rel}
    assert first.message in {s[3] for s in stored}
    report = env.quarantine / DAY.isoformat() / f"{case.name}.txt"
    assert report.is_file() and first.message in report.read_text(encoding="utf-8")
    assert env.raw_digest() == before


def test_many_errors_are_capped_and_counted(env):
    rows = [m31_row(i, outstanding="x") for i in range(1, 81)]
    Folder(env.raw).add(M31_NAME, _m31(rows)).manifest()
    res = env.ingest()
    assert len(res.rejections) == 51
    assert res.rejections[-1].message.endswith("… and 30 more problems not listed")


def test_several_problems_of_one_file_are_all_listed(env):
    rows = [m31_row(1, org_code="77"), m31_row(2, loan_amount="-1"), m31_row(3, term_class="X")]
    Folder(env.raw).add(M31_NAME, _m31(rows)).manifest()
    res = env.ingest()
    got = {(r.row, r.column) for r in res.rejections}
    assert got == {(6, "Mã ĐVUT"), (7, "Số tiền cho vay"), (8, "Thời hạn vay")}


# ------------------------------------------------------------------------ folder level
def test_folder_without_manifest_is_not_ingested(env):
    f = Folder(env.raw)
    for n, d in standard_files().items():
        f.add(n, d)
    res = env.ingest()
    assert res.ok and res.deliveries == []
    assert res.incomplete == [f"{DAY.isoformat()}/{OFFICE}"]
    assert env.scalar("SELECT count(*) FROM raw.m31") == 0
    assert any("no manifest" in line for line in res.summary_lines())
    # all raw tables exist even though nothing was loaded
    assert (
        env.scalar("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'raw'")
        == 10
    )


def test_files_not_in_manifest_and_underscore_files_are_ignored_with_a_note(env):
    f = Folder(env.raw)
    f.add(M31_NAME, _m31([m31_row(1)]))
    f.manifest()
    (f.path / "BC0437_0107_20220331.xlsx").write_bytes(b"late, not listed")
    (f.path / "_notes.txt").write_text("x")
    (env.raw / "_truth.json").write_text("{}")
    res = env.ingest()
    assert res.ok and res.files_loaded == 1
    notes = {n.path: n.message for n in res.notes}
    assert (
        "not listed in manifest.csv"
        in notes[f"{DAY.isoformat()}/{OFFICE}/BC0437_0107_20220331.xlsx"]
    )
    assert f"{DAY.isoformat()}/{OFFICE}/_notes.txt" in notes
    assert "_truth.json" in notes


def test_unknown_report_type_listed_in_manifest_is_rejected(env):
    f = Folder(env.raw)
    f.add(M31_NAME, _m31([m31_row(1)]))
    f.add("XYZ_0107_20220331.xlsx", b"whatever")
    f.manifest()
    res = env.ingest()
    assert [r.file for r in res.rejections] == [
        f"{DAY.isoformat()}/{OFFICE}/XYZ_0107_20220331.xlsx"
    ]
    assert "unknown report type" in res.rejections[0].message
    assert res.files_loaded == 1


def test_listed_but_missing_file_is_rejected(env):
    f = Folder(env.raw)
    f.add(M31_NAME, _m31([m31_row(1)]))
    f.manifest()
    (f.path / M31_NAME).unlink()
    res = env.ingest()
    assert "missing from the folder" in res.rejections[0].message


def test_file_in_the_wrong_folder_is_rejected(env):
    f = Folder(env.raw)
    f.add(m31_name(unit="0108"), _m31([m31_row(1, pgd_code="0108")]))
    f.add(m31_name(day=DAY.replace(day=30)), _m31([m31_row(1)]))
    f.manifest()
    res = env.ingest()
    msgs = " ".join(r.message for r in res.rejections)
    assert "belongs in folder 0108, not 0107" in msgs
    assert "is not the folder's date 31/03/2022" in msgs


def test_bad_folder_names_are_rejected(env):
    (env.raw / "2022-02-30" / OFFICE).mkdir(parents=True)
    (env.raw / "2022-03-31" / "9999").mkdir(parents=True)
    res = env.ingest()
    msgs = sorted(r.message for r in res.rejections)
    assert any("2022-02-30" in m and "is not a data date" in m for m in msgs)
    assert any("'9999' is not a unit of the branch" in m for m in msgs)


def test_malformed_manifest_rejects_the_delivery(env):
    f = Folder(env.raw)
    f.add(M31_NAME, _m31([m31_row(1)]))
    (f.path / "manifest.csv").write_text("name;size\nM31;1\n")
    res = env.ingest()
    assert res.rejections[0].file == f"{DAY.isoformat()}/{OFFICE}/manifest.csv"
    assert "unreadable manifest" in res.rejections[0].message
    assert env.scalar("SELECT count(*) FROM raw.m31") == 0


def test_rejection_disappears_once_the_file_is_corrected(env):
    f = Folder(env.raw)
    f.add(M31_NAME, _m31([m31_row(1, org_code="15")]))
    f.manifest()
    assert not env.ingest().ok
    assert (env.quarantine / DAY.isoformat() / f"{M31_NAME}.txt").exists()
    f.add(m31_name(rev=2), _m31([m31_row(1)]))
    f.manifest(revision=2)
    res = env.ingest()
    assert res.ok and res.files_loaded == 1
    # the r1 rejection stays on record; r2 is loaded
    assert env.query("SELECT DISTINCT file FROM raw._rejections") == [
        (f"{DAY.isoformat()}/{OFFICE}/{M31_NAME}",)
    ]
    assert env.scalar("SELECT count(*) FROM raw.m31") == 1


def test_signature_block_directly_after_data(env):
    sheet = report_sheet(M31, [m31_row(1)], after=SIGNATURE[1:])
    Folder(env.raw).add(M31_NAME, xlsx_bytes(sheet)).manifest()
    assert env.ingest().ok
    assert env.scalar("SELECT count(*) FROM raw.m31") == 1
