"""Galactic magnetic field strength and interstellar radiation field (ISRF) models.

Both are named, axisymmetric models of (R, z); every number is a parameter with its
source below.

Magnetic field (``[leptons] b_field_model``)
--------------------------------------------
* ``"exponential"`` (default): the total (regular + random) field strength

      B(R, z) = B_sun exp(-(R - R_sun) / R_B) exp(-|z| / z_B),

  with B_sun = 5 uG, R_B = 10 kpc, z_B = 2 kpc: the model of Strong, Moskalenko &
  Reimer 2000 (ApJ 537, 763, sec. 3), fitted to the 408 MHz synchrotron sky. B_sun is a
  parameter (``b_sun_ug``; total local fields of 5-6 uG are the usual range, e.g. Beck
  2001, Space Sci. Rev. 99, 243), and so are the scales.
* ``"uniform"``: B = B_sun everywhere (tests and comparisons).

Synchrotron losses use the energy density U_B = B^2 / (8 pi) of the total field with
isotropic pitch angles.

ISRF (``[leptons] isrf_model``)
-------------------------------
The radiation field is a sum of diluted black bodies ("greybodies"), each with a
temperature T_i and an energy density U_i(R, z) (so the photon spectrum is that of a
black body of T_i times U_i / (a T_i^4)):

* ``"schlickeiser2002"`` (default): the local greybody decomposition of Schlickeiser
  2002 (*Cosmic Ray Astrophysics*, Springer, sec. 2.3): CMB (T = 2.725 K, Fixsen 2009,
  uniform), infrared dust emission (T = 20 K, U_sun = 0.4 eV/cm^3) and starlight
  (T = 5000 K, U_sun = 0.3 eV/cm^3). Schlickeiser's smaller UV (B-star) component is
  folded into the starlight. Away from the Sun the dust and starlight components follow
  exponential profiles exp(-(R - R_sun)/R_i - |z|/z_i), an escapade approximation of the
  shape of the full radiative-transfer models (Porter et al. 2008, ApJ 682, 400; their
  energy densities grow ~10-20x from the Sun to the Galactic centre and fall by ~2 within
  2 kpc of the plane): starlight R_i = 3 kpc (the stellar-disc scale length, Bland-Hawthorn
  & Gerhard 2016, ARA&A 54, 529, gives 2.6 +- 0.5 kpc), dust R_i = 4 kpc, both z_i = 2.5 kpc,
  capped at 25 U_sun. The profile parameters are not fitted to the GALPROP ISRF (which is
  not shipped); the IC emission of the inner Galaxy inherits this uncertainty.
  For the anisotropic IC option (``[leptons] ic_anisotropic``) the dust and starlight
  photons get the angular distribution of an emitting disc
  (:mod:`escapade.leptons.isrf_angular`); the CMB stays isotropic.
* ``"cmb"``: the CMB alone (analytic tests, and the dominant target above a few TeV).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..interactions.blackbody import blackbody_energy_density_gev_cm3

__all__ = ["B_FIELD_MODELS", "ISRF_MODELS", "GreyBody", "ISRF", "MagneticField", "isrf_model"]

B_FIELD_MODELS = ("exponential", "uniform")
ISRF_MODELS = ("schlickeiser2002", "cmb")

GAUSS2_TO_GEV_CM3 = 1.0 / (8.0 * math.pi) * 6.241509074e2
"""B^2 / (8 pi) with B in gauss is erg/cm^3; 1 erg = 624.15 GeV."""


@dataclass(frozen=True)
class MagneticField:
    """Total field strength B(R, z) in microgauss (see the module docstring)."""

    model: str = "exponential"
    b_sun_ug: float = 5.0
    r_scale_kpc: float = 10.0
    z_scale_kpc: float = 2.0
    sun_r_kpc: float = 8.5

    def __post_init__(self):
        if self.model not in B_FIELD_MODELS:
            raise ValueError(
                f"b_field_model {self.model!r} unknown; allowed: {', '.join(B_FIELD_MODELS)}"
            )

    def strength_ug(self, r_kpc, z_kpc) -> np.ndarray:
        r, z = np.broadcast_arrays(np.asarray(r_kpc, float), np.asarray(z_kpc, float))
        if self.model == "uniform":
            return np.full(r.shape, self.b_sun_ug)
        return self.b_sun_ug * np.exp(
            -(r - self.sun_r_kpc) / self.r_scale_kpc - np.abs(z) / self.z_scale_kpc
        )

    def energy_density_gev_cm3(self, r_kpc, z_kpc) -> np.ndarray:
        """U_B = B^2 / (8 pi) in GeV/cm^3."""
        return (1e-6 * self.strength_ug(r_kpc, z_kpc)) ** 2 * GAUSS2_TO_GEV_CM3


@dataclass(frozen=True)
class GreyBody:
    """A diluted black body: temperature, local energy density and spatial scales."""

    name: str
    t_k: float
    u_sun_ev_cm3: float | None = None
    """None: undiluted (the CMB)."""
    r_scale_kpc: float = math.inf
    z_scale_kpc: float = math.inf
    cap: float = 25.0
    emitter: str | None = None
    """Emitting disc of the photons' angular distribution (keys of
    :data:`escapade.leptons.isrf_angular.EMITTERS`); None: isotropic."""

    def dilution(self, r_kpc, z_kpc, sun_r_kpc: float) -> np.ndarray:
        """U / (a T^4) at (R, z)."""
        r, z = np.broadcast_arrays(np.asarray(r_kpc, float), np.asarray(z_kpc, float))
        if self.u_sun_ev_cm3 is None:
            return np.ones(r.shape)
        w0 = self.u_sun_ev_cm3 * 1e-9 / blackbody_energy_density_gev_cm3(self.t_k)
        prof = np.exp(-(r - sun_r_kpc) / self.r_scale_kpc - np.abs(z) / self.z_scale_kpc)
        return w0 * np.minimum(prof, self.cap)


@dataclass(frozen=True)
class ISRF:
    """A named sum of :class:`GreyBody` components."""

    name: str
    components: tuple[GreyBody, ...]
    sun_r_kpc: float = 8.5

    def dilutions(self, r_kpc, z_kpc) -> np.ndarray:
        """(n_components, ...) dilution factors at (R, z)."""
        return np.stack([c.dilution(r_kpc, z_kpc, self.sun_r_kpc) for c in self.components])

    def energy_density_ev_cm3(self, r_kpc, z_kpc) -> np.ndarray:
        """(n_components, ...) energy densities in eV/cm^3."""
        u_bb = np.array([blackbody_energy_density_gev_cm3(c.t_k) for c in self.components])
        d = self.dilutions(r_kpc, z_kpc)
        return d * u_bb.reshape((-1,) + (1,) * (d.ndim - 1)) * 1e9


def isrf_model(name: str, sun_r_kpc: float = 8.5) -> ISRF:
    """The ISRF called ``name`` (see the module docstring)."""
    cmb = GreyBody("CMB", 2.72548)
    if name == "cmb":
        return ISRF(name, (cmb,), sun_r_kpc)
    if name == "schlickeiser2002":
        return ISRF(
            name,
            (
                cmb,
                GreyBody("dust", 20.0, 0.4, r_scale_kpc=4.0, z_scale_kpc=2.5, emitter="dust"),
                GreyBody(
                    "starlight", 5000.0, 0.3, r_scale_kpc=3.0, z_scale_kpc=2.5, emitter="starlight"
                ),
            ),
            sun_r_kpc,
        )
    raise ValueError(f"isrf_model {name!r} unknown; allowed: {', '.join(ISRF_MODELS)}")
