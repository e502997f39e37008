"""The `nhcs` arguments: every option explained, dates checked by the parser, the version."""

from __future__ import annotations

import argparse
import subprocess
import sys
from datetime import date

import pytest

from pipelines.cli import main
from pipelines.cli.parser import FORMATS, SCENARIOS, all_parsers, build_parser


def test_every_option_of_every_command_has_help():
    missing = [
        f"nhcs {name}: {'/'.join(action.option_strings) or action.dest}"
        for name, parser in all_parsers().items()
        for action in parser._actions  # noqa: SLF001
        if not isinstance(action, argparse._SubParsersAction)  # noqa: SLF001
        and (not action.help or action.help == argparse.SUPPRESS)
    ]
    assert missing == []


def test_every_command_has_a_description():
    assert all(p.description for p in all_parsers().values())


def test_dates_are_parsed_into_dates():
    args = build_parser().parse_args(["run", "--date", "2022-01-01", "--date", "2022-03-31"])
    assert args.date == [date(2022, 1, 1), date(2022, 3, 31)]
    assert build_parser().parse_args(["report", "--as-of", "2022-03-31"]).as_of == date(2022, 3, 31)


def test_version(capsys):
    from importlib.metadata import version

    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"nhcs {version('nhcs-pipelines')}\n"


def test_help_answers_without_loading_the_pipeline():
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "pipelines.cli", "run", "--help"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0
    assert "--summary-json" in proc.stdout
    imported = {line.split("|")[-1].strip() for line in proc.stderr.splitlines()}
    assert not {"dagster", "duckdb", "polars"} & imported


def test_choices_named_in_the_parser_are_the_packages():
    """The parser names the generator's formats and the benchmark's scenarios without importing
    them (a light --help); they must not drift apart."""
    from pipelines.bench import SCENARIOS as BENCH
    from pipelines.generate import FORMATS as GENERATOR

    assert tuple(FORMATS) == tuple(GENERATOR)
    assert tuple(SCENARIOS) == tuple(BENCH)


@pytest.mark.parametrize("argv", [["ui", "--port", "0"], ["check", "--max-rows", "-3"]])
def test_numbers_out_of_range_are_usage_errors(argv, capsys):
    assert main(argv) == 2
    assert capsys.readouterr().err.startswith("nhcs: ")
