"""Leptonic gamma-ray emissivities of a solution: inverse Compton and bremsstrahlung.

* Bremsstrahlung (:mod:`escapade.emission.bremsstrahlung`) is a collision process on the
  gas: like pi0 decay it is an emissivity **per H atom** (He through n_He/n_H),
  ph s^-1 sr^-1 (GeV^-1), and the sky maps multiply it by the gas of each phase.
* Inverse Compton (:mod:`escapade.emission.inverse_compton`, isotropic Klein-Nishina) is
  a **volume** emissivity j(E_g; R, z) in ph cm^-3 s^-1 sr^-1 (GeV^-1): e- + e+ on every
  ISRF component (:mod:`escapade.leptons.fields`, model from the solution's ``[leptons]``
  section), summed with the components' dilution factors at (R, z).

* Anisotropic IC (``[leptons] ic_anisotropic``, :func:`ic_anisotropy_harmonics_band`):
  the dust and starlight photons arrive from the disc, so the emissivity depends on the
  direction e of the emitted photon, j(e) = sum_lm Q_lm(R, z) Y_lm(e) with
  Q_lm = a_lm (1 / 4 pi) int dgamma N int d eps n kappa_l (a_lm: the ISRF's harmonic
  coefficients, :mod:`escapade.leptons.isrf_angular`; kappa_l: the Legendre moments of
  the head-on kernel, :mod:`escapade.emission.ic_anisotropic`). The l = 0 term is the
  isotropic j above; the maps add the l >= 1 terms along each line of sight
  (Moskalenko & Strong 2000, ApJ 528, 357).

Both need the e- and e+ densities of a solution run with ``[leptons] enabled = true``.
The electron-energy integral is done on a fine grid (40 points per decade) onto which
N(E) is interpolated linearly in ln E after weighting by E^3.2 (exact for that power law);
band integrals use Gauss-Legendre nodes in ln E_g (12 per decade).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import xarray as xr

from ..constants import M_ELECTRON_GEV
from ..interactions.blackbody import blackbody_eps_grid, blackbody_number_density
from ..numerics.quadrature import log_gauss_band, log_trapezoid, power_law_interp_matrix
from ..solution import LEPTON_NAMES, as_solution, solution_config
from .bremsstrahlung import bremsstrahlung_emissivity_matrix
from .ic_anisotropic import kernel_legendre_moments
from .inverse_compton import ic_emissivity_matrix

__all__ = [
    "LEPTONS",
    "bremsstrahlung_emissivity_band",
    "has_leptons",
    "ic_anisotropy_harmonics_band",
    "ic_emissivity_band",
    "lepton_density",
]

LEPTONS = LEPTON_NAMES
_WEIGHT_INDEX = 3.2
_FOUR_PI = 4.0 * math.pi


def has_leptons(ds) -> bool:
    """True when a solution (or density DataArray) holds e- or e+."""
    return "species" in ds.coords and any(s in LEPTONS for s in ds["species"].values)


def lepton_density(ds_or_density) -> xr.DataArray:
    """e- + e+ density per GeV, dims (ekin_gev_per_n, ...) (the full density if present)."""
    if isinstance(ds_or_density, xr.DataArray):
        dens = ds_or_density
    else:
        sol = as_solution(ds_or_density)
        sol.require(
            "density",
            "a lepton emissivity on (R, z) (for the mid-plane pass ds['density_midplane'])",
        )
        dens = sol.dataset["density"]
    present = [s for s in LEPTONS if s in dens["species"].values]
    if not present:
        raise ValueError(
            "the solution has no electrons or positrons: run it with [leptons] enabled = true"
        )
    return dens.sel(species=present).sum("species")


def _fine(ekin: np.ndarray, points_per_decade: int = 40):
    """Fine grid, quadrature weights (dE) and the interpolation matrix H (n_fine x n_ekin)."""
    ef, w = log_trapezoid(float(ekin[0]), float(ekin[-1]), points_per_decade)
    return ef, w, power_law_interp_matrix(ekin, ef, _WEIGHT_INDEX)


@lru_cache(maxsize=16)
def _brems_vector(ekin_bytes: bytes, band: tuple, he_to_h: float) -> np.ndarray:
    ekin = np.frombuffer(ekin_bytes)
    ef, w, h = _fine(ekin)
    eg, we = log_gauss_band(band)
    m = bremsstrahlung_emissivity_matrix(ef, w, eg, he_to_h)  # (n_g, n_fine)
    return (we @ m) @ h


@lru_cache(maxsize=16)
def _ic_vectors(ekin_bytes: bytes, band: tuple, temps: tuple) -> np.ndarray:
    ekin = np.frombuffer(ekin_bytes)
    ef, w, h = _fine(ekin)
    eg, we = log_gauss_band(band)
    out = [(we @ ic_emissivity_matrix(ef, w, eg, t_k)) @ h / _FOUR_PI for t_k in temps]
    return np.stack(out)  # (n_components, n_ekin)


def _apply(vec: np.ndarray, dens: xr.DataArray) -> xr.DataArray:
    d = dens.transpose("ekin_gev_per_n", ...)
    vals = np.tensordot(vec, d.values, axes=(0, 0))
    rest = d.dims[1:]
    return xr.DataArray(vals, dims=rest, coords={k: d.coords[k] for k in rest if k in d.coords})


def bremsstrahlung_emissivity_band(ds_or_density, band, he_to_h: float | None = None):
    """Bremsstrahlung emissivity per H atom over ``band`` (GeV): ph s^-1 sr^-1 per H atom."""
    if he_to_h is None:
        he_to_h = float(solution_config(ds_or_density).gas.he_to_h)
    dens = lepton_density(ds_or_density)
    ekin = np.ascontiguousarray(dens["ekin_gev_per_n"].values, dtype=float)
    vec = _brems_vector(ekin.tobytes(), tuple(float(b) for b in band), float(he_to_h))
    out = _apply(vec, dens)
    out.attrs = {
        "units": "ph s^-1 sr^-1 (H atom)^-1",
        "long_name": "bremsstrahlung emissivity per H atom integrated over the band",
        "band_gev": [float(band[0]), float(band[1])],
        "he_to_h": he_to_h,
    }
    return out


def _isrf_of(ds):
    from ..leptons.fields import isrf_model

    sol = as_solution(ds)
    return isrf_model(sol.config.leptons.isrf_model, sol.sun_r_kpc)


def ic_emissivity_band(ds, band, density: xr.DataArray | None = None) -> xr.DataArray:
    """Inverse-Compton volume emissivity over ``band`` on (R, z), or on (x, y, z) for a
    solution of the 3D engine: ph cm^-3 s^-1 sr^-1.

    ``ds``: a solution (for its ISRF model and, unless ``density`` is given, its full
    density). ``density`` may be ``ds.density_midplane`` (then the result is on R at
    z = 0).
    """
    isrf = _isrf_of(ds)
    dens = lepton_density(ds if density is None else density)
    ekin = np.ascontiguousarray(dens["ekin_gev_per_n"].values, dtype=float)
    temps = tuple(float(c.t_k) for c in isrf.components)
    vecs = _ic_vectors(ekin.tobytes(), tuple(float(b) for b in band), temps)
    if "x_kpc" in dens.dims:  # a 3D solution: the axisymmetric ISRF at R = sqrt(x^2 + y^2)
        dims = ("x_kpc", "y_kpc", "z_kpc")
        xx, yy, zz = np.meshgrid(*(dens[d].values for d in dims), indexing="ij")
        dil = isrf.dilutions(np.hypot(xx, yy), zz)  # (n_c, nx, ny, nz)
    else:
        dims = ("r_kpc", "z_kpc") if "z_kpc" in dens.dims else ("r_kpc",)
        z = dens["z_kpc"].values if "z_kpc" in dens.dims else np.zeros(1)
        rr, zz = np.meshgrid(dens["r_kpc"].values, z, indexing="ij")
        dil = isrf.dilutions(rr, zz)  # (n_c, nr, nz)
        dil = dil if "z_kpc" in dens.dims else dil[:, :, 0]
    total = None
    for vec, d in zip(vecs, dil, strict=True):
        part = _apply(vec, dens).transpose(*dims) * d
        total = part if total is None else total + part
    total.attrs = {
        "units": "ph cm^-3 s^-1 sr^-1",
        "long_name": "inverse Compton emissivity (isotropic Klein-Nishina) over the band",
        "band_gev": [float(band[0]), float(band[1])],
        "isrf_model": isrf.name,
    }
    return total


@lru_cache(maxsize=16)
def _ic_moment_vectors(ekin_bytes: bytes, band: tuple, t_k: float, lmax: int) -> np.ndarray:
    """(lmax + 1, n_ekin): (1 / 4 pi) int dE_g int dgamma int d eps n kappa_l (per N)."""
    ekin = np.frombuffer(ekin_bytes)
    ef, w, h = _fine(ekin)
    g = 1.0 + ef / M_ELECTRON_GEV
    eg, we = log_gauss_band(band)
    eps, weps = blackbody_eps_grid(t_k)
    n_eps = blackbody_number_density(eps, t_k) * weps
    m = np.zeros((lmax + 1, ef.size))
    for e1, wgt in zip(eg, we, strict=True):
        kap = kernel_legendre_moments(eps[:, None], g[None, :], e1, lmax)  # (L+1, n_eps, n_f)
        m += wgt * np.einsum("e,lef->lf", n_eps, kap)
    return (m * w[None, :]) @ h / _FOUR_PI


def ic_anisotropy_harmonics_band(ds, band, lmax: int = 4) -> xr.DataArray:
    """Q_lm(R, z), l = 1 ... lmax: the direction-dependent part of the IC emissivity.

    j(e; R, z) = j_iso(R, z) + sum_{l >= 1, m} Q_lm(R, z) Y_lm(e) in ph cm^-3 s^-1 sr^-1
    over ``band``, with e the direction of the emitted photon in the local frame (e_R,
    e_phi, e_z) and Y_lm the cosine-type real harmonics of
    :mod:`escapade.leptons.isrf_angular`. Dims (harmonic, r_kpc, z_kpc); the harmonic
    coordinate holds "l,m" labels and the attrs ``l`` and ``m`` the integers.
    """
    from ..leptons.isrf_angular import EMITTERS, angular_coefficients, harmonic_pairs

    isrf = _isrf_of(ds)
    dens = lepton_density(ds).transpose("ekin_gev_per_n", "r_kpc", "z_kpc")
    ekin = np.ascontiguousarray(dens["ekin_gev_per_n"].values, dtype=float)
    r = dens["r_kpc"].values
    z = dens["z_kpc"].values
    rr, zz = np.meshgrid(r, z, indexing="ij")
    dil = isrf.dilutions(rr, zz)
    pairs = harmonic_pairs(int(lmax), lmin=1)
    ells = np.array([p[0] for p in pairs])
    out = np.zeros((len(pairs), r.size, z.size))
    r_max = float(r.max())
    h = float(np.abs(z).max())
    band_t = tuple(float(b) for b in band)
    for comp, d in zip(isrf.components, dil, strict=True):
        if comp.emitter is None:
            continue
        vec = _ic_moment_vectors(ekin.tobytes(), band_t, float(comp.t_k), int(lmax))
        lam = np.tensordot(vec, dens.values, axes=(1, 0)) * d  # (L+1, nr, nz)
        a = angular_coefficients(EMITTERS[comp.emitter], int(lmax), r, z, r_max, h)
        out += a[1:] * lam[ells]  # a[0] is a_00
    labels = [f"{ell},{m}" for ell, m in pairs]
    res = xr.DataArray(
        out,
        dims=("harmonic", "r_kpc", "z_kpc"),
        coords={"harmonic": labels, "r_kpc": r, "z_kpc": z},
    )
    res.attrs = {
        "units": "ph cm^-3 s^-1 sr^-1",
        "long_name": "anisotropic inverse Compton emissivity: real-harmonic coefficients, l >= 1",
        "band_gev": [float(band[0]), float(band[1])],
        "isrf_model": isrf.name,
        "l": ells.tolist(),
        "m": [p[1] for p in pairs],
        "lmax": int(lmax),
    }
    return res
