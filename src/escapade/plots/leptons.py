"""Electron and positron figures: local spectra by origin and the positron fraction vs AMS-02.

:func:`lepton_spectra_figure` draws, for solutions run with ``[leptons] enabled = true``,
E^3 J of e- (total, primary, secondary) and e+ (secondary) after force-field modulation
(potential ``phi_gv``, the same for both charges: charge-sign dependent modulation is not
modelled), and the positron fraction e+/(e+ + e-), against the shipped AMS-02 tables
(``e-:AMS-02``, ``e+:AMS-02``, ``posfraction:AMS-02``; vs rigidity = energy for leptons),
with model/data ratios below each panel.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..observables.local import modulate, predict
from .base import plt

__all__ = ["lepton_model_data_ratios", "lepton_spectra_figure"]

DATA = ("e-:AMS-02", "e+:AMS-02", "posfraction:AMS-02")


def _check(ds) -> None:
    if "flux_local_leptons" not in ds:
        raise ValueError(
            "this solution has no electrons or positrons: run it with [leptons] enabled = true"
        )


def lepton_model_data_ratios(ds, phi_gv: float = 0.6, at_gev=(10.0, 100.0)) -> dict:
    """{data name: {E: model/data}} at the data points nearest to ``at_gev``."""
    from ..measurements import load_measurement

    _check(ds)
    out = {}
    for name in DATA:
        m = load_measurement(name)
        r = predict(ds, m, phi_gv) / m.y
        out[name] = {
            float(m.x[np.argmin(abs(m.x - e))]): float(r[np.argmin(abs(m.x - e))]) for e in at_gev
        }
    return out


def lepton_spectra_figure(solutions: Sequence, phi_gv: float = 0.6, labels=None):
    """e-, e+ and positron fraction of ``solutions`` vs AMS-02 (see the module docstring)."""
    from ..measurements import load_measurement

    fig, axes = plt.subplots(
        2,
        3,
        figsize=(13.0, 5.8),
        sharex="col",
        constrained_layout=True,
        gridspec_kw={"height_ratios": [3, 1.2]},
    )
    meas = [load_measurement(n) for n in DATA]
    for col, m in enumerate(meas):
        ax, axr = axes[0, col], axes[1, col]
        err = np.hypot(np.maximum(m.stat_lo, m.stat_hi), np.maximum(m.syst_lo, m.syst_hi))
        p = 0.0 if col == 2 else 3.0
        ax.errorbar(
            m.x,
            m.y * m.x**p,
            yerr=err * m.x**p,
            fmt="o",
            ms=2.5,
            lw=0.6,
            color="k",
            label=f"{m.experiment} ({m.observable})",
        )
        axr.axhline(1.0, color="k", lw=0.6)
    styles = ["-", "--", "-.", ":"]
    for i, ds in enumerate(solutions):
        _check(ds)
        lab = (labels or [None] * len(solutions))[i] or f"model {i + 1}"
        ls = styles[i % len(styles)]
        e = ds.ekin_gev_per_n.values
        comp = ds.flux_local_leptons
        for col, m in enumerate(meas):
            y = predict(ds, m, phi_gv)
            p = 0.0 if col == 2 else 3.0
            (ln,) = axes[0, col].plot(
                m.x, y * m.x**p, ls=ls, lw=1.5, label=f"{lab}, phi = {phi_gv:g} GV"
            )
            axes[1, col].plot(m.x, y / m.y, ls=ls, lw=1.2, color=ln.get_color())
        keep = (e > 0.3) & (e < 3e3)
        for name in comp.lepton_component.values:
            col = 1 if name.endswith("e+") else 0
            if name == "secondary e+":
                continue
            j = modulate(e, comp.sel(lepton_component=name).values, "e-", phi_gv)
            axes[0, col].plot(e[keep], (j * e**3)[keep], ls=ls, lw=0.8, label=f"{lab}: {name}")
    titles = ["electrons", "positrons (secondaries only)", "positron fraction"]
    ylabels = ["E^3 J [GeV^2 m^-2 s^-1 sr^-1]", "E^3 J [GeV^2 m^-2 s^-1 sr^-1]", "e+ / (e+ + e-)"]
    for col in range(3):
        ax = axes[0, col]
        ax.set_xscale("log")
        ax.set_yscale("log" if col < 2 else "linear")
        ax.set_title(titles[col], fontsize=10)
        ax.set_ylabel(ylabels[col])
        ax.legend(fontsize=6.5, frameon=False)
        ax.grid(alpha=0.3, which="both", lw=0.4)
        axr = axes[1, col]
        axr.set_xscale("log")
        axr.set_ylabel("model / data")
        axr.set_xlabel("energy (= rigidity) [GeV]")
        axr.set_ylim(0.0, 2.0)
        axr.grid(alpha=0.3, lw=0.4)
    return fig
