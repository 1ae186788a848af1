"""Per-process, per-gas-phase sky maps of a solution: the templates of a Fermi-LAT fit.

A template fit (:func:`escapade.sky.likelihood.fit_templates`) gives each gas phase its own
normalisation, so it needs the pi0 decay and the bremsstrahlung of each phase apart:

* ``pi0_<phase>`` and, for solutions with leptons, ``bremsstrahlung_<phase>`` for the
  phases HI, H2, HII (and ``dark`` for a survey3d gas with dark gas on), through the
  solution's gas model (axisymmetric: :mod:`escapade.sky.los`; 3D: :mod:`escapade.sky.los3d`);
* ``IC``, the inverse Compton map (a volume emissivity, no gas).

:func:`phase_templates` adds pi0 and bremsstrahlung of each phase (the "pi0 + bremsstrahlung
of each gas phase" of the field's fits, Ackermann et al. 2012, ApJ 750, 3, section 4) and
:func:`skymap_of_processes` sums them back into a :class:`~escapade.sky.maps.SkyMap` for
the longitude profile.
"""

from __future__ import annotations

import astropy.units as u
import numpy as np
from astropy_healpix import healpix_to_lonlat, nside_to_npix

from ..constants import KPC_CM
from ..solution import as_solution
from .assemble import MapOptions, _ic_map, _ic_options
from .assemble3d import is_3d_solution, process_maps_3d, solution3d_maps
from .components import PHASES
from .geometry import Stepping, gas_of, geometry_of
from .integrand import integrand_table
from .los import los_integrate
from .los3d import has_3d_face
from .maps import SkyMap
from .pixels import mirror_representatives

__all__ = ["phase_templates", "phases_of", "process_maps", "skymap_of_processes"]


def _process_maps_2d(sol, band, nside, opts, geom, st, gas, with_leptons):
    """pi0 and bremsstrahlung of each phase through an axisymmetric gas (one mirror pass)."""
    from ..emission.leptonic import bremsstrahlung_emissivity_band
    from ..emission.pion import PionProduction

    prod = opts.production or PionProduction(opts.model)
    q = prod.emissivity_band(sol, band, he_to_h=opts.he_to_h)
    tables = [integrand_table(q, gas, geom, st)]
    names = [f"pi0_{p}" for p in PHASES]
    if with_leptons:
        q_br = bremsstrahlung_emissivity_band(sol, band, he_to_h=opts.he_to_h)
        tables.append(integrand_table(q_br, gas, geom, st))
        names += [f"bremsstrahlung_{p}" for p in PHASES]
    npix = nside_to_npix(nside)
    uniq, inverse = mirror_representatives(nside, np.arange(npix))
    lon, lat = healpix_to_lonlat(uniq, nside, order="ring")
    vals = los_integrate(
        np.concatenate(tables, axis=2),
        geom,
        lon.to_value(u.rad),
        lat.to_value(u.rad),
        st,
        opts.threads,
    )
    return {n: vals[inverse, i] * KPC_CM for i, n in enumerate(names)}


def process_maps(ds, band, nside: int = 128, **skymap_keywords) -> dict[str, np.ndarray]:
    """Full-sky maps (RING, ph cm^-2 s^-1 sr^-1) of every process in every gas phase.

    Keys ``pi0_<phase>``, ``bremsstrahlung_<phase>`` and ``IC`` (leptonic solutions); the
    keywords are those of :func:`escapade.sky.skymap`. A 3D solution gives the same through
    its grid kernels (:func:`escapade.sky.assemble3d.solution3d_maps`; isotropic IC).
    """
    from ..emission.leptonic import has_leptons

    opts = MapOptions.from_keywords(skymap_keywords)
    sol = as_solution(ds)
    sol.require("density", "a sky map")
    st = opts.stepping or Stepping()
    geom = geometry_of(sol)
    gas = opts.gas or gas_of(sol)
    with_leptons = has_leptons(sol.dataset) if opts.leptons is None else bool(opts.leptons)
    if is_3d_solution(sol):
        maps, leptonic, _, _ = solution3d_maps(sol, band, int(nside), opts, geom, gas, with_leptons)
        return {f"pi0_{p}": v for p, v in maps.items()} | leptonic
    if has_3d_face(gas):
        maps, _, _ = process_maps_3d(sol, band, nside, opts, geom, gas, with_leptons)
    else:
        maps = _process_maps_2d(sol, band, nside, opts, geom, st, gas, with_leptons)
    if with_leptons:
        aniso, lmax = _ic_options(sol, opts.ic_anisotropic, opts.ic_lmax)
        pixels = np.arange(nside_to_npix(nside))
        maps["IC"] = _ic_map(sol, band, nside, pixels, opts, geom, st, (aniso, lmax))
    return maps


def phases_of(maps) -> list[str]:
    """The gas phases present in a :func:`process_maps` result."""
    return [k.removeprefix("pi0_") for k in maps if k.startswith("pi0_")]


def phase_templates(maps) -> dict[str, np.ndarray]:
    """pi0 + bremsstrahlung of each gas phase (named by the phase), and ``IC``."""
    out = {p: maps[f"pi0_{p}"] + maps.get(f"bremsstrahlung_{p}", 0.0) for p in phases_of(maps)}
    if "IC" in maps:
        out["IC"] = maps["IC"]
    return out


def skymap_of_processes(maps, nside: int, band, meta: dict | None = None) -> SkyMap:
    """The :class:`SkyMap` of :func:`process_maps`: each phase (pi0), ``pi0``, and with
    leptons ``IC``, ``bremsstrahlung`` and ``total`` = all of them."""
    phases = phases_of(maps)
    out = {p: maps[f"pi0_{p}"] for p in phases}
    pi0 = sum(out[p] for p in phases)
    if "IC" in maps:
        out["pi0"] = pi0
        out["IC"] = maps["IC"]
        out["bremsstrahlung"] = sum(maps[f"bremsstrahlung_{p}"] for p in phases)
        out["total"] = pi0 + out["IC"] + out["bremsstrahlung"]
    else:
        out["total"] = pi0
    return SkyMap(int(nside), (float(band[0]), float(band[1])), out, meta=dict(meta or {}))
