"""Resource faults: an unwritable warehouse path and a full disk give a clear error naming the
path, and the warehouse keeps its previous committed content.

The tests run as root (here and in CI), and root ignores permission bits, so "unwritable" is
made real in ways root cannot bypass: a path whose parent is a regular file, and a warehouse
file with the immutable attribute (``chattr +i``). The full disk is a tiny tmpfs mounted for the
test (root can mount here); each is skipped with its reason where the system refuses.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ingest"))

from builders import (  # noqa: E402
    DAY,
    OFFICE,
    Folder,
    m31_row,
    report_sheet,
    spec_csv,
    standard_office_folder,
    xlsx_bytes,
)
from conftest import Env  # noqa: E402  (tests/ingest/conftest.py)

from pipelines.contract.reports import M31  # noqa: E402
from pipelines.ingest import ingest  # noqa: E402


def _big_delivery(raw: Path, rows: int) -> None:
    """A month-end M31 of another office with many loans (CSV: cheap to build)."""
    unit = "0108"
    data = spec_csv(
        M31,
        [m31_row(i, pgd_code=unit, loan_code=f"6600108{i:09d}") for i in range(1, rows + 1)],
    )
    Folder(raw, DAY, unit).add(f"M31_{unit}_{DAY:%Y%m%d}.csv", data).manifest()


def _nhcs(*args: str) -> subprocess.CompletedProcess:
    nhcs = Path(sys.executable).with_name("nhcs")
    return subprocess.run([str(nhcs), *args], capture_output=True, text=True, timeout=300)


def test_warehouse_path_under_a_regular_file_is_a_clear_error(tmp_path):
    env = Env(tmp_path)
    standard_office_folder(env.raw)
    blocker = tmp_path / "warehouse-is-a-file"
    blocker.write_text("not a folder")
    warehouse = blocker / "warehouse.duckdb"

    with pytest.raises(OSError) as err:
        ingest(env.raw, warehouse, workers=1)
    assert str(blocker) in str(err.value)

    proc = _nhcs("ingest", "--raw", str(env.raw), "--warehouse", str(warehouse))
    assert proc.returncode not in (0, 3)
    assert str(blocker) in proc.stderr
    assert blocker.read_text() == "not a folder"  # nothing written over it


def _immutable(path: Path, on: bool) -> bool:
    chattr = shutil.which("chattr")
    if chattr is None:
        return False
    proc = subprocess.run([chattr, "+i" if on else "-i", str(path)], capture_output=True)
    return proc.returncode == 0


def test_read_only_warehouse_file_is_a_clear_error_and_stays_intact(tmp_path):
    env = Env(tmp_path)
    standard_office_folder(env.raw)
    assert env.ingest().ok
    before = env.checksums()
    _big_delivery(env.raw, 50)
    if not _immutable(env.warehouse, True):
        pytest.skip("chattr +i is not available on this file system")
    try:
        with pytest.raises(Exception) as err:  # noqa: B017 - duckdb raises its IOException
            env.ingest()
        assert str(env.warehouse) in str(err.value)
    finally:
        _immutable(env.warehouse, False)
    assert env.checksums() == before
    assert env.ingest().files_loaded == 1  # writable again: the next run loads what waited


@pytest.fixture
def tiny_disk(tmp_path):
    mnt = tmp_path / "disk"  # room for one publication of the fixture (database, Parquet, CSV)
    mnt.mkdir()
    mount = shutil.which("mount")
    proc = subprocess.run(
        [mount or "mount", "-t", "tmpfs", "-o", "size=256m", "tmpfs", str(mnt)],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs to fill (needs root): {proc.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def _fill(disk: Path, leave: int) -> None:
    free = shutil.disk_usage(disk).free
    (disk / "filler").write_bytes(b"\0" * max(0, free - leave))


def test_full_disk_is_a_clear_error_and_the_warehouse_keeps_its_content(tmp_path, tiny_disk):
    # a warehouse with content, on a disk with little room left
    env = Env(tmp_path / "work")
    standard_office_folder(env.raw)
    assert env.ingest().ok
    before = env.checksums()
    disk_env = Env(tiny_disk)
    disk_env.warehouse.parent.mkdir(parents=True)
    shutil.copy2(env.warehouse, disk_env.warehouse)
    shutil.rmtree(disk_env.raw)
    shutil.copytree(env.raw, disk_env.raw)  # the deliveries already loaded
    assert disk_env.checksums() == before
    _fill(tiny_disk, leave=1024 * 1024)

    # a big delivery arrives (kept off the small disk: deliveries live elsewhere)
    raw = tmp_path / "raw"
    shutil.copytree(env.raw, raw)
    _big_delivery(raw, 20_000)

    res = ingest(raw, disk_env.warehouse, workers=1)

    # the file that did not fit is reported as not loaded, with the system's reason
    big = f"{DAY.isoformat()}/0108/M31_0108_{DAY:%Y%m%d}.csv"
    assert not res.ok and [r.file for r in res.rejections] == [big]
    assert "No space left on device" in res.rejections[0].message
    assert "could not be loaded" in res.rejections[0].message
    # the warehouse opens and holds exactly what it held
    after = disk_env.checksums()
    assert {k: v for k, v in after.items() if k != "_rejections"} == {
        k: v for k, v in before.items() if k != "_rejections"
    }
    # once there is room, the same run loads the waiting file
    shutil.copy2(disk_env.warehouse, env.warehouse)
    for wal in tiny_disk.rglob("*.wal"):
        shutil.copy2(wal, env.warehouse.with_name(wal.name))
    res = ingest(raw, env.warehouse, workers=1)
    assert res.files_loaded == 1 and res.ok
    assert env.scalar("SELECT count(*) FROM raw.m31 WHERE _unit = '0108'") == 20_000
    assert env.scalar(f"SELECT count(*) FROM raw.m31 WHERE _unit = '{OFFICE}'") == 2


def test_full_disk_spares_the_published_database(tmp_path, tiny_disk):
    """publish() on a full disk: the error names the problem, the published file is intact
    and no half-built copy is left to eat the space."""
    from pipelines.publish import publish

    src = Path(__file__).resolve().parents[1] / "reports"
    sys.path.insert(0, str(src))
    from fixture_warehouse import build_fixture

    warehouse = tmp_path / "warehouse.duckdb"
    build_fixture(warehouse)
    target = tiny_disk / "analytics.duckdb"
    publish(warehouse, target)
    good = target.read_bytes()
    _fill(tiny_disk, leave=64 * 1024)

    with pytest.raises(Exception):  # noqa: B017 - duckdb raises its IOException
        publish(warehouse, target)
    assert target.read_bytes() == good
    assert list(tiny_disk.rglob("*.tmp-*")) == []  # the half-built version folder is gone


def test_unwritable_quarantine_never_loads_the_bad_file(tmp_path):
    """A rejection whose quarantine report cannot be written still rejects (and says so)
    rather than loading the file or crashing the night."""
    env = Env(tmp_path)
    Folder(env.raw).add(
        f"M31_{OFFICE}_{DAY:%Y%m%d}.xlsx",
        xlsx_bytes(report_sheet(M31, [m31_row(1, org_code="77")])),
    ).manifest()
    env.quarantine.parent.mkdir(parents=True, exist_ok=True)
    env.quarantine.write_text("a file where the quarantine folder should be")
    try:
        res = env.ingest()
    except OSError as exc:
        assert str(env.quarantine) in str(exc)
        return
    assert not res.ok and res.rejections[0].column == "Mã ĐVUT"
    assert env.scalar("SELECT count(*) FROM raw.m31") == 0
