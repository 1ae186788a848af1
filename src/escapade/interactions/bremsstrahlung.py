"""Bremsstrahlung of electrons and positrons on H and He: the cross section and loss rate.

Cross section
-------------
Complete-screening (high-energy) limit for a neutral atom of charge Z, Tsai 1974
(Rev. Mod. Phys. 46, 815, eq. 3.83), as written in the Review of Particle Physics
(Workman et al. 2022, PTEP 2022, 083C01, "Passage of particles through matter",
eq. 34.29):

    dsigma/dk = (4 alpha r_e^2 / k) { (4/3 - 4/3 y + y^2) [Z^2 (L_rad - f(Z)) + Z L'_rad]
                                      + (1/9) (1 - y) (Z^2 + Z) },     y = k / E,

with k the photon energy, E the lepton's total energy, L_rad = 5.31 (H), 4.79 (He),
L'_rad = 6.144 (H), 5.621 (He) (Tsai's Table B.2, RPP Table 34.2) and the Coulomb
correction f(Z) = a^2 [1/(1 + a^2) + 0.20206 - 0.0369 a^2 + 0.0083 a^4 - 0.002 a^6],
a = alpha Z. It holds for E >~ 1 GeV (gamma >~ 2000; below, screening is incomplete and
the true cross section is somewhat larger: the same limit as Strong, Moskalenko &
Reimer 2000, ApJ 537, 763, use for E > 2 GeV). The same cross section is used for the
ionised phase (HII), whose unscreened cross section is within ~10 % of it at GeV
energies and whose column is a few per cent of the neutral one in the plane.

Published value (the test): the energy-loss rate it implies, c beta n int k dsigma/dk dk
= c n E (1 + small 1/9 term) / (X_0 / m_atom), reproduces the radiation lengths of the
RPP tables, X_0 = 63.04 g cm^-2 (hydrogen) and 94.32 g cm^-2 (helium).

The emissivity built on the same cross section is :mod:`escapade.emission.bremsstrahlung`.
"""

from __future__ import annotations

import numpy as np

from ..constants import C_CM_S, M_ELECTRON_GEV, R_ELECTRON_CM

__all__ = [
    "ALPHA",
    "RADIATION_LENGTH_G_CM2",
    "TSAI",
    "bremsstrahlung_loss_rate_gev_s",
    "dsigma_dk_cm2_per_gev",
    "radiation_length_g_cm2",
]

ALPHA = 1.0 / 137.035999084
"""Fine-structure constant (CODATA 2018)."""

TSAI = {"H": (1, 5.31, 6.144, 1.00794), "He": (2, 4.79, 5.621, 4.002602)}
"""Target: (Z, L_rad, L'_rad, atomic mass A in g/mol); Tsai 1974 Table B.2 / RPP Table 34.2."""

RADIATION_LENGTH_G_CM2 = {"H": 63.04, "He": 94.32}
"""Radiation lengths of the RPP (atomic and nuclear properties tables), the published values."""

AVOGADRO = 6.02214076e23


def _coulomb_correction(z: int) -> float:
    a2 = (ALPHA * z) ** 2
    return a2 * (1.0 / (1.0 + a2) + 0.20206 - 0.0369 * a2 + 0.0083 * a2**2 - 0.002 * a2**3)


def _screening(target: str) -> tuple[float, float]:
    if target not in TSAI:
        raise ValueError(f"unknown bremsstrahlung target {target!r}; allowed: {', '.join(TSAI)}")
    z, l_rad, l_rad_p, _ = TSAI[target]
    return z**2 * (l_rad - _coulomb_correction(z)) + z * l_rad_p, (z**2 + z) / 9.0


def dsigma_dk_cm2_per_gev(target: str, e_total_gev, k_gev) -> np.ndarray:
    """Tsai's complete-screening dsigma/dk (cm^2/GeV) on one atom; 0 for k >= E."""
    s1, s2 = _screening(target)
    e = np.asarray(e_total_gev, float)
    k = np.asarray(k_gev, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        y = k / e
        val = (
            4.0
            * ALPHA
            * R_ELECTRON_CM**2
            / k
            * ((4.0 / 3.0 - 4.0 / 3.0 * y + y * y) * s1 + (1.0 - y) * s2)
        )
    return np.where((y > 0) & (y < 1), val, 0.0)


def radiation_length_g_cm2(target: str) -> float:
    """X_0 = A / (4 alpha r_e^2 N_A [Z^2 (L_rad - f) + Z L'_rad]) in g/cm^2."""
    s1, _ = _screening(target)
    a_mass = TSAI[target][3]
    return a_mass / (4.0 * ALPHA * R_ELECTRON_CM**2 * AVOGADRO * s1)


def bremsstrahlung_loss_rate_gev_s(ekin_gev, n_h_cm3, n_he_cm3) -> np.ndarray:
    """b = -dE/dt (GeV/s) = c beta sum_t n_t int_0^E k dsigma_t/dk dk (complete screening).

    int_0^E k dsigma/dk dk = 4 alpha r_e^2 E (s1 + s2 / 2): analytic. Broadcasts
    ``ekin_gev`` against the densities.
    """
    e = np.asarray(ekin_gev, float) + M_ELECTRON_GEV
    beta = np.sqrt(1.0 - (M_ELECTRON_GEV / e) ** 2)
    out = 0.0
    for target, n in (("H", n_h_cm3), ("He", n_he_cm3)):
        s1, s2 = _screening(target)
        out = out + np.asarray(n, float) * 4.0 * ALPHA * R_ELECTRON_CM**2 * (s1 + 0.5 * s2)
    return C_CM_S * beta * e * out
