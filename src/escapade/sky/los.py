"""Line-of-sight integration from the Sun: the quadrature of a tabulated integrand.

Intensity along the direction (l, b) seen from the Sun at (R_sun, z = 0):

    I(l, b) = int_0^{s_max} ds  q(R(s), z(s)) n_gas(R(s), z(s))      [ph cm^-2 s^-1 sr^-1]

with q the per-steradian emissivity per H atom (``escapade.emission.pion``; this is
the 1/(4 pi) int ds q_4pi n of PHYSICS.md section 6) and n_gas, in H atoms per cm^3,
split into the phases HI (n_HI), H2 (2 n_H2) and HII (n_HII) of the analytic gas
model (:class:`escapade.galaxy.gas.AnalyticGas`). The path ends where it leaves the
model cylinder R <= R_max, |z| <= H:

    R(s)^2 = R_sun^2 + s^2 cos^2 b - 2 R_sun s cos b cos l,   z(s) = s sin b,
    s_max  = min( (R_sun cos l + sqrt(R_max^2 - R_sun^2 sin^2 l)) / cos b,  H / |sin b| ).

Numerics
--------
* The integrand q n_phase is tabulated once per band on a fine (R, z) table
  (default 0.025 kpc x 0.0025 kpc, :class:`Stepping`): q bilinearly from the
  solution grid, the gas analytically; samples along the path interpolate it
  bilinearly.
* Samples follow a monitor that resolves both the thin gas layers and the radial
  structure: step ds = min(dz_rel (z_soft + |z|) / |sin b|, ds_max), i.e.
  geometric steps in |z| from the Sun (relative step ``dz_rel``, softened at
  ``z_soft_kpc``) until they reach ``ds_max_kpc``, then uniform steps; each pixel
  gets as many midpoint samples (in the mapped variable) as its monitor asks for,
  so low-latitude paths get ~300 samples and high-latitude ones ~150. The defaults
  converge to better than 1e-3 (tests compare with halved steps and with analytic
  columns).
* Axisymmetry gives I(l, b) = I(-l, b); HEALPix RING pixel centres are mirror
  symmetric in longitude, so only l in [0, 180] deg is integrated.
* Maps: HEALPix via astropy-healpix (BSD-3; healpy, GPL-2, is not used), RING
  ordering, Galactic coordinates; pixel-centre values.

The assembly of the integrand tables and the maps is :mod:`escapade.sky.assemble`; the
geometry :mod:`escapade.sky.geometry`.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from .geometry import Geometry, Stepping, path_length_kpc

__all__ = ["los_integrate"]


@dataclass(frozen=True)
class _Table:
    values: np.ndarray  # (n_r * n_z, C), row-major in (r, z)
    n_r: int
    n_z: int
    dr: float
    dz: float
    h: float


def _make_table(values: np.ndarray, geom: Geometry) -> _Table:
    n_r, n_z, c = values.shape
    return _Table(
        np.ascontiguousarray(values.reshape(n_r * n_z, c)),
        n_r,
        n_z,
        geom.r_max_kpc / (n_r - 1),
        2.0 * geom.h_kpc / (n_z - 1),
        geom.h_kpc,
    )


def _pixel_plan(l_rad, b_rad, geom: Geometry, st: Stepping):
    """Per-pixel sample counts and monitor parameters."""
    cb = np.cos(b_rad)
    sb = np.sin(b_rad)
    asb = np.abs(sb)
    cl = np.cos(l_rad)
    s_max = path_length_kpc(l_rad, b_rad, geom)
    alpha = st.dz_rel
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.where(asb > 1e-12, st.z_soft_kpc / np.maximum(asb, 1e-300), np.inf)
    s_c = np.clip(st.ds_max_kpc / alpha - d, 0.0, None)  # end of the geometric part
    s_c = np.minimum(s_c, s_max)
    with np.errstate(invalid="ignore"):
        n_c = np.where(s_c > 0, np.log1p(s_c / np.where(np.isfinite(d), d, 1.0)) / alpha, 0.0)
    n_tot = n_c + (s_max - s_c) / st.ds_max_kpc
    m = np.maximum(np.ceil(n_tot).astype(np.int64), st.min_samples)
    return {
        "cb": cb,
        "sb": sb,
        "cl": cl,
        "d": np.where(np.isfinite(d), d, 0.0),
        "s_c": s_c,
        "n_c": n_c,
        "du": n_tot / m,
        "m": m,
    }


def _integrate_rows(
    plan,
    rows: np.ndarray,
    n_s: int,
    table: _Table,
    geom: Geometry,
    st: Stepping,
    ms: np.ndarray | None = None,
):
    """Integrals for the pixels ``rows``, all sampled with ``n_s`` points (2-D layout).

    The bilinear table look-up of every sample is written as a sparse row of
    weights (4 corners x n_s samples per pixel); one CSR product with the table
    then gives all components of all pixels. With ``ms`` (one azimuthal order m per
    table column) column c is integrated with the weight cos(m psi(s)), psi the
    azimuth of the photon's direction (towards the Sun) from e_R at the sample:
    cos psi = (R_sun cos l - s cos b) / R(s).
    """
    f4 = np.float32
    m = plan["m"][rows]
    du = (plan["du"][rows] * m / n_s).astype(f4)[:, None]  # same monitor, n_s >= m points
    n_c = plan["n_c"][rows].astype(f4)[:, None]
    d = plan["d"][rows].astype(f4)[:, None]
    alpha, big = f4(st.dz_rel), f4(st.ds_max_kpc)
    # monitor variable at the n_s + 1 segment edges; s(u) = d (exp(alpha u) - 1) up to
    # s_c (geometric steps in |z|), then s_c + (u - n_c) ds_max (uniform steps)
    uu = np.arange(n_s + 1, dtype=f4)[None, :] * du
    ex = np.minimum(uu, n_c)
    ex *= alpha
    np.exp(ex, out=ex)
    ex -= f4(1.0)
    ex *= d
    uu -= n_c
    np.maximum(uu, f4(0.0), out=uu)
    uu *= big
    ex += uu  # s at the edges
    w = np.diff(ex, axis=1)  # exact segment lengths: they add up to s_max
    s = ex[:, :-1] + ex[:, 1:]
    s *= f4(0.5)  # segment midpoints
    rs = f4(geom.r_sun_kpc)
    scb = s * plan["cb"][rows].astype(f4)[:, None]
    r2 = scb - f4(2.0) * rs * plan["cl"][rows].astype(f4)[:, None]
    r2 *= scb
    r2 += rs * rs
    np.maximum(r2, f4(0.0), out=r2)
    fr = np.sqrt(r2, out=r2)
    if ms is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            cpsi = (
                rs * plan["cl"][rows].astype(f4)[:, None] - s * plan["cb"][rows].astype(f4)[:, None]
            ) / fr
        cpsi = np.where(fr > f4(1e-6), np.clip(cpsi, f4(-1.0), f4(1.0)), f4(1.0))
    fr *= f4(1.0 / table.dr)
    fz = s * plan["sb"][rows].astype(f4)[:, None]
    fz += f4(table.h)
    fz *= f4(1.0 / table.dz)
    ir = np.minimum(fr.astype(np.int32), table.n_r - 2)
    iz = np.clip(fz.astype(np.int32), 0, table.n_z - 2)
    wr = fr - ir
    np.clip(wr, f4(0.0), f4(1.0), out=wr)
    wz = fz - iz
    np.clip(wz, f4(0.0), f4(1.0), out=wz)
    idx = ir * np.int32(table.n_z)
    idx += iz
    n = rows.size
    data = np.empty((n, n_s, 4), table.values.dtype)
    wrw = wr * w
    w0 = w - wrw
    np.multiply(w0, wz, out=data[..., 1])
    np.subtract(w0, data[..., 1], out=data[..., 0])
    np.multiply(wrw, wz, out=data[..., 3])
    np.subtract(wrw, data[..., 3], out=data[..., 2])
    ind = np.empty((n, n_s, 4), np.int32)
    ind[..., 0] = idx
    np.add(idx, 1, out=ind[..., 1])
    np.add(idx, table.n_z, out=ind[..., 2])
    np.add(idx, table.n_z + 1, out=ind[..., 3])
    indptr = np.arange(0, n * n_s * 4 + 1, n_s * 4, dtype=np.int64)
    shape = (n, table.values.shape[0])
    if ms is None:
        mat = sparse.csr_matrix((data.ravel(), ind.ravel(), indptr), shape=shape)
        return np.asarray(mat @ table.values, dtype=np.float64)
    out = np.zeros((n, table.values.shape[1]))
    psi = np.arccos(cpsi)
    for m in np.unique(ms):
        cols = np.nonzero(ms == m)[0]
        mod = data * np.cos(f4(m) * psi)[..., None] if m else data
        mat = sparse.csr_matrix((mod.ravel(), ind.ravel(), indptr), shape=shape)
        out[:, cols] = mat @ table.values[:, cols]
    return out


def los_integrate(
    table_values: np.ndarray,
    geom: Geometry,
    l_rad,
    b_rad,
    stepping: Stepping | None = None,
    threads: int | None = None,
    chunk_samples: int = 250_000,
    harmonic_m=None,
) -> np.ndarray:
    """int_0^{s_max} f(R(s), z(s)) ds (kpc x table units) along each (l, b).

    ``table_values`` (n_r, n_z, C): the integrand on a uniform table with R from 0 to
    R_max and z from -H to H (both ends included). Returns (n_directions, C).
    ``harmonic_m`` (C integers): integrate column c times cos(m_c psi) instead (the
    azimuthal factor of a direction-dependent emissivity, see :func:`_integrate_rows`).
    Pixels are grouped by their sample count (rounded up to a multiple of 8), so
    each group is integrated as one 2-D block.
    """
    st = stepping or Stepping()
    vals = np.asarray(table_values, float)
    if vals.ndim == 2:
        vals = vals[:, :, None]
    scale = float(np.max(np.abs(vals))) or 1.0
    table = _make_table((vals / scale).astype(np.float32), geom)
    l_rad = np.atleast_1d(np.asarray(l_rad, float))
    b_rad = np.atleast_1d(np.asarray(b_rad, float))
    n = l_rad.size
    out = np.zeros((n, vals.shape[2]))
    if n == 0:
        return out
    plan = _pixel_plan(l_rad, b_rad, geom, st)
    ms = None if harmonic_m is None else np.asarray(harmonic_m, int)
    if ms is not None and ms.size != vals.shape[2]:
        raise ValueError(f"harmonic_m has {ms.size} entries for {vals.shape[2]} table columns")
    n_s = (-(-plan["m"] // 8) * 8).astype(np.int64)
    order = np.argsort(n_s, kind="stable")
    sizes, starts = np.unique(n_s[order], return_index=True)
    stops = np.append(starts[1:], n)
    jobs = []
    for size, a, b in zip(sizes, starts, stops, strict=True):
        step = max(1, chunk_samples // int(size))
        jobs += [(order[c : min(b, c + step)], int(size)) for c in range(a, b, step)]
    nthreads = threads if threads is not None else min(2, os.cpu_count() or 1)

    def work(job):
        rows, size = job
        out[rows] = _integrate_rows(plan, rows, size, table, geom, st, ms)

    if nthreads > 1 and len(jobs) > 1:
        with ThreadPoolExecutor(nthreads) as pool:
            list(pool.map(work, jobs))
    else:
        for job in jobs:
            work(job)
    return out * scale
