"""The lepton chain of a model: primary e-, secondary e-/e+ on a finer energy grid."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from ..config import Config
from ..constants import MYR_S
from ..galaxy.sources import (
    InjectionSpectrum,
)
from ..grid import Grid, value_at_sun
from ..numerics.interpolation import interp_positive_log
from ..transport.solver import MarchResult, SpeciesProblem, march

if TYPE_CHECKING:
    pass

from .particles import LEPTON_PARTICLES, local_flux_from_density

log = logging.getLogger("escapade.model")


def build_lepton_losses(cfg: Config):
    """The :class:`escapade.leptons.LeptonLosses` of ``[leptons]``."""
    from ..leptons import LeptonLosses, MagneticField, isrf_model

    lc, r_sun = cfg.leptons, cfg.galaxy.sun_r_kpc
    return LeptonLosses(
        b_field=MagneticField(
            lc.b_field_model, lc.b_sun_ug, lc.b_r_scale_kpc, lc.b_z_scale_kpc, r_sun
        ),
        isrf=isrf_model(lc.isrf_model, r_sun),
        gas_losses=cfg.gas.enabled and cfg.losses.enabled,
    )


def lepton_energies(ekin_gev: np.ndarray, refinement: int) -> np.ndarray:
    """The lepton march's energies: ``refinement`` log steps per step of ``ekin_gev``
    (log-spaced), so that every ``refinement``-th one is a model energy."""
    return np.geomspace(ekin_gev[0], ekin_gev[-1], (ekin_gev.size - 1) * refinement + 1)


def electron_injection(cfg: Config, ekin_gev: np.ndarray) -> np.ndarray:
    """Primary e- injection per GeV (unnormalised) at ``ekin_gev``: the broken power law in
    rigidity of ``[leptons]`` (``electron_rigidity_index``, ``electron_break_*``)."""
    lc = cfg.leptons
    nuc = LEPTON_PARTICLES["e-"]
    spec = InjectionSpectrum(
        index=lc.electron_rigidity_index,
        reference_rigidity_gv=cfg.source.spectrum_reference_rigidity_gv,
        break_rigidities_gv=tuple(lc.electron_break_rigidities_gv),
        break_indices=tuple(lc.electron_break_indices),
    )
    return spec.per_rigidity(nuc.rigidity_gv(ekin_gev)) * nuc.drigidity_dekin(ekin_gev)


class LeptonChain:
    """The lepton methods of :class:`~escapade.model.Model` (a mixin: they use its grid,
    gas, losses and solver)."""

    @cached_property
    def lepton_grid(self) -> Grid:
        """The model grid with ``[leptons] energy_refinement`` energy steps per model step.

        Its every r-th energy is a model energy; the march runs on it (the stiff electron
        losses need the finer step for BDF2 to stay well below 1 %, see docs/leptons.md).
        """
        g = self.grid
        e = lepton_energies(g.ekin_gev_per_n, self.cfg.leptons.energy_refinement)
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
        return electron_injection(self.cfg, self.lepton_grid.ekin_gev_per_n)

    @cached_property
    def _lepton_matrices(self):
        from ..leptons.production import LeptonProduction

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
        f = interp_positive_log(lc.electron_norm_ekin_gev, e, flux, empty=0)
        return lc.electron_norm_flux_m2_s_sr_gev / float(f) if f > 0 else 1.0

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
