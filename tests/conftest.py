"""Project-wide fixtures. dbt's manifest is prepared once per test session (never at import)."""

from __future__ import annotations

import os

import pytest

# The Dagster partitions start at NHCS_PARTITION_START, else at the earliest delivery in
# NHCS_RAW_DIR, when pipelines.defs is first imported; the tests' deliveries (the demo and the
# hand-made folders) start at the demo's opening date. tests/orchestration/test_partitions.py
# covers the unset case.
os.environ.setdefault("NHCS_PARTITION_START", "2021-12-31")

from pipelines.runner.manifest import prepare_dbt_manifest
from tests.tools import java_path, require


@pytest.fixture(scope="session")
def dbt_manifest():
    return prepare_dbt_manifest()


def pytest_runtest_setup(item):
    """The Spark tests (xdist group "spark") run dbt-spark's local Spark: they need Java."""
    group = item.get_closest_marker("xdist_group")
    if group and group.args and group.args[0] == "spark":
        require("Java (for Spark)", java_path(), "apt-get install -y openjdk-17-jre-headless")
