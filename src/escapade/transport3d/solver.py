"""Steady solve per energy on the 3D grid: algebraic multigrid preconditioned Krylov.

Per energy the steady transport equation of one species is the linear system

    (A + diag(d)) u = r,

A the volume-integrated diffusion operator of :mod:`escapade.transport3d.operator`
(kpc^3/Myr), d = V (Gamma + extra) the destruction rate and any implicit energy-loss term
times the control volume (kpc^3/Myr), r = V Q (plus the loss term's inflow from the
energy above), u the density on the unknowns. For the symmetric schemes the matrix is
symmetric positive definite and is solved by conjugate gradients preconditioned by one
V-cycle of smoothed-aggregation algebraic multigrid (Vanek, Mandel & Brezina 1996,
Computing 56, 179; pyamg, Bell, Olson & Schroder 2022, J. Open Source Softw. 7, 4142);
classical Ruge-Stueben AMG (Ruge & Stueben 1987) is the alternative (``method="rs"``),
GMRES the Krylov method for a non-symmetric matrix.

Between energies A changes by a scalar rigidity scaling per part and d changes, so the
multigrid hierarchy built for one energy preconditions the next ones: :class:`AMGSolver`
keeps it and rebuilds only when CG needs more than ``rebuild_factor`` times the
iterations it took right after the last setup (CG then continues from the iterate it
reached). Every solve's relative residual
||r - M u|| / ||r|| is computed afresh and checked against the tolerance; a failure, a
non-finite density, or a matrix that is not square raises
:class:`escapade.transport.solver.SolverError` with the context. The most negative
density relative to the peak is reported (the symmetric schemes are not monotone).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pyamg
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ..grid3d import Grid3D
from ..transport.solver import SolverError

METHODS = ("sa", "rs")
RTOL_3D = 1e-6
"""Default relative residual of the 3D steady solves (``[solver] rtol`` overrides it when
set to another value than its default, 1e-8, the 2D engine's;
:func:`escapade.model.model3d.rtol_3d`). Measured on the 3D preset (p + He, 41 x 41 x 21,
16 energies; docs/transport3d.md): against solves at 1e-10 the local fluxes differ by
1.7e-7, the dipole amplitudes by 1.7e-6 and the z = 0 densities by 3.9e-7 of their peak,
far below the grid's discretisation error (percent), for 39 % fewer CG iterations than at
1e-8 (4684 against 7679; 10650 at 1e-10)."""


@dataclass
class SolveStats3D:
    """Counters of the 3D linear algebra, for diagnostics and benchmarks."""

    solves: int = 0
    amg_setups: int = 0
    iterations: int = 0
    max_relative_residual: float = 0.0
    min_over_max: float = 0.0
    """The most negative density over the peak density seen (0 if never negative)."""
    setup_seconds: float = 0.0
    solve_seconds: float = 0.0


@dataclass
class SteadyResult:
    """One steady solve: the density on the unknowns and its diagnostics."""

    u: np.ndarray
    relative_residual: float
    iterations: int
    min_over_max: float
    """min(u) / max(|u|) (negative where the scheme undershoots)."""
    rebuilt: bool
    min_index: int = -1
    """Index among the unknowns of the minimum of u (``grid.mesh()`` coordinates at
    ``grid.inside``): where an undershoot is."""


@dataclass
class AMGSolver:
    """Solves (A + diag(d)) u = r for a sequence of similar matrices, reusing the AMG setup.

    ``rtol``: relative residual to reach; ``method``: "sa" (smoothed aggregation) or "rs"
    (Ruge-Stueben); ``max_iterations``: Krylov iterations allowed after a fresh setup;
    ``rebuild_factor``: a reused hierarchy is abandoned (and rebuilt) when the solve needs
    more than this times the iterations of the solve right after the last setup (at least
    ``min_reuse_iterations``).
    """

    rtol: float = RTOL_3D
    method: str = "sa"
    max_iterations: int = 3000
    rebuild_factor: float = 2.0
    min_reuse_iterations: int = 15
    stats: SolveStats3D = field(default_factory=SolveStats3D)
    _ml: object = None
    _baseline: int = 0

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"AMG method {self.method!r} unknown; allowed: {', '.join(METHODS)}")

    def reset(self) -> None:
        """Forget the hierarchy (the next solve sets up a new one)."""
        self._ml = None
        self._baseline = 0

    def _setup(self, m: sp.csr_matrix, symmetric: bool) -> None:
        t0 = time.perf_counter()
        sym = "symmetric" if symmetric else "nonsymmetric"
        if self.method == "sa":
            self._ml = pyamg.smoothed_aggregation_solver(m, symmetry=sym, max_coarse=500)
        else:
            self._ml = pyamg.ruge_stuben_solver(m, max_coarse=500)
        self.stats.amg_setups += 1
        self.stats.setup_seconds += time.perf_counter() - t0

    def _krylov(self, m, rhs, x0, maxiter: int, symmetric: bool):
        pre = self._ml.aspreconditioner(cycle="V")
        iters = [0]

        def count(_):
            iters[0] += 1

        kw = dict(x0=x0, rtol=self.rtol, atol=0.0, M=pre, maxiter=maxiter, callback=count)
        if symmetric:
            x, info = spla.cg(m, rhs, **kw)
        else:
            x, info = spla.gmres(m, rhs, restart=50, callback_type="pr_norm", **kw)
        return x, info, iters[0]

    def solve(
        self,
        m: sp.csr_matrix,
        rhs: np.ndarray,
        context: str,
        symmetric: bool = True,
        x0: np.ndarray | None = None,
    ) -> tuple[np.ndarray, int, bool]:
        """Solve m x = rhs; returns (x, iterations, whether the hierarchy was rebuilt)."""
        t0 = time.perf_counter()
        rebuilt, total, x, info = False, 0, None, 1
        if self._ml is not None:
            budget = max(int(self.rebuild_factor * self._baseline), self.min_reuse_iterations)
            x, info, n_it = self._krylov(m, rhs, x0, budget, symmetric)
            total += n_it
        if info != 0:
            self._setup(m, symmetric)
            rebuilt = True
            # continue from where the reused hierarchy stopped: its iterations are not lost
            start = x if x is not None and np.all(np.isfinite(x)) else x0
            x, info, n_it = self._krylov(m, rhs, start, self.max_iterations, symmetric)
            total += n_it
            # the iterations of this solve from its start (those before the rebuild count)
            self._baseline = total
        self.stats.iterations += total
        self.stats.solve_seconds += time.perf_counter() - t0
        if info != 0:
            res = relative_residual(m, x, rhs)
            raise SolverError(
                f"AMG-preconditioned {'CG' if symmetric else 'GMRES'} did not converge for "
                f"{context}: relative residual {res:.2e} after {total} iterations "
                f"(tolerance {self.rtol:.1e})"
            )
        return x, total, rebuilt


def relative_residual(m, x: np.ndarray, rhs: np.ndarray) -> float:
    """||rhs - m x|| / ||rhs|| (0 for a zero right-hand side and solution)."""
    bnorm = float(np.linalg.norm(rhs))
    rnorm = float(np.linalg.norm(rhs - m @ x))
    return rnorm / bnorm if bnorm > 0 else rnorm


def galerkin_guess(m, rhs: np.ndarray, vectors) -> np.ndarray | None:
    """The combination x = V c of the columns of ``vectors`` (densities already solved,
    e.g. at the two energies above) that minimises the energy norm of the error of
    m x = rhs: (V^T m V) c = V^T rhs (the Galerkin projection; for a symmetric positive
    definite m no other x in span(V) is closer to the solution in that norm). Vectors that
    are zero or linearly dependent are dropped; returns None if none is left."""
    cols = [np.asarray(v, dtype=float) for v in vectors if v is not None and np.any(v)]
    if not cols:
        return None
    v = np.column_stack(cols)
    mv = np.column_stack([m @ c for c in cols])
    gram = v.T @ mv
    proj = v.T @ rhs
    # dependent columns: solve in the least-squares sense, tiny singular values cut
    c, *_ = np.linalg.lstsq(gram, proj, rcond=1e-12)
    x = v @ c
    return x if np.all(np.isfinite(x)) else None


def solve_steady(
    grid: Grid3D,
    matrix: sp.spmatrix,
    diagonal: np.ndarray,
    rhs: np.ndarray,
    rtol: float = RTOL_3D,
    solver: AMGSolver | None = None,
    x0: np.ndarray | None = None,
    symmetric: bool = True,
    context: str = "",
    guesses=None,
) -> SteadyResult:
    """Solve (matrix + diag(diagonal)) u = rhs on the unknowns of ``grid``.

    ``matrix``: the operator's volume-integrated matrix (kpc^3/Myr, (n, n), e.g.
    :attr:`Operator3D.matrix` scaled to this energy); ``diagonal``: V (Gamma + extra), a
    scalar or (n,) (kpc^3/Myr); ``rhs``: V Q (n,) (density units times kpc^3/Myr).
    ``solver`` keeps the AMG hierarchy between calls (a fresh one is made if omitted; its
    ``rtol`` then is ``rtol``). ``guesses``: densities solved before (e.g. at the
    neighbouring energies); the initial iterate is then their Galerkin-optimal combination
    (:func:`galerkin_guess`) instead of ``x0``. Raises :class:`SolverError` when the residual is not
    reached or the density is not finite; negativity is reported, not raised.
    """
    n = grid.n_unknowns
    if matrix.shape != (n, n):
        raise SolverError(f"matrix of shape {matrix.shape} for a grid with {n} unknowns")
    rhs = np.asarray(rhs, dtype=float)
    if rhs.shape != (n,):
        raise SolverError(f"right-hand side of shape {rhs.shape} for {n} unknowns")
    solver = solver or AMGSolver(rtol=rtol)
    ctx = context or f"a {grid.nxy}x{grid.nxy}x{grid.nz} grid"
    diag = np.broadcast_to(np.asarray(diagonal, dtype=float), (n,))
    if not (np.all(np.isfinite(diag)) and np.all(np.isfinite(rhs))):
        raise SolverError(f"non-finite diagonal or source for {ctx}")
    m = (sp.csr_matrix(matrix) + sp.diags(diag)).tocsr()
    if not np.any(rhs):
        return SteadyResult(np.zeros(n), 0.0, 0, 0.0, False)
    if guesses is not None and symmetric:
        x0 = galerkin_guess(m, rhs, guesses)
    u, iters, rebuilt = solver.solve(m, rhs, ctx, symmetric=symmetric, x0=x0)
    res = relative_residual(m, u, rhs)
    solver.stats.solves += 1
    solver.stats.max_relative_residual = max(solver.stats.max_relative_residual, res)
    if not np.all(np.isfinite(u)) or not np.isfinite(res):
        raise SolverError(f"non-finite density from the 3D solve for {ctx}")
    if res > max(10.0 * solver.rtol, 1e-12):
        raise SolverError(
            f"3D solve for {ctx}: relative residual {res:.2e} above the tolerance {solver.rtol:.1e}"
        )
    peak = float(np.max(np.abs(u)))
    where = int(np.argmin(u))
    ratio = float(u[where]) / peak if peak > 0 else 0.0
    solver.stats.min_over_max = min(solver.stats.min_over_max, ratio)
    return SteadyResult(u, res, iters, ratio, rebuilt, where)
