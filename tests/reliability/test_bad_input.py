"""The bad-input corpus, part 2: the kinds of broken delivery that tests/ingest/test_rejections.py
does not already cover (see KINDS_COVERED_IN_TESTS_INGEST), each in a night with other,
good deliveries.

For every kind: a clear error naming the file (and the row and column where the problem has
one); nothing of the bad file loaded; the rest of its delivery and the night's other deliveries
loaded; the raw files byte for byte unchanged; a quarantine report written.
"""

from __future__ import annotations

import hashlib
import io
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import xlsxwriter

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ingest"))

from builders import (  # noqa: E402
    DAY,
    OFFICE,
    Folder,
    bc0437_row,
    documented,
    doichieu_row,
    headers_of,
    hoi_row,
    hoi_sheet,
    m31_name,
    m31_row,
    parquet_bytes,
    report_sheet,
    skgd_row,
    spec_csv,
    standard_files,
    xlsx_bytes,
)
from conftest import Env  # noqa: E402  (tests/ingest/conftest.py)

from pipelines.contract.reports import BC0437, DOICHIEU, M31, SKGD  # noqa: E402

# The kinds tests/ingest/test_rejections.py covers (file level and folder level); this module
# adds the rest. Together: len(KINDS_COVERED_IN_TESTS_INGEST) + len(CASES) kinds.
KINDS_COVERED_IN_TESTS_INGEST = (
    "missing required column",
    "text in an amount",
    "unknown organization code",
    "wrong data date in a row (M31, SKGD)",
    "impossible calendar date (31/02)",
    "in term + overdue + frozen != outstanding (M31, form 01.2)",
    "duplicate M31 key (loan, savings book) beyond the two-book case",
    "duplicate journal transaction id",
    "code of the wrong width",
    "zero-byte file",
    "data after the end of the data that is not a signature block",
    "row of another unit",
    "wrong CSV separator",
    "invalid UTF-8 bytes in a field",
    "unknown transaction type / reconciliation result",
    "no header line",
    "negative amount",
    "header-only sheet (no data rows)",
    "empty sheet",
    "SHA-256 differs from the manifest",
    "size differs from the manifest",
    "truncated xlsx",
    "unknown commune name (01.1) / program name (01.2)",
    "more decimals than the form allows",
    "folder without a manifest (waited for)",
    "file not listed in the manifest (ignored with a note)",
    "unknown report type",
    "listed file missing",
    "file in the wrong unit / date folder",
    "folder name not a date / not a unit",
    "malformed manifest",
)

M31_XLSX = m31_name()
M31_CSV = m31_name(ext="csv")
SKGD_NAME = f"SKGD_{OFFICE}_{DAY:%Y%m%d}.csv"
BC_NAME = f"BC0437_{OFFICE}_{DAY:%Y%m%d}.xlsx"
DC_NAME = f"DOICHIEU_{OFFICE}_{DAY:%Y%m%d}.xlsx"
F11_NAME = f"BCDHTD_01.1_{OFFICE}_{DAY:%d%m%Y}.xlsx"


def _m31(rows, **kw) -> bytes:
    return xlsx_bytes(report_sheet(M31, rows, **kw))


def _sheet(write) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    write(wb)
    wb.close()
    return buf.getvalue()


def _m31_cells(rows: list[dict], special) -> bytes:
    """An M31 sheet written cell by cell; ``special(ws, sheet_row, col, key)`` may write a cell
    itself (returns True) — merged ranges, formulas."""

    def write(wb):
        ws = wb.add_worksheet("BCQUERY")
        for j, h in enumerate(headers_of(M31)):
            ws.write_string(4, 1 + j, h)
        for i, r in enumerate(rows):
            for j, c in enumerate(M31.columns):
                if not special(ws, 5 + i, 1 + j, c.key):
                    ws.write_string(5 + i, 1 + j, str(r[c.key]))

    return _sheet(write)


def _merged_customer_code() -> bytes:
    # Two loans of two customers, their Mã KH cells merged into one (a formatting habit):
    # the second row has no customer code of its own.
    def special(ws, r, c, key):
        if key != "customer_code":
            return False
        if r == 5:
            ws.merge_range(5, c, 6, c, "0000000001")
        return True

    return _m31_cells([m31_row(1), m31_row(2)], special)


def _two_sheets() -> bytes:
    def write(wb):
        wb.add_worksheet("Sheet1").write_string(0, 0, "Mẫu 31")
        wb.add_worksheet("Sheet2").write_string(0, 0, "ghi chú")

    return _sheet(write)


def _renamed(header: str, new: str) -> bytes:
    order = [new if h == header else h for h in headers_of(M31)]
    return _m31([m31_row(1)], order=order)


def _ragged_journal() -> bytes:
    # an unquoted ';' in the memo of line 3: one field too many
    good = spec_csv(SKGD, [skgd_row(1), skgd_row(2, memo="Thu nợ gốc")])
    return good.replace("Thu nợ gốc\r\n".encode(), "Thu nợ; gốc\r\n".encode())


@dataclass
class Case:
    kind: str
    name: str  # the bad file
    data: bytes
    row: int | None  # the row the message must name (None: the problem is the whole file)
    column: str | None
    fragment: str
    drop: tuple[str, ...] = ()  # good files of the folder left out
    files_rejected: tuple[str, ...] | None = None  # when more than the bad file is rejected


CASES = [
    Case(
        "wrong encoding: journal saved as Windows-1258 (Vietnamese ANSI)",
        SKGD_NAME,
        spec_csv(SKGD, [skgd_row(1)]).decode("utf-8-sig").encode("cp1258", errors="replace"),
        1,
        None,
        "is not UTF-8 text",
    ),
    Case(
        "wrong encoding: M31 .csv saved as UTF-16 ('Unicode text')",
        M31_CSV,
        spec_csv(M31, [m31_row(1)]).decode().encode("utf-16"),
        1,
        None,
        "is not UTF-8 text",
        drop=(M31_XLSX, F11_NAME),
    ),
    Case(
        "ragged CSV: a line with more fields than the header",
        SKGD_NAME,
        _ragged_journal(),
        3,
        None,
        "is not well-formed CSV",
    ),
    Case(
        "merged cells: a required cell left empty by a merged range",
        M31_XLSX,
        _merged_customer_code(),
        7,
        "Mã KH",
        "is empty; a value is required",
        drop=(F11_NAME,),
    ),
    Case(
        "renamed column",
        M31_XLSX,
        _renamed("Tổng dư nợ", "Tổng dư nợ (đồng)"),
        5,
        "Tổng dư nợ",
        "missing required column 'Tổng dư nợ'",
        drop=(F11_NAME,),
    ),
    Case(
        "column named twice",
        M31_XLSX,
        _m31([m31_row(1)], order=[*headers_of(M31), "Mã KH"]),
        5,
        "Mã KH",
        "names column 'Mã KH' 2 times",
        drop=(F11_NAME,),
    ),
    Case(
        "unknown program code",
        M31_XLSX,
        _m31([m31_row(1, program_code="05")]),
        6,
        "Mã CT",
        "'05' is not a known code",
        drop=(F11_NAME,),
    ),
    Case(
        "date out of range (year 1800)",
        M31_XLSX,
        _m31([m31_row(1, disbursement_date="15/01/1800")]),
        6,
        "Ngày giải ngân",
        "is not a date",
        drop=(F11_NAME,),
    ),
    Case(
        "duplicate key: group register lists a group twice",
        BC_NAME,
        xlsx_bytes(report_sheet(BC0437, [bc0437_row(1), bc0437_row(2), bc0437_row(1)])),
        8,
        "Mã tổ",
        "repeats the key (Mã tổ) of row 6",
    ),
    Case(
        "duplicate key: reconciliation register lists a customer twice",
        DC_NAME,
        xlsx_bytes(report_sheet(DOICHIEU, [doichieu_row(1), doichieu_row(1)])),
        7,
        "Mã KH",
        "repeats the key (Năm đối chiếu, Mã KH) of row 6",
    ),
    Case(
        "xlsx that is really a CSV",
        M31_XLSX,
        spec_csv(M31, [m31_row(1)]),
        None,
        None,
        "is not a readable .xlsx workbook",
        drop=(F11_NAME,),
    ),
    Case(
        "header-only CSV (no data rows)",
        M31_CSV,
        spec_csv(M31, []),
        None,
        None,
        "a header (row 1) but no data rows",
        drop=(M31_XLSX, F11_NAME),
    ),
    Case(
        "workbook without the BCQUERY sheet (several sheets)",
        M31_XLSX,
        _two_sheets(),
        None,
        None,
        "has no sheet named BCQUERY (sheets: Sheet1, Sheet2)",
        drop=(F11_NAME,),
    ),
    Case(
        "truncated parquet",
        m31_name(ext="parquet"),
        parquet_bytes({"Mã KH": ["0000000001"], "Tổng dư nợ": [1]})[:40],
        None,
        None,
        "Parquet magic bytes not found",
        drop=(M31_XLSX, F11_NAME),
    ),
    Case(
        "the same report delivered twice in one revision (.xlsx and .csv)",
        M31_CSV,
        spec_csv(M31, [m31_row(1), m31_row(2)]),
        None,
        None,
        "delivered more than once in revision 1",
        drop=(F11_NAME,),
        files_rejected=(M31_CSV, M31_XLSX),
    ),
]


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return Env(tmp_path)


def _good_elsewhere(env: Env) -> set[str]:
    """The night's other deliveries: a journal of the day before and the organizations'
    reports. Returns the files that must load."""
    day = DAY.replace(day=30)
    rows = [
        skgd_row(i, txn_date=f"{day:%d/%m/%Y}", txn_id=f"GD{day:%Y%m%d}{i:04d}")
        for i in range(1, 4)
    ]
    journal = Folder(env.raw, day).add(f"SKGD_{OFFICE}_{day:%Y%m%d}.csv", spec_csv(SKGD, rows))
    journal.manifest()
    hoi = Folder(env.raw, DAY, "HOI").add(
        f"HOI_11_{DAY:%Y%m%d}.xlsx", xlsx_bytes(hoi_sheet([hoi_row("Ba Vì")]))
    )
    hoi.manifest()
    return {
        f"{day.isoformat()}/{OFFICE}/SKGD_{OFFICE}_{day:%Y%m%d}.csv",
        f"{DAY.isoformat()}/HOI/HOI_11_{DAY:%Y%m%d}.xlsx",
    }


def _check_night(env: Env, res, bad: set[str], must_load: set[str]) -> None:
    assert {r.file for r in res.rejections} == bad
    loaded = {r[0] for r in env.query("SELECT source_file FROM raw._loads")}
    assert loaded == must_load
    for t in ("m31", "skgd", "bcdhtd_011", "bcdhtd_012", "bc0437", "doichieu", "hoi"):
        n = env.scalar(
            f"SELECT count(*) FROM raw.{t} WHERE _source_file IN (SELECT unnest(?))", [sorted(bad)]
        )
        assert n == 0, t  # nothing of a rejected file, not even its good rows
    stored = {r[0] for r in env.query("SELECT file FROM raw._rejections")}
    assert stored == bad
    for f in bad:
        day, unit, name = f.split("/")
        reports = {p.name for p in (env.quarantine / day).iterdir()}
        assert reports & {f"{name}.txt", f"{unit}_{name}.txt"}, reports


@pytest.mark.parametrize("case", CASES, ids=[c.kind for c in CASES])
def test_bad_delivery_is_rejected_clearly_and_alone(env, case: Case):
    folder = Folder(env.raw)
    good = {n: d for n, d in standard_files().items() if n != case.name and n not in case.drop}
    if case.files_rejected:  # the other copy of the key is part of the problem
        good = {n: d for n, d in standard_files().items() if n not in case.drop}
    for n, d in good.items():
        folder.add(n, d)
    folder.add(case.name, case.data)
    folder.manifest()
    elsewhere = _good_elsewhere(env)
    before = env.raw_digest()

    res = env.ingest()

    rel = f"{DAY.isoformat()}/{OFFICE}/{case.name}"
    rejected_names = case.files_rejected or (case.name,)
    bad = {f"{DAY.isoformat()}/{OFFICE}/{n}" for n in rejected_names}
    must_load = {f"{DAY.isoformat()}/{OFFICE}/{n}" for n in good if n not in rejected_names}
    assert not res.ok
    _check_night(env, res, bad, must_load | elsewhere)
    mine = [r for r in res.rejections if r.file == rel]
    first = mine[0]
    assert f"data/raw/{rel}" in first.message  # the file, by its path under the raw root
    assert case.fragment in " ".join(r.message for r in mine), [r.message for r in mine]
    assert all(documented(r.message) for r in res.rejections), "docs/operations.md"
    if case.row is not None:
        assert first.row == case.row and f"{rel} row {case.row}" in first.message
    if case.column is not None:
        assert first.column == case.column and f"column '{case.column}'" in first.message
    assert env.raw_digest() == before  # nothing moved, changed or deleted


def test_manifest_naming_a_path_outside_the_folder_is_refused(env, tmp_path):
    """A manifest line like ``../../secret.csv`` must not make the pipeline read (or hash)
    anything outside the delivery folder: the delivery is rejected, the rest of the night
    loads."""
    outside = env.raw / "secret.csv"
    outside.write_bytes(b"x")
    folder = Folder(env.raw).add(M31_XLSX, _m31([m31_row(1)]))
    sha = hashlib.sha256(b"x").hexdigest()
    (folder.path / "manifest.csv").write_text(
        f"file_name,bytes,sha256\n../../secret.csv,1,{sha}\n{M31_XLSX},1,{'0' * 64}\n",
        encoding="utf-8",
    )
    elsewhere = _good_elsewhere(env)
    before = env.raw_digest()

    res = env.ingest()

    rel = f"{DAY.isoformat()}/{OFFICE}/manifest.csv"
    _check_night(env, res, {rel}, elsewhere)
    assert "must be a plain name in the folder" in res.rejections[0].message
    assert "line 2" in res.rejections[0].message
    assert env.raw_digest() == before


def test_kinds_of_broken_delivery_number_at_least_twenty():
    kinds = [*KINDS_COVERED_IN_TESTS_INGEST, *(c.kind for c in CASES), "manifest path traversal"]
    assert len(set(kinds)) == len(kinds) >= 20


def test_formula_error_cell_rejects_the_file(env):
    """calamine reads an error cell as empty; the budget pass finds it in the sheet's XML."""

    def special(ws, r, c, key):
        if key == "savings_balance" and r == 5:
            ws.write_formula(r, c, "=#REF!+1", None, "#REF!")
            return True
        if key == "ethnicity" and r == 6:  # a descriptive column: still a broken export
            ws.write_formula(r, c, "=1/0", None, "#DIV/0!")
            return True
        return False

    Folder(env.raw).add(M31_XLSX, _m31_cells([m31_row(1), m31_row(2)], special)).manifest()
    res = env.ingest()
    assert not res.ok
    got = [(r.row, r.column, r.value) for r in res.rejections]
    assert got == [(6, "Số dư TK 105", "#REF!"), (7, "Dân tộc", "#DIV/0!")]
    sheet_col = 1 + [c.key for c in M31.columns].index("savings_balance")  # column A is empty
    ref = f"{chr(64 + sheet_col // 26)}{chr(65 + sheet_col % 26)}6"
    assert f"formula error in cell {ref}" in res.rejections[0].message
    assert env.scalar("SELECT count(*) FROM raw.m31") == 0


def test_formula_cell_with_its_value_loads_the_value(env):
    """What Excel shows is what loads: a formula cell carries its computed value."""

    def special(ws, r, c, key):
        if key != "outstanding":
            return False
        ws.write_formula(r, c, "=40000000+3000000+2000000", None, 45000000)
        return True

    Folder(env.raw).add(M31_XLSX, _m31_cells([m31_row(1)], special)).manifest()
    assert env.ingest().ok
    assert env.scalar("SELECT outstanding FROM raw.m31") == 45_000_000
