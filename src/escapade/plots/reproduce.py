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


def longitude_profiles_figure(letter: xr.Dataset) -> Figure:
    """Figure 2: the |b| < 5 deg longitude profile for tau = 0 and 0.85 against Fermi-LAT,
    with the components at tau = 0.85 and the residuals."""
    taus = letter["diffusion.tau"].values
    fig, (ax, axr) = plt.subplots(
        2,
        1,
        figsize=(7.5, 6),
        sharex=True,
        constrained_layout=True,
        gridspec_kw={"height_ratios": [3, 1]},
    )
    ll = letter.l_deg.values
    d = letter.profile_data.isel({"diffusion.tau": 0}).values
    s = letter.profile_error.isel({"diffusion.tau": 0}).values
    ax.errorbar(ll, d, s, fmt=".", color="k", ms=3, label="Fermi-LAT 2-20 GeV, |b| < 5 deg")
    for t, style in ((0.0, "--"), (0.85, "-")):
        if t not in taus:
            continue
        m = letter.profile_model.sel({"diffusion.tau": t}).values
        iso = float(letter.isotropic.sel({"diffusion.tau": t}))
        ax.plot(ll, m, style, label=f"tau = {t:g}: pi0 + IC + brems + isotropic {iso:.2g}")
        axr.plot(ll, (d - m) / s, style)
    if 0.85 in taus:
        for var, label, style in (
            ("profile_pi0", "pi0", ":"),
            ("profile_ic", "inverse Compton", "-."),
            ("profile_brems", "bremsstrahlung", (0, (1, 3))),
        ):
            if var in letter:
                v = letter[var].sel({"diffusion.tau": 0.85}).values
                ax.plot(ll, v, linestyle=style, lw=1, label=f"tau = 0.85: {label}")
    ax.set_yscale("log")
    ax.set_ylabel("intensity [ph cm^-2 s^-1 sr^-1]")
    ax.legend(fontsize=8, frameon=False)
    ax.set_title("Figure 2: longitude profile, 2-20 GeV, |b| < 5 deg")
    axr.axhline(0, color="k", lw=0.5)
    axr.set_ylabel("(data - model) / sigma")
    axr.set_xlabel("Galactic longitude [deg]")
    axr.set_xlim(180, -180)
    return fig


def anisotropy_figure(letter: xr.Dataset) -> Figure:
    """Figure 3: the dipole anisotropy vs energy for tau = 0, 0.85 and 1."""
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
    ax.set_xlabel("kinetic energy per nucleon [GeV/n]")
    ax.set_ylabel("dipole anisotropy 3 D |grad N| / (c N)")
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
