"""Model predictions at the data points from a solution refined in energy (for the fit)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .spec import DEFAULT_PHI_GV

# ---------------------------------------------------------------- smooth model interpolation

REFINE = 16
"""Energy nodes per model interval in :func:`smooth_flux`."""


def observable_parts(observable: str) -> list[str]:
    from ..observables.local import _split_observable

    num, den = _split_observable(observable)
    if num.lower() == "allparticle":
        return []
    return [num] if den is None else [num, den]


def smooth_flux(ds, species: Sequence[str] | None = None, factor: int = REFINE):
    """``flux_local`` of ``ds`` on an energy grid ``factor`` times finer, interpolated in
    log-log by a monotone cubic (PCHIP) through the model's nodes.

    The fit evaluates its model values on this grid: the force field samples the flux at
    E + Phi, and the model's own log-log linear interpolation between its nodes has kinks that
    make the chi2 as a function of phi piecewise linear (HESSE then gives errors that depend on
    where the minimum falls between nodes). The monotone cubic is continuous with its first
    derivative and never overshoots. Species with a zero or negative node are interpolated
    linearly. ``species``: only these (default all).
    """
    import xarray as xr
    from scipy.interpolate import PchipInterpolator

    da = ds["flux_local"] if species is None else ds["flux_local"].sel(species=list(species))
    e = np.asarray(ds["ekin_gev_per_n"].values, dtype=float)
    f = np.asarray(da.values, dtype=float)
    le = np.log(e)
    lef = np.linspace(le[0], le[-1], (e.size - 1) * factor + 1)
    ef = np.exp(lef)
    ef[0], ef[-1] = e[0], e[-1]
    pos = np.all(f > 0, axis=1)
    out = np.empty((f.shape[0], ef.size))
    if pos.any():
        out[pos] = np.exp(PchipInterpolator(le, np.log(f[pos]), axis=1)(lef))
    for i in np.flatnonzero(~pos):
        out[i] = np.interp(lef, le, f[i])
    return xr.Dataset(
        {"flux_local": (("species", "ekin_gev_per_n"), out)},
        coords={"species": da["species"].values, "ekin_gev_per_n": ef},
    )


def model_values(ds, measurement, phi_gv: float = DEFAULT_PHI_GV) -> np.ndarray:
    """The model value at a measurement's points as the fit computes it (force field on the
    :func:`smooth_flux` of ``ds``); :func:`escapade.observables.local.predict` interpolates
    the model grid linearly in log-log instead (they differ by the interpolation error)."""
    from ..observables.local import isotopes_in, predict

    parts = observable_parts(measurement.observable)
    names = list(dict.fromkeys(n for p in parts for n in isotopes_in(ds, p))) if parts else None
    return predict(smooth_flux(ds, names), measurement, phi_gv)
