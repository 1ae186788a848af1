"""Steady state of one species on the 3D grid at every energy: the energy march.

The same equation and energy scheme as the 2D engine (:mod:`escapade.transport.solver`):

    -div(D grad N) + Gamma N - d(b N)/dE = Q,

marched downwards in energy from N = 0 above the grid with the L-stable second-order
backward differentiation formula in y = -ln E (the first two steps by backward Euler):

    [A_k + V (Gamma_k + alpha b_k / (h E_k))] N_k = V [Q_k + (beta1 G_{k+1} + beta2 G_{k+2})
    / (h E_k)],   G = b N,

with A_k the volume-integrated anisotropic operator of :mod:`escapade.transport3d.operator`
at energy k. Because D_perp and D_par each factor into a function of position and a
function of rigidity and velocity (:func:`escapade.transport3d.coefficients.diffusion_fields`),
A_k = s_perp(E_k) A_perp + s_par(E_k) A_par with the two parts assembled once per species.
Each energy is one symmetric linear system, solved by algebraic-multigrid preconditioned
conjugate gradients (:class:`escapade.transport3d.solver.AMGSolver`), whose hierarchy is
reused across energies and species while it keeps converging.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..grid3d import Grid3D
from ..transport.solver import SCHEMES
from .operator import Operator3D, assemble_parts, combine, corner_geometry, parallel_update
from .solver import AMGSolver, solve_steady

GUESSES = 2
"""The initial iterate of each energy's solve is the Galerkin-optimal combination of the
densities at this many energies above (:func:`escapade.transport3d.solver.galerkin_guess`)."""


@dataclass
class SpeciesProblem3D:
    """What the march needs for one species; arrays on the unknowns (n_unknowns,).

    ``operator(k)``: the volume-integrated diffusion operator at energy index k
    (kpc^3/Myr; see :class:`OperatorCache`); ``destruction(k)`` Gamma (1/Myr); ``loss(k)`` b
    (GeV/n per Myr); ``source(k)`` Q (1/(cm^3 GeV/n Myr)).
    """

    name: str
    operator: Callable[[int], Operator3D]
    destruction: Callable[[int], np.ndarray]
    loss: Callable[[int], np.ndarray]
    source: Callable[[int], np.ndarray]


@dataclass
class MarchResult3D:
    """Density on the unknowns (n_ekin, n_unknowns) and the per-energy particle budget
    (particles per (GeV/n) per Myr per cm^3 kpc^3), with the scheme's undershoot."""

    density: np.ndarray
    injected: np.ndarray
    escaped: np.ndarray
    destroyed: np.ndarray
    min_over_max: float

    @classmethod
    def empty(cls, n_ekin: int, n_unknowns: int, zeros=np.zeros) -> MarchResult3D:
        """A result of zeros; ``zeros(shape)`` makes the arrays (e.g.
        :func:`escapade.transport.forked.shared_zeros`)."""
        budget = zeros((3, n_ekin))
        return cls(zeros((n_ekin, n_unknowns)), budget[0], budget[1], budget[2], 0.0)


def march3d(
    grid: Grid3D,
    ekin_gev_per_n: np.ndarray,
    problem: SpeciesProblem3D,
    scheme: str = "bdf2",
    solver: AMGSolver | None = None,
    progress: Callable[[], None] | None = None,
    *,
    out: MarchResult3D | None = None,
    wait: Callable[[int], None] | None = None,
    done: Callable[[int], None] | None = None,
) -> MarchResult3D:
    """Solve the steady state of one species at every energy (log-spaced ``ekin_gev_per_n``).

    ``out``: a result to fill (arrays of the right shapes, e.g. in shared memory; default a
    new one). ``wait(k)`` is called before energy k's source is read and ``done(k)`` after
    energy k is stored (the pipeline of :mod:`escapade.transport.pipeline`).
    """
    if scheme not in SCHEMES:
        raise ValueError(f"energy scheme {scheme!r} unknown; allowed: {', '.join(SCHEMES)}")
    e = np.asarray(ekin_gev_per_n, dtype=float)
    ne, n = e.size, grid.n_unknowns
    h = float(np.log(e[1] / e[0])) if ne > 1 else 1.0
    vol = grid.unknown_volume_kpc3
    solver = solver or AMGSolver()
    if out is None:
        out = MarchResult3D.empty(ne, n)
    out.min_over_max = 0.0
    g1, g2 = np.zeros(n), np.zeros(n)
    previous: list[np.ndarray] = []
    for k in range(ne - 1, -1, -1):
        alpha, b1, b2 = SCHEMES[scheme] if k <= ne - 3 else SCHEMES["upwind"]
        op = problem.operator(k)
        if wait is not None:
            wait(k)
        gamma, b, q = problem.destruction(k), problem.loss(k), problem.source(k)
        diag = vol * (gamma + alpha * b / (h * e[k]))
        rhs = vol * (q + (b1 * g1 + b2 * g2) / (h * e[k]))
        ctx = (
            f"species {problem.name} at {e[k]:.4g} GeV/n on a {grid.nxy}x{grid.nxy}x{grid.nz} grid"
        )
        res = solve_steady(grid, op.matrix, diag, rhs, solver=solver, context=ctx, guesses=previous)
        u = res.u
        out.density[k] = u
        out.min_over_max = min(out.min_over_max, res.min_over_max)
        out.injected[k] = float(np.sum(vol * q))
        out.escaped[k] = op.outflow(u)
        out.destroyed[k] = float(np.sum(vol * gamma * u))
        g2, g1 = g1, b * u
        previous = [*previous, u][-GUESSES:]  # only these seed the next solve
        if done is not None:
            done(k)
        if progress is not None:
            progress()
    return out


class OperatorCache:
    """The operator at each energy from D_perp and D_par on the nodes (kpc^2/Myr).

    ``fields(k)`` -> (d_perp, d_par) on all nodes. The two parts of the operator are
    assembled for the first energy asked and reused, scaled, as long as the fields stay
    proportional to those they were assembled from (D factors into position x rigidity).
    Where D_par is proportional except on a few nodes (D_par held at D_perp by
    ``diffusion.parallel_floor``, on a set of nodes that changes with energy), the parallel
    part is the scaled reference plus the exact change from the cells touching those nodes
    (:func:`escapade.transport3d.operator.parallel_update`; ``updates`` counts them); if
    more than ``max_changed`` of the nodes differ, or D_perp is not proportional, both parts
    are assembled again (``assemblies`` counts them).
    """

    def __init__(
        self,
        grid: Grid3D,
        b: np.ndarray,
        scheme: str,
        fields,
        rtol: float = 1e-9,
        max_changed: float = 0.3,
    ):
        self.grid, self.b, self.scheme, self.fields, self.rtol = grid, b, scheme, fields, rtol
        self.max_changed = max_changed
        self.reference: tuple[np.ndarray, np.ndarray] | None = None
        self.parts: tuple[Operator3D, Operator3D] | None = None
        self.assemblies = 0
        self.updates = 0
        self._geometry: tuple[np.ndarray, np.ndarray] | None = None

    def _factor(self, now: np.ndarray, ref: np.ndarray) -> float | None:
        peak = float(np.max(ref))
        if peak <= 0.0:
            return None
        s = float(np.max(now)) / peak
        return s if np.allclose(now, s * ref, rtol=self.rtol, atol=0.0) else None

    def _parallel(self, d_par: np.ndarray) -> Operator3D | None:
        """The parallel part for ``d_par`` from the reference, or None if too much changed."""
        ref = self.reference[1]
        if np.any(ref <= 0.0):
            return None
        s = float(np.median(d_par / ref))
        scaled = s * ref
        changed = ~np.isclose(d_par, scaled, rtol=self.rtol, atol=0.0)
        if not np.isfinite(s) or s <= 0.0 or np.mean(changed) > self.max_changed:
            return None
        if self._geometry is None:
            self._geometry = corner_geometry(self.grid, self.b)
        delta = np.where(changed, d_par - scaled, 0.0)
        update = parallel_update(self.grid, delta, self._geometry, self.scheme)
        par = self.parts[1]
        self.updates += 1
        return Operator3D(
            (s * par.matrix + update.matrix).tocsr(),
            (s * par.boundary + update.boundary).tocsr(),
            par.scheme,
        )

    def __call__(self, k: int) -> Operator3D:
        d_perp, d_par = self.fields(k)
        if self.reference is not None:
            s_perp = self._factor(d_perp, self.reference[0])
            if s_perp is not None:
                s_par = self._factor(d_par, self.reference[1])
                if s_par is not None:
                    return combine(self.parts, s_perp, s_par)
                par = self._parallel(np.broadcast_to(d_par, self.grid.shape))
                if par is not None:
                    return combine((self.parts[0], par), s_perp, 1.0)
        self.parts = assemble_parts(self.grid, d_perp, d_par, self.b, self.scheme)
        self.reference = (d_perp, d_par)
        self.assemblies += 1
        return combine(self.parts)
