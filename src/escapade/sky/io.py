"""Reading HEALPix sky maps back from FITS (the files :meth:`SkyMap.write_fits` writes).

:func:`read_skymap_fits` reads one file into a :class:`~escapade.sky.maps.SkyMap` with one
component; :func:`read_skymaps` reads a folder (such as the one ``escapade gamma`` writes)
and groups its files into one :class:`SkyMap` per energy band and resolution, with the
components ``HI``, ``H2``, ``HII`` and ``total`` together.

Accepted layout: the first binary-table HDU holding a HEALPix map (header PIXTYPE =
HEALPIX, NSIDE, ORDERING RING or NESTED, COORDSYS G/GALACTIC when present), the map in
its first column, one value per row or several per row (healpy writes rows of 1024).
NESTED maps are reordered to RING. The band is taken from the EMIN/EMAX keys (GeV) or
else from an ``EBOUNDS`` HDU (E_MIN/E_MAX in keV, the Fermi-ST/GADF convention); the
component from COMPNT (else ``total``).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from astropy.io import fits
from astropy_healpix import nside_to_npix
from astropy_healpix.core import nested_to_ring

from .components import UNITS_INTENSITY
from .maps import SkyMap

__all__ = ["SkyMapFileError", "read_skymap_fits", "read_skymaps"]

_META_KEYS = {
    "PI0MODEL": "pi0_model",
    "HE_TO_H": "he_to_h",
    "RSUN_KPC": "r_sun_kpc",
    "TAU": "tau",
    "D0": "d0_cm2_s",
    "DIFFMOD": "diffusion_model",
    "SOLUTION": "solution",
    "ESCVER": "escapade_version",
    "BMAXPROF": "b_max_deg",
}


class SkyMapFileError(ValueError):
    """A file or folder that holds no readable HEALPix sky map."""


def _healpix_hdu(hdul, path):
    for hdu in hdul[1:]:
        if isinstance(hdu, fits.BinTableHDU) and str(hdu.header.get("PIXTYPE", "")).upper() == (
            "HEALPIX"
        ):
            return hdu
    raise SkyMapFileError(f"{path}: no HEALPix binary table (PIXTYPE = 'HEALPIX') in the file")


def _band_of(hdul, header, path) -> tuple[float, float]:
    if "EMIN" in header and "EMAX" in header:
        return float(header["EMIN"]), float(header["EMAX"])
    if "EBOUNDS" in hdul:
        eb = hdul["EBOUNDS"].data
        if len(eb) == 1:
            return float(eb["E_MIN"][0]) * 1e-6, float(eb["E_MAX"][0]) * 1e-6
    raise SkyMapFileError(f"{path}: no energy band (EMIN/EMAX keys or a one-row EBOUNDS HDU)")


def read_skymap_fits(path) -> SkyMap:
    """One HEALPix FITS file as a :class:`SkyMap` holding one component.

    The component name is the header's COMPNT (``total`` when absent); the map is in
    RING ordering, Galactic coordinates, in the file's unit (escapade writes
    ph cm^-2 s^-1 sr^-1 integrated over the band). ``meta`` gets the escapade keys
    of the header (pi0 model, He/H, R_sun, tau, D0, the solution file).
    Raises :class:`SkyMapFileError` for anything that is not such a map.
    """
    path = Path(path)
    try:
        hdul = fits.open(path, memmap=False)
    except (OSError, ValueError) as exc:
        raise SkyMapFileError(f"{path}: not a readable FITS file ({exc})") from None
    with hdul:
        hdu = _healpix_hdu(hdul, path)
        h = hdu.header
        if "NSIDE" not in h:
            raise SkyMapFileError(f"{path}: the HEALPix table has no NSIDE key")
        nside = int(h["NSIDE"])
        coord = str(h.get("COORDSYS", "G")).upper()
        if coord not in ("G", "GALACTIC"):
            raise SkyMapFileError(f"{path}: COORDSYS = {coord!r}; only Galactic maps are read")
        if str(h.get("INDXSCHM", "IMPLICIT")).upper() != "IMPLICIT":
            raise SkyMapFileError(f"{path}: only full-sky maps (INDXSCHM = IMPLICIT) are read")
        values = np.asarray(hdu.data.field(0), dtype=np.float64).ravel()
        npix = nside_to_npix(nside)
        if values.size != npix:
            raise SkyMapFileError(f"{path}: {values.size} values, NSIDE = {nside} needs {npix}")
        ordering = str(h.get("ORDERING", "RING")).upper()
        if ordering == "NESTED":
            ring = np.empty_like(values)
            ring[nested_to_ring(np.arange(npix), nside)] = values
            values = ring
        elif ordering != "RING":
            raise SkyMapFileError(f"{path}: ORDERING = {ordering!r}; expected RING or NESTED")
        band = _band_of(hdul, h, path)
        component = str(h.get("COMPNT", "total"))
        unit = hdu.columns[0].unit or h.get("BUNIT")
        meta = {name: h[key] for key, name in _META_KEYS.items() if key in h}
    meta["path"] = str(path)
    units = UNITS_INTENSITY if unit in (None, "cm-2 s-1 sr-1") else str(unit)
    return SkyMap(nside, band, {component: values}, units=units, meta=meta)


def _band_key(band) -> tuple[float, float]:
    return (float(f"{band[0]:.6g}"), float(f"{band[1]:.6g}"))


def read_skymaps(folder) -> list[SkyMap]:
    """All HEALPix FITS maps of a folder, one :class:`SkyMap` per (band, nside).

    Files of the same band and resolution are merged, each adding its component
    (COMPNT); when the gas phases HI, H2 and HII are there without ``total``, their
    sum is added as ``total``. Sorted by band, then nside. Raises
    :class:`SkyMapFileError` when the folder is missing or holds no map, or when two
    files give the same component of the same band.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise SkyMapFileError(f"{folder}: no such folder")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".fits", ".fit", ".fz"))
    if not files:
        raise SkyMapFileError(f"{folder}: no FITS sky maps in this folder")
    groups: dict[tuple, SkyMap] = {}
    for p in files:
        m = read_skymap_fits(p)
        key = (_band_key(m.band), m.nside)
        ((comp, values),) = m.maps.items()
        if key not in groups:
            m.meta.pop("path", None)
            groups[key] = m
            continue
        g = groups[key]
        if comp in g.maps:
            raise SkyMapFileError(
                f"{folder}: two files hold component {comp!r} of band {m.band[0]:g}-"
                f"{m.band[1]:g} GeV at nside {m.nside}"
            )
        g.maps[comp] = values
    out = []
    for key in sorted(groups):
        g = groups[key]
        if "total" not in g.maps and all(ph in g.maps for ph in ("HI", "H2", "HII")):
            g.maps["total"] = g.maps["HI"] + g.maps["H2"] + g.maps["HII"]
        order = [c for c in ("HI", "H2", "HII", "total") if c in g.maps]
        g.maps = {c: g.maps[c] for c in order + sorted(set(g.maps) - set(order))}
        out.append(g)
    return out


def nside_of(values) -> int:
    """NSIDE of a full-sky HEALPix array (ValueError when its size is not 12 nside^2)."""
    n = int(round(math.sqrt(np.size(values) / 12)))
    if 12 * n * n != np.size(values):
        raise ValueError(f"{np.size(values)} pixels is not a full HEALPix sky")
    return n
