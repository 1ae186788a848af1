"""Writing one HEALPix map as FITS (RING, Galactic), readable by healpy and gammapy.

Reading them back: :mod:`escapade.sky.io`.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from astropy.io import fits
from astropy_healpix import nside_to_npix

from .components import FITS_UNIT, LEPTONIC

__all__ = ["write_healpix_fits"]


def write_healpix_fits(
    path,
    hp_map,
    nside: int,
    band=None,
    *,
    component: str = "total",
    units: str = FITS_UNIT,
    meta: dict | None = None,
    overwrite: bool = True,
    extra_header: dict | None = None,
) -> Path:
    """Write one HEALPix map (RING, Galactic) as FITS readable by healpy and gammapy.

    Layout (Fermi-ST / GADF 'IMPLICIT' convention, HPX_CONV = FGST-CCUBE): an empty
    primary HDU, a ``SKYMAP`` BINTABLE with one column ``CHANNEL1`` (one row per
    pixel; healpy reads the first column) and header PIXTYPE=HEALPIX, ORDERING=RING,
    COORDSYS=G, NSIDE, ORDER, FIRSTPIX, LASTPIX, INDXSCHM=IMPLICIT, and an
    ``EBOUNDS`` BINTABLE (CHANNEL, E_MIN, E_MAX in keV) with the energy band.
    ``extra_header``: further SKYMAP header cards (e.g. the solution's name and tau).
    """
    m = np.asarray(hp_map, dtype=np.float64)
    npix = nside_to_npix(nside)
    if m.size != npix:
        raise ValueError(f"map has {m.size} pixels, nside {nside} needs {npix}")
    col = fits.Column(name="CHANNEL1", format="D", unit=units, array=m)
    sky = fits.BinTableHDU.from_columns([col], name="SKYMAP")
    h = sky.header
    h["PIXTYPE"] = ("HEALPIX", "HEALPix pixelisation")
    h["ORDERING"] = ("RING", "pixel ordering scheme")
    h["COORDSYS"] = ("G", "Galactic coordinates")
    h["NSIDE"] = (int(nside), "HEALPix resolution parameter")
    order = int(round(math.log2(nside)))
    if 2**order == nside:
        h["ORDER"] = (order, "NSIDE = 2**ORDER")
    h["FIRSTPIX"] = 0
    h["LASTPIX"] = npix - 1
    h["INDXSCHM"] = ("IMPLICIT", "row number = pixel number")
    h["OBJECT"] = "FULLSKY"
    h["HPX_CONV"] = "FGST-CCUBE"
    h["BANDSHDU"] = "EBOUNDS"
    h["COMPNT"] = (str(component), "emission component (gas phase or process)")
    h["BUNIT"] = units
    if band is not None:
        h["EMIN"] = (float(band[0]), "band lower edge [GeV]")
        h["EMAX"] = (float(band[1]), "band upper edge [GeV]")
    for k, v in (meta or {}).items():
        key = {
            "pi0_model": "PI0MODEL",
            "he_to_h": "HE_TO_H",
            "r_sun_kpc": "RSUN_KPC",
            "ic_anisotropic": "ICANISO",
            "ic_anisotropy_lmax": "ICLMAX",
        }.get(k)
        if key and v is not None:
            h[key] = v
    if component in LEPTONIC or (meta or {}).get("process", "pi0") != "pi0":
        h["PROCESS"] = (str((meta or {}).get("process", "")), "processes in this set of maps")
        h["COMMENT"] = f"escapade {component} intensity integrated over the band, per pixel."
    else:
        h["COMMENT"] = "escapade pi0-decay intensity integrated over the band, per pixel centre."
        h["COMMENT"] = "Inverse Compton and bremsstrahlung are not included."
    for key, value in (extra_header or {}).items():
        h[key] = value
    hdus = [fits.PrimaryHDU(), sky]
    if band is not None:
        eb = fits.BinTableHDU.from_columns(
            [
                fits.Column(name="CHANNEL", format="J", array=np.array([1])),
                fits.Column(name="E_MIN", format="D", unit="keV", array=[band[0] * 1e6]),
                fits.Column(name="E_MAX", format="D", unit="keV", array=[band[1] * 1e6]),
            ],
            name="EBOUNDS",
        )
        hdus.append(eb)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fits.HDUList(hdus).writeto(path, overwrite=overwrite)
    return path
