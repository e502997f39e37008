"""Calibrated demo deliveries: writes the branch exports of the contract for a whole scenario.

Public API (the CLI calls exactly this)::

    generate(raw_dir, calibration=None, *, scale=None, seed=None, fmt="xlsx", inject=(),
             progress=None) -> dict
    load_calibration(path) -> Calibration
    DEFAULT_CALIBRATION, FAULTS
"""

from __future__ import annotations

from .calibration import Calibration, load_calibration
from .core import DEFAULT_CALIBRATION, FAULTS, FORMATS, generate

__all__ = [
    "DEFAULT_CALIBRATION",
    "FAULTS",
    "FORMATS",
    "Calibration",
    "generate",
    "load_calibration",
]
