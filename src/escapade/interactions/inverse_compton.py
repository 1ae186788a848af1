"""Inverse Compton scattering of electrons and positrons: the kernel and the loss rate.

Kernel
------
Blumenthal & Gould 1970 (Rev. Mod. Phys. 42, 237; BG70), eq. (2.48): an electron of
Lorentz factor gamma in an isotropic photon gas with n(eps) d eps photons per cm^3 scatters
photons of energy eps into eps1 at the rate

    dN / (dt d eps1) = 2 pi r_e^2 c n(eps) d eps / (gamma^2 eps)
                       * [ 2 q ln q + (1 + 2 q)(1 - q) + (G q)^2 (1 - q) / (2 (1 + G q)) ],

    G = 4 eps gamma / (m_e c^2),   q = eps1 / (G (gamma m_e c^2 - eps1)),   1/(4 gamma^2) <= q <= 1,

the full Klein-Nishina result for gamma >> 1 (isotropic photons; the anisotropic kernel and
its use for the ISRF's angular distribution, Moskalenko & Strong 2000, are in
:mod:`escapade.emission.ic_anisotropic`). For G << 1 it
reduces to the Thomson-limit kernel (3 sigma_T c / (4 gamma^2 eps)) f(x), x = eps1 /
(4 gamma^2 eps), f = 2 x ln x + x + 1 - 2 x^2 (BG70 eq. 2.42).

Energy losses
-------------
The IC loss rate of an electron is b = int d eps1 int d eps (eps1 - eps) dN/(dt d eps d eps1),
computed from the same kernel on a (diluted) black body
(:func:`ic_loss_rate_gev_s`, :mod:`escapade.interactions.blackbody`); in the Thomson limit
it is (4/3) sigma_T c gamma^2 U.

The IC emissivity built on the same kernel is :mod:`escapade.emission.inverse_compton`.
"""

from __future__ import annotations

import math

import numpy as np

from ..constants import C_CM_S, M_ELECTRON_GEV, R_ELECTRON_CM
from .blackbody import blackbody_eps_grid, blackbody_number_density

__all__ = ["SIGMA_T_CM2", "ic_kernel", "ic_loss_rate_gev_s"]

SIGMA_T_CM2 = 8.0 * math.pi / 3.0 * R_ELECTRON_CM**2
"""Thomson cross section in cm^2."""


def ic_kernel(eps_gev, gamma, eps1_gev):
    """BG70 eq. 2.48 without n(eps) d eps: dN/(dt d eps1) per photon per cm^3 (cm^3 s^-1 GeV^-1).

    Broadcasts its arguments; zero outside the kinematic range 1/(4 gamma^2) <= q <= 1.
    """
    eps = np.asarray(eps_gev, float)
    g = np.asarray(gamma, float)
    e1 = np.asarray(eps1_gev, float)
    big_g = 4.0 * eps * g / M_ELECTRON_GEV
    ee = g * M_ELECTRON_GEV
    with np.errstate(divide="ignore", invalid="ignore"):
        q = e1 / (big_g * (ee - e1))
        gq = big_g * q
        f = 2.0 * q * np.log(q) + (1.0 + 2.0 * q) * (1.0 - q) + gq**2 * (1.0 - q) / (2.0 * (1 + gq))
        ok = (e1 < ee) & (q >= 1.0 / (4.0 * g**2)) & (q <= 1.0)
        val = 2.0 * math.pi * R_ELECTRON_CM**2 * C_CM_S / (g**2 * eps) * f
    return np.where(ok, np.maximum(val, 0.0), 0.0)


def ic_loss_rate_gev_s(ekin_gev, t_k: float, dilution: float = 1.0, n_q: int = 48) -> np.ndarray:
    """IC energy-loss rate b = -dE/dt (GeV/s) of electrons of kinetic energy ``ekin_gev``.

    On a black body of temperature ``t_k`` diluted by ``dilution`` (Klein-Nishina, BG70
    eq. 2.48 integrated over eps1 with the weight eps1 - eps, then over the photons).
    """
    e = np.atleast_1d(np.asarray(ekin_gev, float))
    g = 1.0 + e / M_ELECTRON_GEV
    eps, weps = blackbody_eps_grid(t_k)
    n_eps = blackbody_number_density(eps, t_k, dilution)
    out = np.zeros(e.size)
    # integrate over q in [1/(4 g^2), 1] (eps1 = G q E / (1 + G q)) by Gauss-Legendre in q:
    # the energy weight eps1 ~ q puts the integral at q ~ 1, where the integrand is smooth
    x, wx = np.polynomial.legendre.leggauss(n_q)
    for i, gi in enumerate(g):
        big_g = 4.0 * eps * gi / M_ELECTRON_GEV  # (n_eps,)
        q0 = 1.0 / (4.0 * gi**2)
        q = (q0 + (1.0 - q0) * 0.5 * (x + 1.0))[None, :]
        wq = 0.5 * (1.0 - q0) * wx[None, :]
        ee = gi * M_ELECTRON_GEV
        gq = big_g[:, None] * q
        eps1 = gq * ee / (1.0 + gq)
        deps1_dq = eps1 / (q * (1.0 + gq))
        k = ic_kernel(eps[:, None], gi, eps1)
        integrand = k * (eps1 - eps[:, None]) * deps1_dq * wq
        out[i] = float(np.sum(n_eps * weps * integrand.sum(axis=1)))
    return out
