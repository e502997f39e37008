"""A faulty delivery is rejected the same way whether it comes as .csv or as .parquet.

The national scenario delivers Parquet; the branch's exports are xlsx/csv. The same rows in
either format must meet the same rules: the same files rejected, the same problems at the same
data rows and columns with the same values and wording, the same findings, nothing of a
rejected file loaded, the good files loaded identically. Only what the format itself decides
differs: the file name in messages, and row numbers (a .csv counts lines, so its data rows
start after the header line; a .parquet counts data rows from 1).
"""

from __future__ import annotations

import re

import pytest
from builders import (
    DAY,
    OFFICE,
    Folder,
    bc0437_row,
    doichieu_row,
    m31_row,
    parquet_bytes,
    spec_csv,
)
from conftest import Env

from pipelines.contract.reports import BC0437, DOICHIEU, M31

# (spec, file stem, rows): each file breaks several rules at once, or none
M31_FAULTS = [
    m31_row(1),
    m31_row(2, loan_amount="12abc"),  # not an integer amount
    m31_row(3, outstanding_overdue="-5"),  # negative, and the balance no longer adds up
    m31_row(4, disbursement_date="31/02/2022"),  # not a date
    m31_row(5, as_of_date="30/03/2022"),  # not the delivery's data date
    m31_row(6, pgd_code="0108"),  # not the delivery's unit
    m31_row(7, national_id="12345"),  # personal, a finding: its value appears nowhere
    m31_row(8, program_code="99"),  # not a known code
    m31_row(1),  # repeats the key of row 1
    m31_row(9, gender="Khác"),  # a descriptive column: a finding, not a rejection
    m31_row(10, customer_code=None),  # empty where a value is required
]
BC_FAULTS = [bc0437_row(1), bc0437_row(2, outstanding="abc")]
DOICHIEU_GOOD = [doichieu_row(1), doichieu_row(2)]


def _name(stem: str, ext: str) -> str:
    return f"{stem}_{OFFICE}_{DAY:%Y%m%d}.{ext}"


def _as_parquet(spec, rows: list[dict]) -> bytes:
    """The rows as a .parquet of text columns headed like the .csv (what a csv carries)."""
    return parquet_bytes({c.header: [r.get(c.key) for r in rows] for c in spec.columns})


def _deliver(env: Env, ext: str) -> None:
    folder = Folder(env.raw, DAY, OFFICE)
    for spec, stem, rows in (
        (M31, "M31", M31_FAULTS),
        (BC0437, "BC0437", BC_FAULTS),
        (DOICHIEU, "DOICHIEU", DOICHIEU_GOOD),
    ):
        data = spec_csv(spec, rows) if ext == "csv" else _as_parquet(spec, rows)
        folder.add(_name(stem, ext), data)
    folder.manifest()


def _normalized(env: Env, ext: str, table: str, when: str) -> list[tuple]:
    """Rejections or findings with the format's own marks taken out: the raw root and the
    extension of the file name and, for a .csv, its header line (data row n is line n + 1)."""
    shift = 1 if ext == "csv" else 0
    rows = env.query(
        f'SELECT file, "row", "column", value, expected, message FROM raw.{table} ORDER BY ALL'
    )
    out = []
    for file, row, column, value, expected, message in rows:
        file = file.removesuffix(f".{ext}")
        message = message.replace(str(env.raw.resolve()), "<raw>").replace(f".{ext}", ".<ext>")
        if row is not None:
            message = re.sub(r" row (\d+)", lambda m: f" row {int(m.group(1)) - shift}", message)
            row -= shift
        out.append((file, row, column, value, expected, message))
    assert out, f"no {when} at all in the .{ext} delivery: the test data lost its faults"
    return sorted(out, key=lambda t: (t[0], t[1] or 0, t[2] or "", t[5]))


@pytest.fixture
def both(tmp_path):
    envs = {}
    for ext in ("csv", "parquet"):
        env = Env(tmp_path / ext)
        _deliver(env, ext)
        env.ingest()
        envs[ext] = env
    return envs


def test_a_faulty_parquet_delivery_is_rejected_like_the_same_delivery_as_csv(both):
    csv, pq = both["csv"], both["parquet"]
    assert _normalized(pq, "parquet", "_rejections", "rejection") == _normalized(
        csv, "csv", "_rejections", "rejection"
    )
    # the faults are all there, each named with its data row, column and what was expected
    rejected = _normalized(pq, "parquet", "_rejections", "rejection")
    folder = f"{DAY.isoformat()}/{OFFICE}"
    assert {r[0] for r in rejected} == {f"{folder}/{_name(s, 'x')[:-2]}" for s in ("M31", "BC0437")}
    m31 = {(r[1], r[2]) for r in rejected if "/M31_" in r[0]}
    assert {
        (2, "Số tiền cho vay"),
        (3, "Dư nợ quá hạn"),
        (3, "Tổng dư nợ"),
        (4, "Ngày giải ngân"),
        (5, "Ngày số liệu"),
        (6, "Mã PGD"),
        (8, "Mã CT"),
        (9, "Số khế ước"),
        (11, "Mã KH"),
    } <= m31
    # a rejected file keeps no findings; the personal value is in no message
    for env in (csv, pq):
        assert env.scalar("SELECT count(*) FROM raw._findings") == 0
        for table in ("_rejections", "_findings"):
            assert not env.query(
                f"SELECT 1 FROM raw.{table} AS t WHERE CAST(t AS VARCHAR) LIKE '%12345%'"
            )
    # nothing of a rejected file loaded; the good file loaded the same rows
    for env in (csv, pq):
        assert env.scalar("SELECT count(*) FROM raw.m31") == 0
        assert env.scalar("SELECT count(*) FROM raw.bc0437") == 0
    cols = ", ".join(c.key for c in DOICHIEU.columns)
    assert pq.query(f"SELECT {cols} FROM raw.doichieu ORDER BY ALL") == csv.query(
        f"SELECT {cols} FROM raw.doichieu ORDER BY ALL"
    )


def test_findings_of_a_parquet_delivery_are_those_of_the_same_csv(tmp_path):
    rows = [m31_row(1), m31_row(2, gender="Khác"), m31_row(3, household_category="Hộ giàu")]
    found = {}
    for ext in ("csv", "parquet"):
        env = Env(tmp_path / ext)
        data = spec_csv(M31, rows) if ext == "csv" else _as_parquet(M31, rows)
        Folder(env.raw, DAY, OFFICE).add(_name("M31", ext), data).manifest()
        res = env.ingest()
        assert res.ok, [r.message for r in res.rejections]
        found[ext] = _normalized(env, ext, "_findings", "finding")
        assert env.scalar("SELECT count(*) FROM raw.m31") == 3
    assert found["parquet"] == found["csv"]
