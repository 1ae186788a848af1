"""Longitude profiles of sky maps: mean intensity in |b| < b_max, l bins.

The pixel selection and binning are those of the observed Fermi-LAT profile
(:func:`escapade.sky.fermi.observed_longitude_profile`); the point-source mask and the
exposure weighting can be the shipped Fermi-LAT ones.
"""

from __future__ import annotations

import math

import astropy.units as u
import numpy as np
import xarray as xr
from astropy_healpix import lonlat_to_healpix

from .fermi import load_fermi_maps
from .pixels import pixel_lonlat_deg, profile_selection

__all__ = ["profile_of_map"]


def _mask_on(nside: int, mask, lon_deg, lat_deg) -> np.ndarray | None:
    """A boolean 'excluded' array for the map pixels (any input nside)."""
    if mask is None or mask is False:
        return None
    if isinstance(mask, str):
        if mask != "fermi":
            raise ValueError(f"unknown mask {mask!r}; use 'fermi' or a HEALPix array")
        mask = load_fermi_maps().pscmask
    m = np.asarray(mask).astype(bool)
    m_nside = int(round(math.sqrt(m.size / 12)))
    if m_nside == nside:
        return m
    return m[lonlat_to_healpix(lon_deg * u.deg, lat_deg * u.deg, m_nside, order="ring")]


def _exposure_on(nside: int, exposure, lon_deg, lat_deg) -> np.ndarray | None:
    if exposure is None:
        return None
    if isinstance(exposure, str):
        if exposure != "fermi":
            raise ValueError(f"unknown exposure {exposure!r}; use 'fermi' or a HEALPix array")
        exposure = load_fermi_maps().exposure
    e = np.asarray(exposure, float)
    e_nside = int(round(math.sqrt(e.size / 12)))
    if e_nside == nside:
        return e
    return e[lonlat_to_healpix(lon_deg * u.deg, lat_deg * u.deg, e_nside, order="ring")]


def profile_of_map(
    smap,
    b_max_deg: float = 5.0,
    l_bin_deg: float = 2.0,
    mask=None,
    exposure=None,
    components=None,
) -> xr.Dataset:
    """Longitude profile of a :class:`~escapade.sky.maps.SkyMap`: mean I in |b| < b_max, l bins.

    ``mask``: HEALPix boolean array (True = excluded, any nside) or ``"fermi"`` for
    the shipped 3FGL point-source mask. ``exposure``: None for the plain mean over
    pixels, or a HEALPix exposure map (or ``"fermi"``) for the exposure-weighted
    mean sum(I e)/sum(e), which is what the observed estimator sum(counts)/sum(e
    Omega) measures.
    """
    sel, ib, edges = profile_selection(smap.nside, b_max_deg, l_bin_deg)
    lon, lat = pixel_lonlat_deg(smap.nside, sel)
    excl = _mask_on(smap.nside, mask, lon, lat)
    keep = np.ones(sel.size, bool)
    if excl is not None:
        keep &= ~(excl if excl.size == sel.size else excl[sel])
    expo = _exposure_on(smap.nside, exposure, lon, lat)
    if expo is not None and expo.size != sel.size:
        expo = expo[sel]
    wts = np.ones(sel.size) if expo is None else expo
    wts = np.where(keep, wts, 0.0)
    nb = edges.size - 1
    npix = np.bincount(ib, weights=keep.astype(float), minlength=nb)
    wsum = np.bincount(ib, weights=wts, minlength=nb)
    data = {
        "l_min": ("l_deg", edges[:-1]),
        "l_max": ("l_deg", edges[1:]),
        "npix": ("l_deg", npix.astype(int)),
    }
    for comp in components or list(smap.maps):
        v = smap.maps[comp][sel]
        s = np.bincount(ib, weights=np.where(keep, wts * np.nan_to_num(v), 0.0), minlength=nb)
        with np.errstate(invalid="ignore", divide="ignore"):
            data[comp] = ("l_deg", np.where(wsum > 0, s / wsum, np.nan), {"units": smap.units})
    centres = 0.5 * (edges[:-1] + edges[1:])
    out = xr.Dataset(data, coords={"l_deg": centres})
    out.attrs = {
        "band_gev": list(smap.band),
        "b_max_deg": b_max_deg,
        "l_bin_deg": l_bin_deg,
        "masked": excl is not None,
        "weighting": "mean" if expo is None else "exposure",
        "nside": smap.nside,
    }
    return out
