"""What ``nhcs`` prints while it works: short lines, and progress bars on a terminal.

Lines go to the command's standard output. On a terminal, counted tasks (``pipelines.progress
.Tick``: offices generated, deliveries ingested) and running steps show as live bars drawn by
rich, which disappear when done; elsewhere (a pipe, a log, ``make`` in CI) there are no bars,
and a counted task prints a line at each quarter.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from ..progress import Tick

MARKS = {"ok": "ok", "failed": "FAILED", "skipped": "SKIPPED", "running": ".."}
# Where the user typed the command (a library may move the process while it works).
START_DIR = Path.cwd()


def duration(seconds: float) -> str:
    """12.3 s, 4 min 05 s, 1 h 02 min."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def shown(path: str | Path) -> str:
    """A path as the user can type it: relative to the working directory when inside it."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(START_DIR.resolve()))
    except (ValueError, OSError):
        return str(p)


class Console:
    """Lines and progress bars of one command."""

    def __init__(self, out: TextIO | None = None, *, live: bool | None = None):
        self.out = out or sys.stdout
        self.live = _is_terminal(self.out) if live is None else live
        self._rich = None
        self._progress = None
        self._tasks: dict[str, int] = {}
        self._printed_quarter: dict[str, int] = {}
        if self.live:
            from rich.console import Console as RichConsole

            self._rich = RichConsole(file=self.out, highlight=False, soft_wrap=True)

    # -- lines ---------------------------------------------------------------------------
    def line(self, text: str = "") -> None:
        if self._rich is not None:
            self._rich.print(text, markup=False)
        else:
            print(text, file=self.out, flush=True)

    def step(self, status: str, seconds: float | None, label: str, detail: str = "") -> None:
        """One line per step: status, duration, name, what it did."""
        took = duration(seconds) if seconds is not None else ""
        self.line(f"  {MARKS.get(status, status):<7} {took:>12}  {label:<12} {detail}".rstrip())

    # -- progress ------------------------------------------------------------------------
    @contextmanager
    def bars(self) -> Iterator[Console]:
        """While open, ``tick``/``running`` draw live bars on a terminal."""
        if not self.live:
            yield self
            return
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description:<12}"),
            BarColumn(bar_width=30),
            TextColumn("{task.fields[count]}"),
            TimeElapsedColumn(),
            console=self._rich,
            transient=True,
            # Python's sys.stdout/err still lead to the log file (pipelines.cli.capture), not
            # to the terminal above the bars.
            redirect_stdout=False,
            redirect_stderr=False,
        )
        try:
            with self._progress:
                yield self
        finally:
            self._progress, self._tasks = None, {}

    def message(self, text: str) -> None:
        """A domain progress callback: a ``Tick`` moves its bar, other messages are lines."""
        if isinstance(text, Tick):
            self.tick(text)
        else:
            self.line(f"  {text}")

    def tick(self, tick: Tick) -> None:
        if self._progress is not None:
            task = self._tasks.get(tick.task)
            if task is None:
                task = self._progress.add_task(tick.task, total=tick.total, count="")
                self._tasks[tick.task] = task
            self._progress.update(
                task, completed=tick.done, total=tick.total, count=f"{tick.done:,}/{tick.total:,}"
            )
            return
        if tick.total:
            quarter = 4 * tick.done // tick.total
            if quarter > self._printed_quarter.get(tick.task, 0):
                self._printed_quarter[tick.task] = quarter
                self.line(f"  {tick.task}: {tick.done:,} of {tick.total:,}")

    def running(self, name: str) -> None:
        """A step started: a spinner with its elapsed time until ``done(name)``."""
        if self._progress is not None and name not in self._tasks:
            self._tasks[name] = self._progress.add_task(name, total=None, count="")

    def done(self, name: str) -> None:
        if self._progress is not None and name in self._tasks:
            self._progress.remove_task(self._tasks.pop(name))


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty() and os.environ.get("TERM") != "dumb"
    except (AttributeError, ValueError):
        return False
