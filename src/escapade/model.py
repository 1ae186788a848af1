"""Assemble the physics objects of a run from its configuration and solve it.

``Model.from_config(cfg)`` builds the grid, the gas, the sources, the diffusion
model and the losses once; ``Model.solve()`` marches every species and returns an
:class:`xarray.Dataset` (see :mod:`escapade.io` for the output contract).
"""

from __future__ import annotations

import copy
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
from threadpoolctl import threadpool_limits

from ._version import __version__
from .config import Config, dump_config
from .constants import C_CM_S, CM2_S_PER_KPC2_MYR, FOUR_PI, M2_PER_CM2, M_ELECTRON_GEV, MYR_S
from .galaxy.gas import AnalyticGas, GasOnGrid
from .galaxy.sources import (
    RADIAL_PROFILES,
    InjectionSpectrum,
    RadialProfile,
    SourceDistribution,
    VerticalProfile,
)
from .grid import Grid, midplane, value_at_sun
from .nuclear.network import Network
from .resources import check_memory
from .species import Nuclide, nuclide, sort_heaviest_first
from .transport.anisotropy import dipole_anisotropy
from .transport.convection import Convection
from .transport.diffusion import SourceCorrelatedDiffusion, UniformDiffusion
from .transport.losses import NuclearLosses
from .transport.operator import FaceGeometry
from .transport.reacceleration import Reacceleration
from .transport.solver import MarchResult, ReusingSolver, SolveStats, SpeciesProblem, march

if TYPE_CHECKING:
    from .leptons import LeptonLosses

log = logging.getLogger(__name__)

LEPTON_PARTICLES: dict[str, Nuclide] = {
    name: Nuclide(name, 1, 1, M_ELECTRON_GEV) for name in ("e-", "e+")
}
"""Electrons and positrons as particles (Z = 1, A = 1, m_e; the same as
:func:`escapade.observables.local.particle`)."""


def build_lepton_losses(cfg: Config):
    """The :class:`escapade.leptons.LeptonLosses` of ``[leptons]``."""
    from .leptons import LeptonLosses, MagneticField, isrf_model

    lc, r_sun = cfg.leptons, cfg.galaxy.sun_r_kpc
    return LeptonLosses(
        b_field=MagneticField(
            lc.b_field_model, lc.b_sun_ug, lc.b_r_scale_kpc, lc.b_z_scale_kpc, r_sun
        ),
        isrf=isrf_model(lc.isrf_model, r_sun),
        gas_losses=cfg.gas.enabled and cfg.losses.enabled,
    )


def resolve_abundances(cfg: Config, species: list[str]) -> dict[str, float]:
    """Source abundance of every propagated isotope (relative to 1H at the reference rigidity).

    Explicit ``[species] abundances`` win; in a ``z_max`` run the other isotopes take the
    ``abundance_preset`` (:func:`escapade.config.abundance_presets.preset`), in an explicit
    ``propagate`` run they are 0 (secondaries only).
    """
    sp = cfg.species
    out = {n: 0.0 for n in species}
    if sp.z_max is not None and sp.abundance_preset != "none":
        from .config.abundance_presets import preset

        out.update({n: v for n, v in preset(sp.abundance_preset).items() if n in out})
    explicit = sp.abundances if (sp.z_max is None or "abundances" in sp.model_fields_set) else {}
    for name, val in explicit.items():
        out[name] = float(val)
    return out


def build_diffusion(cfg: Config, profile: RadialProfile):
    """The diffusion model object named by ``[diffusion] model``."""
    d = cfg.diffusion
    common = dict(
        d0_cm2_s=d.d0_cm2_s,
        reference_rigidity_gv=d.reference_rigidity_gv,
        delta=d.delta,
        eta=d.eta,
        z_scale_kpc=d.z_scale_kpc,
        break_rigidity_gv=d.break_rigidity_gv,
        break_delta_change=d.break_delta_change,
        break_smoothness=d.break_smoothness,
    )
    if d.model == "uniform":
        return UniformDiffusion(**common)
    return SourceCorrelatedDiffusion(
        **common,
        tau=d.tau,
        parallel_ratio=d.parallel_ratio,
        parallel_delta=d.parallel_delta,
        q_floor=d.q_floor,
        halo_height_kpc=cfg.galaxy.halo_height_kpc,
        sun_r_kpc=cfg.galaxy.sun_r_kpc,
        profile=profile,
    )


@dataclass
class Model:
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
        gas = AnalyticGas(
            x_co=cfg.gas.x_co, he_to_h=cfg.gas.he_to_h, enabled=cfg.gas.enabled
        ).on_grid(grid)
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
        sp = cfg.species
        network = Network.build(
            z_max=sp.z_max,
            isotopes=None if sp.z_max is not None else sort_heaviest_first(sp.propagate),
            production=cfg.nuclear.production,
            inelastic=cfg.nuclear.inelastic,
            light=cfg.nuclear.light_nuclei,
        )
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
        pbar = nuclide("pbar") if sp.antiprotons and "1H" in network.species else None
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
        new.stats = SolveStats()
        if self.solver is not None:
            self.solver.rtol = cfg.solver.rtol
            self.solver.coupled_rtol = cfg.solver.coupled_rtol
        return new

    # -- per-species physics on the grid -------------------------------------------------
    def spectrum(self, nuc: Nuclide) -> InjectionSpectrum:
        s = self.cfg.source
        return InjectionSpectrum(
            index=s.index_overrides.get(nuc.name, s.rigidity_index),
            reference_rigidity_gv=s.spectrum_reference_rigidity_gv,
            break_rigidities_gv=tuple(s.break_rigidities_gv),
            break_indices=tuple(s.break_indices),
        )

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

    def destruction_rate(self, nuc: Nuclide, k: int) -> np.ndarray:
        """Inelastic collisions on H and He plus radioactive decay (1/Myr), (nr, nz)."""
        e = self.grid.ekin_gev_per_n[k]
        return self.network.loss_rate_per_myr(nuc.name, e, self.gas.h_total, self.gas.he)

    @cached_property
    def _rates(self):
        return self.network.at_energies(self.grid.ekin_gev_per_n)

    def loss_rate(self, nuc: Nuclide, k: int) -> np.ndarray:
        """Continuous loss rate b (GeV/n per Myr), (nr, nz): ionisation, Coulomb, adiabatic."""
        e = self.grid.ekin_gev_per_n[k]
        b = self.losses.rate_gev_per_n_s(nuc, e, self.gas) * MYR_S
        if self.convection.enabled:
            p_n = np.sqrt(e * (e + 2.0 * nuc.mass_per_nucleon_gev))
            b = b + float(nuc.beta(e)) * p_n * self._wind_divergence / 3.0
        return b

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
        return self._rates.secondary_source(nuc.name, k, dens, self.gas.h_total, self.gas.he)

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
            destruction=lambda k: self.destruction_rate(nuc, k),
            loss=lambda k: self.loss_rate(nuc, k),
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
    def solve_species(self, progress: Callable[[], None] | None = None) -> dict[str, MarchResult]:
        """March every species (heaviest first) with unnormalised sources."""
        if self.solver is None:
            self.solver = ReusingSolver(
                rtol=self.cfg.solver.rtol, coupled_rtol=self.cfg.solver.coupled_rtol
            )
        self.stats = self.solver.stats = SolveStats()
        solver = self.solver
        out: dict[str, MarchResult] = {}
        scheme = self.cfg.solver.energy_scheme
        with threadpool_limits(1):
            for nuc in self.species:
                log.debug("solving %s", nuc.name)
                out[nuc.name] = march(self.grid, self.problem(nuc, out), scheme, solver, progress)
            # second pass for channels from a species solved after its daughter
            # (p p -> d pi+: 1H -> 2H) and everything those daughters feed
            dirty = {d for _, d, _ in self.network.backward}
            for nuc in self.species:
                if nuc.name in dirty or dirty & set(self.network.parents(nuc.name)):
                    out[nuc.name] = march(self.grid, self.problem(nuc, out), scheme, solver)
                    dirty.add(nuc.name)
            if self.pbar is not None:
                log.debug("solving pbar")
                out["pbar"] = self.solve_antiprotons(out, scheme, solver, progress)
            if self.lepton_losses is not None:
                log.debug("solving e-, e+")
                out.update(self.solve_leptons(out, scheme, solver, progress))
        return out

    # -- leptons --------------------------------------------------------------------------
    @cached_property
    def lepton_grid(self) -> Grid:
        """The model grid with ``[leptons] energy_refinement`` energy steps per model step.

        Its every r-th energy is a model energy; the march runs on it (the stiff electron
        losses need the finer step for BDF2 to stay well below 1 %, see docs/leptons.md).
        """
        g, r = self.grid, self.cfg.leptons.energy_refinement
        e = np.geomspace(g.ekin_gev_per_n[0], g.ekin_gev_per_n[-1], (g.n_ekin - 1) * r + 1)
        return Grid(g.r_max_kpc, g.halo_height_kpc, g.nr, g.nz, e)

    def _on_model_grid(self, res: MarchResult) -> MarchResult:
        r = self.cfg.leptons.energy_refinement
        # budgets are per unit energy: sampled, not summed
        return MarchResult(
            *(getattr(res, k)[::r] for k in ("density", "injected", "escaped", "destroyed"))
        )

    def lepton_loss_rate(self, k: int) -> np.ndarray:
        """Lepton loss rate b (GeV per Myr) at lepton-grid energy k, (nr, nz).

        Synchrotron, inverse Compton, bremsstrahlung, ionisation, Coulomb (+ adiabatic).
        """
        g = self.lepton_grid
        e = g.ekin_gev_per_n[k]
        b = self.lepton_losses.total_gev_s(e, self.gas, g.r_kpc, g.z_kpc) * MYR_S
        if self.convection.enabled:
            nuc = LEPTON_PARTICLES["e-"]
            p = np.sqrt(e * (e + 2.0 * nuc.mass_gev))
            b = b + float(nuc.beta(e)) * p * self._wind_divergence / 3.0
        return b

    def electron_source_spectrum(self) -> np.ndarray:
        """Primary e- injection per GeV at the Sun, unnormalised, on the lepton grid."""
        lc = self.cfg.leptons
        nuc = LEPTON_PARTICLES["e-"]
        e = self.lepton_grid.ekin_gev_per_n
        spec = InjectionSpectrum(
            index=lc.electron_rigidity_index,
            reference_rigidity_gv=self.cfg.source.spectrum_reference_rigidity_gv,
            break_rigidities_gv=tuple(lc.electron_break_rigidities_gv),
            break_indices=tuple(lc.electron_break_indices),
        )
        return spec.per_rigidity(nuc.rigidity_gv(e)) * nuc.drigidity_dekin(e)

    @cached_property
    def _lepton_matrices(self):
        from .leptons.production import LeptonProduction

        return LeptonProduction(self.cfg.leptons.secondary_production).source_matrices(
            self.lepton_grid.ekin_gev_per_n, self.grid.ekin_gev_per_n
        )

    def secondary_lepton_source(self, solved: dict[str, MarchResult], lepton: str) -> np.ndarray:
        """Q (1/(cm^3 GeV Myr)) of secondary ``lepton``, (lepton-grid energies, nr, nz)."""
        g = self.lepton_grid
        n_t = {"H": self.gas.h_total, "He": self.gas.he}
        q = np.zeros((g.n_ekin, g.nr, g.nz))
        for (proj, targ, lep), m in self._lepton_matrices.items():
            if lep == lepton and proj in solved:
                q += np.tensordot(m, solved[proj].density, axes=(1, 0)) * n_t[targ]
        return q * MYR_S

    def lepton_problem(self, name: str, source: Callable[[int], np.ndarray]) -> SpeciesProblem:
        nuc = LEPTON_PARTICLES[name]
        reacc = self.reacceleration.enabled
        lg = self.lepton_grid
        return SpeciesProblem(
            name=name,
            diffusion=lambda k: self.diffusion_on_faces(nuc, k, lg),
            destruction=lambda k: np.zeros((lg.nr, lg.nz)),
            loss=self.lepton_loss_rate,
            source=source,
            flow_z=self._wind_flow,
            family="lepton",
            energy_diffusion=(lambda k: self.energy_diffusion(nuc, k, lg)) if reacc else None,
            energy_weight=self._energy_weight(nuc, lg) if reacc else None,
        )

    def solve_leptons(self, solved, scheme, solver, progress=None) -> dict[str, MarchResult]:
        """Primary e- (unit normalisation), secondary e- and e+ (in the nuclei's units).

        Keys ``"e-:primary"``, ``"e-:secondary"``, ``"e+"``; :meth:`solve` scales the
        primary electrons to ``[leptons] electron_norm_flux_m2_s_sr_gev`` and adds them up.
        """
        spec = self.electron_source_spectrum()
        shape = self.source_shape
        lg = self.lepton_grid
        prim = march(lg, self.lepton_problem("e-", lambda k: spec[k] * shape), scheme, solver)
        out = {"e-:primary": self._on_model_grid(prim)}
        if self.cfg.leptons.secondaries and "1H" in solved:
            for lep, key in (("e-", "e-:secondary"), ("e+", "e+")):
                q = self.secondary_lepton_source(solved, lep)
                res = march(lg, self.lepton_problem(lep, lambda k, q=q: q[k]), scheme, solver)
                out[key] = self._on_model_grid(res)
        if progress is not None:
            for _ in range(self.grid.n_ekin):
                progress()
        return out

    def electron_normalisation(self, results: dict[str, MarchResult]) -> float:
        """Factor bringing the primary e- flux at the Sun to ``electron_norm_flux``."""
        lc = self.cfg.leptons
        nuc = LEPTON_PARTICLES["e-"]
        e = self.grid.ekin_gev_per_n
        n_sun = value_at_sun(self.grid, results["e-:primary"].density, self.cfg.galaxy.sun_r_kpc)
        flux = local_flux_from_density(nuc, e, n_sun)
        ok = flux > 0
        if not ok.any():
            return 1.0
        f = np.exp(np.interp(np.log(lc.electron_norm_ekin_gev), np.log(e[ok]), np.log(flux[ok])))
        return lc.electron_norm_flux_m2_s_sr_gev / f

    def solve_antiprotons(self, solved, scheme, solver, progress=None) -> MarchResult:
        """Secondary antiprotons from 1H and 4He on H and He (plus tertiaries).

        Production: :class:`escapade.nuclear.antiprotons.PbarProduction` matrices,
        Q[k] = sum_(p, t) sum_j M[k, j] N_p[j] n_t; destruction: annihilation and
        non-annihilating inelastic collisions; tertiaries (Tan & Ng 1983) re-inject the
        non-annihilating part at lower energy: three passes (each changes the result by
        ~10x less than the previous one).
        """
        from .nuclear.antiprotons import pbar_loss_rate_per_myr, tertiary_matrices

        g, gas, nuc = self.grid, self.gas, self.pbar
        n_t = {"H": gas.h_total, "He": gas.he}
        mats = self._pbar_matrices
        prim = [p for p in ("1H", "4He") if p in solved]
        secondary = np.zeros((g.n_ekin, g.nr, g.nz))
        for (p, t), m in mats.items():
            if p in solved:
                secondary += np.tensordot(m, solved[p].density, axes=(1, 0)) * n_t[t]
        del prim
        tert = tertiary_matrices(g.ekin_gev_per_n) if self.cfg.nuclear.antiproton_tertiaries else {}
        extra = np.zeros_like(secondary)
        passes = 3 if tert else 1
        res = None
        for i in range(passes):
            src = secondary + extra
            prob = SpeciesProblem(
                name="pbar",
                diffusion=lambda k: self.diffusion_on_faces(nuc, k),
                destruction=lambda k: pbar_loss_rate_per_myr(
                    g.ekin_gev_per_n[k], gas.h_total, gas.he
                ),
                loss=lambda k: self.loss_rate(nuc, k),
                source=lambda k, src=src: src[k],
                flow_z=self._wind_flow,
                family="pbar",
                energy_diffusion=(lambda k: self.energy_diffusion(nuc, k))
                if self.reacceleration.enabled
                else None,
                energy_weight=self._energy_weight(nuc) if self.reacceleration.enabled else None,
                # with reacceleration, GMRES starts from the previous pass
                initial=None if res is None else res.density,
            )
            res = march(g, prob, scheme, solver, progress if i == passes - 1 else None)
            if tert:
                extra = sum(
                    np.tensordot(tm, res.density, axes=(1, 0)) * n_t[t] for t, tm in tert.items()
                )
        return res

    @cached_property
    def _pbar_matrices(self):
        from .nuclear.antiprotons import PbarProduction

        return PbarProduction(self.cfg.nuclear.antiproton_production).source_matrices(
            self.grid.ekin_gev_per_n
        )

    def _energy_weight(self, nuc: Nuclide, grid: Grid | None = None) -> np.ndarray:
        e = (grid or self.grid).ekin_gev_per_n
        return nuc.beta(e) / (e * (e + 2.0 * nuc.mass_per_nucleon_gev))

    def normalisation(self, results: dict[str, MarchResult]) -> float:
        """Factor that brings the 1H interstellar flux at the Sun to the configured value.

        Without 1H in the run, the first propagated species is normalised instead.
        """
        s = self.cfg.source
        names = [n.name for n in self.species]
        ref = "1H" if "1H" in names else self.cfg.species.propagate[0]
        nuc = nuclide(ref)
        n_sun = value_at_sun(self.grid, results[ref].density, self.cfg.galaxy.sun_r_kpc)
        flux = local_flux_from_density(nuc, self.grid.ekin_gev_per_n, n_sun)
        le = np.log(self.grid.ekin_gev_per_n)
        positive = flux > 0
        if not positive.any():
            return 1.0
        f_norm = np.exp(
            np.interp(np.log(s.norm_ekin_gev_per_n), le[positive], np.log(flux[positive]))
        )
        return s.norm_flux_m2_s_sr_gev / f_norm

    def solve(self, full: bool = False, progress: Callable[[], None] | None = None):
        """Solve the model and return the output :class:`xarray.Dataset`."""
        import xarray as xr

        t0 = time.perf_counter()
        extra = (" + pbar" if self.pbar is not None else "") + (
            " + e-, e+" if self.lepton_losses is not None else ""
        )
        log.info("solve started: %d nuclear species%s", len(self.species), extra)
        results = self.solve_species(progress)
        scale = self.normalisation(results)
        g = self.grid
        species = self.species + ([self.pbar] if "pbar" in results else [])
        lepton_parts = {}
        if "e-:primary" in results:
            scale_e = self.electron_normalisation(results)
            lepton_parts = self._combine_leptons(results, scale, scale_e)
            species = species + [LEPTON_PARTICLES[n] for n in ("e-", "e+") if n in results]
        names = [n.name for n in species]
        budget = {
            key: np.stack([getattr(results[n], key) for n in names])
            * np.array([1.0 if n in LEPTON_PARTICLES else scale for n in names])[:, None]
            for key in ("injected", "escaped", "destroyed")
        }
        dens = np.empty((len(names), g.n_ekin, g.nr, g.nz))  # (s, e, r, z)
        for i, n in enumerate(names):  # scale in place, freeing each species' result
            f = 1.0 if n in LEPTON_PARTICLES else scale
            np.multiply(results.pop(n).density, f, out=dens[i])
        mid = midplane(g, dens)  # (s, e, r)
        r_sun = self.cfg.galaxy.sun_r_kpc
        d_sun = np.stack([self.diffusion_at_sun_cm2_s(n) for n in species])
        aniso = [dipole_anisotropy(g, dens[i], r_sun, d_sun[i]) for i in range(len(names))]
        n_sun = np.stack([value_at_sun(g, dens[i], r_sun) for i in range(len(names))])
        flux = np.stack(
            [
                local_flux_from_density(nuc, g.ekin_gev_per_n, n_sun[i])
                for i, nuc in enumerate(species)
            ]
        )
        nucleons = [0 if nuc.name in ("pbar", "e-", "e+") else nuc.a for nuc in species]
        all_r, all_z = all_nucleon_anisotropy(aniso, n_sun, nucleons)
        coords = {
            "species": np.array(names, dtype=object),
            "ekin_gev_per_n": (
                "ekin_gev_per_n",
                g.ekin_gev_per_n,
                {"units": "GeV/n", "long_name": "kinetic energy per nucleon"},
            ),
            "r_kpc": ("r_kpc", g.r_kpc, {"units": "kpc", "long_name": "Galactocentric radius"}),
            "z_kpc": ("z_kpc", g.z_kpc, {"units": "kpc", "long_name": "height above the plane"}),
        }
        dunit = "1/(cm^3 GeV/n)"
        data_vars = {
            "density_midplane": (
                ("species", "ekin_gev_per_n", "r_kpc"),
                mid,
                {
                    "units": dunit,
                    "long_name": "CR density per unit kinetic energy per nucleon at z = 0",
                },
            ),
            "anisotropy": (
                ("species", "ekin_gev_per_n"),
                np.stack([a.radial for a in aniso]),
                {
                    "units": "1",
                    "long_name": "radial dipole anisotropy 3 D |dN/dR| / (c N) at the Sun",
                },
            ),
            "anisotropy_vertical": (
                ("species", "ekin_gev_per_n"),
                np.stack([a.vertical for a in aniso]),
                {
                    "units": "1",
                    "long_name": "vertical dipole anisotropy 3 D |dN/dz| / (c N) at the Sun",
                },
            ),
            "anisotropy_total": (
                ("species", "ekin_gev_per_n"),
                np.stack([np.hypot(a.radial, a.vertical) for a in aniso]),
                {"units": "1", "long_name": "dipole anisotropy 3 D |grad N| / (c N) at the Sun"},
            ),
            "anisotropy_all_nuclei": (
                ("ekin_gev_per_n",),
                np.hypot(all_r, all_z),
                {
                    "units": "1",
                    "long_name": "dipole of all nucleons (current / density at equal E/n)",
                },
            ),
            "diffusion_coefficient_sun_cm2_s": (
                ("species", "ekin_gev_per_n"),
                d_sun,
                {"units": "cm^2/s", "long_name": "diffusion coefficient at the Sun (z = 0)"},
            ),
            "flux_local": (
                ("species", "ekin_gev_per_n"),
                flux,
                {
                    "units": "1/(m^2 s sr GeV/n)",
                    "long_name": "interstellar flux at the Sun, J = v N / (4 pi)",
                },
            ),
            "particles_injected": (
                ("species", "ekin_gev_per_n"),
                budget["injected"],
                {"units": "kpc^3 / (cm^3 GeV/n Myr)"},
            ),
            "particles_escaped": (
                ("species", "ekin_gev_per_n"),
                budget["escaped"],
                {"units": "kpc^3 / (cm^3 GeV/n Myr)"},
            ),
            "particles_destroyed": (
                ("species", "ekin_gev_per_n"),
                budget["destroyed"],
                {"units": "kpc^3 / (cm^3 GeV/n Myr)"},
            ),
        }
        if lepton_parts:
            data_vars["flux_local_leptons"] = (
                ("lepton_component", "ekin_gev_per_n"),
                np.stack(list(lepton_parts.values())),
                {
                    "units": "1/(m^2 s sr GeV)",
                    "long_name": "interstellar e-/e+ flux at the Sun by origin",
                },
            )
            coords["lepton_component"] = np.array(list(lepton_parts), dtype=object)
        if full:
            data_vars["density"] = (
                ("species", "ekin_gev_per_n", "r_kpc", "z_kpc"),
                dens,
                {"units": dunit, "long_name": "CR density per unit kinetic energy per nucleon"},
            )
        ds = xr.Dataset(data_vars, coords=coords)
        ds.attrs.update(
            config_toml=dump_config(self.cfg),
            escapade_version=__version__,
            run_seconds=time.perf_counter() - t0,
            source_normalisation=scale,
            solver_factorizations=self.stats.factorizations,
            solver_cg_solves=self.stats.cg_solves,
            solver_max_relative_residual=self.stats.max_relative_residual,
            solver_krylov_iterations=self.stats.krylov_iterations,
            inelastic_cross_sections=self.cfg.nuclear.inelastic,
            production_cross_sections=self.network.production.label,
            isotopes=" ".join(names),
            source_abundances=json.dumps(self.abundances, sort_keys=True),
        )
        if lepton_parts:
            ds.attrs["electron_source_normalisation"] = scale_e
        log.info("solve finished: %d species in %.1f s", len(names), ds.attrs["run_seconds"])
        return ds

    def _combine_leptons(self, results, scale: float, scale_e: float) -> dict[str, np.ndarray]:
        """Sum primary (x scale_e) and secondary (x scale) leptons into ``results["e-"]``.

        Returns the local fluxes by origin (primary e-, secondary e-, secondary e+).
        """
        g, r_sun = self.grid, self.cfg.galaxy.sun_r_kpc
        nuc = LEPTON_PARTICLES["e-"]
        prim = results.pop("e-:primary")
        sec = results.pop("e-:secondary", None)
        parts = {"primary e-": prim.density * scale_e}
        if sec is not None:
            parts["secondary e-"] = sec.density * scale
            parts["secondary e+"] = results["e+"].density * scale
        fluxes = {
            k: local_flux_from_density(nuc, g.ekin_gev_per_n, value_at_sun(g, v, r_sun))
            for k, v in parts.items()
        }

        def combined(a: MarchResult, fa: float, b: MarchResult | None, fb: float) -> MarchResult:
            def part(key):
                val = getattr(a, key) * fa
                return val + getattr(b, key) * fb if b is not None else val

            return MarchResult(*(part(k) for k in ("density", "injected", "escaped", "destroyed")))

        results["e-"] = combined(prim, scale_e, sec, scale)
        if "e+" in results:
            results["e+"] = combined(results["e+"], scale, None, 0.0)
        return fluxes


def all_nucleon_anisotropy(aniso, n_sun, mass_numbers):
    """Radial and vertical dipole of all nucleons at the same kinetic energy per nucleon.

    The diffusive current of every species, weighted by its nucleon number, over
    the total nucleon density: A = |sum_i A_i s_i a_i N_i| / sum_i a_i N_i.
    """
    w = np.asarray(mass_numbers, dtype=float)[:, None] * np.asarray(n_sun)
    den = w.sum(axis=0)
    num_r = sum(a.radial * a.sign_r * wi for a, wi in zip(aniso, w, strict=True))
    num_z = sum(a.vertical * a.sign_z * wi for a, wi in zip(aniso, w, strict=True))
    safe = np.where(den > 0, den, 1.0)
    return np.where(den > 0, np.abs(num_r) / safe, 0.0), np.where(
        den > 0, np.abs(num_z) / safe, 0.0
    )


def local_flux_from_density(nuc: Nuclide, ekin_gev_per_n: np.ndarray, density) -> np.ndarray:
    """Intensity J = v N / (4 pi) in 1/(m^2 s sr GeV/n) from N in 1/(cm^3 GeV/n)."""
    return nuc.beta(ekin_gev_per_n) * C_CM_S * np.asarray(density) / FOUR_PI / M2_PER_CM2


def solve(cfg: Config, full: bool = False, progress: Callable[[], None] | None = None):
    """Build the model of ``cfg`` and solve it; returns an :class:`xarray.Dataset`."""
    return Model.from_config(cfg).solve(full=full, progress=progress)
