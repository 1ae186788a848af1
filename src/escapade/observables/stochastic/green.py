"""The Green's function of the diffusion equation for one burst, with the halo boundary.

A burst of N0 particles released at x0 at time 0 into a medium of uniform diffusion
coefficient D (no losses, no boundaries) gives, at time t and position x,

    G0(x, t) = N0 (4 pi D t)^(-3/2) exp(-|x - x0|^2 / (4 D t))              (1)

(the point-source solution of dN/dt = D laplacian N; Blasi & Amato 2012, arXiv:1105.4529,
use it for the supernova remnants of the Galaxy). Its gradient at the observer points
towards the source,

    grad G0 = G0 (x0 - x) / (2 D t),                                           (2)

so the dipole of one burst alone, 3 D |grad N| / (c N), is 3 r / (2 c t) with r = |x - x0|.

The halo boundary N = 0 at |z| = H is met by image sources in z (method of images): the
images sit at z_n = 2 n H + (-1)^n z0 with sign (-1)^n, n = 0, +-1, +-2, ..., so that

    G(x, t) = N0 (4 pi D t)^(-1) exp(-rho^2 / (4 D t)) g_z,                      (3)
    g_z = sum_n (-1)^n (4 pi D t)^(-1/2) exp(-(z - z_n)^2 / (4 D t)),

rho the horizontal distance. The images n and 1 - n are mirror pairs about z = H (and n
and -1 - n about z = -H), so the sum vanishes on both boundaries term by term.

Integrated over the release times 0..T (a steady injection of one particle per unit time
for a time T), equation (1) gives

    K0(r; T) = int_0^T G0 dt / N0 = erfc(r / sqrt(4 D T)) / (4 pi D r),        (4)

which tends to the steady point source 1 / (4 pi D r) as T -> infinity; with the
boundary the same image sum applies to (4). Its gradient at the observer is

    grad K0 = [erfc(r/a) / r^2 + 2 exp(-r^2/a^2) / (sqrt(pi) a r)] / (4 pi D) * (x0 - x)/r,

a = sqrt(4 D T). Equation (4) is what the ensemble mean of many bursts is made of.

Energy losses are left out: for nuclei above ~100 GeV/n ionisation and Coulomb losses act
on times far longer than the ~Myr diffusion times from sources within a kpc, and
spallation (a few % per Myr for protons in the disc) is a small change to the burst's
normalisation that the smooth model's budget already holds. For electrons and
positrons (losses dominant) this module is not valid and is not used.

Units: lengths in kpc, times in Myr, D in kpc^2/Myr.
"""

from __future__ import annotations

import numpy as np
from scipy.special import erfc


def image_count(d_t_max, halo_height_kpc: float):
    """Images on each side needed for a diffusion length a = sqrt(4 D t) up to ``d_t_max``.

    Image n sits at least (2|n| - 1) H away; its Gaussian factor exp(-r^2 / a^2) is below
    1e-8 once (2|n| - 1) H > 4.3 a. Broadcasts over ``d_t_max``.
    """
    length = np.sqrt(4.0 * np.maximum(d_t_max, 0.0))
    return (np.ceil((4.3 * length / halo_height_kpc + 1.0) / 2.0) + 1).astype(int)


def image_heights(z0, halo_height_kpc: float, n_images: int):
    """(heights, signs) of the images of a source at ``z0``: z_n = 2 n H + (-1)^n z0."""
    n = np.arange(-n_images, n_images + 1)
    sign = np.where(n % 2 == 0, 1.0, -1.0)
    z0 = np.asarray(z0, dtype=float)
    heights = 2.0 * n * halo_height_kpc + sign * z0[..., None]
    return heights, sign


def burst_density(dx, dy, z_obs, z0, t, d, halo_height_kpc: float | None, n_images: int = 0):
    """Density and gradient at the observer of a unit burst (equations 1-3).

    ``dx, dy``: horizontal offsets source - observer (kpc); ``z_obs, z0``: heights of the
    observer and the source; ``t``: time since the release (Myr; <= 0 gives 0); ``d``: D
    (kpc^2/Myr). All broadcast together. ``halo_height_kpc = None``: no boundary.
    Returns (density, gradient) with the gradient's three components (towards +x, +y,
    +z at the observer) on a new last axis.
    """
    dx, dy, z_obs, z0, t, d = np.broadcast_arrays(
        *(np.asarray(a, float) for a in (dx, dy, z_obs, z0, t, d))
    )
    live = t > 0.0
    four_dt = np.where(live, 4.0 * d * t, 1.0)
    horizontal = np.exp(-(dx**2 + dy**2) / four_dt) / (np.pi * four_dt)
    if halo_height_kpc is None:
        heights, signs = z0[..., None], np.ones(1)
    else:
        heights, signs = image_heights(z0, halo_height_kpc, n_images)
    dz = heights - z_obs[..., None]
    g = signs * np.exp(-(dz**2) / four_dt[..., None]) / np.sqrt(np.pi * four_dt[..., None])
    vertical = g.sum(axis=-1)
    vertical_grad = (g * dz).sum(axis=-1) * 2.0 / four_dt
    dens = np.where(live, horizontal * vertical, 0.0)
    scale = np.where(live, 2.0 / four_dt, 0.0)
    grad = np.stack(
        [dens * dx * scale, dens * dy * scale, np.where(live, horizontal * vertical_grad, 0.0)],
        axis=-1,
    )
    return dens, grad


def steady_kernel(r_vec, d, duration, halo_height_kpc: float | None, n_images: int = 0):
    """Time-integrated unit burst (equation 4) and its gradient, with image sources.

    ``r_vec``: (..., 3) source - observer offsets (the observer at z = 0); ``d`` (kpc^2/Myr)
    and ``duration`` (Myr; <= 0 gives 0) broadcast against ``r_vec[..., 0]``.
    Returns (kernel, gradient (..., 3)).
    """
    r_vec = np.asarray(r_vec, dtype=float)
    dx, dy, z0 = r_vec[..., 0], r_vec[..., 1], r_vec[..., 2]
    dx, dy, z0, d, duration = np.broadcast_arrays(
        dx, dy, z0, np.asarray(d, float), np.asarray(duration, float)
    )
    live = duration > 0.0
    a = np.sqrt(4.0 * d * np.where(live, duration, 1.0))
    if halo_height_kpc is None:
        heights, signs = z0[..., None], np.ones(1)
    else:
        heights, signs = image_heights(z0, halo_height_kpc, n_images)
    rho2 = (dx**2 + dy**2)[..., None]
    r = np.sqrt(rho2 + heights**2)
    r = np.maximum(r, 1e-12)
    a_ = a[..., None]
    base = erfc(r / a_) / (4.0 * np.pi * d[..., None] * r)
    radial = (erfc(r / a_) / r**2 + 2.0 * np.exp(-((r / a_) ** 2)) / (np.sqrt(np.pi) * a_ * r)) / (
        4.0 * np.pi * d[..., None]
    )
    k = (signs * base).sum(axis=-1)
    w = signs * radial / r
    grad = np.stack(
        [(w * dx[..., None]).sum(-1), (w * dy[..., None]).sum(-1), (w * heights).sum(-1)], axis=-1
    )
    return np.where(live, k, 0.0), np.where(live[..., None], grad, 0.0)
