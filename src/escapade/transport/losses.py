"""Continuous energy losses of nuclei in the interstellar medium.

Rates are returned as positive numbers, b = -dE/dt, per nucleus in GeV/s, from
the formulas of Mannheim & Schlickeiser 1994 (A&A 286, 983), sections 4.1-4.2:

* ionisation of neutral H and He (Bethe-Bloch, mean excitation energies of
  PDG 2022: I_H = 19.2 eV (H2 gas), I_He = 41.8 eV), ::

      b_ion = 2 pi r_e^2 m_e c^3 Z^2 / beta
              * sum_s n_s Z_s [ ln(2 m_e c^2 beta^2 gamma^2 Q_max / I_s^2) - 2 beta^2 ],
      Q_max = 2 m_e c^2 beta^2 gamma^2 / (1 + 2 gamma m_e / M);

* Coulomb scattering on the free electrons of the ionised gas at temperature T_e, ::

      b_C = 4 pi r_e^2 m_e c^3 Z^2 n_e ln(Lambda) beta^2 / (beta^3 + x_m^3),
      x_m = (3 sqrt(pi) / 4)^(1/3) sqrt(2 k T_e / (m_e c^2)),
      ln Lambda = 1/2 ln( m_e^2 c^4 M gamma^2 beta^4 / (pi r_e (hbar c)^2 n_e (M + 2 gamma m_e)) ).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..constants import (
    C_CM_S,
    HBAR_C_GEV_CM,
    K_BOLTZMANN_GEV_K,
    M_ELECTRON_GEV,
    R_ELECTRON_CM,
)
from ..species import Nuclide

I_H_GEV = 19.2e-9
"""Mean excitation energy of hydrogen (H2 gas), PDG 2022."""
I_HE_GEV = 41.8e-9
"""Mean excitation energy of helium gas, PDG 2022."""


def ionisation_rate_per_atom(nuc: Nuclide, ekin_gev_per_n) -> tuple[np.ndarray, np.ndarray]:
    """Ionisation loss rate per unit target density, (b_H, b_He) in GeV s^-1 cm^3.

    b_ion = b_H n_H + b_He n_He for neutral hydrogen atoms n_H and helium atoms n_He.
    """
    beta = nuc.beta(ekin_gev_per_n)
    gamma = nuc.gamma(ekin_gev_per_n)
    me = M_ELECTRON_GEV
    qmax = 2.0 * me * beta**2 * gamma**2 / (1.0 + 2.0 * gamma * me / nuc.mass_gev)
    pref = 2.0 * np.pi * R_ELECTRON_CM**2 * me * C_CM_S * nuc.z**2 / beta

    def bracket(i_gev):
        return np.maximum(
            np.log(2.0 * me * beta**2 * gamma**2 * qmax / i_gev**2) - 2.0 * beta**2, 0.0
        )

    return pref * bracket(I_H_GEV), pref * 2.0 * bracket(I_HE_GEV)


def coulomb_rate(nuc: Nuclide, ekin_gev_per_n, n_e_cm3, t_e_k: float = 1.0e4) -> np.ndarray:
    """Coulomb loss rate in an ionised plasma, GeV/s per nucleus (array over n_e)."""
    beta = np.asarray(nuc.beta(ekin_gev_per_n))
    gamma = np.asarray(nuc.gamma(ekin_gev_per_n))
    me = M_ELECTRON_GEV
    n_e = np.asarray(n_e_cm3, dtype=float)
    xm = (3.0 * np.sqrt(np.pi) / 4.0) ** (1.0 / 3.0) * np.sqrt(2.0 * K_BOLTZMANN_GEV_K * t_e_k / me)
    m = nuc.mass_gev
    with np.errstate(divide="ignore"):
        arg = (
            me**2
            * m
            * gamma**2
            * beta**4
            / (np.pi * R_ELECTRON_CM * HBAR_C_GEV_CM**2 * n_e * (m + 2.0 * gamma * me))
        )
        ln_lambda = np.where(n_e > 0, 0.5 * np.log(np.where(n_e > 0, arg, 1.0)), 0.0)
    return (
        4.0
        * np.pi
        * R_ELECTRON_CM**2
        * me
        * C_CM_S
        * nuc.z**2
        * n_e
        * np.maximum(ln_lambda, 0.0)
        * beta**2
        / (beta**3 + xm**3)
    )


@dataclass(frozen=True)
class NuclearLosses:
    """Ionisation + Coulomb losses for nuclei; ``enabled=False`` gives none."""

    enabled: bool = True
    electron_temperature_k: float = 1.0e4

    def rate_gev_per_n_s(self, nuc: Nuclide, ekin_gev_per_n: float, gas) -> np.ndarray:
        """b = -dE_kin,n/dt in GeV/n per second on the grid of ``gas`` (a GasOnGrid)."""
        if not self.enabled:
            return np.zeros_like(gas.hi)
        b_h, b_he = ionisation_rate_per_atom(nuc, ekin_gev_per_n)
        b = b_h * gas.h_neutral + b_he * gas.he_neutral
        b = b + coulomb_rate(nuc, ekin_gev_per_n, gas.hii, self.electron_temperature_k)
        return b / nuc.a
