"""Evaluating fields at the mid-plane and at the position of the Sun."""

from __future__ import annotations

import numpy as np
from scipy.interpolate import CubicSpline

from ..grid import Grid


def _plane_weights(grid: Grid) -> tuple[int, int, float]:
    """Nodes (j0, j1) and weight w so that f(z=0) = (1-w) f[j0] + w f[j1]."""
    z = grid.z_kpc
    j1 = int(np.searchsorted(z, 0.0))
    if np.isclose(z[j1], 0.0, atol=1e-12 * grid.halo_height_kpc):
        return j1, j1, 0.0
    j0 = j1 - 1
    return j0, j1, float((0.0 - z[j0]) / (z[j1] - z[j0]))


def midplane(grid: Grid, field: np.ndarray) -> np.ndarray:
    """Field on z = 0 (last axis is z), linear between the nodes next to the plane."""
    j0, j1, w = _plane_weights(grid)
    return (1.0 - w) * field[..., j0] + w * field[..., j1]


def radial_spline(grid: Grid, field_rz: np.ndarray) -> CubicSpline:
    """Cubic spline in R of a mid-plane profile (last axis R), zero slope on the axis."""
    f = np.asarray(field_rz)
    zero_slope = np.zeros(f.shape[:-1])
    return CubicSpline(grid.r_kpc, f, axis=-1, bc_type=((1, zero_slope), "not-a-knot"))


def value_at_sun(grid: Grid, field: np.ndarray, sun_r_kpc: float) -> np.ndarray:
    """Field (..., nr, nz) at (R_sun, z = 0)."""
    return radial_spline(grid, midplane(grid, field))(sun_r_kpc)
