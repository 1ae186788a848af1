"""Figures of the stochastic nearby sources (docs/stochastic.md): the dipole amplitude of
all nuclei, smooth line and stochastic median with its 68 % and 95 % bands, per model."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ..solution import as_solution
from .base import plt


def stochastic_dipole_figure(solutions: dict, e_range=(1e2, 1e6)) -> Figure:
    """The dipole vs energy for each labelled solution with the stochastic variables.

    ``solutions``: label -> Solution or Dataset (written by ``escapade run`` with
    ``[stochastic] enabled = true`` or by ``escapade stochastic``). Each gets its smooth
    ``anisotropy_all_nuclei`` line, the median of ``stochastic_dipole_amplitude`` and the
    68 % and 95 % bands of the realisations.
    """
    fig, ax = plt.subplots(figsize=(6.4, 4.6), constrained_layout=True)
    for k, (label, obj) in enumerate(solutions.items()):
        ds = as_solution(obj).dataset
        e = ds["ekin_gev_per_n"].values
        sel = (e >= e_range[0]) & (e <= e_range[1])
        amp = ds["stochastic_dipole_amplitude"].values[:, sel]
        q = np.quantile(amp, [0.025, 0.16, 0.5, 0.84, 0.975], axis=0)
        color = f"C{k}"
        ax.fill_between(e[sel], q[0], q[4], color=color, alpha=0.12, lw=0)
        ax.fill_between(e[sel], q[1], q[3], color=color, alpha=0.3, lw=0)
        ax.plot(e[sel], q[2], "-", color=color, label=f"{label}: stochastic median, 68/95 %")
        smooth = ds["anisotropy_all_nuclei"].values[sel]
        ax.plot(e[sel], smooth, "--", color=color, label=f"{label}: smooth")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("kinetic energy per nucleon [GeV/n]")
    ax.set_ylabel("dipole amplitude of all nuclei")
    ax.set_title("Dipole with stochastic nearby sources")
    ax.legend(fontsize=8, frameon=False)
    ax.grid(alpha=0.3, which="both")
    return fig


def stochastic_spectra_figure(solution, data: dict | None = None, index: float = 2.6) -> Figure:
    """E^index times the flux per total energy of 1H and 4He: smooth line, stochastic median and
    68 % / 95 % bands (flux ratio quantiles times the smooth flux), with measured points.

    ``data``: label -> (species, E_total [GeV], flux [1/(m^2 s sr GeV)], error) arrays.
    """
    from ..species import nuclide

    ds = as_solution(solution).dataset
    fig, ax = plt.subplots(figsize=(6.8, 4.8), constrained_layout=True)
    t = ds["ekin_gev_per_n"].values
    for k, sp in enumerate(s for s in ("1H", "4He") if s in ds["species"].values):
        nuc = nuclide(sp)
        e_tot = nuc.a * (t + nuc.mass_per_nucleon_gev)
        smooth = ds["flux_local"].sel(species=sp).values / nuc.a  # per GeV of total energy
        ratio = ds["stochastic_flux_ratio"].sel(species=sp).values
        q = np.nanquantile(ratio, [0.025, 0.16, 0.5, 0.84, 0.975], axis=0) * smooth
        w = e_tot**index
        color = f"C{k}"
        ax.fill_between(e_tot, w * q[0], w * q[4], color=color, alpha=0.12, lw=0)
        ax.fill_between(e_tot, w * q[1], w * q[3], color=color, alpha=0.3, lw=0)
        ax.plot(e_tot, w * q[2], "-", color=color, label=f"{sp}: stochastic median, 68/95 %")
        ax.plot(e_tot, w * smooth, "--", color=color, label=f"{sp}: smooth")
    for m, (label, (sp, e, f, err)) in enumerate((data or {}).items()):
        color = "C0" if sp == "1H" else "C1"
        marker = "osd^v<>p*h"[m % 10]
        ax.errorbar(
            e,
            e**index * f,
            yerr=e**index * err,
            fmt=marker,
            ms=3,
            color=color,
            mfc="none",
            lw=0.8,
            label=label,
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("total energy per particle [GeV]")
    ax.set_ylabel(f"E^{index:g} J [GeV^{index - 1:g} m^-2 s^-1 sr^-1]")
    ax.set_title("1H and 4He with stochastic nearby sources")
    ax.legend(fontsize=7, frameon=False, ncol=2)
    ax.grid(alpha=0.3, which="both")
    return fig
