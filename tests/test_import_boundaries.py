"""The layering of docs (architecture): domain code never imports Dagster, the command line
stays light, and nothing imports the command line back.

Two checks, because either alone misses cases: the source of every domain module is read for
an ``import dagster...`` anywhere (a function-level import would only fail at run time), and
every domain module is imported in a fresh interpreter, which must not have loaded Dagster
(a transitive import through a helper module)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.settings import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "pipelines"
DOMAIN = ("contract", "ingest", "generate", "quality", "reports", "bench", "publish")


def _modules(package: str) -> list[str]:
    root = PACKAGE / package
    return sorted(
        ".".join(("pipelines", *p.relative_to(PACKAGE).with_suffix("").parts)).removesuffix(
            ".__init__"
        )
        for p in root.rglob("*.py")
    )


def _imports(path: Path) -> set[str]:
    """Every module an import statement in ``path`` names, relative ones resolved."""
    parts = list(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
    package = parts[:-1]  # the module's package (an __init__ is its own package)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            names.add(".".join([*base, *([node.module] if node.module else [])]))
    return names


# What domain code must never import: Dagster, and the layers above it.
FORBIDDEN = (
    "dagster",
    "dagster_dbt",
    "pipelines.defs",
    "pipelines.definitions",
    "pipelines.cli",
    "pipelines.runner",
)


@pytest.mark.parametrize("package", DOMAIN)
def test_no_domain_source_imports_dagster_or_the_layers_above(package):
    offenders = [
        f"{path.relative_to(PROJECT_ROOT)}: import {name}"
        for path in sorted((PACKAGE / package).rglob("*.py"))
        for name in _imports(path)
        if any(name == f or name.startswith(f + ".") for f in FORBIDDEN)
    ]
    assert offenders == []


def _loaded_after_import(modules: list[str]) -> list[str]:
    code = (
        "import importlib, json, sys\n"
        f"for m in {modules!r}:\n"
        "    importlib.import_module(m)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_ROOT
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("package", DOMAIN)
def test_importing_a_domain_package_loads_no_dagster(package):
    loaded = _loaded_after_import(_modules(package))
    assert [m for m in loaded if m.split(".")[0] in {"dagster", "dagster_dbt"}] == []
    assert "pipelines.cli" not in loaded  # no cycle back into the command line


def test_the_command_line_loads_neither_dagster_nor_the_domain_at_start():
    """`nhcs --help` and every usage error answer without loading the pipeline."""
    loaded = _loaded_after_import(["pipelines.cli", "pipelines.cli.parser"])
    heavy = {"dagster", "dagster_dbt", "duckdb", "polars", "great_expectations"}
    assert [m for m in loaded if m.split(".")[0] in heavy] == []


def test_the_source_check_sees_function_level_and_relative_imports(tmp_path, monkeypatch):
    module = PROJECT_ROOT / "pipelines" / "ingest" / "m.py"  # never written: parsed from text
    text = "def f():\n    from dagster import asset\n    from ..cli import main\n"
    monkeypatch.setattr(Path, "read_text", lambda self, encoding=None: text)
    assert {"dagster", "pipelines.cli"} <= _imports(module)


def _environment_writes(path: Path) -> list[str]:
    """``os.environ[...] = ...``, ``os.environ.update/setdefault/pop(...)``, ``os.putenv``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        target = None
        if isinstance(node, ast.Assign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            target = next((t for t in targets if isinstance(t, ast.Subscript)), None)
            target = target.value if target is not None else None
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in {"update", "setdefault", "pop", "clear"}:
                target = node.func.value
            elif node.func.attr == "putenv":
                found.append(f"{path.name}:{node.lineno}")
        if target is not None and ast.unparse(target) in {"os.environ", "environ"}:
            found.append(f"{path.name}:{node.lineno}")
    return found


def test_the_command_line_and_the_run_plumbing_never_write_the_environment(tmp_path):
    """Settings reach Dagster as resources and run config and dbt as --vars (issue 21)."""
    paths = [
        *(PACKAGE / "cli").rglob("*.py"),
        *(PACKAGE / "runner").rglob("*.py"),
        *(PACKAGE / "defs").rglob("*.py"),
        PACKAGE / "definitions.py",
        PACKAGE / "settings.py",
        PACKAGE / "engines.py",
    ]
    assert [w for p in paths for w in _environment_writes(p)] == []
    probe = tmp_path / "probe.py"  # the check itself sees each kind of write
    probe.write_text(
        "import os\nos.environ['A'] = '1'\nos.environ.update(B='2')\nos.putenv('C', '3')\n"
    )
    assert len(_environment_writes(probe)) == 3


def _room_imports(room: str) -> set[str]:
    """The rooms of ``pipelines`` (first-level packages and modules) that ``room`` imports."""
    where = PACKAGE / room
    paths = sorted(where.rglob("*.py")) if where.is_dir() else [where.with_suffix(".py")]
    return {
        name.split(".")[1]
        for path in paths
        for name in _imports(path)
        if name.startswith("pipelines.") and name.split(".")[1] != room
    }


# docs/code-map.md: arrows point down. (room, rooms it must never import, why)
NEVER = (
    ("contract", None, "the contract imports nothing of ours"),
    (
        "generate",
        {"ingest", "quality", "reports", "publish"},
        "the demo is not read with what it tests",
    ),
    ("ingest", {"generate", "quality", "reports", "publish", "explain", "validate"}, "lower floor"),
    ("quality", {"reports", "publish", "explain", "ingest", "generate"}, "checks stand alone"),
    ("reports", {"explain", "validate", "quality", "ingest", "publish"}, "reports format marts"),
    ("publish", {"reports", "quality", "ingest"}, "publication copies tables"),
)


@pytest.mark.parametrize(("room", "never", "why"), NEVER, ids=[n[0] for n in NEVER])
def test_the_code_map_holds(room, never, why):
    imported = _room_imports(room)
    assert (imported if never is None else imported & never) == set(), why
