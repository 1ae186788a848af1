"""Gamma-ray figures: the letter's Figure 1 (emissivity vs R) and Figure 2 (longitude profile).

* :func:`emissivity_figure`: the pi0 emissivity per H atom integrated over a band at
  z = 0 against Galactocentric radius (:func:`escapade.emission.pion.emissivity_vs_r`),
  normalised at the Sun (top) and absolute with the Fermi-LAT local HI emissivity of
  Casandjian 2015 at R_sun (bottom,
  :func:`escapade.sky.fermi.local_emissivity_casandjian2015`), several solutions
  overlaid.
* :func:`longitude_profile_figure`: the |b| < b_max longitude profile of model maps
  against the shipped Fermi-LAT 2-20 GeV data, plus an isotropic term, with the
  residuals (data - model) / sigma and chi2, as :func:`escapade.sky.compare.fermi_comparison`
  computes them.

The model is pi0 decay only (CR p and He on H and He gas); inverse Compton and
bremsstrahlung come in a later issue, and the legends say so.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr

from ..emission.pion import emissivity_at, emissivity_vs_r
from ..sky.fermi import local_emissivity_casandjian2015
from ..solution import Solution, as_solution, tau_d0_label
from .base import plt

__all__ = [
    "ALL_NOTE",
    "PI0_NOTE",
    "emissivity_figure",
    "longitude_profile_figure",
    "solution_label",
]

PI0_NOTE = "pi0 decay only (CR p, He on H, He gas); inverse Compton and bremsstrahlung not included"
ALL_NOTE = "pi0 decay + inverse Compton (isotropic KN) + bremsstrahlung of the propagated e-, e+"


# --------------------------------------------------------------------------- helpers


def solution_label(ds_or_meta) -> str:
    """``"tau = 0.85, D0 = 2e+28"`` from a solution or a sky map's ``meta`` (tau, d0)."""
    if isinstance(ds_or_meta, Solution | xr.Dataset):
        return as_solution(ds_or_meta).label
    return tau_d0_label(ds_or_meta.get("tau"), ds_or_meta.get("d0_cm2_s"))


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
        for i, ds in enumerate(solutions):
            q = emissivity_vs_r(ds, band, model)
            r_sun = q.attrs["r_sun_kpc"]
            lab = labels[i] if labels else solution_label(ds)
            q_sun = emissivity_at(q, r_sun)
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


def _draw_comparison(ax, axr, label: str, ds: xr.Dataset, ls, components: bool) -> None:
    """One model of a comparison: model + isotropic (thick), model alone (thin), optionally
    its components, and its residuals on ``axr``."""
    (ln,) = ax.step(
        ds["l_deg"], ds["model"], where="mid", ls=ls, lw=1.5, label=f"{label}: {_iso_text(ds)}"
    )
    ax.step(ds["l_deg"], ds["pi0"], where="mid", ls=ls, lw=0.7, color=ln.get_color())
    for j, c in enumerate(("pi0", "IC", "bremsstrahlung")):
        if f"component_{c}" in ds and components:
            ax.step(
                ds["l_deg"],
                ds[f"component_{c}"],
                where="mid",
                lw=0.9,
                ls=(0, (1 + j, 1.5)),
                label=f"{label}: {c}",
            )
    axr.step(ds["l_deg"], ds["residual"], where="mid", ls=ls, lw=1.2, color=ln.get_color())


def longitude_profile_figure(
    items: Sequence[tuple[str, xr.Dataset]],
    comparisons: bool = True,
    title: str | None = None,
    components_of: int | None = None,
):
    """The letter's Figure 2.

    ``items``: (label, dataset) pairs. With ``comparisons`` the datasets are
    :func:`escapade.sky.compare.fermi_comparison` results: the data with their errors, each
    model (a pi0 + isotropic) and, below, the residuals (data - model) / sigma. Otherwise they
    are model profiles (:func:`escapade.sky.profiles.profile_of_map`) drawn alone, with
    their gas phases when there is one model. ``components_of``: the index of the item whose
    components (pi0, IC, bremsstrahlung) are drawn (default: the only item, if one).
    """
    if components_of is None and len(items) == 1:
        components_of = 0
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
            _draw_comparison(ax, axr, label, ds, ls, i == components_of)
        else:
            ax.step(ds["l_deg"], ds["total"], where="mid", ls=ls, lw=1.5, label=label)
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
