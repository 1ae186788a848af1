"""The ``escapade`` command line: ``main`` parses the arguments and runs one command."""

from .common import EXIT_USAGE, UserError
from .main import build_parser, main

__all__ = ["EXIT_USAGE", "UserError", "build_parser", "main"]
