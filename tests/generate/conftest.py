"""Session fixtures: a few small generated trees shared by the generator's tests.

Scales are the smallest that keep every organization with at least a couple of groups, so
the whole module runs in well under a minute. Trees are generated once per session (per
xdist worker) into pytest's temporary directories.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from pipelines.generate import FAULTS, HISTORY_EXAMPLE, generate

from .readback import load_tree

SCALE = 0.01
SMALL = 0.005
# The five-quarter history (16 snapshots): Parquet at 0.5 % for the read-back checks, the
# faults at 0.3 % in Excel.
H_SCALE = 0.005
H_FAULTY = 0.003


def digests(root: Path) -> dict[str, str]:
    """SHA-256 of every file of a generated tree, by relative path."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="session")
def clean_tree(tmp_path_factory) -> Path:
    raw = tmp_path_factory.mktemp("clean") / "raw"
    generate(raw, scale=SCALE)
    return raw


@pytest.fixture(scope="session")
def clean_frames(clean_tree):
    return load_tree(clean_tree)


@pytest.fixture(scope="session")
def faulty_tree(tmp_path_factory) -> Path:
    raw = tmp_path_factory.mktemp("faulty") / "raw"
    generate(raw, scale=SMALL, inject=sorted(FAULTS))
    return raw


@pytest.fixture(scope="session")
def twin_trees(tmp_path_factory) -> tuple[Path, Path]:
    a = tmp_path_factory.mktemp("twin_a") / "raw"
    b = tmp_path_factory.mktemp("twin_b") / "raw"
    generate(a, scale=SMALL, workers=2)
    generate(b, scale=SMALL, workers=1)
    return a, b


@pytest.fixture(scope="session")
def history_tree(tmp_path_factory) -> Path:
    raw = tmp_path_factory.mktemp("history") / "raw"
    generate(raw, HISTORY_EXAMPLE, scale=H_SCALE, fmt="parquet")
    return raw


@pytest.fixture(scope="session")
def history_frames(history_tree):
    return load_tree(history_tree)


@pytest.fixture(scope="session")
def faulty_history_tree(tmp_path_factory) -> Path:
    raw = tmp_path_factory.mktemp("history_faulty") / "raw"
    generate(raw, HISTORY_EXAMPLE, scale=H_FAULTY, inject=sorted(FAULTS))
    return raw
