"""Expensive test inputs built once per test run and shared by every pytest-xdist worker.

xdist gives each worker a session of its own, so a session fixture alone builds the same demo
warehouse once per worker, and modules that built their own copy of the demo built it again:
the calibrated demo was generated, ingested and built by dbt six times per run. Here the first
worker that asks builds it, under a file lock in the run's common temporary folder; the others
wait for it and reuse it. A build that failed is recorded, so the next worker fails with the
same message instead of building again.

What is shared is read-only by convention: tests open it with ``read_only=True``; a test that
writes (the checks' results, reports, publication, a planted fault) works on ``copy_of(...)``.
"""

from __future__ import annotations

import json
import os
import shutil
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pytest
from filelock import FileLock

from tests.dbt_build import dbt_build

DEMO_SCALE = 0.01
# The generator's faults that land in the reconciled figures, one office each, so that every
# failing row can be attributed to one of them (tests/dbt/test_generated_demo.py,
# tests/quality/test_demo_end_to_end.py).
DEMO_FAULTS = (
    "control-total-mismatch",
    "rollforward-break",
    "group-register-mismatch",
    "reconciliation-discrepancy",
)


def run_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The temporary folder all workers of this run share (one run never sees another's)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def shared_build(
    tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]
) -> Path:
    """The folder ``name``, filled by ``build(folder)`` the first time any worker asks."""
    root = run_root(tmp_path_factory) / "shared"
    root.mkdir(exist_ok=True)
    folder, failed = root / name, root / f"{name}.failed"
    with FileLock(str(root / f"{name}.lock")):
        if failed.exists():
            pytest.fail(
                f"the shared build {name!r} failed earlier in this run:\n{failed.read_text()}"
            )
        if not (folder / ".built").exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            try:
                build(folder)
            except BaseException:
                failed.write_text(traceback.format_exc()[-8000:], encoding="utf-8")
                raise
            (folder / ".built").touch()
    return folder


def copy_of(warehouse: Path, into: Path) -> Path:
    """A private copy of a shared warehouse for a test that writes to it."""
    into.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(warehouse, into / warehouse.name))


@dataclass(frozen=True)
class Demo:
    """A generated demo (``raw/``), ingested and built by ``dbt build`` (``warehouse.duckdb``)."""

    root: Path

    @property
    def raw(self) -> Path:
        return self.root / "raw"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def manifest(self) -> Path:
        return self.root / "dbt_target" / "manifest.json"

    @cached_property
    def truth(self) -> dict:
        return json.loads((self.raw / "_truth.json").read_text(encoding="utf-8"))


def built_demo(
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    *,
    calibration: Path | None = None,
    inject: Sequence[str] = (),
) -> Demo:
    """The demo at ``DEMO_SCALE`` (the shipped quarter, or ``calibration``) with the faults
    ``inject``, generated as CSV (ingestion gives the same rows for every format; the formats
    have their own tests), ingested, and built by ``dbt build``, every data test passing."""

    def build(folder: Path) -> None:
        from pipelines.generate import generate
        from pipelines.ingest import ingest

        demo = Demo(folder)
        generate(demo.raw, calibration, scale=DEMO_SCALE, fmt="csv", inject=list(inject), workers=1)
        ingest(demo.raw, demo.warehouse)
        proc = dbt_build(demo.warehouse, folder, "--quiet")
        if proc.returncode != 0:
            raise AssertionError(f"dbt build of the demo {name!r} failed:\n{proc.stdout[-6000:]}")

    return Demo(shared_build(tmp_path_factory, name, build))
