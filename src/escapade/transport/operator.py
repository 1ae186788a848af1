"""Finite-volume diffusion operator on the axisymmetric (R, z) grid.

For a scalar diffusion coefficient D(R, z) the steady diffusion term is

    div(D grad N) = (1/R) d/dR (R D dN/dR) + d/dz (D dN/dz),

with no extra drift term. Integrated over the control volume V_ij of node (i, j)
(:class:`escapade.grid.Grid`), it becomes a sum of fluxes through the faces,

    sum_faces T_f (N_neighbour - N_ij),
    T_r(i+1/2, j) = 2 pi R_{i+1/2} dz_j D(R_{i+1/2}, z_j) / dR,
    T_z(i, j+1/2) = pi (R_hi^2 - R_lo^2)_i D(R_i, z_{j+1/2}) / dz,

so the assembled matrix K (minus the volume-integrated operator) is symmetric
positive definite and the scheme conserves particles exactly: what leaves one
control volume enters its neighbour. There is no face at R = 0 (dN/dR = 0 by
symmetry); faces to the boundary nodes at R = R_max and z = +-H carry the
escaping flux T_f N_ij (N = 0 there). A vertical wind v_z(R, z) enters the
vertical face fluxes by exponential fitting (:func:`vertical_coefficients`). The operator knows
nothing about nuclei.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np
import scipy.sparse as sp

from ..grid import Grid


@dataclass(frozen=True)
class FaceGeometry:
    """Positions of the faces and their geometric factors (kpc units)."""

    grid: Grid

    @cached_property
    def r_face_kpc(self) -> np.ndarray:
        """Radii of the radial faces between nodes i and i+1, (nr-1,)."""
        r = self.grid.r_kpc
        return 0.5 * (r[:-1] + r[1:])

    @cached_property
    def z_face_kpc(self) -> np.ndarray:
        """Heights of the vertical faces between nodes j and j+1, (nz-1,)."""
        z = self.grid.z_kpc
        return 0.5 * (z[:-1] + z[1:])

    @cached_property
    def radial_area_over_dr(self) -> np.ndarray:
        """2 pi R_{i+1/2} dz_j / dR, shape (nr-1, nz)."""
        g = self.grid
        dzj = g.z_hi_kpc - g.z_lo_kpc
        return np.outer(2.0 * np.pi * self.r_face_kpc, dzj) / g.dr_kpc

    @cached_property
    def vertical_area_over_dz(self) -> np.ndarray:
        """pi (R_hi^2 - R_lo^2)_i / dz, shape (nr, nz-1)."""
        g = self.grid
        ring = np.pi * (g.r_hi_kpc**2 - g.r_lo_kpc**2)
        return np.repeat(ring[:, None], g.nz - 1, axis=1) / g.dz_kpc


def conductances(geom: FaceGeometry, d_radial: np.ndarray, d_vertical: np.ndarray):
    """Face conductances (kpc^3/Myr) from D on radial (nr-1, nz) and vertical (nr, nz-1) faces."""
    return geom.radial_area_over_dr * d_radial, geom.vertical_area_over_dz * d_vertical


def assemble(
    grid: Grid,
    t_r: np.ndarray,
    t_z: np.ndarray,
    diag_extra: np.ndarray,
    flow_z: np.ndarray | None = None,
) -> sp.csc_matrix:
    """Assemble K + C + diag(diag_extra) on the unknown nodes.

    ``t_r`` (nr-1, nz) and ``t_z`` (nr, nz-1) are face conductances; ``diag_extra``
    (nr, nz) is added on the diagonal (volume times loss rates). ``flow_z`` (nr, nz-1),
    optional, is the volume flow rate v_z A through each vertical face (kpc^3/Myr,
    positive upwards); see :func:`vertical_coefficients` (the matrix is then not
    symmetric).
    Unknowns are the nodes with i < nr-1 and 0 < j < nz-1, ordered with z fastest.
    """
    ni, nj = grid.nr - 1, grid.nz - 2
    # conductances between unknowns and to the boundary
    tr = t_r[:, 1:-1]  # (nr-1, nj): face i+1/2 for i = 0..nr-2
    cu, cd = vertical_coefficients(t_z, flow_z)
    cu, cd = cu[:-1, :], cd[:-1, :]  # (ni, nz-1): faces j+1/2 for j = 0..nz-2
    diag = diag_extra[:-1, 1:-1].copy()
    diag += tr  # face at i+1/2 (to i+1, the last one to the boundary R_max)
    diag[1:] += tr[:-1]  # face at i-1/2
    diag += cu[:, 1:]  # upward flux through the face above
    diag += cd[:, :-1]  # downward flux through the face below
    upper = -cd[:, 1:-1]  # A[j, j+1] for j = 0..nj-2: what comes down from j+1
    lower = -cu[:, 1:-1]  # A[j+1, j]: what goes up from j
    off_r = -tr[:-1]  # couplings (i, i+1) for i = 0..ni-2
    indptr, indices, take = _csc_pattern(ni, nj)
    # CSC arrays filled directly (the 5-point pattern depends on the grid only)
    data = np.concatenate([diag.ravel(), upper.ravel(), lower.ravel(), off_r.ravel()])[take]
    return sp.csc_matrix((data, indices, indptr), shape=(ni * nj, ni * nj))


@lru_cache(maxsize=16)
def _csc_pattern(ni: int, nj: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSC structure of the 5-point operator on ni x nj unknowns (z fastest), and for each
    stored entry its index in [diagonal (ni nj), upward couplings (ni (nj-1)), downward
    couplings (ni (nj-1)), radial couplings ((ni-1) nj)] concatenated."""
    node = np.arange(ni * nj).reshape(ni, nj)
    n_vert = ni * (nj - 1)
    lo, hi = node[:, :-1].ravel(), node[:, 1:].ravel()  # vertical neighbours (j, j+1)
    inner, outer = node[:-1].ravel(), node[1:].ravel()  # radial neighbours (i, i+1)
    rows = np.concatenate([node.ravel(), lo, hi, inner, outer])
    cols = np.concatenate([node.ravel(), hi, lo, outer, inner])
    k_vert = np.arange(n_vert)
    k_rad = 2 * n_vert + ni * nj + np.arange((ni - 1) * nj)
    diag = np.arange(ni * nj)
    src = np.concatenate([diag, ni * nj + k_vert, ni * nj + n_vert + k_vert, k_rad, k_rad])
    order = np.lexsort((rows, cols))  # by column, then row
    indptr = np.zeros(ni * nj + 1, dtype=np.int32)
    np.cumsum(np.bincount(cols, minlength=ni * nj), out=indptr[1:])
    out = (indptr, rows[order].astype(np.int32), src[order])
    for a in out:  # shared by every matrix of the grid
        a.setflags(write=False)
    return out


def boundary_outflow(
    grid: Grid,
    t_r: np.ndarray,
    t_z: np.ndarray,
    n_full: np.ndarray,
    flow_z: np.ndarray | None = None,
) -> float:
    """Particles per unit time leaving through R = R_max and z = +-H (N on all nodes)."""
    cu, cd = vertical_coefficients(t_z, flow_z)
    out_r = np.sum(t_r[-1, 1:-1] * n_full[-2, 1:-1])
    out_top = np.sum(cu[:-1, -1] * n_full[:-1, -2])
    out_bot = np.sum(cd[:-1, 0] * n_full[:-1, 1])
    return float(out_r + out_top + out_bot)


def bernoulli(x: np.ndarray) -> np.ndarray:
    """B(x) = x / (exp(x) - 1), with B(0) = 1."""
    x = np.asarray(x, dtype=float)
    small = np.abs(x) < 1e-8
    safe = np.where(small, 1.0, x)
    return np.where(small, 1.0 - 0.5 * x, safe / np.expm1(safe))


def vertical_coefficients(t_z: np.ndarray, flow_z: np.ndarray | None):
    """Coefficients (c_up, c_down) of the vertical face fluxes F = c_up N_j - c_down N_{j+1}.

    Diffusion alone: c_up = c_down = T. With a wind of volume flow v A, the
    Scharfetter-Gummel (Il'in-Allen-Southwell) exponential fitting,
    c_up = T B(-Pe), c_down = T B(Pe), Pe = v dz / D (cell Peclet number),
    B(x) = x / (e^x - 1): exact for constant coefficients in one dimension, central
    (second order) for small Pe, upwind for large Pe, and c_up - c_down = v A exactly
    (Scharfetter & Gummel 1969, IEEE TED 16, 64; Il'in 1969, Math. Notes 6, 596).
    """
    if flow_z is None:
        return t_z, t_z
    with np.errstate(divide="ignore", invalid="ignore"):
        pe = np.where(t_z > 0, flow_z / np.where(t_z > 0, t_z, 1.0), 0.0)
    return t_z * bernoulli(-pe), t_z * bernoulli(pe)


def to_full(grid: Grid, u: np.ndarray) -> np.ndarray:
    """Unknown vector -> array on all nodes (nr, nz), zero on the boundary nodes."""
    out = np.zeros((grid.nr, grid.nz))
    out[:-1, 1:-1] = u.reshape(grid.nr - 1, grid.nz - 2)
    return out


def to_unknowns(grid: Grid, full: np.ndarray) -> np.ndarray:
    """Array on all nodes (nr, nz) -> vector of unknowns."""
    return np.ascontiguousarray(full[:-1, 1:-1]).ravel()
