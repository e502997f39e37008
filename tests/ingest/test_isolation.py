"""Every file is bounded (issue 19, item 2): a hostile file is rejected by name, and a reader
that crashes or goes over its file's budget takes only that file down, never the pool, the
delivery or the night; a re-run meets it the same way instead of dying again.

The hostile files come from ``pipelines.ingest.hostile`` (small variants: the tests set a
small budget where the real one would need big files). Their memory at full size is measured
with ``/usr/bin/time -v`` (docs/ingestion.md), not here.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from builders import (
    DAY,
    OFFICE,
    Folder,
    documented,
    hoi_row,
    hoi_sheet,
    m31_name,
    m31_row,
    skgd_row,
    spec_csv,
    standard_files,
    xlsx_bytes,
)

from pipelines.contract.reports import M31
from pipelines.contract.reports import SKGD as JOURNAL
from pipelines.ingest import hostile
from pipelines.ingest.budget import FileBudget, MiB

pytestmark = pytest.mark.slow

# Small enough that the tests' hostile files need not be gigabytes; the good files of a
# delivery stay far inside it.
BUDGET = FileBudget(max_rows=50_000, max_csv_bytes=1 * MiB, memory_bytes=160 * MiB)


@dataclass
class Hostile:
    kind: str
    name: str  # replaces the good file of that name in the delivery
    build: object
    fragment: str


M31X = f"M31_{OFFICE}_{DAY:%Y%m%d}.xlsx"
DCX = f"DOICHIEU_{OFFICE}_{DAY:%Y%m%d}.xlsx"
BCX = f"BC0437_{OFFICE}_{DAY:%Y%m%d}.xlsx"
SKGD = f"SKGD_{OFFICE}_{DAY:%Y%m%d}.csv"

CASES = [
    Hostile(
        "the last cell of the sheet, declared",
        M31X,
        hostile.last_cell,
        "declares a sheet of 1.048.576 rows (dimension A1:XFD1048576)",
    ),
    Hostile(
        "the last cell of the sheet, dimension lying: calamine aborts",
        M31X,
        lambda: hostile.last_cell("A1"),
        "its reader crashed (killed by signal SIGABRT)",
    ),
    Hostile(
        "the last cell of the sheet, no dimension: calamine aborts",
        M31X,
        lambda: hostile.last_cell(None),
        "its reader crashed (killed by signal SIGABRT)",
    ),
    Hostile(
        "a far cell under a lying dimension: over the memory budget",
        M31X,
        lambda: hostile.far_cell(rows=300_000),
        "its reader needed more than its memory budget of 160 MiB",
    ),
    Hostile("zip bomb", DCX, lambda: hostile.zip_bomb(48), "expands 3"),
    Hostile(
        "zip bomb whose directory lies about its size",
        DCX,
        lambda: hostile.lying_size(48),
        "corrupt: part 'xl/worksheets/sheet1.xml' does not hold the size its zip directory states",
    ),
    Hostile("one shared string of 48 MiB", BCX, lambda: hostile.shared_string_bomb(48), "expands"),
    Hostile(
        "a journal of one huge line",
        SKGD,
        lambda: hostile.csv_one_line(2),
        "the size of a .csv is 2.097.261 bytes, over the budget of 1.048.576 bytes",
    ),
    Hostile(
        "a journal of fifty thousand empty lines",
        SKGD,
        lambda: hostile.csv_many_lines(400_000),
        "its number of lines is 50.001, over the budget of 50.000",
    ),
    Hostile(
        "parquet: few bytes, many rows",
        f"M31_{OFFICE}_{DAY:%Y%m%d}.parquet",
        lambda: hostile.parquet_rows(60_000),
        "its number of rows is 60.000, over the budget of 50.000",
    ),
]


def _night(env, case: Hostile) -> tuple[set[str], str]:
    """The hostile file in a full delivery (its good twin removed), and another delivery."""
    folder = Folder(env.raw)
    stem = case.name.rsplit(".", 1)[0]
    for n, d in standard_files().items():
        if n.rsplit(".", 1)[0] != stem:
            folder.add(n, d)
    folder.add(case.name, case.build())
    folder.manifest()
    Folder(env.raw, DAY, "HOI").add(
        f"HOI_11_{DAY:%Y%m%d}.xlsx", xlsx_bytes(hoi_sheet([hoi_row("Ba Vì")]))
    ).manifest()
    bad = f"{DAY.isoformat()}/{OFFICE}/{case.name}"
    good = {f"{DAY.isoformat()}/{OFFICE}/{n}" for n in folder.files if n != case.name}
    return good | {f"{DAY.isoformat()}/HOI/HOI_11_{DAY:%Y%m%d}.xlsx"}, bad


@pytest.mark.parametrize("case", CASES, ids=[c.kind for c in CASES])
def test_a_hostile_file_is_rejected_alone_and_again_on_a_rerun(env, case: Hostile):
    good, bad = _night(env, case)
    if case.name.startswith("M31"):  # the office's 01.1 maps its communes through its M31
        good -= {f"{DAY.isoformat()}/{OFFICE}/BCDHTD_01.1_{OFFICE}_{DAY:%d%m%Y}.xlsx"}

    for attempt in (1, 2):
        res = env.ingest(workers=2, budget=BUDGET)
        mine = [r for r in res.rejections if r.file == bad]
        assert mine and case.fragment in mine[0].message, (attempt, [r.message for r in mine])
        assert f"data/raw/{bad}" in mine[0].message
        assert documented(mine[0].message), "docs/operations.md"
        loaded = {r[0] for r in env.query("SELECT source_file FROM raw._loads")}
        assert loaded == good, attempt
        assert env.scalar("SELECT count(*) FROM raw.m31 WHERE _source_file = ?", [bad]) == 0


def test_a_crash_in_a_chunk_of_journals_rejects_only_the_crashing_file(env):
    """Small files share a worker task; the one that kills its worker is found alone."""
    feb = DAY.replace(month=2, day=28)
    for day in range(1, 29):
        d = DAY.replace(month=2, day=day)
        journal = spec_csv(
            JOURNAL, [skgd_row(1, txn_date=f"{d:%d/%m/%Y}", txn_id=f"GD{d:%Y%m%d}0001")]
        )
        folder = Folder(env.raw, d).add(f"SKGD_{OFFICE}_{d:%Y%m%d}.csv", journal)
        if d == feb:
            folder.add(m31_name(day=feb), hostile.last_cell(None))
        folder.manifest()

    res = env.ingest(workers=1, budget=BUDGET)

    assert {r.file for r in res.rejections} == {f"{feb.isoformat()}/{OFFICE}/{m31_name(day=feb)}"}
    assert env.scalar("SELECT count(*) FROM raw.skgd") == 28


def test_a_reader_over_its_time_budget_is_stopped_and_its_file_rejected(env):
    rows = [m31_row(i, loan_code=f"6600{i:012d}") for i in range(1, 3001)]
    Folder(env.raw).add(f"M31_{OFFICE}_{DAY:%Y%m%d}.csv", spec_csv(M31, rows)).manifest()
    res = env.ingest(workers=1, budget=FileBudget(seconds=0.01, seconds_per_mib=0))
    assert [r.file for r in res.rejections] == [f"{DAY.isoformat()}/{OFFICE}/{m31_name(ext='csv')}"]
    assert "took more than its time budget" in res.rejections[0].message
    assert env.scalar("SELECT count(*) FROM raw.m31") == 0


def test_error_cells_are_found_whichever_quotes_the_sheet_uses():
    """Excel writes ``t="e"``; other writers may quote with ``'``: both are formula errors."""
    from pipelines.ingest.budget import DEFAULT_BUDGET, check_xlsx

    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Mã PGD</t></is></c>'
        '<c r="B1" t="e"><f>1/0</f><v>#DIV/0!</v></c></row>'
        "<row r='2'><c r='AB2' t='e'><v>#REF!</v></c><c r='C2' t='s'><v>0</v></c></row>"
        "</sheetData></worksheet>"
    )
    cells = check_xlsx(hostile.workbook(xml.encode()), DEFAULT_BUDGET, "BCQUERY")
    assert sorted((c.ref, c.row, c.column, c.error) for c in cells) == [
        ("AB2", 2, 27, "#REF!"),
        ("B1", 1, 1, "#DIV/0!"),
    ]
