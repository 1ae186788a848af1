"""Steady-state solver: a direct 2D solve per energy, marching down in energy.

For one species the steady transport equation with continuous losses
b(E) = -dE/dt > 0 (E the kinetic energy per nucleon) reads

    -div(D grad N) + Gamma N - d(b N)/dE = Q,

with Gamma the destruction rate (spallation, decay). Losses carry particles
downwards in energy only, so the equation is an initial-value problem in energy
started above the top of the grid (N = 0 there) and marched downwards. With
y = -ln E and G = b N it becomes dG/dy = E (Q - L N), L = -div D grad + Gamma,
which is integrated with the L-stable second-order backward differentiation
formula (BDF2; the first two steps by backward Euler), or optionally first-order
upwind (backward Euler throughout):

    [L_k + alpha b_k / (h E_k)] N_k = Q_k + (beta1 G_{k+1} + beta2 G_{k+2}) / (h E_k),

alpha, beta1, beta2 = 3/2, 2, -1/2 (BDF2) or 1, 1, 0 (upwind), h = ln(E_{k+1}/E_k).
Each energy is one sparse symmetric positive-definite system (the
finite-volume operator of :mod:`escapade.transport.operator` times the control
volumes), solved by sparse LU; neighbouring energies reuse the last
factorisation as a preconditioner for conjugate gradients, refactorising only
when that fails to converge within a few iterations. Every solve's residual is
checked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse.linalg as spla

from ..grid import Grid
from .operator import (
    FaceGeometry,
    assemble,
    boundary_outflow,
    conductances,
    to_full,
    to_unknowns,
)

SCHEMES = {"bdf2": (1.5, 2.0, -0.5), "upwind": (1.0, 1.0, 0.0)}


class SolverError(RuntimeError):
    """A linear solve that did not reach its tolerance, or produced a non-finite density."""


@dataclass
class SolveStats:
    """Counters of the linear algebra, for diagnostics and benchmarks."""

    factorizations: int = 0
    cg_solves: int = 0
    cg_iterations: int = 0
    max_relative_residual: float = 0.0


@dataclass
class ReusingSolver:
    """Solves M x = b for a sequence of similar SPD matrices.

    Keeps the last sparse LU factorisation and uses it to precondition conjugate
    gradients for the next matrix; refactorises when CG needs more than
    ``max_cg_iterations``.
    """

    rtol: float = 1e-10
    max_cg_iterations: int = 12
    stats: SolveStats = field(default_factory=SolveStats)
    _lu: object = None

    def reset(self) -> None:
        self._lu = None

    def _factorize(self, m):
        self._lu = spla.splu(m, permc_spec="MMD_AT_PLUS_A")
        self.stats.factorizations += 1

    def solve(self, m, b: np.ndarray, context: str) -> np.ndarray:
        bnorm = float(np.linalg.norm(b))
        if bnorm == 0.0:
            return np.zeros_like(b)
        x = None
        if self._lu is not None:
            lu = self._lu
            pre = spla.LinearOperator(m.shape, matvec=lu.solve, dtype=float)
            iters = [0]

            def count(_):
                iters[0] += 1

            x, info = spla.cg(
                m,
                b,
                x0=lu.solve(b),
                rtol=self.rtol,
                atol=0.0,
                maxiter=self.max_cg_iterations,
                M=pre,
                callback=count,
            )
            self.stats.cg_iterations += iters[0]
            if info != 0:
                x = None
            else:
                self.stats.cg_solves += 1
        if x is None:
            self._factorize(m)
            x = self._lu.solve(b)
            # one step of iterative refinement
            x = x + self._lu.solve(b - m @ x)
        res = float(np.linalg.norm(m @ x - b)) / bnorm
        self.stats.max_relative_residual = max(self.stats.max_relative_residual, res)
        if not np.isfinite(res) or res > max(100.0 * self.rtol, 1e-8):
            raise SolverError(
                f"linear solve did not converge for {context}: relative residual {res:.2e} "
                f"(tolerance {self.rtol:.1e})"
            )
        return x


@dataclass
class SpeciesProblem:
    """Everything the march needs for one species, per energy index k.

    Callables return arrays on all nodes (nr, nz) or faces, internal units:
    ``diffusion(k)`` -> (D on radial faces (nr-1, nz), D on vertical faces (nr, nz-1))
    in kpc^2/Myr; ``destruction(k)`` -> Gamma in 1/Myr; ``loss(k)`` -> b in
    GeV/n per Myr; ``source(k)`` -> Q in 1/(cm^3 GeV/n Myr) (control-volume average).
    """

    name: str
    diffusion: Callable[[int], tuple[np.ndarray, np.ndarray]]
    destruction: Callable[[int], np.ndarray]
    loss: Callable[[int], np.ndarray]
    source: Callable[[int], np.ndarray]


@dataclass
class MarchResult:
    """Density on all nodes (n_ekin, nr, nz) and the per-energy particle budget."""

    density: np.ndarray
    injected: np.ndarray
    escaped: np.ndarray
    destroyed: np.ndarray


def march(
    grid: Grid,
    problem: SpeciesProblem,
    scheme: str = "bdf2",
    solver: ReusingSolver | None = None,
    progress: Callable[[], None] | None = None,
) -> MarchResult:
    """Solve the steady state of one species on every energy of ``grid``.

    Also returns, per energy, the volume-integrated injection into the unknown
    nodes (a source on a boundary node, where N = 0, leaves at once), the escape through
    the boundaries and the destruction (units: particles per (GeV/n) per Myr per
    cm^3 kpc^3), for conservation checks.
    """

    if scheme not in SCHEMES:
        raise ValueError(f"energy scheme {scheme!r} unknown; allowed: {', '.join(SCHEMES)}")
    solver = solver or ReusingSolver()
    solver.reset()
    geom = FaceGeometry(grid)
    vol = grid.volume_kpc3
    e = grid.ekin_gev_per_n
    h = grid.dlnekin
    ne = grid.n_ekin
    dens = np.zeros((ne, grid.nr, grid.nz))
    injected = np.zeros(ne)
    escaped = np.zeros(ne)
    destroyed = np.zeros(ne)
    g1 = np.zeros((grid.nr, grid.nz))
    g2 = np.zeros((grid.nr, grid.nz))
    for k in range(ne - 1, -1, -1):
        alpha, b1, b2 = SCHEMES[scheme] if k <= ne - 3 else SCHEMES["upwind"]
        d_r, d_z = problem.diffusion(k)
        t_r, t_z = conductances(geom, d_r, d_z)
        gamma = problem.destruction(k)
        b = problem.loss(k)
        q = problem.source(k)
        diag_extra = vol * (gamma + alpha * b / (h * e[k]))
        rhs = vol * (q + (b1 * g1 + b2 * g2) / (h * e[k]))
        m = assemble(grid, t_r, t_z, diag_extra)
        ctx = f"species {problem.name} at {e[k]:.4g} GeV/n on a {grid.nr}x{grid.nz} grid"
        u = solver.solve(m, to_unknowns(grid, rhs), ctx)
        n_k = to_full(grid, u)
        if not np.all(np.isfinite(n_k)):
            raise SolverError(f"non-finite density for {ctx}")
        dens[k] = n_k
        injected[k] = float(np.sum((vol * q)[grid.interior]))
        escaped[k] = boundary_outflow(grid, t_r, t_z, n_k)
        destroyed[k] = float(np.sum(vol * gamma * n_k))
        g2, g1 = g1, b * n_k
        if progress is not None:
            progress()
    return MarchResult(dens, injected, escaped, destroyed)
