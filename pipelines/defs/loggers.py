"""The run's loggers: Dagster's console logger, and the events as Python log records.

``run_events`` prints nothing itself: it hands every Dagster event of a run, as a log record
carrying the event (``record.dagster_meta["dagster_event"]``), to the Python logger
``RUN_EVENTS_LOGGER``. ``nhcs run`` attaches a handler there to print one line per step as
the steps finish (``pipelines.runner.steps``); runs the UI launches have no handler on it.
"""

import logging

from dagster import colored_console_logger, logger

RUN_EVENTS_LOGGER = "nhcs_runner.events"


@logger(description="Every event of the run as a Python log record for `nhcs run`'s step lines.")
def run_events(_init_context) -> logging.Logger:
    log = logging.getLogger(RUN_EVENTS_LOGGER)
    log.setLevel(logging.DEBUG)
    log.propagate = False  # never reaches the root logger (or its last-resort stderr handler)
    if not log.handlers:
        log.addHandler(logging.NullHandler())
    return log


LOGGERS = {"console": colored_console_logger, "run_events": run_events}
