"""Continuous energy losses of electrons and positrons, b = -dE/dt > 0 in GeV/s.

E is the kinetic energy, gamma = 1 + E / (m_e c^2), beta the speed.

* Synchrotron (isotropic pitch angles; Blumenthal & Gould 1970, eq. 4.7 averaged):
  b = (4/3) sigma_T c beta^2 gamma^2 U_B, U_B = B^2 / (8 pi) of the total field
  (:class:`escapade.leptons.fields.MagneticField`).
* Inverse Compton, Klein-Nishina, on every ISRF component
  (:func:`escapade.interactions.inverse_compton.ic_loss_rate_gev_s`, BG70 eq. 2.48); the
  rate of a diluted black body is its dilution times that of the full black body, so
  b_IC(E, R, z) = sum_i w_i(R, z) b_i(E).
* Bremsstrahlung in neutral (and, with the same complete-screening cross section,
  ionised) H and He (:func:`escapade.interactions.bremsstrahlung.bremsstrahlung_loss_rate_gev_s`,
  Tsai 1974; RPP radiation lengths).
* Ionisation of neutral H and He (Ginzburg 1979, *Theoretical Physics and Astrophysics*;
  the form used by Strong & Moskalenko 1998, ApJ 509, 212, App. C):
  b = 2 pi r_e^2 c m_e c^2 / beta sum_s Z_s n_s [ln((gamma - 1) beta^2 gamma^2 (m_e c^2)^2
  / (2 I_s^2)) + 1/8], with the PDG mean excitation energies I_H = 19.2 eV, I_He = 41.8 eV.
* Coulomb scattering on the free electrons of the ionised gas (Ginzburg 1979):
  b = 2 pi r_e^2 c m_e c^2 n_e ln(Lambda) / beta, ln Lambda = ln(m_e c^2 gamma^(1/2) /
  (hbar omega_p)), omega_p = (4 pi n_e e^2 / m_e)^(1/2) the plasma frequency.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..constants import C_CM_S, HBAR_C_GEV_CM, M_ELECTRON_GEV, R_ELECTRON_CM
from ..interactions.bremsstrahlung import bremsstrahlung_loss_rate_gev_s
from ..interactions.inverse_compton import SIGMA_T_CM2, ic_loss_rate_gev_s
from ..transport.losses import I_H_GEV, I_HE_GEV
from .fields import ISRF, MagneticField, isrf_model

__all__ = [
    "LeptonLosses",
    "coulomb_rate_gev_s",
    "ionisation_rate_gev_s",
    "synchrotron_rate_gev_s",
]

_ION_PREF = 2.0 * math.pi * R_ELECTRON_CM**2 * C_CM_S * M_ELECTRON_GEV


def _gamma_beta(ekin_gev):
    g = 1.0 + np.asarray(ekin_gev, float) / M_ELECTRON_GEV
    return g, np.sqrt(1.0 - 1.0 / g**2)


def synchrotron_rate_gev_s(ekin_gev, u_b_gev_cm3) -> np.ndarray:
    """(4/3) sigma_T c beta^2 gamma^2 U_B (GeV/s)."""
    g, b = _gamma_beta(ekin_gev)
    return 4.0 / 3.0 * SIGMA_T_CM2 * C_CM_S * (b * g) ** 2 * np.asarray(u_b_gev_cm3, float)


def ionisation_rate_gev_s(ekin_gev, n_h_cm3, n_he_cm3) -> np.ndarray:
    """Ionisation of neutral H and He atoms (GeV/s)."""
    g, b = _gamma_beta(ekin_gev)
    out = 0.0
    for z_s, n, i_s in ((1, n_h_cm3, I_H_GEV), (2, n_he_cm3, I_HE_GEV)):
        arg = (g - 1.0) * b**2 * g**2 * M_ELECTRON_GEV**2 / (2.0 * i_s**2)
        out = out + z_s * np.asarray(n, float) * np.maximum(np.log(arg) + 0.125, 0.0)
    return _ION_PREF / b * out


_HBAR_OMEGA_P_GEV = HBAR_C_GEV_CM * math.sqrt(4.0 * math.pi * R_ELECTRON_CM)
"""hbar omega_p / sqrt(n_e / cm^-3): hbar c sqrt(4 pi r_e n_e) (omega_p^2 = 4 pi r_e c^2 n_e)."""


def coulomb_rate_gev_s(ekin_gev, n_e_cm3) -> np.ndarray:
    """Coulomb losses on free electrons (GeV/s); 0 where n_e = 0."""
    g, b = _gamma_beta(ekin_gev)
    n = np.asarray(n_e_cm3, float)
    with np.errstate(divide="ignore"):
        hw = _HBAR_OMEGA_P_GEV * np.sqrt(np.where(n > 0, n, 1.0))
        ln_l = np.log(M_ELECTRON_GEV * np.sqrt(g) / hw)
    return np.where(n > 0, _ION_PREF * n * np.maximum(ln_l, 0.0) / b, 0.0)


@dataclass
class LeptonLosses:
    """All lepton losses on a model grid: ``rate_gev_s(ekin, gas, r, z)`` -> (nr, nz).

    ``gas`` is a :class:`escapade.galaxy.gas.GasOnGrid`; (r, z) the node coordinates.
    IC rates per ISRF component are tabulated once per energy (cached).
    """

    b_field: MagneticField = field(default_factory=MagneticField)
    isrf: ISRF = field(default_factory=lambda: isrf_model("schlickeiser2002"))
    gas_losses: bool = True
    _ic_cache: dict = field(default_factory=dict, repr=False)
    _maps: dict = field(default_factory=dict, repr=False)

    def ic_rate_per_dilution(self, ekin_gev: float) -> np.ndarray:
        """(n_components,) IC loss rates (GeV/s) of undiluted black bodies at ``ekin_gev``."""
        key = float(ekin_gev)
        if key not in self._ic_cache:
            self._ic_cache[key] = np.array(
                [ic_loss_rate_gev_s([key], c.t_k)[0] for c in self.isrf.components]
            )
        return self._ic_cache[key]

    def fields_on(self, r_kpc, z_kpc, points: bool = False):
        """Magnetic energy density (GeV/cm^3) and ISRF dilutions on the grid of the axes
        ``r_kpc`` x ``z_kpc``, or with ``points`` at the points (r_kpc[i], z_kpc[i])
        (cached)."""
        key = (np.asarray(r_kpc).tobytes(), np.asarray(z_kpc).tobytes(), points)
        if key not in self._maps:
            if points:
                rr, zz = np.broadcast_arrays(np.asarray(r_kpc, float), np.asarray(z_kpc, float))
            else:
                rr, zz = np.meshgrid(r_kpc, z_kpc, indexing="ij")
            self._maps[key] = (
                self.b_field.energy_density_gev_cm3(rr, zz),
                self.isrf.dilutions(rr, zz),
            )
        return self._maps[key]

    def rate_gev_s(
        self, ekin_gev: float, gas, r_kpc, z_kpc, points: bool = False
    ) -> dict[str, np.ndarray]:
        """Every loss process (GeV/s), by name, each (nr, nz) on the grid of the axes, or
        with ``points`` one value per point (r_kpc[i], z_kpc[i]) (the 3D engine's nodes)."""
        u_b, dil = self.fields_on(r_kpc, z_kpc, points)
        ic = np.tensordot(self.ic_rate_per_dilution(ekin_gev), dil, axes=(0, 0))
        out = {"synchrotron": synchrotron_rate_gev_s(ekin_gev, u_b), "inverse_compton": ic}
        zero = np.zeros_like(u_b)
        if self.gas_losses:
            n_h = gas.h_neutral + gas.hii
            out["bremsstrahlung"] = bremsstrahlung_loss_rate_gev_s(ekin_gev, n_h, gas.he)
            out["ionisation"] = ionisation_rate_gev_s(ekin_gev, gas.h_neutral, gas.he_neutral)
            out["coulomb"] = coulomb_rate_gev_s(ekin_gev, gas.hii)
        else:
            out.update(bremsstrahlung=zero, ionisation=zero, coulomb=zero)
        return out

    def total_gev_s(self, ekin_gev: float, gas, r_kpc, z_kpc, points: bool = False) -> np.ndarray:
        return sum(self.rate_gev_s(ekin_gev, gas, r_kpc, z_kpc, points).values())
