"""Angular distribution of the interstellar radiation field, in real spherical harmonics.

Model
-----
Away from the plane the ISRF is far from isotropic: the starlight and the dust emission
come from a thin disc (Moskalenko & Strong 2000, ApJ 528, 357). escapade takes the
*angular shape* of each non-CMB component from an exponential emitting disc,

    j(R, z) = exp(-R / h_R - |z| / h_z),
    I(x, s) = int_0^inf j(x + t s) exp(-tau(t)) dt   (s: the direction the photons come from),
    tau(t) = tau_0 int_0^t exp(-(R' - 8.5 kpc) / h_Rd - |z'| / h_zd) dt',

and normalises it, f(x, s) = I / int I dOmega, so the energy density stays that of the
component's profile (:mod:`escapade.leptons.fields`); the CMB is isotropic. Emitter
scales (:data:`EMITTERS`):

* starlight: the stellar thin disc, h_R = 2.6 kpc, h_z = 0.3 kpc (Bland-Hawthorn &
  Gerhard 2016, ARA&A 54, 529, their table: 2.6 +- 0.5 kpc, 300 +- 50 pc);
* dust (infrared emission): the dust disc, h_R = 3.2 kpc, h_z = 0.10 kpc (Li et al.
  2018, ApJ 858, 75, fitted to LAMOST extinctions: 3192 pc and 103 pc); the far
  infrared is optically thin (tau_0 = 0).

Starlight is absorbed by that same dust disc (h_Rd = 3.2, h_zd = 0.10 kpc): tau_0 =
1.0 per kpc in the mid-plane at the solar circle, between the V band (A_V ~ 1.8 mag/kpc,
tau_V ~ 1.7 / kpc: Whittet 2003, *Dust in the Galactic Environment*, 2nd ed., sec. 3.1)
and the J band (A_J / A_V = 0.28, Cardelli, Clayton & Mathis 1989, ApJ 345, 245), where
a 5000 K greybody puts most of its photons. Without it the bright inner disc would
dominate the in-plane starlight, which extinction hides. Scattering, the bulge and the
spiral arms are left out; the angular shape is an approximation of the radiative-transfer
models (Porter et al. 2008, ApJ 682, 400), which are not shipped.

Harmonics
---------
The field is axisymmetric and symmetric under reflection in the meridional plane, so
in the local frame (e_R, e_phi, e_z) at (R, z) it is expanded in the cosine-type real
spherical harmonics

    Y_lm(mu, psi) = N_lm P_l^m(mu) cos(m psi),
    N_lm = sqrt((2 - delta_m0) (2 l + 1) / (4 pi) (l - m)! / (l + m)!),

(mu = s.e_z, psi the azimuth from e_R; orthonormal on the sphere; P_l^m as in
scipy.special.lpmv) with a_lm = int f Y_lm dOmega, a_00 = 1 / sqrt(4 pi). The
coefficients are computed on a coarse (R, |z|) table (finer near the plane) by
quadrature in mu (Gauss-Legendre panels refined at mu = 0), psi (midpoints) and along
each ray (trapezoid, refined where the ray crosses the plane); z < 0 follows from
a_lm(R, -z) = (-1)^(l+m) a_lm(R, z).
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.special import lpmv

from ..grid import linear_interp_matrix

__all__ = [
    "EMITTERS",
    "EmittingDisk",
    "angular_coefficients",
    "harmonic_pairs",
    "legendre_factor",
    "real_harmonic",
    "sphere_quadrature",
]


@dataclass(frozen=True)
class EmittingDisk:
    """An exponential disc of emitters (scales in kpc), optionally seen through a dust disc."""

    r_scale_kpc: float
    z_scale_kpc: float
    tau_per_kpc: float = 0.0
    """Dust optical depth per kpc in the mid-plane at R = 8.5 kpc (0: optically thin)."""
    dust_r_scale_kpc: float = 3.2
    dust_z_scale_kpc: float = 0.10

    def emissivity(self, r_kpc, z_kpc) -> np.ndarray:
        """Relative emissivity exp(-R / h_R - |z| / h_z)."""
        return np.exp(-np.asarray(r_kpc) / self.r_scale_kpc - np.abs(z_kpc) / self.z_scale_kpc)

    def intensity(self, r_kpc: float, z_kpc: float, mu, psi, n_t: int = 120) -> np.ndarray:
        """Relative intensity I = int j dt from (R, 0, z) towards the directions (mu, psi).

        Trapezoid on nodes geometric in t from the point and, for rays that cross the
        plane, geometric in |t - t_c| on both sides of the crossing t_c = |z / mu| (the
        thin discs are crossed within ~h_z / |mu|).
        """
        mu = np.asarray(mu, float)
        psi = np.asarray(psi, float)
        shape = np.broadcast(mu, psi).shape
        mu_b = np.broadcast_to(mu, shape)[..., None]
        psi_b = np.broadcast_to(psi, shape)[..., None]
        with np.errstate(divide="ignore"):
            tc = np.where(mu_b * z_kpc < 0, np.abs(z_kpc / np.where(mu_b == 0, 1.0, mu_b)), 0.0)
        n1 = max(8, n_t // 3)
        before = tc * (1.0 - np.geomspace(1.0, 1e-3, n1))
        after = tc + np.geomspace(1e-3, 60.0, n_t)
        t = np.concatenate([before, after], axis=-1).astype(np.float32)
        st = np.sqrt(np.clip(1.0 - mu_b**2, 0.0, None))
        x = (st * np.cos(psi_b)).astype(np.float32) * t
        x += np.float32(r_kpc)
        y = (st * np.sin(psi_b)).astype(np.float32) * t
        x *= x
        y *= y
        x += y
        r = np.sqrt(x)
        r *= np.float32(-1.0 / self.r_scale_kpc)
        z = mu_b.astype(np.float32) * t
        z += np.float32(z_kpc)
        np.abs(z, out=z)
        r -= z * np.float32(1.0 / self.z_scale_kpc)
        dt = np.diff(t, axis=-1)
        if self.tau_per_kpc > 0:  # attenuation exp(-tau(t)) by the dust disc
            rho = np.exp(
                -(np.sqrt(x) - np.float32(8.5)) * np.float32(1.0 / self.dust_r_scale_kpc)
                - z * np.float32(1.0 / self.dust_z_scale_kpc)
            )
            seg = 0.5 * (rho[..., 1:] + rho[..., :-1]) * dt * np.float32(self.tau_per_kpc)
            tau = np.concatenate([np.zeros_like(seg[..., :1]), np.cumsum(seg, axis=-1)], -1)
            r -= tau
        j = np.exp(r, out=r)
        seg = j[..., 1:] + j[..., :-1]
        seg *= dt
        return 0.5 * np.sum(seg, axis=-1, dtype=np.float64)


EMITTERS = {
    "starlight": EmittingDisk(2.6, 0.3, tau_per_kpc=1.0),
    "dust": EmittingDisk(3.2, 0.10),
}
"""Emitting discs of the ISRF components (see the module docstring for the sources)."""


def harmonic_pairs(lmax: int, lmin: int = 0) -> list[tuple[int, int]]:
    """(l, m) for lmin <= l <= lmax, 0 <= m <= l, in that order."""
    return [(ell, m) for ell in range(lmin, lmax + 1) for m in range(ell + 1)]


def _norm(ell: int, m: int) -> float:
    f = (2 * ell + 1) / (4.0 * math.pi) * math.factorial(ell - m) / math.factorial(ell + m)
    return math.sqrt(f * (1.0 if m == 0 else 2.0))


def real_harmonic(ell: int, m: int, mu, cospsi) -> np.ndarray:
    """Y_lm = N_lm P_l^m(mu) cos(m psi), with cos(m psi) = T_m(cos psi) (Chebyshev)."""
    mu = np.asarray(mu, float)
    c = np.clip(np.asarray(cospsi, float), -1.0, 1.0)
    return _norm(ell, m) * lpmv(m, ell, mu) * np.cos(m * np.arccos(c))


def legendre_factor(ell: int, m: int, mu) -> np.ndarray:
    """N_lm P_l^m(mu): Y_lm without its cos(m psi)."""
    return _norm(ell, m) * lpmv(m, ell, np.asarray(mu, float))


@lru_cache(maxsize=4)
def sphere_quadrature(n_mu_panel: int = 8, n_psi: int = 24):
    """(mu, psi, weight) over the half sphere psi in [0, pi], weights doubled (reflection).

    mu: Gauss-Legendre panels with edges at 0, +-0.01, 0.03, 0.1, 0.3, 1 (the thin
    discs put sharp features at mu ~ 0); psi: midpoints.
    """
    edges = np.array([-1.0, -0.3, -0.1, -0.03, -0.01, 0.0, 0.01, 0.03, 0.1, 0.3, 1.0])
    x, w = np.polynomial.legendre.leggauss(n_mu_panel)
    mus, wmu = [], []
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        mus.append(0.5 * (b - a) * x + 0.5 * (a + b))
        wmu.append(0.5 * (b - a) * w)
    mu = np.concatenate(mus)
    wmu = np.concatenate(wmu)
    psi = (np.arange(n_psi) + 0.5) * math.pi / n_psi
    mm, pp = np.meshgrid(mu, psi, indexing="ij")
    ww = np.outer(wmu, np.full(n_psi, 2.0 * math.pi / n_psi))
    return mm.ravel(), pp.ravel(), ww.ravel()


def _z_nodes(h_kpc: float) -> np.ndarray:
    base = [0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.7, 1.0, 1.3, 1.7, 2.2, 2.8]
    base += [3.5, 4.5, 6.0, 8.0, 10.0, 13.0, 16.0, 20.0]
    z = [v for v in base if v < h_kpc] + [h_kpc]
    return np.array(z)


@lru_cache(maxsize=8)
def _table(disk: EmittingDisk, lmax: int, r_max_kpc: float, h_kpc: float):
    """a_lm on the coarse (R, |z|) table: (r nodes, z nodes, (n_pairs, n_r, n_z))."""
    # 0.5 kpc steps inside 10 kpc, 1 kpc outside (the coefficients vary on ~h_R)
    r_in = min(10.0, r_max_kpc)
    n_out = max(2, int(math.ceil(r_max_kpc - r_in)) + 1)
    r_nodes = np.unique(
        np.concatenate([np.arange(0.0, r_in, 0.5), np.linspace(r_in, r_max_kpc, n_out)])
    )
    z_nodes = _z_nodes(h_kpc)
    mu, psi, w = sphere_quadrature()
    pairs = harmonic_pairs(lmax)
    ylm = np.stack([real_harmonic(ell, m, mu, np.cos(psi)) for ell, m in pairs])  # (P, D)
    out = np.empty((len(pairs), r_nodes.size, z_nodes.size))

    def column(i):
        for k, z0 in enumerate(z_nodes):
            inten = disk.intensity(float(r_nodes[i]), float(z0), mu, psi)
            f = inten / np.sum(inten * w)
            out[:, i, k] = ylm @ (f * w)

    with ThreadPoolExecutor(min(2, os.cpu_count() or 1)) as pool:
        list(pool.map(column, range(r_nodes.size)))
    out.setflags(write=False)
    return r_nodes, z_nodes, out


def angular_coefficients(
    disk: EmittingDisk, lmax: int, r_kpc, z_kpc, r_max_kpc: float = 20.0, h_kpc: float = 4.0
) -> np.ndarray:
    """a_lm(R, z) of the photons of ``disk`` on the grid ``r_kpc`` x ``z_kpc``.

    Returns (n_pairs, n_r, n_z) in the order of :func:`harmonic_pairs` (lmax), bilinear in
    R and |z| from the coarse table (whose extent is ``r_max_kpc`` x ``h_kpc``).
    """
    r = np.asarray(r_kpc, float)
    z = np.asarray(z_kpc, float)
    rn, zn, tab = _table(disk, int(lmax), float(r_max_kpc), float(max(h_kpc, np.abs(z).max())))
    wr = linear_interp_matrix(rn, r)
    wz = linear_interp_matrix(zn, np.abs(z))
    a = np.einsum("ri,pij,zj->prz", wr, tab, wz)
    parity = np.array([(-1.0) ** (ell + m) for ell, m in harmonic_pairs(int(lmax))])
    neg = z < 0
    a[:, :, neg] *= parity[:, None, None]
    return a
