"""Grids: Galactocentric radius R, height z and kinetic energy per nucleon.

The spatial grid is node-centred. Nodes ``r_kpc[i] = i * dr`` run from the axis
(R = 0) to the outer boundary R_max, and ``z_kpc[j]`` from -H to +H. The nodes on
R = R_max and z = +-H carry the free-escape condition N = 0; every other node is
an unknown. Each unknown node owns the control volume between the mid-points to
its neighbours (half a cell on the axis), which is what the finite-volume
operator in :mod:`escapade.transport.operator` conserves.

The energy grid is logarithmic in kinetic energy per nucleon (GeV/n).

Fields on the grid are evaluated on the mid-plane (linear between the nodes next to
z = 0) and at the Sun (a cubic spline in R of the mid-plane profile, zero slope on
the axis): :func:`midplane`, :func:`radial_spline`, :func:`value_at_sun`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from scipy.interpolate import CubicSpline

_GAUSS_ORDER = 4


@dataclass(frozen=True)
class Grid:
    """Spatial (R, z) and energy grids.

    Parameters
    ----------
    r_max_kpc : outer radius of the cylinder (kpc).
    halo_height_kpc : half-height H of the diffusive halo (kpc).
    nr, nz : number of nodes in R (axis to R_max) and in z (-H to +H).
    ekin_gev_per_n : kinetic energies per nucleon (GeV/n), increasing.
    """

    r_max_kpc: float
    halo_height_kpc: float
    nr: int
    nz: int
    ekin_gev_per_n: np.ndarray = field(repr=False)

    @classmethod
    def build(
        cls,
        r_max_kpc: float,
        halo_height_kpc: float,
        nr: int,
        nz: int,
        ekin_min_gev_per_n: float,
        ekin_max_gev_per_n: float,
        n_ekin: int,
    ) -> Grid:
        ekin = np.geomspace(ekin_min_gev_per_n, ekin_max_gev_per_n, n_ekin)
        return cls(r_max_kpc, halo_height_kpc, nr, nz, ekin)

    @cached_property
    def r_kpc(self) -> np.ndarray:
        return np.linspace(0.0, self.r_max_kpc, self.nr)

    @cached_property
    def z_kpc(self) -> np.ndarray:
        return np.linspace(-self.halo_height_kpc, self.halo_height_kpc, self.nz)

    @property
    def dr_kpc(self) -> float:
        return self.r_max_kpc / (self.nr - 1)

    @property
    def dz_kpc(self) -> float:
        return 2.0 * self.halo_height_kpc / (self.nz - 1)

    @property
    def n_ekin(self) -> int:
        return len(self.ekin_gev_per_n)

    @property
    def dlnekin(self) -> float:
        """Logarithmic spacing of the energy grid, ln(E_{k+1}/E_k)."""
        e = self.ekin_gev_per_n
        return float(np.log(e[1] / e[0])) if len(e) > 1 else 1.0

    @cached_property
    def r_lo_kpc(self) -> np.ndarray:
        """Inner edge of each node's radial control volume."""
        return np.clip(self.r_kpc - 0.5 * self.dr_kpc, 0.0, self.r_max_kpc)

    @cached_property
    def r_hi_kpc(self) -> np.ndarray:
        """Outer edge of each node's radial control volume."""
        return np.clip(self.r_kpc + 0.5 * self.dr_kpc, 0.0, self.r_max_kpc)

    @cached_property
    def z_lo_kpc(self) -> np.ndarray:
        h = self.halo_height_kpc
        return np.clip(self.z_kpc - 0.5 * self.dz_kpc, -h, h)

    @cached_property
    def z_hi_kpc(self) -> np.ndarray:
        h = self.halo_height_kpc
        return np.clip(self.z_kpc + 0.5 * self.dz_kpc, -h, h)

    @cached_property
    def volume_kpc3(self) -> np.ndarray:
        """Control volume of each node, (nr, nz), in kpc^3 (2 pi R dR dz)."""
        vr = np.pi * (self.r_hi_kpc**2 - self.r_lo_kpc**2)
        vz = self.z_hi_kpc - self.z_lo_kpc
        return np.outer(vr, vz)

    @cached_property
    def interior(self) -> np.ndarray:
        """Boolean mask (nr, nz) of the unknown nodes (not on R_max or z = +-H)."""
        m = np.ones((self.nr, self.nz), dtype=bool)
        m[-1, :] = False
        m[:, 0] = False
        m[:, -1] = False
        return m

    @property
    def shape_interior(self) -> tuple[int, int]:
        return (self.nr - 1, self.nz - 2)

    def cell_average(self, func: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> np.ndarray:
        """Average of ``func(r_kpc, z_kpc)`` over every node's control volume.

        Gauss-Legendre quadrature of order 4 in R (weighted by R, as a volume
        integral in cylindrical coordinates) and in z. Returns shape (nr, nz).
        Used for sources and gas, whose vertical scales (~0.1 kpc) can be
        comparable to the z spacing.
        """
        x, w = np.polynomial.legendre.leggauss(_GAUSS_ORDER)
        rl, rh = self.r_lo_kpc, self.r_hi_kpc
        zl, zh = self.z_lo_kpc, self.z_hi_kpc
        rq = 0.5 * (rh - rl)[:, None] * x[None, :] + 0.5 * (rh + rl)[:, None]  # (nr, q)
        wr = 0.5 * (rh - rl)[:, None] * w[None, :] * rq
        zq = 0.5 * (zh - zl)[:, None] * x[None, :] + 0.5 * (zh + zl)[:, None]  # (nz, q)
        wz = 0.5 * (zh - zl)[:, None] * w[None, :]
        vals = func(rq[:, :, None, None], zq[None, None, :, :])  # (nr, q, nz, q)
        vals = np.broadcast_to(vals, (self.nr, _GAUSS_ORDER, self.nz, _GAUSS_ORDER))
        num = np.einsum("iq,iqjk,jk->ij", wr, vals, wz)
        den = np.outer(wr.sum(axis=1), wz.sum(axis=1))
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)
        return out


def linear_interp_matrix(grid, x) -> np.ndarray:
    """Dense (len(x), len(grid)) matrix of linear interpolation from the increasing nodes
    ``grid`` to the points ``x`` (clamped to the end values outside the grid)."""
    g = np.asarray(grid, float)
    x = np.clip(np.asarray(x, float), g[0], g[-1])
    i = np.clip(np.searchsorted(g, x, side="right") - 1, 0, g.size - 2)
    w = (x - g[i]) / (g[i + 1] - g[i])
    m = np.zeros((x.size, g.size))
    rows = np.arange(x.size)
    m[rows, i] = 1.0 - w
    m[rows, i + 1] += w
    return m


# ------------------------------------------------------- fields at the plane and the Sun
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
