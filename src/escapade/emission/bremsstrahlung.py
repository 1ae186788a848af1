"""Bremsstrahlung emissivity of cosmic-ray electrons and positrons on interstellar H and He.

The cross section (Tsai 1974, complete screening, as in the Review of Particle Physics)
and the loss rate are :mod:`escapade.interactions.bremsstrahlung`.

Emissivity
----------
Per H atom (He through n_He/n_H), per steradian, as the pi0 emissivity:

    q_brems(E_g) = 1/(4 pi) sum_{e-, e+} int dE beta c N(E)
                   [dsigma_H/dk + (n_He/n_H) dsigma_He/dk](E, k = E_g)   (ph s^-1 sr^-1 GeV^-1).
"""

from __future__ import annotations

import numpy as np

from ..constants import C_CM_S, FOUR_PI, M_ELECTRON_GEV
from ..interactions.bremsstrahlung import dsigma_dk_cm2_per_gev

__all__ = ["bremsstrahlung_emissivity_matrix"]


def bremsstrahlung_emissivity_matrix(ekin_fine_gev, weights, egamma_gev, he_to_h: float):
    """M (n_gamma x n_fine): q_brems per H atom (ph s^-1 sr^-1 GeV^-1) = M @ N_fine.

    ``N_fine``: lepton density per GeV on ``ekin_fine_gev`` (e- + e+), ``weights`` the
    quadrature weights there.
    """
    e = np.asarray(ekin_fine_gev, float) + M_ELECTRON_GEV
    beta = np.sqrt(1.0 - (M_ELECTRON_GEV / e) ** 2)
    eg = np.atleast_1d(np.asarray(egamma_gev, float))[:, None]
    sig = dsigma_dk_cm2_per_gev("H", e[None, :], eg) + he_to_h * dsigma_dk_cm2_per_gev(
        "He", e[None, :], eg
    )
    return sig * (beta * C_CM_S / FOUR_PI * np.asarray(weights, float))[None, :]
