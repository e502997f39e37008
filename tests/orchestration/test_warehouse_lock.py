"""The warehouse writer lock serialises writers across processes and is re-entrant."""

from __future__ import annotations

import multiprocessing as mp
import time

import pytest

from pipelines.warehouse_lock import WarehouseBusy, warehouse_lock


def _hold(path, seconds, started):
    with warehouse_lock(path):
        started.set()
        time.sleep(seconds)


def test_second_writer_waits_for_the_first(tmp_path):
    wh = tmp_path / "w.duckdb"
    started = mp.Event()
    p = mp.get_context("fork").Process(target=_hold, args=(wh, 1.0, started))
    p.start()
    assert started.wait(10)
    messages = []
    t0 = time.monotonic()
    with warehouse_lock(wh, progress=messages.append):
        waited = time.monotonic() - t0
    p.join()
    assert waited > 0.3
    assert messages and "waiting" in messages[0]


def test_times_out_with_a_clear_error(tmp_path):
    wh = tmp_path / "w.duckdb"
    started = mp.Event()
    p = mp.get_context("fork").Process(target=_hold, args=(wh, 3.0, started))
    p.start()
    assert started.wait(10)
    with pytest.raises(WarehouseBusy, match="still locked"):
        with warehouse_lock(wh, timeout=0.5):
            pass
    p.join()


def test_reentrant_in_one_process(tmp_path):
    wh = tmp_path / "w.duckdb"
    with warehouse_lock(wh):
        with warehouse_lock(wh, timeout=0.5):
            pass
