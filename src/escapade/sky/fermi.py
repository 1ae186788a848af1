"""Fermi-LAT data shipped with escapade: all-sky maps, the longitude profile, local emissivity.

* ``gamma/FermiLAT_NPTFit_2-20GeV_nside128_{counts,exposure,pscmask}.npy``: Pass 8
  UltracleanVeto PSF3 counts (2-20 GeV), exposure (cm^2 s) and 3FGL point-source
  mask (1 = masked), HEALPix nside 128, RING, Galactic (sidecar
  ``FermiLAT_NPTFit_maps_2-20GeV_README.txt``; NPTFit example data, Mishra-Sharma,
  Rodd & Safdi 2017, AJ 153, 253, distributed with Mishra-Sharma & Cranmer 2022).
* ``gamma/FermiLAT_longitude_profile_absb5_2-20GeV_NPTFitmaps.txt``: the |b| < 5 deg
  profile in 2-deg bins computed from those maps (reference for
  :func:`observed_longitude_profile`).
* ``gamma/FermiLAT_local_HI_emissivity_Casandjian2015.txt``: the local HI emissivity
  per H atom (Casandjian 2015, ApJ 806, 240) in the USINE layout of grcrfit. Column 7
  is E^2 q in units of 1e-24 MeV s^-1 sr^-1 per H atom (E in MeV): with that reading
  the table integrates to q(> 100 MeV) = 1.66e-26 ph s^-1 sr^-1 per H atom, the
  value Fermi-LAT reports for the local HI emissivity (Abdo et al. 2009, ApJ 703,
  1249: 1.63 +- 0.05 e-26).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import xarray as xr

from .components import UNITS_INTENSITY
from .pixels import profile_selection

__all__ = [
    "FermiMaps",
    "load_fermi_maps",
    "load_local_hi_emissivity",
    "load_reference_profile",
    "local_emissivity_casandjian2015",
    "observed_longitude_profile",
    "profile_residuals",
]

FERMI_BAND_GEV = (2.0, 20.0)
_MAPS = "FermiLAT_NPTFit_2-20GeV_nside128_{}.npy"
_PROFILE = "FermiLAT_longitude_profile_absb5_2-20GeV_NPTFitmaps.txt"
_EMISSIVITY = "FermiLAT_local_HI_emissivity_Casandjian2015.txt"


def _open(name: str, mode: str = "r"):
    ref = resources.files("escapade.data.gamma").joinpath(name)
    return ref.open(mode) if mode == "rb" else ref.open(mode, encoding="utf-8")


@dataclass(frozen=True)
class FermiMaps:
    """Fermi-LAT 2-20 GeV all-sky maps (nside 128, RING, Galactic)."""

    counts: np.ndarray
    exposure: np.ndarray
    pscmask: np.ndarray
    nside: int = 128
    band: tuple[float, float] = FERMI_BAND_GEV

    @property
    def pixel_area_sr(self) -> float:
        return 4.0 * math.pi / self.counts.size

    def intensity(self) -> np.ndarray:
        """counts / (exposure Omega_pix), ph cm^-2 s^-1 sr^-1 integrated over 2-20 GeV."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.counts / (self.exposure * self.pixel_area_sr)


@cache
def load_fermi_maps() -> FermiMaps:
    """The shipped Fermi-LAT counts, exposure and point-source mask maps."""
    arrays = []
    for kind in ("counts", "exposure", "pscmask"):
        with _open(_MAPS.format(kind), "rb") as f:
            a = np.load(f, allow_pickle=False)
        a.setflags(write=False)
        arrays.append(a)
    counts, exposure, mask = arrays
    npix = counts.size
    nside = int(round(math.sqrt(npix / 12)))
    if 12 * nside**2 != npix or exposure.size != npix or mask.size != npix:
        raise ValueError("inconsistent Fermi-LAT map sizes")
    m = mask.astype(bool)
    m.setflags(write=False)
    return FermiMaps(counts, exposure, m, nside)


def observed_longitude_profile(
    b_max_deg: float = 5.0, l_bin_deg: float = 2.0, mask: bool = True, maps: FermiMaps = None
) -> xr.Dataset:
    """Observed |b| < b_max longitude profile from the Fermi-LAT maps, with Poisson errors.

    Same pixel selection and binning as :func:`escapade.sky.profiles.profile_of_map`:
    pixel centres with |b| < b_max grouped in l bins from -180 deg; I = sum(counts) /
    sum(exposure Omega_pix), dI = sqrt(sum counts) / sum(exposure Omega_pix).
    ``mask=True`` drops the 3FGL point-source pixels. Returns a Dataset over
    ``l_deg`` with ``intensity``, ``error`` (ph cm^-2 s^-1 sr^-1, 2-20 GeV),
    ``counts``, ``npix``, ``mean_exposure`` (cm^2 s).
    """
    fm = maps or load_fermi_maps()
    sel, ib, edges = profile_selection(fm.nside, b_max_deg, l_bin_deg)
    keep = np.ones(sel.size, bool) if not mask else ~fm.pscmask[sel]
    nb = edges.size - 1
    c = np.bincount(ib, weights=np.where(keep, fm.counts[sel], 0.0), minlength=nb)
    e = np.bincount(ib, weights=np.where(keep, fm.exposure[sel], 0.0), minlength=nb)
    n = np.bincount(ib, weights=keep.astype(float), minlength=nb)
    eo = e * fm.pixel_area_sr
    with np.errstate(divide="ignore", invalid="ignore"):
        inten = np.where(eo > 0, c / eo, np.nan)
        err = np.where(eo > 0, np.sqrt(c) / eo, np.nan)
        mean_e = np.where(n > 0, e / n, np.nan)
    out = xr.Dataset(
        {
            "l_min": ("l_deg", edges[:-1]),
            "l_max": ("l_deg", edges[1:]),
            "npix": ("l_deg", n.astype(int)),
            "counts": ("l_deg", c),
            "mean_exposure": ("l_deg", mean_e, {"units": "cm^2 s"}),
            "intensity": ("l_deg", inten, {"units": UNITS_INTENSITY}),
            "error": ("l_deg", err, {"units": UNITS_INTENSITY}),
        },
        coords={"l_deg": 0.5 * (edges[:-1] + edges[1:])},
    )
    out.attrs = {
        "band_gev": list(fm.band),
        "b_max_deg": b_max_deg,
        "l_bin_deg": l_bin_deg,
        "masked": bool(mask),
        "source": "Fermi-LAT Pass 8 UltracleanVeto PSF3, 413 weeks (NPTFit maps)",
    }
    return out


def load_reference_profile(masked: bool = True) -> xr.Dataset:
    """The shipped precomputed profile (|b| < 5 deg, 2-deg bins, 2-20 GeV)."""
    with _open(_PROFILE) as f:
        t = np.loadtxt(f, comments="#")
    cols = (8, 9, 10, 11) if masked else (3, 4, 6, 7)
    return xr.Dataset(
        {
            "l_min": ("l_deg", t[:, 1]),
            "l_max": ("l_deg", t[:, 2]),
            "npix": ("l_deg", t[:, cols[0]].astype(int)),
            "counts": ("l_deg", t[:, cols[1]]),
            "mean_exposure": ("l_deg", t[:, 5], {"units": "cm^2 s"}),
            "intensity": ("l_deg", t[:, cols[2]], {"units": UNITS_INTENSITY}),
            "error": ("l_deg", t[:, cols[3]], {"units": UNITS_INTENSITY}),
        },
        coords={"l_deg": t[:, 0]},
        attrs={"band_gev": list(FERMI_BAND_GEV), "b_max_deg": 5.0, "masked": masked},
    )


def profile_residuals(
    model: xr.Dataset,
    observed: xr.Dataset,
    component: str = "total",
    isotropic: float = 0.0,
) -> xr.Dataset:
    """(data - model - isotropic) / error per bin and chi2 (attrs) of a model profile.

    ``isotropic``: a constant intensity (ph cm^-2 s^-1 sr^-1, same band) added to the
    model for the extragalactic/isotropic background. Bins without data are skipped.
    """
    m = model[component].values + isotropic
    d = observed["intensity"].values
    s = observed["error"].values
    if model.sizes["l_deg"] != observed.sizes["l_deg"] or not np.allclose(
        model["l_deg"].values, observed["l_deg"].values
    ):
        raise ValueError("model and observed profiles have different longitude bins")
    ok = np.isfinite(m) & np.isfinite(d) & (s > 0)
    r = np.where(ok, (d - m) / np.where(ok, s, 1.0), np.nan)
    chi2 = float(np.nansum(r**2))
    out = xr.Dataset(
        {
            "model": ("l_deg", m),
            "data": ("l_deg", d),
            "error": ("l_deg", s),
            "residual": ("l_deg", r),
        },
        coords={"l_deg": observed["l_deg"].values},
    )
    out.attrs = {"chi2": chi2, "n_bins": int(ok.sum()), "isotropic": isotropic}
    return out


def load_local_hi_emissivity(region: str = "FERMI-LAT_LOCAL_HI") -> xr.Dataset:
    """Casandjian 2015 local HI emissivity per H atom (or the MBM-Pegasus rows).

    Returns a Dataset over ``egamma_gev`` (bin mean energy) with ``e_lo``, ``e_hi``
    (GeV), ``e2q`` (E^2 q in MeV s^-1 sr^-1 per H atom), its ``stat_lo``/``stat_hi``/
    ``sys_lo``/``sys_hi`` errors (same unit), and ``q`` (ph s^-1 sr^-1 GeV^-1 per H
    atom) = e2q / E^2.
    """
    rows = []
    with _open(_EMISSIVITY) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            p = line.split()
            if p[1] == region:
                rows.append([float(x) for x in p[3:11]])
    if not rows:
        raise ValueError(f"no rows for region {region!r} in {_EMISSIVITY}")
    t = np.array(rows)
    scale = 1e-24  # MeV s^-1 sr^-1 per H atom
    e = t[:, 0]
    e2q = t[:, 3] * scale
    unit = "MeV s^-1 sr^-1 (H atom)^-1"
    return xr.Dataset(
        {
            "e_lo": ("egamma_gev", t[:, 1]),
            "e_hi": ("egamma_gev", t[:, 2]),
            "e2q": ("egamma_gev", e2q, {"units": unit}),
            "stat_lo": ("egamma_gev", t[:, 4] * scale, {"units": unit}),
            "stat_hi": ("egamma_gev", t[:, 5] * scale, {"units": unit}),
            "sys_lo": ("egamma_gev", t[:, 6] * scale, {"units": unit}),
            "sys_hi": ("egamma_gev", t[:, 7] * scale, {"units": unit}),
            "q": (
                "egamma_gev",
                e2q * 1e-3 / e**2,
                {"units": "ph s^-1 sr^-1 GeV^-1 (H atom)^-1"},
            ),
        },
        coords={"egamma_gev": e},
        attrs={"reference": "Casandjian 2015, ApJ 806, 240", "region": region},
    )


def local_emissivity_casandjian2015(band) -> tuple[float, float, float] | None:
    """The Casandjian 2015 local HI emissivity per H atom integrated over ``band`` (GeV).

    Returns (value, lower error, upper error) in ph s^-1 sr^-1 per H atom, statistical
    and systematic errors added in quadrature, or None when the band starts below the
    table (50 MeV) or ends above 1 TeV. q is interpolated log-log between the bin
    energies and extrapolated with the end slopes (above 50 GeV: < 0.1 % of the 0.1-100
    GeV integral).
    """
    emin, emax = (float(x) for x in band)
    em = load_local_hi_emissivity()
    if emin < float(em["e_lo"][0]) - 1e-9 or emax > 1e3:
        return None
    e = em["egamma_gev"].values
    out = []
    for sign in (0, -1, 1):
        lo = np.hypot(em["stat_lo"].values, em["sys_lo"].values)
        hi = np.hypot(em["stat_hi"].values, em["sys_hi"].values)
        e2q = em["e2q"].values + (hi if sign > 0 else -lo if sign < 0 else 0.0)
        lq = np.log(np.maximum(e2q, 1e-300) * 1e-3 / e**2)
        x = np.linspace(math.log(emin), math.log(emax), 2000)
        slope_lo = (lq[1] - lq[0]) / math.log(e[1] / e[0])
        slope_hi = (lq[-1] - lq[-2]) / math.log(e[-1] / e[-2])
        y = np.interp(x, np.log(e), lq)
        y = np.where(x < np.log(e[0]), lq[0] + slope_lo * (x - np.log(e[0])), y)
        y = np.where(x > np.log(e[-1]), lq[-1] + slope_hi * (x - np.log(e[-1])), y)
        out.append(float(np.trapezoid(np.exp(y + x), x)))
    return out[0], out[0] - out[1], out[2] - out[0]
