"""One gate for every door: ``nhcs report`` and ``nhcs publish`` refuse (exit 4, one line on
stderr) unless the latest quality run passed every blocking check; ``nhcs report --force``
writes a briefing marked unverified, in Vietnamese, in the HTML and the XLSX, and publishes
nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pipelines.cli import EXIT_GATE, EXIT_OK, main
from pipelines.quality.identities import IDENTITIES
from pipelines.quality.report import CheckResult, QualityReport, Status
from pipelines.quality.store import persist_report
from tests.reports.fixture_warehouse import build_fixture
from tests.reports.readback import read_sheet, sheet_names

pytestmark = pytest.mark.xdist_group("reports")

T0 = datetime(2022, 4, 1, 1, 0, tzinfo=UTC)


def _record(warehouse, run_id: str, at: datetime, failing: set[str] = frozenset()) -> None:
    results = [
        CheckResult(
            key=c.key,
            identity=c.identity,
            title=c.title,
            blocking=c.blocking,
            model=ident.model,
            status=Status.FAILED if c.key in failing else Status.PASSED,
            items_checked=10,
            items_failed=1 if c.key in failing else 0,
        )
        for ident in IDENTITIES
        for c in ident.checks
    ]
    persist_report(warehouse, QualityReport(run_id, at, str(warehouse), None, results))


@pytest.fixture
def env(tmp_path, monkeypatch):
    warehouse = tmp_path / "warehouse" / "warehouse.duckdb"
    warehouse.parent.mkdir()
    build_fixture(warehouse, with_checks=False)
    reports = tmp_path / "reports"
    for var in ("NHCS_WAREHOUSE", "NHCS_REPORTS_DIR"):
        monkeypatch.delenv(var, raising=False)
    return warehouse, reports


def _report(env, *extra: str) -> int:
    warehouse, reports = env
    return main(["report", "--warehouse", str(warehouse), "--reports", str(reports), *extra])


def _publish(env) -> int:
    return main(["publish", "--warehouse", str(env[0])])


def _written(env) -> list[str]:
    reports = env[1]
    return sorted(p.name for p in reports.rglob("*") if p.is_file()) if reports.exists() else []


def test_a_failed_blocking_check_closes_both_doors(env, capsys):
    warehouse, _ = env
    _record(warehouse, "good", T0)
    _record(warehouse, "bad", T0 + timedelta(hours=1), {"org_totals", "deliveries"})
    assert _report(env) == EXIT_GATE
    assert _publish(env) == EXIT_GATE
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2  # one line per refusal
    for line, door in zip(err, ("report", "publish"), strict=True):
        assert line.startswith(f"nhcs: {door} refused")
        assert "bad" in line and "deliveries (failed)" in line and "org_totals (failed)" in line
    assert _written(env) == []
    assert not warehouse.with_name("analytics.duckdb").exists()


def test_no_quality_run_is_no_pass(env, capsys):
    assert _report(env) == EXIT_GATE
    assert _publish(env) == EXIT_GATE
    assert "no quality run is recorded" in capsys.readouterr().err
    assert _written(env) == []


def test_the_latest_run_decides(env):
    warehouse, _ = env
    _record(warehouse, "bad", T0, {"control_totals"})
    _record(warehouse, "good", T0 + timedelta(hours=1), {"org_reports"})  # a finding only
    assert _report(env) == EXIT_OK
    assert _written(env) == ["briefing.html", "briefing.xlsx", "exceptions.xlsx"]
    html = (env[1] / "2022-03-31" / "briefing.html").read_text(encoding="utf-8")
    assert 'id="unverified"' not in html and "CHƯA KIỂM CHỨNG" not in html
    assert "CHƯA KIỂM CHỨNG" not in sheet_names(env[1] / "2022-03-31" / "briefing.xlsx")
    assert _publish(env) == EXIT_OK
    assert warehouse.with_name("analytics.duckdb").exists()


def test_force_writes_an_unverified_briefing_and_never_publishes(env, capsys):
    warehouse, reports = env
    _record(warehouse, "bad", T0, {"loan_rollforward"})
    assert _report(env, "--force") == EXIT_OK
    assert "UNVERIFIED" in capsys.readouterr().out
    out = reports / "2022-03-31"
    html = (out / "briefing.html").read_text(encoding="utf-8")
    assert "<title>[CHƯA KIỂM CHỨNG]" in html
    banner = html.split('id="unverified"', 1)[1].split("</div>", 1)[0]
    assert "BÁO CÁO CHƯA ĐƯỢC KIỂM CHỨNG" in banner and "loan_rollforward" in banner
    assert html.index('id="unverified"') < html.index('id="summary"')  # at the top
    names = sheet_names(out / "briefing.xlsx")
    assert names[0] == "CHƯA KIỂM CHỨNG"
    first = read_sheet(out / "briefing.xlsx", "CHƯA KIỂM CHỨNG")
    assert "BÁO CÁO CHƯA ĐƯỢC KIỂM CHỨNG" in " ".join(map(str, first.columns))
    assert _publish(env) == EXIT_GATE  # --force never opens the publication
    assert not warehouse.with_name("analytics.duckdb").exists()
