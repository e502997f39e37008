"""CSV and Parquet deliveries carry the same columns and satisfy the same identities."""

from __future__ import annotations

import pytest

from pipelines.generate import generate

from . import checks
from .readback import load_tree


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_format(tmp_path, fmt):
    raw = tmp_path / "raw"
    summary = generate(raw, scale=0.004, fmt=fmt)
    assert summary["files"] > 100 and summary["format"] == fmt
    assert not list(raw.glob("20*/*/*.xlsx"))
    assert all(p.suffix == ".csv" for p in raw.glob("20*/*/SKGD_*"))
    t = load_tree(raw, reports=("M31", "SKGD", "BCDHTD_01.1", "BCDHTD_01.2", "BC0437"))
    assert checks.row_totals(t["M31"]).height == 0
    assert checks.rollforward(t["M31"]).height == 0
    assert checks.journal_vs_m31(t["M31"], t["SKGD"]).height == 0
    for which, code in (("01.1", "BCDHTD_01.1"), ("01.2", "BCDHTD_01.2")):
        assert checks.forms_vs_m31(t["M31"], t[code], which).height == 0
    assert checks.groups_vs_m31(t["M31"], t["BC0437"]).height == 0
