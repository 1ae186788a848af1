"""Model longitude profiles against the shipped Fermi-LAT 2-20 GeV data.

:func:`fermi_comparison`: the |b| < b_max longitude profile of a model map on the
pixels, point-source mask and exposure weighting of the shipped Fermi-LAT data, plus an
isotropic term, with the residuals (data - model) / sigma and chi2.

Isotropic term (:func:`isotropic_term`): ``"fit"`` (the default) is one free constant
per model, c >= 0, fitted by weighted least squares to the profile; ``"igrb"`` is the
Fermi-LAT isotropic gamma-ray background of Ackermann et al. 2015 (ApJ 799, 86,
foreground model A: I(>100 MeV) = 7.2e-6 cm^-2 s^-1 sr^-1 over 0.1-820 GeV, a power law
of index 2.32 cut off at 279 GeV) integrated over the band (1.29e-7 for 2-20 GeV); a
number is a fixed constant in ph cm^-2 s^-1 sr^-1. ``fit_norm=True`` also fits a
normalisation factor of the model (a stand-in for missing components).

:func:`component_profile_fit`: the same profile with a free non-negative normalisation per
component (each gas phase's pi0 + bremsstrahlung, the IC) and a free isotropic term
(non-negative least squares, Lawson & Hanson 1974, ``scipy.optimize.nnls``): how well the
shapes of the components can describe the profile once their relative weights (X_CO, the
dark-gas dust-to-gas ratio, the ISRF) are not fixed in advance.
"""

from __future__ import annotations

import math

import astropy.units as u
import numpy as np
import xarray as xr
from astropy_healpix import lonlat_to_healpix, nside_to_npix

from .fermi import load_fermi_maps, observed_longitude_profile, profile_residuals
from .io import nside_of
from .maps import SkyMap
from .pixels import pixel_lonlat_deg
from .profiles import profile_of_map

__all__ = [
    "IGRB_ACKERMANN2015",
    "component_profile_fit",
    "fermi_comparison",
    "igrb_intensity",
    "isotropic_term",
    "regrid",
]

IGRB_ACKERMANN2015 = {"i_above_100mev": 7.2e-6, "index": 2.32, "e_cut_gev": 279.0, "e_max_gev": 820}
"""Ackermann et al. 2015 (ApJ 799, 86) IGRB, foreground model A, cm^-2 s^-1 sr^-1."""


def igrb_intensity(band) -> float:
    """Ackermann et al. 2015 IGRB (model A) integrated over ``band`` (ph cm^-2 s^-1 sr^-1)."""
    p = IGRB_ACKERMANN2015

    def integral(a, b):
        x = np.linspace(math.log(a), math.log(b), 4000)
        e = np.exp(x)
        return float(np.trapezoid(e ** (1.0 - p["index"]) * np.exp(-e / p["e_cut_gev"]), x))

    return p["i_above_100mev"] * integral(*band) / integral(0.1, p["e_max_gev"])


def regrid(values, nside_out: int) -> np.ndarray:
    """A RING map at another resolution: finer pixels averaged, coarser ones sampled.

    Going down (e.g. 256 -> 128) each output pixel is the mean of the input pixels whose
    centres fall in it (for powers of two, exactly the (n_in/n_out)^2 children); going up,
    each output pixel takes the value of the input pixel holding its centre.
    """
    values = np.asarray(values, float)
    nside_in = nside_of(values)
    if nside_in == nside_out:
        return values
    if nside_in < nside_out:
        lon, lat = pixel_lonlat_deg(nside_out)
        return values[lonlat_to_healpix(lon * u.deg, lat * u.deg, nside_in, order="ring")]
    lon, lat = pixel_lonlat_deg(nside_in)
    idx = lonlat_to_healpix(lon * u.deg, lat * u.deg, nside_out, order="ring")
    npix = nside_to_npix(nside_out)
    s = np.bincount(idx, weights=values, minlength=npix)
    n = np.bincount(idx, minlength=npix)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, s / n, np.nan)


def isotropic_term(mode, band) -> float | None:
    """A fixed isotropic intensity for ``mode`` (``"igrb"`` or a number), None for ``"fit"``."""
    if isinstance(mode, str):
        if mode == "fit":
            return None
        if mode == "igrb":
            return igrb_intensity(band)
        raise ValueError(f"isotropic term {mode!r}: use 'fit', 'igrb' or a number")
    value = float(mode)
    if not (value >= 0.0 and math.isfinite(value)):
        raise ValueError(f"isotropic term {value!r} must be finite and >= 0")
    return value


def _fit_linear(m, d, s, c_fixed, fit_norm):
    """Weighted least squares of d = a m + c (a = 1 unless fit_norm; c >= 0 unless fixed)."""
    w = 1.0 / s**2
    if not fit_norm:
        if c_fixed is not None:
            return 1.0, c_fixed
        return 1.0, max(0.0, float(np.sum(w * (d - m)) / np.sum(w)))
    if c_fixed is not None:
        return float(np.sum(w * m * (d - c_fixed)) / np.sum(w * m * m)), c_fixed
    a_mat = np.vstack([m, np.ones_like(m)]).T * np.sqrt(w)[:, None]
    (a, c), *_ = np.linalg.lstsq(a_mat, d * np.sqrt(w), rcond=None)
    if c < 0:
        return float(np.sum(w * m * d) / np.sum(w * m * m)), 0.0
    return float(a), float(c)


def _profiles_on_data(maps: dict, b_max_deg: float, l_bin_deg: float):
    """(the longitude profiles of ``maps``, name -> HEALPix intensity map of any nside, on the
    shipped data's pixels with its point-source mask and exposure weights; the observed
    profile)."""
    fm = load_fermi_maps()
    on_data = SkyMap(fm.nside, fm.band, {n: regrid(m, fm.nside) for n, m in maps.items()})
    prof = profile_of_map(
        on_data, b_max_deg, l_bin_deg, mask=fm.pscmask, exposure=fm.exposure, components=list(maps)
    )
    return prof, observed_longitude_profile(b_max_deg, l_bin_deg, mask=True, maps=fm)


def fermi_comparison(
    smap: SkyMap,
    b_max_deg: float = 5.0,
    l_bin_deg: float = 2.0,
    isotropic="fit",
    fit_norm: bool = False,
    component: str = "total",
) -> xr.Dataset:
    """Model longitude profile vs the shipped Fermi-LAT 2-20 GeV data, as the data are made.

    The model map is brought to the data's nside 128 (:func:`regrid`), the 3FGL
    point-source mask is applied and each bin is the exposure-weighted mean
    sum(I e) / sum(e), the estimator of the observed sum(counts) / sum(e Omega).
    Then model = a * pi0 + c with the isotropic term c (:func:`isotropic_term`; fitted
    by weighted least squares when ``"fit"``) and a = 1 unless ``fit_norm``.
    Returns a Dataset over ``l_deg`` with ``pi0`` (a x the pi0 profile), ``model``
    (+ c), ``data``, ``error``, ``residual`` = (data - model) / error; attrs ``chi2``,
    ``n_bins``, ``isotropic``, ``isotropic_mode``, ``norm``.
    """
    fm = load_fermi_maps()
    if not np.allclose(smap.band, fm.band, rtol=1e-6):
        raise ValueError(
            f"the shipped Fermi-LAT maps cover {fm.band[0]:g}-{fm.band[1]:g} GeV; the model "
            f"band is {smap.band[0]:g}-{smap.band[1]:g} GeV (make maps of --bands 2:20)"
        )
    if component not in smap.maps:
        raise ValueError(f"the sky map has no component {component!r} ({', '.join(smap.maps)})")
    parts = [c for c in ("pi0", "IC", "bremsstrahlung") if c in smap.maps and c != component]
    prof, obs = _profiles_on_data(
        {c: smap.maps[c] for c in [component, *parts]}, b_max_deg, l_bin_deg
    )
    m = prof[component].values
    d, s = obs["intensity"].values, obs["error"].values
    ok = np.isfinite(m) & np.isfinite(d) & (s > 0)
    if not ok.any():
        raise ValueError("no longitude bin has both model and data")
    c_fixed = isotropic_term(isotropic, smap.band)
    a, c = _fit_linear(m[ok], d[ok], s[ok], c_fixed, fit_norm)
    scaled = prof.copy()
    scaled[component] = prof[component] * a
    res = profile_residuals(scaled, obs, component, isotropic=c)
    out = xr.Dataset(
        {
            "pi0": ("l_deg", a * m, {"units": obs["intensity"].attrs["units"]}),
            "model": res["model"],
            "data": res["data"],
            "error": res["error"],
            "residual": res["residual"],
        },
        coords={"l_deg": obs["l_deg"].values},
    )
    for part in parts:
        out[f"component_{part}"] = (
            "l_deg",
            a * prof[part].values,
            {"units": "ph cm^-2 s^-1 sr^-1"},
        )
    out.attrs = {
        "chi2": res.attrs["chi2"],
        "n_bins": res.attrs["n_bins"],
        "n_free": (1 if c_fixed is None else 0) + (1 if fit_norm else 0),
        "isotropic": c,
        "isotropic_mode": "fit" if c_fixed is None else str(isotropic),
        "norm": a,
        "band_gev": list(smap.band),
        "b_max_deg": b_max_deg,
        "l_bin_deg": l_bin_deg,
        "model_nside": smap.nside,
        "components": ",".join(parts),
    }
    return out


def component_profile_fit(templates: dict, b_max_deg: float = 5.0, l_bin_deg: float = 2.0):
    """chi2 of the longitude profile (as :func:`fermi_comparison`: the data's mask, exposure
    weighting and statistical errors) with one free normalisation >= 0 per map of
    ``templates`` (name -> HEALPix intensity map of the 2-20 GeV band, any nside) and a free
    isotropic term >= 0; returns (chi2, {name: normalisation, "isotropic": c})."""
    from scipy.optimize import nnls

    names = list(templates)
    prof, obs = _profiles_on_data(templates, b_max_deg, l_bin_deg)
    d, s = obs["intensity"].values, obs["error"].values
    cols = np.stack([prof[n].values for n in names] + [np.ones_like(d)], axis=1)
    ok = np.all(np.isfinite(cols), axis=1) & np.isfinite(d) & (s > 0)
    x, rnorm = nnls(cols[ok] / s[ok, None], d[ok] / s[ok])
    return float(rnorm**2), dict(zip([*names, "isotropic"], map(float, x), strict=True))
