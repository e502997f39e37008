"""External tools some tests need (Chromium, Java). Missing on a developer's machine, those
tests are skipped with the way to install the tool; with ``CI=true`` a missing tool fails the
test instead: CI cannot pass by skipping what it exists to run."""

from __future__ import annotations

import os
import shutil

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def require(tool: str, found: str | None, install: str) -> str:
    """``found`` (the tool's path) or skip (fail under CI) naming the tool and how to install."""
    if found:
        return found
    message = f"{tool} not found: {install}"
    if in_ci():
        pytest.fail(f"CI=true and {message}", pytrace=False)
    pytest.skip(message)


def java_path() -> str | None:
    home = os.environ.get("JAVA_HOME")
    if home and os.access(os.path.join(home, "bin", "java"), os.X_OK):
        return os.path.join(home, "bin", "java")
    return shutil.which("java")
