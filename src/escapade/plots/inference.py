"""Figures of a posterior (:class:`~escapade.inference.result.InferResult`): the corner plot of
the samples and, per data set, the model at posterior draws against the data."""

from __future__ import annotations

import re

import numpy as np
from matplotlib.figure import Figure

from .base import FLUX_POWER, X_LABELS, axis_kind, plt


def corner_figure(res) -> Figure:
    """The one- and two-dimensional marginals of the samples after burn-in (``corner``), with
    the 16th, 50th and 84th percentiles and the MAP point marked."""
    import corner

    samples = res.samples()
    n = samples.shape[1]
    truths = [res.map_values[k] for k in res.names]
    fig = corner.corner(
        samples,
        labels=res.names,
        quantiles=[0.16, 0.5, 0.84],
        show_titles=True,
        title_fmt=".3g",
        truths=truths if n > 1 else None,  # corner 2.3 fails on truths in one dimension
        truth_color="C3",
        label_kwargs={"fontsize": 9},
        title_kwargs={"fontsize": 8},
    )
    fig.set_size_inches(max(5.0, 2.4 * n), max(5.0, 2.4 * n))
    if n == 1:  # one histogram: the MAP line by hand, room for the titles
        fig.axes[0].axvline(truths[0], color="C3")
        fig.subplots_adjust(top=0.78, bottom=0.2)
    else:  # room for the panel titles under the figure's
        fig.subplots_adjust(top=1.0 - 0.8 / fig.get_size_inches()[1])
    d = res.diagnostics
    fig.suptitle(
        f"{d['walkers']} walkers x {d['steps']} steps, burn-in {d['burn']}\nMAP (red): "
        f"chi2 = {res.map_chi2:.1f} for {res.ndof} dof",
        fontsize=9,
        y=1.0,
    )
    return fig


def predictive_figure(res, index: int) -> Figure:
    """Data set ``index``: its fitted points with errors, the model at every posterior draw
    (thin lines) and at the MAP point, as the chi2 compares them (phi and normalisation
    applied), and the residuals of the MAP model in sigma."""
    t = res.terms[index]
    x = np.asarray(t.data.x, dtype=float)
    order = np.argsort(x)
    ratio = t.full.is_ratio
    w = np.ones_like(x) if ratio else x**FLUX_POWER
    fig, (ax, axr) = plt.subplots(
        2,
        1,
        figsize=(5.6, 5.2),
        sharex=True,
        gridspec_kw={"height_ratios": [3, 1.2]},
        constrained_layout=True,
    )
    draws = res.draws[index] if len(res.draws) > index else np.empty((0, x.size))
    for k, d in enumerate(draws):
        ax.plot(x[order], (w * d)[order], color="C0", lw=0.9, alpha=0.45,
                label="posterior draws" if k == 0 else None)  # fmt: skip
    mp = np.asarray(res.map_model[index], dtype=float)
    ax.plot(x[order], (w * mp)[order], color="k", lw=1.0, ls="--", label="MAP")
    ax.errorbar(x, w * t.y, yerr=w * t.sigma, fmt="o", ms=3.5, color="C3", label=t.name)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ylab = t.full.observable if ratio else f"E^{FLUX_POWER} x {t.full.observable} flux"
    ax.set_ylabel(ylab)
    ax.legend(fontsize=8)
    ax.set_title(f"{t.name}: {len(draws)} posterior draws ({t.n_points} points)", fontsize=9)
    axr.axhline(0.0, color="0.5", lw=0.8)
    axr.plot(x, (t.y - mp) / t.sigma, "o", ms=3.5, color="C3")
    axr.set_ylabel("(data - MAP) / sigma")
    axr.set_xlabel(X_LABELS.get(axis_kind(t.full.x_kind), t.full.x_kind))
    return fig


def figure_name(res, index: int) -> str:
    """``predictive_B-C_HEAO-3.png``: a file name for data set ``index``."""
    return (
        "predictive_"
        + re.sub(r"[^A-Za-z0-9.+-]+", "_", res.terms[index].name.replace("/", "-"))
        + ".png"
    )


def inference_figures(res) -> dict[str, Figure]:
    """Every figure of a posterior by file name: ``corner.png`` and one predictive figure per
    data set (what ``escapade infer`` writes)."""
    figs = {"corner.png": corner_figure(res)}
    for i in range(len(res.terms)):
        figs[figure_name(res, i)] = predictive_figure(res, i)
    return figs
