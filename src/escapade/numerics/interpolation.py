"""One-dimensional interpolation on logarithmic axes (plain numerics, no physics choice).

Spectra, cross sections and radial profiles in escapade are smooth in the logarithm of
their variables, so they are interpolated linearly in ln x and/or ln y:

* :func:`interp_positive_log`: ln y linear in ln x (or in x), through the positive nodes
  only (a spectrum with empty bins); the end values are held outside the nodes, as
  :func:`numpy.interp` does.
* :func:`interp_log_x`: y linear in ln x (tables of cross sections), ends held.
"""

from __future__ import annotations

import numpy as np


def interp_positive_log(
    x_new, x, y, *, log_x: bool = True, min_points: int = 1, empty: float | None = None
):
    """y(x_new) with ln y linear in ln x (``log_x``) or in x, through the nodes with y > 0.

    Parameters
    ----------
    x_new : where to evaluate (any shape; the unit of ``x``).
    x : increasing nodes (positive when ``log_x``).
    y : values at the nodes; nodes with y <= 0 are skipped (one positive node gives a
        constant).
    min_points : fewer positive nodes than this (at least 1) give ``empty``.
    empty : the value (broadcast to the shape of ``x_new``) returned then; None raises
        ValueError instead.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    ok = y > 0
    if ok.sum() < max(1, min_points):
        if empty is None:
            raise ValueError(
                f"interpolation in ln y needs {max(1, min_points)} positive values, got {ok.sum()}"
            )
        return np.full(np.shape(x_new), float(empty))
    xs = np.log(x[ok]) if log_x else x[ok]
    xn = np.log(np.asarray(x_new, dtype=float)) if log_x else np.asarray(x_new, dtype=float)
    return np.exp(np.interp(xn, xs, np.log(y[ok])))


def interp_log_x(x_new, x, y):
    """y(x_new) linear in ln x between the nodes ``x`` (increasing, positive); ends held."""
    return np.interp(np.log(np.asarray(x_new, dtype=float)), np.log(x), y)
