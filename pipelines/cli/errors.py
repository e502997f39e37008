"""Exit codes of ``nhcs`` and the failures it expects (docs/operations.md lists them).

An expected failure is one line on stderr, ``nhcs: <what, naming the file, date or setting>``,
and its exit code; the traceback only with ``--debug``. Anything else is a bug (or an
environment problem nobody thought of): one line too, exit 70, the traceback with ``--debug``.
"""

from __future__ import annotations

import sys

EXIT_OK = 0
EXIT_FAILED = 1  # the pipeline ran and failed: a step, or a blocking reconciliation check
EXIT_USAGE = 2  # an option, date or setting the command cannot use (as argparse)
EXIT_REJECTIONS = 3  # delivered files were rejected (the rest of the delivery loaded)
EXIT_GATE = 4  # report/publish refused: the latest quality run failed a blocking check
EXIT_NO_INPUT = 5  # nothing to work on: no raw folder or delivery, no warehouse, a missing file
EXIT_OS = 6  # a file or folder cannot be read or written, or the warehouse stayed locked
EXIT_INTERNAL = 70  # an unexpected error (sysexits' EX_SOFTWARE)
EXIT_INTERRUPTED = 130  # Ctrl-C

EXIT_CODES = {
    EXIT_OK: "success",
    EXIT_FAILED: "the pipeline ran and failed (a step, or a blocking reconciliation check)",
    EXIT_USAGE: "an option, date or setting the command cannot use",
    EXIT_REJECTIONS: "delivered files were rejected; the rest of the delivery loaded",
    EXIT_GATE: "report or publish refused: the latest quality run failed a blocking check",
    EXIT_NO_INPUT: "nothing to work on: no raw folder or delivery, no warehouse yet, a missing "
    "file",
    EXIT_OS: "a file or folder cannot be read or written, or the warehouse stayed locked",
    EXIT_INTERNAL: "an unexpected error (a bug): run again with --debug for the traceback",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C)",
}


class CommandError(Exception):
    """An expected failure of a command: its one-line message and exit code."""

    def __init__(self, message: str, code: int):
        super().__init__(message)
        self.code = code


# Expected failures raised by the domain code, by "module:class" (looked up only once their
# module is loaded: the exception cannot have been raised otherwise, and `nhcs --help` stays
# light). The first match wins.
EXPECTED: tuple[tuple[str, int], ...] = (
    ("pipelines.settings:SettingsError", EXIT_USAGE),
    ("pipelines.runner.jobs:DateOutsidePartitions", EXIT_USAGE),
    ("pipelines.runner.jobs:DeliveriesOutsidePartitions", EXIT_FAILED),
    ("pipelines.deliveries:NoDeliveries", EXIT_NO_INPUT),
    ("pipelines.reports.data:ReportDataError", EXIT_NO_INPUT),
    ("pipelines.warehouse_lock:WarehouseBusy", EXIT_OS),
    ("pipelines.publish:PublishError", EXIT_FAILED),
    ("pipelines.engines:MirrorError", EXIT_FAILED),
    ("pipelines.spark_cluster:ClusterError", EXIT_FAILED),
    ("pipelines.runner.manifest:DbtParseError", EXIT_FAILED),
    ("duckdb:IOException", EXIT_OS),
    ("builtins:OSError", EXIT_OS),
)


def _loaded(name: str) -> type | None:
    module, _, cls = name.partition(":")
    mod = sys.modules.get(module)
    return getattr(mod, cls, None) if mod is not None else None


def classify(exc: BaseException) -> tuple[int, str] | None:
    """(exit code, one-line message) of an expected failure; None for anything else."""
    if isinstance(exc, CommandError):
        return exc.code, one_line(str(exc))
    for name, code in EXPECTED:
        cls = _loaded(name)
        if cls is not None and isinstance(exc, cls):
            return code, one_line(_text(exc))
    return None


def _text(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.filename and exc.strerror:
        return f"{exc.strerror}: {exc.filename}"
    return str(exc)


def one_line(text: str) -> str:
    """The message on one line (a multi-line message keeps its first lines, joined)."""
    return " ".join(part.strip() for part in str(text).splitlines() if part.strip())
