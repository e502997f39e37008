"""What the commands print: progress bars on a terminal, a few lines elsewhere, and the run's
logs in a file unless -v asks for them."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "ingest"))

from builders import standard_office_folder  # noqa: E402

NHCS = Path(sys.executable).with_name("nhcs")


def _env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NHCS_")}
    env.update(
        NHCS_RAW_DIR=str(tmp / "raw"),
        NHCS_WAREHOUSE=str(tmp / "wh" / "warehouse.duckdb"),
        TERM="xterm-256color",
        COLUMNS="100",
    )
    return env


def _on_a_terminal(argv: list[str], env: dict[str, str], program=NHCS) -> tuple[int, str]:
    """Run ``nhcs argv`` with a pseudo-terminal as its stdout; (exit code, what it drew)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([str(program), *argv], stdout=slave, stderr=subprocess.PIPE, env=env)
    os.close(slave)
    out = b""
    while True:
        ready, _, _ = select.select([master], [], [], 1.0)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
        elif proc.poll() is not None:
            break
    os.close(master)
    return proc.wait(timeout=600), out.decode("utf-8", "replace")


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    """A folder whose raw/ holds a small generated demo."""
    from pipelines.generate import generate

    tmp = tmp_path_factory.mktemp("cli-output")
    generate(tmp / "raw", scale=0.003, fmt="csv", workers=1)
    return tmp


def test_generation_and_ingestion_draw_bars_on_a_terminal(tmp_path):
    env = _env(tmp_path)
    code, drawn = _on_a_terminal(["generate", "--scale", "0.003", "--format", "csv"], env)
    assert code == 0, drawn
    assert "generate" in drawn and "━" in drawn and "31/31" in drawn  # rich's bar, offices
    assert "generated " in drawn.splitlines()[-1]
    code, drawn = _on_a_terminal(["ingest"], env)
    assert code == 0, drawn
    assert "ingest" in drawn and "━" in drawn
    assert drawn.strip().splitlines()[-1].startswith("raw tables: ")


def test_without_a_terminal_a_task_prints_a_line_per_quarter(demo, tmp_path):
    env = {**_env(demo), "NHCS_WAREHOUSE": str(tmp_path / "w.duckdb")}
    proc = subprocess.run([str(NHCS), "ingest"], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    ticks = [x.split() for x in proc.stdout.splitlines() if re.match(r"\s+ingest: \d+ of \d+$", x)]
    assert len(ticks) == 4, proc.stdout
    assert ticks[-1][1] == ticks[-1][3] and ticks[-1][2] == "of"  # "ingest: N of N"
    assert "━" not in proc.stdout and "\x1b[" not in proc.stdout
    assert len(proc.stdout.splitlines()) < 15  # the totals, not one line per delivery


# `nhcs run` with the Dagster run replaced by one that writes as Dagster and dbt do: from this
# process (Python's sys.stdout) and from a child (its inherited stderr).
FAKE_RUN = """
import subprocess, sys
from pipelines.cli import main, run
from pipelines.runner.steps import RunSummary

def execute(s, keys, console, **options):
    from pipelines.progress import Tick

    console.running("ingest")
    console.tick(Tick("one delivery", task="ingest", done=1, total=2))
    print("PYTHON LOG LINE", flush=True)
    subprocess.run([sys.executable, "-c", "import sys; print('CHILD LOG LINE', file=sys.stderr)"])
    console.step("ok", 1.0, "ingest", "fake")
    return RunSummary([], ["run-a", "run-b"], 0.0)

run.execute = execute
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("verbose", [False, True])
def test_run_logs_go_to_a_file_unless_verbose(tmp_path, verbose):
    standard_office_folder(tmp_path / "raw")
    wh = tmp_path / "wh" / "warehouse.duckdb"
    argv = ["run", "--raw", str(tmp_path / "raw"), "--warehouse", str(wh)]
    env = {k: v for k, v in os.environ.items() if k != "NHCS_LOG_DIR"}
    proc = subprocess.run(
        [sys.executable, "-c", FAKE_RUN, *argv, *(["-v"] if verbose else [])],
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    out, err = proc.stdout, proc.stderr
    logs = list((wh.parent / "logs").glob("run-*.log"))
    assert "Summary: succeeded" in out and "fake" in out
    if verbose:
        assert "PYTHON LOG LINE" in out and "CHILD LOG LINE" in err
        assert logs == []
    else:
        assert "PYTHON LOG LINE" not in out + err and "CHILD LOG LINE" not in out + err
        (log,) = logs
        assert f"log: {log}" in out
        text = log.read_text(encoding="utf-8")
        assert "PYTHON LOG LINE" in text and "CHILD LOG LINE" in text


def test_on_a_terminal_the_bars_stay_and_the_logs_still_go_to_the_file(tmp_path):
    """rich draws its bars over the terminal; Dagster's log lines written meanwhile (Python's
    sys.stdout/err) must still reach the log file, not the terminal."""
    standard_office_folder(tmp_path / "raw")
    wh = tmp_path / "wh" / "warehouse.duckdb"
    script = tmp_path / "fake_run.py"
    script.write_text(FAKE_RUN, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "NHCS_LOG_DIR"}
    env.update(TERM="xterm-256color", COLUMNS="100")
    argv = ["run", "--raw", str(tmp_path / "raw"), "--warehouse", str(wh)]
    code, drawn = _on_a_terminal([str(script), *argv], env, program=sys.executable)
    assert code == 0, drawn
    assert "1/2" in drawn and "━" in drawn  # the ingestion's bar
    assert "PYTHON LOG LINE" not in drawn and "CHILD LOG LINE" not in drawn
    (log,) = (wh.parent / "logs").glob("run-*.log")
    assert "PYTHON LOG LINE" in log.read_text(encoding="utf-8")
