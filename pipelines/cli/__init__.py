"""The ``nhcs`` command: what the Makefile, the scheduler and people call.

- ``parser``: the arguments (every option with its help; dates checked as they are parsed);
- ``commands``: the subcommands, thin shells over the domain functions; ``run``: ``nhcs run``
  over the run plumbing of ``pipelines.runner``;
- ``console`` / ``capture``: what is printed, progress bars, the run's log file;
- ``errors``: the exit codes and the expected failures, each one line on stderr.
"""

from __future__ import annotations

import sys
import warnings

from .errors import (
    EXIT_CODES,
    EXIT_FAILED,
    EXIT_GATE,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_NO_INPUT,
    EXIT_OK,
    EXIT_OS,
    EXIT_REJECTIONS,
    EXIT_USAGE,
    classify,
    one_line,
)
from .parser import build_parser, subcommands

__all__ = [
    "EXIT_CODES",
    "EXIT_FAILED",
    "EXIT_GATE",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_NO_INPUT",
    "EXIT_OK",
    "EXIT_OS",
    "EXIT_REJECTIONS",
    "EXIT_USAGE",
    "build_parser",
    "main",
    "subcommands",
]


def _handler(name: str):
    if name == "run":
        from .run import run

        return run
    from . import commands

    return getattr(commands, name)


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as done:  # --help, --version, or a usage error already printed
        return done.code if isinstance(done.code, int) else EXIT_USAGE
    if not args.debug:
        # Libraries' warnings (pyspark's about pandas, on every import of Great Expectations)
        # are not the user's business; --debug shows them.
        warnings.filterwarnings("ignore")
        warnings.filterwarnings("default", module=r"pipelines(\.|$)")
    try:
        return _handler(args.handler)(args)
    except KeyboardInterrupt:
        print("nhcs: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - every failure ends as one line and a code
        if args.debug:
            import traceback

            traceback.print_exc()
        known = classify(exc)
        if known is not None:
            code, message = known
        else:
            code = EXIT_INTERNAL
            message = f"unexpected {type(exc).__name__}: {one_line(str(exc))}"
            if not args.debug:
                message += " (run again with --debug for the traceback)"
        print(f"nhcs: {message}", file=sys.stderr)
        return code
