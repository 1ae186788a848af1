"""Gamma-ray figures: the letter's Figure 1 (emissivity vs R) and Figure 2 (longitude profile).

* :func:`emissivity_figure`: the pi0 emissivity per H atom integrated over a band at
  z = 0 against Galactocentric radius, normalised at the Sun (top) and absolute with the
  Fermi-LAT local HI emissivity of Casandjian 2015 at R_sun (bottom), several solutions
  overlaid.
* :func:`fermi_comparison` and :func:`longitude_profile_figure`: the |b| < b_max
  longitude profile of model maps on the pixels, point-source mask and exposure weighting
  of the shipped Fermi-LAT 2-20 GeV data, plus an isotropic term, with the residuals
  (data - model) / sigma and chi2.

The model is pi0 decay only (CR p and He on H and He gas); inverse Compton and
bremsstrahlung come in a later issue, and the legends say so.

Isotropic term (:func:`isotropic_term`): ``"fit"`` (the default) is one free constant
per model, c >= 0, fitted by weighted least squares to the profile; ``"igrb"`` is the
Fermi-LAT isotropic gamma-ray background of Ackermann et al. 2015 (ApJ 799, 86,
foreground model A: I(>100 MeV) = 7.2e-6 cm^-2 s^-1 sr^-1 over 0.1-820 GeV, a power law
of index 2.32 cut off at 279 GeV) integrated over the band (1.29e-7 for 2-20 GeV); a
number is a fixed constant in ph cm^-2 s^-1 sr^-1. ``fit_norm=True`` also fits a
normalisation factor of the pi0 model (a stand-in for the missing components).
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Sequence

import astropy.units as u
import numpy as np
import xarray as xr
from astropy_healpix import lonlat_to_healpix, nside_to_npix

from .plots import plt
from .sky.io import nside_of
from .sky.los import SkyMap, pixel_lonlat_deg, profile_of_map

__all__ = [
    "ALL_NOTE",
    "IGRB_ACKERMANN2015",
    "PI0_NOTE",
    "emissivity_figure",
    "emissivity_vs_r",
    "fermi_comparison",
    "igrb_intensity",
    "isotropic_term",
    "local_emissivity_casandjian2015",
    "longitude_profile_figure",
    "regrid",
    "solution_label",
]

PI0_NOTE = "pi0 decay only (CR p, He on H, He gas); inverse Compton and bremsstrahlung not included"
ALL_NOTE = "pi0 decay + inverse Compton (isotropic KN) + bremsstrahlung of the propagated e-, e+"
IGRB_ACKERMANN2015 = {"i_above_100mev": 7.2e-6, "index": 2.32, "e_cut_gev": 279.0, "e_max_gev": 820}
"""Ackermann et al. 2015 (ApJ 799, 86) IGRB, foreground model A, cm^-2 s^-1 sr^-1."""


# --------------------------------------------------------------------------- helpers


def _config(attrs) -> dict:
    text = (attrs or {}).get("config_toml")
    try:
        return tomllib.loads(text) if text else {}
    except tomllib.TOMLDecodeError:
        return {}


def solution_label(ds_or_meta) -> str:
    """``"tau = 0.85, D0 = 2e+28"`` from a solution or a sky map's ``meta`` (tau, d0)."""
    if isinstance(ds_or_meta, xr.Dataset):
        d = _config(ds_or_meta.attrs).get("diffusion", {})
        tau = d.get("tau", 0.0) if d.get("model", "source_correlated") == "source_correlated" else 0
        d0 = d.get("d0_cm2_s")
    else:
        tau, d0 = ds_or_meta.get("tau"), ds_or_meta.get("d0_cm2_s")
    if tau is None:
        return ""
    return f"tau = {float(tau):g}" + (f", D0 = {float(d0):.3g}" if d0 is not None else "")


def _r_sun(ds) -> float:
    return float(_config(ds.attrs).get("galaxy", {}).get("sun_r_kpc", 8.5))


def emissivity_vs_r(ds, band, model: str = "aafrag") -> xr.DataArray:
    """pi0 emissivity per H atom over ``band`` at z = 0 against R (ph s^-1 sr^-1 H^-1).

    Uses the mid-plane density (every solution has it; ``--full`` is not needed).
    """
    from .emission.pion import emissivity_band, he_to_h_of

    dens = ds["density_midplane"] if "density_midplane" in ds else ds["density"].interp(z_kpc=0.0)
    q = emissivity_band(dens, band, he_to_h=he_to_h_of(ds), model=model)
    q.attrs["r_sun_kpc"] = _r_sun(ds)
    return q


def _value_at(q: xr.DataArray, r_kpc: float) -> float:
    r = q["r_kpc"].values
    return float(np.exp(np.interp(r_kpc, r, np.log(np.maximum(q.values, 1e-300)))))


def local_emissivity_casandjian2015(band) -> tuple[float, float, float] | None:
    """The Casandjian 2015 local HI emissivity per H atom integrated over ``band`` (GeV).

    Returns (value, lower error, upper error) in ph s^-1 sr^-1 per H atom, statistical
    and systematic errors added in quadrature, or None when the band starts below the
    table (50 MeV) or ends above 1 TeV. q is interpolated log-log between the bin
    energies and extrapolated with the end slopes (above 50 GeV: < 0.1 % of the 0.1-100
    GeV integral).
    """
    from .sky.fermi import load_local_hi_emissivity

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


def igrb_intensity(band) -> float:
    """Ackermann et al. 2015 IGRB (model A) integrated over ``band`` (ph cm^-2 s^-1 sr^-1)."""
    p = IGRB_ACKERMANN2015

    def integral(a, b):
        x = np.linspace(math.log(a), math.log(b), 4000)
        e = np.exp(x)
        return float(np.trapezoid(e ** (1.0 - p["index"]) * np.exp(-e / p["e_cut_gev"]), x))

    return p["i_above_100mev"] * integral(*band) / integral(0.1, p["e_max_gev"])


# --------------------------------------------------------------------------- Figure 1


def emissivity_figure(
    solutions: Sequence,
    bands: Sequence = ((0.1, 100.0),),
    labels: Sequence[str] | None = None,
    model: str = "aafrag",
    reference: bool = True,
):
    """The letter's Figure 1: q(R) at z = 0 over each band, several solutions overlaid.

    One column per band: top, q(R) / q(R_sun); bottom, q(R) in ph s^-1 sr^-1 per H atom
    with the Casandjian 2015 local HI emissivity at R_sun (``reference``).
    """
    nb = len(bands)
    fig, axes = plt.subplots(
        2,
        nb,
        figsize=(5.6 * nb, 7.0),
        sharex=True,
        squeeze=False,
        constrained_layout=True,
        gridspec_kw={"height_ratios": [3, 2]},
    )
    for j, band in enumerate(bands):
        top, bottom = axes[0, j], axes[1, j]
        r_sun = 8.5
        for i, ds in enumerate(solutions):
            q = emissivity_vs_r(ds, band, model)
            r_sun = q.attrs["r_sun_kpc"]
            lab = labels[i] if labels else solution_label(ds)
            q_sun = _value_at(q, r_sun)
            inside = q["r_kpc"].values < q["r_kpc"].values[-1]  # q = 0 on the boundary R_max
            r, qv = q["r_kpc"].values[inside], q.values[inside]
            (ln,) = top.plot(r, qv / q_sun, lw=1.6, label=lab)
            bottom.plot(r, qv, lw=1.4, color=ln.get_color())
        top.axvline(r_sun, color="0.6", lw=0.8, ls=":")
        bottom.axvline(r_sun, color="0.6", lw=0.8, ls=":")
        ref = local_emissivity_casandjian2015(band) if reference else None
        if ref is not None:
            v, lo, hi = ref
            bottom.errorbar(
                [r_sun],
                [v],
                yerr=[[lo], [hi]],
                fmt="ks",
                ms=5,
                label="local HI, Fermi-LAT (Casandjian 2015)",
            )
            bottom.legend(fontsize=7, frameon=False, loc="upper right")
        top.set_yscale("log")
        bottom.set_yscale("log")
        top.set_title(f"{band[0]:g}-{band[1]:g} GeV: emissivity per H atom at z = 0", fontsize=9)
        top.set_ylabel("q(R) / q(R_sun)")
        bottom.set_ylabel("q(R)  [ph s^-1 sr^-1 (H atom)^-1]")
        bottom.set_xlabel("Galactocentric radius R [kpc]")
        top.legend(fontsize=7, frameon=False)
        top.grid(alpha=0.3, which="both", lw=0.4)
        bottom.grid(alpha=0.3, which="both", lw=0.4)
    fig.suptitle(PI0_NOTE.replace("; ", ";\n"), fontsize=8)
    return fig


# --------------------------------------------------------------------------- Figure 2


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
    from .sky.fermi import load_fermi_maps, observed_longitude_profile, profile_residuals

    fm = load_fermi_maps()
    if not np.allclose(smap.band, fm.band, rtol=1e-6):
        raise ValueError(
            f"the shipped Fermi-LAT maps cover {fm.band[0]:g}-{fm.band[1]:g} GeV; the model "
            f"band is {smap.band[0]:g}-{smap.band[1]:g} GeV (make maps of --bands 2:20)"
        )
    if component not in smap.maps:
        raise ValueError(f"the sky map has no component {component!r} ({', '.join(smap.maps)})")
    parts = [c for c in ("pi0", "IC", "bremsstrahlung") if c in smap.maps and c != component]
    m128 = SkyMap(
        fm.nside,
        smap.band,
        {c: regrid(smap.maps[c], fm.nside) for c in [component, *parts]},
    )
    prof = profile_of_map(
        m128,
        b_max_deg,
        l_bin_deg,
        mask=fm.pscmask,
        exposure=fm.exposure,
        components=[component, *parts],
    )
    obs = observed_longitude_profile(b_max_deg, l_bin_deg, mask=True, maps=fm)
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


def _iso_text(cmp: xr.Dataset) -> str:
    c = cmp.attrs["isotropic"]
    how = "fitted" if cmp.attrs["isotropic_mode"] == "fit" else cmp.attrs["isotropic_mode"]
    if how == "igrb":
        how = "IGRB, Ackermann+2015"
    what = "model" if cmp.attrs.get("components") else "pi0"
    norm = f"{cmp.attrs['norm']:.2f} x {what}" if cmp.attrs["norm"] != 1.0 else what
    return (
        f"{norm} + isotropic {c:.2g} ({how}); chi2 = {cmp.attrs['chi2']:.4g} / "
        f"{cmp.attrs['n_bins']} bins"
    )


def longitude_profile_figure(
    items: Sequence[tuple[str, xr.Dataset]],
    comparisons: bool = True,
    title: str | None = None,
):
    """The letter's Figure 2.

    ``items``: (label, dataset) pairs. With ``comparisons`` the datasets are
    :func:`fermi_comparison` results: the data with their errors, each model
    (a pi0 + isotropic) and, below, the residuals (data - model) / sigma. Otherwise they
    are model profiles (:func:`escapade.sky.los.profile_of_map`) drawn alone, with
    their gas phases when there is one model.
    """
    styles = ["-", "--", "-.", ":"]
    if comparisons:
        fig, (ax, axr) = plt.subplots(
            2,
            1,
            figsize=(8.0, 6.4),
            sharex=True,
            constrained_layout=True,
            gridspec_kw={"height_ratios": [3, 1.6]},
        )
    else:
        fig, ax = plt.subplots(figsize=(8.0, 4.6), constrained_layout=True)
        axr = None
    first = items[0][1]
    if comparisons:
        ax.errorbar(
            first["l_deg"],
            first["data"],
            yerr=first["error"],
            fmt="o",
            ms=2.2,
            lw=0.6,
            color="k",
            label="Fermi-LAT 2-20 GeV (P8 UltracleanVeto PSF3, 3FGL sources masked)",
        )
    for i, (label, ds) in enumerate(items):
        ls = styles[i % len(styles)]
        if comparisons:
            (ln,) = ax.step(
                ds["l_deg"],
                ds["model"],
                where="mid",
                ls=ls,
                lw=1.5,
                label=f"{label}: {_iso_text(ds)}",
            )
            ax.step(ds["l_deg"], ds["pi0"], where="mid", ls=ls, lw=0.7, color=ln.get_color())
            for j, c in enumerate(("pi0", "IC", "bremsstrahlung")):
                if f"component_{c}" in ds and len(items) == 1:
                    ax.step(
                        ds["l_deg"],
                        ds[f"component_{c}"],
                        where="mid",
                        lw=0.9,
                        ls=(0, (1 + j, 1.5)),
                        label=f"{label}: {c}",
                    )
            axr.step(ds["l_deg"], ds["residual"], where="mid", ls=ls, lw=1.2, color=ln.get_color())
        else:
            (ln,) = ax.step(ds["l_deg"], ds["total"], where="mid", ls=ls, lw=1.5, label=label)
            if len(items) == 1:
                for ph in ("HI", "H2", "HII"):
                    if ph in ds:
                        ax.step(ds["l_deg"], ds[ph], where="mid", lw=0.8, label=f"{label} {ph}")
    band = first.attrs.get("band_gev", [])
    bmax = first.attrs.get("b_max_deg", 5.0)
    ax.set_yscale("log")
    ax.set_ylabel("intensity [ph cm^-2 s^-1 sr^-1]")
    band_text = f"{band[0]:g}-{band[1]:g} GeV, " if len(band) == 2 else ""
    full = comparisons and any(ds.attrs.get("components") for _, ds in items)
    ax.set_title(
        title
        or f"longitude profile, {band_text}|b| < {bmax:g} deg\nmodel: "
        + (ALL_NOTE if full else PI0_NOTE),
        fontsize=9,
    )
    if full:
        note = "thin solid: pi0 + IC + brems; thick: + isotropic term; dotted: components"
    else:
        note = "thin lines: pi0 alone; thick: pi0 + isotropic term" if comparisons else None
    ax.legend(fontsize=6.5, frameon=False, title=note, title_fontsize=6.5, loc="lower center")
    ax.grid(alpha=0.3, which="both", lw=0.4)
    last = axr if axr is not None else ax
    if axr is not None:
        axr.axhline(0.0, color="k", lw=0.6)
        axr.set_ylabel("(data - model) / sigma")
        axr.grid(alpha=0.3, lw=0.4)
    last.set_xlabel("Galactic longitude l [deg]")
    last.set_xlim(180, -180)
    last.set_xticks(np.arange(180, -181, -45))
    return fig
