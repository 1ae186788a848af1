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
volumes), solved by a sparse LDL^T factorisation (SuperLU's LU with a wind:
:mod:`escapade.transport.factorization`); neighbouring energies reuse the last
factorisation as a preconditioner for conjugate gradients (BiCGSTAB when a wind
makes the matrix non-symmetric), refactorising only when that fails to converge
within a few iterations. Every solve's residual is checked, and every density for
finiteness and positivity.

An energy whose inputs are mirror-symmetric in z is solved on the half z >= 0, an exact
reduction (``[solver] z_symmetry``, :mod:`escapade.transport.zmirror`).

The species of a network are marched by
:func:`~escapade.transport.network_march.march_network` as a pipeline on ``[solver]
threads`` worker processes (forked; SuperLU holds the GIL, so threads would not run side by
side): a species goes down in energy as soon as its parents have passed each energy.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse.linalg as spla

from ..grid import Grid
from .factorization import SPLU, factorize
from .krylov import bicgstab, pcg
from .operator import (
    FaceGeometry,
    boundary_outflow,
    conductances,
    to_unknowns,
)
from .superlu import factorize_many
from .zmirror import WholeGrid, ZMirror

SCHEMES = {"bdf2": (1.5, 2.0, -0.5), "upwind": (1.0, 1.0, 0.0)}
PLANE_STRIDE = 3
"""The coupled solve factorises every PLANE_STRIDE-th energy plane for its preconditioner."""
UPWARD_MIN = 1e-3
"""Planes whose downward (reacceleration) coupling is below this fraction of their diagonal
skip the upward half-sweep of the preconditioner."""


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the OS tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def default_threads() -> int:
    """Threads of a network march when ``[solver] threads`` is unset: the available cores,
    but 1 inside a dask worker (a scan or a sampler already runs one model per core)."""
    dist = sys.modules.get("distributed")
    if dist is not None:
        try:
            dist.get_worker()
            return 1
        except ValueError:
            pass
    return available_cores()


class SolverError(RuntimeError):
    """A linear solve that did not reach its tolerance, or produced a non-finite density."""


@dataclass
class SolveStats:
    """Counters of the linear algebra, for diagnostics and benchmarks."""

    factorizations: int = 0
    cg_solves: int = 0
    cg_iterations: int = 0
    max_relative_residual: float = 0.0
    krylov_iterations: int = 0
    half_solves: int = 0
    """Energy solves (or coupled solves) done on the half z >= 0 by mirror symmetry."""


@dataclass
class ReusingSolver:
    """Solves M x = b for a sequence of similar SPD matrices.

    Keeps one sparse factorisation per key (an energy index and a family of species)
    and uses it to precondition conjugate gradients for the other matrices of that key
    (the other species at the same energy per nucleon, and the same species at the next
    parameter point of a fit or scan); a matrix for which CG needs more than
    ``max_cg_iterations`` is factorised and replaces the key's factorisation. Each worker
    of :func:`~escapade.transport.network_march.march_network` has its own copy (forked).
    """

    rtol: float = 1e-10
    coupled_rtol: float = 1e-8
    """Relative residual of the coupled reacceleration solve (GMRES): the discretisation
    error of the (R, z, E) system is ~1e-4, and observables change by < 1e-7 between 1e-8
    and 1e-10 while GMRES needs ~20 % fewer iterations."""
    max_cg_iterations: int = 9
    """Beyond this m is factorised (in place of the key's factorisation where it has one).
    CG starts from x0 = 0. Warm solve, one worker (session 31), with 5 / 7 / 8 / 9: Z <= 14
    on 81 x 81 x 64 3.64 / 3.02 / 3.05 / 3.02 s, Z <= 28 on 81 x 161 x 64 16.7 / 14.6 /
    15.1 / 15.0 s; but fewer iterations keep more energies' factorisations (Z <= 14: 90 / 70
    / 55 for 7 / 8 / 9, ~2.7 MB each on the full grid: peak RSS 521 / 468 / 428 MB)."""
    factorization: str = "ldl"
    """Of a symmetric m: ``ldl`` or ``superlu`` (:mod:`escapade.transport.factorization`)."""
    z_symmetry: str = "auto"
    """``auto``: energies (coupled solve: all) with mirror-symmetric inputs are solved on the
    half z >= 0, the same discrete solution (:class:`ZMirror`); ``off``: the full grid."""
    stats: SolveStats = field(default_factory=SolveStats)
    _cache: dict = field(default_factory=dict)
    _coupled: dict = field(default_factory=dict)
    """Plane factorisations of the last coupled (reacceleration) solve, by group and grid."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def _count(self, factorizations=0, cg_solves=0, cg_iterations=0, residual=0.0, half=0):
        with self._lock:
            st = self.stats
            st.half_solves += half
            st.factorizations += factorizations
            st.cg_solves += cg_solves
            st.cg_iterations += cg_iterations
            st.max_relative_residual = max(st.max_relative_residual, residual)

    def solve(
        self,
        m,
        b: np.ndarray,
        context: str,
        symmetric: bool = True,
        key=None,
        state: dict | None = None,
    ) -> np.ndarray:
        """Solve m x = b; ``symmetric=False`` (a wind) uses BiCGSTAB instead of CG.

        ``key`` (energy index, family) selects the preconditioner: the factorisation kept
        for it (made for another species at the same energy per nucleon, or in an earlier
        solve of a fit: nearly the same operator), else ``state["lu"]``, the one the same
        march used at the previous energy. When there is none, or the Krylov solve needs
        more than ``max_cg_iterations``, m is factorised and solved directly (with one
        step of iterative refinement), and its factorisation becomes the key's. So the
        choice depends only on the earlier solves of the same key and on the march's own
        history, not on the order threads run in
        (:func:`~escapade.transport.network_march.march_network` orders the solves of a key as
        the serial march does).
        """
        state = {} if state is None else state
        bnorm = float(np.linalg.norm(b))
        if bnorm == 0.0:
            return np.zeros_like(b)
        x = None
        lu = self._cache.get(key) if key is not None else None
        lu = lu if lu is not None else state.get("lu")
        if lu is not None:
            if symmetric:
                x, iters = pcg(m, b, lu.solve, self.rtol * bnorm, self.max_cg_iterations)
            else:
                x, iters = bicgstab(m, b, lu, self.rtol, self.max_cg_iterations)
            self._count(cg_solves=int(x is not None), cg_iterations=iters)
        if x is None:
            lu = self._refactor(m, symmetric, key, lu)
            self._count(factorizations=1)
            x = lu.solve(b)
            # one step of iterative refinement
            x = x + lu.solve(b - m @ x)
            if key is not None:
                self._cache[key] = lu
        state["lu"] = lu
        res = float(np.linalg.norm(m @ x - b)) / bnorm
        self._count(residual=res)
        if not np.isfinite(res) or res > max(100.0 * self.rtol, 1e-8):
            raise SolverError(
                f"linear solve did not converge for {context}: relative residual {res:.2e} "
                f"(tolerance {self.rtol:.1e})"
            )
        return x

    def _refactor(self, m, symmetric: bool, key, failed):
        """A factorisation of m: made in place of ``failed`` when that is the key's own
        (it is about to be replaced; QDLDL keeps its ordering and symbolic analysis), else
        new. Only the key's entry refers to it besides this march: each worker marches its
        species one after the other, so no other march in progress holds it."""
        if failed is not None and self._cache.get(key) is failed and symmetric:
            if hasattr(failed, "refactor") and failed.refactor(m):
                return failed
            del self._cache[key]  # a failed in-place update leaves no usable factors
        return factorize(m, symmetric, self.factorization)  # made and freed on this thread


def check_density(n: np.ndarray, context: str) -> None:
    """Raise :class:`SolverError` for a non-finite or negative density."""
    if not np.all(np.isfinite(n)):
        raise SolverError(f"non-finite density for {context}")
    scale = float(np.max(np.abs(n))) if n.size else 0.0
    if scale > 0 and float(np.min(n)) < -1e-9 * scale:
        raise SolverError(
            f"negative density ({float(np.min(n)):.3e}, peak {scale:.3e}) for {context}; "
            "the energy-loss step is too coarse for BDF2 here: refine grid.n_ekin or set "
            "solver.energy_scheme = 'upwind'"
        )


@dataclass
class SpeciesProblem:
    """Everything the march needs for one species, per energy index k.

    Callables return arrays on all nodes (nr, nz) or faces, internal units:
    ``diffusion(k)`` -> (D on radial faces (nr-1, nz), D on vertical faces (nr, nz-1))
    in kpc^2/Myr; ``destruction(k)`` -> Gamma in 1/Myr; ``loss(k)`` -> b in
    GeV/n per Myr; ``source(k)`` -> Q in 1/(cm^3 GeV/n Myr) (control-volume average).
    Optional: ``flow_z`` (nr, nz-1), the wind's volume flow through the vertical
    faces (kpc^3/Myr); ``energy_diffusion(k)`` -> K = beta p^2 D_pp (GeV^4/Myr) on
    the nodes at the energy face between k and k+1 (k = n_ekin-1: the face above the
    grid, where N = 0), with ``energy_weight`` = beta/p^2 per energy (GeV^-2): the
    reacceleration term (see :mod:`escapade.transport.reacceleration`).
    """

    name: str
    diffusion: Callable[[int], tuple[np.ndarray, np.ndarray]]
    destruction: Callable[[int], np.ndarray]
    loss: Callable[[int], np.ndarray]
    source: Callable[[int], np.ndarray]
    flow_z: np.ndarray | None = None
    family: str = "stable"
    """Species of one family share preconditioners (stable nuclei; radioactive ones)."""
    energy_diffusion: Callable[[int], np.ndarray] | None = None
    energy_weight: np.ndarray | None = None
    initial: np.ndarray | None = None
    """A guess of the density (n_ekin, nr, nz): the coupled solve's GMRES starts from it."""


@dataclass
class MarchResult:
    """Density on all nodes (n_ekin, nr, nz) and the per-energy particle budget."""

    density: np.ndarray
    injected: np.ndarray
    escaped: np.ndarray
    destroyed: np.ndarray

    @classmethod
    def empty(cls, grid: Grid) -> MarchResult:
        ne = grid.n_ekin
        return cls(np.zeros((ne, grid.nr, grid.nz)), np.zeros(ne), np.zeros(ne), np.zeros(ne))


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
    if problem.energy_diffusion is not None:
        return march_coupled(grid, problem, scheme, solver, progress)
    out = MarchResult.empty(grid)
    _march_into(out, grid, problem, scheme, solver or ReusingSolver(), progress)
    return out


def _march_into(
    out: MarchResult,
    grid: Grid,
    problem: SpeciesProblem,
    scheme: str,
    solver: ReusingSolver,
    progress: Callable[[], None] | None = None,
    wait: Callable[[int], None] | None = None,
    done: Callable[[int], None] | None = None,
) -> None:
    """The energy march of :func:`march`, filling ``out`` in place: ``wait(k)`` is called
    before energy k is solved (its source may read other species at k), ``done(k)`` once
    ``out`` holds it."""
    geom = FaceGeometry(grid)
    vol = grid.volume_kpc3
    inside = grid.interior
    e = grid.ekin_gev_per_n
    h = grid.dlnekin
    ne = grid.n_ekin
    g1 = np.zeros((grid.nr, grid.nz))
    g2 = np.zeros((grid.nr, grid.nz))
    sym = problem.flow_z is None
    states: dict = {(): {}, ("half",): {}}  # the preconditioner of the previous energy
    whole = WholeGrid(grid)
    mirror = ZMirror.of(grid, problem.flow_z) if solver.z_symmetry == "auto" else None
    for k in range(ne - 1, -1, -1):
        alpha, b1, b2 = SCHEMES[scheme] if k <= ne - 3 else SCHEMES["upwind"]
        d_r, d_z = problem.diffusion(k)
        t_r, t_z = conductances(geom, d_r, d_z)
        gamma = problem.destruction(k)
        b = problem.loss(k)
        if wait is not None:
            wait(k)
        q = problem.source(k)
        diag_extra = vol * (gamma + alpha * b / (h * e[k]))
        rhs = vol * (q + (b1 * g1 + b2 * g2) / (h * e[k]))
        ctx = f"species {problem.name} at {e[k]:.4g} GeV/n on a {grid.nr}x{grid.nz} grid"
        on = mirror if mirror and mirror.applies(diag_extra, rhs, t_r, t_z) else whole
        m, b_k = on.system(t_r, t_z, diag_extra, rhs, problem.flow_z)  # on z >= 0 if mirror
        key = (k, problem.family, *on.tag)
        u = solver.solve(m, b_k, ctx, symmetric=sym, key=key, state=states[on.tag])
        solver._count(half=len(on.tag))
        n_k = on.density(u)
        check_density(n_k, ctx)
        out.density[k] = n_k
        out.injected[k] = float(np.sum((vol * q)[inside]))
        out.escaped[k] = boundary_outflow(grid, t_r, t_z, n_k, problem.flow_z)
        out.destroyed[k] = float(np.sum(vol * gamma * n_k))
        g2, g1 = g1, b * n_k
        if done is not None:
            done(k)
        if progress is not None:
            progress()


def _energy_steps(grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    """Energy spacings below and above each node, with a ghost node above the grid."""
    e = grid.ekin_gev_per_n
    e_ext = np.append(e, e[-1] * np.exp(grid.dlnekin))
    above = np.diff(e_ext)
    below = np.empty_like(e)
    below[0] = np.inf  # no flux through the bottom of the grid
    below[1:] = np.diff(e)
    return below, above


def march_coupled(
    grid: Grid, problem: SpeciesProblem, scheme: str, solver, progress
) -> MarchResult:
    """Solve the coupled (R, z, E) system of one species with reacceleration (called by
    :func:`march`, whose arguments it takes).

    Diffusion in momentum couples every energy to its neighbours in both directions,
    so the energy march becomes a preconditioner: GMRES on the whole system, each
    iteration preconditioned by a symmetric block Gauss-Seidel sweep in energy (downward
    block back-substitution, then an upward correction) with sparse LU factorisations of
    the energy planes' 2D blocks (shared between species and strided in energy, see
    below; the preconditioner only has to be close to the operator, the residual of the
    whole system is checked against ``solver.coupled_rtol``). In the energy direction the
    reacceleration term is the conservative difference

        [K_{k+1/2} (u_{k+1} - u_k) / dE_+ - K_{k-1/2} (u_k - u_{k-1}) / dE_-] / (h E_k),

    u = beta N / p^2, with the cell width h E_k of the loss term so that both
    telescope with the same weights (no flux through the bottom; N = 0 above the top).

    If every energy plane is mirror-symmetric in z (``solver.z_symmetry`` "auto"), the
    system is solved on z >= 0 (:class:`ZMirror` per plane; the couplings between planes
    are diagonal and volume-weighted, so their mid-plane rows are halved like the diagonal).
    """
    solver = solver or ReusingSolver()
    system = _CoupledSystem(grid, problem, scheme, progress, solver.z_symmetry == "auto")
    x = _solve_coupled(system, problem, solver)
    ne, n, e = grid.n_ekin, system.n, grid.ekin_gev_per_n
    dens = np.stack([system.on.density(x[k * n : (k + 1) * n]) for k in range(ne)])
    solver._count(half=len(system.on.tag))
    for k in range(ne):
        check_density(dens[k], f"species {problem.name} at {e[k]:.4g} GeV/n (reacceleration)")
    vol, inside = grid.volume_kpc3, grid.interior
    injected = np.array([float(np.sum((vol * problem.source(k))[inside])) for k in range(ne)])
    escaped = np.array(
        [boundary_outflow(grid, *system.t_all[k], dens[k], problem.flow_z) for k in range(ne)]
    )
    destroyed = np.array([float(np.sum(vol * problem.destruction(k) * dens[k])) for k in range(ne)])
    return MarchResult(dens, injected, escaped, destroyed)


class _CoupledSystem:
    """The (R, z, E) system of one species with reacceleration: the energy planes' 2D
    blocks, their couplings to the planes above (loss and diffusion in momentum) and below
    (diffusion in momentum), and the right-hand side. With ``half`` and every plane
    mirror-symmetric in z, all of them on the half grid z >= 0 (``on``: a :class:`ZMirror`,
    else a :class:`WholeGrid`; ``on.space`` is the grid of the unknowns)."""

    def __init__(
        self, grid: Grid, problem: SpeciesProblem, scheme: str, progress, half: bool = False
    ):
        self.grid = grid
        geom = FaceGeometry(grid)
        vol = grid.volume_kpc3
        e, h, ne = grid.ekin_gev_per_n, grid.dlnekin, grid.n_ekin
        w = np.asarray(problem.energy_weight, dtype=float)
        below, above = _energy_steps(grid)
        kface = [problem.energy_diffusion(k) for k in range(ne)]  # face k+1/2
        b_all = [problem.loss(k) for k in range(ne)]
        # every plane on all nodes first: whether the system is mirror-symmetric
        planes, self.t_all = [], []
        for k in range(ne):
            alpha, b1, b2 = SCHEMES[scheme] if k <= ne - 3 else SCHEMES["upwind"]
            d_r, d_z = problem.diffusion(k)
            t_r, t_z = conductances(geom, d_r, d_z)
            self.t_all.append((t_r, t_z))
            gamma = problem.destruction(k)
            hek = h * e[k]
            k_up = kface[k] / (above[k] * hek)
            k_dn = kface[k - 1] / (below[k] * hek) if k > 0 else np.zeros_like(k_up)
            diag_extra = vol * (gamma + alpha * b_all[k] / hek + (k_up + k_dn) * w[k])
            # volume times the couplings to the planes k+1, k+2 (upper) and k-1 (lower)
            plane = {"diag": diag_extra, "rhs": vol * problem.source(k)}
            if k + 1 < ne:
                plane[k + 1] = vol * (b1 * b_all[k + 1] / hek + k_up * w[k + 1])
            if k + 2 < ne and b2 != 0.0:
                plane[k + 2] = vol * (b2 * b_all[k + 2] / hek)
            if k > 0:
                plane[k - 1] = vol * (k_dn * w[k - 1])
            planes.append(plane)
            if progress is not None:
                progress()
        mirror = ZMirror.of(grid, problem.flow_z) if half else None
        arrays = [a for t in self.t_all for a in t] + [a for p in planes for a in p.values()]
        self.on = on = mirror if mirror and mirror.applies(*arrays) else WholeGrid(grid)
        space, nodes = on.space, on.nodes
        self.ne, self.n = ne, (space.nr - 1) * (space.nz - 2)
        n = self.n
        self.mats, self.upper, self.lower = [], {}, {}
        self.rhs = np.zeros(ne * n)
        for k, ((t_r, t_z), plane) in enumerate(zip(self.t_all, planes, strict=True)):
            mat, self.rhs[k * n : (k + 1) * n] = on.system(
                t_r, t_z, plane["diag"], plane["rhs"], problem.flow_z
            )
            self.mats.append(mat)
            for j in (k + 1, k + 2, k - 1):
                if j in plane:
                    part = self.upper if j > k else self.lower
                    part[(k, j)] = -to_unknowns(space, nodes(plane[j]))
        # the upward half-sweep is skipped on planes whose downward coupling is negligible
        # (high energies: reacceleration falls as 1/D); a fixed choice, so the
        # preconditioner stays one linear operator
        diag = [m.diagonal() for m in self.mats]
        self.upward = [
            k
            for k in range(1, ne)
            if float(np.max(np.abs(self.lower[(k, k - 1)]) / diag[k])) > UPWARD_MIN
        ]

    def matvec(self, x):
        n, y = self.n, np.empty_like(x)
        for k in range(self.ne):
            sl = slice(k * n, (k + 1) * n)
            yk = self.mats[k] @ x[sl]
            for j in (k + 1, k + 2):
                if (k, j) in self.upper:
                    yk += self.upper[(k, j)] * x[j * n : (j + 1) * n]
            if (k, k - 1) in self.lower:
                yk += self.lower[(k, k - 1)] * x[(k - 1) * n : k * n]
            y[sl] = yk
        return y

    def sweep(self, lus):
        """Symmetric block Gauss-Seidel: downward sweep (D + U), then upward (D + L) D^-1."""
        n = self.n

        def apply(r):
            x = np.zeros_like(r)
            for k in range(self.ne - 1, -1, -1):
                rk = r[k * n : (k + 1) * n].copy()
                for j in (k + 1, k + 2):
                    if (k, j) in self.upper:
                        rk -= self.upper[(k, j)] * x[j * n : (j + 1) * n]
                x[k * n : (k + 1) * n] = lus[k].solve(rk)
            for k in self.upward:
                corr = self.lower[(k, k - 1)] * x[(k - 1) * n : k * n]
                x[k * n : (k + 1) * n] -= lus[k].solve(corr)
            return x

        return apply

    def factorize(self, stride: int, solver: ReusingSolver):
        """LU of every ``stride``-th plane (and the top one); plane k uses the next one up."""
        ne = self.ne
        owner = [min(stride * -(-k // stride), ne - 1) for k in range(ne)]
        at = sorted(set(owner))
        # SuperLU releases the GIL: factorise the energy blocks on all cores
        lus = factorize_many([self.mats[j] for j in at], available_cores(), **SPLU)
        made = dict(zip(at, lus, strict=True))
        solver.stats.factorizations += len(made)
        return [made[j] for j in owner]


def _solve_coupled(system: _CoupledSystem, problem: SpeciesProblem, solver: ReusingSolver):
    """GMRES on the coupled system, preconditioned by the block sweep; the solution vector.

    Plane factorisations are kept and shared between the species of one group on one grid
    (at the same energy per nucleon their blocks differ by the rigidity and the
    destruction rate), and only every PLANE_STRIDE-th plane is factorised: the
    preconditioner needs blocks close to, not equal to, the true ones (letter grid,
    v_A = 20 km/s: 28 iterations for 4He with its own 64 LUs, 27 with every third, 20 for
    1H and pbar with those of 4He). GMRES gets a reduced budget with them; if that fails,
    every plane of this species is factorised and GMRES goes on from where it stopped.
    """
    grid, ne, rhs = system.on.space, system.ne, system.rhs
    size = rhs.size
    a_op = spla.LinearOperator((size, size), matvec=system.matvec, dtype=float)
    bnorm = float(np.linalg.norm(rhs))
    guess = None
    if problem.initial is not None:
        guess = np.concatenate([system.on.unknowns(problem.initial[k]) for k in range(ne)])
    key = ("lepton" if problem.family == "lepton" else "nucleus", grid.nr, grid.nz, ne)
    lus = solver._coupled.get(key)
    total = 0
    for final in (False, True):
        if final or lus is None:
            lus = system.factorize(1 if final else PLANE_STRIDE, solver)
            solver._coupled = {key: lus}  # one set kept (each LU ~6 MB at 81 x 161)
        sweep = system.sweep(lus)
        if guess is None:
            x0 = sweep(rhs)
        else:
            x0 = guess + sweep(rhs - system.matvec(guess))
        m_op = spla.LinearOperator((size, size), matvec=sweep, dtype=float)
        iters = [0]

        def count(_, iters=iters):
            iters[0] += 1

        x, info = spla.gmres(
            a_op,
            rhs,
            x0=x0,
            M=m_op,
            rtol=solver.coupled_rtol,
            atol=0.0,
            restart=40,
            maxiter=10 if final else 4,
            callback=count,
            callback_type="pr_norm",
        )
        total += iters[0]
        res = float(np.linalg.norm(system.matvec(x) - rhs)) / bnorm if bnorm > 0 else 0.0
        if np.isfinite(res) and res <= max(100.0 * solver.coupled_rtol, 1e-8):
            break
        guess = x
    solver.stats.cg_iterations += total
    solver.stats.max_relative_residual = max(solver.stats.max_relative_residual, res)
    solver.stats.krylov_iterations += total
    if not np.isfinite(res) or res > max(100.0 * solver.coupled_rtol, 1e-8):
        raise SolverError(
            f"reacceleration solve (GMRES) did not converge for species {problem.name} on a "
            f"{system.grid.nr}x{system.grid.nz}x{ne} grid: relative residual {res:.2e} after "
            f"{total} iterations (tolerance {solver.coupled_rtol:.1e})"
        )
    return x
