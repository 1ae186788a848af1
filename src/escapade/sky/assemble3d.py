"""The gas-phase maps of a solution through a 3D gas (``[gas] model = "survey3d"``).

The emissivities per H atom of the solution (pi0 decay, and bremsstrahlung when it has
leptons) are resampled bilinearly onto the (R, z) table of the gas's projection kernel and
projected with it (:mod:`escapade.sky.los3d`): one map per gas phase (HI, H2, HII, and the
dark gas when it is on) of pi0 decay, and the bremsstrahlung of all phases together. The
inverse Compton map, a volume emissivity, does not involve the gas: it stays with
:mod:`escapade.sky.assemble`.

A solution of the 3D engine (densities on x_kpc, y_kpc, z_kpc) is projected instead by the
grid kernel of :mod:`escapade.sky.kernel3d` (:func:`solution3d_maps`), through the survey
gas's 3D face or the analytic gas: pi0 decay per phase and, when the solution has electrons
and positrons, bremsstrahlung (the same kernel) and inverse Compton (the volume emissivity on
the nodes through the kernel of :data:`escapade.sky.kernel3d.UNIT_VOLUME`; the ISRF taken as
isotropic).
"""

from __future__ import annotations

import numpy as np

from .integrand import resample_rz
from .los3d import gas_kernel, kernel_maps

__all__ = [
    "LEPTONS_3D",
    "PI0_ONLY_3D",
    "emissivity_on_nodes",
    "gas_phase_maps_3d",
    "is_3d_solution",
    "process_maps_3d",
    "require_density_3d",
    "solution3d_maps",
]


def _on_kernel_table(q, kernel) -> np.ndarray:
    """An emissivity DataArray on (r_kpc, z_kpc) resampled onto the kernel's table."""
    q = q.transpose("r_kpc", "z_kpc")
    return resample_rz(q.values, q["r_kpc"].values, q["z_kpc"].values, kernel.r_axis, kernel.z_axis)


def process_maps_3d(sol, band, nside: int, opts, geom, gas, with_leptons: bool):
    """({"pi0_<phase>": map, "bremsstrahlung_<phase>": map}, the pi0 emissivity, the
    production) of a solution through the 3D ``gas``: full-sky RING maps at ``nside``,
    ph cm^-2 s^-1 sr^-1, one per process and gas phase."""
    from ..emission.leptonic import bremsstrahlung_emissivity_band
    from ..emission.pion import PionProduction

    kernel = gas_kernel(gas, geom)
    prod = opts.production or PionProduction(opts.model)
    q = prod.emissivity_band(sol, band, he_to_h=opts.he_to_h)  # ph s^-1 sr^-1 per H atom
    columns = [_on_kernel_table(q, kernel)]
    if with_leptons:
        q_br = bremsstrahlung_emissivity_band(sol, band, he_to_h=opts.he_to_h)
        columns.append(_on_kernel_table(q_br, kernel))
    per_phase = kernel_maps(kernel, np.stack(columns, axis=-1), nside)
    maps = {f"pi0_{p}": v[:, 0] for p, v in per_phase.items()}
    if with_leptons:
        maps |= {f"bremsstrahlung_{p}": v[:, 1] for p, v in per_phase.items()}
    return maps, q, prod


def gas_phase_maps_3d(sol, band, nside: int, opts, geom, gas, with_leptons: bool):
    """({phase: pi0 map, "bremsstrahlung": map of all phases}, the pi0 emissivity, the
    production) of a solution through the 3D ``gas`` (:func:`process_maps_3d`)."""
    per, q, prod = process_maps_3d(sol, band, nside, opts, geom, gas, with_leptons)
    maps = {k.removeprefix("pi0_"): v for k, v in per.items() if k.startswith("pi0_")}
    if with_leptons:
        maps["bremsstrahlung"] = sum(v for k, v in per.items() if k.startswith("bremsstrahlung_"))
    return maps, q, prod


PI0_ONLY_3D = (
    "pi0 decay only: the 3D solution has no electrons and positrons (solve it with [leptons] "
    "enabled = true for IC and bremsstrahlung)"
)
"""The process note of the maps of a 3D solution without leptons (``SkyMap.meta["leptons"]``)."""

LEPTONS_3D = "IC (isotropic ISRF, Klein-Nishina) and bremsstrahlung of the 3D e- and e+ densities"
"""The process note of the maps of a 3D solution with leptons."""


def is_3d_solution(sol) -> bool:
    """Whether ``sol`` comes from the 3D engine (its densities live on x_kpc, y_kpc, z_kpc)."""
    return "x_kpc" in sol.dataset.dims


def require_density_3d(sol) -> None:
    """One-line error unless the 3D solution holds its full density."""
    if "density" not in sol.dataset:
        raise ValueError(
            "a sky map of a 3D solution needs its full density (species, ekin_gev_per_n, x_kpc, "
            "y_kpc, z_kpc): solve with full=True (escapade.Solution.compute(cfg, full=True)) or "
            "run 'escapade run CONFIG -o OUT.nc --full'"
        )


def emissivity_on_nodes(sol, band, opts):
    """(q on the solution's (x_kpc, y_kpc, z_kpc) nodes in ph s^-1 sr^-1 per H atom over
    ``band``, the production): :meth:`escapade.emission.pion.PionProduction.emissivity_band`
    applied to the 3D density (linear in the CR spectra, the same matrices as in 2D)."""
    from ..emission.pion import PionProduction

    require_density_3d(sol)
    prod = opts.production or PionProduction(opts.model)
    q = prod.emissivity_band(sol, band, he_to_h=opts.he_to_h)
    return q.transpose("x_kpc", "y_kpc", "z_kpc"), prod


def solution3d_maps(sol, band, nside: int, opts, geom, gas, with_leptons: bool = False):
    """({phase: pi0 map}, {"bremsstrahlung_<phase>": map, "IC": map} or {}, q, production) of a 3D
    solution through ``gas`` (the survey gas's 3D face or the analytic gas at
    R = sqrt(x^2 + y^2)): full-sky RING maps at ``nside``, ph cm^-2 s^-1 sr^-1, by the grid
    kernels of :mod:`escapade.sky.kernel3d`."""
    from ..emission.leptonic import bremsstrahlung_emissivity_band, ic_emissivity_band
    from .kernel3d import UNIT_VOLUME, GridAxes, grid_kernel, grid_kernel_maps

    q, prod = emissivity_on_nodes(sol, band, opts)
    dims = ("x_kpc", "y_kpc", "z_kpc")
    axes = GridAxes.of(*(q[d].values for d in dims))
    kernel = grid_kernel(gas, geom, axes, nside)
    leptonic = {}
    if with_leptons:
        q_br = bremsstrahlung_emissivity_band(sol, band, he_to_h=opts.he_to_h)
        brems = grid_kernel_maps(kernel, q_br.transpose(*dims).values, nside)
        leptonic = {f"bremsstrahlung_{p}": v for p, v in brems.items()}
        j_ic = ic_emissivity_band(sol, band).transpose(*dims)
        volume = grid_kernel(UNIT_VOLUME, geom, axes, nside)
        leptonic["IC"] = grid_kernel_maps(volume, j_ic.values, nside)["volume"]
    return grid_kernel_maps(kernel, q.values, nside), leptonic, q, prod
