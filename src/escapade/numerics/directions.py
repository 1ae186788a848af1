"""Directions of vectors on the sky: Galactic and equatorial coordinates."""

from __future__ import annotations

import numpy as np


def directions(vec: np.ndarray) -> dict[str, np.ndarray]:
    """Galactic (l, b) and equatorial (RA, Dec, ICRS, via astropy) of vectors (..., 3) given in
    the heliocentric Galactic frame (x towards the Galactic centre, y towards l = 90 deg, z
    towards the North Galactic Pole); degrees."""
    from astropy import units as u
    from astropy.coordinates import SkyCoord

    x, y, z = vec[..., 0], vec[..., 1], vec[..., 2]
    amp = np.sqrt(x**2 + y**2 + z**2)
    lon = np.degrees(np.arctan2(y, x)) % 360.0
    lat = np.degrees(np.arcsin(np.clip(z / np.where(amp > 0, amp, 1.0), -1.0, 1.0)))
    icrs = SkyCoord(l=lon.ravel() * u.deg, b=lat.ravel() * u.deg, frame="galactic").icrs
    return {
        "l_deg": lon,
        "b_deg": lat,
        "ra_deg": icrs.ra.deg.reshape(lon.shape),
        "dec_deg": icrs.dec.deg.reshape(lon.shape),
    }
