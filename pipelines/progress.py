"""Progress messages that can also drive a progress bar.

Domain functions report progress through a plain ``progress(message: str)`` callback. A
counted task (offices written, deliveries ingested) passes a ``Tick``: still a ``str``, so
callbacks that print or log it work unchanged, but carrying how far the task got, which the
command line turns into a progress bar on a terminal.
"""

from __future__ import annotations


class Tick(str):
    """A progress message: ``done`` of ``total`` units of ``task`` are finished."""

    task: str
    done: int
    total: int

    def __new__(cls, message: str, *, task: str, done: int, total: int) -> Tick:
        tick = super().__new__(cls, message)
        tick.task, tick.done, tick.total = task, done, total
        return tick
