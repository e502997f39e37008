"""CI cannot pass by skipping: with CI=true a missing Chromium or Java fails the tests that need
them (and .ci/tools fails before the tests run); without CI=true they are skipped, saying how
to install the tool."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.settings import PROJECT_ROOT

pytestmark = pytest.mark.xdist_group("ci")

BROWSER_TEST = "tests/reports/test_browser.py::test_detector_sees_console_errors_and_failed_loads"
# a test of the Spark group (tests/conftest.py requires Java for the group) that is fast
SPARK_TEST = "tests/dbt/test_spark_target.py::test_spark_build_equals_duckdb"  # a Spark-group test


def _pytest(test: str, ci: bool, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in ("CI", "JAVA_HOME")}
    environ.update(env)
    if ci:
        environ["CI"] = "true"
    return subprocess.run(
        [sys.executable, "-m", "pytest", test, "-q", "-p", "no:randomly", "-p", "no:cacheprovider"],
        cwd=PROJECT_ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.parametrize("ci", [True, False], ids=["ci", "local"])
def test_missing_chromium_fails_under_ci_and_skips_otherwise(ci, tmp_path):
    proc = _pytest(BROWSER_TEST, ci, NHCS_CHROMIUM=str(tmp_path / "no-chromium"))
    summary = proc.stdout.strip().splitlines()[-1]
    if ci:
        assert proc.returncode == 1 and "1 error" in summary, proc.stdout[-2000:]
        assert "CI=true and Chromium not found" in proc.stdout
    else:
        assert proc.returncode == 0 and "1 skipped" in summary, proc.stdout[-2000:]


@pytest.mark.parametrize("ci", [True, False], ids=["ci", "local"])
def test_missing_java_fails_the_spark_tests_under_ci_and_skips_otherwise(ci):
    venv_bin = str(Path(sys.executable).parent)  # no java on this PATH
    proc = _pytest(SPARK_TEST, ci, PATH=venv_bin)
    summary = proc.stdout.strip().splitlines()[-1]
    if ci:
        assert proc.returncode == 1 and "1 error" in summary, proc.stdout[-2000:]
        assert "CI=true and Java (for Spark) not found" in proc.stdout
    else:
        assert proc.returncode == 0 and "skipped" in summary, proc.stdout[-2000:]


@pytest.mark.parametrize("ci", [True, False], ids=["ci", "local"])
def test_ci_tools_fails_naming_what_is_missing(ci, tmp_path):
    # an empty PATH: no java, no apt-get (nothing gets installed by this test)
    env = {"PATH": str(tmp_path), "HOME": str(tmp_path)}
    if ci:
        env["CI"] = "true"
    proc = subprocess.run(
        ["/bin/bash", str(PROJECT_ROOT / ".ci" / "tools")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "missing: Java" in proc.stderr
    if ci:
        assert proc.returncode == 1 and "CI=true" in proc.stderr
    else:
        assert proc.returncode == 0 and "will be skipped" in proc.stderr


def test_ci_runs_the_end_to_end_tests_that_make_test_leaves_out():
    """`make test` leaves the e2e tests out for a fast loop; CI must still run them, and every
    other test must be in `make test`."""
    steps = [
        line.strip()
        for line in (PROJECT_ROOT / ".ci" / "run").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert steps.index("make test") < steps.index("make test-e2e")
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    assert '-m "not e2e"' in makefile.split("\ntest:")[1].split("\n\n")[0]
    assert "-m e2e" in makefile.split("\ntest-e2e:")[1].split("\n\n")[0]
