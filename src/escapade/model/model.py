"""Assemble the physics objects of a run from its configuration and solve it.

``Model.from_config(cfg)`` builds the grid, the gas, the sources, the diffusion
model and the losses once; ``Model.solve()`` marches every species and returns an
:class:`xarray.Dataset` (see :mod:`escapade.io` for the output contract).
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
from threadpoolctl import threadpool_limits

from ..config import Config
from ..constants import CM2_S_PER_KPC2_MYR, MYR_S
from ..galaxy.gas import GasOnGrid
from ..galaxy.gas3d import build_gas
from ..galaxy.sources import (
    RADIAL_PROFILES,
    InjectionSpectrum,
    SourceDistribution,
    VerticalProfile,
)
from ..grid import Grid, value_at_sun
from ..nuclear.network import Network
from ..numerics.interpolation import interp_positive_log
from ..resources import check_memory
from ..species import Nuclide, nuclide, sort_heaviest_first
from ..transport.convection import Convection
from ..transport.diffusion import build_diffusion
from ..transport.losses import NuclearLosses
from ..transport.network_march import march_network
from ..transport.operator import FaceGeometry
from ..transport.reacceleration import Reacceleration
from ..transport.solver import (
    MarchResult,
    ReusingSolver,
    SolveStats,
    SpeciesProblem,
    default_threads,
)

if TYPE_CHECKING:
    from ..leptons import LeptonLosses

from .antiprotons import AntiprotonChain
from .leptons import LeptonChain, build_lepton_losses
from .output import solution_dataset
from .particles import LEPTON_PARTICLES, local_flux_from_density

log = logging.getLogger("escapade.model")


def resolve_abundances(cfg: Config, species: list[str]) -> dict[str, float]:
    """Source abundance of every propagated isotope (relative to 1H at the reference rigidity).

    Explicit ``[species] abundances`` win; in a ``z_max`` run the other isotopes take the
    ``abundance_preset`` (:func:`escapade.config.abundance_presets.preset`), in an explicit
    ``propagate`` run they are 0 (secondaries only).
    """
    sp = cfg.species
    out = {n: 0.0 for n in species}
    if sp.z_max is not None and sp.abundance_preset != "none":
        from ..config.abundance_presets import preset

        out.update({n: v for n, v in preset(sp.abundance_preset).items() if n in out})
    explicit = sp.abundances if (sp.z_max is None or "abundances" in sp.model_fields_set) else {}
    for name, val in explicit.items():
        out[name] = float(val)
    return out


def build_network(cfg: Config) -> Network:
    """The nuclear network of ``[species]`` and ``[nuclear]`` (both engines)."""
    sp = cfg.species
    return Network.build(
        z_max=sp.z_max,
        isotopes=None if sp.z_max is not None else sort_heaviest_first(sp.propagate),
        production=cfg.nuclear.production,
        inelastic=cfg.nuclear.inelastic,
        light=cfg.nuclear.light_nuclei,
    )


def injection_spectrum(cfg: Config, nuc: Nuclide) -> InjectionSpectrum:
    """The source spectrum in rigidity of ``nuc`` from ``[source]`` (both engines)."""
    s = cfg.source
    return InjectionSpectrum(
        index=s.index_overrides.get(nuc.name, s.rigidity_index),
        reference_rigidity_gv=s.spectrum_reference_rigidity_gv,
        break_rigidities_gv=tuple(s.break_rigidities_gv),
        break_indices=tuple(s.break_indices),
    )


def antiproton_species(cfg: Config, network: Network) -> Nuclide | None:
    """The antiproton of ``species.antiprotons`` (solved after the nuclei, from 1H and
    4He), or None when off or without protons (both engines)."""
    return nuclide("pbar") if cfg.species.antiprotons and "1H" in network.species else None


@dataclass
class Model(LeptonChain, AntiprotonChain):
    """Grid + Galaxy + diffusion + losses for one configuration."""

    cfg: Config
    grid: Grid
    gas: GasOnGrid
    source_shape: np.ndarray
    diffusion: object
    losses: NuclearLosses
    species: list[Nuclide]
    network: Network | None = None
    abundances: dict[str, float] = field(default_factory=dict)
    pbar: Nuclide | None = None
    """The antiproton, when ``[species] antiprotons`` is on (solved after the nuclei)."""
    convection: Convection = field(default_factory=Convection)
    reacceleration: Reacceleration = field(default_factory=Reacceleration)
    stats: SolveStats = field(default_factory=SolveStats)
    solver: ReusingSolver | None = None
    """Linear solver whose factorisations are kept between solves (see :meth:`updated`)."""
    lepton_losses: LeptonLosses | None = None
    """Electron/positron losses, when ``[leptons] enabled`` (solved after the nuclei)."""

    @classmethod
    def from_config(cls, cfg: Config) -> Model:
        check_memory(cfg)
        t0 = time.perf_counter()
        g = cfg.grid
        grid = Grid.build(
            cfg.galaxy.r_max_kpc,
            cfg.galaxy.halo_height_kpc,
            g.nr,
            g.nz,
            g.ekin_min_gev_per_n,
            g.ekin_max_gev_per_n,
            g.n_ekin,
        )
        gas = build_gas(cfg).on_grid(grid)  # [gas] model: analytic or survey3d (galaxy/gas3d)
        profile = RADIAL_PROFILES[cfg.source.radial](
            sun_r_kpc=cfg.galaxy.sun_r_kpc, r_cut_kpc=cfg.source.r_cut_kpc
        )
        sources = SourceDistribution(
            profile, VerticalProfile(cfg.source.vertical, cfg.source.vertical_scale_kpc)
        )
        losses = NuclearLosses(
            enabled=cfg.losses.enabled and cfg.gas.enabled,
            electron_temperature_k=cfg.losses.electron_temperature_k,
        )
        network = build_network(cfg)
        species = [network.nuclides[n] for n in network.species]
        abundances = resolve_abundances(cfg, network.species)
        c = cfg.convection
        convection = Convection(
            c.v0_km_s, c.dvdz_km_s_per_kpc, profile.shape if c.radial == "source" else None
        )
        reacc = Reacceleration(
            cfg.reacceleration.v_alfven_km_s, cfg.reacceleration.formula, cfg.diffusion.delta
        )
        diffusion = build_diffusion(cfg, profile)
        shape = sources.on_grid(grid)
        pbar = antiproton_species(cfg, network)
        lepton_losses = build_lepton_losses(cfg) if cfg.leptons.enabled else None
        model = cls(
            cfg,
            grid,
            gas,
            shape,
            diffusion,
            losses,
            species,
            network,
            abundances,
            pbar,
            convection,
            reacc,
            lepton_losses=lepton_losses,
        )
        log.info(
            "model built: %d nuclear species on a %d x %d x %d (R, z, E) grid (%.1f s)",
            len(species),
            grid.nr,
            grid.nz,
            grid.n_ekin,
            time.perf_counter() - t0,
        )
        return model

    def updated(self, cfg: Config) -> Model:
        """A model for ``cfg`` that reuses what does not change (for fits and scans).

        Grid, gas, sources, network and rate tables are shared when their sections are
        unchanged; the sparse factorisations of earlier solves are kept as
        preconditioners (they stay valid ones when only D0, delta, tau, abundances or
        spectra change: the next solves then need few or no new factorisations).
        """
        same = (
            "galaxy",
            "grid",
            "gas",
            "nuclear",
            "losses",
            "convection",
            "reacceleration",
            "leptons",
        )
        if any(getattr(cfg, k) != getattr(self.cfg, k) for k in same) or (
            cfg.species.z_max != self.cfg.species.z_max
            or (cfg.species.z_max is None and cfg.species.propagate != self.cfg.species.propagate)
            or cfg.source.radial != self.cfg.source.radial
            or cfg.source.vertical != self.cfg.source.vertical
            or cfg.source.vertical_scale_kpc != self.cfg.source.vertical_scale_kpc
            or cfg.source.r_cut_kpc != self.cfg.source.r_cut_kpc
        ):
            return Model.from_config(cfg)
        profile = RADIAL_PROFILES[cfg.source.radial](
            sun_r_kpc=cfg.galaxy.sun_r_kpc, r_cut_kpc=cfg.source.r_cut_kpc
        )
        new = copy.copy(self)
        new.cfg = cfg
        new.diffusion = build_diffusion(cfg, profile)
        new.abundances = resolve_abundances(cfg, self.network.species)
        new.pbar = antiproton_species(cfg, self.network)  # a fit turns them off when unread
        new.stats = SolveStats()
        if self.solver is not None:
            self.solver.rtol = cfg.solver.rtol
            self.solver.coupled_rtol = cfg.solver.coupled_rtol
            self.solver.z_symmetry = cfg.solver.z_symmetry
        return new

    # -- per-species physics on the grid -------------------------------------------------
    def spectrum(self, nuc: Nuclide) -> InjectionSpectrum:
        return injection_spectrum(self.cfg, nuc)

    def source_spectrum(self, nuc: Nuclide) -> np.ndarray:
        """Injection per unit kinetic energy per nucleon at the Sun, unnormalised, (n_ekin,)."""
        e = self.grid.ekin_gev_per_n
        ab = self.abundances.get(nuc.name, 0.0)
        return ab * self.spectrum(nuc).per_rigidity(nuc.rigidity_gv(e)) * nuc.drigidity_dekin(e)

    def diffusion_on_faces(
        self, nuc: Nuclide, k: int, grid: Grid | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """D in kpc^2/Myr on radial and vertical faces at energy index k (of ``grid``)."""
        g = grid or self.grid
        geom = FaceGeometry(g)
        e = g.ekin_gev_per_n[k]
        rig, beta = nuc.rigidity_gv(e), nuc.beta(e)
        d_r = self.diffusion.coefficient(geom.r_face_kpc[:, None], g.z_kpc[None, :], rig, beta)
        d_z = self.diffusion.coefficient(g.r_kpc[:, None], geom.z_face_kpc[None, :], rig, beta)
        return d_r / CM2_S_PER_KPC2_MYR, d_z / CM2_S_PER_KPC2_MYR

    def destruction_rates(self, nuc: Nuclide) -> Callable[[int], np.ndarray]:
        """Inelastic collisions on H and He plus radioactive decay (1/Myr), (nr, nz), as a
        function of the energy index k, its energy dependence tabulated once."""
        k_h, k_he, dec = self.network.loss_coefficients(nuc.name, self.grid.ekin_gev_per_n)
        k_gas = k_h + self.gas.he_to_h * k_he  # n_He = he_to_h n_H (GasOnGrid.he)
        n_h = self.gas.h_total
        return lambda k: k_gas[k] * n_h + dec[k]

    @cached_property
    def _rates(self):
        return self.network.at_energies(self.grid.ekin_gev_per_n)

    def loss_rate(self, nuc: Nuclide, k: int) -> np.ndarray:
        """Continuous loss rate b (GeV/n per Myr), (nr, nz): ionisation, Coulomb, adiabatic."""
        return self.loss_rates(nuc)(k)

    def loss_rates(self, nuc: Nuclide) -> Callable[[int], np.ndarray]:
        """:meth:`loss_rate` as a function of k, its energy dependence tabulated once."""
        e = self.grid.ekin_gev_per_n
        ism = self.losses.rates_on(nuc, e, self.gas)
        if not self.convection.enabled:
            return lambda k: ism(k) * MYR_S
        adiabatic = nuc.beta(e) * np.sqrt(e * (e + 2.0 * nuc.mass_per_nucleon_gev)) / 3.0
        div = self._wind_divergence
        return lambda k: ism(k) * MYR_S + adiabatic[k] * div

    @cached_property
    def _wind_divergence(self) -> np.ndarray:
        return self.convection.divergence_per_myr(self.grid)

    @cached_property
    def _wind_flow(self) -> np.ndarray | None:
        return self.convection.face_flow(self.grid) if self.convection.enabled else None

    def energy_diffusion(self, nuc: Nuclide, k: int, grid: Grid | None = None) -> np.ndarray:
        """K = beta p^2 D_pp (GeV^4/Myr) on the nodes at the energy face above E_k."""
        g = grid or self.grid
        e_f = g.ekin_gev_per_n[k] * np.exp(0.5 * g.dlnekin)
        p_n = np.sqrt(e_f * (e_f + 2.0 * nuc.mass_per_nucleon_gev))
        d = (
            self.diffusion.coefficient(
                g.r_kpc[:, None], g.z_kpc[None, :], nuc.rigidity_gv(e_f), nuc.beta(e_f)
            )
            / CM2_S_PER_KPC2_MYR
        )
        return float(nuc.beta(e_f)) * p_n**4 * self.reacceleration.dpp_over_p2_per_myr(d)

    def secondary_source(self, nuc: Nuclide, k: int, solved: dict[str, MarchResult]) -> np.ndarray:
        """Spallation and decay source of ``nuc`` at energy index k from solved parents."""
        parents = self.network.parents(nuc.name)
        dens = {p: solved[p].density[k] for p in parents if p in solved}
        gas = self.gas
        return self._rates.secondary_source_on_gas(nuc.name, k, dens, gas.h_total, gas.he_to_h)

    def problem(self, nuc: Nuclide, solved: dict[str, MarchResult] | None = None) -> SpeciesProblem:
        spec = self.source_spectrum(nuc)
        has_parents = bool(solved) and bool(self.network.parents(nuc.name))

        def source(k: int) -> np.ndarray:
            q = spec[k] * self.source_shape
            if has_parents:
                q = q + self.secondary_source(nuc, k, solved)
            return q

        e = self.grid.ekin_gev_per_n
        reacc = self.reacceleration.enabled
        return SpeciesProblem(
            name=nuc.name,
            diffusion=lambda k: self.diffusion_on_faces(nuc, k),
            destruction=self.destruction_rates(nuc),
            loss=self.loss_rates(nuc),
            source=source,
            flow_z=self._wind_flow,
            family="radioactive" if nuc.name in self.network.radioactive else "stable",
            energy_diffusion=(lambda k: self.energy_diffusion(nuc, k)) if reacc else None,
            energy_weight=nuc.beta(e) / (e * (e + 2.0 * nuc.mass_per_nucleon_gev))
            if reacc
            else None,
        )

    def diffusion_at_sun_cm2_s(self, nuc: Nuclide) -> np.ndarray:
        """D(R_sun, z = 0, E) in cm^2/s, (n_ekin,)."""
        e = self.grid.ekin_gev_per_n
        return np.asarray(
            self.diffusion.coefficient(
                self.cfg.galaxy.sun_r_kpc, 0.0, nuc.rigidity_gv(e), nuc.beta(e)
            ),
            dtype=float,
        )

    # -- solving --------------------------------------------------------------------------
    def march_selection(
        self, only: Collection[str] | None = None
    ) -> tuple[list[Nuclide], bool, bool]:
        """What a solve marches: the nuclei, and whether the antiprotons and the leptons are
        solved. Without ``only``: everything the config turns on. With ``only`` (species
        names): the nuclei named and every nucleus that feeds them by spallation or decay
        (:meth:`~escapade.nuclear.network.Network.ancestors`), plus the flux normalisation's
        reference and what feeds it; the antiprotons and leptons only when named (with their
        nuclear parents). The species left out feed none of those kept, so the densities
        kept are the same as in a complete solve: a fit reading B/C marches no H, He, Li or
        light Be (issue 19)."""
        pbar = self.pbar is not None and (only is None or "pbar" in only)
        leptons = self.lepton_losses is not None and (
            only is None or bool(set(only) & set(LEPTON_PARTICLES))
        )
        if only is None:
            return list(self.species), pbar, leptons
        want = set(only) | {self.normalisation_reference}
        if pbar:
            want |= self._pbar_parents
        if leptons:
            want |= {proj for proj, _, _ in self._lepton_matrices}
        keep = self.network.ancestors(want)
        return [n for n in self.species if n.name in keep], pbar, leptons

    def solve_species(
        self, progress: Callable[[], None] | None = None, only: Collection[str] | None = None
    ) -> dict[str, MarchResult]:
        """March the species of :meth:`march_selection` (heaviest first) with unnormalised
        sources."""
        if self.solver is None:
            self.solver = ReusingSolver(
                rtol=self.cfg.solver.rtol,
                coupled_rtol=self.cfg.solver.coupled_rtol,
                z_symmetry=self.cfg.solver.z_symmetry,
                factorization=self.cfg.solver.factorization,
            )
        self.stats = self.solver.stats = SolveStats()
        solver = self.solver
        out: dict[str, MarchResult] = {}
        scheme = self.cfg.solver.energy_scheme
        marched, with_pbar, with_leptons = self.march_selection(only)
        nuclei = {nuc.name: nuc for nuc in marched}

        # antiprotons in the same pipeline, one march (tertiaries exact), unless reacceleration
        # couples the energies or a second pass re-marches their parents: then after the
        # nuclei, the tertiaries by passes (AntiprotonChain.solve_antiprotons)
        pbar_in_pipeline = (
            with_pbar and not self.reacceleration.enabled and not self.network.backward
        )

        def make(name: str, before: dict[str, MarchResult]) -> SpeciesProblem:
            if name == "pbar":
                return self.pbar_problem(before, before["pbar"])
            return self.problem(nuclei[name], before)

        def parents(name: str) -> tuple[str, ...]:
            return tuple(self._pbar_parents) if name == "pbar" else self.network.parents(name)

        # the species of the network marched as a pipeline on solver.threads threads
        run = dict(threads=self.solver_threads, parents=parents)
        names = list(nuclei) + (["pbar"] if pbar_in_pipeline else [])
        with threadpool_limits(1):
            log.debug("solving %s", ", ".join(names))
            out.update(
                march_network(self.grid, names, make, scheme, solver, **run, progress=progress)
            )
            # second pass for backward channels (from a species solved after its daughter;
            # only with secondary protons, Network.backward) and what those daughters feed
            dirty = {d for _, d, _ in self.network.backward}
            again = []
            for name in nuclei:
                if name in dirty or dirty & set(self.network.parents(name)):
                    again.append(name)
                    dirty.add(name)
            if again:
                out.update(march_network(self.grid, again, make, scheme, solver, **run, solved=out))
            if with_pbar and not pbar_in_pipeline:
                log.debug("solving pbar")
                out["pbar"] = self.solve_antiprotons(out, scheme, solver, progress)
            if with_leptons:
                log.debug("solving e-, e+")
                out.update(self.solve_leptons(out, scheme, solver, progress))
        return out

    @property
    def solver_threads(self) -> int:
        """Threads of the network's march: ``[solver] threads``, by default the cores this
        process may run on, 1 in a dask worker (``transport.solver.default_threads``)."""
        n = self.cfg.solver.threads
        return n if n is not None else default_threads()

    def solve(
        self,
        full: bool = False,
        progress: Callable[[], None] | None = None,
        only: Collection[str] | None = None,
    ):
        """Solve the model and return the output :class:`xarray.Dataset`; with ``only``
        (species names) just what those need (:meth:`march_selection`; the output then holds
        those species and their feeders, without the all-nucleon dipole)."""
        t0 = time.perf_counter()
        marched, with_pbar, with_leptons = self.march_selection(only)
        extra = (" + pbar" if with_pbar else "") + (" + e-, e+" if with_leptons else "")
        log.info("solve started: %d nuclear species%s", len(marched), extra)
        ds = solution_dataset(self, self.solve_species(progress, only), t0, full)
        log.info(
            "solve finished: %d species in %.1f s", ds.sizes["species"], ds.attrs["run_seconds"]
        )
        return ds

    def _energy_weight(self, nuc: Nuclide, grid: Grid | None = None) -> np.ndarray:
        e = (grid or self.grid).ekin_gev_per_n
        return nuc.beta(e) / (e * (e + 2.0 * nuc.mass_per_nucleon_gev))

    @property
    def normalisation_reference(self) -> str:
        """The species whose flux at the Sun the source normalisation fixes: 1H, else the
        first propagated one."""
        names = [n.name for n in self.species]
        return "1H" if "1H" in names else self.cfg.species.propagate[0]

    def normalisation(self, results: dict[str, MarchResult]) -> float:
        """Factor that brings the 1H interstellar flux at the Sun to the configured value.

        Without 1H in the run, the first propagated species is normalised instead.
        """
        s = self.cfg.source
        ref = self.normalisation_reference
        nuc = nuclide(ref)
        n_sun = value_at_sun(self.grid, results[ref].density, self.cfg.galaxy.sun_r_kpc)
        flux = local_flux_from_density(nuc, self.grid.ekin_gev_per_n, n_sun)
        f_norm = interp_positive_log(s.norm_ekin_gev_per_n, self.grid.ekin_gev_per_n, flux, empty=0)
        return s.norm_flux_m2_s_sr_gev / float(f_norm) if f_norm > 0 else 1.0


def solve(cfg: Config, full: bool = False, progress: Callable[[], None] | None = None):
    """Build the model of ``cfg`` and solve it; returns an :class:`xarray.Dataset`."""
    return Model.from_config(cfg).solve(full=full, progress=progress)
