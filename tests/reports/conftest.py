"""Shared fixtures of the report tests: a hand-made warehouse shaped like the marts (see
fixture_warehouse.py) and the reports built from it, once per worker."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fixture_warehouse import build_fixture  # noqa: E402

from pipelines.reports import build_reports  # noqa: E402
from pipelines.reports.build import HANOI  # noqa: E402

PRODUCED_AT = datetime(2022, 4, 12, 16, 30, tzinfo=HANOI)


@pytest.fixture(scope="session")
def fixture_warehouse(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("fixture-wh") / "warehouse.duckdb"
    build_fixture(path)
    return path


@pytest.fixture(scope="session")
def fixture_reports(fixture_warehouse, tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("fixture-reports")
    paths = build_reports(fixture_warehouse, out, produced_at=PRODUCED_AT)
    return {p.name: p for p in paths}


@pytest.fixture
def require_chromium() -> str:
    """Chromium's path; a test without it is skipped (failed under CI=true)."""
    from browser import CHROMIUM_INSTALL, chromium_path

    from tests.tools import require

    return require("Chromium", chromium_path(), CHROMIUM_INSTALL)
