"""The figure of a fit: fitted observables with data, and residuals in sigma."""

from __future__ import annotations

import textwrap

import numpy as np
from matplotlib.figure import Figure

from ..fit.result import format_number
from ..fit.smooth import smooth_flux
from ..observables.local import observable, predict
from .base import FLUX_POWER, X_LABELS, axis_kind, plt


def fit_figure(res) -> Figure:
    """The observables of a :class:`~escapade.fit.FitResult` with its data (top) and the
    residuals in sigma (bottom): one column per observable and x axis."""
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
        xk = axis_kind(kind)
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
        axr.set_xlabel(X_LABELS[axis_kind(kind)])
        axr.set_ylabel("(data - model) / sigma")
        axr.grid(alpha=0.3, which="both", lw=0.4)
    pars = ", ".join(
        f"{p.split('.')[-1]} = {res.values[p]:.4g}" for p in res.parameters if "phi" not in p
    )
    title = textwrap.fill(f"{pars}   chi2/ndof = {res.chi2:.1f}/{res.ndof}", width=90)
    fig.suptitle(title, fontsize=9)
    return fig
