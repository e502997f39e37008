"""File layout of contract sections 1 and 3: folders, names, manifests, Excel sheets."""

from __future__ import annotations

import csv
import hashlib
import json

from pipelines.contract.codes import UNITS
from pipelines.contract.naming import fold, parse_file_name
from pipelines.contract.reports import FORM_HEADERS, M31

from .sheetxml import cells, sheet_names


def test_folders_and_manifests(clean_tree):
    truth = json.loads((clean_tree / "_truth.json").read_text("utf-8"))
    dates = sorted(truth["as_of"])
    folders = sorted(p for p in clean_tree.glob("20*/*") if p.is_dir())
    assert folders
    for fo in folders:
        man = fo / "manifest.csv"
        assert man.exists(), fo
        with man.open(encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        listed = {r["file_name"] for r in rows}
        on_disk = {p.name for p in fo.iterdir() if not p.name.startswith("manifest")}
        assert listed == on_disk, fo
        for r in rows:
            data = (fo / r["file_name"]).read_bytes()
            assert int(r["bytes"]) == len(data)
            assert r["sha256"] == hashlib.sha256(data).hexdigest()
        # The manifest is written last.
        assert man.stat().st_mtime_ns >= max(p.stat().st_mtime_ns for p in fo.iterdir())
    # Month-end folders: every office has its five reports (BC0437 not for 0100).
    for d in dates:
        for u in UNITS:
            names = {
                parse_file_name(p.name).report.code
                for p in (clean_tree / d / u.code).glob("*.xlsx")
            }
            want = {"M31", "BCDHTD_01.1", "BCDHTD_01.2", "DOICHIEU"}
            if u.code != "0100":
                want.add("BC0437")
            assert want <= names, (d, u.code, names)
    hoi = sorted(p.name for p in (clean_tree / dates[-1] / "HOI").glob("HOI_*"))
    assert hoi == [f"HOI_{o}_{dates[-1].replace('-', '')}.xlsx" for o in ("11", "12", "13", "14")]
    # Journals: only in the period, one per day with transactions, always CSV.
    journals = sorted(clean_tree.glob("20*/*/SKGD_*"))
    assert journals and all(p.suffix == ".csv" for p in journals)
    assert all(p.parent.parent.name > dates[0] for p in journals)
    assert all(
        parse_file_name(p.name).data_date.isoformat() == p.parent.parent.name for p in journals
    )


def _header_row(c: dict, header: str) -> int:
    return next(r for (r, col), (_t, v) in c.items() if fold(v) == fold(header))


def test_m31_sheet_layout(clean_tree):
    shifts = set()
    for p in sorted(clean_tree.glob("20*/*/M31_*.xlsx")):
        assert sheet_names(p) == ["BCQUERY"]
        c = cells(p, max_row=8)
        assert not any(col == 1 for (_r, col) in c), "column A must be empty"
        assert c[(2, 2)][1] == M31.title
        hr = _header_row(c, "Mã PGD")
        shifts.add(hr - 5)
        if hr >= 5:
            unit_line = c[(3, 2)][1]
            assert unit_line.startswith("Đơn vị: ") and " - Ngày số liệu: " in unit_line
            d = parse_file_name(p.name).data_date
            assert unit_line.endswith(d.strftime("%d/%m/%Y"))
        assert c[(hr + 1, 2)][1], "data starts right under the header"
    assert shifts == {-1, 0, 1}, "some files have one title row more or less"


def test_forms_layout(clean_tree):
    for p in sorted(clean_tree.glob("2022-03-31/*/BCDHTD_*.xlsx"))[:12]:
        c = cells(p)
        marker = next(r for (r, col), (_t, v) in c.items() if v == "(1)" and col == 2)
        assert [c[(marker, 2 + j)][1] for j in range(17)] == [f"({i})" for i in range(1, 18)]
        assert [c[(marker - 1, 2 + j)][1] for j in range(17)] == list(FORM_HEADERS)
        assert any(r == marker - 2 for (r, _c) in c), "two-level header"
        rows = sorted({r for (r, _c) in c})
        total = next(r for (r, col), (_t, v) in c.items() if fold(v) == "tong cong")
        assert total > marker + 1
        assert not any(r == total + 1 for r in rows), "an empty row before the signature"
        sig = {fold(v) for (r, _c), (_t, v) in c.items() if r > total}
        assert {"nguoi lap bieu", "kiem soat", "giam doc"} <= sig
        # Amount cells are numbers in triệu đồng: whole đồng, i.e. 6 decimals at most (the
        # writer's 16-digit float text may show a binary tail, which rounds away).
        amounts = [
            float(v)
            for (r, col), (t, v) in c.items()
            if marker < r < total and 4 <= col <= 16 and t == "n"
        ]
        assert amounts and all(abs(a * 1e6 - round(a * 1e6)) < 1e-3 for a in amounts)
        name = p.name
        names = [v for (r, col), (_t, v) in c.items() if marker < r < total and col == 3]
        assert names and not any(v.isdigit() for v in names), "names, never codes"
        if "01.2" in name:
            from pipelines.contract.codes import PROGRAM_BY_CODE  # noqa: PLC0415

            full = {fold(pr.name) for pr in PROGRAM_BY_CODE.values()}
            assert {fold(v) for v in names} <= full


def test_branch_office_form_is_by_district(clean_tree):
    from pipelines.contract.codes import DISTRICT_NAMES  # noqa: PLC0415

    p = next(clean_tree.glob("2022-03-31/0100/BCDHTD_01.1_*.xlsx"))
    c = cells(p)
    marker = next(r for (r, col), (_t, v) in c.items() if v == "(1)")
    total = next(r for (r, col), (_t, v) in c.items() if fold(v) == "tong cong")
    names = [v for (r, col), (_t, v) in c.items() if marker < r < total and col == 3]
    assert names and {fold(n) for n in names} <= {fold(d) for d in DISTRICT_NAMES}
