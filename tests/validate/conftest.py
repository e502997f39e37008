"""Fixtures of the ``nhcs validate`` tests: the demo deliveries (generated once, .xlsx at scale
0.01) and, per test, one office's folders copied into a raw folder of its own, with helpers to
seed errors into a workbook or a journal and to write a folder's manifest as the office would."""

from __future__ import annotations

import hashlib
import re
import shutil
import zipfile
from datetime import date
from pathlib import Path

import pytest

from pipelines.ingest import folder_listing
from pipelines.ingest.discovery import manifest_text
from tests.generate.sheetxml import _col, cells

MONTH_END = date(2022, 3, 31)
OFFICE = "0107"  # a district office with groups, a journal day in March and a February M31


@pytest.fixture(scope="session")
def demo_raw(tmp_path_factory) -> Path:
    from pipelines.generate import generate

    raw = tmp_path_factory.mktemp("validate-demo") / "raw"
    generate(raw, scale=0.01, fmt="xlsx", workers=1)
    return raw


def office_tree(demo_raw: Path, root: Path, unit: str = OFFICE, context: bool = True) -> Path:
    """The office's month-end folder (and, with ``context``, its other March days and its
    February month-end) copied under ``root/raw``; returns the month-end folder."""
    raw = root / "raw"
    days = [MONTH_END.isoformat()]
    if context:
        days += [d.name for d in demo_raw.iterdir() if d.name.startswith("2022-03-")]
        days.append("2022-02-28")
    for day in sorted(set(days)):
        src = demo_raw / day / unit
        if src.is_dir():
            shutil.copytree(src, raw / day / unit)
    return raw / MONTH_END.isoformat() / unit


def set_cell(path: Path, ref: str, text: str) -> None:
    """Replace one cell of the workbook's sheet with a text cell (as a typo in the export)."""
    data = {}
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            data[info.filename] = z.read(info.filename)
    sheet = "xl/worksheets/sheet1.xml"
    xml = data[sheet].decode("utf-8")
    cell = re.compile(rf'<c r="{ref}"[^>]*?(/>|>.*?</c>)')
    assert cell.search(xml), f"no cell {ref} in {path.name}"
    data[sheet] = cell.sub(
        f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>', xml, 1
    ).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, blob in data.items():
            z.writestr(name, blob)


def cell_text(path: Path, ref: str) -> str:
    m = re.fullmatch(r"([A-Z]+)(\d+)", ref)
    return cells(path)[(int(m[2]), _col(m[1]))][1]


def rewrite_manifest(folder: Path) -> None:
    """The folder's manifest.csv rewritten for the files as they are now (a delivery made with
    the seeded error in it)."""
    for m in folder.glob("manifest*.csv"):
        m.unlink()
    (folder / "manifest.csv").write_text(manifest_text(folder_listing(folder)), encoding="utf-8")


def digest(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def header_cell(path: Path, header: str) -> tuple[str, int]:
    """(column letters, header row) of the cell that holds ``header`` in the sheet."""
    for (row, col), (_kind, text) in cells(path, max_row=40).items():
        if text == header:
            return _letters(col), row
    raise AssertionError(f"no header {header!r} in {path.name}")


def _letters(col: int) -> str:
    out = ""
    while col:
        col, rem = divmod(col - 1, 26)
        out = chr(65 + rem) + out
    return out
