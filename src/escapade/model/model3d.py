"""The 3D engine's run: a Cartesian grid, the anisotropic diffusion tensor along the regular
field, 3D gas and sources, and the same nuclear network as the 2D engine (issue 17).

``Model3D.from_config(cfg)`` (``[transport] geometry = "3d"``) builds the grid
(:class:`escapade.grid3d.Grid3D`), the gas on its nodes (the 3D face of the survey gas, or the
axisymmetric analytic gas at R = sqrt(x^2 + y^2)), the source density with its spiral arms
(:mod:`escapade.galaxy.arms`), the field direction (:mod:`escapade.galaxy.magnetic_field`),
and D_perp, D_par (:mod:`escapade.transport3d.coefficients`); ``solve()`` marches every
species heaviest first (:func:`escapade.transport3d.march.march3d`) and returns the output
Dataset of :mod:`escapade.model.output3d`.

Secondary antiprotons (``species.antiprotons``) are marched after 1H and 4He, with their
tertiaries solved in the same march (:meth:`Model3D.pbar_problem`); electrons and positrons
(``[leptons] enabled``) after the nuclei (:mod:`escapade.model.leptons3d`). What the 3D
engine does not have yet (a one-line error names the key): reacceleration and convection.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from scipy.interpolate import RegularGridInterpolator
from threadpoolctl import threadpool_limits

from ..config import Config, ConfigError
from ..constants import CM2_S_PER_KPC2_MYR, MYR_S
from ..galaxy.arms import source_density_3d
from ..galaxy.gas import GasOnGrid
from ..galaxy.gas3d import build_gas
from ..galaxy.magnetic_field import field_direction
from ..grid3d import Grid3D
from ..nuclear.network import Network
from ..numerics.interpolation import interp_positive_log
from ..species import Nuclide, nuclide
from ..transport.forked import can_fork, shared_zeros
from ..transport.losses import NuclearLosses
from ..transport.pipeline import run_pipeline
from ..transport.solver import default_threads
from ..transport3d.coefficients import diffusion_fields, source_turbulence_q
from ..transport3d.march import MarchResult3D, OperatorCache, SpeciesProblem3D, march3d
from ..transport3d.memory import check_memory_3d
from ..transport3d.solver import RTOL_3D, AMGSolver
from .leptons import build_lepton_losses
from .leptons3d import LeptonChain3D
from .model import antiproton_species, build_network, injection_spectrum, resolve_abundances
from .particles import LEPTON_PARTICLES, local_flux_from_density

log = logging.getLogger("escapade.model")

TENSOR_SCHEME = "symmetric"
"""Discretisation of the tensor (:mod:`escapade.transport3d.operator`)."""


def _refuse_unsupported(cfg: Config) -> None:
    """One-line error for what the 3D engine does not solve yet."""
    off = {
        "reacceleration.v_alfven_km_s": cfg.reacceleration.v_alfven_km_s > 0,
        "convection.v0_km_s": cfg.convection.v0_km_s != 0 or cfg.convection.dvdz_km_s_per_kpc != 0,
    }
    for key, on in off.items():
        if on:
            raise ConfigError(
                f"{key} is not available with transport.geometry = '3d' (the 3D engine solves "
                "diffusion, losses, spallation and decay of nuclei, antiprotons and leptons); "
                "switch it "
                "off or use '2d'"
            )


GAS_Z_ORDER = 4
"""Gauss-Legendre points of the gas's vertical cell average (as the 2D engine's
:meth:`escapade.grid.Grid.cell_average`): the gas discs (~0.1 kpc) are thinner than a cell."""


def _z_average(func, x, y, z, dz_kpc: float) -> np.ndarray:
    """Mean of ``func(x, y, z')`` over z' in [z - dz/2, z + dz/2] (Gauss-Legendre)."""
    t, w = np.polynomial.legendre.leggauss(GAS_Z_ORDER)
    return sum(0.5 * wi * func(x, y, z + 0.5 * dz_kpc * ti) for ti, wi in zip(t, w, strict=True))


def _on_radius(func):
    """``func(r, z)`` of an axisymmetric model as a function of (x, y, z)."""
    return lambda x, y, z: func(np.hypot(x, y), z)


def gas_on_nodes(gas, x, y, z, dz_kpc: float) -> GasOnGrid:
    """Gas densities (cm^-3) on the 3D nodes, averaged over each node's z cell: the survey
    gas's 3D face, or the axisymmetric gas at R = sqrt(x^2 + y^2). Dark gas counts as atomic
    hydrogen, as in the 2D engine."""
    if hasattr(gas, "n_hi_3d_cm3"):

        def hi(x, y, z):
            return gas.n_hi_3d_cm3(x, y, z) + gas.n_dark_3d_cm3(x, y, z)

        faces = (hi, gas.n_h2_3d_cm3, gas.n_hii_3d_cm3)
    else:
        faces = tuple(_on_radius(f) for f in (gas.n_hi_cm3, gas.n_h2_cm3, gas.n_hii_cm3))
    hi_, h2_, hii_ = (_z_average(f, x, y, z, dz_kpc) for f in faces)
    return GasOnGrid(hi_, h2_, hii_, gas.he_to_h)


def rtol_3d(cfg: Config) -> float:
    """The 3D solves' relative residual: ``[solver] rtol`` if it differs from its default
    (1e-8, the 2D engine's), else :data:`escapade.transport3d.solver.RTOL_3D` (1e-6;
    docs/transport3d.md measures its effect on the observables). By value, not by whether
    the key was written, so configs rebuilt by ``with_updates`` (which marks every key as
    set) keep it."""
    default = type(cfg.solver).model_fields["rtol"].default
    return RTOL_3D if cfg.solver.rtol == default else cfg.solver.rtol


def _workers(cfg: Config, marches: int) -> int:
    """Processes marching ``marches`` species: ``[solver] threads``, by default the cores
    this process may use (1 in a dask worker), at most one per march; 1 where ``fork`` is
    not available."""
    n = cfg.solver.threads if cfg.solver.threads is not None else default_threads()
    return max(1, min(n, marches)) if can_fork() else 1


def _scaled(progress: Callable[[], None] | None, total: int, ticks: int):
    """``progress`` called ``total`` times, evenly, over ``ticks`` calls of the result (the
    progress bar counts species x energies; marches done twice make more ticks)."""
    if progress is None or ticks <= total:
        return progress
    seen, sent = [0], [0]

    def tick() -> None:
        seen[0] += 1
        while sent[0] < seen[0] * total // ticks:
            sent[0] += 1
            progress()

    return tick


def _lepton_marches(cfg: Config) -> int:
    """The lepton marches as species-equivalents of model energies (memory estimate)."""
    if not cfg.leptons.enabled:
        return 0
    return (3 if cfg.leptons.secondaries else 1) * cfg.leptons.energy_refinement


@dataclass
class Model3D(LeptonChain3D):
    """Grid, gas, sources, field, diffusion and network of one 3D configuration."""

    cfg: Config
    grid: Grid3D
    ekin_gev_per_n: np.ndarray
    gas: GasOnGrid
    """Gas on the unknowns (n_unknowns,) of :attr:`grid`."""
    source_shape: np.ndarray
    """Relative source density on the unknowns."""
    b: np.ndarray
    """Unit field vectors on all nodes (nxy, nxy, nz, 3)."""
    species: list[Nuclide]
    network: Network
    abundances: dict[str, float] = field(default_factory=dict)
    losses: NuclearLosses = field(default_factory=NuclearLosses)
    solver: AMGSolver = field(default_factory=AMGSolver)
    assemblies: int = 0
    pbar: Nuclide | None = None
    """The antiproton, when ``[species] antiprotons`` is on (marched after 1H and 4He)."""
    lepton_losses: object | None = None
    """:class:`escapade.leptons.LeptonLosses` when ``[leptons] enabled`` (marched last)."""

    @classmethod
    def from_config(cls, cfg: Config) -> Model3D:
        _refuse_unsupported(cfg)
        t0 = time.perf_counter()
        network = build_network(cfg)
        pbar = antiproton_species(cfg, network)
        n_species = len(network.species) + (pbar is not None)
        check_memory_3d(cfg, n_species + _lepton_marches(cfg), _workers(cfg, n_species))
        g = cfg.grid
        grid = Grid3D(cfg.galaxy.r_max_kpc, cfg.galaxy.halo_height_kpc, g.nxy, g.nz)
        x, y, z = (grid.to_unknowns(a) for a in grid.mesh())
        gas = gas_on_nodes(build_gas(cfg), x, y, z, grid.dz_kpc)
        shape = source_density_3d(cfg, x, y, z, dz_kpc=grid.dz_kpc)
        b = field_direction(cfg.field, *grid.mesh())
        model = cls(
            cfg,
            grid,
            np.geomspace(g.ekin_min_gev_per_n, g.ekin_max_gev_per_n, g.n_ekin),
            gas,
            shape,
            b,
            [network.nuclides[n] for n in network.species],
            network,
            resolve_abundances(cfg, network.species),
            NuclearLosses(
                enabled=cfg.losses.enabled and cfg.gas.enabled,
                electron_temperature_k=cfg.losses.electron_temperature_k,
            ),
            AMGSolver(rtol=rtol_3d(cfg)),
            pbar=pbar,
            lepton_losses=build_lepton_losses(cfg) if cfg.leptons.enabled else None,
        )
        log.info(
            "3D model built: %d species on a %d x %d x %d grid, %d unknowns (%.1f s)",
            len(model.species),
            g.nxy,
            g.nxy,
            g.nz,
            grid.n_unknowns,
            time.perf_counter() - t0,
        )
        return model

    def updated(self, cfg: Config) -> Model3D:
        """A model for ``cfg`` (fits and scans): the 3D engine rebuilds it."""
        return Model3D.from_config(cfg)

    # -- per-species physics ---------------------------------------------------------------
    @cached_property
    def _rates(self):
        return self.network.at_energies(self.ekin_gev_per_n)

    def source_spectrum(self, nuc: Nuclide) -> np.ndarray:
        """Injection per unit kinetic energy per nucleon at the Sun, unnormalised, (n_ekin,)."""
        e = self.ekin_gev_per_n
        spectrum = injection_spectrum(self.cfg, nuc)
        ab = self.abundances.get(nuc.name, 0.0)
        return ab * spectrum.per_rigidity(nuc.rigidity_gv(e)) * nuc.drigidity_dekin(e)

    def diffusion_nodes(self, nuc: Nuclide, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(D_perp, D_par) on all nodes at energy index k, kpc^2/Myr."""
        return self.diffusion_at(nuc, float(self.ekin_gev_per_n[k]))

    def diffusion_at(self, nuc: Nuclide, e: float) -> tuple[np.ndarray, np.ndarray]:
        """(D_perp, D_par) on all nodes at kinetic energy ``e`` (GeV/n), kpc^2/Myr."""
        d_perp, d_par = diffusion_fields(
            self.cfg, *self._mesh, float(nuc.rigidity_gv(e)), float(nuc.beta(e)), q=self._q
        )
        return d_perp / CM2_S_PER_KPC2_MYR, d_par / CM2_S_PER_KPC2_MYR

    def diffusion_at_sun_cm2_s(self, nuc: Nuclide) -> tuple[np.ndarray, np.ndarray]:
        """(D_perp, D_par) at the Sun (x = R_sun, y = z = 0) per energy, cm^2/s (the smoothed
        source density Q interpolated to the Sun from the grid's plane)."""
        r_sun = self.cfg.galaxy.sun_r_kpc
        x, y, z = np.array([[[r_sun]]]), np.zeros((1, 1, 1)), np.zeros((1, 1, 1))
        plane = RegularGridInterpolator((self.grid.x_kpc, self.grid.y_kpc), self._q[:, :, 0])
        q_sun = np.full((1, 1, 1), float(plane([[r_sun, 0.0]])[0]))
        pairs = [
            diffusion_fields(
                self.cfg, x, y, z, float(nuc.rigidity_gv(e)), float(nuc.beta(e)), q=q_sun
            )
            for e in self.ekin_gev_per_n
        ]
        return np.array([float(p.ravel()[0]) for p, _ in pairs]), np.array(
            [float(q.ravel()[0]) for _, q in pairs]
        )

    def problem(self, nuc: Nuclide, solved: dict[str, MarchResult3D]) -> SpeciesProblem3D:
        """The march's inputs for ``nuc``, with the secondary sources of solved parents."""
        spec = self.source_spectrum(nuc)
        parents = [p for p in self.network.parents(nuc.name) if p in solved]
        h, he = self.gas.h_total, self.gas.he
        e = self.ekin_gev_per_n

        def source(k: int) -> np.ndarray:
            q = spec[k] * self.source_shape
            if parents:
                dens = {p: solved[p].density[k] for p in parents}
                q = q + self._rates.secondary_source(nuc.name, k, dens, h, he)
            return q

        def destruction(k: int) -> np.ndarray:
            return self.network.loss_rate_per_myr(nuc.name, e[k], h, he)

        return self._problem(nuc, source, destruction)

    def _problem(
        self, nuc: Nuclide, source, destruction, energies=None, loss=None
    ) -> SpeciesProblem3D:
        """A march's inputs: the diffusion tensor of ``nuc`` at ``energies`` (default the
        model's), the given ``source(k)`` and ``destruction(k)``, and ``loss(k)`` (default
        the nuclear continuous losses)."""
        e = self.ekin_gev_per_n if energies is None else energies
        if loss is None:

            def loss(k: int) -> np.ndarray:
                return self.losses.rate_gev_per_n_s(nuc, e[k], self.gas) * MYR_S

        cache = OperatorCache(
            self.grid, self.b, TENSOR_SCHEME, lambda k: self.diffusion_at(nuc, float(e[k]))
        )
        return SpeciesProblem3D(nuc.name, cache, destruction, loss, source)

    def pbar_problem(
        self, solved: dict[str, MarchResult3D], own: MarchResult3D
    ) -> SpeciesProblem3D:
        """The antiprotons' march inputs, the densities of their march written into ``own``.

        Source: the secondaries of the solved 1H and 4He on H and He,
        Q[k] = sum_(p, t) n_t sum_(j >= k) M_pt[k, j] N_p[j]
        (:class:`~escapade.nuclear.antiprotons.PbarProduction`, ``[nuclear]
        antiproton_production``: Korsmeier, Donato & Di Mauro 2018), plus the tertiaries
        (``antiproton_tertiaries``; Tan & Ng 1983,
        :func:`~escapade.nuclear.antiprotons.losses.tertiary_matrices`): a non-annihilating
        collision re-injects the antiproton at a lower energy, so their redistribution matrix
        T is upper triangular in energy and the downward march solves them exactly: the part
        from higher energies is a source read from ``own``, the diagonal part lowers the
        destruction rate, as in the 2D engine without reacceleration. Destruction:
        annihilation and non-annihilating inelastic collisions on H and He; losses:
        ionisation and Coulomb, as for a proton.
        """
        from ..nuclear.antiprotons.losses import one_march_rates

        src, destruction = one_march_rates(
            self.ekin_gev_per_n,
            self._pbar_production,
            {"H": self.gas.h_total, "He": self.gas.he},
            self.cfg.nuclear.antiproton_tertiaries,
        )
        parents = {p: solved[p].density for p, _ in self._pbar_production if p in solved}

        def source(k: int) -> np.ndarray:
            return src(k, parents, own.density)

        return self._problem(self.pbar, source, destruction)

    @cached_property
    def _pbar_production(self) -> dict[tuple[str, str], np.ndarray]:
        """Production matrices M[k, j] of antiprotons by (projectile, target) on the energies."""
        from ..nuclear.antiprotons import PbarProduction

        kind = self.cfg.nuclear.antiproton_production
        return PbarProduction(kind).source_matrices(self.ekin_gev_per_n)

    @property
    def output_species(self) -> list[Nuclide]:
        """The species of the output: the nuclei, the antiproton when on, then e- and e+
        (e+ with the secondaries)."""
        out = self.species + ([self.pbar] if self.pbar is not None else [])
        if self.lepton_losses is not None:
            names = ("e-", "e+") if self.secondary_leptons else ("e-",)
            out = out + [LEPTON_PARTICLES[n] for n in names]
        return out

    @cached_property
    def _mesh(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.grid.mesh()

    @cached_property
    def _q(self) -> np.ndarray:
        """Q_s / Q_sun of the diffusion coefficient (smoothed source density), (nxy, nxy, 1)."""
        return source_turbulence_q(self.cfg, *self._mesh[:2])

    # -- solving ---------------------------------------------------------------------------
    def march_plan(self) -> list[str]:
        """The species in the order they are marched: the network's (parents first), then
        again those behind a backward link of the network (only with secondary protons) and
        those fed by a species marched again, then the antiprotons when on."""
        plan = [nuc.name for nuc in self.species]
        dirty = {d for _, d, _ in self.network.backward}
        for name in list(plan):
            if name in dirty or dirty & set(self.network.parents(name)):
                plan.append(name)
                dirty.add(name)
        return plan + (["pbar"] if self.pbar is not None else [])

    def _parents(self, name: str) -> tuple[str, ...]:
        """The species whose densities the march of ``name`` reads."""
        if name == "pbar":
            return tuple(sorted({p for p, _ in self._pbar_production}))
        return self.network.parents(name)

    @property
    def workers(self) -> int:
        """Processes marching the species (:func:`_workers`)."""
        return self.workers_for(len(self.march_plan()))

    def workers_for(self, marches: int) -> int:
        """Processes for ``marches`` independent or pipelined marches (:func:`_workers`)."""
        return _workers(self.cfg, marches)

    def solve_species(self, progress: Callable[[], None] | None = None) -> dict[str, MarchResult3D]:
        """March every species (heaviest first) with unnormalised sources: one after the
        other, or on :attr:`workers` processes as a pipeline down the energies
        (:func:`escapade.transport.pipeline.run_pipeline`; a march enters an energy once its
        parents have left it), whose results agree to the solves' tolerance."""
        plan = self.march_plan()
        ne, n = self.ekin_gev_per_n.size, self.grid.n_unknowns
        workers = self.workers
        zeros = shared_zeros if workers > 1 else np.zeros
        results = [MarchResult3D.empty(ne, n, zeros) for _ in plan]
        latest: dict[str, int] = {}
        problems, deps = [], []
        for j, name in enumerate(plan):
            before = {m: results[i] for m, i in latest.items()}
            if name == "pbar":
                problems.append(self.pbar_problem(before, results[j]))
            else:
                problems.append(self.problem(self.network.nuclides[name], before))
            deps.append(sorted(latest[p] for p in self._parents(name) if p in latest))
            latest[name] = j
        scheme, e = self.cfg.solver.energy_scheme, self.ekin_gev_per_n
        n_leptons = sum(nuc.name in LEPTON_PARTICLES for nuc in self.output_species)
        lepton_progress = _scaled(progress, n_leptons * ne, self.lepton_ticks())
        progress = _scaled(progress, (len(self.output_species) - n_leptons) * ne, len(plan) * ne)

        def one(j: int, wait=None, done=None) -> tuple[float, int, int]:
            log.debug("solving %s (3D)", plan[j])
            step = progress if wait is None else None
            march3d(self.grid, e, problems[j], scheme, self.solver, step,
                    out=results[j], wait=wait, done=done)  # fmt: skip
            cache = problems[j].operator
            return results[j].min_over_max, cache.assemblies, cache.updates

        # BLAS threads on vectors of this size cost more than they give (as in 2D)
        with threadpool_limits(1):
            counts = self.run_marches(ne, deps, one, workers, progress)
        for res, (low, _, _) in zip(results, counts, strict=True):
            res.min_over_max = low
        self.assemblies = sum(a for _, a, _ in counts)
        out = {name: results[j] for name, j in latest.items()}
        if self.lepton_losses is not None:
            with threadpool_limits(1):
                out.update(self.solve_leptons(out, lepton_progress))
        return out

    def run_marches(self, ne: int, deps: list, one: Callable, workers: int, progress) -> list:
        """``one(j)`` for every march j: in order on this process (``workers`` = 1), else as
        a pipeline down the ``ne`` energies on ``workers`` processes
        (:func:`escapade.transport.pipeline.run_pipeline`, ``deps[j]`` the marches j reads);
        the list of their returns."""
        if workers == 1:
            return [one(j) for j in range(len(deps))]
        return run_pipeline(ne, deps, one, workers, self.solver.stats, progress)

    def solve(self, full: bool = False, progress: Callable[[], None] | None = None, only=None):
        """Solve the model and return the output :class:`xarray.Dataset`. ``only`` (the
        species a fit reads, see the 2D ``Model.march_selection``) is accepted and not used:
        the 3D engine marches every species, a superset of what was asked."""
        from .output3d import solution_dataset_3d

        t0 = time.perf_counter()
        log.info("3D solve started: %d nuclear species", len(self.species))
        ds = solution_dataset_3d(self, self.solve_species(progress), t0, full)
        log.info("3D solve finished in %.1f s", ds.attrs["run_seconds"])
        return ds

    def normalisation(self, n_sun: dict[str, np.ndarray]) -> float:
        """Factor that brings the 1H (else the first species') flux at the Sun to the
        configured value, from the unnormalised densities at the Sun."""
        s = self.cfg.source
        ref = "1H" if "1H" in n_sun else self.species[0].name
        flux = local_flux_from_density(nuclide(ref), self.ekin_gev_per_n, n_sun[ref])
        f_norm = interp_positive_log(s.norm_ekin_gev_per_n, self.ekin_gev_per_n, flux, empty=0)
        return s.norm_flux_m2_s_sr_gev / float(f_norm) if f_norm > 0 else 1.0
