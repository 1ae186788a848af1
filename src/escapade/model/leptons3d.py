"""The lepton chain of the 3D engine: primary e-, secondary e- and e+ on the 3D grid.

The same physics as the 2D chain (:mod:`escapade.model.leptons`, docs/leptons.md): the
energy march on ``[leptons] energy_refinement`` steps per model energy step (the stiff
synchrotron and inverse-Compton losses), the loss rate of
:class:`escapade.leptons.LeptonLosses` (synchrotron in the axisymmetric field strength of
``[leptons] b_field_model``, inverse Compton on the ISRF, bremsstrahlung, ionisation and
Coulomb on the 3D gas) at every node, primary electrons injected with the nuclei's source
density (spiral arms included) and secondary e- and e+ from the solved 1H and 4He on the
3D gas (``[leptons] secondary_production``). The diffusion tensor is the nuclei's at the
lepton's rigidity. The three marches read only finished nuclei, so they run after them,
side by side on the pipeline's workers.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property

import numpy as np

from ..constants import MYR_S
from ..numerics.interpolation import interp_positive_log
from ..transport.forked import shared_zeros
from ..transport3d.march import MarchResult3D, SpeciesProblem3D, march3d
from .leptons import electron_injection, lepton_energies
from .particles import LEPTON_PARTICLES, local_flux_from_density

LEPTON_MARCHES = ("e-:primary", "e-:secondary", "e+")
"""Keys of the lepton marches: primary e- (unit normalisation), secondary e- and e+ (in the
nuclei's units)."""


class LeptonChain3D:
    """The lepton methods of :class:`~escapade.model.model3d.Model3D` (a mixin: they use
    its grid, gas, source density, diffusion tensor, solver and workers)."""

    @cached_property
    def lepton_ekin_gev(self) -> np.ndarray:
        """The lepton march's energies (GeV): every ``energy_refinement``-th is a model one."""
        return lepton_energies(self.ekin_gev_per_n, self.cfg.leptons.energy_refinement)

    @cached_property
    def _unknowns_rz(self) -> tuple[np.ndarray, np.ndarray]:
        """(R, z) of the unknowns, kpc."""
        x, y, z = (self.grid.to_unknowns(a) for a in self._mesh)
        return np.hypot(x, y), z

    def lepton_loss_rate(self, k: int) -> np.ndarray:
        """b (GeV per Myr) of e+- at lepton energy k on the unknowns."""
        r, z = self._unknowns_rz
        e = float(self.lepton_ekin_gev[k])
        return self.lepton_losses.total_gev_s(e, self.gas, r, z, points=True) * MYR_S

    @cached_property
    def _lepton_matrices(self) -> dict[tuple[str, str, str], np.ndarray]:
        from ..leptons.production import LeptonProduction

        kind = self.cfg.leptons.secondary_production
        return LeptonProduction(kind).source_matrices(self.lepton_ekin_gev, self.ekin_gev_per_n)

    def secondary_lepton_source(self, solved: dict, lepton: str) -> Callable[[int], np.ndarray]:
        """Q(k) (1/(cm^3 GeV Myr)) of secondary ``lepton`` at lepton energy k on the
        unknowns, from the solved projectiles' densities on H and He."""
        targets = {"H": self.gas.h_total, "He": self.gas.he}
        terms = [
            (m, solved[proj].density, targets[targ])
            for (proj, targ, lep), m in self._lepton_matrices.items()
            if lep == lepton and proj in solved
        ]

        def source(k: int) -> np.ndarray:
            q = np.zeros(self.grid.n_unknowns)
            for m, dens, n_t in terms:
                q += (m[k] @ dens) * n_t
            return q * MYR_S

        return source

    def lepton_problems(self, solved: dict) -> dict[str, SpeciesProblem3D]:
        """The lepton marches' inputs by key (:data:`LEPTON_MARCHES`; secondaries only when
        ``[leptons] secondaries`` and 1H is solved)."""
        spec = electron_injection(self.cfg, self.lepton_ekin_gev)
        shape = self.source_shape
        zero = np.zeros(self.grid.n_unknowns)

        def problem(name: str, source) -> SpeciesProblem3D:
            return self._problem(
                LEPTON_PARTICLES[name],
                source,
                lambda k: zero,
                energies=self.lepton_ekin_gev,
                loss=self.lepton_loss_rate,
            )

        out = {"e-:primary": problem("e-", lambda k: spec[k] * shape)}
        if self.secondary_leptons and "1H" in solved:
            out["e-:secondary"] = problem("e-", self.secondary_lepton_source(solved, "e-"))
            out["e+"] = problem("e+", self.secondary_lepton_source(solved, "e+"))
        return out

    def solve_leptons(self, solved: dict, progress=None) -> dict[str, MarchResult3D]:
        """March the leptons (after the nuclei) on :attr:`workers` processes; the results on
        the model energies (every ``energy_refinement``-th lepton energy; budgets per unit
        energy are sampled, not summed)."""
        problems = self.lepton_problems(solved)
        keys = list(problems)
        e, ne = self.lepton_ekin_gev, self.lepton_ekin_gev.size
        workers = self.workers_for(len(keys))
        zeros = shared_zeros if workers > 1 else np.zeros
        results = [MarchResult3D.empty(ne, self.grid.n_unknowns, zeros) for _ in keys]
        scheme = self.cfg.solver.energy_scheme

        def one(j: int, wait=None, done=None) -> float:
            step = progress if wait is None else None
            march3d(self.grid, e, problems[keys[j]], scheme, self.solver, step,
                    out=results[j], wait=wait, done=done)  # fmt: skip
            return results[j].min_over_max

        lows = self.run_marches(ne, [[] for _ in keys], one, workers, progress)
        r = self.cfg.leptons.energy_refinement
        out = {}
        for key, res, low in zip(keys, results, lows, strict=True):
            out[key] = MarchResult3D(
                res.density[::r].copy(),
                res.injected[::r].copy(),
                res.escaped[::r].copy(),
                res.destroyed[::r].copy(),
                low,
            )
        return out

    @property
    def secondary_leptons(self) -> bool:
        """Whether secondary e- and e+ are marched: ``[leptons] secondaries`` and 1H (their
        projectile) in the network."""
        return self.cfg.leptons.secondaries and "1H" in self.network.species

    def lepton_ticks(self) -> int:
        """Energy steps of the lepton marches (0 without leptons)."""
        if self.lepton_losses is None:
            return 0
        return (3 if self.secondary_leptons else 1) * self.lepton_ekin_gev.size


def combine_leptons_3d(model, results: dict, raw: dict, scale: float) -> tuple[dict, float]:
    """Primary (normalised to ``[leptons] electron_norm_flux_m2_s_sr_gev`` at
    ``electron_norm_ekin_gev``) plus secondary electrons into ``"e-"``, in the nuclei's
    units (the caller multiplies everything by ``scale``), in ``results`` (budgets) and
    ``raw`` (3D density, N and grad N at the Sun); returns the local fluxes by origin and
    the primary electrons' normalisation."""
    lc, e = model.cfg.leptons, model.ekin_gev_per_n
    nuc = LEPTON_PARTICLES["e-"]
    prim, prim_res = raw.pop("e-:primary"), results.pop("e-:primary")
    unit_flux = local_flux_from_density(nuc, e, prim[1])
    f = interp_positive_log(lc.electron_norm_ekin_gev, e, unit_flux, empty=0)
    scale_e = lc.electron_norm_flux_m2_s_sr_gev / float(f) if f > 0 else 1.0
    w = scale_e / scale
    parts = {"primary e-": unit_flux * scale_e}
    sec = raw.pop("e-:secondary", None)
    sec_res = results.pop("e-:secondary", None)
    combined = [a * w for a in prim]
    budget = [getattr(prim_res, k) * w for k in ("density", "injected", "escaped", "destroyed")]
    if sec is not None:
        parts["secondary e-"] = local_flux_from_density(nuc, e, sec[1]) * scale
        parts["secondary e+"] = local_flux_from_density(nuc, e, raw["e+"][1]) * scale
        combined = [a + b for a, b in zip(combined, sec, strict=True)]
        budget = [
            a + getattr(sec_res, k)
            for a, k in zip(budget, ("density", "injected", "escaped", "destroyed"), strict=True)
        ]
    raw["e-"] = tuple(combined)
    low = min(prim_res.min_over_max, sec_res.min_over_max if sec_res else 0.0)
    results["e-"] = MarchResult3D(*budget, low)
    return parts, scale_e
