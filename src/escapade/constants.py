"""Internal unit system and physical constants.

Inside escapade every number is a plain float in one fixed unit system:

* length: kpc (``*_kpc``), time: Myr (``*_myr``), energy: GeV (``*_gev``),
* number densities: cm^-3 (``*_cm3``), cross sections: mb (``*_mb``),
* diffusion coefficients: kpc^2/Myr inside the solver, cm^2/s at the API edge
  (``*_cm2_s``).

Values: CODATA 2018 / PDG 2022 (Workman et al., PTEP 2022, 083C01).
"""

from __future__ import annotations

import math

KPC_CM = 3.0856775814913673e21
"""One kiloparsec in cm (IAU 2015)."""

MYR_S = 3.15576e13
"""One (Julian) megayear in seconds."""

C_CM_S = 2.99792458e10
"""Speed of light in cm/s."""

C_KPC_MYR = C_CM_S * MYR_S / KPC_CM
"""Speed of light in kpc/Myr (about 0.3066)."""

CM2_S_PER_KPC2_MYR = KPC_CM**2 / MYR_S
"""1 kpc^2/Myr expressed in cm^2/s (about 3.017e29)."""

MB_CM2 = 1.0e-27
"""One millibarn in cm^2."""

M_PROTON_GEV = 0.93827208816
"""Proton rest energy in GeV."""

M_NEUTRON_GEV = 0.93956542052
"""Neutron rest energy in GeV."""

AMU_GEV = 0.93149410242
"""Atomic mass unit (rest energy) in GeV."""

M_ELECTRON_GEV = 0.51099895000e-3
"""Electron rest energy in GeV."""

R_ELECTRON_CM = 2.8179403262e-13
"""Classical electron radius in cm."""

K_BOLTZMANN_GEV_K = 8.617333262e-14
"""Boltzmann constant in GeV/K."""

HBAR_C_GEV_CM = 1.973269804e-14
"""hbar * c in GeV cm."""

FOUR_PI = 4.0 * math.pi

M2_PER_CM2 = 1.0e-4
"""Conversion of an area: 1 cm^2 = 1e-4 m^2."""


def d_cm2_s_to_internal(d_cm2_s: float) -> float:
    """Convert a diffusion coefficient from cm^2/s to kpc^2/Myr."""
    return d_cm2_s / CM2_S_PER_KPC2_MYR


def d_internal_to_cm2_s(d_kpc2_myr: float):
    """Convert a diffusion coefficient from kpc^2/Myr to cm^2/s."""
    return d_kpc2_myr * CM2_S_PER_KPC2_MYR
