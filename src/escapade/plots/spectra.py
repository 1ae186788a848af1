"""Local spectra and ratios of solutions with measured data."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..observables.local import observable
from ..solution import solution_label
from .base import FLUX_POWER, X_LABELS, axis_kind, plt


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
    x = axis_kind(x) if x is not None else (axis_kind(data[0].x_kind) if data else "ekin")
    is_ratio = "/" in name or name.lower() == "posfraction"
    fig, ax = plt.subplots(figsize=(6.4, 4.6), constrained_layout=True)
    for i, ds in enumerate(solutions):
        lab = labels[i] if labels else solution_label(ds)
        mod = observable(ds, name, phi_gv, x)
        lis = observable(ds, name, 0.0, x)
        xv = mod.coords[mod.dims[0]].values
        w = 1.0 if is_ratio else xv**FLUX_POWER
        (line,) = ax.plot(xv, w * mod.values, lw=1.8, label=f"{lab} (phi = {phi_gv:g} GV)")
        ax.plot(xv, w * lis.values, lw=1.0, ls="--", color=line.get_color(), label=f"{lab} (LIS)")
    markers = "osD^v<>p*h"
    for j, m in enumerate(data):
        xm = np.asarray(m.x)
        if axis_kind(m.x_kind) != x:
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
