"""Inverse Compton emissivity of electrons and positrons on (diluted) black-body photons.

The kernel (Blumenthal & Gould 1970, Rev. Mod. Phys. 42, 237; BG70, eq. 2.48, full
Klein-Nishina for isotropic photons) and the loss rate are
:mod:`escapade.interactions.inverse_compton`; the photon gas
:mod:`escapade.interactions.blackbody`. Here the kernel is integrated over the electron
and photon spectra (:func:`ic_emissivity_matrix`).

Thomson-limit closed form (the test of this module)
---------------------------------------------------
For N(gamma) = K gamma^-p electrons per cm^3 per unit gamma on a black body of
temperature T (n(eps) = eps^2 / (pi^2 (hbar c)^3 (exp(eps/kT) - 1))), integrating the
Thomson kernel over gamma and eps gives BG70 eq. (2.65)::

    dN / (dt d eps1) = pi r_e^2 c K (eps1 / 4)^(-(p+1)/2) I_p / (pi^2 (hbar c)^3)
                       * (kT)^((p+5)/2) Gamma((p+5)/2) zeta((p+5)/2),
    I_p = int_0^1 x^((p-1)/2) f(x) dx = 1/(a+1) + 1/(a+2) - 2/(a+2)^2 - 2/(a+3),  a = (p-1)/2,

(:func:`thomson_powerlaw_blackbody`); 2^(p+1) I_p is BG70's F(p) = 2^(p+3) (p^2 + 4 p + 11)
/ ((p+3)^2 (p+5) (p+1)).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import gamma as gamma_fn
from scipy.special import zeta

from ..constants import C_CM_S, K_BOLTZMANN_GEV_K, M_ELECTRON_GEV, R_ELECTRON_CM
from ..interactions.blackbody import BB_NORM, blackbody_eps_grid, blackbody_number_density
from ..interactions.inverse_compton import ic_kernel

__all__ = ["ic_emissivity_matrix", "thomson_powerlaw_blackbody"]


def thomson_powerlaw_blackbody(eps1_gev, k_norm: float, p: float, t_k: float) -> np.ndarray:
    """BG70 eq. 2.65: IC photons per cm^3 per s per GeV from N = K gamma^-p on a black body."""
    e1 = np.asarray(eps1_gev, float)
    a = (p - 1.0) / 2.0
    i_p = 1.0 / (a + 1) + 1.0 / (a + 2) - 2.0 / (a + 2) ** 2 - 2.0 / (a + 3)
    kt = K_BOLTZMANN_GEV_K * t_k
    s = (p + 5.0) / 2.0
    return (
        math.pi
        * R_ELECTRON_CM**2
        * C_CM_S
        * k_norm
        * (e1 / 4.0) ** (-(p + 1.0) / 2.0)
        * i_p
        * BB_NORM
        * kt**s
        * gamma_fn(s)
        * zeta(s)
    )


def ic_emissivity_matrix(ekin_fine_gev, weights, egamma_gev, t_k: float, dilution: float = 1.0):
    """M (n_gamma x n_fine): IC photons per s per GeV per cm^3 = M @ N_fine.

    ``N_fine`` is the electron density per GeV on ``ekin_fine_gev`` and ``weights`` the
    quadrature weights of the electron-energy integral there.
    """
    e = np.asarray(ekin_fine_gev, float)
    g = 1.0 + e / M_ELECTRON_GEV
    eg = np.atleast_1d(np.asarray(egamma_gev, float))
    eps, weps = blackbody_eps_grid(t_k)
    n_eps = blackbody_number_density(eps, t_k, dilution) * weps  # photons per cm^3 per node
    m = np.zeros((eg.size, e.size))
    for j, e1 in enumerate(eg):
        k = ic_kernel(eps[:, None], g[None, :], e1)  # (n_eps, n_fine)
        m[j] = n_eps @ k
    return m * np.asarray(weights, float)[None, :]
