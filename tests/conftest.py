"""Project-wide fixtures. dbt's manifest is prepared once per test session (never at import)."""

from __future__ import annotations

import pytest

from pipelines.runner.manifest import prepare_dbt_manifest


@pytest.fixture(scope="session")
def dbt_manifest():
    return prepare_dbt_manifest()
