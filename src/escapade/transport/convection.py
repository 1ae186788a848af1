"""Galactic wind: a vertical convective velocity and its adiabatic energy losses.

v_z(R, z) = sign(z) [v0 f(R) + dv/dz |z|], directed away from the plane, as in
GALPROP (Strong & Moskalenko 1998, ApJ 509, 212) and DRAGON (Evoli et al. 2008,
JCAP 10, 018). f(R) = 1 (``radial = "uniform"``) or the source profile
Q(R)/Q(R_sun) (``radial = "source"``, a wind driven by the star formation).
The transport term -div(v N) is discretised upwind on the vertical faces;
the adiabatic momentum loss dp/dt = -(p/3) div v enters as a continuous
energy loss b_ad = beta p div(v) / 3 per nucleon, with div v the finite-volume
divergence of the same face velocities (2 v0 / dz in the plane cell: the
delta function of a wind that switches sign at z = 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..grid import Grid
from .operator import FaceGeometry

KM_S_IN_KPC_MYR = 1.0e5 * 3.15576e13 / 3.0856775814913673e21
"""1 km/s in kpc/Myr (about 1.0227e-3)."""


@dataclass(frozen=True)
class Convection:
    """Vertical wind with velocity v0 (km/s) at the plane and gradient dvdz (km/s/kpc)."""

    v0_km_s: float = 0.0
    dvdz_km_s_per_kpc: float = 0.0
    radial_factor: object = None  # callable R -> f(R), or None for uniform

    @property
    def enabled(self) -> bool:
        return self.v0_km_s != 0.0 or self.dvdz_km_s_per_kpc != 0.0

    def velocity_kpc_myr(self, r_kpc, z_kpc) -> np.ndarray:
        """v_z in kpc/Myr (positive upwards)."""
        r = np.asarray(r_kpc, dtype=float)
        z = np.asarray(z_kpc, dtype=float)
        f = 1.0 if self.radial_factor is None else self.radial_factor(r)
        v = self.v0_km_s * f + self.dvdz_km_s_per_kpc * np.abs(z)
        return np.sign(z) * v * KM_S_IN_KPC_MYR

    def face_flow(self, grid: Grid) -> np.ndarray:
        """Volume flow v_z A through each vertical face, (nr, nz-1), kpc^3/Myr."""
        geom = FaceGeometry(grid)
        ring = np.pi * (grid.r_hi_kpc**2 - grid.r_lo_kpc**2)
        return ring[:, None] * self.velocity_kpc_myr(grid.r_kpc[:, None], geom.z_face_kpc[None, :])

    def divergence_per_myr(self, grid: Grid) -> np.ndarray:
        """Finite-volume div v of every node's control volume, (nr, nz), 1/Myr."""
        geom = FaceGeometry(grid)
        vf = self.velocity_kpc_myr(grid.r_kpc[:, None], geom.z_face_kpc[None, :])
        div = np.zeros((grid.nr, grid.nz))
        dz = grid.z_hi_kpc - grid.z_lo_kpc
        div[:, 1:-1] = (vf[:, 1:] - vf[:, :-1]) / dz[None, 1:-1]
        return div
