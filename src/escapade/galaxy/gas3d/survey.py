"""Sight lines from the Sun, HEALPix pixels and the line-of-sight quadrature of the constraint.

Frame: Galactocentric x, y, z in kpc, the Sun at (R_sun, 0, 0), +y toward l = +90 deg. A
point at distance s along (l, b) from the Sun is

    x = R_sun - s cos b cos l,   y = s cos b sin l,   z = s sin b.

Sky maps are HEALPix, RING ordering, Galactic coordinates (astropy_healpix; BSD licence).

Line-of-sight quadrature (:func:`column_cm2`): the column of a density n along (l, b) from the
Sun to the edge of the Galaxy, the cylinder R <= R_max, |z| <= z_max (R_max and the halo
half-height H from ``[galaxy]``), is

    N = int_0^{s_max} n(s) ds,

computed in the variable u = ln(1 + s / s_0) (s_0 = 10 pc, so that the nodes crowd near the
Sun, where the gas at high latitude lives) by composite Gauss-Legendre quadrature: ``n_panels``
equal panels in u with ``n_gauss`` nodes each (defaults 24 x 12 = 288 nodes per sight line).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ...constants import KPC_CM

S0_KPC = 0.01
"""Length scale of the logarithmic path variable u = ln(1 + s / s0), kpc."""


def path_length_kpc(l_rad, b_rad, sun_r_kpc: float, r_max_kpc: float, z_max_kpc: float):
    """Distance from the Sun to the edge of the cylinder R <= R_max, |z| <= z_max along (l, b)."""
    l_rad, b_rad = np.broadcast_arrays(np.asarray(l_rad, float), np.asarray(b_rad, float))
    cb = np.cos(b_rad)
    sb = np.abs(np.sin(b_rad))
    root = np.sqrt(np.clip(r_max_kpc**2 - (sun_r_kpc * np.sin(l_rad)) ** 2, 0.0, None))
    with np.errstate(divide="ignore"):
        s_r = np.where(cb > 0, (sun_r_kpc * np.cos(l_rad) + root) / np.where(cb > 0, cb, 1), np.inf)
        s_z = np.where(sb > 0, z_max_kpc / np.where(sb > 0, sb, 1.0), np.inf)
    return np.minimum(s_r, s_z)


def point_on_sightline(l_rad, b_rad, s_kpc, sun_r_kpc: float):
    """Galactocentric (x, y, z) in kpc of the point at distance s along (l, b)."""
    cb = np.cos(b_rad)
    return (
        sun_r_kpc - s_kpc * cb * np.cos(l_rad),
        s_kpc * cb * np.sin(l_rad),
        s_kpc * np.sin(b_rad),
    )


def direction_from_sun(x_kpc, y_kpc, z_kpc, sun_r_kpc: float):
    """Galactic (l, b) in radians (l in [0, 2 pi)) of the point (x, y, z) seen from the Sun."""
    dx = np.asarray(x_kpc, float) - sun_r_kpc
    dy = np.asarray(y_kpc, float)
    dz = np.asarray(z_kpc, float)
    lon = np.mod(np.arctan2(dy, -dx), 2.0 * np.pi)
    lat = np.arctan2(dz, np.hypot(dx, dy))
    return lon, lat


@dataclass(frozen=True)
class Sky:
    """A HEALPix RING pixelisation of the Galactic sky."""

    nside: int = 64

    @cached_property
    def _healpix(self):
        from astropy_healpix import HEALPix

        return HEALPix(nside=self.nside, order="ring", frame=None)

    @property
    def npix(self) -> int:
        return 12 * self.nside**2

    def pixel_of(self, l_rad, b_rad) -> np.ndarray:
        """The RING pixel index of each direction."""
        import astropy.units as u

        lon = np.asarray(l_rad, float)
        lat = np.clip(np.asarray(b_rad, float), -np.pi / 2, np.pi / 2)
        return np.asarray(self._healpix.lonlat_to_healpix(lon * u.rad, lat * u.rad))

    def centres(self) -> tuple[np.ndarray, np.ndarray]:
        """(l, b) in radians of every pixel centre."""
        lon, lat = self._healpix.healpix_to_lonlat(np.arange(self.npix))
        return np.asarray(lon.to_value("rad")), np.asarray(lat.to_value("rad"))


@dataclass(frozen=True)
class LineOfSight:
    """The quadrature of the survey constraint (see module docstring)."""

    sun_r_kpc: float = 8.5
    r_max_kpc: float = 20.0
    z_max_kpc: float = 4.0
    n_panels: int = 24
    n_gauss: int = 12

    def nodes(self, l_rad, b_rad) -> tuple[np.ndarray, np.ndarray]:
        """Distances s (kpc, shape (ndir, nodes)) and weights w (kpc) along each direction."""
        s_max = path_length_kpc(l_rad, b_rad, self.sun_r_kpc, self.r_max_kpc, self.z_max_kpc)
        u_max = np.log1p(np.atleast_1d(s_max) / S0_KPC)
        x, w = np.polynomial.legendre.leggauss(self.n_gauss)
        edges = np.linspace(0.0, 1.0, self.n_panels + 1)
        t = (0.5 * (edges[1:] - edges[:-1])[:, None] * (x[None, :] + 1) + edges[:-1, None]).ravel()
        wt = (0.5 * (edges[1:] - edges[:-1])[:, None] * w[None, :]).ravel()
        u = u_max[:, None] * t[None, :]
        s = S0_KPC * np.expm1(u)
        ds_du = S0_KPC * np.exp(u)
        return s, u_max[:, None] * wt[None, :] * ds_du

    def column_cm2(self, density, l_rad, b_rad, chunk: int = 2048) -> np.ndarray:
        """Column (cm^-2) of ``density(x, y, z)`` (cm^-3, kpc in) along each (l, b)."""
        l_all = np.atleast_1d(np.asarray(l_rad, float))
        b_all = np.atleast_1d(np.asarray(b_rad, float))
        out = np.empty(l_all.size)
        for i in range(0, l_all.size, chunk):
            lc, bc = l_all[i : i + chunk], b_all[i : i + chunk]
            s, w = self.nodes(lc, bc)
            x, y, z = point_on_sightline(lc[:, None], bc[:, None], s, self.sun_r_kpc)
            out[i : i + chunk] = np.sum(density(x, y, z) * w, axis=1) * KPC_CM
        return out
