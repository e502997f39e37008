"""Every documented failure of `nhcs` (docs/operations.md, "exit codes"): one line on stderr,
`nhcs: ...` naming the file, folder, date or setting, the documented exit code, no traceback,
and nothing created when there was nothing to work on."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb
import pytest

from pipelines.cli import EXIT_CODES
from pipelines.contract.reports import M31
from pipelines.settings import PROJECT_ROOT

sys.path.insert(0, str(Path(__file__).resolve().parent / "ingest"))

from builders import DAY, Folder, m31_row, spec_csv, standard_office_folder  # noqa: E402


@dataclass(frozen=True)
class Case:
    """A failing command. ``{name}`` in its text stands for a path of the ``places`` fixture."""

    argv: tuple[str, ...]
    code: int
    names: str  # what the one line must name (a file, folder, date or setting)
    env: dict[str, str] = field(default_factory=dict)
    no_warehouse: bool = False  # the command must not create the default warehouse

    def at(self, places: dict[str, Path]) -> Case:
        fill = {k: str(v) for k, v in places.items()}
        return replace(
            self,
            argv=tuple(a.format(**fill) for a in self.argv),
            names=self.names.format(**fill),
            env={k: v.format(**fill) for k, v in self.env.items()},
        )


CASES: dict[str, Case] = {
    # 2: an option, date or setting the command cannot use
    "report date not ISO": Case(("report", "--as-of", "15/02/2022"), 2, "15/02/2022"),
    "ingest impossible date": Case(("ingest", "--date", "2022-13-01"), 2, "2022-13-01"),
    "run impossible date": Case(("run", "--date", "2022-02-30"), 2, "2022-02-30"),
    "check max rows": Case(("check", "--max-rows", "0"), 2, "'0'"),
    "unknown engine": Case(("run",), 2, "NHCS_ENGINE", env={"NHCS_ENGINE": "postgres"}),
    "unknown fault": Case(("generate", "--raw", "{gen}", "--inject", "bogus"), 2, "bogus"),
    "missing calibration": Case(("generate", "--calibration", "{tmp}/nope.yaml"), 2, "nope.yaml"),
    "broken calibration": Case(
        ("generate", "--raw", "{gen}", "--calibration", "{broken}"), 2, "{broken}"
    ),
    "date before the partitions": Case(
        ("run", "--raw", "{one_day}", "--date", "2020-01-01"), 2, "2020-01-01", no_warehouse=True
    ),
    "bench raw without scenario": Case(("bench", "--raw", "{one_day}"), 2, "--scenario"),
    "memory limit": Case(
        ("check",),
        2,
        "NHCS_DUCKDB_MEMORY_LIMIT",
        env={"NHCS_WAREHOUSE": "{no_marts}", "NHCS_DUCKDB_MEMORY_LIMIT": "lots"},
    ),
    "no subcommand": Case((), 2, "COMMAND"),
    # 5: nothing to work on
    "ingest missing raw": Case(("ingest", "--raw", "{missing}"), 5, "{missing}", no_warehouse=True),
    "ingest empty raw": Case(("ingest", "--raw", "{empty}"), 5, "{empty}", no_warehouse=True),
    "ingest incomplete delivery": Case(
        ("ingest", "--raw", "{incomplete}"), 5, "{incomplete}", no_warehouse=True
    ),
    "ingest date not delivered": Case(
        ("ingest", "--raw", "{one_day}", "--date", "2022-03-30"), 5, "2022-03-30", no_warehouse=True
    ),
    "run missing raw": Case(("run", "--raw", "{missing}"), 5, "{missing}", no_warehouse=True),
    "run empty raw": Case(("run", "--raw", "{empty}"), 5, "{empty}", no_warehouse=True),
    "check no warehouse": Case(("check",), 5, "{warehouse}", no_warehouse=True),
    "report no warehouse": Case(("report",), 5, "{warehouse}", no_warehouse=True),
    "publish no warehouse": Case(("publish",), 5, "{warehouse}", no_warehouse=True),
    "report no marts": Case(
        ("report", "--force"), 5, "mart_briefing_kpis", env={"NHCS_WAREHOUSE": "{no_marts}"}
    ),
    # 4: the quality gate
    "report before any check": Case(
        ("report",), 4, "no quality run is recorded", env={"NHCS_WAREHOUSE": "{no_marts}"}
    ),
    "publish before any check": Case(
        ("publish",), 4, "no quality run is recorded", env={"NHCS_WAREHOUSE": "{no_marts}"}
    ),
    # 3: files rejected
    "ingest rejects a file": Case(("ingest", "--raw", "{rejected}"), 3, "rejected"),
    # 6: the file system
    "warehouse under a file": Case(
        ("ingest", "--raw", "{one_day}", "--warehouse", "{blocker}/w.duckdb"), 6, "{blocker}"
    ),
    # 1: the checks ran and a blocking one failed
    "check fails": Case(
        ("check",), 1, "blocking reconciliation check", env={"NHCS_WAREHOUSE": "{failing}"}
    ),
}


@pytest.fixture(scope="module")
def places(tmp_path_factory) -> dict[str, Path]:
    """The folders and files the failing commands are pointed at."""
    tmp = tmp_path_factory.mktemp("cli-errors")
    p = {
        "tmp": tmp,
        "warehouse": tmp / "wh" / "warehouse.duckdb",  # the default: never created
        "missing": tmp / "no-such-folder",
        "empty": tmp / "empty-raw",
        "incomplete": tmp / "incomplete-raw",
        "one_day": tmp / "one-day-raw",
        "rejected": tmp / "rejected-raw",
        "blocker": tmp / "a-regular-file",
        "broken": tmp / "broken.yaml",
        "gen": tmp / "generated",
        "no_marts": tmp / "no-marts" / "warehouse.duckdb",
        "failing": tmp / "failing" / "warehouse.duckdb",
    }
    p["empty"].mkdir()
    Folder(p["incomplete"], DAY, "0107").add("M31_0107_20220331.csv", b"x")  # no manifest yet
    standard_office_folder(p["one_day"])
    Folder(p["rejected"], DAY, "0107").add(
        "M31_0107_20220331.csv", spec_csv(M31, [m31_row(1, as_of_date="31/13/2022")])
    ).manifest()
    p["blocker"].write_text("not a folder")
    p["broken"].write_text("opening_date: [2021-12-31\n")
    p["no_marts"].parent.mkdir()
    duckdb.connect(str(p["no_marts"])).close()
    _failing_recon(p["failing"])
    return p


def _failing_recon(warehouse: Path) -> None:
    """A warehouse whose recon tables break identity 1 (tests/quality/recon_tables.py)."""
    from tests.quality.recon_tables import D2, clean_recon, set_row, write_recon

    tables = clean_recon()
    df = tables["recon_control_totals"]
    hit = (df.as_of_date == D2) & (df.row_code == "010102") & (df.column_marker == "(9)")
    tables["recon_control_totals"] = set_row(df, hit, actual=51_000_000, is_break=True)
    warehouse.parent.mkdir(parents=True)
    write_recon(warehouse, tables)


def _nhcs(argv, env: dict[str, str], places: dict[str, Path]) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("NHCS_")}
    base.update(
        NHCS_WAREHOUSE=str(places["warehouse"]),
        NHCS_RAW_DIR=str(places["missing"]),
        NHCS_REPORTS_DIR=str(places["tmp"] / "reports"),
        DAGSTER_HOME=str(places["tmp"] / "dagster_home"),
    )
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *argv],
        env={**base, **env},
        capture_output=True,
        text=True,
        cwd=places["tmp"],
        timeout=600,
    )


@pytest.mark.parametrize("name", list(CASES))
def test_a_documented_failure_is_one_line_and_its_exit_code(places, name):
    case = CASES[name].at(places)
    proc = _nhcs(case.argv, case.env, places)
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("nhcs: "), lines[0]
    assert case.names in lines[0], lines[0]
    assert "Traceback" not in proc.stdout + proc.stderr
    assert proc.returncode == case.code, (proc.returncode, lines[0])
    if case.no_warehouse:
        assert not places["warehouse"].parent.exists()


def test_debug_adds_the_traceback(places):
    case = CASES["ingest missing raw"].at(places)
    before = _nhcs(["--debug", *case.argv], case.env, places)
    assert before.returncode == 5
    assert "Traceback (most recent call last)" in before.stderr
    assert before.stderr.splitlines()[-1].startswith("nhcs: raw folder")
    after = _nhcs([*case.argv, "--debug"], case.env, places)  # after the subcommand too
    assert "Traceback (most recent call last)" in after.stderr


def test_a_rejection_lists_its_problem_on_stdout(places):
    case = CASES["ingest rejects a file"].at(places)
    proc = _nhcs(case.argv, case.env, places)
    assert proc.returncode == 3
    rejected = [line for line in proc.stdout.splitlines() if line.startswith("REJECTED ")]
    assert rejected and "M31_0107_20220331.csv" in rejected[0], proc.stdout


def test_an_unexpected_error_is_one_line_exit_70_and_debug_shows_it(monkeypatch, capsys):
    from pipelines import cli
    from pipelines.cli import commands

    def broken(args):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(commands, "check", broken)
    assert cli.main(["check"]) == 70
    assert capsys.readouterr().err.splitlines() == [
        "nhcs: unexpected ZeroDivisionError: a bug (run again with --debug for the traceback)"
    ]
    assert cli.main(["--debug", "check"]) == 70
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_ctrl_c_is_one_line_exit_130(monkeypatch, capsys):
    from pipelines import cli
    from pipelines.cli import commands

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(commands, "publish", interrupted)
    assert cli.main(["publish"]) == 130
    assert capsys.readouterr().err == "nhcs: interrupted\n"


def _documented_codes() -> dict[int, str]:
    text = (PROJECT_ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    return {int(m[1]): m[2].strip() for m in re.finditer(r"^\| `(\d+)` \| ([^|]+)\|", text, re.M)}


def test_every_documented_exit_code_is_the_commands_and_is_tested():
    documented = _documented_codes()
    assert set(documented) == set(EXIT_CODES)
    tested = {c.code for c in CASES.values()} | {0, 70, 130}
    assert set(documented) - tested == set()
