"""Calibrated demo deliveries: writes the branch exports of the contract for a whole scenario.

Public API (the CLI calls exactly this)::

    generate(raw_dir, calibration=None, *, scale=None, seed=None, fmt="xlsx", inject=(),
             progress=None) -> dict
    load_calibration(path) -> Calibration     (a single-period file)
    load_history(path) -> History             (either form: calibration.md sections 2 and 3)
    DEFAULT_CALIBRATION, HISTORY_EXAMPLE, FAULTS
"""

from __future__ import annotations

from .calibration import Calibration, History
from .calibration_file import load_calibration, load_history
from .faults import FAULTS
from .run import DEFAULT_CALIBRATION, FORMATS, HISTORY_EXAMPLE, generate

__all__ = [
    "DEFAULT_CALIBRATION",
    "FAULTS",
    "FORMATS",
    "HISTORY_EXAMPLE",
    "Calibration",
    "History",
    "generate",
    "load_calibration",
    "load_history",
]
