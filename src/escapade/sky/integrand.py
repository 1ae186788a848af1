"""The integrands of the line of sight on the fine (R, z) table (:class:`Stepping`).

The table spans R from 0 to R_max and z from -H to H (both ends included), with the
steps ``table_dr_kpc`` x ``table_dz_kpc``: q n_phase for the emissivities per H atom
(pi0 decay, bremsstrahlung; the gas analytically, q bilinearly from the solution grid)
and j(R, z) for the volume emissivities (inverse Compton).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import xarray as xr

from ..galaxy.gas import AnalyticGas
from ..grid import linear_interp_matrix
from .geometry import Geometry, Stepping

__all__ = [
    "IC_TABLE_DR_KPC",
    "IC_TABLE_DZ_KPC",
    "integrand_table",
    "resample_rz",
    "table_axes",
    "volume_table",
]


IC_TABLE_DR_KPC = 0.05
IC_TABLE_DZ_KPC = 0.02
"""Table steps of the anisotropic IC harmonics: the IC emissivity is smooth, so they are
coarser than the gas table's (:class:`Stepping`)."""


def resample_rz(values, r_src, z_src, r, z) -> np.ndarray:
    """Bilinear resampling of (..., n_r_src, n_z_src) onto the axes ``r`` x ``z``."""
    wr = linear_interp_matrix(r_src, r)
    wz = linear_interp_matrix(z_src, z)
    return wr @ np.asarray(values, float) @ wz.T


def table_axes(geom: Geometry, st: Stepping):
    n_r = int(math.ceil(geom.r_max_kpc / st.table_dr_kpc)) + 1
    n_z = int(math.ceil(2 * geom.h_kpc / st.table_dz_kpc)) + 1
    return np.linspace(0.0, geom.r_max_kpc, n_r), np.linspace(-geom.h_kpc, geom.h_kpc, n_z)


@lru_cache(maxsize=4)
def _gas_table(gas: AnalyticGas, geom: Geometry, st: Stepping) -> np.ndarray:
    """H atoms per cm^3 of each phase on the fine table, (n_r, n_z, 3)."""
    r, z = table_axes(geom, st)
    rr, zz = np.meshgrid(r, z, indexing="ij")
    out = np.empty(rr.shape + (3,))
    out[..., 0] = gas.n_hi_cm3(rr, zz)
    out[..., 1] = 2.0 * gas.n_h2_cm3(rr, zz)
    out[..., 2] = gas.n_hii_cm3(rr, zz)
    out.setflags(write=False)
    return out


def integrand_table(
    q_rz: xr.DataArray, gas: AnalyticGas, geom: Geometry, stepping: Stepping | None = None
) -> np.ndarray:
    """q(R, z) n_phase(R, z) on the fine table, (n_r, n_z, 3) in [q units] cm^-3."""
    st = stepping or Stepping()
    r, z = table_axes(geom, st)
    q = q_rz.transpose("r_kpc", "z_kpc")
    qt = resample_rz(q.values, q["r_kpc"].values, q["z_kpc"].values, r, z)
    return qt[:, :, None] * _gas_table(gas, geom, st)


def volume_table(j_rz: xr.DataArray, geom: Geometry, st: Stepping) -> np.ndarray:
    """A volume emissivity j(R, z) on the fine table (bilinear), (n_r, n_z)."""
    r, z = table_axes(geom, st)
    j = j_rz.transpose("r_kpc", "z_kpc")
    return resample_rz(j.values, j["r_kpc"].values, j["z_kpc"].values, r, z)
