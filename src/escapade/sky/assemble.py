"""Sky maps and longitude profiles of a solution: :func:`skymap`, :func:`longitude_profile`.

Intensity along the direction (l, b) seen from the Sun at (R_sun, z = 0):

    I(l, b) = int_0^{s_max} ds  q(R(s), z(s)) n_gas(R(s), z(s))      [ph cm^-2 s^-1 sr^-1]

with q the per-steradian emissivity per H atom (``escapade.emission.pion``; this is
the 1/(4 pi) int ds q_4pi n of PHYSICS.md section 6) and n_gas, in H atoms per cm^3,
split into the phases HI (n_HI), H2 (2 n_H2) and HII (n_HII) of the analytic gas
model (:class:`escapade.galaxy.gas.AnalyticGas`), both on the fine table of
:mod:`escapade.sky.integrand`, integrated by :func:`escapade.sky.los.los_integrate`.

Components: pi0 decay per gas phase (``HI``, ``H2``, ``HII``); for solutions with
electrons and positrons (``[leptons] enabled = true``) also inverse Compton (``IC``, a
volume emissivity on the ISRF, :mod:`escapade.emission.leptonic`; the integrand is j(R, z)
instead of q n_gas) and ``bremsstrahlung`` (per H atom, on all gas phases), with ``pi0``
the sum of the phases and ``total`` = pi0 + IC + bremsstrahlung. Without leptons
``total`` is the pi0 sum, as before.

Anisotropic IC (``[leptons] ic_anisotropic = true``): the IC integrand also depends on
the direction of the emitted photon, j = j_iso + sum_{l>=1,m} Q_lm(R, z) N_lm
P_l^m(mu) cos(m psi) with mu = -sin b (constant along a line of sight) and psi(s) its
azimuth from e_R; each column Q_lm is integrated with the weight cos(m psi(s)) on a
0.05 x 0.02 kpc table, then multiplied by N_lm P_l^m(mu). The mirror symmetry
I(l, b) = I(-l, b) still holds.

Solutions of the 3D engine (``[transport] geometry = "3d"``, densities on x_kpc, y_kpc,
z_kpc): q(x, y, z) is projected through the 3D gas (the survey gas's 3D face or the analytic
gas) by the grid kernel of :mod:`escapade.sky.kernel3d`, with IC and bremsstrahlung of its
3D e- and e+ when it has them (isotropic IC only); ``meta["leptons"]`` says which.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import astropy.units as u
import numpy as np
import xarray as xr
from astropy_healpix import healpix_to_lonlat, nside_to_npix

from ..constants import KPC_CM
from ..galaxy.gas import AnalyticGas
from ..solution import Solution, as_solution
from .assemble3d import (
    LEPTONS_3D,
    PI0_ONLY_3D,
    gas_phase_maps_3d,
    is_3d_solution,
    solution3d_maps,
)
from .components import LEPTONIC, PHASES
from .geometry import Stepping, gas_of, geometry_of
from .integrand import (
    IC_TABLE_DR_KPC,
    IC_TABLE_DZ_KPC,
    integrand_table,
    resample_rz,
    table_axes,
    volume_table,
)
from .los import los_integrate
from .los3d import has_3d_face
from .maps import SkyMap
from .pixels import mirror_representatives, profile_selection
from .profiles import profile_of_map

__all__ = ["MapOptions", "longitude_profile", "skymap"]


@dataclass(frozen=True)
class MapOptions:
    """How a sky map is made from a solution (the keywords of :func:`skymap`).

    ``None`` means: from the solution's config (gas model, He/H, leptons, anisotropic IC).
    """

    gas: AnalyticGas | None = None
    production: object | None = None
    model: str = "aafrag"
    he_to_h: float | None = None
    stepping: Stepping | None = None
    threads: int | None = None
    leptons: bool | None = None
    ic_anisotropic: bool | None = None
    ic_lmax: int | None = None

    @classmethod
    def from_keywords(cls, keywords: dict) -> MapOptions:
        """From a mapping of :func:`skymap` keywords; an unknown one is a one-line error."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(keywords) - known)
        if unknown:
            raise TypeError(f"unknown sky-map keyword {unknown[0]!r}; allowed: {sorted(known)}")
        return cls(**keywords)


def _ic_options(sol: Solution, ic_anisotropic, ic_lmax) -> tuple[bool, int]:
    lep = sol.config.leptons
    on = lep.ic_anisotropic if ic_anisotropic is None else bool(ic_anisotropic)
    lmax = lep.ic_anisotropy_lmax if ic_lmax is None else int(ic_lmax)
    if not 1 <= lmax <= 16:
        raise ValueError(f"ic_anisotropy_lmax = {lmax}: allowed 1 ... 16")
    return on, lmax


def _ic_anisotropic_correction(ds, band, lmax, geom, st, lon_rad, lat_rad, threads):
    """sum_{l >= 1, m} Y_lm-weighted line-of-sight integrals of Q_lm (kpc x emissivity)."""
    from ..emission.leptonic import ic_anisotropy_harmonics_band
    from ..leptons.isrf_angular import legendre_factor

    qh = ic_anisotropy_harmonics_band(ds, band, lmax)
    st_ic = replace(st, table_dr_kpc=IC_TABLE_DR_KPC, table_dz_kpc=IC_TABLE_DZ_KPC)
    r, z = table_axes(geom, st_ic)
    tab = np.moveaxis(resample_rz(qh.values, qh["r_kpc"].values, qh["z_kpc"].values, r, z), 0, -1)
    vals = los_integrate(tab, geom, lon_rad, lat_rad, st, threads, harmonic_m=qh.attrs["m"])
    mu_e = -np.sin(lat_rad)  # the photon travels from the sample to the Sun
    corr = np.zeros(vals.shape[0])
    for p, (ell, m) in enumerate(zip(qh.attrs["l"], qh.attrs["m"], strict=True)):
        corr += legendre_factor(ell, m, mu_e) * vals[:, p]
    return corr


def _volume_tables(sol: Solution, band, opts: MapOptions, geom, st, gas, with_leptons):
    """The integrand table (R, z, component) and the pi0 emissivity with its attributes."""
    from ..emission.leptonic import bremsstrahlung_emissivity_band, ic_emissivity_band
    from ..emission.pion import PionProduction

    prod = opts.production or PionProduction(opts.model)
    q = prod.emissivity_band(sol, band, he_to_h=opts.he_to_h)  # ph s^-1 sr^-1 per H atom
    table = integrand_table(q, gas, geom, st)  # ph s^-1 sr^-1 cm^-3, 3 phases
    if with_leptons:
        q_br = bremsstrahlung_emissivity_band(sol, band, he_to_h=opts.he_to_h)
        brems = integrand_table(q_br, gas, geom, st).sum(axis=2)  # all phases
        ic = volume_table(ic_emissivity_band(sol, band), geom, st)
        table = np.concatenate([table, ic[:, :, None], brems[:, :, None]], axis=2)
    return table, q, prod


def _component_maps(vals, pixels, inverse, npix, with_leptons) -> dict[str, np.ndarray]:
    maps = {}
    names = list(PHASES) + (list(LEPTONIC) if with_leptons else [])
    for i, name in enumerate(names):
        full = np.full(npix, np.nan)
        full[pixels] = vals[inverse, i]
        maps[name] = full
    if with_leptons:
        maps["pi0"] = maps["HI"] + maps["H2"] + maps["HII"]
        maps["total"] = maps["pi0"] + maps["IC"] + maps["bremsstrahlung"]
    else:
        maps["total"] = maps["HI"] + maps["H2"] + maps["HII"]
    return maps


def _maps_2d(sol, band, nside, pixels, opts, geom, st, gas, with_leptons, ic_options):
    """Every component through the axisymmetric gas, one mirror-symmetric pass."""
    table, q, prod = _volume_tables(sol, band, opts, geom, st, gas, with_leptons)
    npix = nside_to_npix(nside)
    uniq, inverse = mirror_representatives(nside, pixels)
    lon, lat = healpix_to_lonlat(uniq, nside, order="ring")
    lon_rad, lat_rad = lon.to_value(u.rad), lat.to_value(u.rad)
    vals = los_integrate(table, geom, lon_rad, lat_rad, st, opts.threads)
    aniso, lmax = ic_options
    if aniso:
        ic_col = len(PHASES) + LEPTONIC.index("IC")
        vals[:, ic_col] += _ic_anisotropic_correction(
            sol, band, lmax, geom, st, lon_rad, lat_rad, opts.threads
        )
    vals *= KPC_CM
    return _component_maps(vals, pixels, inverse, npix, with_leptons), q, prod


def _ic_map(sol, band, nside, pixels, opts, geom, st, ic_options) -> np.ndarray:
    """The inverse Compton map (the volume emissivity needs no gas), NaN off ``pixels``."""
    from ..emission.leptonic import ic_emissivity_band

    uniq, inverse = mirror_representatives(nside, pixels)
    lon, lat = healpix_to_lonlat(uniq, nside, order="ring")
    lon_rad, lat_rad = lon.to_value(u.rad), lat.to_value(u.rad)
    table = volume_table(ic_emissivity_band(sol, band), geom, st)
    vals = los_integrate(table, geom, lon_rad, lat_rad, st, opts.threads)[:, 0]
    aniso, lmax = ic_options
    if aniso:
        vals += _ic_anisotropic_correction(
            sol, band, lmax, geom, st, lon_rad, lat_rad, opts.threads
        )
    full = np.full(nside_to_npix(nside), np.nan)
    full[pixels] = vals[inverse] * KPC_CM
    return full


def _maps_3d(sol, band, nside, pixels, opts, geom, st, gas, with_leptons, ic_options):
    """The gas phases through the 3D gas (:mod:`escapade.sky.assemble3d`), IC as in 2D."""
    maps, q, prod = gas_phase_maps_3d(sol, band, nside, opts, geom, gas, with_leptons)
    off = np.ones(nside_to_npix(nside), bool)
    off[pixels] = False
    for v in maps.values():
        v[off] = np.nan
    phases = [p for p in (*PHASES, "dark") if p in maps]
    maps["pi0"] = sum(maps[p] for p in phases)
    if with_leptons:
        maps["IC"] = _ic_map(sol, band, nside, pixels, opts, geom, st, ic_options)
        maps["total"] = maps["pi0"] + maps["IC"] + maps["bremsstrahlung"]
    else:
        maps["total"] = maps.pop("pi0")
    return maps, q, prod


def _base_meta(sol: Solution, opts: MapOptions, q, prod, geom, gas) -> dict:
    """The metadata every set of maps carries (model, He/H, omitted species, geometry, gas)."""
    return {
        "pi0_model": prod.model,
        "he_to_h": q.attrs.get("he_to_h"),
        "species_omitted": q.attrs.get("species_omitted", ""),
        "r_sun_kpc": geom.r_sun_kpc,
        "x_co": str(gas.x_co if hasattr(gas, "x_co") else gas.analytic.x_co),
        "gas_model": sol.config.gas.model if opts.gas is None else type(gas).__name__,
    }


def _skymap_3d(sol: Solution, band, nside, pixels, opts: MapOptions) -> SkyMap:
    """The maps of a 3D solution (:func:`escapade.sky.assemble3d.solution3d_maps`), NaN
    off ``pixels``: pi0 per phase, and IC and bremsstrahlung when it has leptons (or
    ``leptons=True``, a one-line error without them; anisotropic IC is one too)."""
    from ..emission.leptonic import has_leptons

    present = has_leptons(sol.dataset)
    with_leptons = present if opts.leptons is None else bool(opts.leptons)
    if with_leptons and not present:
        raise ValueError(f"leptons = True with a 3D solution: {PI0_ONLY_3D}")
    if with_leptons and _ic_options(sol, opts.ic_anisotropic, opts.ic_lmax)[0]:
        raise ValueError(
            "ic_anisotropic = True with a 3D solution: allowed False (the 3D maps take the "
            "ISRF as isotropic)"
        )
    geom = geometry_of(sol)
    gas = opts.gas or gas_of(sol)
    maps, leptonic, q, prod = solution3d_maps(sol, band, int(nside), opts, geom, gas, with_leptons)
    if with_leptons:
        maps["pi0"] = sum(maps.values())
        maps["IC"] = leptonic.pop("IC")
        maps["bremsstrahlung"] = sum(leptonic.values())
        maps["total"] = maps["pi0"] + maps["IC"] + maps["bremsstrahlung"]
    else:
        maps["total"] = sum(maps.values())
    if pixels is not None:
        off = np.ones(nside_to_npix(nside), bool)
        off[np.asarray(pixels, np.int64)] = False
        for v in maps.values():
            v[off] = np.nan
    process = "pi0+IC+bremsstrahlung" if with_leptons else "pi0"
    meta = {"process": process, **_base_meta(sol, opts, q, prod, geom, gas)}
    meta |= {"cr_geometry": "3d", "cr_grid_nodes": "x".join(map(str, q.shape))}
    meta["leptons"] = LEPTONS_3D if with_leptons else PI0_ONLY_3D
    if with_leptons:
        meta["ic_anisotropic"] = False
    return SkyMap(int(nside), (float(band[0]), float(band[1])), maps, meta=meta)


def _skymap_pixels(ds, band, nside, pixels, opts: MapOptions) -> SkyMap:
    from ..emission.leptonic import has_leptons

    sol = as_solution(ds)
    if is_3d_solution(sol):
        return _skymap_3d(sol, band, nside, pixels, opts)
    st = opts.stepping or Stepping()
    geom = geometry_of(sol)
    gas = opts.gas or gas_of(sol)
    with_leptons = has_leptons(sol.dataset) if opts.leptons is None else bool(opts.leptons)
    pixels = np.arange(nside_to_npix(nside)) if pixels is None else np.asarray(pixels, np.int64)
    aniso, lmax = _ic_options(sol, opts.ic_anisotropic, opts.ic_lmax)
    ic_options = (aniso and with_leptons, lmax)
    make = _maps_3d if has_3d_face(gas) else _maps_2d
    maps, q, prod = make(sol, band, nside, pixels, opts, geom, st, gas, with_leptons, ic_options)
    meta = {
        "process": "pi0+IC+bremsstrahlung" if with_leptons else "pi0",
        **_base_meta(sol, opts, q, prod, geom, gas),
    }
    if with_leptons:
        meta["ic_anisotropic"] = ic_options[0]
        if ic_options[0]:
            meta["ic_anisotropy_lmax"] = lmax
    return SkyMap(int(nside), (float(band[0]), float(band[1])), maps, meta=meta)


def skymap(
    ds,
    band,
    nside: int = 128,
    *,
    gas: AnalyticGas | None = None,
    production=None,
    model: str = "aafrag",
    he_to_h: float | None = None,
    stepping: Stepping | None = None,
    threads: int | None = None,
    leptons: bool | None = None,
    ic_anisotropic: bool | None = None,
    ic_lmax: int | None = None,
) -> SkyMap:
    """Full-sky intensity maps of ``band`` = (emin, emax) GeV from a solution.

    Returns a :class:`SkyMap` with the pi0 components HI, H2, HII and total, in
    ph cm^-2 s^-1 sr^-1 integrated over the band; with ``leptons`` (default: when the
    solution has e- and e+) also IC, bremsstrahlung, pi0 and total = all three.
    ``ds`` must hold ``density`` (``escapade.solve(cfg, full=True)``). A solution of the 3D
    engine (``[transport] geometry = "3d"``) gives the pi0 maps of its 3D density through
    the 3D gas (:mod:`escapade.sky.kernel3d`; HI, H2, HII, dark when on, and total; no
    leptons, ``meta["leptons"]`` says so; the stepping and IC keywords do not apply). The
    gas model and
    He/H come from the solution's config unless given. ``ic_anisotropic`` / ``ic_lmax``
    override ``[leptons] ic_anisotropic`` / ``ic_anisotropy_lmax``: IC with the ISRF's
    angular distribution (Moskalenko & Strong 2000; see :mod:`escapade.emission.leptonic`).
    """
    opts = MapOptions(
        gas, production, model, he_to_h, stepping, threads, leptons, ic_anisotropic, ic_lmax
    )
    return _skymap_pixels(ds, band, nside, None, opts)


def longitude_profile(
    maps_or_ds,
    band=None,
    b_max_deg: float = 5.0,
    l_bin_deg: float = 2.0,
    mask=None,
    *,
    exposure=None,
    nside: int = 128,
    **skymap_kwargs,
) -> xr.Dataset:
    """``escapade.longitude_profile``: the |b| < b_max longitude profile, l bins.

    ``maps_or_ds``: a :class:`SkyMap` (then ``band`` is ignored) or a solution
    (then only the |b| < b_max pixels of an ``nside`` map of ``band`` are
    integrated). See :func:`profile_of_map` for ``mask`` and ``exposure``.
    Returns a Dataset over ``l_deg`` (bin centres, -179 ... 179 for 2-deg bins) with
    one variable per component (ph cm^-2 s^-1 sr^-1) and ``npix`` per bin.
    """
    if isinstance(maps_or_ds, SkyMap):
        smap = maps_or_ds
    else:
        if band is None:
            raise ValueError("a band (emin, emax) in GeV is needed to compute a profile")
        sel, _, _ = profile_selection(nside, b_max_deg, l_bin_deg)
        smap = _skymap_pixels(maps_or_ds, band, nside, sel, MapOptions.from_keywords(skymap_kwargs))
    return profile_of_map(smap, b_max_deg, l_bin_deg, mask=mask, exposure=exposure)
