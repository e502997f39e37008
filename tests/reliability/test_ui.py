"""The Dagster UI listens on the loopback interface unless the operator says otherwise."""

from __future__ import annotations

import pytest

from pipelines import cli
from pipelines.cli import commands
from pipelines.runner import manifest


def _ui_command(monkeypatch, tmp_path, argv: list[str]) -> list[str]:
    seen: list[list[str]] = []
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    monkeypatch.setattr(manifest, "prepare_dbt_manifest", lambda *a, **k: None)
    monkeypatch.setattr(commands.subprocess, "call", lambda cmd, **kw: seen.append(cmd) or 0)
    assert cli.main(argv) == 0
    assert len(seen) == 1
    return seen[0]


def test_ui_parser_defaults_to_loopback():
    args = cli.build_parser().parse_args(["ui"])
    assert args.host == "127.0.0.1"


def test_ui_command_binds_dagster_to_loopback(monkeypatch, tmp_path):
    cmd = _ui_command(monkeypatch, tmp_path, ["ui"])
    assert cmd[1] == "dev"
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1"
    assert cmd.count("--host") == 1 and "-h" not in cmd


@pytest.mark.parametrize("host", ["0.0.0.0", "10.1.2.3"])
def test_ui_exposes_only_when_told(monkeypatch, tmp_path, host):
    cmd = _ui_command(monkeypatch, tmp_path, ["ui", "--host", host])
    assert cmd[cmd.index("--host") + 1] == host
