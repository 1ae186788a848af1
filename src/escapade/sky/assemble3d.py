"""The gas-phase maps of a solution through a 3D gas (``[gas] model = "survey3d"``).

The emissivities per H atom of the solution (pi0 decay, and bremsstrahlung when it has
leptons) are resampled bilinearly onto the (R, z) table of the gas's projection kernel and
projected with it (:mod:`escapade.sky.los3d`): one map per gas phase (HI, H2, HII, and the
dark gas when it is on) of pi0 decay, and the bremsstrahlung of all phases together. The
inverse Compton map, a volume emissivity, does not involve the gas: it stays with
:mod:`escapade.sky.assemble`.
"""

from __future__ import annotations

import numpy as np

from .integrand import resample_rz
from .los3d import gas_kernel, kernel_maps

__all__ = ["gas_phase_maps_3d", "process_maps_3d"]


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
