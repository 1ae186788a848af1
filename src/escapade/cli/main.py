"""Command-line interface: a thin layer over the public API.

    escapade run CONFIG.toml -o out.nc [--full]
    escapade info out.nc
    escapade plot out.nc --ratio B/C --data AMS-02 [-o fig.png]
    escapade fit | infer | scan | gamma | reproduce ...   (see 'escapade COMMAND -h')

One module per command (run, plot, fit, infer, scan, gamma, reproduce); each turns its
arguments into validated values (a Config, a FitSpec, scan values) and calls the public
API. Every user error (bad config, unreadable file, invalid value) is reported as one
line on stderr with exit status 2; no output file is left behind.
"""

from __future__ import annotations

import argparse
import signal
import sys

from .._version import __version__
from . import fit, gamma, infer, plot, reproduce, run, scan, stochastic
from .common import EXIT_USAGE, user_errors
from .verbosity import logging_to_stderr

COMMANDS = (run, plot, scan, stochastic, gamma, fit, infer, reproduce)
"""The command modules, in the order of ``escapade -h``; each has ``register(subparsers)``."""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="escapade", description="Galactic cosmic-ray propagation")
    p.add_argument("--version", action="version", version=f"escapade {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.register(sub)
    return p


def _raise_on_sigterm(signum, frame):  # pragma: no cover - exercised by a subprocess test
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    try:
        with logging_to_stderr(getattr(args, "verbosity", 0)):
            return args.func(args)
    except user_errors() as exc:
        print(f"escapade: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("escapade: interrupted; no output written", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
