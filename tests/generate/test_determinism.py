"""Same calibration + seed + scale -> byte-identical files, whatever the worker count."""

from __future__ import annotations

from pipelines.generate import generate

from .conftest import digests as _digests


def test_two_runs_are_byte_identical(twin_trees):
    a, b = twin_trees
    da, db = _digests(a), _digests(b)
    assert len(da) > 100
    assert da.keys() == db.keys()
    diff = [k for k in da if da[k] != db[k]]
    assert diff == []


def test_another_seed_changes_the_data(twin_trees, tmp_path):
    a, _ = twin_trees
    other = tmp_path / "raw"
    generate(other, scale=0.005, seed=7)
    da, do = _digests(a), _digests(other)
    common = sorted(set(da) & set(do) - {"_truth.json"})
    assert common and any(da[k] != do[k] for k in common)


def test_regenerating_into_the_same_folder_replaces_its_folders(tmp_path):
    raw = tmp_path / "raw"
    generate(raw, scale=0.004, workers=1)
    clean = _digests(raw)
    # Journal days are 1..28, so no office has a journal dated the 31st: a stale file.
    stale = raw / "2022-03-31" / "0101" / "SKGD_0101_20220331.csv"
    stale.write_text("left over from an earlier run", encoding="utf-8")
    generate(raw, scale=0.004, workers=1)
    assert not stale.exists()
    assert _digests(raw) == clean
