"""Anisotropic inverse Compton scattering: the head-on Klein-Nishina kernel and its
Legendre moments.

Kernel
------
An ultra-relativistic electron (Lorentz factor gamma >> 1) moving along e meets a beam
of photons of energy eps (n photons per cm^3) whose propagation direction makes the
angle theta with e; u = 1 - cos(theta) (u = 2: head-on). The scattered photons leave
along e, with energy eps1 = z gamma m c^2, at the rate

    dN / (dt d eps1) = 2 pi r_e^2 c n / (gamma^2 eps)
                       * [ 1 + z^2 / (2 (1 - z)) - 2 z / (b (1 - z)) + 2 z^2 / (b^2 (1 - z)^2) ],

    b = 2 gamma eps u / (m c^2),   0 <= z <= b / (1 + b),

(Aharonian & Atoyan 1981, Ap&SS 79, 321; the form used for the Galaxy by Moskalenko &
Strong 2000, ApJ 528, 357, "Anisotropic inverse Compton scattering in the Galaxy"). It
is the Klein-Nishina cross section in the electron rest frame, where for gamma >> 1 the
photon arrives head-on with energy eps' = gamma eps u, boosted back to the lab, times
the collision rate c u n. Checks (tests/test_ic_anisotropic.py): its average over an
isotropic photon gas, (1/2) int_0^2 du, is Blumenthal & Gould 1970 eq. (2.48)
(:func:`escapade.interactions.inverse_compton.ic_kernel`); in the Thomson limit the
scattered power int eps1 dN is sigma_T c gamma^2 eps u^2, the textbook
(1 - beta cos theta)^2 dependence (Rybicki & Lightman 1979, eq. 7.16a).

Legendre moments
----------------
With target photons arriving from the directions s (a unit vector towards the source)
with the angular distribution f(s) (int f dOmega = 1), the propagation direction is
-s and u = 1 + s.e. For a photon field expanded in real spherical harmonics,
f = sum a_lm Y_lm, the Funk-Hecke theorem gives

    int dOmega_s f(s) K(1 + s.e) = sum_lm a_lm kappa_l Y_lm(e),
    kappa_l = 2 pi int_{-1}^{1} K(1 + t) P_l(t) dt.

The bracket is A - 2 u0 / u + 2 u0^2 / u^2 with u0 = z / (2 gamma eps (1 - z) / m c^2)
the smallest u that can make eps1, and P_l(u - 1) is the shifted Legendre polynomial
of x = u / 2, so kappa_l is integrated in closed form (:func:`kernel_legendre_moments`);
kappa_0 / (4 pi) is the isotropic kernel.
"""

from __future__ import annotations

import math

import numpy as np

from ..constants import C_CM_S, M_ELECTRON_GEV, R_ELECTRON_CM

__all__ = ["ic_kernel_anisotropic", "kernel_legendre_moments", "shifted_legendre_coefficients"]

_PREF = 2.0 * math.pi * R_ELECTRON_CM**2 * C_CM_S


def _z_u0(eps, g, e1):
    """z = eps1 / (gamma m c^2) and u0, the smallest u reaching eps1 (inf if none)."""
    z = e1 / (g * M_ELECTRON_GEV)
    with np.errstate(divide="ignore", invalid="ignore"):
        u0 = np.where(z < 1.0, z / (2.0 * g * (eps / M_ELECTRON_GEV) * (1.0 - z)), np.inf)
    return z, u0


def ic_kernel_anisotropic(eps_gev, gamma, eps1_gev, u):
    """dN / (dt d eps1) per photon per cm^3 (cm^3 s^-1 GeV^-1) for 1 - cos(theta) = ``u``.

    ``theta``: the angle between the electron's and the target photon's directions of
    motion (u = 2 is head-on). Broadcasts; zero outside the kinematic range.
    """
    eps = np.asarray(eps_gev, float)
    g = np.asarray(gamma, float)
    e1 = np.asarray(eps1_gev, float)
    u = np.asarray(u, float)
    z, u0 = _z_u0(eps, g, e1)
    with np.errstate(divide="ignore", invalid="ignore"):
        x = u0 / u
        a = 1.0 + z**2 / (2.0 * (1.0 - z))
        val = _PREF / (g**2 * eps) * (a - 2.0 * x + 2.0 * x**2)
        ok = (z > 0) & (z < 1.0) & (u >= u0) & (u <= 2.0)
    return np.where(ok, np.maximum(val, 0.0), 0.0)


def shifted_legendre_coefficients(lmax: int) -> np.ndarray:
    """C (lmax+1, lmax+1): P_l(2 x - 1) = sum_k C[l, k] x^k (exact integers as floats)."""
    c = np.zeros((lmax + 1, lmax + 1))
    for ell in range(lmax + 1):
        for k in range(ell + 1):
            c[ell, k] = (-1) ** (ell + k) * math.comb(ell, k) * math.comb(ell + k, k)
    return c


def kernel_legendre_moments(eps_gev, gamma, eps1_gev, lmax: int) -> np.ndarray:
    """kappa_l = 2 pi int_{-1}^{1} K(1 + t) P_l(t) dt for l = 0 ... lmax (closed form).

    Arguments broadcast; the result has a leading axis of length lmax + 1
    (cm^3 s^-1 GeV^-1 sr). kappa_0 / (4 pi) is the isotropic (BG70) kernel.
    """
    eps = np.asarray(eps_gev, float)
    g = np.asarray(gamma, float)
    e1 = np.asarray(eps1_gev, float)
    eps, g, e1 = np.broadcast_arrays(eps, g, e1)
    z, u0 = _z_u0(eps, g, e1)
    ok = (z > 0) & (z < 1.0) & (u0 < 2.0)
    u0 = np.where(ok, u0, 1.0)
    zz = np.where(ok, z, 0.0)
    amp = 1.0 + zz**2 / (2.0 * (1.0 - zz))
    # in x = u / 2 in [x0, 1], x0 = u0 / 2:
    # A - 2 u0 / u + 2 u0^2 / u^2 = A - 2 x0 / x + 2 x0^2 / x^2
    x0 = 0.5 * u0
    coef = shifted_legendre_coefficients(lmax)

    def mono(k):  # int_{x0}^{1} x^k dx
        if k == -1:
            return -np.log(x0)
        if k == -2:
            return 1.0 / x0 - 1.0
        return (1.0 - x0 ** (k + 1)) / (k + 1)

    m = [mono(k) for k in range(-2, lmax + 1)]  # index k + 2
    out = np.zeros((lmax + 1,) + eps.shape)
    for ell in range(lmax + 1):
        acc = np.zeros(eps.shape)
        for k in range(ell + 1):
            c = coef[ell, k]
            acc += c * (amp * m[k + 2] - 2.0 * x0 * m[k + 1] + 2.0 * x0**2 * m[k])
        out[ell] = acc
    # dt = du = 2 dx; 2 pi * 2 * pref / (gamma^2 eps)
    pref = 4.0 * math.pi * _PREF / (g**2 * eps)
    return np.where(ok, out * pref, 0.0)
