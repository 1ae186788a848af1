"""Progress of the command line: log lines on standard error, a bar on a terminal.

The library logs through :mod:`logging` on loggers under ``escapade`` (INFO: one line per
stage -- a model built, a solve started or finished, a fit's solve, a scan point done;
DEBUG: finer steps) and never prints. :func:`logging_to_stderr` shows them as::

    escapade 12:01:03 INFO scan: point 3/8 (diffusion.tau=0.5) done in 41 s; 5 left, 2 min elapsed

at level WARNING with ``--quiet``, DEBUG with ``--verbose``, INFO otherwise
(:func:`add_verbosity_arguments`). On a terminal the long loops also draw a rich progress bar
(:func:`progress_bar`); the log lines are written above it. When standard error is a file or a
pipe (a batch job, CI, ``nohup``, ``| tee``) there is no bar, only the lines.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from collections.abc import Callable, Iterator
from typing import Any

LOGGER = "escapade"
FORMAT = "escapade %(asctime)s %(levelname)s %(where)s: %(message)s"
DATE_FORMAT = "%H:%M:%S"
LEVELS = {-1: logging.WARNING, 0: logging.INFO, 1: logging.DEBUG}


def add_verbosity_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``-q/--quiet`` and ``-v/--verbose`` (mutually exclusive) to a subcommand.

    They set ``args.verbosity``: -1 (warnings and errors only), 0 (default: one line per
    stage), 1 (also the finer steps).
    """
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "-q",
        "--quiet",
        dest="verbosity",
        action="store_const",
        const=-1,
        help="no progress lines or bar on stderr, only warnings and errors",
    )
    group.add_argument(
        "-v",
        "--verbose",
        dest="verbosity",
        action="store_const",
        const=1,
        help="also log the finer steps (e.g. each species solved)",
    )
    parser.set_defaults(verbosity=0)


class _Formatter(logging.Formatter):
    """:data:`FORMAT`, where ``where`` is the module (``escapade.fit.fit`` -> ``fit``)."""

    def format(self, record: logging.LogRecord) -> str:
        name = record.name
        record.where = name.rsplit(".", 1)[-1] if name.startswith(f"{LOGGER}.") else name
        return super().format(record)


class StderrHandler(logging.StreamHandler):
    """A handler writing to the *current* ``sys.stderr``, looked up at every record.

    A rich progress bar replaces ``sys.stderr`` while it is drawn, so that the lines land
    above the bar; test harnesses replace it to capture the output.
    """

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self) -> Any:  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:  # StreamHandler.setStream; always sys.stderr here
        pass


@contextlib.contextmanager
def logging_to_stderr(verbosity: int = 0) -> Iterator[logging.Handler]:
    """Show the ``escapade`` loggers' records on stderr while the context lasts.

    ``verbosity``: -1 WARNING, 0 INFO, 1 DEBUG. The logger's level and handlers are restored
    afterwards, so that :func:`escapade.cli.main` can be called more than once in a process.
    """
    log = logging.getLogger(LOGGER)
    handler = StderrHandler()
    handler.setFormatter(_Formatter(FORMAT, DATE_FORMAT))
    old_level = log.level
    log.addHandler(handler)
    log.setLevel(LEVELS[max(-1, min(1, verbosity))])
    try:
        yield handler
    finally:
        log.removeHandler(handler)
        log.setLevel(old_level)


def progress_bar(total: int, label: str) -> tuple[Any, Callable[[], None] | None]:
    """A rich progress bar on stderr when it is a terminal and INFO lines are shown.

    Returns ``(context, advance)``: enter the context to draw the bar, call ``advance()``
    after each of the ``total`` steps. Without a bar: a null context and ``None``.
    """
    if not (sys.stderr.isatty() and logging.getLogger(LOGGER).isEnabledFor(logging.INFO)):
        return contextlib.nullcontext(), None
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    prog = Progress(
        TextColumn(label),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = prog.add_task(label, total=total)
    return prog, lambda: prog.advance(task)
