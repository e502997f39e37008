"""The briefing renders in a real headless Chromium without console errors, requests nothing
but itself, and a screenshot is produced (kept under the test's tmp dir; set
NHCS_SCREENSHOT_DIR to keep a copy)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from browser import load_page, needs_chromium

pytestmark = [pytest.mark.xdist_group("reports"), needs_chromium]

PNG = b"\x89PNG\r\n\x1a\n"


def test_detector_sees_console_errors_and_failed_loads(tmp_path):
    """The check below would catch a broken page: a script error and a missing image."""
    page = tmp_path / "broken.html"
    page.write_text(
        "<html><body><img src='missing.png'><script>console.error('boom');"
        "undefinedFunction();</script></body></html>",
        encoding="utf-8",
    )
    result = load_page(page.as_uri())
    joined = " ".join(result.errors)
    assert "boom" in joined
    assert "undefinedFunction" in joined or "exception" in joined
    assert "missing.png" in joined
    assert any(u.endswith("missing.png") for u in result.requests)


def test_briefing_renders_without_errors_and_is_screenshotted(fixture_reports, tmp_path):
    html = fixture_reports["briefing.html"]
    shot = tmp_path / "briefing.png"
    result = load_page(html.as_uri(), shot, slices=4)
    assert result.errors == []
    assert result.requests == [html.as_uri()]  # nothing fetched but the page itself
    assert result.title.startswith("Giao ban ủy thác quý I/2022")
    assert "11.637 tỷ đồng" in result.body_text
    data = shot.read_bytes()
    assert data.startswith(PNG) and len(data) > 50_000
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width >= 1200 and height > 3000  # the whole page, not just the first screen
    keep = os.environ.get("NHCS_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        for p in tmp_path.glob("briefing*.png"):
            shutil.copy2(p, Path(keep) / p.name)
