"""What every command shares: the user-error type and its exit status."""

from __future__ import annotations

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
