"""``nhcs validate`` on one office's month-end folder of the demo: it passes clean, reports a
seeded error with its file, sheet, row and column exactly as ingestion reports it, places the
identity breaks one office can check alone in their files, never changes the folder, and writes
the manifest the contract implies."""

from __future__ import annotations

import csv
import io

import fastexcel
import pytest

from pipelines.ingest import discover_all, ingest
from pipelines.validate import EXIT_BREAK, EXIT_PASS, EXIT_REJECTED, EXIT_USAGE, validate_folder
from pipelines.validate.command import validate_command
from pipelines.validate.manifest import ManifestRefused, write_manifest
from pipelines.validate.report import write_reports
from pipelines.validate.result import BREAK, FINDING, REJECTED

from .conftest import (
    MONTH_END,
    OFFICE,
    cell_text,
    digest,
    header_cell,
    office_tree,
    rewrite_manifest,
    set_cell,
)

pytestmark = [pytest.mark.xdist_group("validate"), pytest.mark.slow]

M31 = f"M31_{OFFICE}_20220331.xlsx"
BC0437 = f"BC0437_{OFFICE}_20220331.xlsx"


def _items(v, kind, context=False):
    return [i for i in v.items if i.kind == kind and i.context == context]


def test_clean_month_end_folder_passes_every_identity_it_can_check(demo_raw, tmp_path):
    folder = office_tree(demo_raw, tmp_path)
    v = validate_folder(folder, workers=0)
    assert v.exit_code == EXIT_PASS, [i.message for i in v.items]
    assert not _items(v, REJECTED) and not _items(v, BREAK)
    assert not v.pending and v.manifest == "manifest.csv"
    checked = {o.identity: o for o in v.identities}
    assert set(checked) == {1, 2, 3}
    for o in checked.values():
        assert o.skipped is None and o.items_checked > 0 and o.items_failed == 0, o
    assert v.opening is not None and any(d != MONTH_END for d in v.journal_days)
    assert v.rows[f"2022-03-31/{OFFICE}/{M31}"] > 0


def test_seeded_error_is_reported_as_ingestion_reports_it(demo_raw, tmp_path):
    folder = office_tree(demo_raw, tmp_path)
    column, header_row = header_cell(folder / M31, "Tổng dư nợ")
    row = header_row + 3
    set_cell(folder / M31, f"{column}{row}", "12a.000")
    rewrite_manifest(folder)

    v = validate_folder(folder, workers=0)
    assert v.exit_code == EXIT_REJECTED
    (item,) = [i for i in _items(v, REJECTED) if i.row is not None]
    rel = f"2022-03-31/{OFFICE}/{M31}"
    assert (item.file, item.sheet, item.row, item.column) == (rel, "BCQUERY", row, "Tổng dư nợ")
    assert item.found == "12a.000" and item.expected == "an integer amount in đồng"

    # the branch's ingestion of the same raw folder rejects the same file with the same words
    result = ingest(folder.parent.parent, tmp_path / "wh" / "warehouse.duckdb", workers=0)
    (rejection,) = [r for r in result.rejections if r.file == rel and r.row is not None]
    assert rejection.message == item.message
    assert (rejection.row, rejection.column, rejection.value) == (row, "Tổng dư nợ", "12a.000")
    assert f"row {row} column 'Tổng dư nợ'" in item.message

    # the report says where: file, sheet, row, column, expected, found
    html, xlsx = write_reports(v, tmp_path / "out")
    page = html.read_text(encoding="utf-8")
    assert "KHÔNG ĐẠT" in page and item.message.replace("'", "&#39;") in page
    sheet = fastexcel.read_excel(xlsx.read_bytes()).load_sheet("Chi tiết").to_polars()
    hit = sheet.filter(sheet["Dòng"] == row)
    assert hit["Tệp"].to_list() == [rel] and hit["Cột"].to_list() == ["Tổng dư nợ"]
    assert hit["Trang tính"].to_list() == ["BCQUERY"] and hit["Thực tế"].to_list() == ["12a.000"]


def test_group_register_break_is_placed_in_its_file(demo_raw, tmp_path):
    folder = office_tree(demo_raw, tmp_path)
    column, header_row = header_cell(folder / BC0437, "Tổng dư nợ")
    ref = f"{column}{header_row + 1}"
    before = int(float(cell_text(folder / BC0437, ref)))
    set_cell(folder / BC0437, ref, str(before + 5_000_000))
    rewrite_manifest(folder)

    v = validate_folder(folder, workers=0)
    assert v.exit_code == EXIT_BREAK
    (item,) = _items(v, BREAK)
    assert item.identity == 3
    assert (item.file, item.sheet, item.row, item.column) == (
        f"2022-03-31/{OFFICE}/{BC0437}",
        "BCQUERY",
        header_row + 1,
        "Tổng dư nợ",
    )
    assert item.expected == f"Mẫu 31: {before:,} đồng".replace(",", ".")
    assert item.found == f"BC0437: {before + 5_000_000:,} đồng".replace(",", ".")


def test_journal_against_the_month_columns_is_checked_from_the_raw_folder(demo_raw, tmp_path):
    folder = office_tree(demo_raw, tmp_path)
    raw = folder.parent.parent
    (journal,) = sorted(raw.glob(f"2022-03-*/{OFFICE}/SKGD_*.csv"))
    text = journal.read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    kind = rows[0].index("Loại GD")
    loan_col = rows[0].index("Số khế ước")
    drop = next(i for i, r in enumerate(rows) if i and r[kind] == "TNTH")
    loan = rows[drop][loan_col]
    journal.write_text("\n".join(lines[:drop] + lines[drop + 1 :]) + "\n", encoding="utf-8-sig")
    rewrite_manifest(journal.parent)

    v = validate_folder(folder, workers=0)
    assert v.exit_code == EXIT_BREAK
    breaks = [i for i in _items(v, BREAK) if i.identity == 2]
    assert breaks and all(loan in i.message for i in breaks)
    (item,) = [i for i in breaks if i.column == "Thu nợ TH tháng"]
    assert item.file == f"2022-03-31/{OFFICE}/{M31}" and item.sheet == "BCQUERY"
    assert item.row is not None and item.expected.startswith("Σ giao dịch TNTH")


def test_the_folder_alone_checks_its_journal_only_with_a_reason(demo_raw, tmp_path):
    folder = office_tree(demo_raw, tmp_path, context=False)
    v = validate_folder(folder, workers=0)
    assert v.exit_code == EXIT_PASS
    (roll,) = [o for o in v.identities if o.identity == 2]
    assert roll.skipped and "SKGD" in roll.skipped
    assert all(o.skipped is None and o.items_checked for o in v.identities if o.identity != 2)


def test_personal_data_is_a_finding_and_never_shown(demo_raw, tmp_path):
    folder = office_tree(demo_raw, tmp_path, context=False)
    column, header_row = header_cell(folder / M31, "Số CCCD")
    set_cell(folder / M31, f"{column}{header_row + 2}", "12AB3456789X9")
    rewrite_manifest(folder)
    v = validate_folder(folder, workers=0)
    assert v.exit_code == EXIT_PASS  # a descriptive column: the file still loads
    (item,) = _items(v, FINDING)
    assert (item.row, item.column, item.found) == (header_row + 2, "Số CCCD", "")
    html, xlsx = write_reports(v, tmp_path / "out")
    assert "12AB3456789X9" not in html.read_text(encoding="utf-8")
    book = fastexcel.read_excel(xlsx.read_bytes())
    for name in book.sheet_names:
        sheet = book.load_sheet(name, header_row=None, dtypes="string").to_polars()
        assert not any("12AB3456789X9" in str(v) for col in sheet.iter_columns() for v in col)


def test_validation_never_changes_the_folder(demo_raw, tmp_path):
    folder = office_tree(demo_raw, tmp_path)
    raw = folder.parent.parent
    before = digest(raw)
    assert validate_command(folder, tmp_path / "out", workers=0) == EXIT_PASS
    assert digest(raw) == before
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        f"kiem-tra_{OFFICE}_20220331.html",
        f"kiem-tra_{OFFICE}_20220331.xlsx",
    ]
    # a report inside the delivery would become a file of the delivery
    assert validate_command(folder, folder, workers=0) == EXIT_USAGE
    assert validate_command(tmp_path / "nowhere", tmp_path / "out", workers=0) == EXIT_USAGE
    assert digest(raw) == before


def test_write_manifest_writes_what_the_branch_expects(demo_raw, tmp_path):
    folder = office_tree(demo_raw, tmp_path, context=False)
    original = (folder / "manifest.csv").read_bytes()
    (folder / "manifest.csv").unlink()

    v = validate_folder(folder, workers=0)
    assert v.exit_code == EXIT_PASS and v.pending and v.manifest == "manifest.csv"
    assert "--write-manifest" in v.verdict_vi()
    done = write_manifest(folder, v)
    assert done.path == folder / "manifest.csv"
    assert done.path.read_bytes() == original  # as the export job wrote it

    again = validate_folder(folder, workers=0)
    assert not again.pending and write_manifest(folder, again).path is None
    assert sorted(p.name for p in folder.glob("manifest*")) == ["manifest.csv"]
    (delivery,) = discover_all(folder.parent.parent).deliveries
    assert delivery.manifest == "manifest.csv" and len(delivery.files) == 5


def test_a_redelivery_gets_the_next_manifest_revision(demo_raw, tmp_path):
    folder = office_tree(demo_raw, tmp_path, context=False)
    first = (folder / "manifest.csv").read_bytes()
    r2 = folder / f"M31_{OFFICE}_20220331_r2.xlsx"
    r2.write_bytes((folder / M31).read_bytes())

    v = validate_folder(folder, workers=0)
    assert v.exit_code == EXIT_PASS and v.pending and v.manifest == "manifest_r2.csv"
    assert write_manifest(folder, v).path == folder / "manifest_r2.csv"
    assert (folder / "manifest.csv").read_bytes() == first  # never rewritten
    (delivery,) = discover_all(folder.parent.parent).deliveries
    assert delivery.manifest == "manifest_r2.csv"
    assert {f.path.name for f in delivery.files if f.spec.code == "M31"} == {r2.name}


def test_a_delivered_file_changed_in_place_is_refused(demo_raw, tmp_path):
    folder = office_tree(demo_raw, tmp_path, context=False)
    column, header_row = header_cell(folder / BC0437, "Tổng dư nợ")
    ref = f"{column}{header_row + 1}"
    set_cell(folder / BC0437, ref, str(int(float(cell_text(folder / BC0437, ref))) + 1))
    (folder / f"M31_{OFFICE}_20220331_r2.xlsx").write_bytes((folder / M31).read_bytes())

    v = validate_folder(folder, workers=0)
    assert v.exit_code == EXIT_REJECTED
    assert any("changed since manifest.csv" in i.message for i in _items(v, REJECTED))
    with pytest.raises(ManifestRefused):
        write_manifest(folder, v)
    assert not (folder / "manifest_r2.csv").exists()


def test_cli_exit_codes(demo_raw, tmp_path, capsys):
    from pipelines.cli import main

    good = office_tree(demo_raw, tmp_path / "good", context=False)
    assert main(["validate", str(good), "--out", str(tmp_path / "out")]) == EXIT_PASS
    bad = office_tree(demo_raw, tmp_path / "bad", context=False)
    column, header_row = header_cell(bad / M31, "Tổng dư nợ")
    set_cell(bad / M31, f"{column}{header_row + 1}", "-5")
    (bad / "manifest.csv").unlink()
    code = main(["validate", str(bad), "--out", str(tmp_path / "out"), "--write-manifest"])
    assert code == EXIT_REJECTED
    err = capsys.readouterr().err
    assert "REJECTED" in err and "is negative" in err
    assert not (bad / "manifest.csv").exists()


def test_a_month_end_folder_without_its_loan_file_does_not_pass(demo_raw, tmp_path):
    folder = office_tree(demo_raw, tmp_path, context=False)
    (folder / M31).unlink()
    rewrite_manifest(folder)
    v = validate_folder(folder, workers=0)
    (item,) = _items(v, BREAK)
    assert item.file == f"2022-03-31/{OFFICE}/M31_{OFFICE}_20220331.*"
    # and the form 01.1, which names communes, waits for a Mẫu 31, as at the branch
    assert v.exit_code == EXIT_REJECTED
    assert any("waits for an M31 of office" in i.message for i in _items(v, REJECTED))
