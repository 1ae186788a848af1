"""Black-body photon gases, the targets of inverse Compton scattering.

A black body of temperature T has n(eps) = eps^2 / (pi^2 (hbar c)^3 (exp(eps/kT) - 1))
photons per cm^3 per unit energy and the energy density a T^4 = pi^2 (kT)^4 /
(15 (hbar c)^3); a greybody (diluted black body) is w times that.
"""

from __future__ import annotations

import math

import numpy as np

from ..constants import HBAR_C_GEV_CM, K_BOLTZMANN_GEV_K

__all__ = [
    "BB_NORM",
    "blackbody_energy_density_gev_cm3",
    "blackbody_eps_grid",
    "blackbody_number_density",
]

BB_NORM = 1.0 / (math.pi**2 * HBAR_C_GEV_CM**3)
"""1 / (pi^2 (hbar c)^3) in GeV^-3 cm^-3: the prefactor of the black-body spectrum."""


def blackbody_number_density(eps_gev, t_k: float, dilution: float = 1.0):
    """Photons per cm^3 per GeV of a black body of temperature ``t_k`` times ``dilution``."""
    eps = np.asarray(eps_gev, float)
    x = eps / (K_BOLTZMANN_GEV_K * t_k)
    with np.errstate(over="ignore"):
        return dilution * BB_NORM * eps**2 / np.expm1(x)


def blackbody_energy_density_gev_cm3(t_k: float) -> float:
    """Energy density a T^4 of an undiluted black body, GeV/cm^3."""
    kt = K_BOLTZMANN_GEV_K * t_k
    return BB_NORM * kt**4 * math.pi**4 / 15.0


def blackbody_eps_grid(t_k: float, n: int = 96):
    """Log grid of target-photon energies covering a black body, with ln-trapezoid weights."""
    kt = K_BOLTZMANN_GEV_K * t_k
    eps = np.geomspace(1e-4 * kt, 40.0 * kt, n)
    w = np.full(n, math.log(eps[1] / eps[0]))
    w[0] = w[-1] = 0.5 * w[0]
    return eps, w * eps
