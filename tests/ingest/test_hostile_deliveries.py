"""Hostile deliveries are refused (issue 19, item 3): only regular files physically inside the
raw folder are read; names are escaped in every message; absurd amounts, short CSV lines,
future dates and folders that are no date are refused by name; whatever is skipped is named.
In each case the rest of the night loads.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

from builders import (
    DAY,
    OFFICE,
    Folder,
    documented,
    m31_name,
    m31_row,
    report_sheet,
    skgd_row,
    spec_csv,
    standard_files,
    xlsx_bytes,
)
from conftest import Env

from pipelines.contract.reports import M31, MAX_ITEM_VND, SKGD

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x1b]")  # anything but a tab and a line break


def _m31(*rows) -> bytes:
    return xlsx_bytes(report_sheet(M31, list(rows or [m31_row(1), m31_row(2)])))


def _messages(res) -> list[str]:
    return [r.message for r in res.rejections] + res.summary_lines()


def _documented(res) -> None:
    """Every rejection is one docs/operations.md explains (what the user sees, what to do)."""
    assert all(documented(r.message) for r in res.rejections), [
        r.message for r in res.rejections if not documented(r.message)
    ]


def _outside(tmp_path: Path) -> Path:
    """A valid delivery folder outside the raw root."""
    out = tmp_path / "outside" / DAY.isoformat() / OFFICE
    out.mkdir(parents=True)
    (out / m31_name()).write_bytes(_m31())
    return out


# ---------------------------------------------------------------------- links and devices
def test_a_listed_file_that_is_a_link_to_a_file_outside_is_refused_not_loaded(env, tmp_path):
    outside = _outside(tmp_path) / m31_name()
    folder = Folder(env.raw)
    for n, d in standard_files().items():
        folder.add(n, d)
    (folder.path / m31_name()).unlink()
    (folder.path / m31_name()).symlink_to(outside)
    folder.manifest()  # sizes and hashes of the real content: only the link is wrong

    res = env.ingest()
    _documented(res)

    rel = f"{DAY.isoformat()}/{OFFICE}/{m31_name()}"
    mine = [r for r in res.rejections if r.file == rel]
    assert mine and "is a symbolic link" in mine[0].message
    assert env.scalar("SELECT count(*) FROM raw.m31") == 0
    assert env.scalar("SELECT count(*) FROM raw.skgd") == 2  # the rest of the delivery loads


def test_a_date_or_unit_folder_that_is_a_link_is_not_followed(env, tmp_path):
    outside = _outside(tmp_path)
    Folder(outside.parent.parent, DAY, OFFICE).add(m31_name(), _m31()).manifest()
    (env.raw / DAY.isoformat()).symlink_to(outside.parent)  # a whole date folder
    other = DAY.replace(day=30)
    (env.raw / other.isoformat()).mkdir()
    (env.raw / other.isoformat() / OFFICE).symlink_to(outside)  # a unit folder
    good = Folder(env.raw, DAY.replace(day=29)).add(
        f"SKGD_{OFFICE}_20220329.csv",
        spec_csv(SKGD, [skgd_row(1, txn_date="29/03/2022", txn_id="GD202203290001")]),
    )
    good.manifest()

    res = env.ingest()
    _documented(res)

    refused = {r.file: r.message for r in res.rejections}
    assert set(refused) == {DAY.isoformat(), f"{other.isoformat()}/{OFFICE}"}
    assert all("is a symbolic link" in m for m in refused.values())
    assert env.scalar("SELECT count(*) FROM raw.m31") == 0
    assert env.scalar("SELECT count(*) FROM raw.skgd") == 1


def test_a_manifest_that_is_a_link_is_never_read(env, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:secret line\n")
    folder = Folder(env.raw).add(m31_name(), _m31())
    (folder.path / "manifest.csv").symlink_to(secret)

    res = env.ingest()
    _documented(res)

    assert len(res.rejections) == 1
    msg = res.rejections[0].message
    assert "manifest.csv" in msg and "symbolic link" in msg
    assert "secret" not in msg and "root:x" not in " ".join(_messages(res))
    assert env.scalar("SELECT count(*) FROM raw.m31") == 0


def test_a_fifo_in_a_delivery_is_refused_without_blocking(env):
    folder = Folder(env.raw)
    for n, d in standard_files().items():
        folder.add(n, d)
    folder.manifest()
    name = f"SKGD_{OFFICE}_{DAY:%Y%m%d}.csv"
    (folder.path / name).unlink()
    os.mkfifo(folder.path / name)  # a reader that opened it would wait for ever

    res = env.ingest()
    _documented(res)

    rel = f"{DAY.isoformat()}/{OFFICE}/{name}"
    assert [r.file for r in res.rejections] == [rel]
    assert "is a FIFO (named pipe)" in res.rejections[0].message
    assert env.scalar("SELECT count(*) FROM raw.m31") == 2


# ------------------------------------------------------------------------- hostile names
def test_control_characters_in_names_are_escaped_in_every_message(env):
    folder = Folder(env.raw)
    for n, d in standard_files().items():
        folder.add(n, d)
    folder.manifest()
    forged = "x.csv\nREJECTED nothing: all good\x1b[2J"
    (folder.path / forged).write_bytes(b"x")  # not listed: a note
    (folder.path / "manifest_r2.csv\n\x1b[31m").write_text("not a manifest")
    bad = Folder(env.raw, DAY, "0108")
    bad.add(m31_name("0108"), _m31(m31_row(1, pgd_code="0108")))
    lines = ["file_name,bytes,sha256", f'"M31\x1b]0;owned\x07_0108.xlsx",1,{"0" * 64}']
    (bad.path / "manifest.csv").write_text("\n".join(lines) + "\n")

    res = env.ingest()
    _documented(res)

    text = "\n".join(_messages(res) + [n.message for n in res.notes] + [n.path for n in res.notes])
    assert not CONTROL.search(text), [m for m in _messages(res) if CONTROL.search(m)]
    assert "x.csv\\nREJECTED nothing: all good\\x1b[2J" in text
    assert "manifest_r2.csv\\n\\x1b[31m" in text  # not taken for a manifest: named
    assert "M31\\x1b]0;owned\\x07_0108.xlsx" in text
    assert env.scalar("SELECT count(*) FROM raw.m31 WHERE _unit = ?", [OFFICE]) == 2
    stored = " ".join(r[0] + r[1] for r in env.query("SELECT file, message FROM raw._rejections"))
    assert not CONTROL.search(stored)


# -------------------------------------------------------------------------- the contents
def test_amounts_that_would_wrap_64_bits_are_rejected(env):
    """Each part fits a BIGINT and their sum wraps to exactly the stated total (0): an int64
    check of the identity would pass. The bound stops it before any sum is taken."""
    big = 2**63 - 1
    row = m31_row(
        1,
        outstanding="0",
        outstanding_in_term=str(big),
        outstanding_overdue=str(big),
        outstanding_frozen="2",
    )
    Folder(env.raw).add(m31_name(), _m31(row, m31_row(2))).manifest()

    res = env.ingest()
    _documented(res)

    got = {(r.row, r.column) for r in res.rejections}
    assert {(6, "Dư nợ trong hạn"), (6, "Dư nợ quá hạn"), (6, "Tổng dư nợ")} <= got
    bound = f"{MAX_ITEM_VND:,}".replace(",", ".")
    assert any(f"is above {bound} đồng" in r.message for r in res.rejections)
    assert env.scalar("SELECT count(*) FROM raw.m31") == 0


def test_an_amount_at_the_bound_loads(env):
    row = m31_row(
        1,
        loan_amount=str(MAX_ITEM_VND),
        outstanding=str(MAX_ITEM_VND),
        outstanding_in_term=str(MAX_ITEM_VND),
        outstanding_overdue="0",
        outstanding_frozen="0",
    )
    Folder(env.raw).add(m31_name(), _m31(row)).manifest()
    assert env.ingest().ok
    assert env.scalar("SELECT outstanding FROM raw.m31") == MAX_ITEM_VND


def test_a_journal_cut_inside_its_last_amount_is_rejected(env):
    data = spec_csv(SKGD, [skgd_row(1), skgd_row(2, amount="5.000.000")])
    cut = data[: data.rindex(b"5.000") + len(b"5.000")]  # the transfer stopped here
    name = f"SKGD_{OFFICE}_{DAY:%Y%m%d}.csv"
    Folder(env.raw).add(name, cut).add(m31_name(), _m31()).manifest()

    res = env.ingest()
    _documented(res)

    assert [r.file for r in res.rejections] == [f"{DAY.isoformat()}/{OFFICE}/{name}"]
    r = res.rejections[0]
    assert r.row == 3 and "line 3 has 10 fields, fewer than the header's 11" in r.message
    assert env.scalar("SELECT count(*) FROM raw.skgd") == 0
    assert env.scalar("SELECT count(*) FROM raw.m31") == 2


def test_a_delivery_dated_in_the_future_is_rejected_by_name(env):
    future = DAY.replace(year=2099)
    Folder(env.raw, future).add(
        m31_name(day=future), _m31(m31_row(1, as_of_date="31/03/2099"))
    ).manifest()
    Folder(env.raw).add(m31_name(), _m31()).manifest()

    res = env.ingest()
    _documented(res)

    assert [r.file for r in res.rejections] == [future.isoformat()]
    assert "data date 31/03/2099 is in the future" in res.rejections[0].message
    assert env.query("SELECT DISTINCT _data_date FROM raw.m31") == [(DAY,)]


def test_a_folder_whose_name_is_not_a_date_is_rejected_by_name(env):
    misnamed = env.raw / "2022-3-31" / OFFICE  # a whole delivery, in a folder misnamed
    misnamed.mkdir(parents=True)
    data = _m31()
    (misnamed / m31_name()).write_bytes(data)
    sha = hashlib.sha256(data).hexdigest()
    (misnamed / "manifest.csv").write_text(
        f"file_name,bytes,sha256\n{m31_name()},{len(data)},{sha}\n"
    )
    res = env.ingest()
    assert [r.file for r in res.rejections] == ["2022-3-31"]
    assert "folder name '2022-3-31' is not a data date YYYY-MM-DD" in res.rejections[0].message
    assert "nothing in it is ingested" in res.rejections[0].message
    assert env.scalar("SELECT count(*) FROM raw.m31") == 0


def test_whatever_is_skipped_is_named(env):
    folder = Folder(env.raw).add(m31_name(), _m31())
    folder.manifest()
    (folder.path / m31_name(rev=2)).write_bytes(_m31(m31_row(1)))  # no manifest_r2.csv yet
    (folder.path / "ghi chú.txt").write_text("xin chào")
    (env.raw / "README.txt").write_text("deliveries")

    res = env.ingest()
    _documented(res)

    lines = "\n".join(res.summary_lines())
    assert f"{DAY.isoformat()}/{OFFICE}/{m31_name(rev=2)}: ignored: a revision r2 without its " in (
        lines
    )
    assert f"{DAY.isoformat()}/{OFFICE}/ghi chú.txt: ignored: not listed in manifest.csv" in lines
    assert "README.txt: ignored: a file where data-date folders are expected" in lines
    assert env.scalar("SELECT count(*) FROM raw.m31") == 2


def test_an_unusable_quarantine_folder_is_one_clear_line_not_a_traceback(tmp_path):
    env = Env(tmp_path)
    Folder(env.raw).add(m31_name(), _m31(m31_row(1, org_code="77"))).manifest()
    env.quarantine.parent.mkdir(parents=True, exist_ok=True)
    env.quarantine.write_text("a file where the quarantine folder should be")
    nhcs = Path(sys.executable).with_name("nhcs")
    proc = subprocess.run(
        [str(nhcs), "ingest", "--raw", str(env.raw), "--warehouse", str(env.warehouse)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert f"WARNING: the quarantine folder {env.quarantine} is unusable" in proc.stdout
    assert "REJECTED" in proc.stdout and "Mã ĐVUT" in proc.stdout
    assert env.scalar("SELECT count(*) FROM raw._rejections") == 1
    assert env.quarantine.read_text() == "a file where the quarantine folder should be"
