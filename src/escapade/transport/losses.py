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


def coulomb_coefficients(nuc: Nuclide, ekin_gev_per_n, t_e_k: float = 1.0e4):
    """(C, ln F) on an energy array, with which the Coulomb loss rate (GeV/s per nucleus) is

        b_C = C n_e max(ln Lambda, 0),   ln Lambda = (ln F - ln n_e) / 2,

    C = 4 pi r_e^2 m_e c^3 Z^2 beta^2 / (beta^3 + x_m^3) and F = m_e^2 c^4 M gamma^2 beta^4 /
    (pi r_e (hbar c)^2 (M + 2 gamma m_e)) (module docstring), so that a map of n_e needs no
    logarithm per energy."""
    beta = np.asarray(nuc.beta(ekin_gev_per_n), dtype=float)
    gamma = np.asarray(nuc.gamma(ekin_gev_per_n), dtype=float)
    me = M_ELECTRON_GEV
    xm = (3.0 * np.sqrt(np.pi) / 4.0) ** (1.0 / 3.0) * np.sqrt(2.0 * K_BOLTZMANN_GEV_K * t_e_k / me)
    m = nuc.mass_gev
    c = 4.0 * np.pi * R_ELECTRON_CM**2 * me * C_CM_S * nuc.z**2 * beta**2 / (beta**3 + xm**3)
    f = (
        me**2
        * m
        * gamma**2
        * beta**4
        / (np.pi * R_ELECTRON_CM * HBAR_C_GEV_CM**2 * (m + 2.0 * gamma * me))
    )
    return c, np.log(f)


def coulomb_from_coefficients(c: float, ln_f: float, n_e: np.ndarray, ln_n_e: np.ndarray):
    """b_C (GeV/s per nucleus) of :func:`coulomb_coefficients` at one energy on a map of n_e
    (cm^-3) and its logarithm (any value where n_e = 0)."""
    return c * n_e * np.maximum(0.5 * (ln_f - ln_n_e), 0.0)


def log_density(n_e) -> np.ndarray:
    """ln n_e, 0 where n_e = 0 (where the Coulomb rate vanishes anyway)."""
    n_e = np.asarray(n_e, dtype=float)
    return np.log(np.where(n_e > 0, n_e, 1.0))


def coulomb_rate(nuc: Nuclide, ekin_gev_per_n, n_e_cm3, t_e_k: float = 1.0e4) -> np.ndarray:
    """Coulomb loss rate in an ionised plasma, GeV/s per nucleus (array over n_e)."""
    n_e = np.asarray(n_e_cm3, dtype=float)
    c, ln_f = coulomb_coefficients(nuc, ekin_gev_per_n, t_e_k)
    return coulomb_from_coefficients(c, ln_f, n_e, log_density(n_e))


@dataclass(frozen=True)
class NuclearLosses:
    """Ionisation + Coulomb losses for nuclei; ``enabled=False`` gives none."""

    enabled: bool = True
    electron_temperature_k: float = 1.0e4

    def rate_gev_per_n_s(self, nuc: Nuclide, ekin_gev_per_n: float, gas) -> np.ndarray:
        """b = -dE_kin,n/dt in GeV/n per second on the grid of ``gas`` (a GasOnGrid)."""
        return self.rates_on(nuc, np.atleast_1d(float(ekin_gev_per_n)), gas)(0)

    def rates_on(self, nuc: Nuclide, ekin_gev_per_n: np.ndarray, gas):
        """``rate(k)``: b of :meth:`rate_gev_per_n_s` at the k-th of the energies, with the
        energy dependence tabulated once (what a march calls at every energy)."""
        if not self.enabled:
            zero = np.zeros_like(gas.hi)
            return lambda k: zero
        e = np.asarray(ekin_gev_per_n, dtype=float)
        b_h, b_he = (b / nuc.a for b in ionisation_rate_per_atom(nuc, e))
        c, ln_f = coulomb_coefficients(nuc, e, self.electron_temperature_k)
        c = c / nuc.a
        h, he, n_e = gas.h_neutral, gas.he_neutral, np.asarray(gas.hii, dtype=float)
        ln_n_e = log_density(n_e)

        def rate(k: int) -> np.ndarray:
            b = b_h[k] * h + b_he[k] * he
            return b + coulomb_from_coefficients(c[k], ln_f[k], n_e, ln_n_e)

        return rate
