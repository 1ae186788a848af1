"""The figures users expect: local spectra and ratios with data (more in later modules).

Every function returns a :class:`matplotlib.figure.Figure`; :func:`save` writes it
atomically (PNG, PDF or SVG by the file name). The Agg backend is used, so no
display is needed.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from .io import atomic_path  # noqa: E402
from .observables.local import _MEASUREMENT_X, observable  # noqa: E402


def _axis(kind: str) -> str:
    """Canonical x-axis name of a measurement's or the user's axis."""
    kind = _MEASUREMENT_X.get(kind, kind)
    return "ekin" if kind == "ekin_per_n" else kind


X_LABELS = {
    "ekin": "kinetic energy per nucleon [GeV/n]",
    "rigidity": "rigidity [GV]",
    "ekin_total": "kinetic energy [GeV]",
    "etot": "total energy [GeV]",
}
FLUX_POWER = 2.7
"""Fluxes are drawn as x^2.7 J, the convention of CR spectra plots."""


def _label(ds, i: int) -> str:
    import tomllib

    d = tomllib.loads(ds.attrs["config_toml"])["diffusion"]
    tau = d.get("tau", 0.0) if d.get("model") == "source_correlated" else 0.0
    return f"tau = {tau:g}, D0 = {d['d0_cm2_s']:.3g}" if i >= 0 else ""


def local_observable(
    solutions: Sequence,
    name: str,
    data: Sequence = (),
    phi_gv: float = 0.6,
    x: str | None = None,
    labels: Sequence[str] | None = None,
):
    """A flux or ratio (``"B/C"``, ``"C"``, ``"10Be/9Be"``...) of one or more solutions.

    ``data`` are :class:`escapade.measurements.Measurement` objects drawn with their total
    errors; the x axis is the one the first data set was published in (E/n otherwise).
    Each model is drawn modulated (solid, force field ``phi_gv``) and interstellar (dashed).
    """
    x = _axis(x) if x is not None else (_axis(data[0].x_kind) if data else "ekin")
    is_ratio = "/" in name or name.lower() == "posfraction"
    fig, ax = plt.subplots(figsize=(6.4, 4.6), constrained_layout=True)
    for i, ds in enumerate(solutions):
        lab = labels[i] if labels else _label(ds, i)
        mod = observable(ds, name, phi_gv, x)
        lis = observable(ds, name, 0.0, x)
        xv = mod.coords[mod.dims[0]].values
        w = 1.0 if is_ratio else xv**FLUX_POWER
        (line,) = ax.plot(xv, w * mod.values, lw=1.8, label=f"{lab} (phi = {phi_gv:g} GV)")
        ax.plot(xv, w * lis.values, lw=1.0, ls="--", color=line.get_color(), label=f"{lab} (LIS)")
    markers = "osD^v<>p*h"
    for j, m in enumerate(data):
        xm = np.asarray(m.x)
        if _axis(m.x_kind) != x:
            continue  # another axis: not comparable on this figure
        lo, hi = m.total_errors()
        w = 1.0 if is_ratio else xm**FLUX_POWER
        ax.errorbar(
            xm,
            w * np.asarray(m.y),
            yerr=[w * lo, w * hi],
            fmt=markers[j % 10],
            ms=3.5,
            lw=0.8,
            label=m.name,
            color="k" if j == 0 else None,
        )
    ax.set_xscale("log")
    if not is_ratio:
        ax.set_yscale("log")
    ax.set_xlabel(X_LABELS[x])
    unit = {"ekin": "GeV/n", "rigidity": "GV", "ekin_total": "GeV", "etot": "GeV"}[x]
    flux_unit = f"m^-2 s^-1 sr^-1 {unit}^{FLUX_POWER - 1:g}"
    ax.set_ylabel(name if is_ratio else f"x^{FLUX_POWER} J  [{flux_unit}]")
    ax.set_title(name)
    ax.legend(fontsize=7, frameon=False)
    ax.grid(alpha=0.3, which="both", lw=0.4)
    return fig


def save(fig, path: str | Path) -> Path:
    """Write a figure atomically; the format follows the file name."""
    p = Path(path)
    with atomic_path(p, suffix=p.suffix) as tmp:
        fig.savefig(tmp, dpi=150, format=p.suffix.lstrip(".") or "png")
    plt.close(fig)
    return p


def fit_figure(res) -> Figure:
    """The observables of a :class:`~escapade.fit.FitResult` with its data (top) and the
    residuals in sigma (bottom): one column per observable and x axis."""
    from .fit.result import format_number
    from .fit.smooth import smooth_flux
    from .observables.local import predict

    groups: dict[tuple[str, str], list[int]] = {}
    for i, t in enumerate(res.data_terms):
        groups.setdefault((t.full.observable, t.full.x_kind), []).append(i)
    ncol = len(groups)
    fig, axes = plt.subplots(
        2,
        ncol,
        figsize=(5.2 * ncol, 5.4),
        sharex="col",
        squeeze=False,
        gridspec_kw={"height_ratios": [3, 1.3]},
        constrained_layout=True,
    )
    ds = smooth_flux(res.solution)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for c, ((obs, kind), idx) in enumerate(groups.items()):
        ax, axr = axes[0, c], axes[1, c]
        is_ratio = res.data_terms[idx[0]].full.is_ratio
        xmin = min(float(np.min(res.data_terms[i].full.x)) for i in idx) / 1.3
        xmax = max(float(np.max(res.data_terms[i].full.x)) for i in idx) * 1.3
        xs = np.geomspace(xmin, xmax, 200)
        xk = _axis(kind)
        w = 1.0 if is_ratio else xs**FLUX_POWER
        curves: dict[tuple[float, float], str] = {}  # one model curve per (phi, norm)
        for k, i in enumerate(idx):
            info = res.terms[i]
            key = (round(info["phi_gv"], 6), 1.0 if info["norm"] is None else info["norm"])
            curves.setdefault(key, colors[k % len(colors)] if len(idx) > 1 else "C0")
        single = len(curves) == 1
        for (phi, s), col in curves.items():
            mod = observable(ds, obs, phi, xk, xs).values * s
            lab = f"model, phi = {format_number(phi)} GV" + (f", x {s:.3f}" if s != 1.0 else "")
            ax.plot(xs, w * mod, color="k" if single else col, lw=1.6, label=lab)
        lis = observable(ds, obs, 0.0, xk, xs).values
        ax.plot(xs, w * lis, color="0.5", lw=1.0, ls="--", label="model, interstellar")
        for k, i in enumerate(idx):
            t = res.data_terms[i]
            info = res.terms[i]
            col = colors[k % len(colors)]
            full = t.full
            xf = np.asarray(full.x, dtype=float)
            wf = 1.0 if is_ratio else xf**FLUX_POWER
            lo, hi = full.total_errors()
            inc = t.mask
            yw, low, high = wf * np.asarray(full.y), wf * lo, wf * hi
            lab = f"{t.name} ({info['n_points']} points, chi2 = {info['chi2']:.1f})"
            ax.errorbar(
                xf[inc],
                yw[inc],
                yerr=[low[inc], high[inc]],
                fmt="o",
                ms=3.2,
                lw=0.8,
                color=col,
                label=lab,
            )
            if (~inc).any():
                ax.errorbar(
                    xf[~inc],
                    yw[~inc],
                    yerr=[low[~inc], high[~inc]],
                    fmt="o",
                    ms=3.2,
                    lw=0.6,
                    mfc="none",
                    color=col,
                    alpha=0.5,
                )
            pred = predict(ds, t.data, info["phi_gv"])
            pulls = t.pulls(pred, info["norm"])
            axr.plot(np.asarray(t.data.x), pulls, "o", ms=3.2, color=col)
        axr.axhline(0.0, color="k", lw=0.8)
        for v in (-2, 2):
            axr.axhline(v, color="0.6", lw=0.6, ls=":")
        ax.set_xscale("log")
        if not is_ratio:
            ax.set_yscale("log")
        ax.set_ylabel(obs if is_ratio else f"x^{FLUX_POWER} x {obs} flux")
        ax.set_title(obs)
        ax.legend(fontsize=7, frameon=False)
        ax.grid(alpha=0.3, which="both", lw=0.4)
        axr.set_xlabel(X_LABELS[_axis(kind)])
        axr.set_ylabel("(data - model) / sigma")
        axr.grid(alpha=0.3, which="both", lw=0.4)
    pars = ", ".join(
        f"{p.split('.')[-1]} = {res.values[p]:.4g}" for p in res.parameters if "phi" not in p
    )
    title = textwrap.fill(f"{pars}   chi2/ndof = {res.chi2:.1f}/{res.ndof}", width=90)
    fig.suptitle(title, fontsize=9)
    return fig
