"""The briefing figures' map (pipelines/contract/figures.py) is the briefing's own: the headline
of the page shows each F1–F14 from the column the map names, and a ratio's parts are columns
with a breakdown."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from types import SimpleNamespace

from pipelines.contract.figures import FIGURE_BY_ID, FIGURES
from pipelines.reports.figures import headline


def test_the_headline_shows_each_figure_from_the_mapped_column():
    data = SimpleNamespace(kpi=defaultdict(lambda: 1), as_of=date(2022, 3, 31))
    shown = [(f.id, f.field) for f in headline(data) if f.id.startswith("F")]
    assert shown == [(f.id, f.column) for f in FIGURES]


def test_ids_are_those_of_the_calibration():
    assert list(FIGURE_BY_ID) == [f"F{i}" for i in range(1, 15)]
    for f in FIGURES:
        assert f.parts == (f.ratio or (f.column,))
        assert not f.ratio or f.column not in f.ratio
