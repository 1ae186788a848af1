"""HEALPix pixel centres (RING, Galactic), their mirror images and the longitude bins.

Axisymmetry gives I(l, b) = I(-l, b); HEALPix RING pixel centres are mirror symmetric
in longitude, so only l in [0, 180] deg needs integrating
(:func:`mirror_representatives`). Longitude profiles bin the pixel centres with
|b| < b_max in l from -180 deg (:func:`profile_selection`).
"""

from __future__ import annotations

import math

import astropy.units as u
import numpy as np
from astropy_healpix import healpix_to_lonlat, lonlat_to_healpix, nside_to_npix

__all__ = ["longitude_bins", "mirror_representatives", "pixel_lonlat_deg", "profile_selection"]


def pixel_lonlat_deg(nside: int, pixels=None):
    """Galactic (l, b) in degrees of RING pixel centres (all pixels by default)."""
    pix = np.arange(nside_to_npix(nside)) if pixels is None else np.asarray(pixels)
    lon, lat = healpix_to_lonlat(pix, nside, order="ring")
    return lon.to_value(u.deg), lat.to_value(u.deg)


def mirror_representatives(nside: int, pixels: np.ndarray):
    """Pixels to integrate (l in [0, 180]) and, per requested pixel, its representative."""
    lon, lat = healpix_to_lonlat(pixels, nside, order="ring")
    lon_d = lon.to_value(u.deg)
    mirror = lonlat_to_healpix((360.0 - lon_d) % 360.0 * u.deg, lat, nside, order="ring")
    rep = np.where(lon_d <= 180.0, pixels, mirror)
    uniq, inverse = np.unique(rep, return_inverse=True)
    return uniq, inverse


def longitude_bins(l_bin_deg: float = 2.0):
    """Bin edges from -180 to 180 deg (l < 0 is 360 + l), as the shipped Fermi profile."""
    n = int(round(360.0 / l_bin_deg))
    if not math.isclose(n * l_bin_deg, 360.0):
        raise ValueError("l_bin_deg must divide 360")
    return np.linspace(-180.0, 180.0, n + 1)


def profile_selection(nside: int, b_max_deg: float = 5.0, l_bin_deg: float = 2.0):
    """Pixels with |b| < b_max and their longitude-bin index."""
    lon, lat = pixel_lonlat_deg(nside)
    sel = np.nonzero(np.abs(lat) < b_max_deg)[0]
    lw = (lon[sel] + 180.0) % 360.0 - 180.0
    edges = longitude_bins(l_bin_deg)
    ib = np.clip(np.searchsorted(edges, lw, side="right") - 1, 0, edges.size - 2)
    return sel, ib, edges
