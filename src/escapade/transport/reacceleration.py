"""Reacceleration: diffusion in momentum by interstellar Alfven waves.

The momentum diffusion coefficient is tied to the spatial one,

* ``"seo_ptuskin"`` (default): D_pp D = 4 v_A^2 p^2 / (3 delta (4 - delta^2) (4 - delta))
  (Seo & Ptuskin 1994, ApJ 431, 705; the GALPROP and DRAGON choice);
* ``"simple"``: D_pp D = v_A^2 p^2 / 9 (Berezinskii et al. 1990, "Astrophysics of
  Cosmic Rays", the order-of-magnitude relation).

In the transport equation for the density per unit momentum psi it enters as
d/dp [p^2 D_pp d/dp (psi / p^2)]; escapade's density is per kinetic energy per
nucleon E, N = psi dp/dE, so the term reads d/dE [K d/dE (beta N / p^2)] with
K = beta p^2 D_pp (p per nucleon, dE/dp = beta).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .convection import KM_S_IN_KPC_MYR

FORMULAS = ("seo_ptuskin", "simple")


@dataclass(frozen=True)
class Reacceleration:
    """Alfven speed (km/s) and the D_pp normalisation."""

    v_alfven_km_s: float = 0.0
    formula: str = "seo_ptuskin"
    delta: float = 0.6

    @property
    def enabled(self) -> bool:
        return self.v_alfven_km_s > 0.0

    def factor(self) -> float:
        """C in D_pp D = C v_A^2 p^2."""
        if self.formula == "seo_ptuskin":
            d = self.delta
            return 4.0 / (3.0 * d * (4.0 - d**2) * (4.0 - d))
        return 1.0 / 9.0

    def dpp_over_p2_per_myr(self, d_kpc2_myr: np.ndarray) -> np.ndarray:
        """D_pp / p^2 (1/Myr) for a spatial coefficient D (kpc^2/Myr)."""
        va = self.v_alfven_km_s * KM_S_IN_KPC_MYR
        return self.factor() * va**2 / np.asarray(d_kpc2_myr)
