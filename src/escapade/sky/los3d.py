"""Sky maps through a 3D gas: an emissivity per H atom on (R, z) times n(x, y, z).

For a gas with a 3D face (``[gas] model = "survey3d"``,
:class:`escapade.galaxy.gas3d.SurveyGas3D`) the intensity of the gas phase X along the
direction (l, b) seen from the Sun is

    I_X(l, b) = int_0^{s_max} ds  q(R(s), z(s)) n_X(x(s), y(s), z(s))     [ph cm^-2 s^-1 sr^-1]

with q the per-steradian emissivity per H atom of the axisymmetric CR solution (pi0 decay,
bremsstrahlung) and n_X the phase's H atoms per cm^3 (n_HI, 2 n_H2, n_HII and, when on, the
dark gas). The Sun is at (R_sun, 0, 0) and the point at distance s is
(R_sun - s cos b cos l, s cos b sin l, s sin b)
(:func:`escapade.galaxy.gas3d.survey.point_on_sightline`).

The gas does not depend on the CR solution, so the integral is split in two:

* a **projection kernel** K_X (one sparse row per sky pixel, one column per node of a
  uniform (R, z) table), K_X[p, k] = sum_s w_s n_X(x_s) B_k(R_s, z_s) with B_k the
  bilinear hat function of node k, built once per gas, geometry and table
  (:func:`gas_kernel`, cached) by a fine quadrature along each pixel centre: Gauss-Legendre
  panels in u = ln(1 + s / s0) up to ``s_log_kpc`` (the local gas, which dominates at high
  latitude), then 2-point Gauss panels of ``ds_kpc`` (0.05 kpc by default, half a cell of
  the Pohl et al. 2008 H2 cube) to the edge of the model cylinder;
* per band, I_X = K_X q, q on the table's nodes (bilinear from the solution grid):
  a sparse product, milliseconds.

Survey constraint: each row of the HI kernel is scaled so that its sum, the HI column, is
the HI4PI column of the pixel (:attr:`SurveyGas3D.hi_column_target_cm2`; no scaling with
``hi_survey_constraint = false``); the distribution along the sight line is the model's.
The kernel lives on the survey's HEALPix grid (nside 64, 0.92 deg, RING); maps at another
nside are brought to it by :func:`escapade.sky.compare.regrid` (the NESTED children repeated
for nside > 64, their mean for nside < 64). Axisymmetric maps (:mod:`escapade.sky.los`) use
the mirror symmetry I(l, b) = I(-l, b); these do not.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import astropy.units as u
import numpy as np
from astropy_healpix import healpix_to_lonlat, nside_to_npix
from scipy import sparse

from .._version import __version__
from ..constants import KPC_CM
from ..io import atomic_path
from .compare import regrid
from .geometry import Geometry, path_length_kpc

log = logging.getLogger(__name__)

__all__ = [
    "GAS3D_PHASES",
    "GasKernel",
    "KernelSampling",
    "cached_kernel",
    "write_npz_cache",
    "gas_kernel",
    "has_3d_face",
    "kernel_maps",
]

GAS3D_PHASES = ("HI", "H2", "HII", "dark")
"""The phases of a 3D gas, H atoms per cm^3 (H2 counted as 2 n_H2)."""


def has_3d_face(gas) -> bool:
    """Whether ``gas`` has a 3D density face (``n_hi_3d_cm3(x, y, z)`` and the others)."""
    return hasattr(gas, "n_hi_3d_cm3") and hasattr(gas, "hi4pi_cm2")


@dataclass(frozen=True)
class KernelSampling:
    """The quadrature and table of the projection kernel (see the module docstring)."""

    nside: int = 64
    """HEALPix nside of the kernel (the survey's)."""
    dr_kpc: float = 0.25
    """Radial step of the (R, z) table of emissivities."""
    dz_kpc: float = 0.05
    """Vertical step of the (R, z) table of emissivities."""
    s_log_kpc: float = 1.0
    """End of the logarithmic part of the path (near the Sun)."""
    s0_kpc: float = 0.01
    """Scale of the logarithmic path variable u = ln(1 + s / s0)."""
    log_nodes: int = 48
    """Nodes of the logarithmic part (panels of 4 Gauss-Legendre nodes)."""
    ds_kpc: float = 0.05
    """Panel length of the uniform part (2 Gauss-Legendre nodes per panel)."""


@dataclass(frozen=True, eq=False)
class GasKernel:
    """Projection kernels of the gas phases on a HEALPix grid (see the module docstring)."""

    nside: int
    r_axis: np.ndarray
    z_axis: np.ndarray
    matrices: dict[str, sparse.csr_matrix]
    """{phase: (npix, n_r * n_z) in kpc cm^-3 x KPC_CM = cm^-2 per unit emissivity}."""

    @property
    def phases(self) -> tuple[str, ...]:
        return tuple(self.matrices)


def _panel_nodes(a, b, n_panels: int, n_gauss: int):
    """Gauss-Legendre nodes/weights on n_panels equal panels of [a, b] (vectorised in a, b)."""
    x, w = np.polynomial.legendre.leggauss(n_gauss)
    t = (np.arange(n_panels)[:, None] + 0.5 * (x[None, :] + 1.0)).ravel() / n_panels
    wt = np.tile(0.5 * w, n_panels) / n_panels
    length = (b - a)[:, None]
    return a[:, None] + length * t[None, :], length * wt[None, :]


def path_nodes(s_max: np.ndarray, smp: KernelSampling):
    """Distances s and weights (kpc) along each direction: log panels, then uniform ones."""
    s_log = np.minimum(s_max, smp.s_log_kpc)
    n_log = max(1, smp.log_nodes // 4)
    u_nodes, u_w = _panel_nodes(np.zeros_like(s_log), np.log1p(s_log / smp.s0_kpc), n_log, 4)
    s1 = smp.s0_kpc * np.expm1(u_nodes)
    w1 = u_w * smp.s0_kpc * np.exp(u_nodes)
    rest = np.maximum(s_max - s_log, 0.0)
    n_uni = max(1, int(math.ceil(float(rest.max()) / smp.ds_kpc)))
    s2, w2 = _panel_nodes(s_log, s_log + rest, n_uni, 2)
    return np.concatenate([s1, s2], axis=1), np.concatenate([w1, w2], axis=1)


def _bilinear_entries(r, z, r_axis, z_axis):
    """The 4 table nodes (flat indices) and bilinear weights of each (r, z)."""
    fr = np.clip((r - r_axis[0]) / (r_axis[1] - r_axis[0]), 0.0, len(r_axis) - 1.0)
    fz = np.clip((z - z_axis[0]) / (z_axis[1] - z_axis[0]), 0.0, len(z_axis) - 1.0)
    ir = np.minimum(fr.astype(np.int64), len(r_axis) - 2)
    iz = np.minimum(fz.astype(np.int64), len(z_axis) - 2)
    wr, wz = fr - ir, fz - iz
    nz = len(z_axis)
    k = ir * nz + iz
    idx = np.stack([k, k + 1, k + nz, k + nz + 1], axis=-1)
    wts = np.stack([(1 - wr) * (1 - wz), (1 - wr) * wz, wr * (1 - wz), wr * wz], axis=-1)
    return idx, wts


def sightline_densities(gas, lon, lat, s) -> dict[str, np.ndarray]:
    """H atoms per cm^3 at the nodes s (ndir, nodes) along (lon, lat): the HI model (held to
    the survey per row later), 2 n_H2, n_HII, and the neutral-gas shape of the dark gas."""
    from ..galaxy.gas3d.survey import point_on_sightline

    x, y, z = point_on_sightline(lon[:, None], lat[:, None], s, gas.sun_r_kpc)
    out = {
        "HI": gas.hi_model.n_hi_cm3(x, y, z),
        "H2": 2.0 * gas.n_h2_3d_cm3(x, y, z),
        "HII": gas.n_hii_3d_cm3(x, y, z),
    }
    if gas.options.dark_gas:
        out["dark"] = out["HI"] + out["H2"]
    return out


def _rows_to_columns(mat: sparse.csr_matrix, columns: np.ndarray) -> sparse.csr_matrix:
    """``mat`` with each row scaled so that its sum is ``columns`` (0 where it is empty)."""
    total = np.asarray(mat.sum(axis=1)).ravel()
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(total > 0, np.asarray(columns) / np.where(total > 0, total, 1.0), 0.0)
    return sparse.csr_matrix(sparse.diags(scale.astype(np.float32)) @ mat)


def _kernel_block(gas, geom, smp, r_axis, z_axis, lon, lat):
    """COO pieces (rows local to the block, columns, values per phase) of a block of pixels."""
    s_max = path_length_kpc(lon, lat, geom)
    s, w = path_nodes(np.atleast_1d(s_max), smp)
    cb = np.cos(lat)[:, None]
    r = np.hypot(geom.r_sun_kpc - s * cb * np.cos(lon)[:, None], s * cb * np.sin(lon)[:, None])
    idx, wts = _bilinear_entries(r, s * np.sin(lat)[:, None], r_axis, z_axis)
    dens = sightline_densities(gas, lon, lat, s)
    rows = np.broadcast_to(np.arange(lon.size)[:, None, None], idx.shape).ravel()
    vals = {p: ((d * w)[..., None] * wts).ravel() for p, d in dens.items()}
    return rows, idx.ravel(), vals


def _build_kernel(gas, geom: Geometry, smp: KernelSampling, block: int = 256) -> GasKernel:
    r_axis = np.linspace(0.0, geom.r_max_kpc, int(round(geom.r_max_kpc / smp.dr_kpc)) + 1)
    n_z = int(round(2 * geom.h_kpc / smp.dz_kpc)) + 1
    z_axis = np.linspace(-geom.h_kpc, geom.h_kpc, n_z)
    npix = nside_to_npix(smp.nside)
    lon, lat = healpix_to_lonlat(np.arange(npix), smp.nside, order="ring")
    lon, lat = lon.to_value(u.rad), lat.to_value(u.rad)
    n_cols = r_axis.size * z_axis.size
    parts: dict[str, list] = {}
    for a in range(0, npix, block):
        lo, la = lon[a : a + block], lat[a : a + block]
        rows, cols, vals = _kernel_block(gas, geom, smp, r_axis, z_axis, lo, la)
        for p, v in vals.items():
            m = sparse.csr_matrix((v * KPC_CM, (rows, cols)), shape=(lo.size, n_cols))
            m.sum_duplicates()
            parts.setdefault(p, []).append(m.astype(np.float32))
    mats = {p: sparse.vstack(ms, format="csr") for p, ms in parts.items()}
    if gas.hi_column_target_cm2 is not None:
        mats["HI"] = _rows_to_columns(mats["HI"], gas.hi_column_target_cm2)
    if "dark" in mats:
        mats["dark"] = _rows_to_columns(mats["dark"], gas.dark_column_cm2)
    return GasKernel(smp.nside, r_axis, z_axis, mats)


_CACHE: dict = {}


def gas_key(gas) -> tuple:
    """What the kernel of a survey3d gas depends on (its inputs, not its identity)."""
    return (
        type(gas).__name__,
        gas.analytic,
        gas.sun_r_kpc,
        gas.r_max_kpc,
        gas.z_max_kpc,
        gas.options,
    )


def cache_dir() -> Path | None:
    """Folder of the on-disk kernel cache: ``$ESCAPADE_CACHE_DIR``, else
    ``~/.cache/escapade``; ``ESCAPADE_CACHE_DIR=""`` switches the disk cache off."""
    env = os.environ.get("ESCAPADE_CACHE_DIR")
    if env is not None:
        return Path(env) if env else None
    return Path.home() / ".cache" / "escapade"


def _disk_path(key: tuple, prefix: str = "gas_kernel") -> Path | None:
    folder = cache_dir()
    if folder is None:
        return None
    digest = hashlib.sha1(repr((__version__, key)).encode()).hexdigest()[:20]
    return folder / f"{prefix}_{digest}.npz"


def cached_kernel(
    memory: dict, key: tuple, prefix: str, build: Callable[[], Any], save, load
) -> Any:
    """The kernel of ``key``: from ``memory`` (the last two kept), else from the disk cache
    (:func:`cache_dir`, files ``<prefix>_<digest>.npz``, read by ``load(path)``), else
    ``build()`` and written there by ``save(kernel, path)``."""
    if key in memory:
        return memory[key]
    path = _disk_path(key, prefix)
    kernel = load(path) if path is not None and path.is_file() else None
    if kernel is None:
        kernel = build()
        if path is not None:
            save(kernel, path)
    if len(memory) >= 2:
        memory.pop(next(iter(memory)))
    memory[key] = kernel
    return kernel


def _save(kernel: GasKernel, path: Path) -> None:
    arrays = {"nside": np.array(kernel.nside), "r_axis": kernel.r_axis, "z_axis": kernel.z_axis}
    for p, m in kernel.matrices.items():
        arrays |= {f"{p}.data": m.data, f"{p}.indices": m.indices, f"{p}.indptr": m.indptr}
        arrays[f"{p}.shape"] = np.array(m.shape)
    write_npz_cache(path, arrays, "gas kernel")


def write_npz_cache(path: Path, arrays: dict, what: str) -> None:
    """Write ``arrays`` to ``path`` atomically; a failure (a read-only home) is only logged:
    the disk cache is an optimisation."""
    try:
        with atomic_path(path, suffix=".npz") as tmp, open(tmp, "wb") as f:
            np.savez(f, **arrays)
    except OSError as exc:
        log.info("%s not cached on disk (%s)", what, exc)


def _load(path: Path) -> GasKernel | None:
    try:
        with np.load(path) as z:
            names = sorted({k.split(".")[0] for k in z.files if "." in k})
            mats = {
                p: sparse.csr_matrix(
                    (z[f"{p}.data"], z[f"{p}.indices"], z[f"{p}.indptr"]),
                    shape=tuple(z[f"{p}.shape"]),
                )
                for p in names
            }
            return GasKernel(int(z["nside"]), z["r_axis"], z["z_axis"], mats)
    except (OSError, KeyError, ValueError):
        return None


def gas_kernel(gas, geom: Geometry, sampling: KernelSampling | None = None) -> GasKernel:
    """The projection kernel of ``gas`` seen from ``geom``: built once (about a minute on one
    core at nside 64), then kept in memory and on disk (:func:`cache_dir`)."""
    if not has_3d_face(gas):
        raise ValueError(
            f"gas model {type(gas).__name__} has no 3D face; allowed: [gas] model = 'survey3d'"
        )
    smp = sampling or KernelSampling()
    if smp.nside != gas.sky.nside:
        raise ValueError(f"kernel nside {smp.nside}: allowed the survey's, {gas.sky.nside}")

    def build() -> GasKernel:
        t0 = time.perf_counter()
        kernel = _build_kernel(gas, geom, smp)
        log.info("gas kernel built in %.0f s (nside %d)", time.perf_counter() - t0, smp.nside)
        return kernel

    return cached_kernel(_CACHE, (gas_key(gas), geom, smp), "gas_kernel", build, _save, _load)


def kernel_maps(kernel: GasKernel, q_table: np.ndarray, nside: int) -> dict[str, np.ndarray]:
    """I_X = K_X q of every phase, (npix(nside), C) in ph cm^-2 s^-1 sr^-1.

    ``q_table`` (n_r, n_z, C): emissivities per H atom on ``kernel.r_axis`` x
    ``kernel.z_axis``. ``nside``: a power of 2 (the kernel's children or parents).
    """
    q = np.asarray(q_table, float)
    if q.ndim == 2:
        q = q[:, :, None]
    if nside < 1 or nside & (nside - 1):
        raise ValueError(f"nside = {nside}: allowed a power of 2")
    flat = q.reshape(-1, q.shape[2])
    out = {p: np.asarray(m @ flat, float) for p, m in kernel.matrices.items()}
    if nside == kernel.nside:
        return out
    return {p: np.column_stack([regrid(c, nside) for c in v.T]) for p, v in out.items()}
