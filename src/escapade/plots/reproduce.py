"""The figures of ``escapade reproduce``: the letter's Figures 1-3, B/C and pbar/p.

Each takes the stacked scan results of one era (``diffusion.tau`` the leading dimension,
the variables of :func:`escapade.reproduce.evaluate`) and returns a Figure.
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from matplotlib.figure import Figure

from ..measurements import load_measurement
from ..solution import solution_config
from .base import plt
from .gamma import longitude_profile_figure


def emissivity_profiles_figure(letter: xr.Dataset) -> Figure:
    """Figure 1: the pi0 emissivity per H atom vs R, normalised at the Sun, per tau < 1."""
    taus = letter["diffusion.tau"].values
    sun_r_kpc = solution_config(letter).galaxy.sun_r_kpc
    fig, ax = plt.subplots(figsize=(6.4, 4.6), constrained_layout=True)
    r = letter.radius_kpc.values
    for t in taus:
        if t >= 1.0:
            continue
        q = letter.emissivity.sel({"diffusion.tau": t}).values
        ax.plot(r, q / np.interp(sun_r_kpc, r, q), label=f"tau = {t:g}")
    ax.set_xlabel("R [kpc]")
    ax.set_ylabel("q(R) / q(R_sun), pi0, 0.1-100 GeV")
    ax.set_xlim(0, 20)
    ax.set_title("Figure 1: gamma-ray emissivity per H atom (pi0 only)")
    ax.legend(fontsize=8, frameon=False)
    ax.grid(alpha=0.3)
    return fig


def comparison_at(results: xr.Dataset, tau: float) -> xr.Dataset:
    """One tau of the stacked results as a :func:`escapade.sky.compare.fermi_comparison`
    Dataset (data, error, model, residual, components; the isotropic term fitted)."""
    at = results.sel({"diffusion.tau": tau})
    iso = float(at.isotropic)
    model, data, err = (at[v].values for v in ("profile_model", "profile_data", "profile_error"))
    out = xr.Dataset(
        {
            "model": ("l_deg", model),
            "pi0": ("l_deg", model - iso),
            "data": ("l_deg", data),
            "error": ("l_deg", err),
            "residual": ("l_deg", (data - model) / err),
        },
        coords={"l_deg": at["l_deg"].values},
    )
    parts = []
    for var, part in (
        ("profile_pi0", "pi0"),
        ("profile_ic", "IC"),
        ("profile_brems", "bremsstrahlung"),
    ):
        if var in at:
            out[f"component_{part}"] = ("l_deg", at[var].values)
            parts.append(part)
    out.attrs = {
        "chi2": float(at.chi2_longitude),
        "n_bins": int(np.isfinite(out["residual"].values).sum()),
        "isotropic": iso,
        "isotropic_mode": "fit",
        "norm": 1.0,
        "components": ",".join(parts),
    }
    return out


def longitude_profiles_figure(letter: xr.Dataset) -> Figure:
    """Figure 2: the |b| < 5 deg longitude profile for tau = 0 and 0.85 against Fermi-LAT,
    with the components at tau = 0.85 and the residuals
    (:func:`escapade.plots.gamma.longitude_profile_figure`)."""
    taus = letter["diffusion.tau"].values
    items = [(f"tau = {t:g}", comparison_at(letter, t)) for t in (0.0, 0.85) if t in taus]
    return longitude_profile_figure(
        items,
        title="Figure 2: longitude profile, 2-20 GeV, |b| < 5 deg",
        components_of=len(items) - 1,
    )


def anisotropy_figure(letter: xr.Dataset) -> Figure:
    """Figure 3: the radial dipole of the protons (letter eq. 2) vs energy, tau = 0, 0.85, 1."""
    taus = letter["diffusion.tau"].values
    fig, ax = plt.subplots(figsize=(6.4, 4.6), constrained_layout=True)
    e = letter.ekin_gev_per_n.values
    sel = (e >= 1e2) & (e <= 1e5)
    for t, style in ((0.0, "--"), (0.85, "-"), (1.0, ":")):
        if t in taus:
            a = letter.anisotropy.sel({"diffusion.tau": t}).values
            ax.plot(e[sel], a[sel], style, label=f"tau = {t:g}")
    ax.plot([1e2], [1e-4], "s", color="k", label="measured level ~1e-4 at 100 GeV (letter)")
    ax.plot([1e4, 1e5], [1e-3, 1e-3], "k-", lw=3, alpha=0.4, label="~1e-3 above 10 TeV (letter)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("proton kinetic energy [GeV]")
    ax.set_ylabel("radial dipole of protons 3 D |dN/dR| / (c N)")
    ax.set_title("Figure 3: anisotropy from diffusion")
    ax.legend(fontsize=8, frameon=False)
    ax.grid(alpha=0.3, which="both")
    return fig


def ratio_figure(
    letter: xr.Dataset,
    modern: xr.Dataset | None,
    name: str,
    var: str,
    xcoord: str,
    datasets,
    xlabel: str,
) -> Figure:
    """B/C or pbar/p (``var`` on ``xcoord``) of the letter-era fits for tau = 0 and 0.85, the
    AMS-02-era fit at tau = 0.85, and the ``datasets``."""
    taus = letter["diffusion.tau"].values
    fig, ax = plt.subplots(figsize=(6.4, 4.6), constrained_layout=True)
    for t, style in ((0.0, "--"), (0.85, "-")):
        if t in taus:
            ax.plot(
                letter[xcoord].values,
                letter[var].sel({"diffusion.tau": t}).values,
                style,
                label=f"tau = {t:g}, letter-era fit",
            )
    if modern is not None and 0.85 in modern["diffusion.tau"].values:
        ax.plot(
            modern[xcoord].values,
            modern[var].sel({"diffusion.tau": 0.85}).values,
            ":",
            label="tau = 0.85, AMS-02 fit (delta and break free)",
        )
    for j, dname in enumerate(datasets):
        m = load_measurement(dname)
        lo, hi = m.total_errors()
        ax.errorbar(m.x, m.y, yerr=[lo, hi], fmt="osD^v"[j % 5], ms=3, lw=0.7, label=m.name)
    ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("B/C" if name == "bc" else "pbar/p")
    ax.legend(fontsize=7, frameon=False)
    ax.grid(alpha=0.3, which="both")
    return fig
