"""The antiproton chain of a model: secondaries of 1H and 4He, with tertiaries."""

from __future__ import annotations

import logging
from functools import cached_property

import numpy as np

from ..transport.solver import MarchResult, SpeciesProblem, march

log = logging.getLogger("escapade.model")

TERTIARY_RTOL = 1e-4
"""The passes of :meth:`AntiprotonChain.solve_antiprotons` stop when no energy's density
changes by more than this fraction of its peak."""
MAX_TERTIARY_PASSES = 30


def _change(before: np.ndarray, after: np.ndarray) -> float:
    """The largest change between two (energy, r, z) densities, per energy relative to the
    energy's peak."""
    peak = np.max(np.abs(after), axis=(1, 2))
    diff = np.max(np.abs(after - before), axis=(1, 2))
    return float(np.max(diff / np.where(peak > 0, peak, 1.0)))


class AntiprotonChain:
    """The antiproton methods of :class:`~escapade.model.Model` (a mixin)."""

    def pbar_problem(self, solved, own: MarchResult) -> SpeciesProblem:
        """The antiprotons' march in one pass, without reacceleration (the 2D network's
        pipeline marches it beside the nuclei; ``own`` is the result it fills).

        Source: Q[k] = sum_(p, t) n_t sum_(j >= k) M[k, j] N_p[j] from the solved 1H and
        4He (production matrices, :class:`escapade.nuclear.antiprotons.PbarProduction`: a
        pbar has less energy than its projectile, so M is upper triangular and energy k
        needs the parents only down to k), plus the tertiaries (Tan & Ng 1983): T[k, j]
        vanishes for j < k too, so the part from higher energies is a source read from
        ``own`` and the diagonal part lowers the destruction rate: the tertiaries solved
        exactly, the limit of the passes of :meth:`solve_antiprotons` (12 passes of those
        agree with it to 4e-9; the 3D engine does the same, ``Model3D.pbar_problem``).
        """
        from ..nuclear.antiprotons.losses import one_march_rates

        g, gas, nuc = self.grid, self.gas, self.pbar
        src, destruction = one_march_rates(
            g.ekin_gev_per_n,
            self._pbar_matrices,
            {"H": gas.h_total, "He": gas.he},
            self.cfg.nuclear.antiproton_tertiaries,
        )
        parents = {p: solved[p].density for p, _ in self._pbar_matrices if p in solved}

        def source(k: int) -> np.ndarray:
            return src(k, parents, own.density)

        return SpeciesProblem(
            name="pbar",
            diffusion=lambda k: self.diffusion_on_faces(nuc, k),
            destruction=destruction,
            loss=self.loss_rates(nuc),
            source=source,
            flow_z=self._wind_flow,
            family="pbar",
        )

    def solve_antiprotons(
        self, solved, scheme, solver, progress=None, passes: int | None = None
    ) -> MarchResult:
        """Secondary antiprotons from 1H and 4He on H and He (plus tertiaries), with
        reacceleration (without it, :meth:`pbar_problem` in the network's pipeline).

        Production: :class:`escapade.nuclear.antiprotons.PbarProduction` matrices,
        Q[k] = sum_(p, t) sum_j M[k, j] N_p[j] n_t; destruction: annihilation and
        non-annihilating inelastic collisions; tertiaries (Tan & Ng 1983) re-inject the
        non-annihilating part at lower energy: whole solves repeated with the last one's
        tertiaries (GMRES starting from it), ``passes`` of them, or by default until no
        energy's density changes by more than :data:`TERTIARY_RTOL` of its peak (at most
        :data:`MAX_TERTIARY_PASSES`). The iteration converges slowly where tertiaries
        dominate: measured without reacceleration on the letter's 81 x 81 x 65 grid
        against the exact one-march solution, three passes leave pbar/p 4.3 % low at
        0.1 GeV, 1 % at 1.2 GeV, 0.04 % at 14 GeV.
        """
        from ..nuclear.antiprotons import pbar_loss_rate_per_myr, tertiary_matrices

        g, gas, nuc = self.grid, self.gas, self.pbar
        n_t = {"H": gas.h_total, "He": gas.he}
        mats = self._pbar_matrices
        secondary = np.zeros((g.n_ekin, g.nr, g.nz))
        for (p, t), m in mats.items():
            if p in solved:
                secondary += np.tensordot(m, solved[p].density, axes=(1, 0)) * n_t[t]
        tert = tertiary_matrices(g.ekin_gev_per_n) if self.cfg.nuclear.antiproton_tertiaries else {}
        extra = np.zeros_like(secondary)
        limit = 1 if not tert else (passes or MAX_TERTIARY_PASSES)
        res, n_pass = None, 0
        while n_pass < limit:
            n_pass += 1
            src = secondary + extra
            prob = SpeciesProblem(
                name="pbar",
                diffusion=lambda k: self.diffusion_on_faces(nuc, k),
                destruction=lambda k: pbar_loss_rate_per_myr(
                    g.ekin_gev_per_n[k], gas.h_total, gas.he
                ),
                loss=self.loss_rates(nuc),
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
            last = None if res is None else res.density
            res = march(g, prob, scheme, solver)
            if not tert:
                break
            extra = sum(
                np.tensordot(tm, res.density, axes=(1, 0)) * n_t[t] for t, tm in tert.items()
            )
            if passes is None and last is not None and _change(last, res.density) < TERTIARY_RTOL:
                break
        log.debug("antiprotons: %d pass(es) for the tertiaries", n_pass)
        if passes is None and tert and n_pass == limit:
            log.warning(
                "antiproton tertiaries: %d passes did not converge to %.0e", limit, TERTIARY_RTOL
            )
        for _ in range(g.n_ekin if progress is not None else 0):
            progress()
        return res

    @property
    def _pbar_parents(self) -> set[str]:
        """The nuclei whose densities the antiproton source reads."""
        return {p for p, _ in self._pbar_matrices}

    @cached_property
    def _pbar_matrices(self):
        from ..nuclear.antiprotons import PbarProduction

        return PbarProduction(self.cfg.nuclear.antiproton_production).source_matrices(
            self.grid.ekin_gev_per_n
        )
