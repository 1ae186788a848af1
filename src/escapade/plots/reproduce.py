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
    return comparison_of(results.sel({"diffusion.tau": tau}))


def comparison_of(at: xr.Dataset) -> xr.Dataset:
    """:func:`comparison_at` of one point's record (no tau dimension)."""
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
        "norm": float(at.profile_norm) if "profile_norm" in at else 1.0,
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


def tau_likelihood_figure(letter: xr.Dataset) -> Figure:
    """-2 ln L(tau) - its minimum for each gas model, without (dashed) and with (solid) the
    4FGL template, from the template fits of the stacked results (``gas_minus2lnl``)."""
    ok = [str(s) == "ok" for s in letter.status.values]
    pts = letter.isel({"diffusion.tau": np.nonzero(ok)[0]})
    taus = pts["diffusion.tau"].values
    fig, ax = plt.subplots(figsize=(6.4, 4.6), constrained_layout=True)
    for g in pts.gas_model.values:
        color = None
        for ps, style in (("no", "--"), ("yes", "-")):
            m2 = pts.gas_minus2lnl.sel(gas_model=g, point_sources=ps).values
            (ln,) = ax.plot(
                taus,
                m2 - m2.min(),
                style,
                marker="o",
                ms=3,
                color=color,
                label=f"{g}{' + 4FGL' if ps == 'yes' else ''}",
            )
            color = ln.get_color()
    ax.axhline(1.0, color="0.5", lw=0.8, ls=":")
    ax.set_yscale("symlog", linthresh=1.0)
    ax.set_ylim(bottom=0.0)  # differences to the minimum: never negative
    ax.set_xlabel("tau")
    ax.set_ylabel("-2 ln L - min (systematic fraction profiled)")
    ax.set_title("Fermi-LAT 2-20 GeV, |b| < 5 deg: which tau each gas model prefers")
    ax.legend(fontsize=7, frameon=False)
    ax.grid(alpha=0.3, which="both")
    return fig


def gas_profiles_figure(letter: xr.Dataset, tau: float = 0.85) -> Figure:
    """The longitude profile at ``tau`` through each gas model (free normalisation and
    isotropic) against the data, with the residuals."""
    at = letter.sel({"diffusion.tau": tau})
    items = []
    for g in at.gas_model.values:
        one = at.sel(gas_model=g).drop_vars("gas_model")
        one = one.assign(
            {k.removeprefix("gas_"): one[k] for k in one.data_vars if k.startswith("gas_")}
        )
        one = one.assign(chi2_longitude=one.chi2_profile, isotropic=one.profile_isotropic)
        items.append((str(g), comparison_of(one)))
    return longitude_profile_figure(
        items,
        title=f"longitude profile at tau = {tau:g} through each gas model, 2-20 GeV, |b| < 5 deg",
    )


TAU_COLORS = {0.0: "C0", 0.85: "C1", 1.0: "C2"}


def anisotropy_figure(letter: xr.Dataset, stochastic: xr.Dataset | None = None) -> Figure:
    """Figure 3: the radial dipole of the protons (letter eq. 2) vs energy, tau = 0, 0.85, 1.

    With ``stochastic`` (the records of :mod:`escapade.reproduce.stochastic`) the figure runs
    to 1 PeV and adds, per tau, the median and the 68 % and 95 % bands of the dipole of the
    protons with the stochastic nearby sources and the smooth line of that solve."""
    taus = letter["diffusion.tau"].values
    fig, ax = plt.subplots(figsize=(6.4, 4.6), constrained_layout=True)
    e = letter.ekin_gev_per_n.values
    sel = (e >= 1e2) & (e <= 1e5)
    for t, style in ((0.0, "--"), (0.85, "-"), (1.0, ":")):
        if t in taus:
            a = letter.anisotropy.sel({"diffusion.tau": t}).values
            ax.plot(e[sel], a[sel], style, color=TAU_COLORS[t], label=f"tau = {t:g}")
    if stochastic is not None:
        _stochastic_bands(ax, stochastic)
    ax.plot([1e2], [1e-4], "s", color="k", label="measured level ~1e-4 at 100 GeV (letter)")
    ax.plot([1e4, 1e5], [1e-3, 1e-3], "k-", lw=3, alpha=0.4, label="~1e-3 above 10 TeV (letter)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("proton kinetic energy [GeV]")
    ax.set_ylabel(
        "radial dipole of protons 3 D |dN/dR| / (c N)"
        if stochastic is None
        else "dipole of protons: smooth 3 D |dN/dR| / (c N), with sources 3 D |grad N| / (c N)",
        fontsize=8 if stochastic is not None else None,
    )
    ax.set_title(
        "Figure 3: anisotropy from diffusion" + (" and nearby sources" if stochastic else "")
    )
    ax.legend(fontsize=7, frameon=False, loc="upper left")
    ax.grid(alpha=0.3, which="both")
    return fig


def _stochastic_bands(ax, stochastic: xr.Dataset) -> None:
    """Median, 68 % and 95 % bands of the protons' dipole with the nearby sources per tau."""
    e = stochastic.ekin_gev_per_n.values
    sel = (e >= 1e2) & (e <= 1e6)
    for t in stochastic["diffusion.tau"].values:
        p = stochastic.sel({"diffusion.tau": t})
        if str(p.status.values) != "ok":
            continue
        color = TAU_COLORS.get(float(t), "C3")
        q = p.proton_dipole_quantiles.values[:, sel]
        ax.fill_between(e[sel], q[0], q[4], color=color, alpha=0.12, lw=0)
        ax.fill_between(e[sel], q[1], q[3], color=color, alpha=0.3, lw=0)
        n = p.sizes.get("realisation", 0)
        ax.plot(
            e[sel],
            q[2],
            "-.",
            color=color,
            lw=1.2,
            label=f"tau = {t:g} + nearby sources: median, 68/95 % ({n} realisations)",
        )
        smooth = p.smooth_proton_dipole.values[sel]
        ax.plot(e[sel], smooth, ":", color=color, lw=0.8, label=f"tau = {t:g}: smooth, to 1 PeV")
    ax.set_xlim(1e2, 1e6)


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


KNEE_DATA = {
    "1H": ("H:DAMPE", "H:GRAPES-3", "H:KASCADE(Kuznetsov2024)", "H:LHAASO(EPOS-LHC)"),
    "4He": ("He:DAMPE", "He:KASCADE(Kuznetsov2024)", "He:LHAASO(EPOS-LHC)"),
    "light": ("light:DAMPE", "light:HAWC"),
}
"""The measured spectra of each panel of :func:`knee_spectra_figure` (registry names)."""


def _measured_etot(name: str, mass_gev: float):
    """(E_total, flux per total energy, lower and upper total error) of a measured spectrum."""
    m = load_measurement(name)
    lo, hi = m.total_errors()
    if m.x_kind == "etot":
        return m.x, m.y, lo, hi
    if m.x_kind != "ekin":
        raise ValueError(f"{name}: x axis {m.x_kind}, expected ekin or etot")
    return m.x + mass_gev, m.y, lo, hi  # dE_kin = dE_total per particle


def knee_spectra_figure(stochastic: xr.Dataset, index: float = 2.6, band_tau: float = 0.85):
    """1H, 4He and 1H + 4He: E^index J per total energy with the nearby sources (median,
    68 % and 95 % bands at ``band_tau``; the smooth line of every tau) against DAMPE and the
    knee-region data (:data:`KNEE_DATA`; errors statistical and systematic in quadrature)."""
    from ..species import nuclide

    fig, axes = plt.subplots(1, 3, figsize=(13.5, 4.6), constrained_layout=True, sharey=True)
    taus = [float(t) for t in stochastic["diffusion.tau"].values]
    t_ekn = stochastic.ekin_gev_per_n.values
    for ax, panel in zip(axes, ("1H", "4He", "light"), strict=True):
        if panel == "light":
            e_tot, mass = stochastic.light_etot_gev.values, 0.0
        else:
            nuc = nuclide(panel)
            mass = nuc.a * nuc.mass_per_nucleon_gev
            e_tot = nuc.a * t_ekn + mass
        w = e_tot**index
        for t in taus:
            p = stochastic.sel({"diffusion.tau": t})
            if str(p.status.values) != "ok":
                continue
            if panel == "light":
                smooth, q = p.light_flux_smooth.values, p.light_flux_quantiles.values
            else:
                a = nuclide(panel).a
                smooth = p.flux_smooth.sel(species=panel).values / a
                q = p.flux_ratio_quantiles.sel(species=panel).values * smooth
            color = TAU_COLORS.get(t, "C3")
            ax.plot(e_tot, w * smooth, "--", color=color, lw=1, label=f"tau = {t:g}: smooth")
            if t == band_tau:
                ax.fill_between(e_tot, w * q[0], w * q[4], color=color, alpha=0.12, lw=0)
                ax.fill_between(e_tot, w * q[1], w * q[3], color=color, alpha=0.3, lw=0)
                ax.plot(e_tot, w * q[2], "-", color=color, label=f"tau = {t:g}: median, 68/95 %")
        for j, name in enumerate(KNEE_DATA[panel]):
            x, y, lo, hi = _measured_etot(name, mass)
            ax.errorbar(
                x,
                x**index * y,
                yerr=[x**index * lo, x**index * hi],
                fmt="osd^v<>"[j % 7],
                ms=3,
                lw=0.7,
                color="0.2",
                mfc="none" if j else "0.2",
                label=name,
            )
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(1e2, 1e7)
        ax.set_xlabel("total energy per particle [GeV]")
        ax.set_title({"1H": "protons", "4He": "helium", "light": "1H + 4He"}[panel])
        ax.legend(fontsize=6, frameon=False, loc="lower left")
        ax.grid(alpha=0.3, which="both")
    axes[0].set_ylabel(f"E^{index:g} J [GeV^{index - 1:g} m^-2 s^-1 sr^-1]")
    fig.suptitle("Spectra with the stochastic nearby sources against the knee-region data")
    return fig
