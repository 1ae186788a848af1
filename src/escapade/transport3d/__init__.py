"""3D steady-state transport with the full anisotropic diffusion tensor (issue 17).

:mod:`.operator` assembles the conservative finite-volume operator -div(D grad N) on the
Cartesian grid of :mod:`escapade.grid3d`; :mod:`.solver` solves the steady system per
energy with algebraic-multigrid preconditioned conjugate gradients. The methods and the
measured accuracy (Green's function, numerical leak across the field, positivity,
convergence order) are in docs/transport3d.md.
"""

from .operator import SCHEMES, Operator3D, assemble, assemble_parts, combine, make_monotone
from .solver import AMGSolver, SolveStats3D, SteadyResult, solve_steady

__all__ = [
    "SCHEMES",
    "AMGSolver",
    "Operator3D",
    "SolveStats3D",
    "SteadyResult",
    "assemble",
    "assemble_parts",
    "combine",
    "make_monotone",
    "solve_steady",
]
