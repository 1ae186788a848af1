"""What every command shares: the user-error type and its exit status."""

from __future__ import annotations

from pathlib import Path

EXIT_USAGE = 2


class UserError(Exception):
    """An error caused by the user's input: printed as one line, exit status 2."""


def user_errors() -> tuple[type[Exception], ...]:
    """The exception types reported as one line on stderr with exit status 2."""
    from ..config import ConfigError
    from ..io import SolutionFileError
    from ..measurements import DataError
    from ..nuclear.crosssections import CrossSectionError
    from ..observables.local import LocalObservableError
    from ..resources import ResourceLimitError
    from ..solution import SolutionConfigError
    from ..species import SpeciesError

    return (
        UserError,
        ConfigError,
        SolutionFileError,
        SpeciesError,
        CrossSectionError,
        ResourceLimitError,
        DataError,
        LocalObservableError,
        SolutionConfigError,
    )


def parsed(options, args):
    """``options(args)`` (a command's spec and output), its ValueError as a :class:`UserError`."""
    try:
        return options(args)
    except ValueError as exc:
        raise UserError(str(exc)) from None


def output_folder(output: str, example: str) -> Path:
    """The output folder ``output``; a :class:`UserError` when it is a file."""
    out = Path(output)
    if out.exists() and not out.is_dir():
        raise UserError(f"output {str(out)!r} is a file; give a folder such as {example}")
    return out
