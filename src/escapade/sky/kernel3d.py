"""Sky maps of a 3D CR solution: projection kernels with columns on the (x, y, z) grid nodes.

For a solution of the 3D engine (:mod:`escapade.model.model3d`) the intensity of the gas
phase X along the direction (l, b) seen from the Sun is

    I_X(l, b) = int_0^{s_max} ds  q(x(s), y(s), z(s)) n_X(x(s), y(s), z(s))   [ph cm^-2 s^-1 sr^-1]

with q the per-steradian pi0 emissivity per H atom on the solution's nodes and n_X the
phase's H atoms per cm^3: the 3D face of the survey gas (n_HI held to HI4PI, 2 n_H2, n_HII
and the dark gas, as :mod:`escapade.sky.los3d`) or the analytic gas n_X(R, z) at
R = sqrt(x^2 + y^2). The Sun is at (R_sun, 0, 0) and the point at distance s is
(R_sun - s cos b cos l, s cos b sin l, s sin b), so l = 90 deg looks towards +y.

The gas does not depend on the CR solution, so the integral is split as in
:mod:`escapade.sky.los3d`:

* a **projection kernel** K_X (one sparse row per sky pixel, one column per node of the 3D
  CR grid), K_X[p, k] = sum_s w_s n_X(x_s) T_k(x_s), T_k the trilinear hat function of node
  k, built once per gas, geometry, grid and nside by the quadrature of
  :class:`escapade.sky.los3d.KernelSampling` (Gauss-Legendre panels in ln(1 + s / s0) near
  the Sun, then 2-point panels of 0.05 kpc to the edge of the model cylinder), in blocks of
  pixels, and kept in memory and on disk (:func:`escapade.sky.los3d.cache_dir`);
* per band, I_X = K_X q with q on the nodes: a sparse product.

The phases share one sparsity pattern (one ``indices``/``indptr``, one ``data`` per phase).
The survey gas is projected at its own nside (64), other nsides by
:func:`escapade.sky.compare.regrid`; the analytic gas at the nside asked for. Accuracy: the
trilinear interpolation of q between nodes, O(dx^2 q''), is the only approximation beyond
the quadrature of ``los3d`` (better than 1e-3 on the survey gas).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from pathlib import Path

import astropy.units as u
import numpy as np
from astropy_healpix import healpix_to_lonlat, nside_to_npix
from scipy import sparse

from ..constants import KPC_CM
from .compare import regrid
from .geometry import Geometry, path_length_kpc
from .los3d import (
    KernelSampling,
    cached_kernel,
    gas_key,
    has_3d_face,
    path_nodes,
    sightline_densities,
    write_npz_cache,
)

log = logging.getLogger(__name__)

__all__ = [
    "UNIT_VOLUME",
    "GridAxes",
    "GridKernel",
    "UnitVolume",
    "grid_kernel",
    "grid_kernel_maps",
    "kernel_nside",
]


@dataclass(frozen=True)
class GridAxes:
    """The uniform node axes of a 3D grid, kpc: ``n`` nodes from ``lo`` to ``hi`` per axis."""

    x: tuple[float, float, int]
    y: tuple[float, float, int]
    z: tuple[float, float, int]

    @classmethod
    def of(cls, x_kpc, y_kpc, z_kpc) -> GridAxes:
        """From node coordinates (each uniform; :class:`escapade.grid3d.Grid3D`'s are)."""
        out = []
        for name, a in (("x_kpc", x_kpc), ("y_kpc", y_kpc), ("z_kpc", z_kpc)):
            a = np.asarray(a, float)
            if a.size < 2 or not np.allclose(np.diff(a), a[1] - a[0], rtol=1e-6, atol=0.0):
                raise ValueError(f"{name}: a 3D sky map needs uniform nodes (>= 2)")
            out.append((float(a[0]), float(a[-1]), int(a.size)))
        return cls(*out)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The node coordinates (kpc) along x, y and z."""
        return tuple(np.linspace(lo, hi, n) for lo, hi, n in (self.x, self.y, self.z))

    @property
    def shape(self) -> tuple[int, int, int]:
        return (self.x[2], self.y[2], self.z[2])


@dataclass(frozen=True, eq=False)
class GridKernel:
    """Projection kernels of the gas phases onto a 3D grid's nodes (module docstring)."""

    nside: int
    axes: GridAxes
    matrices: dict[str, sparse.csr_matrix]
    """{phase: (npix, n_nodes), cm^-2 per unit emissivity; nodes in C order over x, y, z}."""

    @property
    def nbytes(self) -> int:
        """Memory held by the kernel (the column indices, shared, counted once), bytes."""
        first = next(iter(self.matrices.values()))
        own = sum(m.data.nbytes + m.indptr.nbytes for m in self.matrices.values())
        return first.indices.nbytes + own


def _trilinear_entries(x, y, z, axes: GridAxes):
    """The 8 nodes (flat C-order indices) and trilinear weights of each point (x, y, z)."""
    parts = []
    for c, (lo, hi, n) in zip((x, y, z), (axes.x, axes.y, axes.z), strict=True):
        f = np.clip((c - lo) / ((hi - lo) / (n - 1)), 0.0, n - 1.0)
        i = np.minimum(f.astype(np.int64), n - 2)
        parts.append((i, f - i))
    (ix, wx), (iy, wy), (iz, wz) = parts
    ny, nz = axes.y[2], axes.z[2]
    base = (ix * ny + iy) * nz + iz
    idx, wts = [], []
    for a in (0, 1):
        for b in (0, 1):
            for c in (0, 1):
                idx.append(base + (a * ny + b) * nz + c)
                wts.append((wx if a else 1 - wx) * (wy if b else 1 - wy) * (wz if c else 1 - wz))
    return np.stack(idx, axis=-1), np.stack(wts, axis=-1)


@dataclass(frozen=True)
class UnitVolume:
    """The "gas" of a volume emissivity: one phase, ``"volume"``, equal to 1 everywhere
    inside the model cylinder. Its kernel K[p, k] = sum_s w_s T_k(x_s) (cm) turns an
    emissivity in ph cm^-3 s^-1 sr^-1 on the nodes (inverse Compton) into an intensity."""


UNIT_VOLUME = UnitVolume()
"""The volume "gas" of the inverse Compton maps of 3D solutions."""


def _densities(gas, lon, lat, s, sun_r_kpc: float) -> dict[str, np.ndarray]:
    """H atoms per cm^3 of each phase at the nodes s (ndir, nodes) along (lon, lat): the 3D
    face of a survey gas (:func:`escapade.sky.los3d.sightline_densities`) or an analytic
    gas's n_HI, 2 n_H2, n_HII at (R, z); 1 for :class:`UnitVolume`."""
    if isinstance(gas, UnitVolume):
        return {"volume": np.ones_like(s)}
    if has_3d_face(gas):
        return sightline_densities(gas, lon, lat, s)
    cb = np.cos(lat)[:, None]
    r = np.hypot(sun_r_kpc - s * cb * np.cos(lon)[:, None], s * cb * np.sin(lon)[:, None])
    z = s * np.sin(lat)[:, None]
    return {
        "HI": gas.n_hi_cm3(r, z),
        "H2": 2.0 * gas.n_h2_cm3(r, z),
        "HII": gas.n_hii_cm3(r, z),
    }


def _kernel_block(gas, geom: Geometry, smp: KernelSampling, axes: GridAxes, lon, lat):
    """Sorted unique (row * n_nodes + node) keys of a block of pixels and, per phase, the
    summed values sum_s w_s n_X T_k (kpc cm^-3) of each key."""
    s_max = np.atleast_1d(path_length_kpc(lon, lat, geom))
    s, w = path_nodes(s_max, smp)
    cb = np.cos(lat)[:, None]
    x = geom.r_sun_kpc - s * cb * np.cos(lon)[:, None]
    y = s * cb * np.sin(lon)[:, None]
    idx, wts = _trilinear_entries(x, y, s * np.sin(lat)[:, None], axes)
    n_nodes = int(np.prod(axes.shape))
    keys = (np.arange(lon.size, dtype=np.int64)[:, None, None] * n_nodes + idx).ravel()
    uniq, inverse = np.unique(keys, return_inverse=True)
    dens = _densities(gas, lon, lat, s, geom.r_sun_kpc)
    sums = {
        p: np.bincount(inverse, weights=((d * w)[..., None] * wts).ravel(), minlength=uniq.size)
        for p, d in dens.items()
    }
    return uniq, sums


def _hold_rows(mat: sparse.csr_matrix, columns) -> None:
    """Scale each row of ``mat`` in place so that its sum is ``columns`` (0 where it is
    empty); the sparsity pattern, shared by the phases, is kept."""
    total = np.asarray(mat.sum(axis=1)).ravel()
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(total > 0, np.asarray(columns) / np.where(total > 0, total, 1.0), 0.0)
    mat.data *= np.repeat(scale, np.diff(mat.indptr)).astype(mat.data.dtype)


def _build(gas, geom: Geometry, axes: GridAxes, smp: KernelSampling, block: int) -> GridKernel:
    """All pixels of nside ``smp.nside`` in blocks; the survey's HI (and dark gas) rows held
    to their measured columns, as :mod:`escapade.sky.los3d` does."""
    npix = nside_to_npix(smp.nside)
    n_nodes = int(np.prod(axes.shape))
    lon, lat = healpix_to_lonlat(np.arange(npix), smp.nside, order="ring")
    lon, lat = lon.to_value(u.rad), lat.to_value(u.rad)
    cols, counts, data = [], np.zeros(npix, np.int64), {}
    for a in range(0, npix, block):
        uniq, sums = _kernel_block(gas, geom, smp, axes, lon[a : a + block], lat[a : a + block])
        cols.append((uniq % n_nodes).astype(np.int32))
        counts[a : a + block] = np.bincount(uniq // n_nodes, minlength=min(block, npix - a))
        for p, v in sums.items():
            data.setdefault(p, []).append((v * KPC_CM).astype(np.float32))
    indices = np.concatenate(cols)
    del cols
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    mats = {}
    for p in list(data):  # one phase's pieces joined and freed at a time (peak memory)
        values = np.concatenate(data.pop(p))
        mats[p] = sparse.csr_matrix((values, indices, indptr), shape=(npix, n_nodes))
    if has_3d_face(gas):
        if gas.hi_column_target_cm2 is not None:
            _hold_rows(mats["HI"], gas.hi_column_target_cm2)
        if "dark" in mats:
            _hold_rows(mats["dark"], gas.dark_column_cm2)
    return GridKernel(smp.nside, axes, mats)


def kernel_nside(gas, nside: int) -> int:
    """The nside of the kernel: the survey's (64) for a 3D survey gas, else ``nside``."""
    return int(gas.sky.nside) if has_3d_face(gas) else int(nside)


def _save(kernel: GridKernel, path: Path) -> None:
    """The kernel as one .npz (the shared indices once); a failed write is only logged."""
    first = next(iter(kernel.matrices.values()))
    arrays = {
        "nside": np.array(kernel.nside),
        "axes": np.array([kernel.axes.x, kernel.axes.y, kernel.axes.z], float),
        "indices": first.indices,
        "indptr": first.indptr,
        "shape": np.array(first.shape),
    }
    arrays |= {f"data.{p}": m.data for p, m in kernel.matrices.items()}
    write_npz_cache(path, arrays, "grid kernel")


def _load(path: Path) -> GridKernel | None:
    try:
        with np.load(path) as z:
            indices, indptr, shape = z["indices"], z["indptr"], tuple(z["shape"])
            mats = {
                k.removeprefix("data."): sparse.csr_matrix((z[k], indices, indptr), shape=shape)
                for k in z.files
                if k.startswith("data.")
            }
            axes = GridAxes(*((float(r[0]), float(r[1]), int(r[2])) for r in z["axes"]))
            return GridKernel(int(z["nside"]), axes, mats)
    except (OSError, KeyError, ValueError):
        return None


_CACHE: dict = {}


def _key(gas, geom: Geometry, axes: GridAxes, smp: KernelSampling) -> tuple:
    """What a kernel depends on: the gas's inputs (not its identity), the geometry, the
    grid and the quadrature."""
    key = gas_key(gas) if has_3d_face(gas) else (type(gas).__name__, repr(gas))
    return (key, geom, axes, smp)


def grid_kernel(
    gas,
    geom: Geometry,
    axes: GridAxes,
    nside: int,
    sampling: KernelSampling | None = None,
    block: int = 128,
) -> GridKernel:
    """The projection kernel of ``gas`` onto the nodes ``axes`` seen from ``geom``, at
    :func:`kernel_nside` (``nside``): built once, kept in memory (the last two) and on disk.

    ``gas``: a survey gas with a 3D face or any object with ``n_hi_cm3``, ``n_h2_cm3`` and
    ``n_hii_cm3`` of (R, z) (cm^-3; :class:`escapade.galaxy.gas.AnalyticGas`).
    """
    base = sampling or KernelSampling()
    smp = replace(base, nside=kernel_nside(gas, nside))

    def build() -> GridKernel:
        t0 = time.perf_counter()
        kernel = _build(gas, geom, axes, smp, block)
        log.info(
            "3D grid kernel built in %.0f s (nside %d, %d nodes, %.0f MB)",
            time.perf_counter() - t0,
            smp.nside,
            int(np.prod(axes.shape)),
            kernel.nbytes / 1e6,
        )
        return kernel

    key = _key(gas, geom, axes, smp)
    return cached_kernel(_CACHE, key, "grid_kernel", build, _save, _load)


def grid_kernel_maps(kernel: GridKernel, q_nodes, nside: int) -> dict[str, np.ndarray]:
    """I_X = K_X q of every phase, full-sky RING maps (npix(nside),) in q x cm^-2.

    ``q_nodes`` (nx, ny, nz): an emissivity per H atom on the kernel's nodes (ph s^-1 sr^-1
    per H atom gives ph cm^-2 s^-1 sr^-1). ``nside``: a power of 2 (the kernel's, or its
    children or parents through :func:`escapade.sky.compare.regrid`).
    """
    q = np.asarray(q_nodes, float)
    if q.shape != kernel.axes.shape:
        raise ValueError(f"emissivity of shape {q.shape} on a grid of shape {kernel.axes.shape}")
    if nside < 1 or nside & (nside - 1):
        raise ValueError(f"nside = {nside}: allowed a power of 2")
    flat = q.ravel()
    out = {p: np.asarray(m @ flat, float) for p, m in kernel.matrices.items()}
    if nside == kernel.nside:
        return out
    return {p: regrid(v, nside) for p, v in out.items()}
