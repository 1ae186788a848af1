"""The HEALPix (RING, Galactic) intensity maps of one energy band: :class:`SkyMap`.

Pixel-centre values in ph cm^-2 s^-1 sr^-1 integrated over the band, one array per
component (:mod:`escapade.sky.components`), with FITS output and longitude profiles.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import xarray as xr
from astropy_healpix import nside_to_npix

from ..io import atomic_path
from .components import LEPTONIC, UNITS_INTENSITY
from .fits import write_healpix_fits
from .pixels import pixel_lonlat_deg
from .profiles import profile_of_map

__all__ = ["SkyMap"]


@dataclass
class SkyMap:
    """HEALPix (RING, Galactic) intensity maps of one energy band.

    ``maps``: component name -> array (npix,) in ph cm^-2 s^-1 sr^-1 (NaN where not
    computed); the pi0 components are ``HI``, ``H2``, ``HII``; without leptons their sum
    is ``total``; with leptons there are also ``pi0`` (that sum), ``IC``,
    ``bremsstrahlung`` and ``total`` = pi0 + IC + bremsstrahlung.
    """

    nside: int
    band: tuple[float, float]
    maps: dict[str, np.ndarray]
    units: str = UNITS_INTENSITY
    meta: dict = field(default_factory=dict)

    @property
    def npix(self) -> int:
        return nside_to_npix(self.nside)

    @property
    def total(self) -> np.ndarray:
        return self.maps["total"]

    def lonlat_deg(self):
        return pixel_lonlat_deg(self.nside)

    def sky_integral(self, component: str = "total") -> float:
        """sum over pixels of I * Omega_pix (ph cm^-2 s^-1), computed pixels only."""
        return float(np.nansum(self.maps[component]) * 4.0 * math.pi / self.npix)

    def fits_name(self, component: str, prefix: str = "pi0") -> str:
        """``pi0_HI_...``; the leptonic and summed maps of a full model are ``IC_...``,
        ``bremsstrahlung_...``, ``pi0_...`` and ``all_total_...``."""
        e0, e1 = self.band
        tail = f"{e0:g}-{e1:g}GeV_nside{self.nside}.fits"
        if component in (*LEPTONIC, "pi0"):
            return f"{component}_{tail}"
        if component == "total" and "IC" in self.maps:
            return f"all_total_{tail}"
        return f"{prefix}_{component}_{tail}"

    def write_fits(
        self, outdir, prefix: str = "pi0", components=None, overwrite=True, extra_header=None
    ) -> list[Path]:
        """One FITS file per component in ``outdir``, each written atomically (a failed
        write leaves no half file); ``extra_header``: more header cards (name -> value).
        Returns the paths."""
        outdir = Path(outdir)
        outdir.mkdir(parents=True, exist_ok=True)
        paths = []
        for comp in components or list(self.maps):
            p = outdir / self.fits_name(comp, prefix)
            if p.exists() and not overwrite:
                raise FileExistsError(f"{p} exists (overwrite=False)")
            with atomic_path(p, suffix=".fits") as tmp:
                write_healpix_fits(
                    tmp,
                    self.maps[comp],
                    self.nside,
                    self.band,
                    component=comp,
                    meta=self.meta,
                    extra_header=extra_header,
                )
            paths.append(p)
        return paths

    def longitude_profile(self, **kwargs) -> xr.Dataset:
        return profile_of_map(self, **kwargs)
