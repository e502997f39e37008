"""Send everything a run writes (Dagster's event log lines, dbt's output, warnings, child
processes: dbt, Spark's JVM, the parse workers) to a log file, keeping the terminal for the
command's own lines.

It works on the file descriptors 1 and 2, not on ``sys.stdout``: the children inherit them, and
loggers that hold a reference to the old stream objects follow too. The caller gets a stream on
the original standard output for its own lines.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO


@contextmanager
def output_to(log_file: Path) -> Iterator[TextIO]:
    """Within the block, fds 1 and 2 write to ``log_file`` (appended); yields the original
    standard output, line-buffered."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    saved = os.dup(1), os.dup(2)
    log_fd = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    terminal = os.fdopen(os.dup(saved[0]), "w", buffering=1, encoding="utf-8")
    try:
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        yield terminal
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, log_fd):
            os.close(fd)
        terminal.close()
