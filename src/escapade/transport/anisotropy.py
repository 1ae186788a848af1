"""Dipole anisotropy from diffusion.

The letter (Evoli et al. 2012, PRL 108, 211102, eq. 2) writes the large-scale
anisotropy as

    A = 3 D / c * |grad N / N|   at the Sun.

escapade evaluates D with the transport coefficient actually used at
(R_sun, z = 0) (D_perp there unless the parallel branch wins) and reports the
radial and vertical components separately; ``anisotropy`` is the radial one,
as in the letter. Radial gradient: derivative of the cubic spline of the
mid-plane profile; vertical gradient: finite difference across the plane.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..constants import C_CM_S, KPC_CM
from ..grid import Grid, midplane, radial_spline


@dataclass(frozen=True)
class Anisotropy:
    """Dipole amplitudes (dimensionless) and signed logarithmic gradients (1/kpc)."""

    radial: np.ndarray
    vertical: np.ndarray
    dlnn_dr_per_kpc: np.ndarray
    dlnn_dz_per_kpc: np.ndarray

    @property
    def sign_r(self) -> np.ndarray:
        return np.sign(self.dlnn_dr_per_kpc)

    @property
    def sign_z(self) -> np.ndarray:
        return np.sign(self.dlnn_dz_per_kpc)


def log_gradients_at_sun(grid: Grid, density: np.ndarray, sun_r_kpc: float):
    """(dN/dR / N, dN/dz / N) at the Sun in 1/kpc for density (n_ekin, nr, nz)."""
    spl = radial_spline(grid, midplane(grid, density))
    n = spl(sun_r_kpc)
    dndr = spl(sun_r_kpc, 1)
    z = grid.z_kpc
    j = int(np.searchsorted(z, 0.0))
    if np.isclose(z[j], 0.0, atol=1e-12 * grid.halo_height_kpc):
        ja, jb = j - 1, j + 1
    else:
        ja, jb = j - 1, j
    col_a = radial_spline(grid, density[..., ja])(sun_r_kpc)
    col_b = radial_spline(grid, density[..., jb])(sun_r_kpc)
    dndz = (col_b - col_a) / (z[jb] - z[ja])
    with np.errstate(invalid="ignore", divide="ignore"):
        gr = np.where(n > 0, dndr / n, 0.0)
        gz = np.where(n > 0, dndz / n, 0.0)
    return gr, gz


def dipole_anisotropy(
    grid: Grid, density: np.ndarray, sun_r_kpc: float, d_sun_cm2_s: np.ndarray
) -> Anisotropy:
    """A = 3 D / c |grad N / N| at the Sun, per energy, radial and vertical components."""
    gr, gz = log_gradients_at_sun(grid, density, sun_r_kpc)
    fac = 3.0 * np.asarray(d_sun_cm2_s) / C_CM_S / KPC_CM
    return Anisotropy(fac * np.abs(gr), fac * np.abs(gz), gr, gz)
